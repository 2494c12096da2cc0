//! Who is calling. Every server function that acts for a signed-in person starts with
//! [`ssr::signed_in`]: the session cookie resolved through the core to a user of the URL's
//! namespace, with their roles and any impersonation, and refused when absent. Role checks
//! (`require_admin`, `require_operator`) run here, on the server, on every call.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// What pages know about the signed-in person (the shell's navigation and banner).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub email: String,
    pub namespace: String,
    pub admin: bool,
    pub operator: bool,
    pub email_verified: bool,
    pub impersonation: Option<Impersonation>,
    /// Two-step verification the person owes before going on (see [`MfaDue`]).
    pub mfa_due: Option<MfaDue>,
}

/// Why someone is sent to set up two-step verification first; the two-step page says which.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MfaDue {
    /// An admin or operator, before the console (their namespace asks for it).
    Console,
    /// Anyone, before anything else (their namespace requires it of every account).
    Account,
}

impl MfaDue {
    const QUERY: &'static str = "for";

    /// The two-step page of `namespace`, telling it why the person was sent there.
    pub fn path(self, namespace: &str) -> String {
        let why = match self {
            MfaDue::Console => "console",
            MfaDue::Account => "account",
        };
        vocabulary::Page::Mfa.path_with(namespace, &[(Self::QUERY, why)])
    }

    /// Why the two-step page was opened, from its query.
    pub fn from_query(query: &leptos_router::params::ParamsMap) -> Option<MfaDue> {
        match query.get(Self::QUERY).as_deref() {
            Some("console") => Some(MfaDue::Console),
            Some("account") => Some(MfaDue::Account),
            _ => None,
        }
    }
}

/// Shown in the banner while a session is an impersonation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Impersonation {
    pub impersonator_email: Option<String>,
    pub reason: Option<String>,
    /// The support ticket, when a platform operator has the access (not an admin).
    pub ticket: Option<String>,
    /// When it ends by itself (Unix seconds), for the banner's countdown.
    pub expires_at: Option<i64>,
}

