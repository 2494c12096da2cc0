//! The one error type server functions return. What a person sees is its `Display` text;
//! internal causes are logged on the server with the request and never serialized.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("The email or password is incorrect.")]
    InvalidCredentials,
    #[error("Too many attempts. Try again later.")]
    LockedOut,
    #[error("Please sign in.")]
    NotSignedIn,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("This organisation does not exist.")]
    UnknownNamespace,
    #[error("Too many requests from your network. Wait a minute and try again.")]
    RateLimited,
    #[error("The form could not be submitted. Please check it and try again.")]
    FormRejected,
    /// A field's value was refused; `field` is the input's name so the page can bind the
    /// message to it.
    #[error("{message}")]
    Field { field: String, message: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
}

impl AppError {
    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        AppError::Field {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The input this error belongs to, if it is about one field.
    pub fn field_name(&self) -> Option<&str> {
        match self {
            AppError::Field { field, .. } => Some(field),
            _ => None,
        }
    }

    /// Whether the text shown is ours alone (no part of it comes from the error's data).
    pub fn has_fixed_wording(&self) -> bool {
        !matches!(self, AppError::Field { .. } | AppError::BadRequest(_))
    }

    /// The HTTP status the error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::InvalidCredentials | AppError::NotSignedIn => 401,
            AppError::Forbidden => 403,
            AppError::UnknownNamespace => 404,
            AppError::LockedOut | AppError::RateLimited => 429,
            AppError::FormRejected | AppError::Field { .. } | AppError::BadRequest(_) => 400,
            AppError::Internal => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::Deserialization(_) => {
                AppError::FormRejected
            }
            _ => AppError::Internal,
        }
    }
}

/// Runs a server function's body and answers its error with the error's own status (a wrong
/// password is a 401, not the 500 server functions answer by default). A native form post
/// keeps the redirect back to its page that carries the error.
#[cfg(feature = "ssr")]
pub async fn respond<T>(
    body: impl std::future::Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    let result = body.await;
    let native_form_post = leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false);
    if let (Err(err), false) = (&result, native_form_post) {
        if let (Some(options), Ok(status)) = (
            leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(err.status()),
        ) {
            options.set_status(status);
        }
    }
    result
}

#[cfg(feature = "ssr")]
mod from_services {
    use super::AppError;

    impl From<identity::SignInError> for AppError {
        fn from(err: identity::SignInError) -> Self {
            match err {
                identity::SignInError::InvalidCredentials => AppError::InvalidCredentials,
                identity::SignInError::LockedOut => AppError::LockedOut,
                other => {
                    tracing::error!(error = ?other, "sign-in failed");
                    AppError::Internal
                }
            }
        }
    }

    impl From<authn::AuthnError> for AppError {
        fn from(err: authn::AuthnError) -> Self {
            tracing::error!(sqlstate = ?err.sqlstate(), message = %err.message(), "core call failed");
            AppError::Internal
        }
    }
}
