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
use identity::caller::{BearerRefusal, Principal};
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
            Some(ip) if !self.state.limits.allow(rule, ip) => Err(ApiError::RateLimited),
            _ => Ok(()),
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

    /// [`Call::caller`] without the two-step gate (for signing out).
    pub async fn caller_any(&self) -> Result<Principal, ApiError> {
        let api = self.api()?;
        let token = self.bearer()?;
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
