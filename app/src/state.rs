//! What server functions get from the server: the database pool, the identity services and
//! cookie settings, provided as context on every request.

use authn::Authn;
use identity::{
    AccountFlows, RateLimiter, RateRule, SecuritySettings, SessionKeeper, SignInService,
};
use sqlx::PgPool;

use crate::error::AppError;

/// How the session cookie is written.
#[derive(Clone, Debug)]
pub struct CookieSettings {
    /// `__Host-gatehouse_session` under https, `gatehouse_session` in local development.
    pub name: String,
    /// The cookie holding a pending sign-in between the first and the second factor.
    pub pending_name: String,
    /// Holds an admin's own session token while they impersonate someone.
    pub aside_name: String,
    /// Where to go once a sign-in that needs more steps (second factor, new password) is
    /// done: a same-namespace path, checked again when read.
    pub return_name: String,
    /// What a person typed into a form that failed while posted without JavaScript, for the
    /// one page view that shows the error (`form_errors::ssr`).
    pub form_name: String,
    /// Whether to mark it `Secure` (true whenever the public URL is https).
    pub secure: bool,
}

#[derive(Clone, Debug)]
pub struct AppState {
    /// The tenant pool: the application's login role, under row-level security.
    pub pool: PgPool,
    /// The operator pool: a login role granted only `authn_operator`, the one connection that
    /// may run the core's operator functions. `None` when not configured (support access off).
    pub operator_pool: Option<PgPool>,
    pub sign_in: SignInService,
    pub flows: AccountFlows,
    /// Authenticator app, recovery codes, API keys.
    pub security: SecuritySettings,
    /// Where mail links point.
    pub links: identity::mail::Links,
    /// The deployment's key: seals MFA secrets and outgoing mail bodies.
    pub keys: identity::SecretBox,
    /// How long admins may impersonate.
    pub impersonation: identity::admin::impersonation::ImpersonationLimits,
    /// What a platform operator's support access needs: the ticket's form, its longest time.
    pub support: identity::support_access::SupportPolicy,
    /// How recent an authentication sensitive changes need (sudo mode).
    pub sudo_window: chrono::TimeDelta,
    /// Slides sessions' idle expiry on activity.
    pub sessions: SessionKeeper,
    /// Resolves a request's caller (identity's one service for it).
    pub callers: identity::caller::Callers,
    pub limits: RateLimiter,
    pub cookie: CookieSettings,
    /// Users of this namespace can be platform operators.
    pub operator_namespace: String,
    /// The JSON API's sign-in and tokens; `None` without a token signing key.
    pub api: Option<std::sync::Arc<identity::api_sessions::ApiSessions>>,
    /// Developer conveniences (the mailbox page); never in production.
    pub dev_mode: bool,
}

impl AppState {
    /// The request's state (server functions run inside a request with it provided).
    pub fn current() -> Result<AppState, AppError> {
        leptos::prelude::use_context::<AppState>().ok_or_else(|| {
            tracing::error!("AppState missing from the request context");
            AppError::Internal
        })
    }

    /// Counts a request of `client` against `rule`; refuses it when over the limit. A request
    /// without a known peer address (never the case behind `serve`) is not limited.
    pub fn limit(&self, rule: RateRule, client: Option<std::net::IpAddr>) -> Result<(), AppError> {
        match client {
            Some(ip) => self.limits.check(rule, ip).map_err(|wait| {
                tracing::warn!(rule = rule.name, %ip, "rate limit reached");
                AppError::RateLimited {
                    // Rounded up: a client that waits this long is let through.
                    seconds: Some(((wait.num_milliseconds() + 999) / 1000).max(1)),
                }
            }),
            None => Ok(()),
        }
    }

    /// A core client for `namespace`, refusing an invalid namespace name.
    pub async fn authn(&self, namespace: &str) -> Result<Authn, AppError> {
        match Authn::new(self.pool.clone(), namespace).await {
            Ok(authn) => Ok(authn),
            Err(e) if e.is_client_error() => Err(AppError::UnknownNamespace),
            Err(e) => Err(e.into()),
        }
    }

    /// What starting a support access needs from the deployment (`ops`: an operator-pool
    /// client; `tenants`: any tenant-pool client).
    pub fn start_context<'a>(
        &'a self,
        ops: &'a Authn,
        tenants: &'a Authn,
    ) -> identity::support_access::StartContext<'a> {
        identity::support_access::StartContext {
            operator_pool_client: ops,
            tenants,
            links: &self.links,
            keys: &self.keys,
            session_absolute: self.sessions.policy().absolute,
        }
    }
}
