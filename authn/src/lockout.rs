//! Login attempts and lockout (spec §5.8).

use std::net::IpAddr;

use chrono::TimeDelta;

use crate::client::{core_operations, Authn, AuthnTx};
use crate::error::Result;
use crate::types::{Credentials, LoginAttempt, PasswordCheck};

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

impl AuthnTx<'_> {
    /// What a password sign-in reads before it verifies the password, in one statement (one
    /// round trip where there were four): whether the e-mail is locked out (as
    /// [`AuthnTx::is_locked_out`]), its credentials ([`AuthnTx::get_credentials`]), and for an
    /// account whether its address is confirmed and whether it has MFA ([`AuthnTx::get_user`],
    /// [`AuthnTx::has_mfa`]). An invalid e-mail is an error, as in those.
    ///
    /// Every part reads the statement's snapshot, so a caller serialising attempts on the
    /// address takes its lock in an earlier statement (`begin_serialised`).
    pub async fn password_check(
        &mut self,
        email: &str,
        window: Option<TimeDelta>,
        max_attempts: Option<i32>,
    ) -> Result<PasswordCheck> {
        let (conn, ns) = self.parts();
        type Row = (
            bool,
            Option<uuid::Uuid>,
            Option<String>,
            Option<crate::types::Timestamp>,
            bool,
            bool,
        );
        // `LIMIT 1` tells the planner each set-returning call yields one row: at its default
        // guess of 1,000 the estimate passes `jit_above_cost` and compiling the plan takes
        // longer than running it a hundred times.
        let (locked, user_id, password_hash, disabled_at, email_verified, has_mfa): Row =
            sqlx::query_as(
                "SELECT l.locked, c.user_id, c.password_hash, c.disabled_at, \
                        u.email_verified_at IS NOT NULL, \
                        CASE WHEN c.user_id IS NULL THEN false \
                             ELSE authn.has_mfa(c.user_id, $2) END \
                   FROM (SELECT authn.is_locked_out($1, $2, $3, $4) AS locked) AS l \
                   LEFT JOIN LATERAL (SELECT * FROM authn.get_credentials($1, $2) LIMIT 1) AS c \
                          ON true \
                   LEFT JOIN LATERAL (SELECT g.email_verified_at \
                                        FROM authn.get_user(c.user_id, $2) AS g LIMIT 1) AS u \
                          ON c.user_id IS NOT NULL",
            )
            .bind(email)
            .bind(ns)
            .bind(window)
            .bind(max_attempts)
            .fetch_one(conn)
            .await?;
        Ok(PasswordCheck {
            locked,
            credentials: user_id.map(|user_id| Credentials {
                user_id,
                password_hash,
                disabled_at,
            }),
            email_verified,
            has_mfa,
        })
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
