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
    match headers.get(header::ORIGIN).map(HeaderValue::as_bytes) {
        Some(b"null") | None => {}
        Some(o) => return o == origin.as_bytes(),
    }
    // Browsers that omit Origin, or send it as "null" (privacy modes), still send Fetch
    // Metadata, which pages cannot forge.
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
    // Full referrer to ourselves (a form posted without JavaScript is redirected back to the
    // page it came from), nothing to other sites: links with tokens never leak outward.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
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
