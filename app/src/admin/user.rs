//! One user's page in the console: what the account is and holds, and what an admin may do
//! to it. Each action posts the user's id; the service checks that everything it names
//! belongs to that user of this namespace.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub user_id: String,
    pub email: String,
    pub verified: Option<String>,
    pub disabled: Option<String>,
    pub created: String,
    pub admin: bool,
    pub operator: bool,
    pub locked_out: bool,
    pub is_self: bool,
    /// The newest sessions, up to the page's limit; `sessions_total` says how many there are.
    pub sessions: Vec<SessionLine>,
    pub sessions_total: usize,
    pub methods: Vec<MethodLine>,
    pub api_keys: Vec<KeyLine>,
    pub attempts: Vec<AttemptLine>,
    pub timeline: Vec<super::audit::AuditLine>,
    pub impersonations: Vec<ImpersonationLine>,
    /// Platform support's accesses to this user (none listed without an operator pool).
    pub support_accesses: Vec<crate::support_access::SupportAccessLine>,
    pub impersonation_minutes: (i64, i64),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionLine {
    pub session_id: String,
    pub created: String,
    pub expires: String,
    pub ip_address: Option<String>,
    /// "Chrome 156 on Linux"; the raw user agent beside it.
    pub device: String,
    pub user_agent: Option<String>,
}

