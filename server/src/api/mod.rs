//! The JSON API for programs. It takes JSON bodies and bearer credentials only and never reads
//! the session cookie, so it needs no same-origin check (it is served outside that layer); a
//! browser page on another origin gets nothing from it unless that origin is in
//! `GATEHOUSE_CORS_ORIGINS` (empty by default).
//!
//! - `GET /api/v1/me`: the owner of a personal API key (`Bearer gh_…`).
//! - `GET /.well-known/jwks.json`: the access tokens' public keys.
//! - `/{namespace}/api/v1/…`: sign-in as a flow of steps, token refresh with rotation, sign-out
//!   (`tokens.rs`); `me` and the caller's sessions (`account.rs`); register, address
//!   confirmation, forgotten password, reset and password change (`account_flows.rs`); the
//!   caller's personal API keys (`api_keys.rs`); two-step verification (`mfa.rs`). Routes that
//!   only read the account also take a personal API key.
//! - `/api/v1/openapi.json` and `/api/v1/docs`: the OpenAPI document and its reference page
//!   (`openapi.rs`).
//! - The seeds' interfaces as aliases over the same services: `/{namespace}/auth/…`
//!   (`auth_client.rs`) and `/{namespace}/userAccount/…` (`user_account.rs`).

mod account;
mod account_flows;
mod api_keys;
mod auth_client;
mod call;
mod error;
mod keys;
mod mfa;
mod openapi;
mod tokens;
mod user_account;

use app::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::routing::{delete, get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::ToSchema;

pub use auth_client::SeedError;
pub use error::ApiError;
pub use openapi::{DOCUMENT, REFERENCE};

/// The header carrying a sign-in flow's token in the seed's user-account interface.
pub const SESSION_TOKEN: HeaderName = HeaderName::from_static("x-session-token");

/// Where the access tokens' public keys are published.
pub const JWKS: &str = "/.well-known/jwks.json";

/// The error body a path's callers read, where they are programs (a page's are people).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorForm {
    /// The API's `{"error", "message", "status"}` (the native API, the user-account interface,
    /// the server functions).
    Api,
    /// The seed auth client's `{"error", "message", "statusCode"}` (`/{namespace}/auth/…`).
    Seed,
}

impl ErrorForm {
    /// `error` in this form.
    pub fn answer(self, error: ApiError) -> axum::response::Response {
        use axum::response::IntoResponse;
        match self {
            ErrorForm::Api => error.into_response(),
            ErrorForm::Seed => SeedError(error).into_response(),
        }
    }
}

/// Which error body the callers of `path` read, from the routes above; `None` for pages.
pub fn error_form(path: &str) -> Option<ErrorForm> {
    if path.starts_with(vocabulary::API_PREFIX) || path.starts_with("/.well-known/") {
        return Some(ErrorForm::Api);
    }
    match path.split('/').nth(2) {
        Some("auth") => Some(ErrorForm::Seed),
        Some("api" | "userAccount") => Some(ErrorForm::Api),
        _ => None,
    }
}

/// The largest request body the API reads.
const BODY_LIMIT: usize = 16 * 1024;

