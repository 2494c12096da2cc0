//! The seed's user-account HTTP interface (`../shared/seeds/user-account-http-api.md`) under
//! `/{namespace}/userAccount/…`, over the same services as the native API: a multi-step sign-in
//! whose session token travels in `x-session-token`, e-mail one-time codes, password reset
//! (signed in, or with a mailed token as the bearer credential), refresh with the refresh token
//! as the bearer credential, and logout. Errors have the native body. Sign-in methods Gatehouse
//! does not offer (`google`, `microsoft`, `azureAd`, `oauth`, `samlSso`) are `unsupported_method`.

use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use identity::api_sessions::Method;
use identity::api_sessions::{Credential, Flow, Step, TokenPair};
use identity::flows::NewPassword;
use identity::RateRule;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::ToSchema;
use uuid::Uuid;

use super::call::Call;
use super::error::ErrorBody;
use super::{bearer, ApiError, ApiJson, Message, SESSION_TOKEN};

/// The seed's name of a method.
fn seed_name(method: Method) -> &'static str {
    match method {
        Method::EmailCode => "otp",
        other => other.as_str(),
    }
}

/// The seed's names for the methods of a step.
fn seed_methods(flow: &Flow) -> Vec<&'static str> {
    flow.allowed_methods
        .iter()
        .copied()
        .map(seed_name)
        .collect()
}

fn seed_method_names() -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(Method::ALL.map(seed_name))),
        )
        .into()
}

fn with_session_token<T: Serialize>(flow: &Flow, body: T) -> Result<Response, ApiError> {
    let mut response = Json(body).into_response();
    let value = HeaderValue::from_str(&flow.id).map_err(|_| ApiError::Internal)?;
    response.headers_mut().insert(SESSION_TOKEN, value);
    Ok(response)
}

/// The signed-in user of a completed sign-in.
#[derive(Serialize, ToSchema)]
pub struct SeedUser {
    id: Uuid,
    roles: Vec<String>,
}

/// The last step done: the tokens.
#[derive(Serialize, ToSchema)]
pub struct FullyAuthenticated {
    /// `Fully authenticated`.
    message: &'static str,
    #[serde(rename = "accessToken")]
    access_token: String,
    #[serde(rename = "refreshToken")]
    refresh_token: String,
    user: SeedUser,
}

fn fully_authenticated(pair: &TokenPair) -> Response {
    (
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(FullyAuthenticated {
            message: "Fully authenticated",
            access_token: pair.access_token.clone(),
            refresh_token: pair.refresh_token.expose().to_owned(),
            user: SeedUser {
                id: pair.user_id,
                roles: pair.roles.clone(),
            },
        }),
    )
        .into_response()
}

#[derive(Deserialize, ToSchema)]
pub struct Email {
    email: String,
    #[serde(
        default,
        rename = "cf-turnstile-response",
        alias = "cfTurnstileResponse"
    )]
    #[allow(dead_code)]
    captcha: Option<String>,
}

/// A sign-in begun.
#[derive(Serialize, ToSchema)]
pub struct Initialized {
    /// `success`.
    status: &'static str,
    message: &'static str,
    #[serde(rename = "allowedMethods")]
    #[schema(schema_with = seed_method_names)]
    allowed_methods: Vec<&'static str>,
    /// Always 0.
    #[serde(rename = "currentStep")]
    current_step: u8,
}

/// `POST /{namespace}/userAccount/initAuth` `{"email"}`: the flow's token in `x-session-token`
/// and the first step's `allowedMethods`; the same for every address.
#[utoipa::path(post, path = "/{namespace}/userAccount/initAuth", tag = "userAccount (seed)",
    request_body = Email,
    responses(
        (status = 200, description = "The first step's methods; the same for every address.", body = Initialized,
            headers(("x-session-token" = String, description = "The flow's token, for `authenticate`."))),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub async fn init_auth(call: Call, ApiJson(body): ApiJson<Email>) -> Result<Response, ApiError> {
    let api = call.api()?;
    call.limit(RateRule::SIGN_IN)?;
    let flow = api.start(call.authn.namespace(), &body.email, Utc::now());
    with_session_token(
        &flow,
        Initialized {
            status: "success",
            message: "Authentication initialized",
            allowed_methods: seed_methods(&flow),
            current_step: 0,
        },
    )
}

#[derive(Deserialize, ToSchema)]
pub struct Authenticate {
    /// `password`, `otp` (the mailed code), `totp`, `recovery_code`; `google`, `microsoft`,
    /// `azureAd`, `oauth` and `samlSso` are `unsupported_method`.
    method: String,
    /// `{"password"}`, `{"otp"}` or `{"code"}`, as the method takes.
    #[schema(value_type = Object)]
    credentials: Value,
    #[serde(default)]
    #[allow(dead_code)]
    email: Option<String>,
    #[serde(
        default,
        rename = "cf-turnstile-response",
        alias = "cfTurnstileResponse"
    )]
    #[allow(dead_code)]
    captcha: Option<String>,
}

