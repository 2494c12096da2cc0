//! Server functions of the API keys page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::error::{FieldProblem, FormField};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub key_id: String,
    pub name: String,
    pub last_four: String,
    pub created: String,
    pub last_used: Option<String>,
    pub expires: Option<String>,
}

/// A key just made; `key` is shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiKey {
    pub name: String,
    pub key: String,
}

#[server]
pub async fn my_api_keys(namespace: String) -> Result<Vec<ApiKeyView>, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    let when = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    Ok(identity::api_keys::list(&caller.authn, caller.user_id)
        .await?
        .into_iter()
        .map(|k| ApiKeyView {
            key_id: k.key_id.to_string(),
            name: k.name.unwrap_or_default(),
            last_four: k.last_four.unwrap_or_else(|| "????".into()),
            created: when(k.created_at),
            last_used: k.last_used_at.map(when),
            expires: k.expires_at.map(when),
        })
        .collect())
}

#[server]
pub async fn create_api_key(
    namespace: String,
    name: String,
    expiry: String,
) -> Result<CreatedApiKey, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    caller.require_recent_authentication(&state).await?;
    let expiry = identity::api_keys::Expiry::parse(expiry.trim()).ok_or(AppError::field(
        FormField::Expiry,
        FieldProblem::InvalidExpiry,
    ))?;
    let created = state
        .security
        .create_api_key(&caller.authn, caller.owner(), &name, expiry)
        .await?;
    Ok(CreatedApiKey {
        name: name.trim().to_owned(),
        key: created.key.expose().to_owned(),
    })
}

#[server]
pub async fn revoke_api_key(namespace: String, key_id: String) -> Result<(), AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    caller.refuse_while_impersonating()?;
    let key_id = uuid::Uuid::parse_str(key_id.trim())
        .map_err(|_| AppError::field(FormField::KeyId, FieldProblem::UnknownKey))?;
    identity::api_keys::revoke(&caller.authn, caller.user_id, key_id).await?;
    leptos_axum::redirect(
        &vocabulary::Page::ApiKeys.path_with(&namespace, &[vocabulary::Notice::Revoked.flag()]),
    );
    Ok(())
}

#[server]
pub async fn revoke_all_api_keys(namespace: String) -> Result<i32, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    caller.refuse_while_impersonating()?;
    let count = identity::api_keys::revoke_all(&caller.authn, caller.user_id).await?;
    leptos_axum::redirect(&vocabulary::Page::ApiKeys.path_with(
        &namespace,
        &[(vocabulary::Notice::Revoked.as_str(), &count.to_string())],
    ));
    Ok(count)
}
