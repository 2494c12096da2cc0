//! Setting a password: with a reset link, by the signed-in owner, or the one an admin typed
//! being replaced at the next sign-in.

use super::*;

impl AccountFlows {
    /// Sets a new password with a reset link. A reset is how an account is taken back, so
    /// everything that could still act for it ends: every session, refresh token and API key is
    /// revoked, pending sign-ins and mailed codes are dropped, the other reset links stop
    /// working, and the owner is told by mail what was revoked. A refused password leaves the
    /// link usable (the transaction rolls back).
    #[tracing::instrument(skip_all)]
    pub async fn reset_password(
        &self,
        authn: &Authn,
        token: &str,
        new: NewPassword<'_>,
    ) -> Result<ResetOutcome, FlowError> {
        let hash = link_token_hash(token).ok_or(FlowError::InvalidLink)?;
        let mut tx = authn.begin().await?;
        let owner = tx
            .consume_token(&hash, TokenType::PasswordReset)
            .await
            .map_err(link_error)?
            .ok_or(FlowError::InvalidLink)?;
        let user = tx.get_user(owner.user_id).await?;
        if user.as_ref().is_none_or(|u| u.disabled_at.is_some()) {
            return Err(FlowError::InvalidLink);
        }
        let email = EmailAddress::parse(&owner.email).map_err(|_| FlowError::InvalidLink)?;
        self.check_new_password(&mut tx, &email, &new).await?;
        let hash = self.hasher.hash(new.password).await?;
        tx.update_password(owner.user_id, &hash).await?;
        // The link reached the mailbox, which confirms the address (an invitation's first
        // password is set this way).
        if user.as_ref().is_some_and(|u| u.email_verified_at.is_none()) {
            let proof = self
                .issue_token(
                    &mut tx,
                    owner.user_id,
                    TokenType::EmailVerify,
                    VERIFY_LIFETIME,
                )
                .await?;
            tx.verify_email(&proof.hash()).await?;
        }
        let sessions = tx.revoke_all_sessions(owner.user_id).await?;
        tx.revoke_all_refresh_tokens(owner.user_id).await?;
        let api_keys = tx.revoke_all_api_keys(owner.user_id).await?;
        // Every other link ends too: a verification link sets the password as well.
        for kind in [
            TokenType::PasswordReset,
            TokenType::EmailVerify,
            TokenType::MagicLink,
        ] {
            tx.invalidate_tokens(owner.user_id, kind).await?;
        }
        let namespace = authn.namespace();
        crate::pending::discard_for_user(&mut tx, owner.user_id).await?;
        email_code::void(&mut tx, owner.user_id).await?;
        crate::required_password_change::clear(&mut tx, owner.user_id).await?;
        // The reset proves the mailbox, as a magic link does, and earlier failures are moot.
        tx.clear_attempts(email.as_str()).await?;
        crate::activity::record(
            &mut tx,
            owner.user_id,
            crate::activity::Activity::PasswordReset,
            ClientInfo::default(),
        )
        .await?;
        let outcome = ResetOutcome {
            sessions: u32::try_from(sessions).unwrap_or(0),
            api_keys: u32::try_from(api_keys).unwrap_or(0),
        };
        let notice = templates::password_changed(
            email.as_str(),
            namespace,
            self.links.page(namespace, vocabulary::Page::ForgotPassword),
            outcome.api_keys,
        );
        enqueue(&mut tx, &notice, &self.keys).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Changes the password of a signed-in person. The current password proves it is them (a
    /// wrong one counts toward lockout); the new one meets the same policy as sign-up and
    /// reset. Every other session and every refresh token is revoked, `current_session` is
    /// kept, and the owner is told by mail: all or nothing.
    #[tracing::instrument(skip_all)]
    pub async fn change_password(
        &self,
        authn: &Authn,
        change: PasswordChange<'_>,
    ) -> Result<(), FlowError> {
        let mut tx = authn.begin().await?;
        let user = tx
            .get_user(change.user_id)
            .await?
            .filter(|u| u.disabled_at.is_none())
            .ok_or(FlowError::InvalidLink)?;
        let email = EmailAddress::parse(&user.email).map_err(|_| FlowError::InvalidLink)?;
        crate::session::lock_address(&mut tx, email.as_str()).await?;
        let check = self.lockout.password_check(&mut tx, email.as_str()).await?;
        if check.locked {
            return Err(FlowError::LockedOut);
        }
        let stored = check
            .credentials
            .as_ref()
            .and_then(|c| c.password_hash.as_deref());
        if !self.hasher.verify(change.current, stored).await? {
            tx.record_login_attempt(email.as_str(), false, change.ip_address)
                .await?;
            crate::activity::record(
                &mut tx,
                change.user_id,
                crate::activity::Activity::SignInFailed("current password"),
                ClientInfo {
                    ip_address: change.ip_address,
                    user_agent: None,
                },
            )
            .await?;
            tx.commit().await?;
            return Err(FlowError::WrongCurrentPassword);
        }
        self.check_new_password(&mut tx, &email, &change.new)
            .await?;
        let hash = self.hasher.hash(change.new.password).await?;
        tx.update_password(change.user_id, &hash).await?;
        crate::required_password_change::clear(&mut tx, change.user_id).await?;
        tx.revoke_all_refresh_tokens(change.user_id).await?;
        tx.revoke_other_sessions(change.user_id, change.current_session)
            .await?;
        tx.invalidate_tokens(change.user_id, TokenType::PasswordReset)
            .await?;
        let namespace = authn.namespace();
        crate::activity::record(
            &mut tx,
            change.user_id,
            crate::activity::Activity::PasswordChanged,
            ClientInfo {
                ip_address: change.ip_address,
                user_agent: None,
            },
        )
        .await?;
        let notice = templates::password_changed_by_owner(
            email.as_str(),
            namespace,
            self.links.page(namespace, vocabulary::Page::ForgotPassword),
        );
        enqueue(&mut tx, &notice, &self.keys).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The step a sign-in owes when an admin set the account's password: its owner chooses
    /// their own (the same policy as everywhere), and the sign-in goes on from the first factor
    /// it proved — a session, or the second step for an account with MFA. A refused password
    /// leaves the pending step usable (the transaction rolls back).
    #[tracing::instrument(skip_all)]
    pub async fn set_required_password(
        &self,
        authn: &Authn,
        pending: &str,
        new: NewPassword<'_>,
        client: ClientInfo<'_>,
    ) -> Result<SignInStep, FlowError> {
        let mut tx = authn.begin().await?;
        let step = crate::pending::complete_new_password(&mut tx, pending)
            .await?
            .ok_or(FlowError::InvalidLink)?;
        let first = FirstFactor::parse(&step.first_factor).ok_or(FlowError::InvalidLink)?;
        let user = tx
            .get_user(step.user_id)
            .await?
            .filter(|u| u.disabled_at.is_none())
            .ok_or(FlowError::InvalidLink)?;
        let email = EmailAddress::parse(&user.email).map_err(|_| FlowError::InvalidLink)?;
        self.check_new_password(&mut tx, &email, &new).await?;
        let hash = self.hasher.hash(new.password).await?;
        tx.update_password(step.user_id, &hash).await?;
        crate::required_password_change::clear(&mut tx, step.user_id).await?;
        crate::activity::record(
            &mut tx,
            step.user_id,
            crate::activity::Activity::PasswordChanged,
            client,
        )
        .await?;
        let next = crate::session::continue_sign_in(
            &mut tx,
            step.user_id,
            first,
            None,
            self.session_lifetime,
            client,
        )
        .await?;
        tx.commit().await?;
        Ok(next)
    }
}
