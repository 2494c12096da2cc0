//! Server functions of the second step of sign-in: what this browser's pending sign-in can be
//! completed with, and completing it with an authenticator or recovery code (passkeys complete
//! it through `crate::passkeys`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

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
    ssr::complete(&namespace, factor).await.map(drop)
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use crate::error::AppError;
    use crate::session::ssr::{set_cookie, RequestInfo};

    /// Completes the pending sign-in of this browser with `factor`; answers the page it sends
    /// the person to.
    pub async fn complete(
        namespace: &str,
        factor: identity::SecondFactor<'_>,
    ) -> Result<String, AppError> {
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
                    None,
                )
                .await
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
