//! Server functions of the password page: the strength meter and the change itself.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The meter's reading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrengthView {
    pub score: u8,
    pub warning: Option<String>,
    pub suggestions: Vec<String>,
}

/// Estimates how guessable a candidate password is (zxcvbn), for the meter shown while typing.
/// It runs on the server to keep the dictionaries out of the browser bundle; nothing is stored
/// or logged.
#[server]
pub async fn password_strength(
    namespace: String,
    password: String,
) -> Result<StrengthView, AppError> {
    let state = crate::state::AppState::current()?;
    let email = crate::caller::ssr::resolve(&state, &namespace)
        .await?
        .map(|c| c.0.email)
        .unwrap_or_default();
    let s = identity::policy::strength(&password, &email);
    Ok(StrengthView {
        score: s.score,
        // The same words a refusal of this password would use.
        warning: s
            .weakness
            .map(|w| format!("Easy to guess: {}", crate::error::Guessable::from(w))),
        suggestions: if s.weakness.is_some() {
            vec![]
        } else {
            s.suggestions
        },
    })
}

#[server]
pub async fn change_password(
    namespace: String,
    current_password: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use secrecy::SecretString;
    let state = crate::state::AppState::current()?;
    let request = crate::session::ssr::RequestInfo::extract().await;
    state.limit(identity::RateRule::SIGN_IN, request.ip)?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    caller.refuse_while_impersonating()?;
    let current = SecretString::from(current_password);
    let typed = identity::TypedPassword::new(password, password_confirm);
    state
        .flows
        .change_password(
            &caller.authn,
            identity::PasswordChange {
                user_id: caller.user_id,
                current_session: caller.session_id,
                current: &current,
                new: typed.as_new(),
                ip_address: request.ip,
            },
        )
        .await?;
    leptos_axum::redirect(
        &vocabulary::Page::Password.path_with(&namespace, &[vocabulary::Notice::Changed.flag()]),
    );
    Ok(())
}
