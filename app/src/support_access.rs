//! Server functions of support access: a platform operator starts working as a user of
//! another namespace for a ticket, and comes back. Starting gives the browser a session cookie
//! in the target's namespace and keeps the operator's own token aside (as admin impersonation
//! does); leaving ends the access through the operator pool and restores the operator under a
//! new token. The rules are `identity::support_access`'s.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// What the start form offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportAccessOffer {
    pub default_minutes: i64,
    pub max_minutes: i64,
    /// Whether the server has an operator pool at all.
    pub available: bool,
}

/// The start form's settings, for operators only.
#[server]
pub async fn support_access_settings(namespace: String) -> Result<SupportAccessOffer, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    caller.require_operator()?;
    Ok(SupportAccessOffer {
        default_minutes: state.support.default_minutes(),
        max_minutes: state.support.max_minutes(),
        available: state.operator_pool.is_some(),
    })
}

/// Starts support access from the operator console (`namespace` is the operator's own) to
/// the user `email` of `target_namespace`, then shows the target's security page. When the
/// target's namespace requires its admins' approval this asks them instead (back to the
/// operator console), unless `break_glass` gives the second reason for not waiting.
#[server(endpoint = "start_support_access")]
pub async fn start_support_access(
    namespace: String,
    target_namespace: String,
    email: String,
    reason: String,
    ticket: String,
    #[server(default)] minutes: String,
    #[server(default)] break_glass: String,
) -> Result<(), AppError> {
    use identity::support_access::{start, Consent, Outcome, SupportRequest};

    let state = crate::state::AppState::current()?;
    let caller = ssr::operator_for_start(&state, &namespace).await?;
    let reason = identity::admin::Reason::parse(&reason)?;
    let ticket = state.support.ticket(&ticket)?;
    let duration = state.support.duration(&minutes)?;
    let urgency = if break_glass.trim().is_empty() {
        None
    } else {
        Some(identity::admin::Reason::parse(&break_glass).map_err(|_| {
            AppError::field(
                crate::error::FormField::BreakGlass,
                crate::error::FieldProblem::BreakGlassReason,
            )
        })?)
    };
    let consent = urgency.as_ref().map_or(Consent::Ask, Consent::BreakGlass);
    let target_namespace = target_namespace.trim().to_owned();
    let ops = ssr::operator_pool_client(&state, &caller.authn).await?;
    let outcome = start(
        state.start_context(&ops, &caller.authn),
        &caller,
        SupportRequest {
            target_namespace: &target_namespace,
            target_email: &email,
            reason: &reason,
            ticket,
            duration,
        },
        consent,
    )
    .await?;
    match outcome {
        Outcome::Started(started) => ssr::enter(&state, started).await,
        Outcome::Requested { .. } => {
            leptos_axum::redirect(&vocabulary::Page::Operator.path_with(
                &namespace,
                &[(
                    vocabulary::Done::QUERY,
                    vocabulary::Done::SupportRequested.as_str(),
                )],
            ));
            Ok(())
        }
    }
}

/// Starts the access an admin approved (request `request_id` of the caller), exactly as asked.
#[server(endpoint = "start_approved_support_access")]
pub async fn start_approved_support_access(
    namespace: String,
    request_id: String,
) -> Result<(), AppError> {
    let state = crate::state::AppState::current()?;
    let caller = ssr::operator_for_start(&state, &namespace).await?;
    let id = crate::admin::parse_id(&request_id, AppError::UnknownSupportRequest)?;
    let ops = ssr::operator_pool_client(&state, &caller.authn).await?;
    let started = identity::support_access::start_approved(
        state.start_context(&ops, &caller.authn),
        &caller,
        id,
    )
    .await?;
    ssr::enter(&state, started).await
}

/// One support access, as the lists show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportAccessLine {
    pub impersonation_id: String,
    pub operator_email: String,
    pub target_namespace: String,
    pub target_user_id: String,
    pub target_email: String,
    pub ticket: String,
    pub reason: String,
    pub started: String,
    /// When it ends (running) or ended.
    pub until: String,
    pub active: bool,
}

#[cfg(feature = "ssr")]
impl SupportAccessLine {
    /// An access into `namespace`, as the customer's lists show it.
    pub(crate) fn into_namespace(a: authn::OperatorImpersonationOfTarget, namespace: &str) -> Self {
        SupportAccessLine {
            impersonation_id: a.impersonation_id.to_string(),
            operator_email: a.operator_email,
            target_namespace: namespace.to_owned(),
            target_user_id: a.target_user_id.to_string(),
            target_email: a.target_user_email,
            ticket: a.ticket_reference.unwrap_or_default(),
            reason: a.reason,
            started: crate::admin::when(a.started_at),
            until: crate::admin::when(a.ended_at.unwrap_or(a.expires_at)),
            active: a.is_active,
        }
    }

