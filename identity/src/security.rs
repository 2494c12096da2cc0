//! The portal's credential changes: authenticator app, recovery codes, API keys. Each change
//! and the notice mail to the owner commit together, so nobody's sign-in method changes
//! without them being told. Callers check sudo mode and impersonation first.

use authn::{Authn, AuthnError, MfaType};
use uuid::Uuid;

use crate::activity::{self, Activity, SecondFactorKind};
use crate::api_keys::{self, ApiKeyError, Expiry, NewApiKey};
use crate::mail::outbox;
use crate::mail::templates::{self, SecurityChange};
use crate::mail::Links;
use crate::passkeys::{self, Ceremony, PasskeyEntry, PasskeyError, PasskeyService};
use crate::recovery::{self, RecoveryCodes};
use crate::totp::{TotpError, TotpService, TotpSetup};

#[derive(Debug, thiserror::Error)]
pub enum SecurityError {
    #[error(transparent)]
    Totp(#[from] TotpError),
    #[error(transparent)]
    ApiKey(#[from] ApiKeyError),
    #[error(transparent)]
    Passkey(#[from] PasskeyError),
    /// Recovery codes only make sense beside another second factor.
    #[error("set up an authenticator app first")]
    NoSecondFactor,
    #[error("internal error: {0}")]
    Internal(#[from] crate::Internal),
}

crate::internal::internal_from!(SecurityError);

/// The account whose settings change.
#[derive(Clone, Copy, Debug)]
pub struct Owner<'a> {
    pub user_id: Uuid,
    pub email: &'a str,
}

/// What the MFA page shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MfaStatus {
    pub totp: Option<authn::MfaMethod>,
    pub passkeys: usize,
    pub recovery_codes_left: usize,
}

#[derive(Clone, Debug)]
pub struct SecuritySettings {
    totp: TotpService,
    /// `None` where WebAuthn cannot work (a base URL that is an IP address).
    passkeys: Option<PasskeyService>,
    links: Links,
}

impl SecuritySettings {
    pub fn new(
        totp: TotpService,
        passkeys: Option<PasskeyService>,
        links: Links,
    ) -> SecuritySettings {
        SecuritySettings {
            totp,
            passkeys,
            links,
        }
    }

    pub fn totp(&self) -> &TotpService {
        &self.totp
    }

    pub fn passkeys(&self) -> Result<&PasskeyService, PasskeyError> {
        self.passkeys.as_ref().ok_or(PasskeyError::Unavailable)
    }

    pub fn passkeys_available(&self) -> bool {
        self.passkeys.is_some()
    }

    #[tracing::instrument(skip_all)]
    pub async fn list_passkeys(
        &self,
        authn: &Authn,
        user_id: Uuid,
    ) -> Result<Vec<PasskeyEntry>, SecurityError> {
        let mut tx = authn.begin().await?;
        let list = passkeys::list(&mut tx, user_id).await?;
        tx.commit().await?;
        Ok(list)
    }

    /// Starts adding a passkey (the caller checked sudo mode).
    #[tracing::instrument(skip_all)]
    pub async fn begin_passkey(
        &self,
        authn: &Authn,
        owner: Owner<'_>,
    ) -> Result<Ceremony, SecurityError> {
        let mut tx = authn.begin().await?;
        let ceremony = self
            .passkeys()?
            .begin_registration(&mut tx, owner.user_id, owner.email)
            .await?;
        tx.commit().await?;
        Ok(ceremony)
    }

    /// Stores the new passkey; like the authenticator app, the first second factor comes with
    /// recovery codes, returned to be shown once.
    #[tracing::instrument(skip_all)]
    pub async fn add_passkey(
        &self,
        authn: &Authn,
        owner: Owner<'_>,
        ceremony: Uuid,
        response_json: &str,
        name: &str,
    ) -> Result<Option<RecoveryCodes>, SecurityError> {
        let mut tx = authn.begin().await?;
        self.passkeys()?
            .finish_registration(&mut tx, owner.user_id, ceremony, response_json, name)
            .await?;
        let codes = if recovery::remaining(&mut tx, owner.user_id).await? == 0 {
            Some(recovery::regenerate(&mut tx, owner.user_id).await?)
        } else {
            None
        };
        self.notify(
            &mut tx,
            owner,
            SecurityChange::PasskeyAdded,
            Some(name.trim()),
        )
        .await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// Sudo mode by passkey: a challenge for the signed-in user's own passkeys (`None`
    /// without any).
    #[tracing::instrument(skip_all)]
    pub async fn begin_passkey_confirmation(
        &self,
        authn: &Authn,
        user_id: Uuid,
    ) -> Result<Option<Ceremony>, SecurityError> {
        let mut tx = authn.begin().await?;
        let ceremony = self
            .passkeys()?
            .begin_second_factor(&mut tx, user_id)
            .await?;
        tx.commit().await?;
        Ok(ceremony)
    }

    /// Completes sudo mode by passkey for `session_id`; `false` if the answer does not verify.
    #[tracing::instrument(skip_all)]
    pub async fn confirm_with_passkey(
        &self,
        authn: &Authn,
        user_id: Uuid,
        session_id: Uuid,
        ceremony: Uuid,
        response_json: &str,
    ) -> Result<bool, SecurityError> {
        let mut tx = authn.begin().await?;
        let verified = self
            .passkeys()?
            .verify_second_factor(&mut tx, user_id, ceremony, response_json)
            .await?;
        if verified {
            crate::reauth::record(&mut tx, session_id).await?;
        }
        tx.commit().await?;
        Ok(verified)
    }

    #[tracing::instrument(skip_all)]
    pub async fn rename_passkey(
        &self,
        authn: &Authn,
        owner: Owner<'_>,
        mfa_id: Uuid,
        name: &str,
    ) -> Result<(), SecurityError> {
        let mut tx = authn.begin().await?;
        passkeys::rename(&mut tx, owner.user_id, mfa_id, name).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a passkey; with no second factor left, the recovery codes go too.
    #[tracing::instrument(skip_all)]
    pub async fn remove_passkey(
        &self,
        authn: &Authn,
        owner: Owner<'_>,
        mfa_id: Uuid,
    ) -> Result<(), SecurityError> {
        let mut tx = authn.begin().await?;
        let name = passkeys::list(&mut tx, owner.user_id)
            .await?
            .into_iter()
            .find(|p| p.mfa_id == mfa_id)
            .map(|p| p.name);
        passkeys::remove(&mut tx, owner.user_id, mfa_id).await?;
        if !has_second_factor(&mut tx, owner.user_id).await? {
            recovery::remove_all(&mut tx, owner.user_id).await?;
        }
        self.notify(
            &mut tx,
            owner,
            SecurityChange::PasskeyRemoved,
            name.as_deref(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    pub async fn mfa_status(
        &self,
        authn: &Authn,
        user_id: Uuid,
    ) -> Result<MfaStatus, SecurityError> {
        let mut status = MfaStatus::default();
        for method in authn.list_mfa(user_id).await? {
            match method.mfa_type.as_str() {
                t if t == MfaType::Totp.as_str() => status.totp = Some(method),
                t if t == MfaType::RecoveryCodes.as_str() => status.recovery_codes_left += 1,
                t if t == MfaType::Webauthn.as_str() => status.passkeys += 1,
                _ => {}
            }
        }
        Ok(status)
    }

    pub fn begin_totp(&self, authn: &Authn, owner: Owner<'_>) -> Result<TotpSetup, SecurityError> {
        Ok(self
            .totp
            .begin_enrollment(authn.namespace(), owner.user_id, owner.email)?)
    }

    /// The setup of an enrollment begun by `begin_totp`, shown again with the same secret.
    pub fn resume_totp(
        &self,
        authn: &Authn,
        owner: Owner<'_>,
        enrollment: &str,
    ) -> Result<TotpSetup, SecurityError> {
        Ok(self.totp.resume_enrollment(
            authn.namespace(),
            owner.user_id,
            owner.email,
            enrollment,
        )?)
    }

    /// Turns the authenticator app on. The first second factor also gets a set of recovery
    /// codes, returned to be shown once.
    #[tracing::instrument(skip_all)]
    pub async fn enable_totp(
        &self,
        authn: &Authn,
        owner: Owner<'_>,
        enrollment: &str,
        code: &str,
    ) -> Result<Option<RecoveryCodes>, SecurityError> {
        let mut tx = authn.begin().await?;
        self.totp
            .finish_enrollment(&mut tx, owner.user_id, enrollment, code)
            .await?;
        let codes = if recovery::remaining(&mut tx, owner.user_id).await? == 0 {
            Some(recovery::regenerate(&mut tx, owner.user_id).await?)
        } else {
            None
        };
        self.notify(&mut tx, owner, SecurityChange::AuthenticatorAdded, None)
            .await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// Turns the authenticator app off; with no second factor left, the recovery codes go too.
    #[tracing::instrument(skip_all)]
    pub async fn disable_totp(&self, authn: &Authn, owner: Owner<'_>) -> Result<(), SecurityError> {
        let mut tx = authn.begin().await?;
        self.totp.remove(&mut tx, owner.user_id).await?;
        if !has_second_factor(&mut tx, owner.user_id).await? {
            recovery::remove_all(&mut tx, owner.user_id).await?;
        }
        self.notify(&mut tx, owner, SecurityChange::AuthenticatorRemoved, None)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the recovery codes with a new set.
    #[tracing::instrument(skip_all)]
    pub async fn regenerate_recovery_codes(
        &self,
        authn: &Authn,
        owner: Owner<'_>,
    ) -> Result<RecoveryCodes, SecurityError> {
        let mut tx = authn.begin().await?;
        if !has_second_factor(&mut tx, owner.user_id).await? {
            return Err(SecurityError::NoSecondFactor);
        }
        let codes = recovery::regenerate(&mut tx, owner.user_id).await?;
        self.notify(
            &mut tx,
            owner,
            SecurityChange::RecoveryCodesRegenerated,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(codes)
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_api_key(
        &self,
        authn: &Authn,
        owner: Owner<'_>,
        name: &str,
        expiry: Expiry,
    ) -> Result<NewApiKey, SecurityError> {
        let mut tx = authn.begin().await?;
        let key = api_keys::create(&mut tx, owner.user_id, name, expiry).await?;
        self.notify(
            &mut tx,
            owner,
            SecurityChange::ApiKeyCreated,
            Some(name.trim()),
        )
        .await?;
        tx.commit().await?;
        Ok(key)
    }

    /// Mails the owner about `change` and records it in their activity; `name` is the name of
    /// what was added (a passkey's, an API key's).
    async fn notify(
        &self,
        tx: &mut authn::AuthnTx<'_>,
        owner: Owner<'_>,
        change: SecurityChange,
        name: Option<&str>,
    ) -> Result<(), SecurityError> {
        let detail = name.map(|name| format!("Its name is \"{name}\"."));
        let namespace = tx.namespace().to_owned();
        let mail = templates::security_notice(
            owner.email,
            &namespace,
            change,
            detail.as_deref(),
            self.links.page(&namespace, vocabulary::Page::Devices),
        );
        outbox::enqueue(tx, &mail, self.totp.secrets()).await?;
        let activity = match change {
            SecurityChange::AuthenticatorAdded => {
                Activity::MfaAdded(SecondFactorKind::Authenticator)
            }
            SecurityChange::AuthenticatorRemoved => {
                Activity::MfaRemoved(SecondFactorKind::Authenticator)
            }
            SecurityChange::PasskeyAdded => Activity::MfaAdded(SecondFactorKind::Passkey(name)),
            SecurityChange::PasskeyRemoved => Activity::MfaRemoved(SecondFactorKind::Passkey(name)),
            SecurityChange::RecoveryCodesRegenerated => Activity::RecoveryCodesRegenerated,
            SecurityChange::ApiKeyCreated => Activity::ApiKeyCreated,
        };
        activity::record(tx, owner.user_id, activity, Default::default()).await?;
        Ok(())
    }
}

/// Whether the user has a real second factor (recovery codes alone are not one).
async fn has_second_factor(tx: &mut authn::AuthnTx<'_>, user_id: Uuid) -> Result<bool, AuthnError> {
    Ok(tx
        .list_mfa(user_id)
        .await?
        .iter()
        .any(|m| m.mfa_type != MfaType::RecoveryCodes.as_str()))
}
