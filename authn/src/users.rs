//! Users and credentials (spec §5.1, §5.2).

use std::collections::HashMap;

use uuid::Uuid;

use crate::client::core_operations;
use crate::error::AuthnError;
use crate::types::{Credentials, User};

#[derive(sqlx::FromRow)]
struct GetOrCreateRow {
    user_id: Uuid,
    created: bool,
    disabled: bool,
}

core_operations! {
    /// Creates a user (e-mail normalised by the core); `None` hash = SSO-only user.
    pub async fn create_user(&mut self, email: &str, password_hash: Option<&str>) -> Uuid {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.create_user($1, $2, $3)")
            .bind(email)
            .bind(password_hash)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }

    /// The user with that id in this namespace, never with its password hash.
    pub async fn get_user(&mut self, user_id: Uuid) -> Option<User> {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_as("SELECT * FROM authn.get_user($1, $2)")
            .bind(user_id)
            .bind(ns)
            .fetch_optional(conn)
            .await?)
    }

    /// Case-insensitive lookup by e-mail. An invalid e-mail is an error, not "not found".
    pub async fn get_user_by_email(&mut self, email: &str) -> Option<User> {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_as("SELECT * FROM authn.get_user_by_email($1, $2)")
            .bind(email)
            .bind(ns)
            .fetch_optional(conn)
            .await?)
    }

    /// Changes the e-mail and clears its verification; `false` for an unknown user.
    pub async fn update_email(&mut self, user_id: Uuid, new_email: &str) -> bool {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.update_email($1, $2, $3)")
            .bind(user_id)
            .bind(new_email)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }

    /// Disables the user and revokes all of their sessions; `false` if unknown or disabled.
    pub async fn disable_user(&mut self, user_id: Uuid) -> bool {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.disable_user($1, $2)")
            .bind(user_id)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }

    /// Re-enables a disabled user (revoked sessions stay revoked).
    pub async fn enable_user(&mut self, user_id: Uuid) -> bool {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.enable_user($1, $2)")
            .bind(user_id)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }

    /// Deletes the user and everything that belongs to them (attempts and audit rows stay).
    pub async fn delete_user(&mut self, user_id: Uuid) -> bool {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.delete_user($1, $2)")
            .bind(user_id)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }

    /// Keyset page ordered by user id: ids greater than `cursor`, at most `limit` (clamped to
    /// 1000 by the core; `None` = no limit).
    pub async fn list_users(&mut self, limit: Option<i32>, cursor: Option<Uuid>) -> Vec<User> {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_as("SELECT * FROM authn.list_users($1, $2, $3)")
            .bind(ns)
            .bind(limit)
            .bind(cursor)
            .fetch_all(conn)
            .await?)
    }

    /// The existing users of this namespace among `user_ids`, keyed by id.
    pub async fn get_users_batch(&mut self, user_ids: &[Uuid]) -> HashMap<Uuid, User> {
        if user_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let (conn, ns) = self.parts();
        let users: Vec<User> = sqlx::query_as("SELECT * FROM authn.get_users_batch($1, $2)")
            .bind(user_ids)
            .bind(ns)
            .fetch_all(conn)
            .await?;
        Ok(users.into_iter().map(|u| (u.user_id, u)).collect())
    }

    /// Returns `(user_id, created)`; an existing disabled user is [`AuthnError::UserDisabled`]
    /// (SDK behaviour; nothing is created in that case).
    pub async fn get_or_create_user(&mut self, email: &str, password_hash: Option<&str>) -> (Uuid, bool) {
        let (conn, ns) = self.parts();
        let row: Option<GetOrCreateRow> =
            sqlx::query_as("SELECT * FROM authn.get_or_create_user($1, $2, $3)")
                .bind(email)
                .bind(password_hash)
                .bind(ns)
                .fetch_optional(conn)
                .await?;
        let row = row.ok_or(AuthnError::MissingRow("Failed to get or create user"))?;
        if row.disabled {
            return Err(AuthnError::UserDisabled);
        }
        Ok((row.user_id, row.created))
    }

    /// The password hash (if any) and disabled state for sign-in; `None` for an unknown
    /// e-mail. The caller must check `disabled_at`.
    pub async fn get_credentials(&mut self, email: &str) -> Option<Credentials> {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_as("SELECT * FROM authn.get_credentials($1, $2)")
            .bind(email)
            .bind(ns)
            .fetch_optional(conn)
            .await?)
    }

    /// Replaces the password hash. Sessions are not revoked: callers do that.
    pub async fn update_password(&mut self, user_id: Uuid, new_password_hash: &str) -> bool {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.update_password($1, $2, $3)")
            .bind(user_id)
            .bind(new_password_hash)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }
}
