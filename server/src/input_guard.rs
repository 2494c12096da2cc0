//! Input PostgreSQL cannot store is refused at the door. A NUL character is valid in a URL
//! (`%00`) and in a form body, but `text` columns refuse it, so it used to travel down to the
//! database and come back as a 500. Every request's query string and every form body (server
//! functions) are checked here, once, before any handler reads them: such a request is
//! refused with the generic "form rejected" answer and nothing changes.

use app::error::AppError;
use axum::body::{to_bytes, Body};
use axum::http::{header, HeaderMap, HeaderValue, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Form bodies larger than this are refused as well: every form of the app is a few KB.
pub const MAX_FORM_BYTES: usize = 256 * 1024;

pub async fn refuse_unstorable_input(request: Request<Body>, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if request.uri().query().is_some_and(has_nul) || has_nul(&path) {
        return refused(&path, StatusCode::BAD_REQUEST);
    }
    let is_form = is_form(request.headers());
    // Server functions decode their body as a form whatever content type it claims, so every
    // body posted to them is checked, not only the ones labelled as forms.
    let is_call = path.starts_with(vocabulary::API_PREFIX) && !request.method().is_safe();
    if !is_form && !is_call {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return refused(&path, StatusCode::PAYLOAD_TOO_LARGE);
    };
    if bytes.contains(&0) || std::str::from_utf8(&bytes).is_ok_and(has_nul) {
        return refused(&path, StatusCode::BAD_REQUEST);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Whether the request's body is labelled as a form.
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// Whether percent-encoded text carries a NUL (`%00`, any case) or a raw one.
fn has_nul(text: &str) -> bool {
    text.contains('\0') || text.as_bytes().windows(3).any(|w| w == b"%00")
}

/// What a refused request gets: for a server function its error body (so the page shows the
/// generic message), otherwise a short plain text.
fn refused(path: &str, status: StatusCode) -> Response {
    if path.starts_with(vocabulary::API_PREFIX) {
        let body = serde_json::to_vec(&AppError::FormRejected).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Ok(v) = HeaderValue::from_str(path) {
            // How Leptos' client tells an error answer of a server function.
            headers.insert("serverfnerror", v);
        }
        return response;
    }
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{}\n", AppError::FormRejected),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_encoded_or_raw() {
        assert!(has_nul("email=a%00b"));
        assert!(has_nul("a\0b"));
        assert!(
            !has_nul("email=a%2500b"),
            "an escaped percent sign followed by 00"
        );
        assert!(!has_nul("email=a%20b&x=100"));
    }
}
