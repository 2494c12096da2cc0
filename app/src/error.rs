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
    #[error("This organisation does not exist.")]
    UnknownNamespace,
    #[error("{0}")]
    BadRequest(String),
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::Deserialization(_) => {
                AppError::BadRequest("The form could not be read. Please try again.".into())
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
