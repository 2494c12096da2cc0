//! Request checks and response headers every route gets.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Refuses a state-changing request unless the browser says it comes from our own origin.
/// Server functions are plain POST endpoints with no CSRF token of their own, so this is their
/// protection; SameSite=Lax cookies are the second layer.
pub async fn same_origin_only(
    State(origin): State<String>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && !is_same_origin(&request, &origin) {
        tracing::warn!(method = %request.method(), path = %request.uri().path(), "cross-origin request refused");
        return (StatusCode::FORBIDDEN, "Cross-origin request refused.").into_response();
    }
    next.run(request).await
}

fn is_same_origin(request: &Request<Body>, origin: &str) -> bool {
    let headers = request.headers();
    if let Some(o) = headers.get(header::ORIGIN) {
        return o.as_bytes() == origin.as_bytes();
    }
    // Browsers that omit Origin still send Fetch Metadata.
    matches!(
        headers.get("sec-fetch-site").map(HeaderValue::as_bytes),
        Some(b"same-origin") | Some(b"none")
    )
}

/// Security headers on every response.
pub async fn headers(State(https): State<bool>, request: Request<Body>, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    // Pages set their own policy with a per-request nonce for the hydration script (see
    // `app::shell`); everything else gets the same policy without any inline script.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(app::csp::STRICT),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    response
}
