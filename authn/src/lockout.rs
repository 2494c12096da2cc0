//! Login attempts and lockout (spec §5.8).

use std::net::IpAddr;

use chrono::TimeDelta;

use crate::client::{core_operations, Authn, AuthnTx};
use crate::error::Result;
use crate::types::LoginAttempt;

core_operations! {
    /// Records an attempt; a failure is audited (`lockout_triggered` at or past the threshold).
    pub async fn record_login_attempt(&mut self, email: &str, success: bool, ip_address: Option<IpAddr>) -> () {
        let (conn, ns) = self.parts();
        sqlx::query("SELECT authn.record_login_attempt($1, $2, $3, $4)")
            .bind(email)
            .bind(success)
            .bind(ip_address)
            .bind(ns)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// The latest attempts for the e-mail, newest first (at most 100).
    pub async fn get_recent_attempts(&mut self, email: &str, limit: Option<i32>) -> Vec<LoginAttempt> {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_as("SELECT * FROM authn.get_recent_attempts($1, $2, $3)")
            .bind(email)
            .bind(ns)
            .bind(limit)
            .fetch_all(conn)
            .await?)
    }

    /// Deletes all attempts for the e-mail (the unlock); returns how many.
    pub async fn clear_attempts(&mut self, email: &str) -> i64 {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.clear_attempts($1, $2)")
            .bind(email)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }
}

impl AuthnTx<'_> {
    /// Whether the e-mail has at least `max_attempts` failures within `window` (defaults:
    /// the configured 5 in 15 minutes).
    pub async fn is_locked_out(
        &mut self,
        email: &str,
        window: Option<TimeDelta>,
        max_attempts: Option<i32>,
    ) -> Result<bool> {
        let (conn, ns) = self.parts();
        Ok(
            sqlx::query_scalar("SELECT authn.is_locked_out($1, $2, $3, $4)")
                .bind(email)
                .bind(ns)
                .bind(window)
                .bind(max_attempts)
                .fetch_one(conn)
                .await?,
        )
    }
}

impl Authn {
    /// Whether the e-mail is locked out (see [`AuthnTx::is_locked_out`]), in one round trip.
    pub async fn is_locked_out(
        &self,
        email: &str,
        window: Option<TimeDelta>,
        max_attempts: Option<i32>,
    ) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT authn.is_locked_out($1, t.ns, $3, $4) \
             FROM set_config('authn.tenant_id', $2, true) AS t(ns)",
        )
        .bind(email)
        .bind(self.namespace())
        .bind(window)
        .bind(max_attempts)
        .fetch_one(self.pool())
        .await?)
    }
}
