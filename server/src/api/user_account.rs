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
use identity::api_sessions::{Credential, Flow, Step, TokenPair};
use identity::flows::NewPassword;
use identity::RateRule;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{json, Value};

use super::call::Call;
use super::{bearer, ApiError, ApiJson, SESSION_TOKEN};

/// The seed's names for the methods of a step.
fn seed_methods(flow: &Flow) -> Vec<&'static str> {
    flow.allowed_methods
        .iter()
        .map(|m| match m.as_str() {
            "email_code" => "otp",
            other => other,
        })
        .collect()
}

fn with_session_token(flow: &Flow, body: Value) -> Result<Response, ApiError> {
    let mut response = Json(body).into_response();
    let value = HeaderValue::from_str(&flow.id).map_err(|_| ApiError::Internal)?;
    response.headers_mut().insert(SESSION_TOKEN, value);
    Ok(response)
}

fn fully_authenticated(pair: &TokenPair) -> Response {
    (
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "message": "Fully authenticated",
            "accessToken": pair.access_token,
            "refreshToken": pair.refresh_token.expose(),
            "user": { "id": pair.user_id, "roles": pair.roles },
        })),
    )
        .into_response()
}

#[derive(Deserialize)]
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

/// `POST /{namespace}/userAccount/initAuth` `{"email"}`: the flow's token in `x-session-token`
/// and the first step's `allowedMethods`; the same for every address.
pub async fn init_auth(call: Call, ApiJson(body): ApiJson<Email>) -> Result<Response, ApiError> {
    let api = call.api()?;
    call.limit(RateRule::SIGN_IN)?;
    let flow = api.start(call.authn.namespace(), &body.email, Utc::now());
    with_session_token(
        &flow,
        json!({
            "status": "success",
            "message": "Authentication initialized",
            "allowedMethods": seed_methods(&flow),
            "currentStep": 0,
        }),
    )
}

#[derive(Deserialize)]
pub struct Authenticate {
    method: String,
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

/// `POST /{namespace}/userAccount/authenticate` (`x-session-token`) `{"method", "credentials"}`:
/// one step; the next step's token and `allowedMethods`, or `Fully authenticated` with the
/// tokens.
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
            json!({
                "status": "success",
                "nextStep": 1,
                "allowedMethods": seed_methods(&next),
            }),
        ),
    }
}

/// `POST /{namespace}/userAccount/login/otp/generate` `{"email"}`: a 6-digit code mailed to an
/// enabled account (the answer is the same for every address).
pub async fn generate_otp(call: Call, ApiJson(body): ApiJson<Email>) -> Result<Response, ApiError> {
    let api = call.api()?;
    call.limit(RateRule::SEND_MAIL)?;
    api.request_email_code_for(&call.authn, &body.email).await?;
    Ok(
        Json(json!({ "message": "If the address has an account, a code is on its way." }))
            .into_response(),
    )
}

#[derive(Deserialize)]
pub struct ResetSignedIn {
    #[serde(alias = "currentPassword")]
    current_password: String,
    #[serde(alias = "newPassword")]
    new_password: String,
}

/// `POST /{namespace}/userAccount/password/reset` (access token) `{"currentPassword",
/// "newPassword"}`: a signed-in change; new tokens for this session.
pub async fn reset_password(
    call: Call,
    ApiJson(body): ApiJson<ResetSignedIn>,
) -> Result<Response, ApiError> {
    let pair =
        super::account_flows::change(&call, body.current_password, body.new_password).await?;
    Ok((
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "message": "Password changed",
            "accessToken": pair.access_token,
            "refreshToken": pair.refresh_token.expose(),
        })),
    )
        .into_response())
}

/// `POST /{namespace}/userAccount/password/forgot` `{"email"}`: always 200.
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
    Ok(
        Json(json!({ "message": "If the address has an account, a reset link is on its way." }))
            .into_response(),
    )
}

#[derive(Deserialize)]
pub struct NewPasswordBody {
    password: String,
}

/// `POST /{namespace}/userAccount/password/reset/token` (the mailed token as the bearer
/// credential) `{"password"}`: every session, refresh token and API key of the account ends.
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
    Ok(
        Json(json!({ "message": "Password reset. Sign in with the new password." }))
            .into_response(),
    )
}

/// `POST /{namespace}/userAccount/refresh/token` (the refresh token as the bearer credential):
/// a new pair; the presented token is used up.
pub async fn refresh(call: Call) -> Result<Response, ApiError> {
    let api = call.api()?;
    call.limit(RateRule::USE_TOKEN)?;
    let presented = bearer(&call.headers).ok_or(ApiError::Unauthorized)?;
    let pair = api.refresh(&call.authn, presented).await?;
    Ok(fully_authenticated(&pair))
}

/// `POST /{namespace}/userAccount/logout/manual` (the access token): this session ends.
pub async fn logout(call: Call) -> Result<Response, ApiError> {
    let api = call.api()?;
    let caller = call.caller_any().await?;
    api.sign_out(&caller, false).await?;
    Ok(Json(json!({ "message": "Logged out" })).into_response())
}
