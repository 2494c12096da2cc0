//! What a namespace admin does to other people's accounts: find them, look at them, change
//! them, unlock them, and act as them for a while. The caller has already checked that the
//! admin administers the namespace; everything here acts through the `Authn` it is given,
//! inside that namespace (row-level security) and under that client's actor, so every event
//! the core writes names the admin, the request and the reason.

pub mod audit;
pub mod audit_names;
pub mod impersonation;
pub mod lockouts;
pub mod reason;
pub mod user;
pub mod users;

use crate::email::InvalidEmail;
use crate::policy::PolicyViolation;

pub use reason::Reason;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("no such user in this namespace")]
    UnknownUser,
    #[error("no such session of this user")]
    UnknownSession,
    #[error("no such sign-in method of this user")]
    UnknownMethod,
    #[error("no such API key of this user")]
    UnknownKey,
    #[error("the typed address is not the account's")]
    ConfirmationMismatch,
    #[error("an admin cannot do this to their own account")]
    OwnAccount,
    #[error("admins and operators cannot be impersonated")]
    ProtectedAccount,
    /// Disabling, enabling, deleting, stripping methods from or unlocking an admin or operator.
    #[error("admins and operators are changed with the command line only")]
    PrivilegedAccount,
    /// Marking confirmed an address whose account has a password chosen at sign-up.
    #[error("the owner chose the password at sign-up: only their own link confirms the address")]
    OwnerMustConfirm,
    #[error("not from an impersonation session")]
    FromImpersonation,
    #[error("the account is disabled")]
    Disabled,
    #[error("the reason must have {min} to {max} characters")]
    InvalidReason { min: usize, max: usize },
    #[error("the duration must be 1 to {max_minutes} minutes")]
    InvalidDuration { max_minutes: i64 },
    #[error("invalid filter: {0}")]
    InvalidFilter(&'static str),
    #[error("invalid page cursor")]
    InvalidCursor,
    #[error("that address is not locked out")]
    NotLockedOut,
    #[error("no such impersonation in this namespace")]
    UnknownImpersonation,
    #[error("that address already has an account")]
    EmailTaken,
    #[error(transparent)]
    InvalidEmail(#[from] InvalidEmail),
    #[error(transparent)]
    WeakPassword(#[from] PolicyViolation),
    #[error("internal error: {0}")]
    Internal(#[from] crate::Internal),
}

crate::internal::internal_from!(AdminError);
