//! Forms posted without JavaScript (before the bundle has loaded, or with scripts off). Leptos
//! answers such a post with a redirect back to the page it came from (the Referer), the
//! error, if any, in the query. This finishes that round trip:
//!
//! - A page that already shows an earlier failure has it in its URL, and Leptos would append
//!   the new error after the old one, so the page kept showing the first. The Referer loses
//!   the old error before the call.
//! - The page comes back rendered anew, and would be empty where a script-driven form keeps
//!   what was typed. After a failure, the fields worth keeping ride back in a cookie
//!   (`app::form_errors::ssr`), dropped again by the page view that shows them.

use std::sync::Arc;

use app::form_errors::ssr::{kept_cookie, removal};
use app::state::CookieSettings;
use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request};
use axum::middleware::Next;
use axum::response::Response;

use crate::input_guard::MAX_FORM_BYTES;

/// The query parameters Leptos carries a native post's error in.
const ERROR_PARAMS: [&str; 2] = ["__path", "__err"];

pub async fn finish_native_posts(
    State(cookies): State<Arc<CookieSettings>>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let is_native_post = request.method() == Method::POST
        && request.uri().path().starts_with(vocabulary::API_PREFIX)
        && accepts_html(request.headers());
    if !is_native_post {
        let shows_kept = request.method() == Method::GET
            && app::session::ssr::cookie_in(request.headers(), &cookies.form_name).is_some();
        let mut response = next.run(request).await;
        if shows_kept && is_html(response.headers()) {
            if let Some(drop) = removal(&cookies) {
                response.headers_mut().append(header::SET_COOKIE, drop);
            }
        }
        return response;
    }

    let (mut parts, body) = request.into_parts();
    if let Some(clean) = parts
        .headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(without_error)
    {
        parts.headers.insert(header::REFERER, clean);
    }
    // The input guard, the next layer out, has already read and bounded the body.
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return next.run(Request::from_parts(parts, Body::empty())).await;
    };
    let mut response = next
        .run(Request::from_parts(parts, Body::from(bytes.clone())))
        .await;
    if failed_back_to_page(response.headers()) {
        if let Some(kept) = kept_cookie(&cookies, &bytes) {
            response.headers_mut().append(header::SET_COOKIE, kept);
        }
    }
    response
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// Whether the answer sends the browser back with an error in the query.
fn failed_back_to_page(headers: &HeaderMap) -> bool {
    headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|location| location.split_once('?'))
        .is_some_and(|(_, query)| {
            query
                .split('&')
                .any(|pair| pair.split('=').next() == Some("__err"))
        })
}

/// `referer` without an earlier error's parameters; `None` when it carries none.
fn without_error(referer: &str) -> Option<HeaderValue> {
    let (page, query) = referer.split_once('?')?;
    let (query, fragment) = match query.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (query, None),
    };
    let is_error = |pair: &&str| ERROR_PARAMS.contains(&pair.split('=').next().unwrap_or(""));
    if !query.split('&').any(|pair| is_error(&pair)) {
        return None;
    }
    let rest: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty() && !is_error(pair))
        .collect();
    let mut clean = page.to_owned();
    if !rest.is_empty() {
        clean.push('?');
        clean.push_str(&rest.join("&"));
    }
    if let Some(fragment) = fragment {
        clean.push('#');
        clean.push_str(fragment);
    }
    HeaderValue::from_str(&clean).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_earlier_error_leaves_the_referer_and_nothing_else_does() {
        let clean = |r: &str| without_error(r).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            clean("http://h/ns/sign-in?next=%2Fns%2Fdevices&__path=%2Fapi%2Fsign_in1&__err=IkEi"),
            Some("http://h/ns/sign-in?next=%2Fns%2Fdevices".into())
        );
        assert_eq!(
            clean("http://h/ns/sign-in?__path=%2Fapi%2Fx&__err=IkEi"),
            Some("http://h/ns/sign-in".into())
        );
        assert_eq!(clean("http://h/ns/sign-in?next=%2Fns%2Fdevices"), None);
        assert_eq!(clean("http://h/ns/sign-in"), None);
    }

    #[test]
    fn a_failure_is_a_location_with_an_error() {
        let with = |location: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::LOCATION, HeaderValue::from_str(location).unwrap());
            failed_back_to_page(&headers)
        };
        assert!(with("http://h/ns/sign-in?__path=%2Fapi%2Fx&__err=IkEi"));
        assert!(!with("/ns/account"));
        assert!(!with("/ns/account?done=__err"));
    }
}
