//! Sign-in with e-mail and password over the core, with lockout.
//!
//! Every failure looks the same to the caller — unknown e-mail, wrong password, SSO-only or
//! disabled account — and takes the same time (an unknown account is verified against a dummy
//! hash). Lockout is checked first and applies to any e-mail past the threshold, known or not,
//! so it reveals nothing either. A successful sign-in always creates a new session.

use std::net::IpAddr;

use authn::{Authn, AuthnTx};
use chrono::{DateTime, TimeDelta, Utc};
use secrecy::SecretString;

use crate::lockout::LockoutPolicy;
use crate::password::PasswordHasher;
use crate::pending::FirstFactor;
use crate::session::{after_first_factor, ClientInfo, SignInStep};
use crate::telemetry::{self, Outcome};

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Wrong e-mail or password, or an account that may not sign in; deliberately vague.
    #[error("The email or password is incorrect.")]
    InvalidCredentials,
    /// Too many failures in the window; `until` is when the address opens again, when known.
    /// It depends only on the attempts made with the address, so it is the same for an address
    /// with an account and one without.
    #[error("Too many attempts. Try again later.")]
    LockedOut { until: Option<DateTime<Utc>> },
    /// The password was right but the address was never confirmed. Shown only to someone who
    /// knew the password, so it reveals nothing to a stranger.
    #[error("Confirm your email address first: use the link we sent you.")]
    EmailNotVerified,
    #[error("internal error: {0}")]
    Internal(#[from] crate::Internal),
}

crate::internal::internal_from!(SignInError);

pub struct SignInRequest<'a> {
    pub email: &'a str,
    pub password: &'a SecretString,
    pub ip_address: Option<IpAddr>,
    pub user_agent: Option<&'a str>,
}

#[derive(Clone, Debug)]
pub struct SignInService {
    hasher: PasswordHasher,
    lockout: LockoutPolicy,
    session_lifetime: TimeDelta,
}

impl SignInService {
    pub fn new(
        hasher: PasswordHasher,
        lockout: LockoutPolicy,
        session_lifetime: TimeDelta,
    ) -> Self {
        SignInService {
            hasher,
            lockout,
            session_lifetime,
        }
    }

