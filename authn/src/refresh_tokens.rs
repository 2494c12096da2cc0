//! Refresh tokens with rotation and reuse detection (spec §5.4, §8).

use chrono::TimeDelta;
use uuid::Uuid;

use crate::client::core_operations;
use crate::error::AuthnError;
use crate::types::{NewRefreshToken, RefreshTokenInfo, RotatedRefreshToken, ValidatedRefreshToken};

core_operations! {
    /// Starts a new token family on a valid session (default lifetime 30 days).
    pub async fn create_refresh_token(&mut self, session_id: Uuid, token_hash: &str, expires_in: Option<TimeDelta>) -> NewRefreshToken {
        let (conn, ns) = self.parts();
        let row: Option<NewRefreshToken> =
            sqlx::query_as("SELECT * FROM authn.create_refresh_token($1, $2, $3, $4)")
                .bind(session_id)
                .bind(token_hash)
                .bind(expires_in)
                .bind(ns)
                .fetch_optional(conn)
                .await?;
        row.ok_or(AuthnError::MissingRow("Failed to create refresh token"))
    }

    /// Exchanges the current token of a family for a new one. `None` when the token is not
    /// usable; presenting an already replaced token revokes the whole family (reuse).
    pub async fn rotate_refresh_token(&mut self, old_token_hash: &str, new_token_hash: &str, expires_in: Option<TimeDelta>) -> Option<RotatedRefreshToken> {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_as("SELECT * FROM authn.rotate_refresh_token($1, $2, $3, $4)")
            .bind(old_token_hash)
            .bind(new_token_hash)
            .bind(expires_in)
            .bind(ns)
            .fetch_optional(conn)
            .await?)
    }

    /// Read-only check of a refresh token (no rotation, no audit).
    pub async fn validate_refresh_token(&mut self, token_hash: &str) -> Option<ValidatedRefreshToken> {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_as("SELECT * FROM authn.validate_refresh_token($1, $2)")
            .bind(token_hash)
            .bind(ns)
            .fetch_optional(conn)
            .await?)
    }

    /// Revokes every token of the family, replaced ones included; returns how many.
    pub async fn revoke_refresh_token_family(&mut self, family_id: Uuid) -> i32 {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.revoke_refresh_token_family($1, $2)")
            .bind(family_id)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }

    /// Revokes every refresh token of the user; returns how many.
    pub async fn revoke_all_refresh_tokens(&mut self, user_id: Uuid) -> i32 {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.revoke_all_refresh_tokens($1, $2)")
            .bind(user_id)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }

    /// The user's active tokens (one per live family), newest first.
    pub async fn list_refresh_tokens(&mut self, user_id: Uuid) -> Vec<RefreshTokenInfo> {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_as("SELECT * FROM authn.list_refresh_tokens($1, $2)")
            .bind(user_id)
            .bind(ns)
            .fetch_all(conn)
            .await?)
    }
}

/// A refresh token that was already exchanged for its successor: whose, and on which session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ReplacedRefreshToken {
    pub session_id: Uuid,
    pub user_id: Uuid,
}

impl crate::client::AuthnTx<'_> {
    /// The token with this hash if it was replaced by a rotation (so presenting it again is
    /// reuse), in the transaction's namespace. Not a spec function: the core's
    /// `rotate_refresh_token` answers every refusal alike, and the API must tell reuse (revoke
    /// the session too) from a token that is merely unknown or expired.
    pub async fn replaced_refresh_token(
        &mut self,
        token_hash: &str,
    ) -> crate::error::Result<Option<ReplacedRefreshToken>> {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_as(
            "SELECT session_id, user_id FROM authn.refresh_tokens \
              WHERE namespace = $1 AND token_hash = $2 AND replaced_by IS NOT NULL",
        )
        .bind(ns)
        .bind(token_hash)
        .fetch_optional(conn)
        .await?)
    }
}
