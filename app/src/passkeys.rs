//! Server functions of passkeys: adding, renaming and removing them, passwordless sign-in, and
//! the passkey as second factor. The browser side of each ceremony is in `webauthn`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::error::{FieldProblem, FormField};

/// A ceremony to run in the browser: its id (posted back) and the WebAuthn options as JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyChallenge {
    pub ceremony: String,
    pub options: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyView {
    pub id: String,
    pub name: String,
    pub created: String,
    pub last_used: Option<String>,
}

#[cfg(feature = "ssr")]
fn challenge(c: identity::passkeys::Ceremony) -> PasskeyChallenge {
    PasskeyChallenge {
        ceremony: c.id.to_string(),
        options: c.options_json,
    }
}

#[cfg(feature = "ssr")]
fn ceremony_id(text: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(text.trim()).map_err(|_| AppError::PasskeyNotVerified)
}

/// Whether this deployment can use passkeys at all (WebAuthn needs a domain name).
#[server]
pub async fn passkeys_available() -> Result<bool, AppError> {
    Ok(crate::state::AppState::current()?
        .security
        .passkeys_available())
}

#[server]
pub async fn my_passkeys(namespace: String) -> Result<Vec<PasskeyView>, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in_to_enrol(&state, &namespace).await?;
    let when = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    Ok(state
        .security
        .list_passkeys(&caller.authn, caller.user_id)
        .await?
        .into_iter()
        .map(|p| PasskeyView {
            id: p.mfa_id.to_string(),
            name: p.name,
            created: when(p.created_at),
            last_used: p.last_used_at.map(when),
        })
        .collect())
}

#[server]
pub async fn begin_add_passkey(namespace: String) -> Result<PasskeyChallenge, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in_to_enrol(&state, &namespace).await?;
    caller.require_recent_authentication(&state).await?;
    Ok(challenge(
        state
            .security
            .begin_passkey(&caller.authn, caller.owner())
            .await?,
    ))
}

/// Stores the new passkey; returns recovery codes when it is the first second factor.
#[server]
pub async fn add_passkey(
    namespace: String,
    ceremony: String,
    response: String,
    name: String,
) -> Result<Option<Vec<String>>, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in_to_enrol(&state, &namespace).await?;
    caller.require_recent_authentication(&state).await?;
    let codes = state
        .security
        .add_passkey(
            &caller.authn,
            caller.owner(),
            ceremony_id(&ceremony)?,
            &response,
            &name,
        )
        .await?;
    Ok(codes.map(|c| c.0))
}

#[server]
pub async fn rename_passkey(
    namespace: String,
    passkey_id: String,
    name: String,
) -> Result<(), AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    caller.refuse_while_impersonating()?;
    let id = uuid::Uuid::parse_str(passkey_id.trim())
        .map_err(|_| AppError::field(FormField::PasskeyId, FieldProblem::UnknownPasskey))?;
    state
        .security
        .rename_passkey(&caller.authn, caller.owner(), id, &name)
        .await?;
    Ok(())
}

#[server]
pub async fn remove_passkey(namespace: String, passkey_id: String) -> Result<(), AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    caller.require_recent_authentication(&state).await?;
    let id = uuid::Uuid::parse_str(passkey_id.trim())
        .map_err(|_| AppError::field(FormField::PasskeyId, FieldProblem::UnknownPasskey))?;
    state
        .security
        .remove_passkey(&caller.authn, caller.owner(), id)
        .await?;
    Ok(())
}

#[server]
pub async fn begin_passkey_sign_in(namespace: String) -> Result<PasskeyChallenge, AppError> {
    let state = crate::state::AppState::current()?;
    state.limit(
        identity::RateRule::SIGN_IN,
        crate::session::ssr::RequestInfo::extract().await.ip,
    )?;
    let authn = state.authn(&namespace).await?;
    Ok(challenge(
        state
            .sign_in
            .begin_passkey_sign_in(&authn, &state.security)
            .await?,
    ))
}

#[server]
/// Answers the page to go to: `next` (a same-namespace path) or the account page.
pub async fn passkey_sign_in(
    namespace: String,
    ceremony: String,
    response: String,
    next: Option<String>,
) -> Result<String, AppError> {
    let state = crate::state::AppState::current()?;
    let request = crate::session::ssr::RequestInfo::extract().await;
    state.limit(identity::RateRule::SIGN_IN, request.ip)?;
    let authn = state.authn(&namespace).await?;
    let signed_in = state
        .sign_in
        .sign_in_with_passkey(
            &authn,
            &state.security,
            ceremony_id(&ceremony)?,
            &response,
            request.client(),
        )
        .await
        .map_err(|e| match e {
            identity::SecondFactorError::WrongCode | identity::SecondFactorError::Expired => {
                AppError::PasskeyNotVerified
            }
            other => other.into(),
        })?;
    crate::session::ssr::finish_sign_in(
        &state,
        &namespace,
        identity::SignInStep::SignedIn(signed_in),
        next.as_deref(),
    )
    .await
}

/// The passkey check of the second sign-in step; `None` without a pending sign-in.
#[server]
pub async fn begin_passkey_second_factor(
    namespace: String,
) -> Result<Option<PasskeyChallenge>, AppError> {
    let state = crate::state::AppState::current()?;
    let Some(token) = crate::session::ssr::pending_token(&state.cookie).await else {
        return Ok(None);
    };
    let authn = state.authn(&namespace).await?;
    Ok(state
        .sign_in
        .begin_passkey_second_factor(&authn, &state.security, &token)
        .await?
        .map(challenge))
}

#[server]
pub async fn complete_sign_in_with_passkey(
    namespace: String,
    ceremony: String,
    response: String,
) -> Result<String, AppError> {
    crate::second_factor::ssr::complete(
        &namespace,
        identity::SecondFactor::Passkey {
            ceremony: ceremony_id(&ceremony)?,
            response: &response,
        },
    )
    .await
}

/// Sudo mode by passkey: a challenge for the caller's own passkeys (`None` without any).
#[server]
pub async fn begin_passkey_confirmation(
    namespace: String,
) -> Result<Option<PasskeyChallenge>, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in_to_enrol(&state, &namespace).await?;
    caller.refuse_while_impersonating()?;
    Ok(state
        .security
        .begin_passkey_confirmation(&caller.authn, caller.user_id)
        .await?
        .map(challenge))
}

#[server]
pub async fn confirm_with_passkey(
    namespace: String,
    ceremony: String,
    response: String,
) -> Result<(), AppError> {
    let state = crate::state::AppState::current()?;
    state.limit(
        identity::RateRule::SIGN_IN,
        crate::session::ssr::RequestInfo::extract().await.ip,
    )?;
    let caller = crate::caller::ssr::signed_in_to_enrol(&state, &namespace).await?;
    caller.refuse_while_impersonating()?;
    let verified = state
        .security
        .confirm_with_passkey(
            &caller.authn,
            caller.user_id,
            caller.session_id,
            ceremony_id(&ceremony)?,
            &response,
        )
        .await?;
    if verified {
        Ok(())
    } else {
        Err(AppError::PasskeyNotVerified)
    }
}
