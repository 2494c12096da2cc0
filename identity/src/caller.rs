//! Who a request's caller is, and what they may do: the one place that turns a presented
//! session token into a [`Principal`]. Pages, server functions, the audit export and every later
//! surface ask [`Callers::resolve`]; none of them orders these steps itself. The principal's
//! methods (`require_admin`, `require_operator`, ...) are the only role gates.
//!
//! The steps, in order: hash the token; validate the session (absolute and idle lifetime are
//! the core's expiry), learn whether it is an operator's support access, and read the roles,
//! the namespace's two-step requirements and whether the address is confirmed, in one round
//! trip (`gatehouse.resolve_session`, migrations 23, 25-29); record activity (which slides the
//! idle expiry, at most every few minutes per session); ask the core for the caller's second
//! factors only when a requirement applies. An impersonation of either kind (an admin of the
//! namespace, or a platform operator with a ticket) never carries roles: acting as an admin
//! must not open the console.

use authn::{Actor, Authn};
use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::roles::{self, MfaDue, Roles};
use crate::security::Owner;
use crate::session_policy::SessionKeeper;

/// Why a principal may not do what it asked. Developer text only: the app words refusals.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("the caller lacks the role")]
    Forbidden,
    #[error("credentials are read-only during an impersonation")]
    ReadOnlyWhileImpersonating,
    #[error("the console needs the caller's two-step verification first")]
    ConsoleNeedsTwoStep,
    #[error("the namespace needs the caller's two-step verification first")]
    AccountNeedsTwoStep,
    #[error("a recent sign-in or confirmation is needed")]
    ReauthenticationRequired,
    #[error("internal error: {0}")]
    Internal(#[from] crate::Internal),
}

crate::internal::internal_from!(AccessError);

/// Who an impersonated session is really used by, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Impersonator {
    pub email: Option<String>,
    pub reason: Option<String>,
    /// Set when the session is a platform operator's support access from another namespace
    /// (the core's `start_operator_impersonation`), `None` for an admin of this namespace.
    pub support: Option<SupportAccess>,
}

/// The parts of an operator's support access that an admin impersonation does not have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupportAccess {
    pub operator_id: Uuid,
    /// The operator's own namespace (the platform's).
    pub namespace: String,
    pub ticket: Option<String>,
    pub ends_at: DateTime<Utc>,
}

/// A resolved caller. `authn` is bound to their namespace and acts as them (or, during an
/// impersonation, as the admin, as the core arranges), with the request's id, address and
/// user agent, so every audit event of the request names them.
#[derive(Clone, Debug)]
pub struct Principal {
    pub authn: Authn,
    pub user_id: Uuid,
    pub email: String,
    pub session_id: Uuid,
    pub roles: Roles,
    /// Whether the account's address is confirmed.
    pub email_verified: bool,
    pub impersonation: Option<Impersonator>,
    /// A second factor the caller must set up before going on, if any.
    pub mfa_due: Option<MfaDue>,
}

impl Principal {
    /// An admin of the principal's namespace, in their own session, with the console's
    /// two-step requirement met.
    pub fn require_admin(&self) -> Result<(), AccessError> {
        if !self.roles.admin || self.impersonation.is_some() {
            return Err(AccessError::Forbidden);
        }
        self.require_console_mfa()
    }

    /// A platform operator, likewise.
    pub fn require_operator(&self) -> Result<(), AccessError> {
        if !self.roles.operator || self.impersonation.is_some() {
            return Err(AccessError::Forbidden);
        }
        self.require_console_mfa()
    }

    fn require_console_mfa(&self) -> Result<(), AccessError> {
        match self.mfa_due {
            None => Ok(()),
            Some(_) => Err(AccessError::ConsoleNeedsTwoStep),
        }
    }

    /// Anything of one's own account: refused while the namespace's two-step requirement is
    /// unmet (setting it up is the exception, see [`Callers::resolve`]'s callers).
    pub fn require_account_ready(&self) -> Result<(), AccessError> {
        if self.mfa_due == Some(MfaDue::Account) {
            Err(AccessError::AccountNeedsTwoStep)
        } else {
            Ok(())
        }
    }

    /// The caller is `user_id` (acting on their own account or something of it), in this
    /// namespace: anyone else, an admin included, is refused here and goes through the admin
    /// services instead.
    pub fn require_owner(&self, user_id: Uuid) -> Result<(), AccessError> {
        if self.user_id == user_id {
            Ok(())
        } else {
            Err(AccessError::Forbidden)
        }
    }

