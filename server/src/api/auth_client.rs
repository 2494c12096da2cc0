//! The HTTP interface of the seed's auth client (`../shared/seeds/http-auth-client.md`) under
//! `/{namespace}/auth/…`, over the same services as the native API, so a client written
//! against it works unchanged: `login`, `register` (without a password: a magic link),
//! `logout` (`{"all": …}`), `GET token/refresh?refresh_token=…` and `change-password`, with its
//! field names (`jwt_token`, `refresh_token`; errors as `error`, `message`, `statusCode`).

use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use identity::api_sessions::{Credential, Step, TokenPair};
use identity::flows::NewPassword;
use identity::RateRule;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::call::Call;
use super::error::ErrorCode;
use super::{ApiError, ApiJson};

/// A JSON body refused in the seed's error form.
pub struct SeedJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for SeedJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = SeedError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, SeedError> {
        ApiJson::<T>::from_request(req, state)
            .await
            .map(|ApiJson(value)| SeedJson(value))
            .map_err(SeedError)
    }
}

/// The seed's error body: `{"error", "message", "statusCode"}` with the same status.
pub struct SeedError(pub ApiError);

/// The error body of the seed auth client's interface.
#[derive(Serialize, ToSchema)]
pub struct SeedErrorBody<'a> {
    error: ErrorCode,
    message: &'a str,
    #[serde(rename = "statusCode")]
    status_code: u16,
}

impl From<ApiError> for SeedError {
    fn from(e: ApiError) -> Self {
        SeedError(e)
    }
}

impl IntoResponse for SeedError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let mut response = (
            status,
            Json(SeedErrorBody {
                error: self.0.code(),
                message: self.0.message(),
                status_code: status.as_u16(),
            }),
        )
            .into_response();
        self.0.add_headers(&mut response);
        response
    }
}

pub type Answer = Result<Response, SeedError>;

pub fn err(e: impl Into<ApiError>) -> SeedError {
    SeedError(e.into())
}

/// The seed client's token pair.
#[derive(Serialize, ToSchema)]
pub struct SeedTokens {
    /// The access token (a JWT).
    jwt_token: String,
    /// Seconds until it expires.
    jwt_expires_in: i64,
    refresh_token: String,
    user_id: Uuid,
}

fn tokens(pair: &TokenPair) -> Response {
    (
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(SeedTokens {
            jwt_token: pair.access_token.clone(),
            jwt_expires_in: (pair.access_expires_at - Utc::now()).num_seconds().max(0),
            refresh_token: pair.refresh_token.expose().to_owned(),
            user_id: pair.user_id,
        }),
    )
        .into_response()
}

#[derive(Deserialize, ToSchema)]
pub struct Login {
    email: String,
    password: String,
    /// The seed's client sends it; tokens are always in the body here.
    #[serde(default)]
    #[allow(dead_code)]
    cookie: bool,
}

/// `POST /{namespace}/auth/login` `{"email", "password", "cookie"}`: one step. An account with
/// two-step verification is told to use the native flow (`mfa_required`).
#[utoipa::path(post, path = "/{namespace}/auth/login", tag = "auth (seed)",
    request_body = Login,
    responses(
        (status = 200, description = "Signed in.", body = SeedTokens),
        (status = 401, description = "`invalid_credentials`", body = SeedErrorBody),
        (status = 403, description = "`mfa_required` (use the native flow), or `forbidden`: the address is not confirmed or the account must act on the web first.", body = SeedErrorBody),
        (status = 429, description = "`locked_out` or `rate_limited`", body = SeedErrorBody),
    ))]
pub async fn login(call: Result<Call, ApiError>, SeedJson(body): SeedJson<Login>) -> Answer {
    // Even an unknown namespace is answered in the seed's error form.
    let call = call.map_err(err)?;
    let api = call.api().map_err(err)?;
    call.limit(RateRule::SIGN_IN).map_err(err)?;
    let flow = api.start(call.authn.namespace(), &body.email, Utc::now());
    let password = SecretString::from(body.password);
    match api
        .step(
            &call.authn,
            &call.state.security,
            &flow.id,
            Credential::Password(&password),
            call.client.info(),
            Utc::now(),
        )
        .await
        .map_err(err)?
    {
        Step::Tokens(pair) => Ok(tokens(&pair)),
        Step::Next(_) => Err(err(ApiError::MfaRequired)),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct Register {
    email: String,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    cookie: bool,
}

/// `POST /{namespace}/auth/register` `{"email", "password"?}`: with a password, a sign-up whose
/// address must be confirmed from the mail before signing in (no tokens yet); without one, a
/// magic link. 202 whatever the address.
#[utoipa::path(post, path = "/{namespace}/auth/register", tag = "auth (seed)",
    request_body = Register,
    responses(
        (status = 202, description = "Taken; the same whether or not the address has an account.", body = SeedRegistered),
        (status = 403, description = "`forbidden`: sign-up is by invitation here.", body = SeedErrorBody),
        (status = 429, description = "`rate_limited`", body = SeedErrorBody),
    ))]
pub async fn register(call: Result<Call, ApiError>, SeedJson(body): SeedJson<Register>) -> Answer {
    // Even an unknown namespace is answered in the seed's error form.
    let call = call.map_err(err)?;
    let api = call.api().map_err(err)?;
    call.limit(RateRule::SEND_MAIL).map_err(err)?;
    let (magic_link, message) = match body.password {
        Some(password) => {
            let password = SecretString::from(password);
            call.state
                .flows
                .sign_up(
                    &call.authn,
                    &body.email,
                    NewPassword {
                        password: &password,
                        confirm: &password,
                    },
                )
                .await
                .map_err(err)?;
            (
                false,
                "Confirm the address from the mail we sent, then log in.",
            )
        }
        None => {
            api.request_magic_link(&call.authn, &body.email)
                .await
                .map_err(err)?;
            (
                true,
                "If the address has an account, a sign-in link is on its way.",
            )
        }
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(SeedRegistered {
            jwt_token: None,
            refresh_token: None,
            magic_link,
            message,
            status_code: StatusCode::ACCEPTED.as_u16(),
        }),
    )
        .into_response())
}