/// How many sessions the user's page lists at first, and at most when asked for all.
pub const SESSIONS_FIRST: i64 = 20;
pub const SESSIONS_ALL: i64 = 1000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodLine {
    pub mfa_id: String,
    pub kind: String,
    pub name: Option<String>,
    pub created: String,
    pub last_used: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyLine {
    pub key_id: String,
    pub name: Option<String>,
    pub created: String,
    pub expires: Option<String>,
    pub last_used: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptLine {
    pub success: bool,
    pub ip_address: Option<String>,
    pub at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImpersonationLine {
    pub impersonation_id: String,
    pub admin_email: String,
    pub target_email: String,
    pub reason: String,
    pub started: String,
    pub ended: Option<String>,
    pub active: bool,
}

#[cfg(feature = "ssr")]
impl ImpersonationLine {
    pub(crate) fn from_record(r: authn::ImpersonationRecord) -> ImpersonationLine {
        ImpersonationLine {
            impersonation_id: r.impersonation_id.to_string(),
            admin_email: r.actor_email,
            target_email: r.target_email,
            reason: r.reason,
            started: super::when(r.started_at),
            ended: r.ended_at.map(super::when),
            active: r.is_active,
        }
    }
}

#[server(endpoint = "admin_user")]
/// The user's page; with `all_sessions` every session rather than the newest few (a user may
/// hold thousands).
pub async fn admin_user(
    namespace: String,
    user_id: String,
    #[server(default)] all_sessions: bool,
) -> Result<AccountView, AppError> {
    let (state, caller, authn) = super::ssr::admin(&namespace, None).await?;
    let user_id = super::parse_id(&user_id, AppError::UnknownUser)?;
    let shown = if all_sessions {
        SESSIONS_ALL
    } else {
        SESSIONS_FIRST
    };
    let d = identity::admin::user::detail(
        &authn,
        user_id,
        shown,
        state.sign_in.lockout(),
        &state.operator_namespace,
    )
    .await?;
    let support_accesses = match state.operator_pool.clone() {
        Some(pool) => {
            let ops = authn::Authn::new(pool, authn.namespace()).await?;
            identity::support_access::into_namespace(&ops, &caller, Some(user_id), 20)
                .await?
                .into_iter()
                .map(|a| {
                    crate::support_access::SupportAccessLine::into_namespace(a, authn.namespace())
                })
                .collect()
        }
        None => Vec::new(),
    };
    let when = super::when;
    Ok(AccountView {
        support_accesses,
        user_id: d.user.user_id.to_string(),
        email: d.user.email,
        verified: d.user.email_verified_at.map(when),
        disabled: d.user.disabled_at.map(when),
        created: when(d.user.created_at),
        admin: d.roles.admin,
        operator: d.roles.operator,
        locked_out: d.locked_out,
        is_self: d.user.user_id == caller.user_id,
        sessions_total: usize::try_from(d.sessions_total).unwrap_or(usize::MAX),
        sessions: d
            .sessions
            .into_iter()
            .map(|s| SessionLine {
                device: identity::admin::audit_names::device_name(s.user_agent.as_deref()),
                session_id: s.session_id.to_string(),
                created: when(s.created_at),
                expires: when(s.expires_at),
                ip_address: s.ip_address.map(|ip| ip.to_string()),
                user_agent: s.user_agent,
            })
            .collect(),
        methods: d
            .methods
            .into_iter()
            .map(|m| MethodLine {
                mfa_id: m.mfa_id.to_string(),
                kind: identity::admin::user::method_label(&m.mfa_type).to_owned(),
                name: m.name,
                created: when(m.created_at),
                last_used: m.last_used_at.map(when),
            })
            .collect(),
        api_keys: d
            .api_keys
            .into_iter()
            .map(|k| KeyLine {
                key_id: k.key_id.to_string(),
                name: k.name,
                created: when(k.created_at),
                expires: k.expires_at.map(when),
                last_used: k.last_used_at.map(when),
            })
            .collect(),
        attempts: d
            .attempts
            .into_iter()
            .map(|a| AttemptLine {
                success: a.success,
                ip_address: a.ip_address.map(|ip| ip.to_string()),
                at: when(a.attempted_at),
            })
            .collect(),
        timeline: d
            .timeline
            .iter()
            .zip(d.timeline_names)
            .map(|(e, names)| super::audit::line(e, names))
            .collect(),
        impersonations: d
            .impersonations
            .into_iter()
            .map(ImpersonationLine::from_record)
            .collect(),
        impersonation_minutes: (
            state.impersonation.default_minutes(),
            state.impersonation.max_minutes(),
        ),
    })
}

/// Back to the user's page with the outcome `done` (a fixed word the page words).
#[cfg(feature = "ssr")]
fn back_to(namespace: &str, user_id: uuid::Uuid, done: vocabulary::Done) {
    leptos_axum::redirect(
        &vocabulary::Page::AdminUser(&user_id.to_string())
            .path_with(namespace, &[(vocabulary::Done::QUERY, done.as_str())]),
    );
}

/// What an action on a user's page starts with: the admin (checked first), the client acting
/// as them with the admin's optional note as the events' reason, and the user's id.
#[cfg(feature = "ssr")]
async fn target(
    namespace: &str,
    user_id: &str,
    note: &str,
) -> Result<
    (
        crate::state::AppState,
        crate::caller::ssr::Caller,
        authn::Authn,
        uuid::Uuid,
    ),
    AppError,
> {
    let (state, caller, _) = super::ssr::admin(namespace, None).await?;
    let note = identity::admin::Reason::optional(note)?;
    let authn = caller.as_admin(note.as_ref().map(identity::admin::Reason::as_str))?;
    let user_id = super::parse_id(user_id, AppError::UnknownUser)?;
    Ok((state, caller, authn, user_id))
}

#[server(endpoint = "admin_disable_user")]
pub async fn admin_disable_user(
    namespace: String,
    user_id: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    let (_, caller, authn, user_id) = target(&namespace, &user_id, &reason).await?;
    identity::admin::user::disable(&authn, caller.user_id, user_id).await?;
    back_to(&namespace, user_id, vocabulary::Done::Disabled);
    Ok(())
}

#[server(endpoint = "admin_enable_user")]
pub async fn admin_enable_user(
    namespace: String,
    user_id: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    let (_, _, authn, user_id) = target(&namespace, &user_id, &reason).await?;
    identity::admin::user::enable(&authn, user_id).await?;
    back_to(&namespace, user_id, vocabulary::Done::Enabled);
    Ok(())
}

#[server(endpoint = "admin_delete_user")]
pub async fn admin_delete_user(
    namespace: String,
    user_id: String,
    confirm_email: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    let (state, caller, authn, user_id) = target(&namespace, &user_id, &reason).await?;
    // Deleting cannot be undone: it takes a recent sign-in or password confirmation.
    caller.require_recent_authentication(&state).await?;
    identity::admin::user::delete(&authn, caller.user_id, user_id, &confirm_email).await?;
    leptos_axum::redirect(&vocabulary::Page::AdminUsers.path_with(&namespace, &[("deleted", "1")]));
    Ok(())
}

#[server(endpoint = "admin_revoke_session")]
pub async fn admin_revoke_session(
    namespace: String,
    user_id: String,
    session_id: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    use crate::error::{FieldProblem, FormField};
    let (_, _, authn, user_id) = target(&namespace, &user_id, &reason).await?;
    let session_id = super::parse_id(
        &session_id,
        AppError::field(FormField::SessionId, FieldProblem::UnknownDevice),
    )?;
    identity::admin::user::revoke_session(&authn, user_id, session_id).await?;
    back_to(&namespace, user_id, vocabulary::Done::SessionRevoked);
    Ok(())
}

#[server(endpoint = "admin_revoke_sessions")]
pub async fn admin_revoke_sessions(
    namespace: String,
    user_id: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    let (_, _, authn, user_id) = target(&namespace, &user_id, &reason).await?;
    identity::admin::user::revoke_all_sessions(&authn, user_id).await?;
    back_to(&namespace, user_id, vocabulary::Done::SessionsRevoked);
    Ok(())
}

#[server(endpoint = "admin_remove_method")]
pub async fn admin_remove_method(
    namespace: String,
    user_id: String,
    mfa_id: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    use crate::error::{FieldProblem, FormField};
    let (state, caller, authn, user_id) = target(&namespace, &user_id, &reason).await?;
    // As for resetting them all: removing them one by one strips the account as well.
    caller.require_recent_authentication(&state).await?;
    let mfa_id = super::parse_id(
        &mfa_id,
        AppError::field(FormField::MfaId, FieldProblem::UnknownMethod),
    )?;
    identity::admin::user::remove_method(&authn, user_id, mfa_id).await?;
    back_to(&namespace, user_id, vocabulary::Done::MethodRemoved);
    Ok(())
}

#[server(endpoint = "admin_reset_methods")]
pub async fn admin_reset_methods(
    namespace: String,
    user_id: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    let (state, caller, authn, user_id) = target(&namespace, &user_id, &reason).await?;
    // Stripping every second factor opens the account to a password alone: sudo mode first.
    caller.require_recent_authentication(&state).await?;
    identity::admin::user::reset_methods(&authn, user_id).await?;
    back_to(&namespace, user_id, vocabulary::Done::MethodsReset);
    Ok(())
}

#[server(endpoint = "admin_revoke_key")]
pub async fn admin_revoke_key(
    namespace: String,
    user_id: String,
    key_id: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    use crate::error::{FieldProblem, FormField};
    let (_, _, authn, user_id) = target(&namespace, &user_id, &reason).await?;
    let key_id = super::parse_id(
        &key_id,
        AppError::field(FormField::KeyId, FieldProblem::UnknownKey),
    )?;
    identity::admin::user::revoke_api_key(&authn, user_id, key_id).await?;
    back_to(&namespace, user_id, vocabulary::Done::KeyRevoked);
    Ok(())
}

#[server(endpoint = "admin_send_reset")]
pub async fn admin_send_reset(
    namespace: String,
    user_id: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    let (state, _, authn, user_id) = target(&namespace, &user_id, &reason).await?;
    identity::admin::user::user_exists(&authn, user_id).await?;
    state.flows.send_password_reset(&authn, user_id).await?;
    back_to(&namespace, user_id, vocabulary::Done::ResetSent);
    Ok(())
}

#[server(endpoint = "admin_resend_verification")]
pub async fn admin_resend_verification(
    namespace: String,
    user_id: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    let (state, _, authn, user_id) = target(&namespace, &user_id, &reason).await?;
    identity::admin::user::user_exists(&authn, user_id).await?;
    state.flows.resend_verification(&authn, user_id).await?;
    back_to(&namespace, user_id, vocabulary::Done::VerificationSent);
    Ok(())
}

#[server(endpoint = "admin_mark_verified")]
pub async fn admin_mark_verified(
    namespace: String,
    user_id: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    let (_, _, authn, user_id) = target(&namespace, &user_id, &reason).await?;
    if !identity::admin::user::mark_verified(&authn, user_id).await? {
        return Err(AppError::AlreadyVerified);
    }
    back_to(&namespace, user_id, vocabulary::Done::Verified);
    Ok(())
}

/// Unlocks the user's address with a reason (audited as `lockout_cleared`).
#[server(endpoint = "admin_unlock_user")]
pub async fn admin_unlock_user(
    namespace: String,
    user_id: String,
    reason: String,
) -> Result<(), AppError> {
    let (state, _, authn, user_id) = target(&namespace, &user_id, "").await?;
    // `unlock` records the reason on its own events.
    let reason = identity::admin::Reason::parse(&reason)?;
    let email = identity::admin::user::user_exists(&authn, user_id).await?;
    identity::admin::lockouts::unlock(&authn, state.sign_in.lockout(), &email, &reason).await?;
    back_to(&namespace, user_id, vocabulary::Done::Unlocked);
    Ok(())
}
