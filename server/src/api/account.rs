//! The signed-in program's own account: who it is, its sessions, and ending one.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use uuid::Uuid;

use super::call::Call;
use super::ApiError;

/// `GET /{namespace}/api/v1/me`.
pub async fn me(call: Call) -> Result<Response, ApiError> {
    let caller = call.caller().await?;
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
pub async fn sessions(call: Call) -> Result<Response, ApiError> {
    let caller = call.caller().await?;
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
    call: Call,
    Path((_, session_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let caller = call.caller().await?;
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
