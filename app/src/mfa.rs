//! Server functions of two-step verification settings: the authenticator app and recovery
//! codes. Each resolves the caller, checks what the caller may do, calls the identity service
//! and maps its error.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The MFA page's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaStatusView {
    pub totp_added: Option<String>,
    pub totp_last_used: Option<String>,
    pub recovery_codes_left: usize,
    /// Few enough left to warn about.
    pub recovery_codes_low: bool,
    pub passkeys: usize,
}

#[server]
pub async fn mfa_overview(namespace: String) -> Result<MfaStatusView, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in_to_enrol(&state, &namespace).await?;
    let status = state
        .security
        .mfa_status(&caller.authn, caller.user_id)
        .await?;
    let when = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    Ok(MfaStatusView {
        totp_added: status.totp.as_ref().map(|m| when(m.created_at)),
        totp_last_used: status.totp.as_ref().and_then(|m| m.last_used_at).map(when),
        recovery_codes_left: status.recovery_codes_left,
        recovery_codes_low: status.recovery_codes_left <= identity::recovery::LOW_WATERMARK,
        passkeys: status.passkeys,
    })
}

/// A new authenticator secret to scan; nothing is stored until `enable_totp`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpSetupView {
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_png_base64: String,
    pub enrollment: String,
}

#[cfg(feature = "ssr")]
impl From<identity::totp::TotpSetup> for TotpSetupView {
    fn from(setup: identity::totp::TotpSetup) -> Self {
        TotpSetupView {
            secret: setup.secret_base32,
            otpauth_uri: setup.otpauth_uri,
            qr_png_base64: setup.qr_png_base64,
            enrollment: setup.enrollment,
        }
    }
}

#[server]
pub async fn begin_totp(namespace: String) -> Result<TotpSetupView, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in_to_enrol(&state, &namespace).await?;
    caller.require_recent_authentication(&state).await?;
    Ok(state
        .security
        .begin_totp(&caller.authn, caller.owner())?
        .into())
}

/// The setup of an enrollment begun earlier, shown again (after a wrong code): the same key.
/// The two-step page calls it while it renders, so it has no route of its own (and in the
/// browser, where pages do not render, it is never called).
pub async fn resume_totp(namespace: &str, enrollment: &str) -> Result<TotpSetupView, AppError> {
    #[cfg(feature = "ssr")]
    {
        let state = crate::state::AppState::current()?;
        let caller = crate::caller::ssr::signed_in_to_enrol(&state, namespace).await?;
        Ok(state
            .security
            .resume_totp(&caller.authn, caller.owner(), enrollment)?
            .into())
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = (namespace, enrollment);
        Err(AppError::Internal)
    }
}

/// Turns the authenticator app on; returns the recovery codes made with it (shown once).
#[server]
pub async fn enable_totp(
    namespace: String,
    enrollment: String,
    code: String,
) -> Result<Option<Vec<String>>, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in_to_enrol(&state, &namespace).await?;
    caller.require_recent_authentication(&state).await?;
    let codes = state
        .security
        .enable_totp(&caller.authn, caller.owner(), &enrollment, &code)
        .await?;
    Ok(codes.map(|c| c.0))
}

#[server]
pub async fn disable_totp(namespace: String) -> Result<(), AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    caller.require_recent_authentication(&state).await?;
    state
        .security
        .disable_totp(&caller.authn, caller.owner())
        .await?;
    leptos_axum::redirect(&vocabulary::Page::Mfa.path_with(&namespace, &[("removed", "1")]));
    Ok(())
}

/// Replaces the recovery codes; returns the new set (shown once).
#[server]
pub async fn regenerate_recovery_codes(namespace: String) -> Result<Vec<String>, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    caller.require_recent_authentication(&state).await?;
    Ok(state
        .security
        .regenerate_recovery_codes(&caller.authn, caller.owner())
        .await?
        .0)
}
