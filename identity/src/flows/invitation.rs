//! Accounts an admin makes: by invitation (the owner chooses a password) or with a password
//! the owner must replace; and the mails an admin can send again.

use super::*;

impl AccountFlows {
    /// Creates an account without a password and mails its owner a link to choose one
    /// (valid 72 hours; using it also confirms the address). Returns the new user's id.
    #[tracing::instrument(skip_all)]
    pub async fn invite(&self, authn: &Authn, email: &str) -> Result<Uuid, FlowError> {
        let email = EmailAddress::parse(email)?;
        let mut tx = authn.begin().await?;
        let user_id = new_account(&mut tx, &email, None).await?;
        let token = self
            .issue_token(
                &mut tx,
                user_id,
                TokenType::PasswordReset,
                INVITATION_LIFETIME,
            )
            .await?;
        let namespace = authn.namespace();
        let mail = templates::invitation(
            email.as_str(),
            namespace,
            self.links.reset_password(namespace, token.expose()),
            INVITATION_LIFETIME,
        );
        enqueue(&mut tx, &mail, &self.keys).await?;
        tx.commit().await?;
        Ok(user_id)
    }

    /// Creates an account with an initial password that meets the policy. The address is not
    /// confirmed yet: its owner gets the verification link (or the admin marks it confirmed).
    #[tracing::instrument(skip_all)]
    pub async fn create_with_password(
        &self,
        authn: &Authn,
        email: &str,
        new: NewPassword<'_>,
    ) -> Result<Uuid, FlowError> {
        let email = EmailAddress::parse(email)?;
        let mut tx = authn.begin().await?;
        self.check_new_password(&mut tx, &email, &new).await?;
        let hash = self.hasher.hash(new.password).await?;
        let user_id = new_account(&mut tx, &email, Some(&hash)).await?;
        // The admin knows this password: its owner replaces it at the first sign-in.
        crate::required_password_change::require(&mut tx, user_id).await?;
        self.mail_verification(&mut tx, user_id, &email).await?;
        tx.commit().await?;
        Ok(user_id)
    }

    /// Mails the account a password-reset link, as "forgot password" would.
    #[tracing::instrument(skip_all)]
    pub async fn send_password_reset(&self, authn: &Authn, user_id: Uuid) -> Result<(), FlowError> {
        let user = authn
            .get_user(user_id)
            .await?
            .ok_or(FlowError::InvalidLink)?;
        if user.disabled_at.is_some() {
            return Err(FlowError::AccountDisabled);
        }
        self.request_password_reset(authn, &user.email).await
    }
}