/// The API's routes; `cors_origins` (see `Config::cors_origins`) may call it from a browser.
pub fn routes(state: AppState, cors_origins: Vec<HeaderValue>) -> Router {
    let v1 = "/{namespace}/api/v1";
    let router = Router::new()
        .route(openapi::DOCUMENT, get(openapi::document))
        .route(openapi::REFERENCE, get(openapi::reference))
        .route("/api/v1/me", get(keys::me))
        .route(JWKS, get(tokens::jwks))
        .route(&format!("{v1}/sign-in"), post(tokens::start_sign_in))
        .route(
            &format!("{v1}/sign-in/{{flow}}/steps"),
            post(tokens::sign_in_step),
        )
        .route(
            &format!("{v1}/sign-in/{{flow}}/email-code"),
            post(tokens::request_email_code),
        )
        .route(
            &format!("{v1}/magic-link"),
            post(tokens::request_magic_link),
        )
        .route(
            &format!("{v1}/magic-link/sign-in"),
            post(tokens::magic_link_sign_in),
        )
        .route(&format!("{v1}/token/refresh"), post(tokens::refresh))
        .route(&format!("{v1}/sign-out"), post(tokens::sign_out))
        .route(&format!("{v1}/register"), post(account_flows::register))
        .route(
            &format!("{v1}/verify-email"),
            post(account_flows::verify_email),
        )
        .route(
            &format!("{v1}/password/forgot"),
            post(account_flows::forgot_password),
        )
        .route(
            &format!("{v1}/password/reset"),
            post(account_flows::reset_password),
        )
        .route(
            &format!("{v1}/password"),
            post(account_flows::change_password),
        )
        .route(
            &format!("{v1}/api-keys"),
            get(api_keys::list).post(api_keys::create),
        )
        .route(
            &format!("{v1}/api-keys/{{key_id}}"),
            delete(api_keys::revoke),
        )
        .route(&format!("{v1}/me"), get(account::me))
        .route(&format!("{v1}/mfa"), get(mfa::status))
        .route(
            &format!("{v1}/mfa/totp"),
            post(mfa::begin_totp).delete(mfa::remove_totp),
        )
        .route(&format!("{v1}/mfa/totp/confirm"), post(mfa::confirm_totp))
        .route(
            &format!("{v1}/mfa/recovery-codes"),
            post(mfa::regenerate_recovery_codes),
        )
        // The seeds' two interfaces, over the same handlers' services.
        .route("/{namespace}/auth/login", post(auth_client::login))
        .route("/{namespace}/auth/register", post(auth_client::register))
        .route("/{namespace}/auth/logout", post(auth_client::logout))
        .route("/{namespace}/auth/token/refresh", get(auth_client::refresh))
        .route(
            "/{namespace}/auth/change-password",
            post(auth_client::change_password),
        )
        .route(
            "/{namespace}/userAccount/initAuth",
            post(user_account::init_auth),
        )
        .route(
            "/{namespace}/userAccount/authenticate",
            post(user_account::authenticate),
        )
        .route(
            "/{namespace}/userAccount/login/otp/generate",
            post(user_account::generate_otp),
        )
        .route(
            "/{namespace}/userAccount/password/reset",
            post(user_account::reset_password),
        )
        .route(
            "/{namespace}/userAccount/password/forgot",
            post(user_account::forgot_password),
        )
        .route(
            "/{namespace}/userAccount/password/reset/token",
            post(user_account::reset_password_with_token),
        )
        .route(
            "/{namespace}/userAccount/refresh/token",
            post(user_account::refresh),
        )
        .route(
            "/{namespace}/userAccount/logout/manual",
            post(user_account::logout),
        )
        .route(&format!("{v1}/sessions"), get(account::sessions))
        .route(
            &format!("{v1}/sessions/{{session_id}}"),
            delete(account::revoke_session),
        )
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state);
    if cors_origins.is_empty() {
        return router;
    }
    // Bearer tokens, never cookies: no credentials mode.
    router.layer(
        tower_http::cors::CorsLayer::new()
            .allow_origin(tower_http::cors::AllowOrigin::list(cors_origins))
            .allow_methods([Method::GET, Method::POST, Method::DELETE])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, SESSION_TOKEN])
            .expose_headers([SESSION_TOKEN])
            .max_age(std::time::Duration::from_secs(600)),
    )
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
        match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(value)) => {
                if !value.is_object() {
                    return Err(ApiError::validation("The body must be a JSON object."));
                }
                serde_json::from_value(value).map(ApiJson).map_err(|e| {
                    ApiError::validation(format!("The body does not fit this request: {e}"))
                })
            }
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

/// An optional body's fields, when it is a JSON object that fits `T`. Serde would also read a
/// struct from a list of its fields in order (`[]` for "all defaults"): not a form anyone means
/// to send, so it is refused like any other body that does not fit.
pub(crate) fn json_object<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) if value.is_object() => serde_json::from_value(value).ok(),
        _ => None,
    }
}

/// A path's parameters, an unreadable one (not UTF-8 once decoded) answered as `not_found`.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|_| ApiError::NotFound("Nothing is at this address."))
    }
}

/// A request taken, with the same answer whatever the address it names.
#[derive(Serialize, ToSchema)]
pub struct Accepted {
    /// Always 202.
    status: u16,
    message: &'static str,
}

impl Accepted {
    pub fn new(message: &'static str) -> Accepted {
        Accepted {
            status: StatusCode::ACCEPTED.as_u16(),
            message,
        }
    }
}

/// A plain answer for people.
#[derive(Serialize, ToSchema)]
pub struct Message {
    message: &'static str,
}

impl Message {
    pub fn new(message: &'static str) -> Message {
        Message { message }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_get_their_error_bodies_and_pages_none() {
        for path in [
            "/api/v1/me",
            "/api/sign_in123",
            "/.well-known/jwks.json",
            "/acme/api/v1/sign-in",
            "/acme/userAccount/initAuth",
        ] {
            assert_eq!(error_form(path), Some(ErrorForm::Api), "{path}");
        }
        assert_eq!(error_form("/acme/auth/login"), Some(ErrorForm::Seed));
        for path in ["/acme/sign-in", "/acme/admin/users", "/", "/acme/account"] {
            assert_eq!(error_form(path), None, "{path}");
        }
    }
}
