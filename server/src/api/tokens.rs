//! Sign-in as a flow of steps, token refresh with rotation, sign-out, and the public keys.
//! The steps' rules are `identity::api_sessions`'s: lockout, attempts, activity and rate limits
//! as on the web.

use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use identity::api_sessions::{Credential, Flow, Method, Step, TokenPair};
use identity::RateRule;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;

use super::call::Call;
use super::{ApiError, ApiJson};

/// `GET /.well-known/jwks.json`: the keys access tokens are signed with (none when token
/// sign-in is off).
pub async fn jwks(State(state): State<AppState>) -> Response {
    let keys = match state.api.as_deref() {
        Some(api) => api.keys().jwks(),
        None => json!({ "keys": [] }),
    };
    ([(header::CACHE_CONTROL, "public, max-age=300")], Json(keys)).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartSignIn {
    email: String,
}

fn flow_body(flow: &Flow) -> serde_json::Value {
    json!({
        "flow": flow.id,
        "allowed_methods": flow.allowed_methods.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "expires_at": flow.expires_at,
    })
}

pub(super) fn tokens_body(pair: &TokenPair) -> Response {
    let expires_in = (pair.access_expires_at - Utc::now()).num_seconds().max(0);
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "token_type": "Bearer",
            "access_token": pair.access_token,
            "expires_in": expires_in,
            "access_token_expires_at": pair.access_expires_at,
            "refresh_token": pair.refresh_token.expose(),
            "refresh_token_expires_at": pair.refresh_expires_at,
            "user_id": pair.user_id,
            "session_id": pair.session_id,
            "roles": pair.roles,
        })),
    )
        .into_response()
}

/// `POST /{namespace}/api/v1/sign-in` `{"email"}`: starts a sign-in and says which methods the
/// next step takes. The answer is the same for every address.
pub async fn start_sign_in(
    call: Call,
    ApiJson(body): ApiJson<StartSignIn>,
) -> Result<Response, ApiError> {
    let api = call.api()?;
    call.limit(RateRule::SIGN_IN)?;
    if body.email.trim().is_empty() || body.email.len() > 320 {
        return Err(ApiError::validation("Give the account's email address."));
    }
    let flow = api.start(call.authn.namespace(), &body.email, Utc::now());
    Ok((StatusCode::CREATED, Json(flow_body(&flow))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInStep {
    method: String,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    code: Option<String>,
}

/// `POST /{namespace}/api/v1/sign-in/{flow}/steps` `{"method", "password" | "code"}`: one step;
/// tokens when it was the last, else the next flow and its methods.
pub async fn sign_in_step(
    call: Call,
    Path((_, flow)): Path<(String, String)>,
    ApiJson(body): ApiJson<SignInStep>,
) -> Result<Response, ApiError> {
    let api = call.api()?;
    call.limit(RateRule::SIGN_IN)?;
    let method = Method::parse(&body.method).ok_or_else(|| {
        ApiError::validation("Unknown method: use one of the flow's allowed_methods.")
    })?;
    let password;
    let credential = match method {
        Method::Password => {
            password = SecretString::from(
                body.password
                    .ok_or_else(|| ApiError::validation("Give the password."))?,
            );
            Credential::Password(&password)
        }
        Method::EmailCode => Credential::EmailCode(
            body.code
                .as_deref()
                .ok_or_else(|| ApiError::validation("Give the code from the mail."))?,
        ),
        Method::Totp => Credential::Totp(
            body.code
                .as_deref()
                .ok_or_else(|| ApiError::validation("Give the code."))?,
        ),
        Method::RecoveryCode => Credential::RecoveryCode(
            body.code
                .as_deref()
                .ok_or_else(|| ApiError::validation("Give the recovery code."))?,
        ),
    };
    match api
        .step(
            &call.authn,
            &call.state.security,
            &flow,
            credential,
            call.client.info(),
            Utc::now(),
        )
        .await?
    {
        Step::Tokens(pair) => Ok(tokens_body(&pair)),
        Step::Next(next) => Ok(Json(flow_body(&next)).into_response()),
    }
}

/// `POST /{namespace}/api/v1/sign-in/{flow}/email-code`: mails a 6-digit code for the flow's
/// `email_code` step (to an enabled account only; the answer is 202 either way).
pub async fn request_email_code(
    call: Call,
    Path((_, flow)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let api = call.api()?;
    call.limit(RateRule::SEND_MAIL)?;
    api.request_email_code(&call.authn, &flow, Utc::now())
        .await?;
    Ok(accepted(
        "If the address has an account, a code is on its way.",
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MagicLinkRequest {
    email: String,
}

/// `POST /{namespace}/api/v1/magic-link` `{"email"}`: mails a sign-in link (202 always).
pub async fn request_magic_link(
    call: Call,
    ApiJson(body): ApiJson<MagicLinkRequest>,
) -> Result<Response, ApiError> {
    let api = call.api()?;
    call.limit(RateRule::SEND_MAIL)?;
    api.request_magic_link(&call.authn, &body.email).await?;
    Ok(accepted(
        "If the address has an account, a sign-in link is on its way.",
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MagicLinkSignIn {
    token: String,
}

/// `POST /{namespace}/api/v1/magic-link/sign-in` `{"token"}`: the link's token for tokens (or
/// the second step).
pub async fn magic_link_sign_in(
    call: Call,
    ApiJson(body): ApiJson<MagicLinkSignIn>,
) -> Result<Response, ApiError> {
    let api = call.api()?;
    call.limit(RateRule::USE_TOKEN)?;
    match api
        .sign_in_with_magic_link(&call.authn, &body.token, call.client.info())
        .await?
    {
        Step::Tokens(pair) => Ok(tokens_body(&pair)),
        Step::Next(next) => Ok(Json(flow_body(&next)).into_response()),
    }
}

/// A request taken: the same answer whatever the address.
pub(super) fn accepted(message: &str) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(json!({ "status": 202, "message": message })),
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refresh {
    refresh_token: String,
}

/// `POST /{namespace}/api/v1/token/refresh` `{"refresh_token"}`: a new pair for the presented
/// token, which is used up; presenting a used one signs its session out (`token_reused`).
pub async fn refresh(call: Call, ApiJson(body): ApiJson<Refresh>) -> Result<Response, ApiError> {
    let api = call.api()?;
    call.limit(RateRule::USE_TOKEN)?;
    let pair = api.refresh(&call.authn, &body.refresh_token).await?;
    Ok(tokens_body(&pair))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SignOut {
    #[serde(default)]
    all: bool,
}

/// `POST /{namespace}/api/v1/sign-out` `{"all": false}` (body optional): ends the access
/// token's session and its refresh tokens, or with `all` every session of the account.
pub async fn sign_out(call: Call, body: axum::body::Bytes) -> Result<Response, ApiError> {
    let api = call.api()?;
    let caller = call.caller_any().await?;
    // The body is optional; when there is one it is JSON like any other.
    let all = if body.iter().all(u8::is_ascii_whitespace) {
        false
    } else {
        let json = call
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !json {
            return Err(ApiError::ValidationFailed {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                message: "Send the body as JSON (Content-Type: application/json).".into(),
            });
        }
        serde_json::from_slice::<SignOut>(&body)
            .map_err(|_| {
                ApiError::validation("The body does not fit this request: {\"all\": true|false}.")
            })?
            .all
    };
    api.sign_out(&caller, all).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
