//! The e-mail-driven ways in: sign-up with address verification, magic link, e-mail code, and
//! forgotten password. Each step is one transaction: a token and the mail announcing it commit
//! together (the mail goes through the outbox), and a failure changes nothing.
//!
//! Requests that name an address (sign-up, magic link, code, reset) answer the same whether or
//! not an account exists; only the mailbox's owner learns the difference.

mod code_sign_in;
mod email_change;
mod invitation;
mod magic_link;
mod password;
mod requests;
mod sign_up;

use authn::{Authn, AuthnError, AuthnTx, TokenType};
use chrono::TimeDelta;
use rand::rngs::OsRng;
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use uuid::Uuid;

use crate::email::{EmailAddress, InvalidEmail};
use crate::email_code;
use crate::lockout::LockoutPolicy;
use crate::mail::{outbox, templates, Links, Mail};
use crate::mail_requests::{self, RequestKind};
use crate::password::PasswordHasher;
use crate::pending::FirstFactor;
use crate::policy::{PasswordPolicy, PolicyViolation};
use crate::roles::{self, SignUpMode};
use crate::secret_box::SecretBox;
use crate::session::{after_first_factor, lock_address, ClientInfo, SignInStep};
use crate::token::{link_token_hash, OpaqueToken};

pub(super) const MAGIC_LINK_LIFETIME: TimeDelta = TimeDelta::minutes(15);
pub(super) const EMAIL_CODE_LIFETIME: TimeDelta = TimeDelta::minutes(10);
pub(super) const RESET_LIFETIME: TimeDelta = TimeDelta::hours(1);
pub(super) const VERIFY_LIFETIME: TimeDelta = TimeDelta::hours(24);
pub(super) const INVITATION_LIFETIME: TimeDelta = TimeDelta::hours(72);

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error(transparent)]
    InvalidEmail(#[from] InvalidEmail),
    #[error(transparent)]
    WeakPassword(#[from] PolicyViolation),
    #[error("The passwords do not match.")]
    PasswordMismatch,
    #[error("Sign-up is by invitation only. Ask an administrator to invite you.")]
    SignUpClosed,
    #[error("This link is invalid, already used or expired. Ask for a new one.")]
    InvalidLink,
    #[error("The code is incorrect or has expired.")]
    InvalidCode,
    #[error("Too many attempts. Try again later.")]
    LockedOut,
    #[error("That is not your current password.")]
    WrongCurrentPassword,
    #[error("That address already has an account.")]
    AddressTaken,
    #[error("The address is already confirmed.")]
    AlreadyVerified,
    #[error("The account is disabled.")]
    AccountDisabled,
    #[error("internal error: {0}")]
    Internal(#[from] crate::Internal),
}

crate::internal::internal_from!(FlowError);

impl FlowError {
    /// The form field the error is about, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            FlowError::InvalidEmail(_) => Some("email"),
            FlowError::WeakPassword(_) => Some("password"),
            FlowError::PasswordMismatch => Some("password_confirm"),
            FlowError::InvalidCode => Some("code"),
            FlowError::WrongCurrentPassword => Some("current_password"),
            _ => None,
        }
    }
}

/// What a password reset revoked, for the page that confirms it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResetOutcome {
    /// Devices (sessions) signed out.
    pub sessions: u32,
    /// API keys revoked.
    pub api_keys: u32,
}

/// A signed-in person's password change.
pub struct PasswordChange<'a> {
    pub user_id: Uuid,
    /// The session the change is made from; it stays signed in.
    pub current_session: Uuid,
    pub current: &'a SecretString,
    pub new: NewPassword<'a>,
    pub ip_address: Option<std::net::IpAddr>,
}

/// A new password as typed twice in a form.
pub struct NewPassword<'a> {
    pub password: &'a SecretString,
    pub confirm: &'a SecretString,
}

/// A new password as a form posts it, owned and kept secret: what a server function holds
/// before it lends a [`NewPassword`] to a flow.
pub struct TypedPassword {
    password: SecretString,
    confirm: SecretString,
}