    /// One of `operator_email`'s own accesses.
    fn of_operator(a: authn::OperatorImpersonationByOperator, operator_email: &str) -> Self {
        SupportAccessLine {
            impersonation_id: a.impersonation_id.to_string(),
            operator_email: operator_email.to_owned(),
            target_namespace: a.target_namespace,
            target_user_id: a.target_user_id.to_string(),
            target_email: a.target_user_email,
            ticket: a.ticket_reference.unwrap_or_default(),
            reason: a.reason,
            started: crate::admin::when(a.started_at),
            until: crate::admin::when(a.ended_at.unwrap_or(a.expires_at)),
            active: a.is_active,
        }
    }

    /// One running now, platform-wide.
    fn running(a: authn::ActiveOperatorImpersonation) -> Self {
        SupportAccessLine {
            impersonation_id: a.impersonation_id.to_string(),
            operator_email: a.operator_email,
            target_namespace: a.target_namespace,
            target_user_id: a.target_user_id.to_string(),
            target_email: a.target_user_email,
            ticket: a.ticket_reference.unwrap_or_default(),
            reason: a.reason,
            started: crate::admin::when(a.started_at),
            until: crate::admin::when(a.expires_at),
            active: true,
        }
    }
}

/// Every support access into the caller's namespace (its admins only); `None` when the server
/// has no operator pool.
#[server]
pub async fn admin_support_access(
    namespace: String,
) -> Result<Option<Vec<SupportAccessLine>>, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    caller.require_admin()?;
    let Some(pool) = state.operator_pool.clone() else {
        return Ok(None);
    };
    let ops = authn::Authn::new(pool, caller.authn.namespace()).await?;
    let list = identity::support_access::into_namespace(&ops, &caller, None, 200).await?;
    let ns = caller.authn.namespace().to_owned();
    Ok(Some(
        list.into_iter()
            .map(|a| SupportAccessLine::into_namespace(a, &ns))
            .collect(),
    ))
}

/// The operator console's lists: the caller's own accesses and every one running now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorSupportView {
    pub mine: Vec<SupportAccessLine>,
    pub running: Vec<SupportAccessLine>,
}

#[server]
pub async fn operator_support_access(
    namespace: String,
) -> Result<Option<OperatorSupportView>, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    caller.require_operator()?;
    let Some(pool) = state.operator_pool.clone() else {
        return Ok(None);
    };
    let ops = authn::Authn::new(pool, &namespace).await?;
    let mine = identity::support_access::of_operator(&ops, &caller, 50).await?;
    let running = identity::support_access::running(&ops, &caller).await?;
    Ok(Some(OperatorSupportView {
        mine: mine
            .into_iter()
            .map(|a| SupportAccessLine::of_operator(a, &caller.email))
            .collect(),
        running: running
            .into_iter()
            .map(SupportAccessLine::running)
            .collect(),
    }))
}

/// Ends a running support access from the operator console.
#[server(endpoint = "operator_end_support_access")]
pub async fn operator_end_support_access(
    namespace: String,
    impersonation_id: String,
) -> Result<(), AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    caller.require_operator()?;
    let ops = ssr::operator_pool_client(&state, &caller.authn).await?;
    let id = crate::admin::parse_id(&impersonation_id, AppError::UnknownImpersonation)?;
    if !identity::support_access::end(&ops, &caller, id).await? {
        return Err(AppError::UnknownImpersonation);
    }
    leptos_axum::redirect(
        &vocabulary::Page::Operator.path_with(&namespace, &[vocabulary::Notice::Stopped.flag()]),
    );
    Ok(())
}

/// A namespace in the operator console.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceLine {
    pub namespace: String,
    pub users: i64,
    pub notifies_users: bool,
    pub needs_approval: bool,
}

/// The namespaces with users, their user counts and whether their users are told of support
/// access (operators only).
#[server]
pub async fn operator_namespaces(namespace: String) -> Result<Vec<NamespaceLine>, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    let list = identity::support_access::namespaces(&caller.authn, &caller).await?;
    Ok(list
        .into_iter()
        .map(|n| NamespaceLine {
            namespace: n.namespace,
            users: n.users,
            notifies_users: n.notifies_users,
            needs_approval: n.needs_approval,
        })
        .collect())
}

/// A user found by the operator's search.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundUser {
    pub id: String,
    pub email: String,
    pub verified: bool,
    pub disabled: bool,
    pub has_mfa: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundUsers {
    pub users: Vec<FoundUser>,
    /// Where the next page starts.
    pub next: Option<String>,
}

