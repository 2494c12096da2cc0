//! Forms posted to their own page (`app::page_posts`): the page is rendered as for a visit,
//! with the form's body handed to it, and runs the form's server function while it renders.
//! Only the pages in `app::page_posts::PAGES` take such posts; the outer layers have already
//! checked the origin and the input, as for every post.

use std::future::Future;

use app::page_posts::PostedForm;
use axum::body::{to_bytes, Body};
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::input_guard::{is_form, MAX_FORM_BYTES};

/// Renders the page of `request` (a form posted to it) with `render`, the body handed over.
pub async fn answer<F>(render: impl FnOnce(Request<Body>) -> F, request: Request<Body>) -> Response
where
    F: Future<Output = Response>,
{
    let (mut parts, body) = request.into_parts();
    if !is_form(&parts.headers) {
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, "Send a form.").into_response();
    }
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.").into_response();
    };
    let Ok(text) = String::from_utf8(bytes.to_vec()) else {
        return (StatusCode::BAD_REQUEST, "The form could not be read.").into_response();
    };
    parts.extensions.insert(PostedForm::new(text));
    render(Request::from_parts(parts, Body::empty())).await
}
