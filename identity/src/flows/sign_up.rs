//! Sign-up with address verification: the request is recorded (G2), the worker creates the
//! account and mails the link; confirming it verifies the address and sets the password.

use super::*;

impl AccountFlows {
    /// Asks for an unverified account and its verification link. The account is created (or,
    /// for an address that already has one, its owner told instead) by the mail-request worker
    /// ([`AccountFlows::fulfil_mail_requests`]), so the request does the same work — and takes
    /// the same time — whether or not the address has an account.
    #[tracing::instrument(skip_all)]
    pub async fn sign_up(
        &self,
        authn: &Authn,
        email: &str,
        new: NewPassword<'_>,
    ) -> Result<(), FlowError> {
        let email = EmailAddress::parse(email)?;
        let mut tx = authn.begin().await?;
        if roles::sign_up_mode(&mut tx).await? != SignUpMode::Open {
            return Err(FlowError::SignUpClosed);
        }
        self.check_new_password(&mut tx, &email, &new).await?;
        let hash = self.hasher.hash(new.password).await?;
        mail_requests::record(&mut tx, RequestKind::SignUp, email.as_str(), Some(&hash)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The worker's half of a sign-up: the account and its verification link, or a note to the
    /// owner of an existing account.
    pub(super) async fn fulfil_sign_up(
        &self,
        tx: &mut AuthnTx<'_>,
        email: &EmailAddress,
        password_hash: &str,
    ) -> Result<(), FlowError> {
        lock_address(tx, email.as_str()).await?;
        let namespace = tx.namespace().to_owned();
        let mail = match tx.get_user_by_email(email.as_str()).await? {
            Some(_) => templates::sign_up_existing_account(
                email.as_str(),
                &namespace,
                self.links.page(&namespace, vocabulary::Page::SignIn),
            ),
            None => {
                let user_id = tx.create_user(email.as_str(), Some(password_hash)).await?;
                let token = self
                    .issue_token(tx, user_id, TokenType::EmailVerify, VERIFY_LIFETIME)
                    .await?;
                templates::verify_email(
                    email.as_str(),
                    &namespace,
                    self.links.verify_email(&namespace, token.expose()),
                    VERIFY_LIFETIME,
                )
            }
        };
        enqueue(tx, &mail, &self.keys).await
    }

    /// Confirms the address the link was sent to, with the password its owner chooses now.
    ///
    /// Anyone can sign up with any address, so whoever chose the account's first password may
    /// not own the mailbox (pre-hijacking: the attacker signs up with your address, waits for
    /// you to confirm it, then signs in with their password). Following the link proves the
    /// mailbox, so only here does the account get a password it can be signed in with: the
    /// earlier one is replaced and every session, refresh token, API key, pending sign-in and
    /// mailed code the account had is ended. A refused password changes nothing and leaves the
    /// link usable. Returns the confirmed address.
    #[tracing::instrument(skip_all)]
    pub async fn verify_email(
        &self,
        authn: &Authn,
        token: &str,
        new: NewPassword<'_>,
    ) -> Result<String, FlowError> {
        let hash = link_token_hash(token).ok_or(FlowError::InvalidLink)?;
        let mut tx = authn.begin().await?;
        let owner = tx
            .verify_email(&hash)
            .await
            .map_err(link_error)?
            .ok_or(FlowError::InvalidLink)?;
        let enabled = tx
            .get_user(owner.user_id)
            .await?
            .is_some_and(|u| u.disabled_at.is_none());
        if !enabled {
            return Err(FlowError::InvalidLink);
        }
        let email = EmailAddress::parse(&owner.email).map_err(|_| FlowError::InvalidLink)?;
        self.check_new_password(&mut tx, &email, &new).await?;
        let password_hash = self.hasher.hash(new.password).await?;
        tx.update_password(owner.user_id, &password_hash).await?;
        tx.revoke_all_sessions(owner.user_id).await?;
        tx.revoke_all_refresh_tokens(owner.user_id).await?;
        tx.revoke_all_api_keys(owner.user_id).await?;
        crate::required_password_change::clear(&mut tx, owner.user_id).await?;
        crate::pending::discard_for_user(&mut tx, owner.user_id).await?;
        email_code::void(&mut tx, owner.user_id).await?;
        tx.commit().await?;
        Ok(owner.email)
    }

    // ---- magic link ----------------------------------------------------------------------

    /// Mails the account a fresh verification link (the earlier ones stop working).
    #[tracing::instrument(skip_all)]
    pub async fn resend_verification(&self, authn: &Authn, user_id: Uuid) -> Result<(), FlowError> {
        let mut tx = authn.begin().await?;
        let user = tx.get_user(user_id).await?.ok_or(FlowError::InvalidLink)?;
        if user.email_verified_at.is_some() {
            return Err(FlowError::AlreadyVerified);
        }
        if user.disabled_at.is_some() {
            return Err(FlowError::AccountDisabled);
        }
        let email = EmailAddress::parse(&user.email)?;
        tx.invalidate_tokens(user_id, TokenType::EmailVerify)
            .await?;
        self.mail_verification(&mut tx, user_id, &email).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn mail_verification(
        &self,
        tx: &mut AuthnTx<'_>,
        user_id: Uuid,
        email: &EmailAddress,
    ) -> Result<(), FlowError> {
        let token = self
            .issue_token(tx, user_id, TokenType::EmailVerify, VERIFY_LIFETIME)
            .await?;
        let namespace = tx.namespace().to_owned();
        let mail = templates::verify_email(
            email.as_str(),
            &namespace,
            self.links.verify_email(&namespace, token.expose()),
            VERIFY_LIFETIME,
        );
        enqueue(tx, &mail, &self.keys).await
    }

    // ---- forgotten password --------------------------------------------------------------
}
