//! Sudo mode: the signed-in person confirms their password again before a sensitive change
//! (identity's `reauth`; passkeys confirm through `crate::passkeys`).

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::error::{FieldProblem, FormField};

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
