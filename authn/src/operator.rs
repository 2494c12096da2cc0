//! Operator impersonation: platform staff acting as a user of any namespace (spec §5.13,
//! §7.2). These functions need a database role granted `authn_operator`; they ignore the
//! client's namespace (the operator's comes from their session, the target's is explicit).

use chrono::TimeDelta;
use uuid::Uuid;

use crate::client::core_operations;
use crate::error::AuthnError;
use crate::types::{
    ActiveOperatorImpersonation, NewImpersonation, OperatorAuditEvent,
    OperatorImpersonationByOperator, OperatorImpersonationContext, OperatorImpersonationOfTarget,
};

/// Input of `start_operator_impersonation`.
#[derive(Clone, Copy, Debug)]
pub struct StartOperatorImpersonation<'a> {
    /// The operator's own, valid session (in any namespace).
    pub operator_session_id: Uuid,
    pub target_user_id: Uuid,
    pub target_namespace: &'a str,
    /// Hash of the token of the session created for the target.
    pub token_hash: &'a str,
    /// Required justification, stored trimmed.
    pub reason: &'a str,
    /// `None` = configured default (30 minutes); at most the configured maximum (4 hours).
    pub duration: Option<TimeDelta>,
    /// External ticket, stored trimmed; blank = none.
    pub ticket_reference: Option<&'a str>,
}

/// Filters of `get_operator_audit_events`.
#[derive(Clone, Debug)]
pub struct OperatorAuditQuery<'a> {
    pub limit: Option<i32>,
    pub event_type: Option<&'a str>,
    pub operator_namespace: Option<&'a str>,
    pub target_namespace: Option<&'a str>,
}

impl Default for OperatorAuditQuery<'_> {
    fn default() -> Self {
        OperatorAuditQuery {
            limit: Some(100),
            event_type: None,
            operator_namespace: None,
            target_namespace: None,
        }
    }
}

core_operations! {
    /// Creates a session of the target in the target namespace for the operator.
    pub async fn start_operator_impersonation(&mut self, start: StartOperatorImpersonation<'_>) -> NewImpersonation {
        let (conn, _) = self.parts();
        let row: Option<NewImpersonation> = sqlx::query_as(
            "SELECT * FROM authn.start_operator_impersonation($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(start.operator_session_id)
        .bind(start.target_user_id)
        .bind(start.target_namespace)
        .bind(start.token_hash)
        .bind(start.reason)
        .bind(start.duration)
        .bind(start.ticket_reference)
        .fetch_optional(conn)
        .await?;
        row.ok_or(AuthnError::MissingRow("Failed to start operator impersonation"))
    }

    /// Ends it and revokes its session; `false` if unknown or already ended.
    pub async fn end_operator_impersonation(&mut self, impersonation_id: Uuid) -> bool {
        let (conn, _) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.end_operator_impersonation($1)")
            .bind(impersonation_id)
            .fetch_one(conn)
            .await?)
    }

    /// Whether `session_id` is a live operator-impersonation session, with its details.
    pub async fn get_operator_impersonation_context(&mut self, session_id: Uuid) -> OperatorImpersonationContext {
        let (conn, _) = self.parts();
        let row: Option<OperatorImpersonationContext> =
            sqlx::query_as("SELECT * FROM authn.get_operator_impersonation_context($1)")
                .bind(session_id)
                .fetch_optional(conn)
                .await?;
        Ok(row.unwrap_or(OperatorImpersonationContext {
            is_operator_impersonating: false,
            impersonation_id: None,
            operator_id: None,
            operator_email: None,
            operator_namespace: None,
            target_user_id: None,
            target_user_email: None,
            target_namespace: None,
            reason: None,
            ticket_reference: None,
            started_at: None,
            expires_at: None,
        }))
    }

    /// Operator impersonations into `target_namespace` (the tenant's view), ended ones too.
    pub async fn list_operator_impersonations_for_target(&mut self, target_namespace: &str, limit: Option<i32>, target_user_id: Option<Uuid>) -> Vec<OperatorImpersonationOfTarget> {
        let (conn, _) = self.parts();
        Ok(sqlx::query_as("SELECT * FROM authn.list_operator_impersonations_for_target($1, $2, $3)")
            .bind(target_namespace)
            .bind(limit)
            .bind(target_user_id)
            .fetch_all(conn)
            .await?)
    }

    /// One operator's history across namespaces.
    pub async fn list_operator_impersonations_by_operator(&mut self, operator_id: Uuid, operator_namespace: &str, limit: Option<i32>) -> Vec<OperatorImpersonationByOperator> {
        let (conn, _) = self.parts();
        Ok(sqlx::query_as("SELECT * FROM authn.list_operator_impersonations_by_operator($1, $2, $3)")
            .bind(operator_id)
            .bind(operator_namespace)
            .bind(limit)
            .fetch_all(conn)
            .await?)
    }

    /// Operator impersonations in effect now, platform-wide.
    pub async fn list_active_operator_impersonations(&mut self, limit: Option<i32>) -> Vec<ActiveOperatorImpersonation> {
        let (conn, _) = self.parts();
        Ok(sqlx::query_as("SELECT * FROM authn.list_active_operator_impersonations($1)")
            .bind(limit)
            .fetch_all(conn)
            .await?)
    }

    /// Operator audit events matching every filter that is set, newest first.
    pub async fn get_operator_audit_events(&mut self, query: &OperatorAuditQuery<'_>) -> Vec<OperatorAuditEvent> {
        let (conn, _) = self.parts();
        Ok(sqlx::query_as("SELECT * FROM authn.get_operator_audit_events($1, $2, $3, $4)")
            .bind(query.limit)
            .bind(query.event_type)
            .bind(query.operator_namespace)
            .bind(query.target_namespace)
            .fetch_all(conn)
            .await?)
    }
}
