//! Tenant-local impersonation: an admin acting as a user of the same namespace (spec §5.12,
//! §7.1). The core does not decide who may impersonate whom; the caller authorises first.

use chrono::TimeDelta;
use uuid::Uuid;

use crate::client::core_operations;
use crate::error::AuthnError;
use crate::types::{
    ActiveImpersonation, ImpersonationContext, ImpersonationRecord, NewImpersonation,
    OriginalSession, Timestamp,
};

/// Input of `start_impersonation`. Named fields because the SDK's argument order (reason
/// before token hash) differs from the SQL's (decision D20).
#[derive(Clone, Copy, Debug)]
pub struct StartImpersonation<'a> {
    /// The admin's own, valid session.
    pub actor_session_id: Uuid,
    pub target_user_id: Uuid,
    /// Required justification, stored trimmed.
    pub reason: &'a str,
    /// Hash of the token of the session created for the target.
    pub token_hash: &'a str,
    /// `None` = configured default (1 hour); at most the configured maximum (8 hours).
    pub duration: Option<TimeDelta>,
}

core_operations! {
    /// Creates a session of the target for the admin and records the impersonation.
    pub async fn start_impersonation(&mut self, start: StartImpersonation<'_>) -> NewImpersonation {
        let (conn, ns) = self.parts();
        let row: Option<NewImpersonation> =
            sqlx::query_as("SELECT * FROM authn.start_impersonation($1, $2, $3, $4, $5, $6)")
                .bind(start.actor_session_id)
                .bind(start.target_user_id)
                .bind(start.token_hash)
                .bind(start.reason)
                .bind(start.duration)
                .bind(ns)
                .fetch_optional(conn)
                .await?;
        row.ok_or(AuthnError::MissingRow("Failed to start impersonation"))
    }

    /// Ends it and revokes its session; `false` if unknown or already ended.
    pub async fn end_impersonation(&mut self, impersonation_id: Uuid) -> bool {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.end_impersonation($1, $2)")
            .bind(impersonation_id)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }

    /// Whether `session_id` is a live impersonation session, with its details.
    pub async fn get_impersonation_context(&mut self, session_id: Uuid) -> ImpersonationContext {
        let (conn, ns) = self.parts();
        let row: Option<ImpersonationContext> =
            sqlx::query_as("SELECT * FROM authn.get_impersonation_context($1, $2)")
                .bind(session_id)
                .bind(ns)
                .fetch_optional(conn)
                .await?;
        Ok(row.unwrap_or(ImpersonationContext {
            is_impersonating: false,
            impersonation_id: None,
            actor_id: None,
            actor_email: None,
            target_user_id: None,
            reason: None,
            started_at: None,
            expires_at: None,
        }))
    }

    /// Impersonations of the namespace that are in effect now, newest first.
    pub async fn list_active_impersonations(&mut self) -> Vec<ActiveImpersonation> {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_as("SELECT * FROM authn.list_active_impersonations($1)")
            .bind(ns)
            .fetch_all(conn)
            .await?)
    }

    /// All impersonations of the namespace, optionally of one admin and/or one target.
    pub async fn list_impersonation_history(&mut self, limit: Option<i32>, actor_id: Option<Uuid>, target_user_id: Option<Uuid>) -> Vec<ImpersonationRecord> {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_as("SELECT * FROM authn.list_impersonation_history($1, $2, $3, $4)")
            .bind(ns)
            .bind(limit)
            .bind(actor_id)
            .bind(target_user_id)
            .fetch_all(conn)
            .await?)
    }
}

// The way back from an impersonation. Not spec functions: client reads and writes over the
// core's tables (like `get_audit_events`, decision D14), so that no other crate queries them.
core_operations! {
    /// The live session an ended impersonation was started from, locked for the rest of the
    /// transaction: `impersonation_token_hash` must be the impersonation's session, the
    /// impersonation must have ended (or run out) within `ended_within`, and
    /// `original_token_hash` must be exactly the session it was started from.
    pub async fn original_session_after_impersonation(
        &mut self,
        impersonation_token_hash: &str,
        original_token_hash: &str,
        ended_within: TimeDelta,
    ) -> Option<OriginalSession> {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_as(
            "SELECT o.user_id, o.created_at, o.expires_at \
               FROM authn.impersonation_sessions i \
               JOIN authn.sessions s ON s.id = i.impersonation_session_id \
               JOIN authn.sessions o ON o.id = i.original_session_id \
              CROSS JOIN LATERAL (SELECT LEAST(COALESCE(i.ended_at, i.expires_at), i.expires_at) AS ended) e \
              WHERE i.namespace = $1 AND s.namespace = $1 AND o.namespace = $1 \
                AND s.token_hash = $2 AND o.token_hash = $3 \
                AND o.revoked_at IS NULL AND o.expires_at > now() \
                AND e.ended <= now() AND e.ended > now() - $4 \
                FOR UPDATE OF o",
        )
        .bind(ns)
        .bind(impersonation_token_hash)
        .bind(original_token_hash)
        .bind(ended_within)
        .fetch_optional(conn)
        .await?)
    }

    /// Moves a live session's expiry to at least `until`, never past `absolute` after its
    /// creation (a session kept waiting while its owner impersonates); `false` if there is
    /// no such live session.
    pub async fn keep_session_until(
        &mut self,
        session_id: Uuid,
        until: Timestamp,
        absolute: TimeDelta,
    ) -> bool {
        let (conn, ns) = self.parts();
        let kept = sqlx::query(
            "UPDATE authn.sessions \
                SET expires_at = LEAST(GREATEST(expires_at, $3), created_at + $4) \
              WHERE id = $1 AND namespace = $2 AND revoked_at IS NULL",
        )
        .bind(session_id)
        .bind(ns)
        .bind(until)
        .bind(absolute)
        .execute(conn)
        .await?;
        Ok(kept.rows_affected() == 1)
    }

    /// Dates a session's creation back to `created_at`, which its absolute lifetime counts
    /// from (a restored session continues the one it replaces); `false` if unknown.
    pub async fn backdate_session(&mut self, token_hash: &str, created_at: Timestamp) -> bool {
        let (conn, ns) = self.parts();
        let done = sqlx::query(
            "UPDATE authn.sessions SET created_at = $1 WHERE namespace = $2 AND token_hash = $3",
        )
        .bind(created_at)
        .bind(ns)
        .bind(token_hash)
        .execute(conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