/// Users of `target_namespace` whose address contains `email`, for operators with the ticket
/// of the support case.
#[server]
pub async fn operator_find_users(
    namespace: String,
    target_namespace: String,
    #[server(default)] ticket: String,
    email: String,
    #[server(default)] after: String,
) -> Result<FoundUsers, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    let after = Some(after).filter(|a| !a.trim().is_empty());
    let case = identity::support_access::SupportCase {
        namespace: &target_namespace,
        ticket: &ticket,
    };
    let page = identity::support_access::find_users(
        &caller.authn,
        &caller,
        &state.support,
        case,
        &email,
        after,
    )
    .await?;
    Ok(FoundUsers {
        users: page
            .users
            .into_iter()
            .map(|u| FoundUser {
                id: u.user_id.to_string(),
                email: u.email,
                verified: u.email_verified_at.is_some(),
                disabled: u.disabled_at.is_some(),
                has_mfa: u.has_mfa,
            })
            .collect(),
        next: page.next,
    })
}

/// A user's support view, read only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportUserView {
    pub namespace: String,
    /// The support case's ticket the view was read for (the start form begins with it).
    pub ticket: String,
    pub email: String,
    pub verified: Option<String>,
    pub disabled: Option<String>,
    pub locked_out: bool,
    pub protected: bool,
    pub methods: Vec<String>,
    pub sessions: Vec<String>,
    pub attempts: Vec<String>,
}

/// A user's support view for operators with the ticket of the support case; each view is
/// recorded in the customer's audit trail.
#[server]
pub async fn operator_user_view(
    namespace: String,
    target_namespace: String,
    #[server(default)] ticket: String,
    user_id: String,
) -> Result<SupportUserView, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    caller.require_operator()?;
    let id = crate::admin::parse_id(&user_id, AppError::UnknownUser)?;
    let case = identity::support_access::SupportCase {
        namespace: &target_namespace,
        ticket: &ticket,
    };
    let d = identity::support_access::user_view(
        &caller.authn,
        &caller,
        &state.support,
        case,
        id,
        state.sign_in.lockout(),
        &state.operator_namespace,
    )
    .await?;
    let when = crate::admin::when;
    Ok(SupportUserView {
        namespace: target_namespace.trim().to_owned(),
        ticket: ticket.trim().to_owned(),
        email: d.user.email,
        verified: d.user.email_verified_at.map(when),
        disabled: d.user.disabled_at.map(when),
        locked_out: d.locked_out,
        protected: d.roles.admin || d.roles.operator,
        methods: d
            .methods
            .iter()
            .map(|m| identity::admin::user::method_label(&m.mfa_type).to_owned())
            .collect(),
        sessions: d
            .sessions
            .iter()
            .map(|s| {
                let (browser, system, _) =
                    identity::devices::describe_user_agent(s.user_agent.as_deref());
                format!("{browser} on {system}, since {}", when(s.created_at))
            })
            .collect(),
        attempts: d
            .attempts
            .iter()
            .map(|a| {
                format!(
                    "{} {}",
                    when(a.attempted_at),
                    if a.success { "signed in" } else { "failed" }
                )
            })
            .collect(),
    })
}

/// One line of the operator audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorAuditLine {
    pub when: String,
    pub event_type: String,
    pub operator_email: String,
    pub target: String,
    pub ticket: String,
    pub reason: String,
}

