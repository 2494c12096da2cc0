//! `GET /api/v1/me` for personal API keys (`Authorization: Bearer gh_…`), as before the token
//! API: current key holders keep working unchanged.

use app::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{bearer, ApiError};

/// A personal API key's owner.
#[derive(Serialize, ToSchema)]
pub struct KeyOwnerBody {
    id: Uuid,
    email: String,
    namespace: String,
}

/// The key's owner: id, e-mail and namespace.
#[utoipa::path(get, path = "/api/v1/me", tag = "api-keys",
    security(("api_key" = [])),
    responses((status = 200, description = "The key's owner, whatever the namespace.", body = KeyOwnerBody)))]
pub async fn me(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(key) = bearer(&headers) else {
        return ApiError::InvalidToken.into_response();
    };
    match identity::api_keys::authenticate(&state.pool, key).await {
        Ok(Some(owner)) => Json(KeyOwnerBody {
            id: owner.user.user_id,
            email: owner.user.email,
            namespace: owner.namespace,
        })
        .into_response(),
        Ok(None) => ApiError::InvalidToken.into_response(),
        Err(e) => {
            tracing::error!(error = ?e, "API key check failed");
            ApiError::Internal.into_response()
        }
    }
}
