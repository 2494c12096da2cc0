//! Typed results of the core's functions, one struct per result shape of spec §5, with fields
//! named like the result columns. Nullable columns are `Option`; secrets (password hash, MFA
//! secret) are kept out of `Debug` output so they cannot end up in logs by accident.

use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use uuid::Uuid;

pub type Timestamp = DateTime<Utc>;

/// `get_user`, `get_user_by_email`, `list_users`, `get_users_batch`.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct User {
    pub user_id: Uuid,
    pub email: String,
    pub email_verified_at: Option<Timestamp>,
    pub disabled_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// `get_credentials`: the only result carrying a password hash.
#[derive(Clone, PartialEq, Eq, FromRow)]
pub struct Credentials {
    pub user_id: Uuid,
    pub password_hash: Option<String>,
    pub disabled_at: Option<Timestamp>,
}

/// What a password sign-in reads before verifying: see `AuthnTx::password_check`.
#[derive(Debug)]
pub struct PasswordCheck {
    /// At or past the failure threshold within the window.
    pub locked: bool,
    /// The account's, if the address has one.
    pub credentials: Option<Credentials>,
    /// The account's address is confirmed (false without an account).
    pub email_verified: bool,
    /// The account has an MFA method (false without an account).
    pub has_mfa: bool,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user_id", &self.user_id)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "<redacted>"),
            )
            .field("disabled_at", &self.disabled_at)
            .finish()
    }
}

/// `validate_session`. During a tenant-local impersonation `user_id`/`email` are the target's.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct ValidatedSession {
    pub user_id: Uuid,
    pub email: String,
    pub session_id: Uuid,
    pub is_impersonating: bool,
    pub impersonator_id: Option<Uuid>,
    pub impersonator_email: Option<String>,
    pub impersonation_reason: Option<String>,
}

/// `list_sessions`.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct SessionInfo {
    pub session_id: Uuid,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub ip_address: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// `create_refresh_token`.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct NewRefreshToken {
    pub refresh_token_id: Uuid,
    pub family_id: Uuid,
    pub expires_at: Timestamp,
}

/// `rotate_refresh_token`.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct RotatedRefreshToken {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub new_refresh_token_id: Uuid,
    pub family_id: Uuid,
    pub generation: i32,
    pub expires_at: Timestamp,
}

/// `validate_refresh_token` (`is_current` is always true when a row comes back, D11).
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct ValidatedRefreshToken {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub family_id: Uuid,
    pub generation: i32,
    pub expires_at: Timestamp,
    pub is_current: bool,
}

/// `list_refresh_tokens`.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct RefreshTokenInfo {
    pub refresh_token_id: Uuid,
    pub session_id: Uuid,
    pub family_id: Uuid,
    pub generation: i32,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// `validate_api_key`.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct ValidatedApiKey {
    pub user_id: Uuid,
    pub key_id: Uuid,
    pub name: Option<String>,
    pub expires_at: Option<Timestamp>,
}

/// `list_api_keys`.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct ApiKeyInfo {
    pub key_id: Uuid,
    pub name: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

/// `consume_token`, `verify_email`. The owner may be disabled (D12): check before acting.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct TokenOwner {
    pub user_id: Uuid,
    pub email: String,
}

/// `get_mfa`: carries the stored secret, for the caller to verify a code or assertion.
#[derive(Clone, PartialEq, Eq, FromRow)]
pub struct MfaSecret {
    pub mfa_id: Uuid,
    pub secret: String,
    pub name: Option<String>,
}

impl fmt::Debug for MfaSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MfaSecret")
            .field("mfa_id", &self.mfa_id)
            .field("secret", &"<redacted>")
            .field("name", &self.name)
            .finish()
    }
}

/// `list_mfa`.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct MfaMethod {
    pub mfa_id: Uuid,
    pub mfa_type: String,
    pub name: Option<String>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

/// `get_recent_attempts`.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct LoginAttempt {
    pub success: bool,
    pub ip_address: Option<IpAddr>,
    pub attempted_at: Timestamp,
}

/// `cleanup_expired`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromRow, Serialize)]
pub struct CleanupCounts {
    pub sessions_deleted: i64,
    pub tokens_deleted: i64,
    pub refresh_tokens_deleted: i64,
    pub api_keys_deleted: i64,
    pub attempts_deleted: i64,
}

/// `get_stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromRow, Serialize)]
pub struct Stats {
    pub user_count: i64,
    pub verified_user_count: i64,
    pub disabled_user_count: i64,
    pub active_session_count: i64,
    pub active_refresh_token_count: i64,
    pub active_api_key_count: i64,
    pub mfa_enabled_user_count: i64,
}