/// The signed-in person of `namespace`, or `None`.
#[server]
pub async fn current_viewer(namespace: String) -> Result<Option<Viewer>, AppError> {
    let state = crate::state::AppState::current()?;
    let Some(caller) = ssr::resolve(&state, &namespace).await? else {
        return Ok(None);
    };
    let authn = caller.authn.clone();
    let mut impersonation = caller.impersonation_view();
    if let Some(imp) = impersonation
        .as_mut()
        .filter(|imp| imp.expires_at.is_none())
    {
        imp.expires_at = identity::admin::impersonation::expiry_of(&authn, caller.session_id)
            .await?
            .map(|t| t.timestamp());
    }
    Ok(Some(Viewer {
        email: caller.email.clone(),
        namespace,
        admin: caller.roles.admin,
        operator: caller.roles.operator,
        email_verified: caller.email_verified,
        impersonation,
        mfa_due: caller.mfa_due.map(|due| match due {
            identity::roles::MfaDue::Console => MfaDue::Console,
            identity::roles::MfaDue::Account => MfaDue::Account,
        }),
    }))
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::Impersonation;
    use crate::error::AppError;
    use crate::state::AppState;

    /// A resolved caller: identity's [`identity::caller::Principal`], whose methods are the
    /// role gates (their refusals become [`AppError`]s with `?`), plus the one check that needs
    /// the app's state.
    #[derive(Clone, Debug)]
    pub struct Caller(pub identity::caller::Principal);

    impl std::ops::Deref for Caller {
        type Target = identity::caller::Principal;

        fn deref(&self) -> &Self::Target {
            &self.0
        }
    }

    impl Caller {
        /// Sudo mode for sensitive changes, with the deployment's window.
        pub async fn require_recent_authentication(
            &self,
            state: &AppState,
        ) -> Result<(), AppError> {
            Ok(self
                .0
                .require_recent_authentication(state.sudo_window)
                .await?)
        }

        /// The banner's view of the impersonation, if the session is one.
        pub fn impersonation_view(&self) -> Option<Impersonation> {
            self.0.impersonation.as_ref().map(|i| Impersonation {
                impersonator_email: i.email.clone(),
                reason: i.reason.clone(),
                ticket: i.support.as_ref().and_then(|s| s.ticket.clone()),
                // A support access's end comes with the caller; an admin's is asked for.
                expires_at: i.support.as_ref().map(|s| s.ends_at.timestamp()),
            })
        }
    }

    /// The callers one request has resolved, by namespace. A page asks several times (the
    /// shell's navigation and each of the page's resources); the session is validated, its
    /// activity recorded and the roles read once per request. Provided fresh for each request
    /// by the server; without it every call resolves anew.
    #[derive(Clone, Default)]
    pub struct CallerCache(std::sync::Arc<std::sync::Mutex<Vec<Resolved>>>);

    /// A namespace and who (if anyone) the request's session is there.
    type Resolved = (String, Option<Caller>);

    impl CallerCache {
        fn get(&self, namespace: &str) -> Option<Option<Caller>> {
            let seen = self.0.lock().ok()?;
            seen.iter()
                .find(|(ns, _)| ns == namespace)
                .map(|(_, caller)| caller.clone())
        }

        fn put(&self, namespace: &str, caller: &Option<Caller>) {
            if let Ok(mut seen) = self.0.lock() {
                seen.push((namespace.to_owned(), caller.clone()));
            }
        }
    }

    /// The caller of `namespace` from the session cookie, if it holds a live session there.
    pub async fn resolve(state: &AppState, namespace: &str) -> Result<Option<Caller>, AppError> {
        let cache = leptos::prelude::use_context::<CallerCache>();
        if let Some(known) = cache.as_ref().and_then(|c| c.get(namespace)) {
            return Ok(known);
        }
        let caller = resolve_uncached(state, namespace)
            .await
            .inspect_err(mark_page_failed)?;
        if let Some(cache) = cache {
            cache.put(namespace, &caller);
        }
        Ok(caller)
    }

    /// A page shows a failed lookup in place; its status must still say it failed, so that
    /// the outage gate can answer 503 when the database is why (a page requested in the
    /// second before the prober notices would otherwise be a 200 that looks signed out).
    fn mark_page_failed(e: &AppError) {
        if matches!(e, AppError::Internal) {
            if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(http::StatusCode::INTERNAL_SERVER_ERROR);
            }
        }
    }

    async fn resolve_uncached(
        state: &AppState,
        namespace: &str,
    ) -> Result<Option<Caller>, AppError> {
        let Some(token) = crate::session::ssr::session_token(&state.cookie).await else {
            return Ok(None);
        };
        // Everything the core audits during the request names it and its origin.
        let request = crate::session::ssr::RequestInfo::extract().await;
        let authn = state.authn(namespace).await?.with_actor(authn::Actor {
            request_id: request.request_id,
            ip_address: request.ip,
            user_agent: request.user_agent,
            ..authn::Actor::default()
        });
        Ok(state
            .callers
            .resolve(authn, &state.pool, &token)
            .await?
            .map(Caller))
    }

    /// The caller, or `NotSignedIn`; refused (`TwoStepRequired`) while their namespace
    /// requires two-step verification they have not set up.
    pub async fn signed_in(state: &AppState, namespace: &str) -> Result<Caller, AppError> {
        let caller = signed_in_to_enrol(state, namespace).await?;
        caller.require_account_ready()?;
        Ok(caller)
    }

    /// The caller, or `NotSignedIn`, whatever they owe: for setting up a second factor (and
    /// the sudo confirmation that asks for) only.
    pub async fn signed_in_to_enrol(state: &AppState, namespace: &str) -> Result<Caller, AppError> {
        resolve(state, namespace)
            .await?
            .ok_or(AppError::NotSignedIn)
    }
}
