//! A signed-in program's personal API keys: list, create (needs a sign-in within the sudo
//! window, as in the portal; the owner is mailed) and revoke.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use identity::api_keys::{ApiKeyError, Expiry};
use identity::security::SecurityError;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::call::Call;
use super::{ApiError, ApiJson};

impl From<ApiKeyError> for ApiError {
    fn from(e: ApiKeyError) -> Self {
        match e {
            ApiKeyError::InvalidName => {
                ApiError::validation("Give the key a name of at most 60 characters.")
            }
            ApiKeyError::UnknownKey => ApiError::NotFound("No such key of this account."),
            ApiKeyError::Internal(e) => {
                tracing::error!(error = %e, "API key request failed");
                ApiError::Internal
            }
        }
    }
}

impl From<SecurityError> for ApiError {
    fn from(e: SecurityError) -> Self {
        match e {
            SecurityError::ApiKey(e) => e.into(),
            other => {
                tracing::error!(error = ?other, "API security request failed");
                ApiError::Internal
            }
        }
    }
}

/// `GET /{namespace}/api/v1/api-keys`: the account's usable keys (never the keys themselves).
pub async fn list(call: Call) -> Result<Response, ApiError> {
    let caller = call.caller().await?;
    let keys = identity::api_keys::list(&caller.authn, caller.user_id).await?;
    Ok(Json(json!({
        "api_keys": keys.iter().map(|k| json!({
            "id": k.key_id,
            "name": k.name,
            "last_four": k.last_four,
            "created_at": k.created_at,
            "last_used_at": k.last_used_at,
            "expires_at": k.expires_at,
        })).collect::<Vec<_>>(),
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Create {
    name: String,
    /// Days, as the portal offers them: `30`, `90`, `365`, or `never`.
    expiry: String,
}

/// `POST /{namespace}/api/v1/api-keys` `{"name", "expiry"}`: 201 with the key, shown once.
pub async fn create(call: Call, ApiJson(body): ApiJson<Create>) -> Result<Response, ApiError> {
    let caller = call.caller().await?;
    caller
        .require_recent_authentication(call.state.sudo_window)
        .await?;
    let expiry = Expiry::parse(body.expiry.trim())
        .ok_or_else(|| ApiError::validation("Choose expiry: 30, 90 or 365 (days), or never."))?;
    let created = call
        .state
        .security
        .create_api_key(&caller.authn, caller.owner(), &body.name, expiry)
        .await?;
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(
            json!({ "id": created.key_id, "key": created.key.expose(), "name": body.name.trim() }),
        ),
    )
        .into_response())
}

/// `DELETE /{namespace}/api/v1/api-keys/{id}`.
pub async fn revoke(
    call: Call,
    Path((_, key_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let caller = call.caller().await?;
    caller.refuse_while_impersonating()?;
    let id = Uuid::parse_str(key_id.trim())
        .map_err(|_| ApiError::NotFound("No such key of this account."))?;
    identity::api_keys::revoke(&caller.authn, caller.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
