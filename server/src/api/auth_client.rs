//! The HTTP interface of the seed's auth client (`../shared/seeds/http-auth-client.md`) under
//! `/{namespace}/auth/…`, over the same services as the native API, so a client written
//! against it works unchanged: `login`, `register` (without a password: a magic link),
//! `logout` (`{"all": …}`), `GET token/refresh?refresh_token=…` and `change-password`, with its
//! field names (`jwt_token`, `refresh_token`; errors as `error`, `message`, `statusCode`).

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use identity::api_sessions::{Credential, Step, TokenPair};
use identity::flows::NewPassword;
use identity::RateRule;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;

use super::call::Call;
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

impl From<ApiError> for SeedError {
    fn from(e: ApiError) -> Self {
        SeedError(e)
    }
}

impl IntoResponse for SeedError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        (
            status,
            [(axum::http::header::CACHE_CONTROL, "no-store")],
            Json(json!({
                "error": self.0.code(),
                "message": self.0.message(),
                "statusCode": status.as_u16(),
            })),
        )
            .into_response()
    }
}

pub type Answer = Result<Response, SeedError>;

pub fn err(e: impl Into<ApiError>) -> SeedError {
    SeedError(e.into())
}

fn tokens(pair: &TokenPair) -> Response {
    (
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "jwt_token": pair.access_token,
            "jwt_expires_in": (pair.access_expires_at - Utc::now()).num_seconds().max(0),
            "refresh_token": pair.refresh_token.expose(),
            "user_id": pair.user_id,
        })),
    )
        .into_response()
}

#[derive(Deserialize)]
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

#[derive(Deserialize)]
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
        Json(json!({
            "jwt_token": null,
            "refresh_token": null,
            "magicLink": magic_link,
            "message": message,
            "statusCode": 202,
        })),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct RefreshQuery {
    #[serde(default)]
    refresh_token: Option<String>,
}

/// `GET /{namespace}/auth/token/refresh?refresh_token=…` (or the token as the bearer
/// credential): a new pair; the presented token is used up (presenting it again signs its
/// session out: `token_reused`).
pub async fn refresh(call: Result<Call, ApiError>, Query(query): Query<RefreshQuery>) -> Answer {
    // Even an unknown namespace is answered in the seed's error form.
    let call = call.map_err(err)?;
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

#[derive(Deserialize, Default)]
pub struct Logout {
    #[serde(default)]
    all: bool,
}

/// `POST /{namespace}/auth/logout` (access token as bearer) `{"all": true}`: every session of
/// the account, or with `false` this one.
pub async fn logout(call: Result<Call, ApiError>, body: axum::body::Bytes) -> Answer {
    // Even an unknown namespace is answered in the seed's error form.
    let call = call.map_err(err)?;
    let api = call.api().map_err(err)?;
    let caller = call.caller_any().await.map_err(err)?;
    let all = if body.iter().all(u8::is_ascii_whitespace) {
        // The seed's default.
        true
    } else {
        serde_json::from_slice::<Logout>(&body)
            .map_err(|_| {
                err(ApiError::validation(
                    "The body is not {\"all\": true|false}.",
                ))
            })?
            .all
    };
    api.sign_out(&caller, all).await.map_err(err)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
pub struct ChangePassword {
    old_password: String,
    new_password: String,
}

/// `POST /{namespace}/auth/change-password` `{"old_password", "new_password"}`: other sessions
/// and every refresh token end; new tokens for this session.
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
