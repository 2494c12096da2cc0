//! Sign-in as a flow of steps, token refresh with rotation, sign-out, and the public keys.
//! The steps' rules are `identity::api_sessions`'s: lockout, attempts, activity and rate limits
//! as on the web.

use app::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use identity::api_sessions::{Credential, Flow, Method, Step, TokenPair};
use identity::RateRule;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::ToSchema;
use uuid::Uuid;

use super::call::Call;
use super::error::ErrorBody;
use super::{Accepted, ApiError, ApiJson, ApiPath};

/// The public keys access tokens are signed with, as a JSON Web Key Set (RFC 7517).
#[derive(ToSchema)]
#[allow(dead_code)]
struct Jwks {
    /// Ed25519 keys (`kty` `OKP`, `crv` `Ed25519`, `alg` `EdDSA`), each with its `kid`.
    keys: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// `GET /.well-known/jwks.json`: the keys access tokens are signed with (none when token
/// sign-in is off).
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "tokens",
    responses((status = 200, description = "The current signing key and the previous one, while tokens signed with it may still be live.", body = Jwks)))]
pub async fn jwks(State(state): State<AppState>) -> Response {
    let keys = match state.api.as_deref() {
        Some(api) => api.keys().jwks(),
        None => serde_json::json!({ "keys": [] }),
    };
    ([(header::CACHE_CONTROL, "public, max-age=300")], Json(keys)).into_response()
}

/// The names of the sign-in methods, as the schema of a list of them.
pub(super) fn method_names() -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(method_name())
        .description(Some("The methods the next step takes."))
        .into()
}

/// One sign-in method's name.
pub(super) fn method_name() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(Method::ALL.map(Method::as_str)))
        .into()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartSignIn {
    /// The account's address (at most 320 characters).
    #[schema(max_length = 320)]
    email: String,
}

/// A sign-in waiting for its next step.
#[derive(Serialize, ToSchema)]
pub struct FlowBody {
    /// The flow's id: post the next step to `sign-in/{flow}/steps`. It is good for one step.
    flow: String,
    #[schema(schema_with = method_names)]
    allowed_methods: Vec<&'static str>,
    expires_at: Option<DateTime<Utc>>,
}

impl FlowBody {
    fn of(flow: &Flow) -> FlowBody {
        FlowBody {
            flow: flow.id.clone(),
            allowed_methods: flow.allowed_methods.iter().map(|m| m.as_str()).collect(),
            expires_at: flow.expires_at,
        }
    }
}

/// A signed-in session's credentials: a short-lived access token and a refresh token.
#[derive(Serialize, ToSchema)]
pub struct Tokens {
    /// Always `Bearer`.
    token_type: &'static str,
    /// A JWT (EdDSA) to send as `Authorization: Bearer …`.
    access_token: String,
    /// Seconds until the access token expires.
    expires_in: i64,
    access_token_expires_at: DateTime<Utc>,
    /// Opaque; good for one refresh. Presenting it twice signs its session out.
    refresh_token: String,
    refresh_token_expires_at: DateTime<Utc>,
    user_id: Uuid,
    session_id: Uuid,
    /// `user`, and `admin` or `operator` where the account has that role.
    roles: Vec<String>,
}

impl Tokens {
    pub(super) fn of(pair: &TokenPair) -> Tokens {
        Tokens {
            token_type: "Bearer",
            access_token: pair.access_token.clone(),
            expires_in: (pair.access_expires_at - Utc::now()).num_seconds().max(0),
            access_token_expires_at: pair.access_expires_at,
            refresh_token: pair.refresh_token.expose().to_owned(),
            refresh_token_expires_at: pair.refresh_expires_at,
            user_id: pair.user_id,
            session_id: pair.session_id,
            roles: pair.roles.clone(),
        }
    }
}

pub(super) fn tokens_body(pair: &TokenPair) -> Response {
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(Tokens::of(pair)),
    )
        .into_response()
}

/// A step's outcome: the tokens when it was the last, or the next step's flow.
#[derive(ToSchema)]
#[allow(dead_code)]
enum StepOutcome {
    Tokens(Tokens),
    Next(FlowBody),
}

fn step_body(step: Step) -> Response {
    match step {
        Step::Tokens(pair) => tokens_body(&pair),
        Step::Next(next) => Json(FlowBody::of(&next)).into_response(),
    }
}

