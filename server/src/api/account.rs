//! The signed-in program's own account: who it is, its sessions, and ending one.

use app::client_address::ClientAddress;
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use identity::caller::{BearerRefusal, Principal};
use serde_json::json;
use uuid::Uuid;

use super::tokens::{api, Client};
use super::{bearer, ApiError};

/// [`caller_any`], refused while the namespace requires two-step verification the account does
/// not have yet (set it up on the web): everything but signing out.
pub async fn caller(
    state: &AppState,
    namespace: &str,
    client: &Client,
    headers: &HeaderMap,
) -> Result<Principal, ApiError> {
    let principal = caller_any(state, namespace, client, headers).await?;
    principal.require_account_ready()?;
    Ok(principal)
}

/// The caller behind the request's access token in `namespace`, through identity's one
/// caller-resolution service: the signature, the expiry and the session's being live.
pub async fn caller_any(
    state: &AppState,
    namespace: &str,
    client: &Client,
    headers: &HeaderMap,
) -> Result<Principal, ApiError> {
    let api = api(state)?;
    let token = bearer(headers).ok_or(ApiError::Unauthorized)?;
    let authn = client.authn(state, namespace).await?;
    match state
        .callers
        .resolve_access_token(authn, &state.pool, api.keys(), token)
        .await?
    {
        Ok(principal) => Ok(principal),
        Err(BearerRefusal::Expired) => Err(ApiError::TokenExpired),
        Err(BearerRefusal::Invalid) => Err(ApiError::InvalidToken),
    }
}

/// `GET /{namespace}/api/v1/me`.
pub async fn me(
    State(state): State<AppState>,
    Path(namespace): Path<String>,
    address: Option<Extension<ClientAddress>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let client = Client::of(address, &headers);
    let caller = caller(&state, &namespace, &client, &headers).await?;
    Ok(Json(json!({
        "id": caller.user_id,
        "email": caller.email,
        "namespace": caller.authn.namespace(),
        "email_verified": caller.email_verified,
        "session_id": caller.session_id,
        "roles": {
            "admin": caller.roles.admin,
            "operator": caller.roles.operator,
        },
    }))
    .into_response())
}

/// `GET /{namespace}/api/v1/sessions`: the account's live sessions, newest first.
pub async fn sessions(
    State(state): State<AppState>,
    Path(namespace): Path<String>,
    address: Option<Extension<ClientAddress>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let client = Client::of(address, &headers);
    let caller = caller(&state, &namespace, &client, &headers).await?;
    let list = caller.authn.list_sessions(caller.user_id).await?;
    Ok(Json(json!({
        "sessions": list.iter().map(|s| json!({
            "id": s.session_id,
            "created_at": s.created_at,
            "expires_at": s.expires_at,
            "ip_address": s.ip_address,
            "user_agent": s.user_agent,
            "current": s.session_id == caller.session_id,
        })).collect::<Vec<_>>(),
    }))
    .into_response())
}

/// `DELETE /{namespace}/api/v1/sessions/{id}`: signs one of the account's sessions out.
pub async fn revoke_session(
    State(state): State<AppState>,
    Path((namespace, session_id)): Path<(String, String)>,
    address: Option<Extension<ClientAddress>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let client = Client::of(address, &headers);
    let caller = caller(&state, &namespace, &client, &headers).await?;
    let id = Uuid::parse_str(session_id.trim())
        .map_err(|_| ApiError::NotFound("No such session of this account."))?;
    if !caller
        .authn
        .revoke_session_by_id(id, caller.user_id)
        .await?
    {
        return Err(ApiError::NotFound("No such session of this account."));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
