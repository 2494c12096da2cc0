//! Signing in with a link mailed to the address (single use).

use super::*;
use crate::telemetry::{self, Outcome};

impl AccountFlows {
    /// Asks for a single-use sign-in link valid for 15 minutes, mailed to the address if it
    /// has an enabled account (by the worker: the request is the same for every address).
    #[tracing::instrument(skip_all)]
    pub async fn request_magic_link(&self, authn: &Authn, email: &str) -> Result<(), FlowError> {
        self.record_request(authn, email, RequestKind::MagicLink)
            .await
    }

    /// Uses a magic link: a new session for its (enabled) owner. Following the link proves the
    /// mailbox, so it also confirms the address.
    #[tracing::instrument(skip_all)]
    pub async fn sign_in_with_magic_link(
        &self,
        authn: &Authn,
        token: &str,
        client: ClientInfo<'_>,
    ) -> Result<SignInStep, FlowError> {
        let result = self.check_magic_link(authn, token, client).await;
        telemetry::sign_in(
            "magic_link",
            Outcome::of_first_step(&result, |e| match e {
                FlowError::LockedOut => Outcome::LockedOut,
                FlowError::Internal(_) => Outcome::Error,
                _ => Outcome::Failure,
            }),
        );
        result
    }

    async fn check_magic_link(
        &self,
        authn: &Authn,
        token: &str,
        client: ClientInfo<'_>,
    ) -> Result<SignInStep, FlowError> {
        let hash = link_token_hash(token).ok_or(FlowError::InvalidLink)?;
        let mut tx = authn.begin().await?;
        let owner = tx
            .consume_token(&hash, TokenType::MagicLink)
            .await
            .map_err(link_error)?
            .ok_or(FlowError::InvalidLink)?;
        // Decision D12: consuming does not look at the owner; a disabled account gets the
        // same answer as a bad link (the used token is rolled back with it).
        let user = tx.get_user(owner.user_id).await?;
        if user.as_ref().is_none_or(|u| u.disabled_at.is_some()) {
            return Err(FlowError::InvalidLink);
        }
        tx.record_login_attempt(&owner.email, true, client.ip_address)
            .await?;
        let step = after_first_factor(
            &mut tx,
            owner.user_id,
            FirstFactor::MagicLink,
            None,
            self.session_lifetime,
            client,
        )
        .await?;
        tx.commit().await?;
        Ok(step)
    }

    // ---- e-mail code ---------------------------------------------------------------------
}
