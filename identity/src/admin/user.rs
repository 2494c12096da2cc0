//! One account as its admin sees and changes it: the profile with everything signed in to it,
//! and the actions (disable, enable, delete, sessions, sign-in methods, keys, verification).
//! Each action checks that what it names belongs to the account, in the same transaction that
//! changes it; the core's audit events carry the admin's actor.

use authn::{
    ApiKeyInfo, AuditEvent, AuditQuery, Authn, AuthnTx, ImpersonationRecord, LoginAttempt,
    MfaMethod, MfaType, SessionInfo, TokenType, User,
};
use chrono::TimeDelta;
use uuid::Uuid;

use super::AdminError;
use crate::email::EmailAddress;
use crate::lockout::LockoutPolicy;
use crate::roles::{self, Roles};
use crate::token::OpaqueToken;

/// How many rows of each history the detail page shows (the audit log has the rest).
pub const HISTORY: i32 = 20;

#[derive(Clone, Debug)]
pub struct AccountDetail {
    pub user: User,
    pub roles: Roles,
    pub locked_out: bool,
    /// The newest live sessions, as many as asked for; `sessions_total` counts them all.
    pub sessions: Vec<SessionInfo>,
    pub sessions_total: i64,
    pub methods: Vec<MfaMethod>,
    pub api_keys: Vec<ApiKeyInfo>,
    pub attempts: Vec<LoginAttempt>,
    pub timeline: Vec<AuditEvent>,
    /// The timeline's actors and resources, named (in its order).
    pub timeline_names: Vec<super::audit_names::NamedEvent>,
    pub impersonations: Vec<ImpersonationRecord>,
}

/// The user and what hangs off it, read in one transaction, with the newest `sessions` of
/// their live sessions.
#[tracing::instrument(skip_all)]
pub async fn detail(
    authn: &Authn,
    user_id: Uuid,
    sessions: i64,
    lockout: LockoutPolicy,
    operator_namespace: &str,
) -> Result<AccountDetail, AdminError> {
    let mut tx = authn.begin().await?;
    let user = user_in_namespace(&mut tx, user_id).await?;
    let roles = roles::roles_of(&mut tx, user_id, operator_namespace).await?;
    let locked_out = lockout.is_locked(&mut tx, &user.email).await?;
    let (sessions, sessions_total) = tx.newest_sessions(user_id, sessions).await?;
    let methods = tx.list_mfa(user_id).await?;
    let api_keys = tx.list_api_keys(user_id).await?;
    let attempts = tx.get_recent_attempts(&user.email, Some(HISTORY)).await?;
    let timeline = tx
        .get_audit_events(&AuditQuery {
            limit: i64::from(HISTORY),
            resource_type: Some("user".into()),
            resource_id: Some(user_id.to_string()),
            ..AuditQuery::default()
        })
        .await?;
    let timeline_names = super::audit_names::name_events(&mut tx, &timeline).await?;
    let impersonations = tx
        .list_impersonation_history(Some(HISTORY), None, Some(user_id))
        .await?;
    tx.commit().await?;
    Ok(AccountDetail {
        user,
        roles,
        locked_out,
        sessions,
        sessions_total,
        methods,
        api_keys,
        attempts,
        timeline,
        timeline_names,
        impersonations,
    })
}

/// The user, if they belong to the transaction's namespace.
#[tracing::instrument(skip_all)]
pub async fn user_in_namespace(tx: &mut AuthnTx<'_>, user_id: Uuid) -> Result<User, AdminError> {
    tx.get_user(user_id).await?.ok_or(AdminError::UnknownUser)
}

/// The address of the user, if they belong to the client's namespace.
#[tracing::instrument(skip_all)]
pub async fn user_exists(authn: &Authn, user_id: Uuid) -> Result<String, AdminError> {
    Ok(authn
        .get_user(user_id)
        .await?
        .ok_or(AdminError::UnknownUser)?
        .email)
}

/// Whose access an action may take away. The console acts on unprivileged users only: an
/// admin who could disable, delete, strip or unlock another admin could lock every other
/// admin out, or undo their protections. That takes the command line (`gatehouse account`),
/// run by whoever runs the deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reach {
    Unprivileged,
    Anyone,
}

async fn target(tx: &mut AuthnTx<'_>, user_id: Uuid, reach: Reach) -> Result<User, AdminError> {
    let user = user_in_namespace(tx, user_id).await?;
    if reach == Reach::Unprivileged && crate::roles::holds_any_role(tx, user_id).await? {
        return Err(AdminError::PrivilegedAccount);
    }
    Ok(user)
}