impl TypedPassword {
    pub fn new(password: String, confirm: String) -> TypedPassword {
        TypedPassword {
            password: SecretString::from(password),
            confirm: SecretString::from(confirm),
        }
    }

    pub fn as_new(&self) -> NewPassword<'_> {
        NewPassword {
            password: &self.password,
            confirm: &self.confirm,
        }
    }
}

#[derive(Clone, Debug)]
pub struct AccountFlows {
    hasher: PasswordHasher,
    policy: PasswordPolicy,
    lockout: LockoutPolicy,
    links: Links,
    session_lifetime: TimeDelta,
    /// Keys the hashes of mailed codes (see [`crate::email_code`]).
    keys: SecretBox,
}

impl AccountFlows {
    /// The same flows opening sessions that live `lifetime` (the API's, which last as long as
    /// their refresh tokens).
    pub fn with_session_lifetime(&self, lifetime: TimeDelta) -> AccountFlows {
        AccountFlows {
            session_lifetime: lifetime,
            ..self.clone()
        }
    }

    pub fn new(
        hasher: PasswordHasher,
        policy: PasswordPolicy,
        lockout: LockoutPolicy,
        links: Links,
        session_lifetime: TimeDelta,
        keys: SecretBox,
    ) -> AccountFlows {
        AccountFlows {
            hasher,
            policy,
            lockout,
            links,
            session_lifetime,
            keys,
        }
    }

    /// Checks a new password for `email` against the namespace's policy (shorter minimums only
    /// where every account has two-step verification) and its confirmation.
    pub(super) async fn check_new_password(
        &self,
        tx: &mut AuthnTx<'_>,
        email: &EmailAddress,
        new: &NewPassword<'_>,
    ) -> Result<(), FlowError> {
        let with_mfa = roles::accounts_require_mfa(tx).await?;
        self.policy
            .for_namespace(with_mfa)
            .check(new.password.expose_secret(), email.as_str())?;
        if new.password.expose_secret() != new.confirm.expose_secret() {
            return Err(FlowError::PasswordMismatch);
        }
        Ok(())
    }

    // ---- sign-up and verification -------------------------------------------------------

    pub(super) async fn issue_token(
        &self,
        tx: &mut AuthnTx<'_>,
        user_id: Uuid,
        kind: TokenType,
        lifetime: TimeDelta,
    ) -> Result<OpaqueToken, FlowError> {
        let token = OpaqueToken::generate();
        tx.create_token(user_id, &token.hash(), kind, Some(lifetime))
            .await?;
        Ok(token)
    }
}

/// A new account for an address an admin typed; an address that has one is refused (under
/// the address's lock, so two admins cannot both create it).
pub(super) async fn new_account(
    tx: &mut AuthnTx<'_>,
    email: &EmailAddress,
    password_hash: Option<&str>,
) -> Result<Uuid, FlowError> {
    lock_address(tx, email.as_str()).await?;
    if tx.get_user_by_email(email.as_str()).await?.is_some() {
        return Err(FlowError::AddressTaken);
    }
    Ok(tx.create_user(email.as_str(), password_hash).await?)
}

/// The account of `email` if it exists and is enabled.
pub(super) async fn enabled_user(
    tx: &mut AuthnTx<'_>,
    email: &EmailAddress,
) -> Result<Option<Uuid>, FlowError> {
    Ok(tx
        .get_user_by_email(email.as_str())
        .await?
        .filter(|u| u.disabled_at.is_none())
        .map(|u| u.user_id))
}

pub(super) async fn enqueue(
    tx: &mut AuthnTx<'_>,
    mail: &Mail,
    keys: &SecretBox,
) -> Result<(), FlowError> {
    outbox::enqueue(tx, mail, keys).await?;
    Ok(())
}

/// A token that is not even well-formed is just a bad link.
pub(super) fn link_error(err: AuthnError) -> FlowError {
    if err.is_client_error() {
        FlowError::InvalidLink
    } else {
        FlowError::from(err)
    }
}
