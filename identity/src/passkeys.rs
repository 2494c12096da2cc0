//! Passkeys and security keys (WebAuthn, through webauthn-rs): registration, passwordless
//! sign-in with discoverable credentials, and use as the second factor.
//!
//! Each passkey is an MFA record of the core (type `webauthn`, so `has_mfa` counts it, its
//! adding and removal are audited and its uses recorded) plus a row of `gatehouse.passkeys`
//! holding what webauthn-rs needs afterwards: the credential (public key, signature counter)
//! and the name the owner gave it. Ceremony state (the challenge) stays on the server, in
//! `gatehouse.webauthn_ceremonies`, for five minutes and one use.

use authn::{AuthnTx, MfaType};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, DiscoverableKey, Passkey,
    PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    Url, Webauthn, WebauthnBuilder,
};
use webauthn_rs_proto::ResidentKeyRequirement;

const CEREMONY_LIFETIME: TimeDelta = TimeDelta::minutes(5);
pub const MAX_NAME_CHARS: usize = 60;

#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// The browser's answer did not verify, or the ceremony expired or was used.
    #[error("the passkey could not be verified")]
    NotVerified,
    #[error("give the passkey a name of at most {MAX_NAME_CHARS} characters")]
    InvalidName,
    #[error("no such passkey")]
    UnknownPasskey,
    #[error("passkeys are not available with this base URL: {0}")]
    Config(String),
    /// The deployment has no relying party (its base URL is an IP address).
    #[error("passkeys are not available on this server")]
    Unavailable,
    #[error("internal error: {0}")]
    Internal(#[from] crate::Internal),
}

crate::internal::internal_from!(PasskeyError);

/// A passkey as its owner's list shows it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PasskeyEntry {
    pub mfa_id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(Clone)]
pub struct PasskeyService {
    webauthn: std::sync::Arc<Webauthn>,
}

impl std::fmt::Debug for PasskeyService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasskeyService")
    }
}

/// What the relying party is: the public base URL's host and origin.
pub fn relying_party(base_url: &str) -> Result<PasskeyService, PasskeyError> {
    let origin = Url::parse(base_url).map_err(|e| PasskeyError::Config(e.to_string()))?;
    let host = origin
        .host_str()
        .ok_or_else(|| PasskeyError::Config("no host".into()))?
        .to_owned();
    let webauthn = WebauthnBuilder::new(&host, &origin)
        .map_err(|e| PasskeyError::Config(e.to_string()))?
        .rp_name("Gatehouse")
        .build()
        .map_err(|e| PasskeyError::Config(e.to_string()))?;
    Ok(PasskeyService {
        webauthn: std::sync::Arc::new(webauthn),
    })
}

/// A ceremony handed to the browser: its id (posted back) and the options as JSON.
#[derive(Clone, Debug)]
pub struct Ceremony {
    pub id: Uuid,
    pub options_json: String,
}

fn clean_name(name: &str) -> Result<String, PasskeyError> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && !name.chars().any(char::is_control);
    ok.then(|| name.to_owned()).ok_or(PasskeyError::InvalidName)
}

fn credential_key(passkey: &Passkey) -> String {
    URL_SAFE_NO_PAD.encode(passkey.cred_id().as_ref())
}

impl PasskeyService {
    /// Starts adding a passkey for the user. Asks for a discoverable credential (a resident
    /// key) so it can also sign in without typing the e-mail address.
    #[tracing::instrument(skip_all)]
    pub async fn begin_registration(
        &self,
        tx: &mut AuthnTx<'_>,
        user_id: Uuid,
        email: &str,
    ) -> Result<Ceremony, PasskeyError> {
        let existing = load(tx, user_id).await?;
        let exclude = existing.iter().map(|p| p.cred_id().clone()).collect();
        let (mut options, state) = self
            .webauthn
            .start_passkey_registration(user_id, email, email, Some(exclude))
            .map_err(|_| PasskeyError::NotVerified)?;
        require_resident_key(&mut options);
        let id = store_ceremony(tx, Some(user_id), "register", &state).await?;
        Ok(Ceremony {
            id,
            options_json: serde_json::to_string(&options)?,
        })
    }

