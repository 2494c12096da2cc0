//! Signing in with a code mailed to the address (keyed hash, a few guesses).

use super::*;
use crate::telemetry::{self, Outcome};

impl AccountFlows {
    /// Asks for a 6-digit code valid for 10 minutes, mailed to the address if it has an enabled
    /// account (by the worker: the request is the same for every address).
    #[tracing::instrument(skip_all)]
    pub async fn request_email_code(&self, authn: &Authn, email: &str) -> Result<(), FlowError> {
        self.record_request(authn, email, RequestKind::EmailCode)
            .await
    }

    /// The worker's half: a fresh code for the enabled account of `email`. Earlier codes of the
    /// account stop working: each outstanding code would be one more target for every guess.
    pub(super) async fn fulfil_email_code(
        &self,
        tx: &mut AuthnTx<'_>,
        email: &EmailAddress,
    ) -> Result<(), FlowError> {
        let Some(user_id) = enabled_user(tx, email).await? else {
            return Ok(());
        };
        let namespace = tx.namespace().to_owned();
        let code = format!("{:06}", OsRng.gen_range(0..1_000_000u32));
        let hash = self.email_code_hash(user_id, &code);
        email_code::store(tx, user_id, &hash, EMAIL_CODE_LIFETIME).await?;
        let mail = templates::email_code(email.as_str(), &namespace, &code, EMAIL_CODE_LIFETIME);
        enqueue(tx, &mail, &self.keys).await
    }

    /// Signs in with a mailed code. Wrong codes count as failed sign-ins of the address, so the
    /// lockout limits guesses (5 per 15 minutes by default), and reaching it voids the code;
    /// each code also dies after [`email_code::MAX_FAILURES`] wrong guesses of its own.
    #[tracing::instrument(skip_all)]
    pub async fn sign_in_with_email_code(
        &self,
        authn: &Authn,
        email: &str,
        code: &str,
        client: ClientInfo<'_>,
    ) -> Result<SignInStep, FlowError> {
        let result = self.check_email_code(authn, email, code, client).await;
        telemetry::sign_in(
            "email_code",
            Outcome::of_first_step(&result, |e| match e {
                FlowError::LockedOut => Outcome::LockedOut,
                FlowError::Internal(_) => Outcome::Error,
                _ => Outcome::Failure,
            }),
        );
        result
    }

    async fn check_email_code(
        &self,
        authn: &Authn,
        email: &str,
        code: &str,
        client: ClientInfo<'_>,
    ) -> Result<SignInStep, FlowError> {
        let email = EmailAddress::parse(email)?;
        let code = code.trim();
        let mut tx = authn.begin().await?;
        lock_address(&mut tx, email.as_str()).await?;
        if self.lockout.is_locked(&mut tx, email.as_str()).await? {
            return Err(FlowError::LockedOut);
        }
        let well_formed = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
        let user_id = enabled_user(&mut tx, &email).await?;
        let owner = match (user_id, well_formed) {
            (Some(user_id), true) => {
                let hash = self.email_code_hash(user_id, code);
                email_code::consume(&mut tx, user_id, &hash)
                    .await?
                    .then_some(user_id)
            }
            _ => None,
        };
        let Some(owner) = owner else {
            tx.record_login_attempt(email.as_str(), false, client.ip_address)
                .await?;
            if let Some(user_id) = user_id {
                email_code::record_failure(&mut tx, user_id).await?;
                crate::activity::record(
                    &mut tx,
                    user_id,
                    crate::activity::Activity::SignInFailed("email code"),
                    client,
                )
                .await?;
                if self.lockout.is_locked(&mut tx, email.as_str()).await? {
                    email_code::void(&mut tx, user_id).await?;
                }
            }
            tx.commit().await?;
            return Err(FlowError::InvalidCode);
        };
        tx.record_login_attempt(email.as_str(), true, client.ip_address)
            .await?;
        let step = after_first_factor(
            &mut tx,
            owner,
            FirstFactor::EmailCode,
            None,
            self.session_lifetime,
            client,
        )
        .await?;
        tx.commit().await?;
        Ok(step)
    }

    // ---- accounts an admin creates ---------------------------------------------------------

    /// Codes are short, so their hash is keyed with the deployment's secret and bound to the
    /// account: the same six digits of two users are different values, a guess is tried
    /// against one account only, and a copy of the table does not give the codes away.
    pub(super) fn email_code_hash(&self, user_id: Uuid, code: &str) -> String {
        self.keys.keyed_hash(&format!("email-code:{user_id}"), code)
    }
}
