//! A signed-in program's personal API keys: list, create (needs a sign-in within the sudo
//! window, as in the portal; the owner is mailed) and revoke.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use identity::api_keys::{ApiKeyError, Expiry};
use identity::security::SecurityError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::call::Call;
use super::error::ErrorBody;
use super::{ApiError, ApiJson, ApiPath};

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
            SecurityError::Totp(e) => e.into(),
            SecurityError::NoSecondFactor => ApiError::Conflict(
                "Recovery codes go with another second factor: add an authenticator app first.",
            ),
            other => {
                tracing::error!(error = ?other, "API security request failed");
                ApiError::Internal
            }
        }
    }
}

/// A personal API key as its owner's list shows it (never the key itself).
#[derive(Serialize, ToSchema)]
pub struct ApiKeyBody {
    id: Uuid,
    name: Option<String>,
    /// The key's last four characters, to tell keys apart.
    last_four: Option<String>,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    /// `null`: never expires.
    expires_at: Option<DateTime<Utc>>,
}

/// The account's usable keys.
#[derive(Serialize, ToSchema)]
pub struct ApiKeys {
    api_keys: Vec<ApiKeyBody>,
}

/// `GET /{namespace}/api/v1/api-keys`: the account's usable keys (never the keys themselves).
#[utoipa::path(get, path = "/{namespace}/api/v1/api-keys", tag = "api-keys",
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The account's usable keys.", body = ApiKeys),
        (status = 403, description = "`forbidden`: two-step verification must be set up on the web first.", body = ErrorBody),
    ))]
pub async fn list(call: Call) -> Result<Response, ApiError> {
    let reader = call.reader().await?;
    let keys = identity::api_keys::list(reader.authn(), reader.user_id()).await?;
    Ok(Json(ApiKeys {
        api_keys: keys
            .into_iter()
            .map(|k| ApiKeyBody {
                id: k.key_id,
                name: k.name,
                last_four: k.last_four,
                created_at: k.created_at,
                last_used_at: k.last_used_at,
                expires_at: k.expires_at,
            })
            .collect(),
    })
    .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Create {
    /// At most 60 characters.
    #[schema(min_length = 1, max_length = 60)]
    name: String,
    /// Days, as the portal offers them: `30`, `90`, `365`, or `never`.
    #[schema(pattern = "^(30|90|365|never)$")]
    expiry: String,
}

/// A new key: shown this once, stored only as its hash.
#[derive(Serialize, ToSchema)]
pub struct NewKey {
    id: Uuid,
    /// `gh_…`: send it as `Authorization: Bearer …`.
    key: String,
    name: String,
}

/// `POST /{namespace}/api/v1/api-keys` `{"name", "expiry"}`: 201 with the key, shown once.
#[utoipa::path(post, path = "/{namespace}/api/v1/api-keys", tag = "api-keys",
    request_body = Create,
    security(("access_token" = [])),
    responses(
        (status = 201, description = "The key, shown this once; the owner is mailed.", body = NewKey),
        (status = 403, description = "`forbidden`: it needs a sign-in within the last few minutes (sign in again), an access token rather than a key, or two-step verification set up first.", body = ErrorBody),
    ))]
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
        Json(NewKey {
            id: created.key_id,
            key: created.key.expose().to_owned(),
            name: body.name.trim().to_owned(),
        }),
    )
        .into_response())
}

/// `DELETE /{namespace}/api/v1/api-keys/{id}`.
#[utoipa::path(delete, path = "/{namespace}/api/v1/api-keys/{key_id}", tag = "api-keys",
    params(("key_id" = String, Path, description = "A key's `id` from the list.")),
    security(("access_token" = [])),
    responses(
        (status = 204, description = "Revoked: the key no longer works."),
        (status = 403, description = "`forbidden`: an API key cannot, or two-step verification must be set up first.", body = ErrorBody),
    ))]
pub async fn revoke(
    call: Call,
    ApiPath((_, key_id)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let caller = call.caller().await?;
    caller.refuse_while_impersonating()?;
    let id = Uuid::parse_str(key_id.trim())
        .map_err(|_| ApiError::NotFound("No such key of this account."))?;
    identity::api_keys::revoke(&caller.authn, caller.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