/// `POST /{namespace}/api/v1/sign-in` `{"email"}`: starts a sign-in and says which methods the
/// next step takes. The answer is the same for every address.
#[utoipa::path(post, path = "/{namespace}/api/v1/sign-in", tag = "sign-in",
    request_body = StartSignIn,
    responses(
        (status = 201, description = "A flow and the methods its first step takes; the same for every address.", body = FlowBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
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
    Ok((StatusCode::CREATED, Json(FlowBody::of(&flow))).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInStep {
    /// One of the flow's `allowed_methods`.
    #[schema(schema_with = method_name)]
    method: String,
    /// For `password`.
    #[serde(default)]
    password: Option<String>,
    /// For `email_code`, `totp` and `recovery_code`.
    #[serde(default)]
    code: Option<String>,
}

/// `POST /{namespace}/api/v1/sign-in/{flow}/steps` `{"method", "password" | "code"}`: one step;
/// tokens when it was the last, else the next flow and its methods.
#[utoipa::path(post, path = "/{namespace}/api/v1/sign-in/{flow}/steps", tag = "sign-in",
    params(("flow" = String, Path, description = "The flow of the previous answer.")),
    request_body = SignInStep,
    responses(
        (status = 200, description = "The tokens when this was the last step, else the next step's flow.", body = StepOutcome),
        (status = 401, description = "`invalid_credentials`: a wrong password or code (the flow stays for another try, up to a limit).", body = ErrorBody),
        (status = 403, description = "`forbidden`: the address is not confirmed, or the account must first choose a password or set up two-step verification on the web.", body = ErrorBody),
        (status = 429, description = "`locked_out` or `rate_limited`", body = ErrorBody),
    ))]
pub async fn sign_in_step(
    call: Call,
    ApiPath((_, flow)): ApiPath<(String, String)>,
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
    let step = api
        .step(
            &call.authn,
            &call.state.security,
            &flow,
            credential,
            call.client.info(),
            Utc::now(),
        )
        .await?;
    Ok(step_body(step))
}

/// `POST /{namespace}/api/v1/sign-in/{flow}/email-code`: mails a 6-digit code for the flow's
/// `email_code` step (to an enabled account only; the answer is 202 either way).
#[utoipa::path(post, path = "/{namespace}/api/v1/sign-in/{flow}/email-code", tag = "sign-in",
    params(("flow" = String, Path, description = "A flow whose next step takes `email_code`.")),
    responses(
        (status = 202, description = "Taken; the same for every address.", body = Accepted),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub async fn request_email_code(
    call: Call,
    ApiPath((_, flow)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let api = call.api()?;
    call.limit(RateRule::SEND_MAIL)?;
    api.request_email_code(&call.authn, &flow, Utc::now())
        .await?;
    Ok(accepted(
        "If the address has an account, a code is on its way.",
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MagicLinkRequest {
    email: String,
}

/// `POST /{namespace}/api/v1/magic-link` `{"email"}`: mails a sign-in link (202 always).
#[utoipa::path(post, path = "/{namespace}/api/v1/magic-link", tag = "sign-in",
    request_body = MagicLinkRequest,
    responses(
        (status = 202, description = "Taken; the same for every address.", body = Accepted),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MagicLinkSignIn {
    /// The `token` of the mailed link.
    token: String,
}

/// `POST /{namespace}/api/v1/magic-link/sign-in` `{"token"}`: the link's token for tokens (or
/// the second step).
#[utoipa::path(post, path = "/{namespace}/api/v1/magic-link/sign-in", tag = "sign-in",
    request_body = MagicLinkSignIn,
    responses(
        (status = 200, description = "The tokens, or the flow of the second step.", body = StepOutcome),
        (status = 401, description = "`invalid_token`: unknown, used or expired.", body = ErrorBody),
        (status = 403, description = "`forbidden`: two-step verification must be set up on the web first.", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub async fn magic_link_sign_in(
    call: Call,
    ApiJson(body): ApiJson<MagicLinkSignIn>,
) -> Result<Response, ApiError> {
    let api = call.api()?;
    call.limit(RateRule::USE_TOKEN)?;
    let step = api
        .sign_in_with_magic_link(&call.authn, &body.token, call.client.info())
        .await?;
    Ok(step_body(step))
}

/// A request taken: the same answer whatever the address.
pub(super) fn accepted(message: &'static str) -> Response {
    (StatusCode::ACCEPTED, Json(Accepted::new(message))).into_response()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Refresh {
    refresh_token: String,
}

/// `POST /{namespace}/api/v1/token/refresh` `{"refresh_token"}`: a new pair for the presented
/// token, which is used up; presenting a used one signs its session out (`token_reused`).
#[utoipa::path(post, path = "/{namespace}/api/v1/token/refresh", tag = "tokens",
    request_body = Refresh,
    responses(
        (status = 200, description = "A new pair; the presented refresh token is used up.", body = Tokens),
        (status = 401, description = "`invalid_token`, or `token_reused`: it was used before, so its session was signed out.", body = ErrorBody),
        (status = 403, description = "`forbidden`: two-step verification must be set up on the web first.", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub async fn refresh(call: Call, ApiJson(body): ApiJson<Refresh>) -> Result<Response, ApiError> {
    let api = call.api()?;
    call.limit(RateRule::USE_TOKEN)?;
    let pair = api.refresh(&call.authn, &body.refresh_token).await?;
    Ok(tokens_body(&pair))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignOut {
    /// Every session of the account, not only this one.
    #[serde(default)]
    all: bool,
}

/// `POST /{namespace}/api/v1/sign-out` `{"all": false}` (body optional): ends the access
/// token's session and its refresh tokens, or with `all` every session of the account.
#[utoipa::path(post, path = "/{namespace}/api/v1/sign-out", tag = "tokens",
    request_body(content = Option<SignOut>, description = "Optional."),
    security(("access_token" = [])),
    responses((status = 204, description = "Signed out; its refresh tokens no longer work.")))]
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
        super::json_object::<SignOut>(&body)
            .ok_or_else(|| {
                ApiError::validation("The body does not fit this request: {\"all\": true|false}.")
            })?
            .all
    };
    api.sign_out(&caller, all).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
