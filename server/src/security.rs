//! Request checks and response headers every route gets.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};

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

/// Nothing here needs the camera, microphone, location, sensors, payment or USB; passkeys
/// (WebAuthn) are for this origin only.
const PERMISSIONS_POLICY: &str = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), \
     magnetometer=(), microphone=(), payment=(), usb=(), \
     publickey-credentials-create=(self), publickey-credentials-get=(self)";

/// Whether a response is one of the site's static files, by its content type.
fn is_static_asset(headers: &http::HeaderMap) -> bool {
    const STATIC: [&str; 6] = [
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/wasm",
        "image/",
        "font/",
    ];
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| STATIC.iter().any(|t| v.starts_with(t)))
}

/// For responses without inline scripts (server functions, files, redirects).
const STRICT_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Pages may run exactly the inline scripts that carry this request's nonce (Leptos' hydration
/// start-up and its serialized resources).
fn page_policy(nonce: &Nonce) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

/// Hands the nonce the `headers` layer made for this request to the page being rendered (call it
/// from the Leptos context closure). Header and page then come from one value made in one place,
/// instead of the page reporting its nonce back through the response options.
pub fn provide_page_nonce() {
    let nonce = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Nonce>().cloned());
    if let Some(nonce) = nonce {
        provide_context(nonce);
    }
}

/// Security headers on every response.
pub async fn headers(
    State(https): State<bool>,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    let nonce = Nonce::new();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let policy = if is_html {
        HeaderValue::from_str(&page_policy(&nonce)).ok()
    } else {
        None
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        policy.unwrap_or(HeaderValue::from_static(STRICT_POLICY)),
    );
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
    // No other window may keep a handle on ours (tab-nabbing, cross-window leaks).
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    // Pages, server-function answers, the API and redirects can all carry personal data or
    // one-time secrets (recovery codes, API keys): no browser or proxy cache may keep them.
    // Only the static files of the site (styles, scripts, the wasm bundle, images, fonts) may
    // be cached, and only if their handler says how.
    if !is_static_asset(h) && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    response
}
