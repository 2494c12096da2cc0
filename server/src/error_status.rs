//! Server functions answer every error with status 500; this gives each its own (a wrong
//! password is a 401, a bad form a 400, a rate limit a 429), in one place for all of them,
//! including errors raised before a function's body runs (unreadable arguments).

use app::error::AppError;
use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// Error bodies are a small JSON value; anything larger is left alone.
const MAX_ERROR_BODY: usize = 16 * 1024;

pub async fn server_fn_error_status(request: Request<Body>, next: Next) -> Response {
    let is_call = request.uri().path().starts_with(vocabulary::API_PREFIX);
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_call || response.status() != StatusCode::INTERNAL_SERVER_ERROR || !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        parts.status = StatusCode::INTERNAL_SERVER_ERROR;
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(err.status()) {
            parts.status = status;
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}