/// Disables the account, which signs it out everywhere (the core revokes its sessions) and
/// ends its API keys' and refresh tokens' use. An admin cannot disable themselves, another
/// admin or an operator.
#[tracing::instrument(skip_all)]
pub async fn disable(authn: &Authn, admin_id: Uuid, user_id: Uuid) -> Result<bool, AdminError> {
    if admin_id == user_id {
        return Err(AdminError::OwnAccount);
    }
    disable_within(authn, user_id, Reach::Unprivileged).await
}

/// [`disable`] for the command line: any account, admins and operators included.
#[tracing::instrument(skip_all)]
pub async fn disable_any(authn: &Authn, user_id: Uuid) -> Result<bool, AdminError> {
    disable_within(authn, user_id, Reach::Anyone).await
}

async fn disable_within(authn: &Authn, user_id: Uuid, reach: Reach) -> Result<bool, AdminError> {
    let mut tx = authn.begin().await?;
    target(&mut tx, user_id, reach).await?;
    let changed = tx.disable_user(user_id).await?;
    tx.revoke_all_refresh_tokens(user_id).await?;
    tx.commit().await?;
    Ok(changed)
}

/// Enables a disabled account. Not an admin's or an operator's: the command line disabled it
/// (the console cannot), and a colleague in the console must not undo that.
#[tracing::instrument(skip_all)]
pub async fn enable(authn: &Authn, user_id: Uuid) -> Result<bool, AdminError> {
    enable_within(authn, user_id, Reach::Unprivileged).await
}

/// [`enable`] for the command line: any account, admins and operators included.
#[tracing::instrument(skip_all)]
pub async fn enable_any(authn: &Authn, user_id: Uuid) -> Result<bool, AdminError> {
    enable_within(authn, user_id, Reach::Anyone).await
}

async fn enable_within(authn: &Authn, user_id: Uuid, reach: Reach) -> Result<bool, AdminError> {
    let mut tx = authn.begin().await?;
    target(&mut tx, user_id, reach).await?;
    let changed = tx.enable_user(user_id).await?;
    tx.commit().await?;
    Ok(changed)
}

/// Deletes the account for good; `typed_email` must be its address (the confirmation).
#[tracing::instrument(skip_all)]
pub async fn delete(
    authn: &Authn,
    admin_id: Uuid,
    user_id: Uuid,
    typed_email: &str,
) -> Result<String, AdminError> {
    if admin_id == user_id {
        return Err(AdminError::OwnAccount);
    }
    let mut tx = authn.begin().await?;
    let user = target(&mut tx, user_id, Reach::Unprivileged).await?;
    if !typed_email.trim().eq_ignore_ascii_case(&user.email) {
        return Err(AdminError::ConfirmationMismatch);
    }
    if !tx.delete_user(user_id).await? {
        return Err(AdminError::UnknownUser);
    }
    tx.commit().await?;
    Ok(user.email)
}

