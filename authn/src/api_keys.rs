//! Long-lived API keys (spec §5.5).

use chrono::TimeDelta;
use uuid::Uuid;

use crate::client::{core_operations, Authn, AuthnTx};
use crate::error::Result;
use crate::types::{ApiKeyInfo, ValidatedApiKey};

core_operations! {
    /// Stores a key (hashed by the caller); `expires_in: None` = never expires.
    pub async fn create_api_key(&mut self, user_id: Uuid, key_hash: &str, name: Option<&str>, expires_in: Option<TimeDelta>) -> Uuid {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.create_api_key($1, $2, $3, $4, $5)")
            .bind(user_id)
            .bind(key_hash)
            .bind(name)
            .bind(expires_in)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }

    /// Revokes a key by id. The core does not check ownership: callers must.
    pub async fn revoke_api_key(&mut self, key_id: Uuid) -> bool {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.revoke_api_key($1, $2)")
            .bind(key_id)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }

    /// Revokes every key of the user; returns how many.
    pub async fn revoke_all_api_keys(&mut self, user_id: Uuid) -> i32 {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.revoke_all_api_keys($1, $2)")
            .bind(user_id)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }

    /// The user's usable keys, newest first (no hashes).
    pub async fn list_api_keys(&mut self, user_id: Uuid) -> Vec<ApiKeyInfo> {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_as("SELECT * FROM authn.list_api_keys($1, $2)")
            .bind(user_id)
            .bind(ns)
            .fetch_all(conn)
            .await?)
    }
}

impl AuthnTx<'_> {
    /// The key's owner if the key is valid (records the use).
    pub async fn validate_api_key(&mut self, key_hash: &str) -> Result<Option<ValidatedApiKey>> {
        let (conn, ns) = self.parts();
        Ok(
            sqlx::query_as("SELECT * FROM authn.validate_api_key($1, $2)")
                .bind(key_hash)
                .bind(ns)
                .fetch_optional(conn)
                .await?,
        )
    }
}

impl Authn {
    /// The key's owner if the key is valid (records the use), in one round trip.
    pub async fn validate_api_key(&self, key_hash: &str) -> Result<Option<ValidatedApiKey>> {
        Ok(sqlx::query_as(
            "SELECT v.* FROM set_config('authn.tenant_id', $2, true) AS t(ns) \
             CROSS JOIN LATERAL authn.validate_api_key($1, t.ns) AS v",
        )
        .bind(key_hash)
        .bind(self.namespace())
        .fetch_optional(self.pool())
        .await?)
    }
}