    pub fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }

    pub fn lockout(&self) -> LockoutPolicy {
        self.lockout
    }

    pub fn session_lifetime(&self) -> TimeDelta {
        self.session_lifetime
    }

    /// The same service opening sessions that live `lifetime` (the API's, which last as long as
    /// their refresh tokens).
    pub fn with_session_lifetime(&self, lifetime: TimeDelta) -> SignInService {
        SignInService {
            session_lifetime: lifetime,
            ..self.clone()
        }
    }

    /// Checks the credentials and opens a session in `authn`'s namespace, or starts the
    /// second step for an account with MFA.
    ///
    /// The whole check runs in one transaction holding an advisory lock on the (namespace,
    /// e-mail) pair: without it, parallel guesses could all pass the lockout check before any
    /// of their failures was recorded. Attempts on one address are therefore serialised;
    /// different addresses do not wait for each other.
    #[tracing::instrument(skip_all)]
    pub async fn sign_in(
        &self,
        authn: &Authn,
        req: SignInRequest<'_>,
    ) -> Result<SignInStep, SignInError> {
        self.sign_in_uncommitted(authn, req).await?.commit().await
    }

    /// [`SignInService::sign_in`] up to its commit: a caller with writes of its own that belong
    /// to the sign-in (the API's first refresh token) makes them in the same transaction, so
    /// that they and the session land together, and saves the round trips of a second one.
    /// Refusals are committed already (the attempt counts toward lockout either way).
    #[tracing::instrument(skip_all)]
    pub async fn sign_in_uncommitted(
        &self,
        authn: &Authn,
        req: SignInRequest<'_>,
    ) -> Result<UncommittedSignIn, SignInError> {
        self.check_password(authn, req).await.inspect_err(|e| {
            telemetry::sign_in(
                "password",
                match e {
                    SignInError::InvalidCredentials | SignInError::EmailNotVerified => {
                        Outcome::Failure
                    }
                    SignInError::LockedOut { .. } => Outcome::LockedOut,
                    SignInError::Internal(_) => Outcome::Error,
                },
            );
        })
    }

    async fn check_password(
        &self,
        authn: &Authn,
        req: SignInRequest<'_>,
    ) -> Result<UncommittedSignIn, SignInError> {
        // What was typed is recorded (attempts, audit trail) only if it is an e-mail address:
        // people type passwords into the address field, and the core would take `P@ssw0rd`.
        let Ok(email) = crate::EmailAddress::parse(req.email) else {
            self.hasher.verify(req.password, None).await?;
            return Err(SignInError::InvalidCredentials);
        };
        let req = SignInRequest {
            email: email.as_str(),
            ..req
        };
        // The lock of `session::lock_address`, taken as the transaction starts.
        let mut tx = authn.begin_serialised(req.email).await?;
        // The lockout check, the credentials, and what the account owes after its password,
        // in one statement after the lock. Whether it has MFA and a confirmed address are read
        // before the hash rather than after: as if the attempt had come a moment earlier.
        let check = match self.lockout.password_check(&mut tx, req.email).await {
            Ok(check) => check,
            // Not an e-mail address at all: nobody to lock out or sign in. Spend the time a
            // real check would, then answer like any other failure.
            Err(e) if e.is_client_error() => {
                drop(tx);
                self.hasher.verify(req.password, None).await?;
                return Err(SignInError::InvalidCredentials);
            }
            Err(e) => return Err(e.into()),
        };
        if check.locked {
            let until = self.lockout.lifts_at(&mut tx, req.email).await?;
            return Err(SignInError::LockedOut { until });
        }

        let credentials = check.credentials;
        let stored = credentials
            .as_ref()
            .and_then(|c| c.password_hash.as_deref());
        let password_ok = self.hasher.verify(req.password, stored).await?;
        let account_id = credentials.as_ref().map(|c| c.user_id);
        let user = credentials.filter(|c| password_ok && c.disabled_at.is_none());

        let Some(user) = user else {
            tx.record_login_attempt(req.email, false, req.ip_address)
                .await?;
            if let Some(account_id) = account_id {
                crate::activity::record(
                    &mut tx,
                    account_id,
                    crate::activity::Activity::SignInFailed("password"),
                    ClientInfo {
                        ip_address: req.ip_address,
                        user_agent: req.user_agent,
                    },
                )
                .await?;
            }
            tx.commit().await?;
            return Err(SignInError::InvalidCredentials);
        };

        if !check.email_verified {
            tx.commit().await?;
            return Err(SignInError::EmailNotVerified);
        }
        tx.record_login_attempt(req.email, true, req.ip_address)
            .await?;
        let step = after_first_factor(
            &mut tx,
            user.user_id,
            FirstFactor::Password,
            Some(check.has_mfa),
            self.session_lifetime,
            ClientInfo {
                ip_address: req.ip_address,
                user_agent: req.user_agent,
            },
        )
        .await?;
        Ok(UncommittedSignIn { tx, step })
    }

    /// Sudo mode: the signed-in person confirms their password again. A wrong password counts
    /// toward lockout like any other, so a left-open session cannot be used to guess it.
    #[tracing::instrument(skip_all)]
    pub async fn confirm_password(
        &self,
        authn: &Authn,
        session_id: uuid::Uuid,
        email: &str,
        password: &SecretString,
        ip_address: Option<IpAddr>,
    ) -> Result<(), SignInError> {
        // The lock of `session::lock_address`, taken as the transaction starts.
        let mut tx = authn.begin_serialised(email).await?;
        let check = self.lockout.password_check(&mut tx, email).await?;
        if check.locked {
            let until = self.lockout.lifts_at(&mut tx, email).await?;
            return Err(SignInError::LockedOut { until });
        }
        let stored = check
            .credentials
            .as_ref()
            .and_then(|c| c.password_hash.as_deref());
        if !self.hasher.verify(password, stored).await? {
            tx.record_login_attempt(email, false, ip_address).await?;
            tx.commit().await?;
            return Err(SignInError::InvalidCredentials);
        }
        crate::reauth::record(&mut tx, session_id).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A sign-in whose session (or pending second step) is written but not yet committed: see
/// [`SignInService::sign_in_uncommitted`]. Dropping it undoes the sign-in.
#[derive(Debug)]
pub struct UncommittedSignIn {
    tx: AuthnTx<'static>,
    step: SignInStep,
}

impl UncommittedSignIn {
    /// Where the sign-in leads once committed.
    pub fn step(&self) -> &SignInStep {
        &self.step
    }

    /// The sign-in's transaction, for the caller's writes that belong with it.
    pub fn tx(&mut self) -> &mut AuthnTx<'static> {
        &mut self.tx
    }

    /// Gives the sign-in up after the caller's own writes failed: nothing of it is kept, and it
    /// counts as an error.
    pub fn abandon(self) {
        telemetry::sign_in("password", Outcome::Error);
    }

    /// Makes the sign-in and the caller's writes permanent, and counts it.
    pub async fn commit(self) -> Result<SignInStep, SignInError> {
        let result = self.tx.commit().await.map(|()| self.step);
        let result = result.map_err(SignInError::from);
        telemetry::sign_in(
            "password",
            Outcome::of_first_step(&result, |_| Outcome::Error),
        );
        result
    }
}
