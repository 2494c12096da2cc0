//! Personal API keys: `gh_` plus 256 random bits, shown once, stored (by the core) only as
//! SHA-256. The app keeps two things beside the core's record: which namespace a key belongs
//! to (a bearer request names none) and its last four characters, so a person can tell their
//! keys apart in the list.

use authn::{Authn, AuthnTx, User};
use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::token::{hash_token, OpaqueToken};

pub const PREFIX: &str = "gh_";
pub const MAX_NAME_CHARS: usize = 60;

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("give the key a name of at most {MAX_NAME_CHARS} characters")]
    InvalidName,
    #[error("no such key")]
    UnknownKey,
    #[error("internal error: {0}")]
    Internal(#[from] crate::Internal),
}

crate::internal::internal_from!(ApiKeyError);

/// How long a new key lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    Days(u16),
    Never,
}

impl Expiry {
    /// The choices the portal offers: 30, 90 or 365 days, or never.
    pub fn parse(choice: &str) -> Option<Expiry> {
        match choice {
            "30" => Some(Expiry::Days(30)),
            "90" => Some(Expiry::Days(90)),
            "365" => Some(Expiry::Days(365)),
            "never" => Some(Expiry::Never),
            _ => None,
        }
    }

    fn lifetime(self) -> Option<TimeDelta> {
        match self {
            Expiry::Days(d) => Some(TimeDelta::days(i64::from(d))),
            Expiry::Never => None,
        }
    }
}

/// A key just made: `key` is shown to its owner once and never again.
#[derive(Debug)]
pub struct NewApiKey {
    pub key_id: Uuid,
    pub key: OpaqueToken,
}

/// A key as its owner's list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyEntry {
    pub key_id: Uuid,
    pub name: Option<String>,
    pub last_four: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The owner of a valid bearer key.
#[derive(Clone, Debug)]
pub struct KeyOwner {
    pub namespace: String,
    pub key_id: Uuid,
    pub user: User,
}

fn clean_name(name: &str) -> Result<String, ApiKeyError> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && !name.chars().any(char::is_control);
    ok.then(|| name.to_owned()).ok_or(ApiKeyError::InvalidName)
}

/// Makes a key for `user_id` in the caller's transaction (the caller checked sudo mode and
/// impersonation).
#[tracing::instrument(skip_all)]
pub async fn create(
    tx: &mut AuthnTx<'_>,
    user_id: Uuid,
    name: &str,
    expiry: Expiry,
) -> Result<NewApiKey, ApiKeyError> {
    let name = clean_name(name)?;
    let key = OpaqueToken::generate_with_prefix(PREFIX);
    let hash = key.hash();
    let text = key.expose();
    let last_four = text.get(text.len() - 4..).unwrap_or_default().to_owned();
    let namespace = tx.namespace().to_owned();
    let key_id = tx
        .create_api_key(user_id, &hash, Some(&name), expiry.lifetime())
        .await?;
    sqlx::query(
        "INSERT INTO gatehouse.api_key_hints (key_id, namespace, key_hash, last_four) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(key_id)
    .bind(&namespace)
    .bind(&hash)
    .bind(&last_four)
    .execute(tx.conn())
    .await?;
    Ok(NewApiKey { key_id, key })
}

/// The user's usable keys, newest first.
#[tracing::instrument(skip_all)]
pub async fn list(authn: &Authn, user_id: Uuid) -> Result<Vec<ApiKeyEntry>, ApiKeyError> {
    let mut tx = authn.begin().await?;
    let keys = tx.list_api_keys(user_id).await?;
    let ids: Vec<Uuid> = keys.iter().map(|k| k.key_id).collect();
    let hints: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT key_id, last_four FROM gatehouse.api_key_hints WHERE key_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(keys
        .into_iter()
        .map(|k| ApiKeyEntry {
            last_four: hints
                .iter()
                .find(|(id, _)| *id == k.key_id)
                .map(|(_, four)| four.clone()),
            key_id: k.key_id,
            name: k.name,
            created_at: k.created_at,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
        })
        .collect())
}

/// Revokes one of the user's own keys; a key of someone else is `UnknownKey`.
#[tracing::instrument(skip_all)]
pub async fn revoke(authn: &Authn, user_id: Uuid, key_id: Uuid) -> Result<(), ApiKeyError> {
    let mut tx = authn.begin().await?;
    // The core does not check ownership: only a key in the user's own list may go.
    let owned = tx
        .list_api_keys(user_id)
        .await?
        .iter()
        .any(|k| k.key_id == key_id);
    if !owned || !tx.revoke_api_key(key_id).await? {
        return Err(ApiKeyError::UnknownKey);
    }
    record_revocation(&mut tx, user_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Revokes every key of the user; returns how many.
#[tracing::instrument(skip_all)]
pub async fn revoke_all(authn: &Authn, user_id: Uuid) -> Result<i32, ApiKeyError> {
    let mut tx = authn.begin().await?;
    let count = tx.revoke_all_api_keys(user_id).await?;
    if count > 0 {
        record_revocation(&mut tx, user_id).await?;
    }
    tx.commit().await?;
    Ok(count)
}

async fn record_revocation(tx: &mut AuthnTx<'_>, user_id: Uuid) -> Result<(), ApiKeyError> {
    crate::activity::record(
        tx,
        user_id,
        crate::activity::Activity::ApiKeyRevoked,
        Default::default(),
    )
    .await?;
    Ok(())
}

/// The owner of `bearer` if it is a live key of an enabled user (records the use).
#[tracing::instrument(skip_all)]
pub async fn authenticate(pool: &PgPool, bearer: &str) -> Result<Option<KeyOwner>, ApiKeyError> {
    if !bearer.starts_with(PREFIX) || bearer.len() > 128 {
        return Ok(None);
    }
    let hash = hash_token(bearer);
    // The key says nothing of its namespace; the hint table does, through the one function
    // that may look across namespaces for it (migration 26).
    let namespace: Option<String> = sqlx::query_scalar("SELECT gatehouse.api_key_namespace($1)")
        .bind(&hash)
        .fetch_one(pool)
        .await?;
    let Some(namespace) = namespace else {
        return Ok(None);
    };
    let authn = Authn::new(pool.clone(), namespace.clone()).await?;
    let Some(valid) = authn.validate_api_key(&hash).await? else {
        return Ok(None);
    };
    let user = authn
        .get_user(valid.user_id)
        .await?
        .filter(|u| u.disabled_at.is_none());
    Ok(user.map(|user| KeyOwner {
        namespace,
        key_id: valid.key_id,
        user,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_expiry_choices_are_checked() {
        assert_eq!(clean_name("  ci deploy ").unwrap(), "ci deploy");
        assert!(clean_name("   ").is_err());
        assert!(clean_name(&"x".repeat(61)).is_err());
        assert!(clean_name("tab\there").is_err());
        assert_eq!(Expiry::parse("90"), Some(Expiry::Days(90)));
        assert_eq!(Expiry::parse("never"), Some(Expiry::Never));
        assert_eq!(Expiry::parse("7"), None);
        assert_eq!(Expiry::Never.lifetime(), None);
    }
}
