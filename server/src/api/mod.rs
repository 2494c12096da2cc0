//! The JSON API for programs. It takes JSON bodies and bearer credentials only and never reads
//! the session cookie, so it needs no same-origin check (it is served outside that layer) and
//! a browser on another origin gets nothing from it (no CORS headers are sent).
//!
//! - `GET /api/v1/me`: the owner of a personal API key (`Bearer gh_…`).
//! - `GET /.well-known/jwks.json`: the access tokens' public keys.
//! - `/{namespace}/api/v1/…`: sign-in as a flow of steps, token refresh with rotation, sign-out,
//!   `me` and the caller's sessions, with access tokens (`tokens.rs`, `account.rs`).

mod account;
mod error;
mod keys;
mod tokens;

use app::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{delete, get, post};
use axum::Router;
use serde::de::DeserializeOwned;

pub use error::ApiError;

/// The largest request body the API reads.
const BODY_LIMIT: usize = 16 * 1024;

pub fn routes(state: AppState) -> Router {
    let v1 = "/{namespace}/api/v1";
    Router::new()
        .route("/api/v1/me", get(keys::me))
        .route("/.well-known/jwks.json", get(tokens::jwks))
        .route(&format!("{v1}/sign-in"), post(tokens::start_sign_in))
        .route(
            &format!("{v1}/sign-in/{{flow}}/steps"),
            post(tokens::sign_in_step),
        )
        .route(&format!("{v1}/token/refresh"), post(tokens::refresh))
        .route(&format!("{v1}/sign-out"), post(tokens::sign_out))
        .route(&format!("{v1}/me"), get(account::me))
        .route(&format!("{v1}/sessions"), get(account::sessions))
        .route(
            &format!("{v1}/sessions/{{session_id}}"),
            delete(account::revoke_session),
        )
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// A JSON body, refused with the API's error body: a wrong content type (415), malformed or
/// oversized JSON (400, 413), a missing or mistyped field (400).
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(match rejection {
                JsonRejection::MissingJsonContentType(_) => ApiError::ValidationFailed {
                    status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    message: "Send the body as JSON (Content-Type: application/json).".into(),
                },
                JsonRejection::JsonDataError(e) => ApiError::validation(format!(
                    "The body does not fit this request: {}",
                    e.body_text()
                )),
                JsonRejection::JsonSyntaxError(_) => {
                    ApiError::validation("The body is not valid JSON.")
                }
                other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    ApiError::ValidationFailed {
                        status: StatusCode::PAYLOAD_TOO_LARGE,
                        message: format!("The body is larger than {BODY_LIMIT} bytes."),
                    }
                }
                _ => ApiError::validation("The body could not be read."),
            }),
        }
    }
}

/// The `Authorization: Bearer …` credential, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}