    /// An impersonator may look at the account but not change how it signs in.
    pub fn refuse_while_impersonating(&self) -> Result<(), AccessError> {
        if self.impersonation.is_some() {
            Err(AccessError::ReadOnlyWhileImpersonating)
        } else {
            Ok(())
        }
    }

    /// The principal as an admin (see [`Principal::require_admin`]); the client it returns
    /// records `reason`, when given, on every audit event of the action.
    pub fn as_admin(&self, reason: Option<&str>) -> Result<Authn, AccessError> {
        self.require_admin()?;
        let mut authn = self.authn.clone();
        if let Some(reason) = reason {
            authn.set_actor(Actor {
                reason: Some(reason.to_owned()),
                ..Actor::default()
            });
        }
        Ok(authn)
    }

    /// Sudo mode: a sign-in, password or passkey confirmation within `window`. Impersonators
    /// never pass (credentials are read-only to them).
    #[tracing::instrument(skip_all)]
    pub async fn require_recent_authentication(
        &self,
        window: TimeDelta,
    ) -> Result<(), AccessError> {
        self.refuse_while_impersonating()?;
        if crate::reauth::is_recent(&self.authn, self.session_id, window).await? {
            Ok(())
        } else {
            Err(AccessError::ReauthenticationRequired)
        }
    }

    /// Whose settings a change is about (for the notice mail).
    pub fn owner(&self) -> Owner<'_> {
        Owner {
            user_id: self.user_id,
            email: &self.email,
        }
    }
}

/// A row of `gatehouse.resolve_session`.
#[derive(sqlx::FromRow)]
struct Resolved {
    #[sqlx(flatten)]
    session: authn::ValidatedSession,
    #[sqlx(flatten)]
    support: ResolvedSupport,
    #[sqlx(flatten)]
    roles: ResolvedRoles,
    email_verified: bool,
}

/// The operator access columns of `gatehouse.resolve_session` (all null for other sessions).
#[derive(sqlx::FromRow)]
struct ResolvedSupport {
    operator_id: Option<Uuid>,
    operator_email: Option<String>,
    operator_namespace: Option<String>,
    operator_reason: Option<String>,
    ticket_reference: Option<String>,
    operator_access_expires_at: Option<DateTime<Utc>>,
}

impl ResolvedSupport {
    /// The support access the session is, if it is one.
    fn into_impersonator(self) -> Option<Impersonator> {
        let (Some(operator_id), Some(namespace), Some(ends_at)) = (
            self.operator_id,
            self.operator_namespace,
            self.operator_access_expires_at,
        ) else {
            return None;
        };
        Some(Impersonator {
            email: self.operator_email,
            reason: self.operator_reason,
            support: Some(SupportAccess {
                operator_id,
                namespace,
                ticket: self.ticket_reference,
                ends_at,
            }),
        })
    }
}

#[derive(sqlx::FromRow)]
struct ResolvedRoles {
    admin: bool,
    operator: bool,
    console_requires_mfa: bool,
    accounts_require_mfa: bool,
}

impl From<ResolvedRoles> for Roles {
    fn from(r: ResolvedRoles) -> Roles {
        Roles {
            admin: r.admin,
            operator: r.operator,
            console_requires_mfa: r.console_requires_mfa,
            accounts_require_mfa: r.accounts_require_mfa,
        }
    }
}

/// The owner of a personal API key presenting it to their namespace's API. A key reads the
/// account; it never carries roles, changes how the account signs in, or signs anything out
/// (those take a signed-in session: an access token).
#[derive(Clone, Debug)]
pub struct KeyHolder {
    pub authn: Authn,
    pub user_id: Uuid,
    pub email: String,
    pub email_verified: bool,
    pub key_id: Uuid,
}

/// Why a bearer access token resolved to nobody.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BearerRefusal {
    /// Not ours, for another namespace, or its session is over.
    Invalid,
    /// Ours, but past its `exp`: the program refreshes.
    Expired,
}

/// Resolves callers: the deployment's session keeper (idle expiry) and operator namespace.
#[derive(Clone, Debug)]
pub struct Callers {
    sessions: SessionKeeper,
    operator_namespace: String,
}