/// The next step's methods (its token is in `x-session-token`).
#[derive(Serialize, ToSchema)]
pub struct NextStep {
    /// `success`.
    status: &'static str,
    /// Always 1: the second step.
    #[serde(rename = "nextStep")]
    next_step: u8,
    #[serde(rename = "allowedMethods")]
    #[schema(schema_with = seed_method_names)]
    allowed_methods: Vec<&'static str>,
}

/// A step's outcome in the seed's words.
#[derive(ToSchema)]
#[allow(dead_code)]
enum Authenticated {
    Fully(FullyAuthenticated),
    Next(NextStep),
}

/// `POST /{namespace}/userAccount/authenticate` (`x-session-token`) `{"method", "credentials"}`:
/// one step; the next step's token and `allowedMethods`, or `Fully authenticated` with the
/// tokens.
#[utoipa::path(post, path = "/{namespace}/userAccount/authenticate", tag = "userAccount (seed)",
    request_body = Authenticate,
    security(("session_token" = [])),
    responses(
        (status = 200, description = "`Fully authenticated` with the tokens, or the next step (its token in `x-session-token`).", body = Authenticated,
            headers(("x-session-token" = Option<String>, description = "The next step's token, when there is one."))),
        (status = 400, description = "`unsupported_method` (Google, SAML, …) or `validation_failed`.", body = ErrorBody),
        (status = 401, description = "`invalid_credentials`, or `unauthorized` without `x-session-token`.", body = ErrorBody),
        (status = 403, description = "`forbidden`: the address is not confirmed, or the account must act on the web first.", body = ErrorBody),
        (status = 429, description = "`locked_out` or `rate_limited`", body = ErrorBody),
    ))]
pub async fn authenticate(
    call: Call,
    ApiJson(body): ApiJson<Authenticate>,
) -> Result<Response, ApiError> {
    let api = call.api()?;
    call.limit(RateRule::SIGN_IN)?;
    let flow = call
        .headers
        .get(&SESSION_TOKEN)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::Unauthorized)?
        .to_owned();
    let field = |name: &str| {
        body.credentials
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ApiError::validation(format!("Give credentials.{name}.")))
    };
    let password;
    let code;
    let credential = match body.method.as_str() {
        "password" => {
            password = SecretString::from(field("password")?);
            Credential::Password(&password)
        }
        "otp" => {
            code = field("otp")?;
            Credential::EmailCode(&code)
        }
        "totp" => {
            code = field("code").or_else(|_| field("otp"))?;
            Credential::Totp(&code)
        }
        "recovery_code" => {
            code = field("code")?;
            Credential::RecoveryCode(&code)
        }
        "google" | "microsoft" | "azureAd" | "oauth" | "samlSso" => {
            return Err(ApiError::UnsupportedMethod)
        }
        _ => {
            return Err(ApiError::validation(
                "Unknown method: use one of allowedMethods.",
            ))
        }
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
        Step::Tokens(pair) => Ok(fully_authenticated(&pair)),
        Step::Next(next) => with_session_token(
            &next,
            NextStep {
                status: "success",
                next_step: 1,
                allowed_methods: seed_methods(&next),
            },
        ),
    }
}

