//! The second step of sign-in: a pending sign-in (see [`crate::pending`]) is completed by a
//! TOTP code or a recovery code, and only then becomes a session.
//!
//! Everything happens in one transaction serialised per address: the lockout check, the code
//! check (a TOTP step claimed, a recovery code removed), and the new session. Wrong codes count
//! toward the account's lockout like wrong passwords, and five of them drop the pending
//! sign-in.

use authn::{Authn, MfaType};
use uuid::Uuid;

use crate::passkeys::{Ceremony, PasskeyError};
use crate::pending;
use crate::recovery;
use crate::security::SecuritySettings;
use crate::session::{lock_address, open_session, ClientInfo, SignedIn};
use crate::signin::SignInService;
use crate::telemetry::{self, Outcome};
use crate::totp::TotpError;

/// What the person offers as their second factor.
#[derive(Clone, Copy, Debug)]
pub enum SecondFactor<'a> {
    Totp(&'a str),
    RecoveryCode(&'a str),
    /// The browser's answer (JSON) to the passkey ceremony `ceremony`.
    Passkey {
        ceremony: Uuid,
        response: &'a str,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum SecondFactorError {
    /// No live pending sign-in for this browser: it expired, was used, or never existed.
    #[error("This sign-in has expired. Sign in again.")]
    Expired,
    #[error("The code is incorrect or has already been used.")]
    WrongCode,
    /// Not one of the account's recovery codes.
    #[error("That is not one of your recovery codes.")]
    WrongRecoveryCode,
    /// A recovery code of the account that was used before (each works once).
    #[error("That recovery code was already used.")]
    RecoveryCodeUsed,
    /// The pending sign-in was dropped after too many wrong codes.
    #[error("Too many incorrect codes. Sign in again.")]
    TooManyAttempts,
    #[error("Too many attempts. Try again later.")]
    LockedOut,
    #[error("internal error")]
    Totp(#[from] TotpError),
    #[error("internal error")]
    Passkey(#[from] PasskeyError),
    #[error("internal error: {0}")]
    Internal(#[from] crate::Internal),
}

crate::internal::internal_from!(SecondFactorError);

/// The methods a pending sign-in can be completed with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AvailableMethods {
    pub totp: bool,
    pub passkeys: usize,
    pub recovery_codes: usize,
}

impl SignInService {
    /// The methods the person behind `pending_token` can use, or `None` when there is no
    /// live pending sign-in.
    #[tracing::instrument(skip_all)]
    pub async fn second_factor_methods(
        &self,
        authn: &Authn,
        pending_token: &str,
    ) -> Result<Option<AvailableMethods>, SecondFactorError> {
        let mut tx = authn.begin().await?;
        let Some(pending) = pending::find(&mut tx, pending_token).await? else {
            return Ok(None);
        };
        let mut methods = AvailableMethods::default();
        for method in tx.list_mfa(pending.user_id).await? {
            match method.mfa_type.as_str() {
                t if t == MfaType::Totp.as_str() => methods.totp = true,
                t if t == MfaType::RecoveryCodes.as_str() => methods.recovery_codes += 1,
                t if t == MfaType::Webauthn.as_str() => methods.passkeys += 1,
                _ => {}
            }
        }
        Ok(Some(methods))
    }

    /// Completes the pending sign-in with `factor`: a new session, or an error that changed
    /// nothing but the failure counts.
    #[tracing::instrument(skip_all)]
    pub async fn complete_second_factor(
        &self,
        authn: &Authn,
        security: &SecuritySettings,
        pending_token: &str,
        factor: SecondFactor<'_>,
        client: ClientInfo<'_>,
    ) -> Result<SignedIn, SecondFactorError> {
        let method = match factor {
            SecondFactor::Totp(_) => "totp",
            SecondFactor::RecoveryCode(_) => "recovery_code",
            SecondFactor::Passkey { .. } => "passkey",
        };
        let result = self
            .check_second_factor(authn, security, pending_token, factor, client)
            .await;
        telemetry::mfa_step(method, outcome(&result));
        result
    }

    async fn check_second_factor(
        &self,
        authn: &Authn,
        security: &SecuritySettings,
        pending_token: &str,
        factor: SecondFactor<'_>,
        client: ClientInfo<'_>,
    ) -> Result<SignedIn, SecondFactorError> {
        let mut tx = authn.begin().await?;
        let Some(pending) = pending::find(&mut tx, pending_token).await? else {
            return Err(SecondFactorError::Expired);
        };
        let user_id: Uuid = pending.user_id;
        let Some(user) = tx
            .get_user(user_id)
            .await?
            .filter(|u| u.disabled_at.is_none())
        else {
            pending::complete(&mut tx, pending_token).await?;
            tx.commit().await?;
            return Err(SecondFactorError::Expired);
        };
        lock_address(&mut tx, &user.email).await?;
        if self.lockout().is_locked(&mut tx, &user.email).await? {
            return Err(SecondFactorError::LockedOut);
        }
        // A racing request may have completed it while this one waited for the lock.
        if pending::find(&mut tx, pending_token).await?.is_none() {
            return Err(SecondFactorError::Expired);
        }

        let mut spent = false;
        let accepted = match factor {
            SecondFactor::Totp(code) => security
                .totp()
                .verify(&mut tx, user_id, code)
                .await?
                .is_some(),
            SecondFactor::RecoveryCode(code) => {
                match recovery::consume(&mut tx, user_id, code).await? {
                    recovery::Use::Used => true,
                    recovery::Use::AlreadyUsed => {
                        spent = true;
                        false
                    }
                    recovery::Use::Unknown => false,
                }
            }
            SecondFactor::Passkey { ceremony, response } => {
                security
                    .passkeys()?
                    .verify_second_factor(&mut tx, user_id, ceremony, response)
                    .await?
            }
        };
        let second = match factor {
            SecondFactor::Totp(_) => "authenticator app",
            SecondFactor::RecoveryCode(_) => "recovery code",
            SecondFactor::Passkey { .. } => "passkey",
        };
        if !accepted {
            tx.record_login_attempt(&user.email, false, client.ip_address)
                .await?;
            crate::activity::record(
                &mut tx,
                user_id,
                crate::activity::Activity::SignInFailed(second),
                client,
            )
            .await?;
            let still_usable = pending::record_failure(&mut tx, pending_token).await?;
            tx.commit().await?;
            return Err(match (still_usable, spent) {
                (false, _) => SecondFactorError::TooManyAttempts,
                (true, true) => SecondFactorError::RecoveryCodeUsed,
                (true, false) if matches!(factor, SecondFactor::RecoveryCode(_)) => {
                    SecondFactorError::WrongRecoveryCode
                }
                (true, false) => SecondFactorError::WrongCode,
            });
        }
        pending::complete(&mut tx, pending_token)
            .await?
            .ok_or(SecondFactorError::Expired)?;
        let signed_in = open_session(&mut tx, user_id, self.session_lifetime(), client).await?;
        let first = pending::FirstFactor::parse(&pending.first_factor)
            .map_or("first factor", pending::FirstFactor::label);
        crate::sign_in_alert::record_sign_in(
            &mut tx,
            user_id,
            &format!("{first} + {second}"),
            client,
        )
        .await?;
        tx.commit().await?;
        Ok(signed_in)
    }

    /// Starts the passkey check of the pending sign-in's user; `None` without a live pending
    /// sign-in or without passkeys.
    #[tracing::instrument(skip_all)]
    pub async fn begin_passkey_second_factor(
        &self,
        authn: &Authn,
        security: &SecuritySettings,
        pending_token: &str,
    ) -> Result<Option<Ceremony>, SecondFactorError> {
        let mut tx = authn.begin().await?;
        let Some(pending) = pending::find(&mut tx, pending_token).await? else {
            return Ok(None);
        };
        let ceremony = security
            .passkeys()?
            .begin_second_factor(&mut tx, pending.user_id)
            .await?;
        tx.commit().await?;
        Ok(ceremony)
    }

    /// Starts a passwordless sign-in with a passkey.
    #[tracing::instrument(skip_all)]
    pub async fn begin_passkey_sign_in(
        &self,
        authn: &Authn,
        security: &SecuritySettings,
    ) -> Result<Ceremony, SecondFactorError> {
        let mut tx = authn.begin().await?;
        let ceremony = security.passkeys()?.begin_sign_in(&mut tx).await?;
        tx.commit().await?;
        Ok(ceremony)
    }

    /// Signs in with a passkey alone: a verified, user-verifying passkey is two factors in one
    /// (something held, unlocked by something known or biometric). Any failure is `Expired`
    /// or `WrongCode` alike, and tells nothing about accounts.
    #[tracing::instrument(skip_all)]
    pub async fn sign_in_with_passkey(
        &self,
        authn: &Authn,
        security: &SecuritySettings,
        ceremony: Uuid,
        response: &str,
        client: ClientInfo<'_>,
    ) -> Result<SignedIn, SecondFactorError> {
        let result = self
            .check_passkey(authn, security, ceremony, response, client)
            .await;
        telemetry::sign_in("passkey", outcome(&result));
        result
    }

    async fn check_passkey(
        &self,
        authn: &Authn,
        security: &SecuritySettings,
        ceremony: Uuid,
        response: &str,
        client: ClientInfo<'_>,
    ) -> Result<SignedIn, SecondFactorError> {
        let mut tx = authn.begin().await?;
        let user_id = match security
            .passkeys()?
            .finish_sign_in(&mut tx, ceremony, response)
            .await
        {
            Ok(user_id) => user_id,
            Err(PasskeyError::NotVerified) => return Err(SecondFactorError::WrongCode),
            Err(e) => return Err(e.into()),
        };
        let user = tx
            .get_user(user_id)
            .await?
            .filter(|u| u.disabled_at.is_none())
            .ok_or(SecondFactorError::WrongCode)?;
        lock_address(&mut tx, &user.email).await?;
        if self.lockout().is_locked(&mut tx, &user.email).await? {
            return Err(SecondFactorError::LockedOut);
        }
        tx.record_login_attempt(&user.email, true, client.ip_address)
            .await?;
        let signed_in = open_session(&mut tx, user_id, self.session_lifetime(), client).await?;
        crate::sign_in_alert::record_sign_in(&mut tx, user_id, "passkey", client).await?;
        tx.commit().await?;
        Ok(signed_in)
    }
}

/// How a step that signs in ended, for the counters.
fn outcome(result: &Result<SignedIn, SecondFactorError>) -> Outcome {
    match result {
        Ok(_) => Outcome::Success,
        Err(SecondFactorError::LockedOut) => Outcome::LockedOut,
        Err(
            SecondFactorError::Internal(_)
            | SecondFactorError::Totp(_)
            | SecondFactorError::Passkey(_),
        ) => Outcome::Error,
        Err(_) => Outcome::Failure,
    }
}