impl Callers {
    pub fn new(sessions: SessionKeeper, operator_namespace: impl Into<String>) -> Callers {
        Callers {
            sessions,
            operator_namespace: operator_namespace.into(),
        }
    }

    /// The caller presenting session `token` to `authn`'s namespace, or `None` when it is no
    /// live session there. `authn` carries the request's actor (request id, address, user
    /// agent); the principal's client adds who is acting.
    #[tracing::instrument(skip_all)]
    pub async fn resolve(
        &self,
        authn: Authn,
        pool: &PgPool,
        token: &str,
    ) -> Result<Option<Principal>, AccessError> {
        let mut authn = authn;
        let token_hash = crate::token::hash_token(token);
        // One round trip for the session, any support access, the roles and the namespace's
        // requirements.
        let resolved: Option<Resolved> =
            sqlx::query_as("SELECT * FROM gatehouse.resolve_session($1, $2, $3)")
                .bind(&token_hash)
                .bind(authn.namespace())
                .bind(&self.operator_namespace)
                .fetch_optional(pool)
                .await?;
        let Some(resolved) = resolved else {
            return Ok(None);
        };
        authn.act_for_session(&resolved.session);
        if let Err(e) = self
            .sessions
            .touch(&authn, resolved.session.session_id, &token_hash)
            .await
        {
            // The request can go on; the session just ends at its previous expiry.
            tracing::warn!(error = %e.message(), "session activity not recorded");
        }
        Ok(Some(self.principal(authn, resolved).await?))
    }

    /// The caller presenting access token `token` (a JWT of ours, see
    /// [`crate::api_tokens`]) to `authn`'s namespace: its signature and expiry, that it was
    /// issued for this namespace, and that its session is still live — one round trip, like a
    /// cookie's. API sessions do not slide: they last as long as their refresh tokens.
    #[tracing::instrument(skip_all)]
    pub async fn resolve_access_token(
        &self,
        authn: Authn,
        pool: &PgPool,
        keys: &crate::api_tokens::TokenKeys,
        token: &str,
    ) -> Result<Result<Principal, BearerRefusal>, AccessError> {
        let mut authn = authn;
        let claims = match keys.verify(token, chrono::Utc::now()) {
            Ok(claims) => claims,
            Err(crate::api_tokens::TokenError::Expired) => return Ok(Err(BearerRefusal::Expired)),
            Err(crate::api_tokens::TokenError::Invalid) => return Ok(Err(BearerRefusal::Invalid)),
        };
        if claims.ns != authn.namespace() {
            return Ok(Err(BearerRefusal::Invalid));
        }
        let resolved: Option<Resolved> =
            sqlx::query_as("SELECT * FROM gatehouse.resolve_api_session($1, $2, $3)")
                .bind(claims.sid)
                .bind(authn.namespace())
                .bind(&self.operator_namespace)
                .fetch_optional(pool)
                .await?;
        match resolved {
            Some(resolved) if resolved.session.user_id == claims.sub => {
                authn.act_for_session(&resolved.session);
                Ok(Ok(self.principal(authn, resolved).await?))
            }
            _ => Ok(Err(BearerRefusal::Invalid)),
        }
    }

    /// The owner of personal API key `key` (`gh_…`) in `authn`'s namespace, or `None` when it
    /// is no usable key there (unknown, revoked, expired, another namespace's, or its owner is
    /// disabled). Refused (`AccountNeedsTwoStep`) while the namespace requires two-step
    /// verification the account does not have, as its sessions are.
    #[tracing::instrument(skip_all)]
    pub async fn resolve_api_key(
        &self,
        authn: Authn,
        pool: &PgPool,
        key: &str,
    ) -> Result<Option<KeyHolder>, AccessError> {
        let owner = match crate::api_keys::authenticate(pool, key).await {
            Ok(owner) => owner,
            Err(crate::api_keys::ApiKeyError::Internal(e)) => return Err(AccessError::Internal(e)),
            // (Checking a key names no key or name of the caller's: nothing else to refuse.)
            Err(_) => None,
        };
        let Some(owner) = owner.filter(|o| o.namespace == authn.namespace()) else {
            return Ok(None);
        };
        let mut authn = authn;
        authn.set_actor(Actor::id(format!("user:{}", owner.user.user_id)));
        let mut tx = authn.begin().await?;
        let accounts_require_mfa = roles::accounts_require_mfa(&mut tx).await?;
        tx.commit().await?;
        // A key carries no roles: only the requirement on every account applies.
        let requirement = Roles {
            accounts_require_mfa,
            ..Roles::default()
        };
        if roles::mfa_due(&authn, owner.user.user_id, &requirement)
            .await?
            .is_some()
        {
            return Err(AccessError::AccountNeedsTwoStep);
        }
        Ok(Some(KeyHolder {
            authn,
            user_id: owner.user.user_id,
            email: owner.user.email,
            email_verified: owner.user.email_verified_at.is_some(),
            key_id: owner.key_id,
        }))
    }

