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
    #[error("Confirm your email address first: use the link we sent you.")]
    EmailNotVerified,
    #[error("This account signs in with a second factor, which this console cannot check yet. Ask your administrator.")]
    SecondFactorRequired,
    #[error("Sign-up is by invitation only. Ask an administrator to invite you.")]
    SignUpClosed,
    #[error("This link is invalid, already used or expired. Ask for a new one.")]
    InvalidLink,
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
            AppError::Forbidden
            | AppError::EmailNotVerified
            | AppError::SignUpClosed
            | AppError::SecondFactorRequired => 403,
            AppError::InvalidLink => 400,
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

#[cfg(feature = "ssr")]
mod from_services {
    use super::AppError;

    impl From<identity::SignInError> for AppError {
        fn from(err: identity::SignInError) -> Self {
            match err {
                identity::SignInError::InvalidCredentials => AppError::InvalidCredentials,
                identity::SignInError::LockedOut => AppError::LockedOut,
                identity::SignInError::EmailNotVerified => AppError::EmailNotVerified,
                other => {
                    tracing::error!(error = ?other, "sign-in failed");
                    AppError::Internal
                }
            }
        }
    }

    impl From<identity::FlowError> for AppError {
        fn from(err: identity::FlowError) -> Self {
            use identity::FlowError as F;
            if let Some(field) = err.field() {
                return AppError::field(field, err.to_string());
            }
            match err {
                F::SignUpClosed => AppError::SignUpClosed,
                F::InvalidLink => AppError::InvalidLink,
                F::LockedOut => AppError::LockedOut,
                other => {
                    tracing::error!(error = ?other, "account flow failed");
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
