//! The API's one error body, `{"error": <code>, "message": <text>, "status": <int>}`, with a
//! fixed vocabulary of codes: programs branch on the code, people read the message.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// Every error the API answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    InvalidCredentials,
    LockedOut,
    /// The password was right; the account needs its second step, which this route cannot take.
    MfaRequired,
    /// A sign-in method Gatehouse does not offer (Google, SAML, …).
    UnsupportedMethod,
    InvalidToken,
    TokenExpired,
    TokenReused,
    /// Over the client's request limit; `retry_after` seconds until it starts over (sent as
    /// `Retry-After`).
    RateLimited {
        retry_after: u64,
    },
    /// The request itself is wrong: its body, a field, the content type (`status` says which).
    ValidationFailed {
        status: StatusCode,
        message: String,
    },
    Unauthorized,
    Forbidden(&'static str),
    NotFound(&'static str),
    Conflict(&'static str),
    Internal,
    /// The database cannot be reached: nothing was done; retry shortly.
    Unavailable,
}

/// The fixed vocabulary of error codes programs branch on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidCredentials,
    LockedOut,
    MfaRequired,
    UnsupportedMethod,
    InvalidToken,
    TokenExpired,
    TokenReused,
    RateLimited,
    ValidationFailed,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    InternalError,
    Unavailable,
}

/// The body of every error of the native API (and of the user-account interface).
#[derive(Serialize, ToSchema)]
pub struct ErrorBody<'a> {
    pub error: ErrorCode,
    /// For people: what went wrong and what to do.
    pub message: &'a str,
    /// The HTTP status again, for clients that only keep the body.
    pub status: u16,
}

impl ApiError {
    pub fn validation(message: impl Into<String>) -> ApiError {
        ApiError::ValidationFailed {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::InvalidCredentials => ErrorCode::InvalidCredentials,
            ApiError::LockedOut => ErrorCode::LockedOut,
            ApiError::MfaRequired => ErrorCode::MfaRequired,
            ApiError::UnsupportedMethod => ErrorCode::UnsupportedMethod,
            ApiError::InvalidToken => ErrorCode::InvalidToken,
            ApiError::TokenExpired => ErrorCode::TokenExpired,
            ApiError::TokenReused => ErrorCode::TokenReused,
            ApiError::RateLimited { .. } => ErrorCode::RateLimited,
            ApiError::ValidationFailed { .. } => ErrorCode::ValidationFailed,
            ApiError::Unauthorized => ErrorCode::Unauthorized,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::Conflict(_) => ErrorCode::Conflict,
            ApiError::Internal => ErrorCode::InternalError,
            ApiError::Unavailable => ErrorCode::Unavailable,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidCredentials
            | ApiError::InvalidToken
            | ApiError::TokenExpired
            | ApiError::TokenReused
            | ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::LockedOut | ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::ValidationFailed { status, .. } => *status,
            ApiError::MfaRequired => StatusCode::FORBIDDEN,
            ApiError::UnsupportedMethod => StatusCode::BAD_REQUEST,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            ApiError::InvalidCredentials => "The email or password is incorrect.",
            ApiError::LockedOut => "Too many attempts. Try again later.",
            ApiError::MfaRequired => {
                "This account uses two-step verification: sign in with the flow at /{namespace}/api/v1/sign-in."
            }
            ApiError::UnsupportedMethod => {
                "That sign-in method is not offered here: use password or otp (a mailed code)."
            }
            ApiError::InvalidToken => "The token is missing, invalid, expired or revoked.",
            ApiError::TokenExpired => "The access token has expired. Refresh it.",
            ApiError::TokenReused => {
                "This refresh token was already used. Its session was signed out: sign in again."
            }
            ApiError::RateLimited { .. } => {
                "Too many requests from this network. Retry after the seconds in Retry-After."
            }
            ApiError::ValidationFailed { message, .. } => message,
            ApiError::Unauthorized => "Sign in first: send an access token as a Bearer credential.",
            ApiError::Forbidden(m) | ApiError::NotFound(m) | ApiError::Conflict(m) => m,
            ApiError::Internal => "Something went wrong on our side. Please try again.",
            ApiError::Unavailable => {
                "The service cannot reach its database right now; nothing was changed. Retry in a few seconds."
            }
        }
    }
}

impl ApiError {
    /// What every error answer carries besides its body (shared with the seeds' error form):
    /// no caching, and how long to wait when rate-limited.
    pub fn add_headers(&self, response: &mut Response) {
        if let ApiError::RateLimited { retry_after } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = (
            status,
            Json(ErrorBody {
                error: self.code(),
                message: self.message(),
                status: status.as_u16(),
            }),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"gatehouse\""),
            );
        }
        self.add_headers(&mut response);
        response
    }
}

impl From<identity::api_sessions::ApiSignInError> for ApiError {
    fn from(e: identity::api_sessions::ApiSignInError) -> Self {
        use identity::api_sessions::ApiSignInError as E;
        match e {
            E::InvalidCredentials => ApiError::InvalidCredentials,
            E::LockedOut => ApiError::LockedOut,
            // Only someone who knew the password gets here: it reveals nothing to a stranger.
            E::EmailNotVerified => {
                ApiError::Forbidden("Confirm your email address first: use the link we sent you.")
            }
            E::PasswordChangeRequired => ApiError::Forbidden(
                "An admin set this account's password: sign in on the web once to choose your own.",
            ),
            E::UnknownFlow => {
                ApiError::NotFound("This sign-in flow expired or was used. Start again.")
            }
            E::MethodNotAllowed => ApiError::validation(
                "This step does not take that method: use one of allowed_methods.",
            ),
            E::WrongCode => ApiError::InvalidCredentials,
            E::TooManyAttempts => ApiError::NotFound(
                "Too many incorrect codes: this sign-in flow ended. Start again.",
            ),
            E::InvalidToken => ApiError::InvalidToken,
            E::TokenReused => ApiError::TokenReused,
            E::TwoStepSetupRequired => ApiError::Forbidden(
                "This organisation requires two-step verification: set it up on the web, then sign in again.",
            ),
            E::Internal(e) => {
                tracing::error!(error = %e, "API request failed");
                ApiError::Internal
            }
        }
    }
}

impl From<identity::caller::AccessError> for ApiError {
    fn from(e: identity::caller::AccessError) -> Self {
        use identity::caller::AccessError as E;
        match e {
            E::Forbidden | E::ReadOnlyWhileImpersonating => {
                ApiError::Forbidden("This credential may not do that.")
            }
            E::ConsoleNeedsTwoStep | E::AccountNeedsTwoStep => ApiError::Forbidden(
                "This organisation requires two-step verification: set it up on the web first.",
            ),
            E::ReauthenticationRequired => ApiError::Forbidden(
                "This needs a recent sign-in: sign in again and retry within a few minutes.",
            ),
            E::Internal(e) => {
                tracing::error!(error = %e, "API caller resolution failed");
                ApiError::Internal
            }
        }
    }
}

impl From<authn::AuthnError> for ApiError {
    fn from(e: authn::AuthnError) -> Self {
        tracing::error!(sqlstate = ?e.sqlstate(), message = %e.message(), "core call failed");
        ApiError::Internal
    }
}