    /// The principal of a resolved session (either credential).
    async fn principal(&self, authn: Authn, resolved: Resolved) -> Result<Principal, AccessError> {
        let mut authn = authn;
        let Resolved {
            session,
            support,
            roles,
            email_verified,
        } = resolved;
        let impersonation = if session.is_impersonating {
            // (`act_for_session` made the admin the actor already.)
            Some(Impersonator {
                email: session.impersonator_email,
                reason: session.impersonation_reason,
                support: None,
            })
        } else if let Some(support) = support.into_impersonator() {
            // The core does not attribute an operator's support access to the operator (its
            // session is the target's as far as `validate_session` says); every audit event
            // of the request names them here.
            if let Some(access) = &support.support {
                authn.set_actor(Actor {
                    actor_id: Some(format!("operator:{}", access.operator_id)),
                    on_behalf_of: Some(format!("user:{}", session.user_id)),
                    reason: Some(format!(
                        "Support access {}: {}",
                        access.ticket.as_deref().unwrap_or_default(),
                        support.reason.as_deref().unwrap_or_default()
                    )),
                    ..Actor::default()
                });
            }
            Some(support)
        } else {
            None
        };
        // An impersonation of either kind carries no roles (the statement reads them as false
        // already) and owes no second factor of the impersonator's.
        let (roles, mfa_due) = if impersonation.is_some() {
            (Roles::default(), None)
        } else {
            authn.set_actor(Actor::id(format!("user:{}", session.user_id)));
            let roles: Roles = roles.into();
            // A second round trip only for people a two-step requirement applies to.
            let due = roles::mfa_due(&authn, session.user_id, &roles).await?;
            (roles, due)
        };
        Ok(Principal {
            authn,
            user_id: session.user_id,
            email: session.email,
            session_id: session.session_id,
            roles,
            email_verified,
            impersonation,
            mfa_due,
        })
    }
}

/// Signs a browser out: the impersonation its session is (if any) ends, the session is
/// revoked, and so is the session kept aside during an impersonation (an admin's, in this
/// namespace) or a support access (an operator's, in theirs: ended through `operator_pool`,
/// see [`crate::support_access::sign_out`]). Every step is tried even if an earlier one fails
/// (each is logged): a failure must not leave anything of the browser's sign-ins alive that the
/// next steps would have ended.
#[tracing::instrument(skip_all)]
pub async fn sign_out(
    authn: &Authn,
    principal: Option<&Principal>,
    session_token: Option<&str>,
    aside_token: Option<&str>,
    operator_pool: Option<&PgPool>,
) {
    let access = principal.and_then(|p| {
        p.impersonation
            .as_ref()
            .and_then(|i| i.support.as_ref())
            .map(|access| (p, access))
    });
    if let (Some((p, access)), Some(pool)) = (access, operator_pool) {
        let clients = (
            Authn::new(pool.clone(), access.namespace.clone()).await,
            authn.for_namespace(access.namespace.clone()).await,
        );
        match clients {
            (Ok(ops), Ok(operators)) => {
                crate::support_access::sign_out(&ops, &operators, p, session_token, aside_token)
                    .await;
                return;
            }
            (ops, operators) => tracing::warn!(
                ops_failed = ops.is_err(),
                operators_failed = operators.is_err(),
                "the operator's namespace is out of reach at sign-out"
            ),
        }
    }
    if let Some(p) = principal.filter(|p| p.impersonation.is_some()) {
        if let Err(e) = crate::admin::impersonation::end_by_session(&p.authn, p.session_id).await {
            tracing::warn!(error = ?e, "ending the impersonation at sign-out failed");
        }
    }
    for token in [session_token, aside_token].into_iter().flatten() {
        if let Err(e) = authn.revoke_session(&crate::token::hash_token(token)).await {
            tracing::warn!(error = %e.message(), "revoking a session at sign-out failed");
        }
    }
}
