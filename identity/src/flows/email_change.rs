//! Changing the account's address: a link to the new one, a notice to the old one.

use super::*;

impl AccountFlows {
    /// Mails a link to `new_email` that moves the account there (see [`crate::email_change`]).
    #[tracing::instrument(skip_all)]
    pub async fn request_email_change(
        &self,
        authn: &Authn,
        user_id: Uuid,
        current_email: &str,
        new_email: &str,
    ) -> Result<(), crate::email_change::EmailChangeError> {
        crate::email_change::request(
            authn,
            &self.links,
            &self.keys,
            user_id,
            current_email,
            new_email,
        )
        .await
    }

    /// Uses an e-mail change link; returns the account's new address.
    #[tracing::instrument(skip_all)]
    pub async fn confirm_email_change(
        &self,
        authn: &Authn,
        token: &str,
    ) -> Result<String, crate::email_change::EmailChangeError> {
        crate::email_change::confirm(authn, &self.links, &self.keys, token).await
    }
}