/// Deletes any account, admins and operators included (the command line).
#[tracing::instrument(skip_all)]
pub async fn delete_any(authn: &Authn, user_id: Uuid) -> Result<(), AdminError> {
    let mut tx = authn.begin().await?;
    target(&mut tx, user_id, Reach::Anyone).await?;
    if !tx.delete_user(user_id).await? {
        return Err(AdminError::UnknownUser);
    }
    tx.commit().await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn revoke_session(
    authn: &Authn,
    user_id: Uuid,
    session_id: Uuid,
) -> Result<(), AdminError> {
    let mut tx = authn.begin().await?;
    user_in_namespace(&mut tx, user_id).await?;
    if !tx.revoke_session_by_id(session_id, user_id).await? {
        return Err(AdminError::UnknownSession);
    }
    tx.commit().await?;
    Ok(())
}

/// Signs the user out everywhere: sessions and refresh tokens. Returns the sessions ended.
#[tracing::instrument(skip_all)]
pub async fn revoke_all_sessions(authn: &Authn, user_id: Uuid) -> Result<i32, AdminError> {
    let mut tx = authn.begin().await?;
    user_in_namespace(&mut tx, user_id).await?;
    let count = tx.revoke_all_sessions(user_id).await?;
    tx.revoke_all_refresh_tokens(user_id).await?;
    tx.commit().await?;
    Ok(count)
}

/// Removes one second factor of the user (with the app's state beside the core's record).
#[tracing::instrument(skip_all)]
pub async fn remove_method(authn: &Authn, user_id: Uuid, mfa_id: Uuid) -> Result<(), AdminError> {
    let mut tx = authn.begin().await?;
    target(&mut tx, user_id, Reach::Unprivileged).await?;
    if !tx
        .list_mfa(user_id)
        .await?
        .iter()
        .any(|m| m.mfa_id == mfa_id)
    {
        return Err(AdminError::UnknownMethod);
    }
    forget_method_state(&mut tx, mfa_id).await?;
    if !tx.remove_mfa(mfa_id).await? {
        return Err(AdminError::UnknownMethod);
    }
    tx.commit().await?;
    Ok(())
}

/// Removes every second factor of the user (a lost phone); returns how many.
#[tracing::instrument(skip_all)]
pub async fn reset_methods(authn: &Authn, user_id: Uuid) -> Result<usize, AdminError> {
    reset_methods_within(authn, user_id, Reach::Unprivileged).await
}

/// [`reset_methods`] for the command line: any account, admins and operators included.
#[tracing::instrument(skip_all)]
pub async fn reset_methods_any(authn: &Authn, user_id: Uuid) -> Result<usize, AdminError> {
    reset_methods_within(authn, user_id, Reach::Anyone).await
}

async fn reset_methods_within(
    authn: &Authn,
    user_id: Uuid,
    reach: Reach,
) -> Result<usize, AdminError> {
    let mut tx = authn.begin().await?;
    target(&mut tx, user_id, reach).await?;
    let methods = tx.list_mfa(user_id).await?;
    for m in &methods {
        forget_method_state(&mut tx, m.mfa_id).await?;
        tx.remove_mfa(m.mfa_id).await?;
    }
    tx.commit().await?;
    Ok(methods.len())
}

async fn forget_method_state(tx: &mut AuthnTx<'_>, mfa_id: Uuid) -> Result<(), AdminError> {
    for table in ["gatehouse.passkeys", "gatehouse.totp_last_steps"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE mfa_id = $1"))
            .bind(mfa_id)
            .execute(tx.conn())
            .await?;
    }
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn revoke_api_key(authn: &Authn, user_id: Uuid, key_id: Uuid) -> Result<(), AdminError> {
    user_exists(authn, user_id).await?;
    crate::api_keys::revoke(authn, user_id, key_id)
        .await
        .map_err(|e| match e {
            crate::api_keys::ApiKeyError::Internal(e) => AdminError::Internal(e),
            crate::api_keys::ApiKeyError::UnknownKey
            | crate::api_keys::ApiKeyError::InvalidName => AdminError::UnknownKey,
        })
}

/// Marks the address confirmed, as the owner's own link would (the core's `verify_email`,
/// audited as `email_verified` under the admin). Returns false if it already was.
///
/// Only for an account whose password, if any, an admin set (its owner replaces it at the
/// first sign-in). A password chosen at sign-up may be an attacker's, who signed up with
/// somebody else's address (pre-hijacking): confirming the address would let that password in,
/// so only the owner's own link confirms such an account (it also makes them choose the
/// password; see `Flows::verify_email`).
#[tracing::instrument(skip_all)]
pub async fn mark_verified(authn: &Authn, user_id: Uuid) -> Result<bool, AdminError> {
    let mut tx = authn.begin().await?;
    let user = user_in_namespace(&mut tx, user_id).await?;
    if user.email_verified_at.is_some() {
        return Ok(false);
    }
    EmailAddress::parse(&user.email)?;
    let has_password = tx
        .get_credentials(&user.email)
        .await?
        .is_some_and(|c| c.password_hash.is_some());
    if has_password && !crate::required_password_change::is_required(&mut tx, user_id).await? {
        return Err(AdminError::OwnerMustConfirm);
    }
    let token = OpaqueToken::generate();
    tx.create_token(
        user_id,
        &token.hash(),
        TokenType::EmailVerify,
        Some(TimeDelta::minutes(1)),
    )
    .await?;
    tx.verify_email(&token.hash()).await?;
    tx.commit().await?;
    Ok(true)
}

/// The MFA type names the page shows.
pub fn method_label(mfa_type: &str) -> &'static str {
    match mfa_type {
        t if t == MfaType::Totp.as_str() => "Authenticator app",
        t if t == MfaType::Webauthn.as_str() => "Passkey",
        t if t == MfaType::RecoveryCodes.as_str() => "Recovery code",
        _ => "Other",
    }
}
