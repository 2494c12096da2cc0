//! `GET /api/v1/me` for personal API keys (`Authorization: Bearer gh_…`), as before the token
//! API: current key holders keep working unchanged.

use app::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::{bearer, ApiError};

/// The key's owner: id, e-mail and namespace.
pub async fn me(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(key) = bearer(&headers) else {
        return ApiError::InvalidToken.into_response();
    };
    match identity::api_keys::authenticate(&state.pool, key).await {
        Ok(Some(owner)) => Json(json!({
            "id": owner.user.user_id,
            "email": owner.user.email,
            "namespace": owner.namespace,
        }))
        .into_response(),
        Ok(None) => ApiError::InvalidToken.into_response(),
        Err(e) => {
            tracing::error!(error = ?e, "API key check failed");
            ApiError::Internal.into_response()
        }
    }
}
