//! Requests that name an address (reset, magic link, e-mail code, sign-up) are only recorded;
//! the worker fulfils them, so the request does the same work for every address (G2).

use super::*;

impl AccountFlows {
    /// Asks for a single-use reset link valid for 1 hour, mailed to the address if it has an
    /// enabled account (by the worker: the request is the same for every address).
    #[tracing::instrument(skip_all)]
    pub async fn request_password_reset(
        &self,
        authn: &Authn,
        email: &str,
    ) -> Result<(), FlowError> {
        self.record_request(authn, email, RequestKind::PasswordReset)
            .await
    }

    /// Records a request for mail to `email`: parsing, then one insert. Nothing here depends on
    /// whether the address has an account.
    pub(super) async fn record_request(
        &self,
        authn: &Authn,
        email: &str,
        kind: RequestKind,
    ) -> Result<(), FlowError> {
        let email = EmailAddress::parse(email)?;
        let mut tx = authn.begin().await?;
        mail_requests::record(&mut tx, kind, email.as_str(), None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The worker's half of a link request: a fresh link of `kind` for the enabled account of
    /// `email`, and nothing for an address without one.
    pub(super) async fn fulfil_link(
        &self,
        tx: &mut AuthnTx<'_>,
        email: &EmailAddress,
        kind: TokenType,
    ) -> Result<(), FlowError> {
        let Some(user_id) = enabled_user(tx, email).await? else {
            return Ok(());
        };
        let namespace = tx.namespace().to_owned();
        let mail = match kind {
            TokenType::PasswordReset => {
                let token = self.issue_token(tx, user_id, kind, RESET_LIFETIME).await?;
                templates::password_reset(
                    email.as_str(),
                    &namespace,
                    self.links.reset_password(&namespace, token.expose()),
                    RESET_LIFETIME,
                )
            }
            _ => {
                let token = self
                    .issue_token(tx, user_id, TokenType::MagicLink, MAGIC_LINK_LIFETIME)
                    .await?;
                templates::magic_link(
                    email.as_str(),
                    &namespace,
                    self.links.magic_link(&namespace, token.expose()),
                    MAGIC_LINK_LIFETIME,
                )
            }
        };
        enqueue(tx, &mail, &self.keys).await
    }

    // ---- the mail-request worker -------------------------------------------------------------

    /// Fulfils every due mail request (see [`crate::mail_requests`]); returns how many. Each
    /// request is taken and fulfilled in one transaction of its namespace, so a failure leaves
    /// it to be retried and a success cannot be repeated.
    #[tracing::instrument(skip_all)]
    pub async fn fulfil_mail_requests(&self, pool: &PgPool) -> Result<usize, FlowError> {
        let mut done = 0;
        loop {
            let batch = mail_requests::claim(pool, 20).await?;
            if batch.is_empty() {
                return Ok(done);
            }
            for (id, namespace) in batch {
                match self.fulfil(pool, id, &namespace).await {
                    Ok(()) => done += 1,
                    Err(e) => {
                        tracing::warn!(mail_request = id, error = ?e, "mail request not fulfilled; retried later");
                    }
                }
            }
        }
    }

    /// The worker's half of a new-device notice: the mail, to an account still enabled.
    async fn fulfil_new_device(
        &self,
        tx: &mut AuthnTx<'_>,
        email: &EmailAddress,
        request: &mail_requests::MailRequest,
    ) -> Result<(), FlowError> {
        if enabled_user(tx, email).await?.is_none() {
            return Ok(());
        }
        let namespace = tx.namespace().to_owned();
        let device = match crate::devices::device_key(request.user_agent.as_deref()) {
            crate::devices::DeviceKey::Browser { .. } => {
                crate::admin::audit_names::device_name(request.user_agent.as_deref())
            }
            crate::devices::DeviceKey::Unrecognised => {
                "a browser or program that did not say what it is".to_owned()
            }
        };
        let mail = templates::new_device_sign_in(
            email.as_str(),
            &namespace,
            &device,
            request.ip_address.map(|ip| ip.to_string()).as_deref(),
            &request.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            self.links.page(&namespace, vocabulary::Page::Devices),
        );
        enqueue(tx, &mail, &self.keys).await
    }

    pub(super) async fn fulfil(
        &self,
        pool: &PgPool,
        id: i64,
        namespace: &str,
    ) -> Result<(), FlowError> {
        let authn = Authn::new(pool.clone(), namespace).await?;
        let mut tx = authn.begin().await?;
        let Some(request) = mail_requests::take(&mut tx, id).await? else {
            return Ok(());
        };
        // Recorded only after parsing; a row that does not parse any more is dropped.
        if let Ok(email) = EmailAddress::parse(&request.email) {
            match (request.kind, request.password_hash.as_deref()) {
                (RequestKind::SignUp, Some(hash)) => {
                    self.fulfil_sign_up(&mut tx, &email, hash).await?
                }
                (RequestKind::SignUp, None) => {}
                (RequestKind::PasswordReset, _) => {
                    self.fulfil_link(&mut tx, &email, TokenType::PasswordReset)
                        .await?
                }
                (RequestKind::MagicLink, _) => {
                    self.fulfil_link(&mut tx, &email, TokenType::MagicLink)
                        .await?
                }
                (RequestKind::EmailCode, _) => self.fulfil_email_code(&mut tx, &email).await?,
                (RequestKind::NewDevice, _) => {
                    self.fulfil_new_device(&mut tx, &email, &request).await?
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