    /// Verifies the browser's answer and stores the passkey; returns its MFA record id.
    #[tracing::instrument(skip_all)]
    pub async fn finish_registration(
        &self,
        tx: &mut AuthnTx<'_>,
        user_id: Uuid,
        ceremony: Uuid,
        response_json: &str,
        name: &str,
    ) -> Result<Uuid, PasskeyError> {
        let name = clean_name(name)?;
        let state: PasskeyRegistration = take_ceremony(tx, ceremony, Some(user_id), "register")
            .await?
            .ok_or(PasskeyError::NotVerified)?;
        let response: RegisterPublicKeyCredential =
            serde_json::from_str(response_json).map_err(|_| PasskeyError::NotVerified)?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(&response, &state)
            .map_err(|e| {
                tracing::info!(error = %e, "passkey registration not verified");
                PasskeyError::NotVerified
            })?;
        let key = credential_key(&passkey);
        let mfa_id = tx
            .add_mfa(user_id, MfaType::Webauthn, &key, Some(&name))
            .await?;
        let (conn, namespace) = tx.parts();
        sqlx::query(
            "INSERT INTO gatehouse.passkeys (mfa_id, namespace, user_id, credential_id, credential, name) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(mfa_id)
        .bind(namespace)
        .bind(user_id)
        .bind(&key)
        .bind(serde_json::to_value(&passkey)?)
        .bind(&name)
        .execute(conn)
        .await
        .map_err(|e| match e.as_database_error().and_then(|d| d.code()) {
            // The same authenticator registered twice (the exclude list should prevent it).
            Some(code) if code == "23505" => PasskeyError::NotVerified,
            _ => PasskeyError::from(e),
        })?;
        Ok(mfa_id)
    }

    /// Starts a passwordless sign-in: any discoverable passkey of this site may answer.
    #[tracing::instrument(skip_all)]
    pub async fn begin_sign_in(&self, tx: &mut AuthnTx<'_>) -> Result<Ceremony, PasskeyError> {
        let (options, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(|_| PasskeyError::NotVerified)?;
        let id = store_ceremony(tx, None, "authenticate", &state).await?;
        Ok(Ceremony {
            id,
            options_json: serde_json::to_string(&options)?,
        })
    }

    /// Verifies a passwordless sign-in; returns the user it proves (not yet a session).
    #[tracing::instrument(skip_all)]
    pub async fn finish_sign_in(
        &self,
        tx: &mut AuthnTx<'_>,
        ceremony: Uuid,
        response_json: &str,
    ) -> Result<Uuid, PasskeyError> {
        let state: DiscoverableAuthentication = take_ceremony(tx, ceremony, None, "authenticate")
            .await?
            .ok_or(PasskeyError::NotVerified)?;
        let response: PublicKeyCredential =
            serde_json::from_str(response_json).map_err(|_| PasskeyError::NotVerified)?;
        let (user_id, _) = self
            .webauthn
            .identify_discoverable_authentication(&response)
            .map_err(|_| PasskeyError::NotVerified)?;
        let mut passkeys = load(tx, user_id).await?;
        let keys: Vec<DiscoverableKey> = passkeys.iter().map(DiscoverableKey::from).collect();
        if keys.is_empty() {
            return Err(PasskeyError::NotVerified);
        }
        let result = self
            .webauthn
            .finish_discoverable_authentication(&response, state, &keys)
            .map_err(|e| {
                tracing::info!(error = %e, "passkey sign-in not verified");
                PasskeyError::NotVerified
            })?;
        record_use(tx, user_id, &mut passkeys, &result).await?;
        Ok(user_id)
    }

    /// Starts the passkey check of a known user (the second step after a first factor).
    #[tracing::instrument(skip_all)]
    pub async fn begin_second_factor(
        &self,
        tx: &mut AuthnTx<'_>,
        user_id: Uuid,
    ) -> Result<Option<Ceremony>, PasskeyError> {
        let passkeys = load(tx, user_id).await?;
        if passkeys.is_empty() {
            return Ok(None);
        }
        let (options, state) = self
            .webauthn
            .start_passkey_authentication(&passkeys)
            .map_err(|_| PasskeyError::NotVerified)?;
        let id = store_ceremony(tx, Some(user_id), "second_factor", &state).await?;
        Ok(Some(Ceremony {
            id,
            options_json: serde_json::to_string(&options)?,
        }))
    }

    /// Checks the passkey answer of the second step; `false` for anything that does not verify.
    #[tracing::instrument(skip_all)]
    pub async fn verify_second_factor(
        &self,
        tx: &mut AuthnTx<'_>,
        user_id: Uuid,
        ceremony: Uuid,
        response_json: &str,
    ) -> Result<bool, PasskeyError> {
        let Some(state): Option<PasskeyAuthentication> =
            take_ceremony(tx, ceremony, Some(user_id), "second_factor").await?
        else {
            return Ok(false);
        };
        let Ok(response) = serde_json::from_str::<PublicKeyCredential>(response_json) else {
            return Ok(false);
        };
        let Ok(result) = self
            .webauthn
            .finish_passkey_authentication(&response, &state)
        else {
            return Ok(false);
        };
        let mut passkeys = load(tx, user_id).await?;
        record_use(tx, user_id, &mut passkeys, &result).await?;
        Ok(true)
    }
}

/// The user's passkeys, oldest first.
#[tracing::instrument(skip_all)]
pub async fn list(tx: &mut AuthnTx<'_>, user_id: Uuid) -> Result<Vec<PasskeyEntry>, PasskeyError> {
    let namespace = tx.namespace().to_owned();
    Ok(sqlx::query_as(
        "SELECT mfa_id, name, created_at, last_used_at FROM gatehouse.passkeys \
          WHERE namespace = $1 AND user_id = $2 ORDER BY created_at, mfa_id",
    )
    .bind(namespace)
    .bind(user_id)
    .fetch_all(tx.conn())
    .await?)
}

/// Renames one of the user's own passkeys.
#[tracing::instrument(skip_all)]
pub async fn rename(
    tx: &mut AuthnTx<'_>,
    user_id: Uuid,
    mfa_id: Uuid,
    name: &str,
) -> Result<(), PasskeyError> {
    let name = clean_name(name)?;
    let (conn, namespace) = tx.parts();
    let done = sqlx::query(
        "UPDATE gatehouse.passkeys SET name = $4 WHERE namespace = $1 AND user_id = $2 AND mfa_id = $3",
    )
    .bind(namespace)
    .bind(user_id)
    .bind(mfa_id)
    .bind(name)
    .execute(conn)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(PasskeyError::UnknownPasskey);
    }
    Ok(())
}

/// Removes one of the user's own passkeys (the caller checked sudo mode).
#[tracing::instrument(skip_all)]
pub async fn remove(tx: &mut AuthnTx<'_>, user_id: Uuid, mfa_id: Uuid) -> Result<(), PasskeyError> {
    let (conn, namespace) = tx.parts();
    let owned = sqlx::query(
        "DELETE FROM gatehouse.passkeys WHERE namespace = $1 AND user_id = $2 AND mfa_id = $3",
    )
    .bind(namespace)
    .bind(user_id)
    .bind(mfa_id)
    .execute(conn)
    .await?
    .rows_affected();
    if owned == 0 || !tx.remove_mfa(mfa_id).await? {
        return Err(PasskeyError::UnknownPasskey);
    }
    Ok(())
}

/// webauthn-rs asks for a non-resident credential by default; passwordless sign-in needs the
/// authenticator to keep it.
fn require_resident_key(options: &mut CreationChallengeResponse) {
    let selection = options
        .public_key
        .authenticator_selection
        .get_or_insert_with(Default::default);
    selection.require_resident_key = true;
    selection.resident_key = Some(ResidentKeyRequirement::Required);
}

async fn load(tx: &mut AuthnTx<'_>, user_id: Uuid) -> Result<Vec<Passkey>, PasskeyError> {
    let (conn, namespace) = tx.parts();
    let rows: Vec<(serde_json::Value,)> = sqlx::query_as(
        "SELECT credential FROM gatehouse.passkeys WHERE namespace = $1 AND user_id = $2",
    )
    .bind(namespace)
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(v,)| serde_json::from_value(v).map_err(PasskeyError::from))
        .collect()
}