/// `start_impersonation`, `start_operator_impersonation`.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct NewImpersonation {
    pub impersonation_id: Uuid,
    pub impersonation_session_id: Uuid,
    pub expires_at: Timestamp,
}

/// `original_session_after_impersonation` (client read, not a spec function): the session an
/// impersonation was started from.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct OriginalSession {
    pub user_id: Uuid,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// `get_impersonation_context`: always one row; the optional fields are set only while
/// `is_impersonating`.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct ImpersonationContext {
    pub is_impersonating: bool,
    pub impersonation_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub actor_email: Option<String>,
    pub target_user_id: Option<Uuid>,
    pub reason: Option<String>,
    pub started_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
}

/// `list_active_impersonations`.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct ActiveImpersonation {
    pub impersonation_id: Uuid,
    pub actor_id: Uuid,
    pub actor_email: String,
    pub target_user_id: Uuid,
    pub target_email: String,
    pub reason: String,
    pub started_at: Timestamp,
    pub expires_at: Timestamp,
    pub impersonation_session_id: Option<Uuid>,
}

/// `list_impersonation_history`.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct ImpersonationRecord {
    pub impersonation_id: Uuid,
    pub actor_id: Uuid,
    pub actor_email: String,
    pub target_user_id: Uuid,
    pub target_email: String,
    pub reason: String,
    pub started_at: Timestamp,
    pub expires_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub is_active: bool,
}

/// `get_operator_impersonation_context`: always one row.
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct OperatorImpersonationContext {
    pub is_operator_impersonating: bool,
    pub impersonation_id: Option<Uuid>,
    pub operator_id: Option<Uuid>,
    pub operator_email: Option<String>,
    pub operator_namespace: Option<String>,
    pub target_user_id: Option<Uuid>,
    pub target_user_email: Option<String>,
    pub target_namespace: Option<String>,
    pub reason: Option<String>,
    pub ticket_reference: Option<String>,
    pub started_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
}

/// `list_operator_impersonations_for_target` (the tenant's view).
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct OperatorImpersonationOfTarget {
    pub impersonation_id: Uuid,
    pub operator_id: Uuid,
    pub operator_email: String,
    pub operator_namespace: String,
    pub target_user_id: Uuid,
    pub target_user_email: String,
    pub reason: String,
    pub ticket_reference: Option<String>,
    pub started_at: Timestamp,
    pub expires_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub is_active: bool,
}

/// `list_operator_impersonations_by_operator` (the operator's own history).
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct OperatorImpersonationByOperator {
    pub impersonation_id: Uuid,
    pub target_user_id: Uuid,
    pub target_user_email: String,
    pub target_namespace: String,
    pub reason: String,
    pub ticket_reference: Option<String>,
    pub started_at: Timestamp,
    pub expires_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub is_active: bool,
}

/// `list_active_operator_impersonations` (the platform dashboard).
#[derive(Clone, Debug, PartialEq, Eq, FromRow, Serialize)]
pub struct ActiveOperatorImpersonation {
    pub impersonation_id: Uuid,
    pub operator_id: Uuid,
    pub operator_email: String,
    pub operator_namespace: String,
    pub target_user_id: Uuid,
    pub target_user_email: String,
    pub target_namespace: String,
    pub reason: String,
    pub ticket_reference: Option<String>,
    pub started_at: Timestamp,
    pub expires_at: Timestamp,
    pub impersonation_session_id: Option<Uuid>,
}

/// `get_operator_audit_events`.
#[derive(Clone, Debug, PartialEq, FromRow, Serialize)]
pub struct OperatorAuditEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub occurred_at: Timestamp,
    pub operator_namespace: String,
    pub operator_id: Uuid,
    pub operator_email: String,
    pub target_namespace: String,
    pub target_user_id: Uuid,
    pub target_user_email: String,
    pub reason: String,
    pub ticket_reference: Option<String>,
    pub ip_address: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub details: Option<serde_json::Value>,
}

/// A row of `authn.audit_events` (§6.4), all fifteen columns.
#[derive(Clone, Debug, PartialEq, FromRow, Serialize)]
pub struct AuditEvent {
    pub id: i64,
    pub event_id: Option<Uuid>,
    pub event_type: String,
    pub event_time: Timestamp,
    pub actor_id: Option<String>,
    pub request_id: Option<String>,
    pub reason: Option<String>,
    pub on_behalf_of: Option<String>,
    pub namespace: String,
    pub resource_type: String,
    pub resource_id: String,
    pub ip_address: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub old_values: Option<serde_json::Value>,
    pub new_values: Option<serde_json::Value>,
}