/// The operator audit log, newest first, filtered (operators only).
#[server]
pub async fn operator_audit(
    namespace: String,
    #[server(default)] event_type: String,
    #[server(default)] target_namespace: String,
    #[server(default)] operator: String,
    #[server(default)] ticket: String,
    #[server(default)] since: String,
    #[server(default)] until: String,
) -> Result<Option<Vec<OperatorAuditLine>>, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    caller.require_operator()?;
    let Some(pool) = state.operator_pool.clone() else {
        return Ok(None);
    };
    let ops = authn::Authn::new(pool, &namespace).await?;
    let events = identity::support_access::audit(
        &ops,
        &caller,
        &identity::support_access::OperatorAuditFilter {
            event_type: Some(&event_type),
            target_namespace: Some(&target_namespace),
            operator_email: Some(&operator),
            ticket: Some(&ticket),
            since: Some(&since),
            until: Some(&until),
        },
    )
    .await?;
    Ok(Some(
        events
            .into_iter()
            .map(|e| OperatorAuditLine {
                when: crate::admin::when(e.occurred_at),
                event_type: e.event_type,
                operator_email: e.operator_email,
                target: format!("{} in {}", e.target_user_email, e.target_namespace),
                ticket: e.ticket_reference.unwrap_or_default(),
                reason: e.reason,
            })
            .collect(),
    ))
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use identity::support_access::{leave, Left};

    use crate::caller::ssr::Caller;
    use crate::error::AppError;
    use crate::session::ssr::{cookie_value, set_cookie, set_session_cookie};
    use crate::state::AppState;

    /// The operator's namespace and the two clients leaving needs: of the operator pool, and
    /// of the tenant pool in the operator's namespace.
    async fn clients(
        state: &AppState,
        caller: &Caller,
        pool: sqlx::PgPool,
    ) -> Result<(String, authn::Authn, authn::Authn), AppError> {
        let operator_ns = caller
            .impersonation
            .as_ref()
            .and_then(|i| i.support.as_ref())
            .map(|s| s.namespace.clone())
            .unwrap_or_else(|| state.operator_namespace.clone());
        // Acting as the caller: the trail records who left, from which request.
        let ops = authn::Authn::new(pool, &operator_ns)
            .await?
            .with_actor(caller.authn.actor().clone());
        let operators = state.authn(&operator_ns).await?;
        Ok((operator_ns, ops, operators))
    }

    /// The caller, if they may start a support access at all: an operator, in a session of
    /// their own, recently authenticated. Who is asking comes first: a non-operator learns
    /// nothing from the validation that follows.
    pub async fn operator_for_start(state: &AppState, namespace: &str) -> Result<Caller, AppError> {
        let caller = crate::caller::ssr::signed_in(state, namespace).await?;
        caller.require_operator()?;
        if caller.impersonation.is_some() {
            return Err(AppError::NoChainedImpersonation);
        }
        caller.require_recent_authentication(state).await?;
        Ok(caller)
    }

    /// A client of the operator pool in the namespace of `caller` (the operator's own client),
    /// acting as them: the operator trail records who did what, from which request.
    pub async fn operator_pool_client(
        state: &AppState,
        caller: &authn::Authn,
    ) -> Result<authn::Authn, AppError> {
        let pool = state
            .operator_pool
            .clone()
            .ok_or(AppError::SupportAccessUnavailable)?;
        Ok(authn::Authn::new(pool, caller.namespace())
            .await?
            .with_actor(caller.actor().clone()))
    }

    /// Moves this browser into a started access: the operator's own token is kept aside (it
    /// goes when the access does, even if nobody ends it) and the target's security page shown.
    pub async fn enter(
        state: &AppState,
        started: identity::support_access::Started,
    ) -> Result<(), AppError> {
        use crate::session::ssr::{session_token, set_cookie_until};

        let own_token = session_token(&state.cookie)
            .await
            .ok_or(AppError::NotSignedIn)?;
        set_cookie_until(
            &state.cookie,
            &state.cookie.aside_name,
            Some(&own_token),
            Some(
                started.expires_at - chrono::Utc::now() + identity::support_access::RESTORE_WINDOW,
            ),
        );
        set_session_cookie(&state.cookie, Some(started.token.expose()));
        leptos_axum::redirect(&vocabulary::Page::Security.path(&started.target_namespace));
        Ok(())
    }

    /// After a support access is over (its time ran out, or it was ended from the console):
    /// the operator's session kept aside in this browser is revoked in the operator namespace,
    /// where it lives.
    pub async fn revoke_kept_aside(state: &AppState, aside: &str) -> Result<(), AppError> {
        let operators = state.authn(&state.operator_namespace).await?;
        identity::support_access::revoke_kept_aside(&operators, aside).await?;
        Ok(())
    }

    /// Ends the support access `caller`'s session is and puts the operator back in their
    /// console (or signs the browser out when there is no way back).
    pub async fn end(state: &AppState, caller: &Caller) -> Result<(), AppError> {
        let pool = state
            .operator_pool
            .clone()
            .ok_or(AppError::SupportAccessUnavailable)?;
        let (operator_ns, ops, operators) = clients(state, caller, pool).await?;
        let aside = cookie_value(&state.cookie.aside_name).await;
        let left = leave(&ops, &operators, Some(&caller.0), aside.as_deref()).await?;
        set_cookie(&state.cookie, &state.cookie.aside_name, None);
        match left {
            Left::Restored(token) => {
                set_session_cookie(&state.cookie, Some(token.expose()));
                leptos_axum::redirect(
                    &vocabulary::Page::Operator
                        .path_with(&operator_ns, &[vocabulary::Notice::Ended.flag()]),
                );
            }
            Left::SignedOut => {
                set_session_cookie(&state.cookie, None);
                leptos_axum::redirect(&vocabulary::Page::SignIn.path(&operator_ns));
            }
        }
        Ok(())
    }
}
