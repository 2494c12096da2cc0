//! What every handler of the API starts from, extracted once: the deployment's state, the
//! request's client (address, user agent, request id, as the server's first layer decided
//! them), a core client of the path's namespace acting for this request, and the headers (for
//! the bearer credential). The gates are methods here; the rules behind them are identity's.

use std::collections::HashMap;
use std::net::IpAddr;

use app::client_address::ClientAddress;
use app::state::AppState;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use identity::api_sessions::ApiSessions;
use identity::caller::{BearerRefusal, KeyHolder, Principal};
use identity::RateRule;

use super::{bearer, ApiError};

/// The request's client.
pub struct Client {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl Client {
    fn of(ip: Option<IpAddr>, headers: &HeaderMap) -> Client {
        let header = |name: &str, max: usize| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(max).collect::<String>())
        };
        Client {
            ip,
            user_agent: header(header::USER_AGENT.as_str(), 512),
            request_id: header("x-request-id", 64),
        }
    }

    pub fn info(&self) -> identity::ClientInfo<'_> {
        identity::ClientInfo {
            ip_address: self.ip,
            user_agent: self.user_agent.as_deref(),
        }
    }
}

/// Who may read the account: a signed-in session (an access token) or a personal API key.
pub enum Reader {
    Session(Principal),
    Key(KeyHolder),
}

impl Reader {
    pub fn authn(&self) -> &authn::Authn {
        match self {
            Reader::Session(p) => &p.authn,
            Reader::Key(k) => &k.authn,
        }
    }

    pub fn user_id(&self) -> uuid::Uuid {
        match self {
            Reader::Session(p) => p.user_id,
            Reader::Key(k) => k.user_id,
        }
    }
}

/// One API request under `/{namespace}/…`.
pub struct Call {
    pub state: AppState,
    pub client: Client,
    /// A core client of the path's namespace, acting for this request.
    pub authn: authn::Authn,
    pub headers: HeaderMap,
}

impl FromRequestParts<AppState> for Call {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Call, ApiError> {
        let unknown = || ApiError::NotFound("This organisation does not exist.");
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| unknown())?;
        let namespace = params.get("namespace").ok_or_else(unknown)?;
        let ip = parts
            .extensions
            .get::<ClientAddress>()
            .map(|ClientAddress(ip)| *ip);
        let client = Client::of(ip, &parts.headers);
        let authn = authn::Authn::new(state.pool.clone(), namespace)
            .await
            .map_err(|e| {
                if e.is_client_error() {
                    unknown()
                } else {
                    ApiError::from(e)
                }
            })?
            .with_actor(authn::Actor {
                request_id: client.request_id.clone(),
                ip_address: client.ip,
                user_agent: client.user_agent.clone(),
                ..authn::Actor::default()
            });
        Ok(Call {
            state: state.clone(),
            client,
            authn,
            headers: parts.headers.clone(),
        })
    }
}

impl Call {
    /// The API's sign-in and tokens, or `not_found` when this server has no signing key.
    pub fn api(&self) -> Result<&ApiSessions, ApiError> {
        self.state.api.as_deref().ok_or(ApiError::NotFound(
            "Token sign-in is not configured on this server.",
        ))
    }

    /// Counts the request against `rule` for its client, as the web's forms do.
    pub fn limit(&self, rule: RateRule) -> Result<(), ApiError> {
        match self.client.ip {
            Some(ip) => self
                .state
                .limits
                .check(rule, ip)
                .map_err(|wait| ApiError::RateLimited {
                    retry_after: u64::try_from(seconds_up(wait)).unwrap_or(1),
                }),
            None => Ok(()),
        }
    }

    /// The bearer credential, or `unauthorized`.
    pub fn bearer(&self) -> Result<&str, ApiError> {
        bearer(&self.headers).ok_or(ApiError::Unauthorized)
    }

    /// The caller behind the access token, through identity's one caller-resolution service
    /// (signature, expiry, the session's being live), refused while the namespace requires
    /// two-step verification the account does not have: everything but signing out.
    pub async fn caller(&self) -> Result<Principal, ApiError> {
        let principal = self.caller_any().await?;
        principal.require_account_ready()?;
        Ok(principal)
    }

    /// The caller behind an access token or, for routes that only read the account, a
    /// personal API key (`gh_…`) of this namespace.
    pub async fn reader(&self) -> Result<Reader, ApiError> {
        let token = self.bearer()?;
        if !token.starts_with(identity::api_keys::PREFIX) {
            return Ok(Reader::Session(self.caller().await?));
        }
        self.state
            .callers
            .resolve_api_key(self.authn.clone(), &self.state.pool, token)
            .await?
            .map(Reader::Key)
            .ok_or(ApiError::InvalidToken)
    }

    /// [`Call::caller`] without the two-step gate (for signing out).
    pub async fn caller_any(&self) -> Result<Principal, ApiError> {
        let token = self.bearer()?;
        if token.starts_with(identity::api_keys::PREFIX) {
            return Err(ApiError::Forbidden(
                "An API key only reads the account: sign in for an access token to do this.",
            ));
        }
        let api = self.api()?;
        match self
            .state
            .callers
            .resolve_access_token(self.authn.clone(), &self.state.pool, api.keys(), token)
            .await?
        {
            Ok(principal) => Ok(principal),
            Err(BearerRefusal::Expired) => Err(ApiError::TokenExpired),
            Err(BearerRefusal::Invalid) => Err(ApiError::InvalidToken),
        }
    }
}

/// A wait in whole seconds, rounded up (a client that waits this long is let through).
fn seconds_up(wait: chrono::TimeDelta) -> i64 {
    ((wait.num_milliseconds() + 999) / 1000).max(1)
}
