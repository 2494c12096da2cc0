//! Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30-second steps), the form every
//! authenticator app understands.
//!
//! - Enrollment makes a 160-bit secret and hands the browser a sealed copy (bound to the user
//!   and 15 minutes); nothing is stored until the person proves their app works by entering a
//!   current code. Then the secret is sealed again for storage in the core's MFA record.
//! - A code is accepted for the current step and one step either side (clock drift), and only
//!   for a step later than the last one accepted for that method: a code never works twice,
//!   even in a race (the step is claimed with one conditional upsert).

use std::sync::Arc;

use authn::{AuthnTx, MfaType};
use chrono::{DateTime, TimeDelta, Utc};
use rand::rngs::OsRng;
use rand::RngCore;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};
use uuid::Uuid;

use crate::clock::Clock;
use crate::secret_box::SecretBox;

const STEP_SECONDS: u64 = 30;
const DIGITS: usize = 6;
/// Steps accepted either side of now.
const SKEW: u64 = 1;
const SECRET_BYTES: usize = 20;
const ENROLLMENT_LIFETIME: TimeDelta = TimeDelta::minutes(15);
/// The name the method carries in lists and audit details.
pub const METHOD_NAME: &str = "Authenticator app";

#[derive(Debug, thiserror::Error)]
pub enum TotpError {
    /// Expired, tampered with, or made for someone else.
    #[error("the enrollment is no longer valid")]
    EnrollmentInvalid,
    #[error("the code is incorrect")]
    WrongCode,
    #[error("an authenticator app is already set up")]
    AlreadyEnrolled,
    #[error("no authenticator app is set up")]
    NotEnrolled,
    /// Stored secrets that do not open: the configured key changed.
    #[error("stored secret unreadable")]
    Unreadable,
    #[error("internal error: {0}")]
    Internal(#[from] crate::Internal),
}

crate::internal::internal_from!(TotpError);

/// What the enrollment page shows.
#[derive(Clone)]
pub struct TotpSetup {
    /// Base32, for typing into an app by hand.
    pub secret_base32: String,
    pub otpauth_uri: String,
    /// The URI as a PNG QR code, base64 (for a `data:` image).
    pub qr_png_base64: String,
    /// The sealed secret the confirmation posts back.
    pub enrollment: String,
}

impl std::fmt::Debug for TotpSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSetup(<secret>)")
    }
}

#[derive(Clone)]
pub struct TotpService {
    secrets: SecretBox,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for TotpService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpService")
    }
}

impl TotpService {
    pub fn new(secrets: SecretBox, clock: Arc<dyn Clock>) -> TotpService {
        TotpService { secrets, clock }
    }

    /// The deployment's key (the security notices it sends are sealed with it too).
    pub fn secrets(&self) -> &SecretBox {
        &self.secrets
    }

    /// A fresh secret for `email` of `namespace`, not stored anywhere yet.
    pub fn begin_enrollment(
        &self,
        namespace: &str,
        user_id: Uuid,
        email: &str,
    ) -> Result<TotpSetup, TotpError> {
        let mut secret = vec![0u8; SECRET_BYTES];
        OsRng.fill_bytes(&mut secret);
        let mut sealed = secret.clone();
        sealed.extend_from_slice(&self.clock.now().timestamp().to_be_bytes());
        let enrollment = self
            .secrets
            .seal(&sealed, &enrollment_context(namespace, user_id));
        setup(secret, namespace, email, enrollment)
    }

    /// The setup of an enrollment begun earlier and still valid, shown again (after a wrong
    /// code, say): the same secret, so the app that scanned it need not scan again.
    pub fn resume_enrollment(
        &self,
        namespace: &str,
        user_id: Uuid,
        email: &str,
        enrollment: &str,
    ) -> Result<TotpSetup, TotpError> {
        let secret = self.open_enrollment(namespace, user_id, enrollment)?;
        setup(secret.to_vec(), namespace, email, enrollment.to_owned())
    }

    /// The secret sealed in `enrollment`, if it is this user's and not too old.
    fn open_enrollment(
        &self,
        namespace: &str,
        user_id: Uuid,
        enrollment: &str,
    ) -> Result<Vec<u8>, TotpError> {
        let mut opened = self
            .secrets
            .open(enrollment, &enrollment_context(namespace, user_id))
            .map_err(|_| TotpError::EnrollmentInvalid)?;
        if opened.len() != SECRET_BYTES + 8 {
            return Err(TotpError::EnrollmentInvalid);
        }
        let issued = opened.split_off(SECRET_BYTES);
        let issued = i64::from_be_bytes(issued.try_into().unwrap_or_default());
        let issued =
            DateTime::<Utc>::from_timestamp(issued, 0).ok_or(TotpError::EnrollmentInvalid)?;
        if self.clock.now() - issued > ENROLLMENT_LIFETIME {
            return Err(TotpError::EnrollmentInvalid);
        }
        Ok(opened)
    }