/// `POST /{namespace}/userAccount/login/otp/generate` `{"email"}`: a 6-digit code mailed to an
/// enabled account (the answer is the same for every address).
#[utoipa::path(post, path = "/{namespace}/userAccount/login/otp/generate", tag = "userAccount (seed)",
    request_body = Email,
    responses(
        (status = 200, description = "Taken; the same for every address.", body = Message),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub async fn generate_otp(call: Call, ApiJson(body): ApiJson<Email>) -> Result<Response, ApiError> {
    let api = call.api()?;
    call.limit(RateRule::SEND_MAIL)?;
    api.request_email_code_for(&call.authn, &body.email).await?;
    Ok(Json(Message::new(
        "If the address has an account, a code is on its way.",
    ))
    .into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct ResetSignedIn {
    #[serde(alias = "currentPassword")]
    current_password: String,
    #[serde(alias = "newPassword")]
    new_password: String,
}

/// `POST /{namespace}/userAccount/password/reset` (access token) `{"currentPassword",
/// "newPassword"}`: a signed-in change; new tokens for this session.
#[utoipa::path(post, path = "/{namespace}/userAccount/password/reset", tag = "userAccount (seed)",
    request_body = ResetSignedIn,
    security(("access_token" = [])),
    responses(
        (status = 200, description = "Changed; new tokens for this session.", body = PasswordChanged),
        (status = 401, description = "`invalid_credentials` (the current password is wrong), or the access token's `unauthorized`, `invalid_token`, `token_expired`.", body = ErrorBody),
        (status = 403, description = "`forbidden`: an API key cannot, during an impersonation, or two-step verification must be set up first.", body = ErrorBody),
        (status = 429, description = "`locked_out`: too many wrong current passwords.", body = ErrorBody),
    ))]
pub async fn reset_password(
    call: Call,
    ApiJson(body): ApiJson<ResetSignedIn>,
) -> Result<Response, ApiError> {
    let pair =
        super::account_flows::change(&call, body.current_password, body.new_password).await?;
    Ok((
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(PasswordChanged {
            message: "Password changed",
            access_token: pair.access_token,
            refresh_token: pair.refresh_token.expose().to_owned(),
        }),
    )
        .into_response())
}

/// A signed-in password change done.
#[derive(Serialize, ToSchema)]
pub struct PasswordChanged {
    /// `Password changed`.
    message: &'static str,
    #[serde(rename = "accessToken")]
    access_token: String,
    #[serde(rename = "refreshToken")]
    refresh_token: String,
}

/// `POST /{namespace}/userAccount/password/forgot` `{"email"}`: always 200.
#[utoipa::path(post, path = "/{namespace}/userAccount/password/forgot", tag = "userAccount (seed)",
    request_body = Email,
    responses(
        (status = 200, description = "Taken; the same for every address, well-formed or not.", body = Message),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub async fn forgot_password(
    call: Call,
    ApiJson(body): ApiJson<Email>,
) -> Result<Response, ApiError> {
    call.limit(RateRule::SEND_MAIL)?;
    // A malformed address gets the same answer as any other.
    match call
        .state
        .flows
        .request_password_reset(&call.authn, &body.email)
        .await
    {
        Ok(()) | Err(identity::FlowError::InvalidEmail(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Json(Message::new(
        "If the address has an account, a reset link is on its way.",
    ))
    .into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct NewPasswordBody {
    password: String,
}

/// `POST /{namespace}/userAccount/password/reset/token` (the mailed token as the bearer
/// credential) `{"password"}`: every session, refresh token and API key of the account ends.
#[utoipa::path(post, path = "/{namespace}/userAccount/password/reset/token", tag = "userAccount (seed)",
    request_body = NewPasswordBody,
    security(("reset_token" = [])),
    responses(
        (status = 200, description = "Reset; every session, refresh token and API key of the account was revoked.", body = Message),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub async fn reset_password_with_token(
    call: Call,
    ApiJson(body): ApiJson<NewPasswordBody>,
) -> Result<Response, ApiError> {
    call.limit(RateRule::USE_TOKEN)?;
    let token = bearer(&call.headers).ok_or(ApiError::Unauthorized)?;
    let password = SecretString::from(body.password);
    call.state
        .flows
        .reset_password(
            &call.authn,
            token,
            NewPassword {
                password: &password,
                confirm: &password,
            },
        )
        .await?;
    Ok(Json(Message::new(
        "Password reset. Sign in with the new password.",
    ))
    .into_response())
}

/// `POST /{namespace}/userAccount/refresh/token` (the refresh token as the bearer credential):
/// a new pair; the presented token is used up.
#[utoipa::path(post, path = "/{namespace}/userAccount/refresh/token", tag = "userAccount (seed)",
    security(("refresh_token" = [])),
    responses(
        (status = 200, description = "A new pair; the presented refresh token is used up.", body = FullyAuthenticated),
        (status = 401, description = "`unauthorized`, `invalid_token`, or `token_reused`: it was used before, so its session was signed out.", body = ErrorBody),
        (status = 403, description = "`forbidden`: two-step verification must be set up on the web first.", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub async fn refresh(call: Call) -> Result<Response, ApiError> {
    let api = call.api()?;
    call.limit(RateRule::USE_TOKEN)?;
    let presented = bearer(&call.headers).ok_or(ApiError::Unauthorized)?;
    let pair = api.refresh(&call.authn, presented).await?;
    Ok(fully_authenticated(&pair))
}

/// `POST /{namespace}/userAccount/logout/manual` (the access token): this session ends.
#[utoipa::path(post, path = "/{namespace}/userAccount/logout/manual", tag = "userAccount (seed)",
    security(("access_token" = [])),
    responses(
        (status = 200, description = "Signed out.", body = Message),
        (status = 403, description = "`forbidden`: an API key cannot sign out.", body = ErrorBody),
    ))]
pub async fn logout(call: Call) -> Result<Response, ApiError> {
    let api = call.api()?;
    let caller = call.caller_any().await?;
    api.sign_out(&caller, false).await?;
    Ok(Json(Message::new("Logged out")).into_response())
}