/// Keeps the signature counter and backup state current, and records the use.
async fn record_use(
    tx: &mut AuthnTx<'_>,
    user_id: Uuid,
    passkeys: &mut [Passkey],
    result: &webauthn_rs::prelude::AuthenticationResult,
) -> Result<(), PasskeyError> {
    let (conn, namespace) = tx.parts();
    let Some(passkey) = passkeys
        .iter_mut()
        .find(|p| p.cred_id() == result.cred_id())
    else {
        return Err(PasskeyError::NotVerified);
    };
    passkey.update_credential(result);
    let key = credential_key(passkey);
    let mfa_id: Option<Uuid> = sqlx::query_scalar(
        "UPDATE gatehouse.passkeys SET credential = $4, last_used_at = now() \
          WHERE namespace = $1 AND user_id = $2 AND credential_id = $3 RETURNING mfa_id",
    )
    .bind(namespace)
    .bind(user_id)
    .bind(key)
    .bind(serde_json::to_value(&*passkey)?)
    .fetch_optional(conn)
    .await?;
    let mfa_id = mfa_id.ok_or(PasskeyError::NotVerified)?;
    tx.record_mfa_use(mfa_id).await?;
    Ok(())
}

async fn store_ceremony<S: Serialize>(
    tx: &mut AuthnTx<'_>,
    user_id: Option<Uuid>,
    purpose: &str,
    state: &S,
) -> Result<Uuid, PasskeyError> {
    let (conn, namespace) = tx.parts();
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO gatehouse.webauthn_ceremonies (id, namespace, user_id, purpose, state, expires_at) \
         VALUES ($1, $2, $3, $4, $5, now() + $6)",
    )
    .bind(id)
    .bind(namespace)
    .bind(user_id)
    .bind(purpose)
    .bind(serde_json::to_value(state)?)
    .bind(CEREMONY_LIFETIME)
    .execute(conn)
    .await?;
    Ok(id)
}

