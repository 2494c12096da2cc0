//! The one kind of failure every service shares: something below the rules went wrong (the
//! database, the core, password hashing, a stored value that no longer reads back). It is
//! never the caller's doing and never worded for a person (the app answers "something went
//! wrong" and logs this); each service's error has exactly one variant for it, `Internal`.

use authn::AuthnError;

use crate::password::PasswordError;

/// A failure below the rules. Developer text only.
#[derive(Debug, thiserror::Error)]
pub enum Internal {
    #[error("core: {0}")]
    Core(#[from] AuthnError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("password hashing: {0}")]
    Password(#[from] PasswordError),
    #[error("stored state does not read back: {0}")]
    State(#[from] serde_json::Error),
}

/// Lets `?` turn each lower-level failure into the service error's `Internal` variant.
macro_rules! internal_from {
    ($error:ty) => {
        impl From<authn::AuthnError> for $error {
            fn from(e: authn::AuthnError) -> Self {
                Self::Internal(e.into())
            }
        }
        impl From<sqlx::Error> for $error {
            fn from(e: sqlx::Error) -> Self {
                Self::Internal(e.into())
            }
        }
        impl From<$crate::password::PasswordError> for $error {
            fn from(e: $crate::password::PasswordError) -> Self {
                Self::Internal(e.into())
            }
        }
        impl From<serde_json::Error> for $error {
            fn from(e: serde_json::Error) -> Self {
                Self::Internal(e.into())
            }
        }
    };
}
pub(crate) use internal_from;
