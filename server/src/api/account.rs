//! The signed-in program's own account: who it is, its sessions, and ending one. Reading them
//! takes an access token or a personal API key.

use std::net::IpAddr;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::call::{Call, Reader};
use super::error::ErrorBody;
use super::{ApiError, ApiPath};

/// The roles a credential carries (an API key carries none: it only reads the account).
#[derive(Serialize, ToSchema)]
pub struct RolesBody {
    admin: bool,
    operator: bool,
}

/// The caller's account.
#[derive(Serialize, ToSchema)]
pub struct Me {
    id: Uuid,
    email: String,
    namespace: String,
    email_verified: bool,
    /// The access token's session; `null` for an API key.
    session_id: Option<Uuid>,
    roles: RolesBody,
}

/// `GET /{namespace}/api/v1/me`.
#[utoipa::path(get, path = "/{namespace}/api/v1/me", tag = "account",
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The caller's account.", body = Me),
        (status = 403, description = "`forbidden`: this organisation requires two-step verification, which the account must set up on the web first.", body = ErrorBody),
    ))]
pub async fn me(call: Call) -> Result<Response, ApiError> {
    let body = match call.reader().await? {
        Reader::Session(caller) => Me {
            id: caller.user_id,
            email: caller.email,
            namespace: caller.authn.namespace().to_owned(),
            email_verified: caller.email_verified,
            session_id: Some(caller.session_id),
            roles: RolesBody {
                admin: caller.roles.admin,
                operator: caller.roles.operator,
            },
        },
        Reader::Key(key) => Me {
            id: key.user_id,
            email: key.email,
            namespace: key.authn.namespace().to_owned(),
            email_verified: key.email_verified,
            session_id: None,
            roles: RolesBody {
                admin: false,
                operator: false,
            },
        },
    };
    Ok(Json(body).into_response())
}

/// A signed-in session of the account.
#[derive(Serialize, ToSchema)]
pub struct SessionBody {
    id: Uuid,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    #[schema(value_type = Option<String>, format = "ip")]
    ip_address: Option<IpAddr>,
    user_agent: Option<String>,
    /// Whether it is the session of the access token presenting this request.
    current: bool,
}

/// The account's live sessions, newest first.
#[derive(Serialize, ToSchema)]
pub struct Sessions {
    sessions: Vec<SessionBody>,
}

/// `GET /{namespace}/api/v1/sessions`: the account's live sessions, newest first.
#[utoipa::path(get, path = "/{namespace}/api/v1/sessions", tag = "account",
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The account's live sessions, newest first.", body = Sessions),
        (status = 403, description = "`forbidden`: two-step verification must be set up on the web first.", body = ErrorBody),
    ))]
pub async fn sessions(call: Call) -> Result<Response, ApiError> {
    let reader = call.reader().await?;
    let current = match &reader {
        Reader::Session(caller) => Some(caller.session_id),
        Reader::Key(_) => None,
    };
    let list = reader.authn().list_sessions(reader.user_id()).await?;
    Ok(Json(Sessions {
        sessions: list
            .into_iter()
            .map(|s| SessionBody {
                current: Some(s.session_id) == current,
                id: s.session_id,
                created_at: s.created_at,
                expires_at: s.expires_at,
                ip_address: s.ip_address,
                user_agent: s.user_agent,
            })
            .collect(),
    })
    .into_response())
}

/// `DELETE /{namespace}/api/v1/sessions/{id}`: signs one of the account's sessions out.
#[utoipa::path(delete, path = "/{namespace}/api/v1/sessions/{session_id}", tag = "account",
    params(("session_id" = String, Path, description = "A session's `id` from the list.")),
    security(("access_token" = [])),
    responses(
        (status = 204, description = "Signed out."),
        (status = 403, description = "`forbidden`: an API key cannot, or two-step verification must be set up first.", body = ErrorBody),
    ))]
pub async fn revoke_session(
    call: Call,
    ApiPath((_, session_id)): ApiPath<(String, String)>,
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