/// A registration taken: no tokens until the address is confirmed (or the link used).
#[derive(Serialize, ToSchema)]
pub struct SeedRegistered {
    /// Always `null`.
    jwt_token: Option<String>,
    /// Always `null`.
    refresh_token: Option<String>,
    /// Whether a sign-in link was mailed (no password given).
    #[serde(rename = "magicLink")]
    magic_link: bool,
    message: &'static str,
    #[serde(rename = "statusCode")]
    status_code: u16,
}

#[derive(Deserialize)]
pub struct RefreshQuery {
    #[serde(default)]
    refresh_token: Option<String>,
}

/// `GET /{namespace}/auth/token/refresh?refresh_token=…` (or the token as the bearer
/// credential): a new pair; the presented token is used up (presenting it again signs its
/// session out: `token_reused`).
#[utoipa::path(get, path = "/{namespace}/auth/token/refresh", tag = "auth (seed)",
    params(("refresh_token" = Option<String>, Query, description = "The refresh token (or send it as the bearer credential, which keeps it out of access logs).")),
    security((), ("refresh_token" = [])),
    responses(
        (status = 200, description = "A new pair; the presented refresh token is used up.", body = SeedTokens),
        (status = 400, description = "`validation_failed`: the query string is malformed.", body = SeedErrorBody),
        (status = 401, description = "`invalid_token`, or `token_reused`: it was used before, so its session was signed out.", body = SeedErrorBody),
        (status = 403, description = "`forbidden`: two-step verification must be set up on the web first.", body = SeedErrorBody),
        (status = 429, description = "`rate_limited`", body = SeedErrorBody),
    ))]
pub async fn refresh(
    call: Result<Call, ApiError>,
    query: Result<Query<RefreshQuery>, QueryRejection>,
) -> Answer {
    // Even an unknown namespace is answered in the seed's error form.
    let call = call.map_err(err)?;
    let Query(query) =
        query.map_err(|_| err(ApiError::validation("The query string is malformed.")))?;
    let api = call.api().map_err(err)?;
    call.limit(RateRule::USE_TOKEN).map_err(err)?;
    // The seed's client puts it in the query string, where proxies and access logs may keep
    // it; a client that can should send it as the bearer credential instead.
    let presented = query
        .refresh_token
        .or_else(|| super::bearer(&call.headers).map(str::to_owned))
        .unwrap_or_default();
    let pair = api.refresh(&call.authn, &presented).await.map_err(err)?;
    Ok(tokens(&pair))
}

#[derive(Deserialize, Default, ToSchema)]
pub struct Logout {
    /// Every session of the account (the default), or only this one.
    #[serde(default)]
    all: bool,
}

/// `POST /{namespace}/auth/logout` (access token as bearer) `{"all": true}`: every session of
/// the account, or with `false` this one.
#[utoipa::path(post, path = "/{namespace}/auth/logout", tag = "auth (seed)",
    request_body(content = Option<Logout>, description = "Optional; without it, every session."),
    security(("access_token" = [])),
    responses(
        (status = 204, description = "Signed out."),
        (status = 400, description = "`validation_failed`: the body is not `{\"all\": true|false}`.", body = SeedErrorBody),
        (status = 403, description = "`forbidden`: an API key cannot sign out.", body = SeedErrorBody),
    ))]
pub async fn logout(call: Result<Call, ApiError>, body: axum::body::Bytes) -> Answer {
    // Even an unknown namespace is answered in the seed's error form.
    let call = call.map_err(err)?;
    let api = call.api().map_err(err)?;
    let caller = call.caller_any().await.map_err(err)?;
    let all = if body.iter().all(u8::is_ascii_whitespace) {
        // The seed's default.
        true
    } else {
        super::json_object::<Logout>(&body)
            .ok_or_else(|| {
                err(ApiError::validation(
                    "The body is not {\"all\": true|false}.",
                ))
            })?
            .all
    };
    api.sign_out(&caller, all).await.map_err(err)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct ChangePassword {
    old_password: String,
    new_password: String,
}

/// `POST /{namespace}/auth/change-password` `{"old_password", "new_password"}`: other sessions
/// and every refresh token end; new tokens for this session.
#[utoipa::path(post, path = "/{namespace}/auth/change-password", tag = "auth (seed)",
    request_body = ChangePassword,
    security(("access_token" = [])),
    responses(
        (status = 200, description = "Changed; new tokens for this session.", body = SeedTokens),
        (status = 401, description = "`invalid_credentials` (the old password is wrong), or the access token's `unauthorized`, `invalid_token`, `token_expired`.", body = SeedErrorBody),
        (status = 403, description = "`forbidden`: an API key cannot, during an impersonation, or two-step verification must be set up first.", body = SeedErrorBody),
        (status = 429, description = "`locked_out`: too many wrong old passwords.", body = SeedErrorBody),
    ))]
pub async fn change_password(
    call: Result<Call, ApiError>,
    SeedJson(body): SeedJson<ChangePassword>,
) -> Answer {
    // Even an unknown namespace is answered in the seed's error form.
    let call = call.map_err(err)?;
    let pair = super::account_flows::change(&call, body.old_password, body.new_password)
        .await
        .map_err(err)?;
    Ok(tokens(&pair))
}
