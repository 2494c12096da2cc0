//! Server functions of the e-mail flows: sign-up and verification, magic link, e-mail code,
//! forgotten password. Each extracts the client, applies the per-client limit, calls the
//! identity service and maps its error; requests that name an address answer the same
//! whether or not an account exists. Outcomes are pages (a redirect with a flag in the
//! query), so every flow works the same with or without JavaScript.

use leptos::prelude::*;

use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::session::ssr::{finish_sign_in, set_session_cookie, RequestInfo};
    pub use crate::state::AppState;
    pub use identity::RateRule;
}

/// Whether the namespace lets people sign up by themselves.
#[server]
pub async fn sign_up_open(namespace: String) -> Result<bool, AppError> {
    use ssr::*;
    let state = AppState::current()?;
    let authn = state.authn(&namespace).await?;
    let mode = identity::roles::sign_up_mode_of(&authn).await?;
    Ok(mode == identity::SignUpMode::Open)
}

#[server]
pub async fn sign_up(
    namespace: String,
    email: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use ssr::*;
    let state = AppState::current()?;
    state.limit(RateRule::SEND_MAIL, RequestInfo::extract().await.ip)?;
    let authn = state.authn(&namespace).await?;
    let typed = identity::TypedPassword::new(password, password_confirm);
    state.flows.sign_up(&authn, &email, typed.as_new()).await?;
    leptos_axum::redirect(
        &vocabulary::Page::SignUp.path_with(&namespace, &[vocabulary::Notice::Sent.flag()]),
    );
    Ok(())
}

/// Confirms an address with the password its owner chooses now (see
/// `identity::AccountFlows::verify_email` for why the address's owner sets it here).
#[server]
pub async fn verify_email(
    namespace: String,
    token: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use ssr::*;
    let state = AppState::current()?;
    state.limit(RateRule::USE_TOKEN, RequestInfo::extract().await.ip)?;
    let authn = state.authn(&namespace).await?;
    let typed = identity::TypedPassword::new(password, password_confirm);
    state
        .flows
        .verify_email(&authn, &token, typed.as_new())
        .await?;
    // Every session of the account is gone, this browser's included.
    set_session_cookie(&state.cookie, None);
    leptos_axum::redirect(&vocabulary::Page::SignIn.path_with(&namespace, &[("verified", "1")]));
    Ok(())
}

/// `next`: where the person was going; kept in this browser for when the link is used here.
#[server]
pub async fn request_magic_link(
    namespace: String,
    email: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use ssr::*;
    let state = AppState::current()?;
    state.limit(RateRule::SEND_MAIL, RequestInfo::extract().await.ip)?;
    let authn = state.authn(&namespace).await?;
    state.flows.request_magic_link(&authn, &email).await?;
    // Whether or not the address has an account: the answer must not tell.
    crate::session::ssr::keep_return(&state.cookie, &namespace, next.as_deref());
    leptos_axum::redirect(
        &vocabulary::Page::MagicLink.path_with(&namespace, &[vocabulary::Notice::Sent.flag()]),
    );
    Ok(())
}

#[server]
pub async fn confirm_magic_link(namespace: String, token: String) -> Result<(), AppError> {
    use ssr::*;
    let state = AppState::current()?;
    let request = RequestInfo::extract().await;
    state.limit(RateRule::USE_TOKEN, request.ip)?;
    let authn = state.authn(&namespace).await?;
    let signed_in = state
        .flows
        .sign_in_with_magic_link(&authn, &token, request.client())
        .await?;
    finish_sign_in(&state, &namespace, signed_in, None)
        .await
        .map(drop)
}

/// The sign-in step of an account whose password an admin set: its owner chooses their own,
/// then the sign-in goes on (a session, or the second step).
#[server]
pub async fn set_new_password(
    namespace: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use ssr::*;
    let state = AppState::current()?;
    let request = RequestInfo::extract().await;
    state.limit(RateRule::USE_TOKEN, request.ip)?;
    let pending = crate::session::ssr::pending_token(&state.cookie)
        .await
        .ok_or(AppError::SignInExpired)?;
    let authn = state.authn(&namespace).await?;
    let typed = identity::TypedPassword::new(password, password_confirm);
    let step = state
        .flows
        .set_required_password(&authn, &pending, typed.as_new(), request.client())
        .await
        .map_err(|e| match e {
            // The pending step is gone or expired: sign in again.
            identity::FlowError::InvalidLink => AppError::SignInExpired,
            other => AppError::from(other),
        })?;
    crate::session::ssr::set_cookie(&state.cookie, &state.cookie.pending_name, None);
    finish_sign_in(&state, &namespace, step, None)
        .await
        .map(drop)
}

/// `next`: where the person was going, kept in this browser until the code is entered.
#[server]
pub async fn request_email_code(
    namespace: String,
    email: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use ssr::*;
    let state = AppState::current()?;
    state.limit(RateRule::SEND_MAIL, RequestInfo::extract().await.ip)?;
    let authn = state.authn(&namespace).await?;
    state.flows.request_email_code(&authn, &email).await?;
    // Whether or not the address has an account: the answer must not tell.
    crate::session::ssr::keep_return(&state.cookie, &namespace, next.as_deref());
    // Step two has a page of its own, so the flow works without JavaScript too.
    leptos_axum::redirect(
        &vocabulary::Page::EmailCodeVerify.path_with(&namespace, &[("email", email.trim())]),
    );
    Ok(())
}

#[server]
pub async fn sign_in_with_code(
    namespace: String,
    email: String,
    code: String,
) -> Result<(), AppError> {
    use ssr::*;
    let state = AppState::current()?;
    let request = RequestInfo::extract().await;
    state.limit(RateRule::USE_TOKEN, request.ip)?;
    let authn = state.authn(&namespace).await?;
    let signed_in = state
        .flows
        .sign_in_with_email_code(&authn, &email, &code, request.client())
        .await?;
    finish_sign_in(&state, &namespace, signed_in, None)
        .await
        .map(drop)
}

#[server]
pub async fn request_password_reset(namespace: String, email: String) -> Result<(), AppError> {
    use ssr::*;
    let state = AppState::current()?;
    state.limit(RateRule::SEND_MAIL, RequestInfo::extract().await.ip)?;
    let authn = state.authn(&namespace).await?;
    state.flows.request_password_reset(&authn, &email).await?;
    leptos_axum::redirect(
        &vocabulary::Page::ForgotPassword.path_with(&namespace, &[vocabulary::Notice::Sent.flag()]),
    );
    Ok(())
}

#[server]
pub async fn reset_password(
    namespace: String,
    token: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use ssr::*;
    let state = AppState::current()?;
    state.limit(RateRule::USE_TOKEN, RequestInfo::extract().await.ip)?;
    let authn = state.authn(&namespace).await?;
    let typed = identity::TypedPassword::new(password, password_confirm);
    let outcome = state
        .flows
        .reset_password(&authn, &token, typed.as_new())
        .await?;
    // Every session of the user is gone, this browser's included.
    set_session_cookie(&state.cookie, None);
    leptos_axum::redirect(&vocabulary::Page::SignIn.path_with(
        &namespace,
        &[
            ("reset", "done"),
            ("devices", &outcome.sessions.to_string()),
            ("keys", &outcome.api_keys.to_string()),
        ],
    ));
    Ok(())
}
