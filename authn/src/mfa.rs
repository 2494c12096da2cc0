//! MFA records (spec §5.7). The core stores secrets verbatim; encryption and code checks are
//! the caller's.

use std::fmt;

use uuid::Uuid;

use crate::client::core_operations;
use crate::types::{MfaMethod, MfaSecret};

/// The three kinds of MFA method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MfaType {
    Totp,
    Webauthn,
    RecoveryCodes,
}

impl MfaType {
    pub fn as_str(self) -> &'static str {
        match self {
            MfaType::Totp => "totp",
            MfaType::Webauthn => "webauthn",
            MfaType::RecoveryCodes => "recovery_codes",
        }
    }
}

impl fmt::Display for MfaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

core_operations! {
    /// Stores a method; several of one type are allowed. Returns its id.
    pub async fn add_mfa(&mut self, user_id: Uuid, mfa_type: MfaType, secret: &str, name: Option<&str>) -> Uuid {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.add_mfa($1, $2, $3, $4, $5)")
            .bind(user_id)
            .bind(mfa_type.as_str())
            .bind(secret)
            .bind(name)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }

    /// The user's methods of one type with their secrets, oldest first.
    pub async fn get_mfa(&mut self, user_id: Uuid, mfa_type: MfaType) -> Vec<MfaSecret> {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_as("SELECT * FROM authn.get_mfa($1, $2, $3)")
            .bind(user_id)
            .bind(mfa_type.as_str())
            .bind(ns)
            .fetch_all(conn)
            .await?)
    }

    /// All the user's methods without secrets, oldest first.
    pub async fn list_mfa(&mut self, user_id: Uuid) -> Vec<MfaMethod> {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_as("SELECT * FROM authn.list_mfa($1, $2)")
            .bind(user_id)
            .bind(ns)
            .fetch_all(conn)
            .await?)
    }

    /// Deletes a method by id. The core does not check ownership: callers must.
    pub async fn remove_mfa(&mut self, mfa_id: Uuid) -> bool {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.remove_mfa($1, $2)")
            .bind(mfa_id)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }

    /// Records a successful use (after the caller verified the code or assertion).
    pub async fn record_mfa_use(&mut self, mfa_id: Uuid) -> bool {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.record_mfa_use($1, $2)")
            .bind(mfa_id)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }

    /// Whether the user has any MFA method.
    pub async fn has_mfa(&mut self, user_id: Uuid) -> bool {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.has_mfa($1, $2)")
            .bind(user_id)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }
}
