//! Server functions of two-step verification: the second step of sign-in, sudo mode, the
//! authenticator app and recovery codes. Each resolves the caller, checks what the caller may
//! do, calls the identity service and maps its error.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::error::{FieldProblem, FormField};

/// What the second step of sign-in can offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorOptions {
    pub totp: bool,
    pub passkeys: bool,
    pub recovery_codes: bool,
}

/// `None` when this browser has no live pending sign-in (expired or never started).
#[server]
pub async fn second_factor_choices(
    namespace: String,
) -> Result<Option<SecondFactorOptions>, AppError> {
    let state = crate::state::AppState::current()?;
    let Some(token) = crate::session::ssr::pending_token(&state.cookie).await else {
        return Ok(None);
    };
    let authn = state.authn(&namespace).await?;
    Ok(state
        .sign_in
        .second_factor_methods(&authn, &token)
        .await?
        .map(|m| SecondFactorOptions {
            totp: m.totp,
            passkeys: m.passkeys > 0,
            recovery_codes: m.recovery_codes > 0,
        }))
}

/// Completes sign-in with an authenticator code (`method` = "totp") or a recovery code
/// (`method` = "recovery").
#[server]
pub async fn complete_sign_in(
    namespace: String,
    method: String,
    code: String,
) -> Result<(), AppError> {
    let factor = match method.as_str() {
        "totp" => identity::SecondFactor::Totp(&code),
        "recovery" => identity::SecondFactor::RecoveryCode(&code),
        _ => return Err(AppError::FormRejected),
    };
    ssr::complete(&namespace, factor).await
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use crate::error::AppError;
    use crate::session::ssr::{set_cookie, RequestInfo};

    /// Completes the pending sign-in of this browser with `factor`.
    pub async fn complete(
        namespace: &str,
        factor: identity::SecondFactor<'_>,
    ) -> Result<(), AppError> {
        let state = crate::state::AppState::current()?;
        let request = RequestInfo::extract().await;
        state.limit(identity::RateRule::SIGN_IN, request.ip)?;
        let token = crate::session::ssr::pending_token(&state.cookie)
            .await
            .ok_or(AppError::SignInExpired)?;
        let authn = state.authn(namespace).await?;
        let result = state
            .sign_in
            .complete_second_factor(&authn, &state.security, &token, factor, request.client())
            .await;
        let pending_cookie = state.cookie.pending_name.clone();
        match result {
            Ok(signed_in) => {
                set_cookie(&state.cookie, &pending_cookie, None);
                crate::session::ssr::finish_sign_in(
                    &state,
                    namespace,
                    identity::SignInStep::SignedIn(signed_in),
                )
            }
            Err(e) => {
                let e = AppError::from(e);
                if matches!(e, AppError::SignInExpired | AppError::TooManyCodes) {
                    set_cookie(&state.cookie, &pending_cookie, None);
                }
                Err(e)
            }
        }
    }
}

/// Sudo mode: confirms the signed-in person's password again.
#[server]
pub async fn confirm_password(namespace: String, password: String) -> Result<(), AppError> {
    let state = crate::state::AppState::current()?;
    let request = crate::session::ssr::RequestInfo::extract().await;
    state.limit(identity::RateRule::SIGN_IN, request.ip)?;
    let caller = crate::caller::ssr::signed_in_to_enrol(&state, &namespace).await?;
    caller.refuse_while_impersonating()?;
    let password = secrecy::SecretString::from(password);
    let result = state
        .sign_in
        .confirm_password(
            &caller.authn,
            caller.session_id,
            &caller.email,
            &password,
            request.ip,
        )
        .await;
    match result {
        Ok(()) => Ok(()),
        Err(identity::SignInError::InvalidCredentials) => Err(AppError::field(
            FormField::Password,
            FieldProblem::WrongPassword,
        )),
        Err(e) => Err(e.into()),
    }
}

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

#[server]
pub async fn begin_totp(namespace: String) -> Result<TotpSetupView, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in_to_enrol(&state, &namespace).await?;
    caller.require_recent_authentication(&state).await?;
    let setup = state.security.begin_totp(&caller.authn, caller.owner())?;
    Ok(TotpSetupView {
        secret: setup.secret_base32,
        otpauth_uri: setup.otpauth_uri,
        qr_png_base64: setup.qr_png_base64,
        enrollment: setup.enrollment,
    })
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
