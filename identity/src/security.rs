//! The portal's credential changes: authenticator app, recovery codes, API keys. Each change
//! and the notice mail to the owner commit together, so nobody's sign-in method changes
//! without them being told. Callers check sudo mode and impersonation first.

use authn::{Authn, AuthnError, MfaType};
use uuid::Uuid;

use crate::activity::{self, Activity};
use crate::api_keys::{self, ApiKeyError, Expiry, NewApiKey};
use crate::mail::outbox;
use crate::mail::templates::{self, SecurityChange};
use crate::mail::Links;
use crate::recovery::{self, RecoveryCodes};
use crate::totp::{TotpError, TotpService, TotpSetup};

#[derive(Debug, thiserror::Error)]
pub enum SecurityError {
    #[error(transparent)]
    Totp(#[from] TotpError),
    #[error(transparent)]
    ApiKey(#[from] ApiKeyError),
    /// Recovery codes only make sense beside another second factor.
    #[error("set up an authenticator app first")]
    NoSecondFactor,
    #[error("internal error")]
    Core(#[from] AuthnError),
    #[error("internal error")]
    Database(#[from] sqlx::Error),
}

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
    pub recovery_codes_left: usize,
}

#[derive(Clone, Debug)]
pub struct SecuritySettings {
    totp: TotpService,
    links: Links,
}

impl SecuritySettings {
    pub fn new(totp: TotpService, links: Links) -> SecuritySettings {
        SecuritySettings { totp, links }
    }

    pub fn totp(&self) -> &TotpService {
        &self.totp
    }

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

    /// Turns the authenticator app on. The first second factor also gets a set of recovery
    /// codes, returned to be shown once.
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
    pub async fn disable_totp(&self, authn: &Authn, owner: Owner<'_>) -> Result<(), SecurityError> {
        let mut tx = authn.begin().await?;
        self.totp.remove(&mut tx, owner.user_id).await?;
        let others = tx
            .list_mfa(owner.user_id)
            .await?
            .iter()
            .any(|m| m.mfa_type != MfaType::RecoveryCodes.as_str());
        if !others {
            recovery::remove_all(&mut tx, owner.user_id).await?;
        }
        self.notify(&mut tx, owner, SecurityChange::AuthenticatorRemoved, None)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the recovery codes with a new set.
    pub async fn regenerate_recovery_codes(
        &self,
        authn: &Authn,
        owner: Owner<'_>,
    ) -> Result<RecoveryCodes, SecurityError> {
        let mut tx = authn.begin().await?;
        let has_factor = tx
            .list_mfa(owner.user_id)
            .await?
            .iter()
            .any(|m| m.mfa_type != MfaType::RecoveryCodes.as_str());
        if !has_factor {
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

    pub async fn create_api_key(
        &self,
        authn: &Authn,
        owner: Owner<'_>,
        name: &str,
        expiry: Expiry,
    ) -> Result<NewApiKey, SecurityError> {
        let mut tx = authn.begin().await?;
        let key = api_keys::create(&mut tx, owner.user_id, name, expiry).await?;
        let detail = format!("Its name is \"{}\".", name.trim());
        self.notify(&mut tx, owner, SecurityChange::ApiKeyCreated, Some(&detail))
            .await?;
        tx.commit().await?;
        Ok(key)
    }

    async fn notify(
        &self,
        tx: &mut authn::AuthnTx<'_>,
        owner: Owner<'_>,
        change: SecurityChange,
        detail: Option<&str>,
    ) -> Result<(), SecurityError> {
        let namespace = tx.namespace().to_owned();
        let mail = templates::security_notice(
            owner.email,
            &namespace,
            change,
            detail,
            self.links.page(&namespace, "devices"),
        );
        outbox::enqueue(tx.conn(), &namespace, &mail).await?;
        let activity = match change {
            SecurityChange::AuthenticatorAdded => Activity::MfaAdded,
            SecurityChange::AuthenticatorRemoved => Activity::MfaRemoved,
            SecurityChange::RecoveryCodesRegenerated => Activity::RecoveryCodesRegenerated,
            SecurityChange::ApiKeyCreated => Activity::ApiKeyCreated,
        };
        activity::record(
            tx.conn(),
            &namespace,
            owner.user_id,
            activity,
            Default::default(),
        )
        .await?;
        Ok(())
    }
}
