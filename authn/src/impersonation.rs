//! Tenant-local impersonation: an admin acting as a user of the same namespace (spec §5.12,
//! §7.1). The core does not decide who may impersonate whom; the caller authorises first.

use chrono::TimeDelta;
use uuid::Uuid;

use crate::client::core_operations;
use crate::error::AuthnError;
use crate::types::{
    ActiveImpersonation, ImpersonationContext, ImpersonationRecord, NewImpersonation,
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
