//! The account flows a program can drive for its own account, over the web's services: register
//! (the web sign-up's policy and verification mail), confirm the address, forgot password
//! (always 202) and reset by token, and a signed-in password change that returns new tokens.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use identity::flows::{FlowError, NewPassword, PasswordChange};
use identity::RateRule;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::call::Call;
use super::error::ErrorBody;
use super::tokens::{accepted, tokens_body, Tokens};
use super::{Accepted, ApiError, ApiJson};

impl From<FlowError> for ApiError {
    fn from(e: FlowError) -> Self {
        match e {
            FlowError::InvalidEmail(_) => ApiError::validation("Give a valid email address."),
            // The policy's own words: what the strength meter says, the minimum length.
            FlowError::WeakPassword(v) => {
                ApiError::validation(format!("The new password is refused: {v}"))
            }
            FlowError::PasswordMismatch => ApiError::validation("The two passwords differ."),
            FlowError::SignUpClosed => {
                ApiError::Forbidden("Sign-up is by invitation only here. Ask an administrator.")
            }
            FlowError::InvalidLink | FlowError::InvalidCode => ApiError::InvalidToken,
            FlowError::LockedOut => ApiError::LockedOut,
            FlowError::WrongCurrentPassword => ApiError::InvalidCredentials,
            FlowError::AddressTaken => ApiError::Conflict("That address already has an account."),
            FlowError::AlreadyVerified => ApiError::Conflict("The address is already confirmed."),
            FlowError::AccountDisabled => ApiError::Forbidden("The account is disabled."),
            FlowError::Internal(e) => {
                tracing::error!(error = %e, "API account flow failed");
                ApiError::Internal
            }
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Register {
    email: String,
    /// Judged as on the web: a minimum length and the strength meter.
    password: String,
}

/// `POST /{namespace}/api/v1/register` `{"email", "password"}`: 202 whatever the address; the
/// mailbox gets the link to confirm it (or a note that it has an account already).
#[utoipa::path(post, path = "/{namespace}/api/v1/register", tag = "account",
    request_body = Register,
    responses(
        (status = 202, description = "Taken; the same whether or not the address has an account.", body = Accepted),
        (status = 403, description = "`forbidden`: sign-up is by invitation here.", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub async fn register(call: Call, ApiJson(body): ApiJson<Register>) -> Result<Response, ApiError> {
    call.limit(RateRule::SEND_MAIL)?;
    let password = SecretString::from(body.password);
    call.state
        .flows
        .sign_up(
            &call.authn,
            &body.email,
            NewPassword {
                password: &password,
                confirm: &password,
            },
        )
        .await?;
    Ok(accepted(
        "If the address can sign up, a link to confirm it is on its way.",
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithToken {
    /// The `token` of the mailed link.
    token: String,
    /// The password to keep.
    password: String,
}

/// A confirmed address.
#[derive(Serialize, ToSchema)]
pub struct Verified {
    email: String,
    /// Always `true`.
    verified: bool,
}

/// `POST /{namespace}/api/v1/verify-email` `{"token", "password"}`: confirms the address the
/// link was mailed to, with the password its owner chooses now (whoever signed up may not own
/// the mailbox: the earlier password is replaced and everything signed in is ended).
#[utoipa::path(post, path = "/{namespace}/api/v1/verify-email", tag = "account",
    request_body = WithToken,
    responses(
        (status = 200, description = "Confirmed; sign in with the password given.", body = Verified),
        (status = 401, description = "`invalid_token`: unknown, used or expired.", body = ErrorBody),
        (status = 409, description = "`conflict`: the address is confirmed already.", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub async fn verify_email(
    call: Call,
    ApiJson(body): ApiJson<WithToken>,
) -> Result<Response, ApiError> {
    call.limit(RateRule::USE_TOKEN)?;
    let password = SecretString::from(body.password);
    let email = call
        .state
        .flows
        .verify_email(
            &call.authn,
            &body.token,
            NewPassword {
                password: &password,
                confirm: &password,
            },
        )
        .await?;
    Ok(Json(Verified {
        email,
        verified: true,
    })
    .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Forgot {
    email: String,
}

/// `POST /{namespace}/api/v1/password/forgot` `{"email"}`: always 202.
#[utoipa::path(post, path = "/{namespace}/api/v1/password/forgot", tag = "account",
    request_body = Forgot,
    responses(
        (status = 202, description = "Taken; the same for every address.", body = Accepted),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub async fn forgot_password(
    call: Call,
    ApiJson(body): ApiJson<Forgot>,
) -> Result<Response, ApiError> {
    call.limit(RateRule::SEND_MAIL)?;
    call.state
        .flows
        .request_password_reset(&call.authn, &body.email)
        .await?;
    Ok(accepted(
        "If the address has an account, a reset link is on its way.",
    ))
}

/// `POST /{namespace}/api/v1/password/reset` `{"token", "password"}`: a new password with a
/// reset link's token; every session, refresh token and API key of the account is revoked.
#[utoipa::path(post, path = "/{namespace}/api/v1/password/reset", tag = "account",
    request_body = WithToken,
    responses(
        (status = 204, description = "Reset; every session, refresh token and API key of the account was revoked."),
        (status = 401, description = "`invalid_token`: unknown, used or expired.", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub async fn reset_password(
    call: Call,
    ApiJson(body): ApiJson<WithToken>,
) -> Result<Response, ApiError> {
    call.limit(RateRule::USE_TOKEN)?;
    let password = SecretString::from(body.password);
    call.state
        .flows
        .reset_password(
            &call.authn,
            &body.token,
            NewPassword {
                password: &password,
                confirm: &password,
            },
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    current_password: String,
    new_password: String,
}

/// `POST /{namespace}/api/v1/password` `{"current_password", "new_password"}`: every other
/// session and every refresh token is revoked; this session stays, with a new token pair.
#[utoipa::path(post, path = "/{namespace}/api/v1/password", tag = "account",
    request_body = ChangePassword,
    security(("access_token" = [])),
    responses(
        (status = 200, description = "Changed; new tokens for this session (the old refresh tokens no longer work).", body = Tokens),
        (status = 401, description = "`invalid_credentials` (the current password is wrong), or the access token's `unauthorized`, `invalid_token`, `token_expired`.", body = ErrorBody),
        (status = 403, description = "`forbidden`: an API key cannot, during an impersonation, or two-step verification must be set up first.", body = ErrorBody),
        (status = 429, description = "`locked_out`: too many wrong current passwords.", body = ErrorBody),
    ))]
pub async fn change_password(
    call: Call,
    ApiJson(body): ApiJson<ChangePassword>,
) -> Result<Response, ApiError> {
    let pair = change(&call, body.current_password, body.new_password).await?;
    Ok(tokens_body(&pair))
}

/// The signed-in caller's password change, and the new pair for their session (shared with the
/// seeds' interfaces).
pub(super) async fn change(
    call: &Call,
    current: String,
    new: String,
) -> Result<identity::api_sessions::TokenPair, ApiError> {
    let api = call.api()?;
    let caller = call.caller().await?;
    caller.refuse_while_impersonating()?;
    let current = SecretString::from(current);
    let new = SecretString::from(new);
    call.state
        .flows
        .change_password(
            &caller.authn,
            PasswordChange {
                user_id: caller.user_id,
                current_session: caller.session_id,
                current: &current,
                new: NewPassword {
                    password: &new,
                    confirm: &new,
                },
                ip_address: call.client.ip,
            },
        )
        .await?;
    Ok(api.reissue(&caller).await?)
}
