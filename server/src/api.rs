//! The JSON API, authenticated by personal API keys (`Authorization: Bearer gh_…`).

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use sqlx::PgPool;

pub fn routes<S>(pool: PgPool) -> Router<S> {
    Router::new().route("/api/v1/me", get(me)).with_state(pool)
}

/// The key's owner: id, e-mail and namespace.
async fn me(State(pool): State<PgPool>, headers: HeaderMap) -> Response {
    let Some(bearer) = bearer(&headers) else {
        return unauthorized();
    };
    match identity::api_keys::authenticate(&pool, bearer).await {
        Ok(Some(owner)) => Json(json!({
            "id": owner.user.user_id,
            "email": owner.user.email,
            "namespace": owner.namespace,
        }))
        .into_response(),
        Ok(None) => unauthorized(),
        Err(e) => {
            tracing::error!(error = ?e, "API key check failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(
                    json!({ "error": "internal", "message": "Something went wrong on our side." }),
                ),
            )
                .into_response()
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// One answer for a missing, malformed, unknown, expired or revoked key.
fn unauthorized() -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        Json(json!({
            "error": "invalid_token",
            "message": "The API key is missing, invalid, expired or revoked.",
        })),
    )
        .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"gatehouse\""),
    );
    response
}
