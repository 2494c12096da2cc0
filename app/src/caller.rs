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
    /// An admin or operator whose namespace asks for two-step verification they have not set
    /// up: the console sends them to set it up first.
    pub console_needs_mfa: bool,
    /// Someone whose namespace requires two-step verification of every account and who has
    /// not set it up: every page but that one sends them there.
    pub account_needs_mfa: bool,
}

/// Shown in the banner while a session is an impersonation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Impersonation {
    pub impersonator_email: Option<String>,
    pub reason: Option<String>,
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
    let mut impersonation = caller.impersonation.clone();
    if let Some(imp) = impersonation.as_mut() {
        imp.expires_at = identity::admin::impersonation::expiry_of(&authn, caller.session_id)
            .await?
            .map(|t| t.timestamp());
    }
    let verified = authn
        .get_user(caller.user_id)
        .await?
        .is_some_and(|u| u.email_verified_at.is_some());
    Ok(Some(Viewer {
        email: caller.email,
        namespace,
        admin: caller.roles.admin,
        operator: caller.roles.operator,
        email_verified: verified,
        impersonation,
        console_needs_mfa: caller.mfa_due == Some(identity::roles::MfaDue::Console),
        account_needs_mfa: caller.mfa_due == Some(identity::roles::MfaDue::Account),
    }))
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use authn::Authn;
    use identity::Roles;
    use uuid::Uuid;

    use super::Impersonation;
    use crate::error::AppError;
    use crate::state::AppState;

    /// A resolved caller. `authn` is bound to their namespace and carries the impersonation
    /// actor when there is one, so the core audits actions under both names.
    #[derive(Clone, Debug)]
    pub struct Caller {
        pub authn: Authn,
        pub user_id: Uuid,
        pub email: String,
        pub session_id: Uuid,
        pub roles: Roles,
        pub impersonation: Option<Impersonation>,
        /// See [`identity::roles::mfa_due`].
        pub mfa_due: Option<identity::roles::MfaDue>,
    }

    impl Caller {
        pub fn require_admin(&self) -> Result<(), AppError> {
            if !self.roles.admin {
                return Err(AppError::Forbidden);
            }
            self.require_console_mfa()
        }

        /// Admins and operators use the console only with two-step verification, where their
        /// namespace asks for it (the default).
        fn require_console_mfa(&self) -> Result<(), AppError> {
            if self.mfa_due.is_some() {
                Err(AppError::TwoStepRequiredForConsole)
            } else {
                Ok(())
            }
        }

        /// An impersonator may look at the account but not change how it signs in.
        pub fn refuse_while_impersonating(&self) -> Result<(), AppError> {
            if self.impersonation.is_some() {
                Err(AppError::ReadOnlyWhileImpersonating)
            } else {
                Ok(())
            }
        }

        /// Sudo mode for sensitive changes: the caller must have signed in or confirmed their
        /// password recently. Impersonators never pass (credentials are read-only to them).
        pub async fn require_recent_authentication(
            &self,
            state: &AppState,
        ) -> Result<(), AppError> {
            self.refuse_while_impersonating()?;
            let mut conn = state.pool.acquire().await.map_err(|e| {
                tracing::error!(error = %e, "no database connection");
                AppError::Internal
            })?;
            let recent = identity::reauth::is_recent(
                &mut conn,
                self.authn.namespace(),
                self.session_id,
                state.sudo_window,
            )
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "sudo check failed");
                AppError::Internal
            })?;
            if recent {
                Ok(())
            } else {
                Err(AppError::ReauthenticationRequired)
            }
        }

        /// Whose settings a change is about (for the notice mail).
        pub fn owner(&self) -> identity::Owner<'_> {
            identity::Owner {
                user_id: self.user_id,
                email: &self.email,
            }
        }

        /// The caller as an admin of the namespace: refused for anyone else, and for an
        /// impersonation session (it never carries the admin's rights). The client it returns
        /// records `reason`, when given, on every audit event of the action.
        pub fn as_admin(&self, reason: Option<&str>) -> Result<Authn, AppError> {
            self.require_admin()?;
            if self.impersonation.is_some() {
                return Err(AppError::Forbidden);
            }
            let mut authn = self.authn.clone();
            if let Some(reason) = reason {
                authn.set_actor(authn::Actor {
                    reason: Some(reason.to_owned()),
                    ..authn::Actor::default()
                });
            }
            Ok(authn)
        }

        pub fn require_operator(&self) -> Result<(), AppError> {
            if !self.roles.operator {
                return Err(AppError::Forbidden);
            }
            self.require_console_mfa()
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
        let caller = resolve_uncached(state, namespace).await?;
        if let Some(cache) = cache {
            cache.put(namespace, &caller);
        }
        Ok(caller)
    }

    async fn resolve_uncached(
        state: &AppState,
        namespace: &str,
    ) -> Result<Option<Caller>, AppError> {
        let Some(token) = crate::session::ssr::session_token(&state.cookie).await else {
            return Ok(None);
        };
        // Everything the core audits during the request names it, its origin and (below) who.
        let request = crate::session::ssr::RequestInfo::extract().await;
        let mut authn = state.authn(namespace).await?.with_actor(authn::Actor {
            request_id: request.request_id,
            ip_address: request.ip,
            user_agent: request.user_agent,
            ..authn::Actor::default()
        });
        let token_hash = identity::token::hash_token(&token);
        let Some(session) = authn.validate_session(&token_hash).await? else {
            return Ok(None);
        };
        if let Err(e) = state
            .sessions
            .touch(&authn, session.user_id, session.session_id, &token_hash)
            .await
        {
            // The request can go on; the session just ends at its previous expiry.
            tracing::warn!(error = %e.message(), "session activity not recorded");
        }
        // An impersonated session acts with the target's own rights, never the admin roles of
        // the target (an admin impersonating an admin must not gain the console through it), so
        // its roles are not even looked up.
        let roles = if session.is_impersonating {
            Roles::default()
        } else {
            // (During an impersonation the core's client made the admin the actor already.)
            authn.set_actor(authn::Actor::id(format!("user:{}", session.user_id)));
            let mut conn = state.pool.acquire().await.map_err(|e| {
                tracing::error!(error = %e, "no database connection");
                AppError::Internal
            })?;
            identity::roles::roles_of(
                &mut conn,
                session.user_id,
                namespace,
                &state.operator_namespace,
            )
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "roles lookup failed");
                AppError::Internal
            })?
        };
        let mfa_due = identity::roles::mfa_due(&authn, session.user_id, &roles)
            .await
            .map_err(|e| {
                tracing::error!(error = %e.message(), "two-step check failed");
                AppError::Internal
            })?;
        Ok(Some(Caller {
            authn,
            user_id: session.user_id,
            email: session.email,
            session_id: session.session_id,
            roles,
            mfa_due,
            impersonation: session.is_impersonating.then_some(Impersonation {
                impersonator_email: session.impersonator_email,
                reason: session.impersonation_reason,
                expires_at: None,
            }),
        }))
    }

    /// The caller, or `NotSignedIn`; refused (`TwoStepRequired`) while their namespace
    /// requires two-step verification they have not set up.
    pub async fn signed_in(state: &AppState, namespace: &str) -> Result<Caller, AppError> {
        let caller = signed_in_to_enrol(state, namespace).await?;
        if caller.mfa_due == Some(identity::roles::MfaDue::Account) {
            return Err(AppError::TwoStepRequired);
        }
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