/// Takes a live ceremony of `purpose` (once); `user_id` must match the one it was made for.
async fn take_ceremony<S: DeserializeOwned>(
    tx: &mut AuthnTx<'_>,
    id: Uuid,
    user_id: Option<Uuid>,
    purpose: &str,
) -> Result<Option<S>, PasskeyError> {
    let (conn, namespace) = tx.parts();
    let state: Option<serde_json::Value> = sqlx::query_scalar(
        "DELETE FROM gatehouse.webauthn_ceremonies \
          WHERE id = $1 AND namespace = $2 AND purpose = $3 \
            AND user_id IS NOT DISTINCT FROM $4 AND expires_at > now() \
      RETURNING state",
    )
    .bind(id)
    .bind(namespace)
    .bind(purpose)
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    state
        .map(|s| serde_json::from_value(s).map_err(PasskeyError::from))
        .transpose()
}

/// Drops expired ceremonies (the cleanup job).
#[tracing::instrument(skip_all)]
pub async fn purge_expired(tx: &mut AuthnTx<'_>) -> Result<u64, sqlx::Error> {
    let conn = tx.conn();
    Ok(
        sqlx::query("DELETE FROM gatehouse.webauthn_ceremonies WHERE expires_at <= now()")
            .execute(conn)
            .await?
            .rows_affected(),
    )
}