    /// Stores the method once `code` proves the app has the secret; returns the method's id.
    #[tracing::instrument(skip_all)]
    pub async fn finish_enrollment(
        &self,
        tx: &mut AuthnTx<'_>,
        user_id: Uuid,
        enrollment: &str,
        code: &str,
    ) -> Result<Uuid, TotpError> {
        let namespace = tx.namespace().to_owned();
        let secret = self.open_enrollment(&namespace, user_id, enrollment)?;
        let secret = secret.as_slice();
        if !tx.get_mfa(user_id, MfaType::Totp).await?.is_empty() {
            return Err(TotpError::AlreadyEnrolled);
        }
        let step = self
            .matching_step(secret, code)
            .ok_or(TotpError::WrongCode)?;
        let stored = self
            .secrets
            .seal(secret, &storage_context(&namespace, user_id));
        let mfa_id = tx
            .add_mfa(user_id, MfaType::Totp, &stored, Some(METHOD_NAME))
            .await?;
        // The code that confirmed the app is used up too.
        claim_step(tx, mfa_id, step).await?;
        Ok(mfa_id)
    }

    /// Checks `code` against the user's authenticator app and uses it up. `Ok(None)` for a
    /// wrong, stale or already used code.
    #[tracing::instrument(skip_all)]
    pub async fn verify(
        &self,
        tx: &mut AuthnTx<'_>,
        user_id: Uuid,
        code: &str,
    ) -> Result<Option<Uuid>, TotpError> {
        let namespace = tx.namespace().to_owned();
        for method in tx.get_mfa(user_id, MfaType::Totp).await? {
            let secret = self
                .secrets
                .open(&method.secret, &storage_context(&namespace, user_id))
                .map_err(|_| {
                    tracing::error!(mfa_id = %method.mfa_id, "TOTP secret does not open with the configured key");
                    TotpError::Unreadable
                })?;
            if let Some(step) = self.matching_step(&secret, code) {
                if claim_step(tx, method.mfa_id, step).await? {
                    tx.record_mfa_use(method.mfa_id).await?;
                    return Ok(Some(method.mfa_id));
                }
                return Ok(None);
            }
        }
        Ok(None)
    }

    /// Removes the user's authenticator app (the caller checked sudo mode).
    #[tracing::instrument(skip_all)]
    pub async fn remove(&self, tx: &mut AuthnTx<'_>, user_id: Uuid) -> Result<(), TotpError> {
        let methods = tx.get_mfa(user_id, MfaType::Totp).await?;
        if methods.is_empty() {
            return Err(TotpError::NotEnrolled);
        }
        for method in methods {
            tx.remove_mfa(method.mfa_id).await?;
            sqlx::query("DELETE FROM gatehouse.totp_last_steps WHERE mfa_id = $1")
                .bind(method.mfa_id)
                .execute(tx.conn())
                .await?;
        }
        Ok(())
    }

    /// The step among now ± SKEW whose code is `code`, compared in constant time.
    fn matching_step(&self, secret: &[u8], code: &str) -> Option<u64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let now = u64::try_from(self.clock.now().timestamp()).ok()?;
        let current = now / STEP_SECONDS;
        let totp = totp_for(secret.to_vec(), None, "");
        let mut found = None;
        for step in current.saturating_sub(SKEW)..=current + SKEW {
            let expected = totp.generate(step * STEP_SECONDS);
            if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) && found.is_none() {
                found = Some(step);
            }
        }
        found
    }
}

fn issuer(namespace: &str) -> String {
    // Authenticator apps split the label at ':'; keep it out of the issuer.
    format!("Gatehouse {}", namespace.replace(':', " "))
}

/// What the enrollment page shows for `secret`, sealed as `enrollment`.
fn setup(
    secret: Vec<u8>,
    namespace: &str,
    email: &str,
    enrollment: String,
) -> Result<TotpSetup, TotpError> {
    let totp = totp_for(secret, Some(issuer(namespace)), email);
    let qr = totp.get_qr_base64().map_err(|e| {
        tracing::error!(error = %e, "QR code not drawn");
        TotpError::EnrollmentInvalid
    })?;
    Ok(TotpSetup {
        secret_base32: totp.get_secret_base32(),
        otpauth_uri: totp.get_url(),
        qr_png_base64: qr,
        enrollment,
    })
}

fn totp_for(secret: Vec<u8>, issuer: Option<String>, account: &str) -> TOTP {
    TOTP::new_unchecked(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP_SECONDS,
        secret,
        issuer,
        account.to_owned(),
    )
}

fn enrollment_context(namespace: &str, user_id: Uuid) -> String {
    format!("totp-enrollment:{namespace}:{user_id}")
}

fn storage_context(namespace: &str, user_id: Uuid) -> String {
    format!("totp:{namespace}:{user_id}")
}

/// Records `step` as used for the method unless it (or a later one) already was.
async fn claim_step(tx: &mut AuthnTx<'_>, mfa_id: Uuid, step: u64) -> Result<bool, TotpError> {
    let (conn, namespace) = tx.parts();
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    let claimed: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO gatehouse.totp_last_steps (mfa_id, namespace, last_step) VALUES ($1, $2, $3) \
         ON CONFLICT (mfa_id) DO UPDATE SET last_step = EXCLUDED.last_step \
          WHERE gatehouse.totp_last_steps.last_step < EXCLUDED.last_step \
         RETURNING mfa_id",
    )
    .bind(mfa_id)
    .bind(namespace)
    .bind(step)
    .fetch_optional(conn)
    .await?;
    Ok(claimed.is_some())
}
