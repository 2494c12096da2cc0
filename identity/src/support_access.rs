//! A platform operator's support access: for a ticket, with a written reason, for a limited
//! time, an operator works as a user of another namespace. Who may be reached, the ticket's
//! form, how long, and who is told are decided here; the core's operator functions record it
//! (they run only on the operator pool, `authn_operator`), and caller resolution makes the
//! session read-only and roleless while it lasts (`crate::caller::SupportAccess`).

use authn::{Actor, Authn, StartOperatorImpersonation};
use chrono::{DateTime, TimeDelta, Utc};
use regex::Regex;
use uuid::Uuid;

use crate::admin::Reason;
use crate::caller::Principal;
use crate::email::EmailAddress;
use crate::mail::{outbox, templates, Links};
use crate::support_requests;
use crate::token::OpaqueToken;

/// The core's own ceiling for an operator's access (`authn.operator_impersonation_max_duration`).
pub const CEILING: TimeDelta = TimeDelta::hours(4);

/// How long after an access ends its operator may still go back to their own session.
pub const RESTORE_WINDOW: TimeDelta = crate::admin::impersonation::RESTORE_WINDOW;

/// Why a support access was refused. Developer text only: the app words refusals.
#[derive(Debug, thiserror::Error)]
pub enum SupportError {
    #[error("support access is not configured (no operator database pool)")]
    Unavailable,
    #[error("the ticket reference does not have the configured form")]
    InvalidTicket,
    #[error("the duration must be whole minutes from 1 to {max_minutes}")]
    InvalidDuration { max_minutes: i64 },
    #[error("no such namespace")]
    UnknownNamespace,
    #[error("no such user in that namespace")]
    UnknownUser,
    #[error("the target account is disabled")]
    Disabled,
    #[error("admins and operators are not reached by support access")]
    ProtectedAccount,
    #[error("not from an impersonation or support access session")]
    FromImpersonation,
    #[error("not one's own account")]
    OwnAccount,
    #[error("no such support access request of this operator or namespace")]
    RequestNotFound,
    #[error("the request is not approved")]
    NotApproved,
    #[error("the approval was used already")]
    ApprovalUsed,
    #[error("the approval was not used within its hour")]
    ApprovalExpired,
    #[error("an operator cannot decide their own request")]
    OwnRequest,
    #[error("the request was decided already")]
    AlreadyDecided,
    #[error("the request lapsed undecided")]
    RequestLapsed,
    #[error("the namespace requires its admins' approval (it began to while this started)")]
    ApprovalRequired,
    #[error(transparent)]
    Access(#[from] crate::caller::AccessError),
    /// A search or lookup refused by the admin read models it reuses (filters, cursors, ids).
    #[error(transparent)]
    Lookup(#[from] crate::admin::AdminError),
    #[error("internal error: {0}")]
    Internal(#[from] crate::Internal),
}

crate::internal::internal_from!(SupportError);

/// The deployment's rules: the ticket's form and how long an access may last.
#[derive(Clone, Debug)]
pub struct SupportPolicy {
    ticket: Regex,
    default: TimeDelta,
    max: TimeDelta,
}

impl SupportPolicy {
    /// The default ticket form: a project key and a number, like `SUP-1234`.
    pub const DEFAULT_TICKET_PATTERN: &'static str = "^[A-Z][A-Z0-9]+-[0-9]+$";

    /// `ticket_pattern` must be a valid regular expression (anchor it: it is matched as
    /// written); `max_minutes` from 1 to 240 (the core's cap). The default duration is 30
    /// minutes, or the maximum if that is shorter.
    pub fn new(ticket_pattern: &str, max_minutes: u16) -> Result<SupportPolicy, String> {
        let ticket = Regex::new(ticket_pattern)
            .map_err(|e| format!("GATEHOUSE_TICKET_PATTERN is not a regular expression: {e}"))?;
        let max = TimeDelta::minutes(i64::from(max_minutes));
        if max_minutes == 0 || max > CEILING {
            return Err(format!(
                "the longest support access must be 1 to {} minutes",
                CEILING.num_minutes()
            ));
        }
        Ok(SupportPolicy {
            ticket,
            default: TimeDelta::minutes(30).min(max),
            max,
        })
    }

    pub fn default_minutes(&self) -> i64 {
        self.default.num_minutes()
    }

    pub fn max_minutes(&self) -> i64 {
        self.max.num_minutes()
    }

    /// A ticket reference of the configured form (trimmed), or `InvalidTicket`.
    pub fn ticket<'a>(&self, text: &'a str) -> Result<&'a str, SupportError> {
        let text = text.trim();
        if text.is_empty() || text.len() > 64 || !self.ticket.is_match(text) {
            return Err(SupportError::InvalidTicket);
        }
        Ok(text)
    }

    /// The duration typed in a form: empty for the default, else whole minutes up to the max.
    pub fn duration(&self, minutes: &str) -> Result<TimeDelta, SupportError> {
        crate::admin::impersonation::minutes_within(minutes, self.default, self.max).ok_or(
            SupportError::InvalidDuration {
                max_minutes: self.max_minutes(),
            },
        )
    }
}

/// What an operator asks for.
#[derive(Clone, Copy, Debug)]
pub struct SupportRequest<'a> {
    pub target_namespace: &'a str,
    pub target_email: &'a str,
    pub reason: &'a Reason,
    pub ticket: &'a str,
    pub duration: TimeDelta,
}

/// A started access: `token` is the new session's in the target namespace, for the
/// operator's browser only.
#[derive(Debug)]
pub struct Started {
    pub impersonation_id: Uuid,
    /// The target's namespace, where the new session lives.
    pub target_namespace: String,
    pub token: OpaqueToken,
    pub expires_at: DateTime<Utc>,
}

/// On what consent an operator starts.
#[derive(Clone, Copy, Debug)]
pub enum Consent<'a> {
    /// None asked for: starts if the namespace does not require approval, else becomes a
    /// request its admins decide on.
    Ask,
    /// An admin's approval (a request of this operator, for exactly this access).
    Approved(Uuid),
    /// Starts at once without approval for this second reason, which every admin of the
    /// namespace is mailed and both audit trails mark.
    BreakGlass(&'a Reason),
}

/// What a start came to.
#[derive(Debug)]
pub enum Outcome {
    Started(Started),
    /// The namespace requires approval: its admins were asked.
    Requested {
        request_id: Uuid,
    },
}

/// The deployment's parts a start needs: both pools' clients, the mail's links and keys, and
/// the longest a session may live.
#[derive(Clone, Copy)]
pub struct StartContext<'a> {
    /// A client of the operator pool (any namespace: the operator functions take theirs from
    /// the session).
    pub operator_pool_client: &'a Authn,
    /// The tenant pool's client (any namespace).
    pub tenants: &'a Authn,
    pub links: &'a Links,
    pub keys: &'a crate::SecretBox,
    pub session_absolute: TimeDelta,
}

/// Starts a support access for `operator` (a resolved platform operator, in their own
/// session), or asks for it when the target's namespace requires approval (see [`Consent`]).
///
/// Refused for an unknown namespace or user, a disabled target, a target who is an admin or an
/// operator, oneself, and from any impersonation session. The operator's own session waits,
/// kept alive past the access's end (plus [`RESTORE_WINDOW`]) but never past
/// `session_absolute`. The target is mailed when their namespace says so (the impersonation
/// notice setting), the admins on break glass; if that mail cannot be queued the access is
/// ended again.
#[tracing::instrument(skip_all)]
pub async fn start(
    cx: StartContext<'_>,
    operator: &Principal,
    request: SupportRequest<'_>,
    consent: Consent<'_>,
) -> Result<Outcome, SupportError> {
    operator.require_operator()?;
    if operator.impersonation.is_some() {
        return Err(SupportError::FromImpersonation);
    }
    let email = EmailAddress::parse(request.target_email).map_err(|_| SupportError::UnknownUser)?;
    let tenant = customer(cx.tenants, request.target_namespace).await?;
    // Who the target is, read under the target namespace's row-level security.
    let mut tx = tenant.begin().await?;
    let target = tx
        .get_user_by_email(email.as_str())
        .await?
        .ok_or(SupportError::UnknownUser)?;
    if target.user_id == operator.user_id {
        return Err(SupportError::OwnAccount);
    }
    if target.disabled_at.is_some() {
        return Err(SupportError::Disabled);
    }
    if crate::roles::holds_any_role(&mut tx, target.user_id).await? {
        return Err(SupportError::ProtectedAccount);
    }
    let notify = crate::admin::impersonation::notify_target(&mut tx).await?;
    let needs_approval = support_requests::needed(&mut tx).await?;
    let admins = match consent {
        Consent::Ask if needs_approval => support_requests::admin_addresses(&mut tx).await?,
        Consent::BreakGlass(_) => support_requests::admin_addresses(&mut tx).await?,
        _ => Vec::new(),
    };
    tx.commit().await?;

    let mut ops = cx.operator_pool_client.clone();
    ops.set_actor(Actor {
        reason: Some(request.reason.as_str().to_owned()),
        ..operator.authn.actor().clone()
    });

    if needs_approval && matches!(consent, Consent::Ask) {
        // The mail is queued in a transaction committed only once the request is recorded.
        let mut tx = tenant.begin().await?;
        let request_id = support_requests::create(
            &ops,
            operator.session_id,
            tenant.namespace(),
            target.user_id,
            request.reason.as_str(),
            request.ticket,
            request.duration,
        )
        .await?
        .ok_or(SupportError::UnknownUser)?;
        let decide = cx
            .links
            .page(tenant.namespace(), vocabulary::Page::AdminSupportAccess);
        support_requests::mail_admins(&mut tx, &admins, cx.keys, |to| {
            templates::support_access_requested(
                to,
                tenant.namespace(),
                &operator.email,
                &target.email,
                request.reason.as_str(),
                request.ticket,
                request.duration.num_minutes(),
                decide.clone(),
            )
        })
        .await?;
        tx.commit().await?;
        return Ok(Outcome::Requested { request_id });
    }

    let token = OpaqueToken::generate();
    let mut otx = ops.begin().await?;
    let started = otx
        .start_operator_impersonation(StartOperatorImpersonation {
            operator_session_id: operator.session_id,
            target_user_id: target.user_id,
            target_namespace: tenant.namespace(),
            token_hash: &token.hash(),
            reason: request.reason.as_str(),
            duration: Some(request.duration),
            ticket_reference: Some(request.ticket),
        })
        .await
        .map_err(|e| {
            if !e.is_client_error() {
                return SupportError::from(e);
            }
            // The core's refusals, by their documented messages (spec §4).
            let message = e.message().to_lowercase();
            if message.contains("yourself") {
                SupportError::OwnAccount
            } else if message.contains("disabled") {
                SupportError::Disabled
            } else if message.contains("duration") {
                SupportError::InvalidDuration {
                    max_minutes: CEILING.num_minutes(),
                }
            } else {
                SupportError::FromImpersonation
            }
        })?;
    match consent {
        // Dropping the transaction on a refusal takes the start back with it.
        Consent::Approved(request_id) => {
            support_requests::spend(&mut otx, request_id, started.impersonation_id).await?
        }
        Consent::BreakGlass(why) => {
            support_requests::mark_break_glass(&mut otx, started.impersonation_id, why.as_str())
                .await?
        }
        Consent::Ask => {}
    }
    otx.commit().await.map_err(|e| {
        // The database's own check of consent (migration 34): the namespace began to require
        // approval after it was read above.
        if e.sqlstate() == Some("23514") {
            SupportError::ApprovalRequired
        } else {
            SupportError::from(e)
        }
    })?;

    let told = async {
        operator
            .authn
            .keep_session_until(
                operator.session_id,
                started.expires_at + RESTORE_WINDOW,
                cx.session_absolute,
            )
            .await?;
        let mut tx = tenant.begin().await?;
        if notify {
            let mail = templates::support_access_started(
                &target.email,
                tenant.namespace(),
                &operator.email,
                request.reason.as_str(),
                request.ticket,
                request.duration.num_minutes(),
                cx.links
                    .page(tenant.namespace(), vocabulary::Page::Security),
            );
            outbox::enqueue(&mut tx, &mail, cx.keys).await?;
        }
        if let Consent::BreakGlass(why) = consent {
            let review = cx
                .links
                .page(tenant.namespace(), vocabulary::Page::AdminSupportAccess);
            support_requests::mail_admins(&mut tx, &admins, cx.keys, |to| {
                templates::support_access_break_glass(
                    to,
                    tenant.namespace(),
                    &operator.email,
                    &target.email,
                    request.reason.as_str(),
                    request.ticket,
                    why.as_str(),
                    request.duration.num_minutes(),
                    review.clone(),
                )
            })
            .await?;
        }
        tx.commit().await?;
        Ok::<(), SupportError>(())
    }
    .await;
    if let Err(e) = told {
        // Nobody may be reached without being told: undo the start.
        if let Err(undo) = ops
            .end_operator_impersonation(started.impersonation_id)
            .await
        {
            tracing::error!(error = %undo.message(), "a support access could not be ended after a failure");
        }
        return Err(e);
    }
    Ok(Outcome::Started(Started {
        impersonation_id: started.impersonation_id,
        target_namespace: tenant.namespace().to_owned(),
        token,
        expires_at: started.expires_at,
    }))
}

/// Starts the access an admin approved: request `request_id` of `operator`, exactly as asked
/// (user, reason, ticket, duration), once.
#[tracing::instrument(skip_all)]
pub async fn start_approved(
    cx: StartContext<'_>,
    operator: &Principal,
    request_id: Uuid,
) -> Result<Started, SupportError> {
    let asked =
        support_requests::one_of_operator(cx.operator_pool_client, operator, request_id).await?;
    match asked.status(Utc::now()) {
        support_requests::RequestStatus::Approved { .. } => {}
        support_requests::RequestStatus::Used => return Err(SupportError::ApprovalUsed),
        support_requests::RequestStatus::ApprovalLapsed => {
            return Err(SupportError::ApprovalExpired)
        }
        _ => return Err(SupportError::NotApproved),
    }
    let reason = Reason::parse(&asked.reason)?;
    let outcome = start(
        cx,
        operator,
        SupportRequest {
            target_namespace: &asked.namespace,
            target_email: &asked.target_email,
            reason: &reason,
            ticket: &asked.ticket_reference,
            duration: TimeDelta::minutes(asked.minutes()),
        },
        Consent::Approved(request_id),
    )
    .await?;
    match outcome {
        Outcome::Started(started) => Ok(started),
        // Consent::Approved never asks again.
        Outcome::Requested { .. } => Err(SupportError::NotApproved),
    }
}

/// What leaving a support access came to (see [`leave`]).
#[derive(Debug)]
pub enum Left {
    /// The operator's own session is back, under this new token.
    Restored(OpaqueToken),
    /// No way back (none kept aside, or it is no longer valid): the browser is signed out.
    SignedOut,
}

/// Ends the support access `principal`'s session is (when it still runs) and gives the
/// operator their own session back under a new token, if `aside_token` is exactly the session
/// the access was started from, still live; the kept-aside session is revoked either way.
/// `operators` is a tenant-pool client of the operator namespace.
#[tracing::instrument(skip_all)]
pub async fn leave(
    operator_pool_client: &Authn,
    operators: &Authn,
    principal: Option<&Principal>,
    aside_token: Option<&str>,
) -> Result<Left, SupportError> {
    finish(operator_pool_client, operators, principal, aside_token).await
}

/// Signing out during a support access: it ends, the session itself is revoked, and so is the
/// operator's session kept aside in this browser (whoever uses the browser next finds nothing
/// to go back to). Every step is tried even if an earlier one fails (each failure is logged):
/// a failure must not leave either session alive.
#[tracing::instrument(skip_all)]
pub async fn sign_out(
    operator_pool_client: &Authn,
    operators: &Authn,
    principal: &Principal,
    session_token: Option<&str>,
    aside_token: Option<&str>,
) {
    if let Err(e) = end_of_session(operator_pool_client, principal).await {
        tracing::warn!(error = ?e, "ending the support access at sign-out failed");
    }
    if let Some(token) = session_token {
        if let Err(e) = principal
            .authn
            .revoke_session(&crate::token::hash_token(token))
            .await
        {
            tracing::warn!(error = %e.message(), "revoking the support session at sign-out failed");
        }
    }
    if let Some(aside) = aside_token {
        if let Err(e) = revoke_kept_aside(operators, aside).await {
            tracing::warn!(error = ?e, "revoking the operator's kept-aside session failed");
        }
    }
}

/// Revokes the operator session kept aside during a support access (`operators`: a client of
/// the operator namespace, where that session lives).
#[tracing::instrument(skip_all)]
pub async fn revoke_kept_aside(operators: &Authn, aside_token: &str) -> Result<(), SupportError> {
    operators
        .revoke_session(&crate::token::hash_token(aside_token))
        .await?;
    Ok(())
}

/// Ends the support access `principal`'s session is, found by that session (the core's own
/// link), if it still runs.
async fn end_of_session(
    operator_pool_client: &Authn,
    principal: &Principal,
) -> Result<bool, SupportError> {
    let context = operator_pool_client
        .get_operator_impersonation_context(principal.session_id)
        .await?;
    match context
        .impersonation_id
        .filter(|_| context.is_operator_impersonating)
    {
        Some(id) => Ok(operator_pool_client.end_operator_impersonation(id).await?),
        None => Ok(false),
    }
}

async fn finish(
    operator_pool_client: &Authn,
    operators: &Authn,
    principal: Option<&Principal>,
    aside_token: Option<&str>,
) -> Result<Left, SupportError> {
    let access = principal
        .and_then(|p| p.impersonation.as_ref())
        .and_then(|i| i.support.as_ref());
    // The session the access was started from: the only one that may come back.
    let mut origin: Option<Uuid> = None;
    if let Some(p) = principal.filter(|_| access.is_some()) {
        origin = sqlx::query_scalar("SELECT gatehouse.operator_access_origin($1)")
            .bind(p.session_id)
            .fetch_one(operator_pool_client.pool())
            .await?;
        end_of_session(operator_pool_client, p).await?;
    }
    let Some(aside) = aside_token else {
        return Ok(Left::SignedOut);
    };
    let aside_hash = crate::token::hash_token(aside);
    let mut tx = operators.begin().await?;
    let own = tx.validate_session(&aside_hash).await?;
    // Read before it is revoked: the way back keeps its expiry and its absolute lifetime.
    let original = match &own {
        Some(own) => tx
            .list_sessions(own.user_id)
            .await?
            .into_iter()
            .find(|s| s.session_id == own.session_id),
        None => None,
    };
    tx.revoke_session(&aside_hash).await?;
    let restored = match (own, access) {
        (Some(own), Some(access))
            if own.user_id == access.operator_id
                && !own.is_impersonating
                && origin == Some(own.session_id) =>
        {
            match original {
                Some(original) => {
                    let token = OpaqueToken::generate();
                    let session_id = tx
                        .create_session(authn::NewSession {
                            expires_in: Some(TimeDelta::seconds(
                                (original.expires_at - Utc::now()).num_seconds().max(1),
                            )),
                            ..authn::NewSession::new(own.user_id, &token.hash())
                        })
                        .await?;
                    tx.backdate_session(&token.hash(), original.created_at)
                        .await?;
                    // The same session, continued: its sudo proof too, with its own time.
                    crate::reauth::carry_over(&mut tx, own.session_id, session_id).await?;
                    Some(token)
                }
                None => None,
            }
        }
        _ => None,
    };
    tx.commit().await?;
    Ok(restored.map_or(Left::SignedOut, Left::Restored))
}

/// The support accesses into `viewer`'s namespace (the customer's view), newest first: all of
/// them for its admins, or those of one user for that user (or an admin).
#[tracing::instrument(skip_all)]
pub async fn into_namespace(
    operator_pool_client: &Authn,
    viewer: &Principal,
    user_id: Option<Uuid>,
    limit: i32,
) -> Result<Vec<authn::OperatorImpersonationOfTarget>, SupportError> {
    match user_id {
        Some(id) if id == viewer.user_id => {}
        _ => viewer.require_admin()?,
    }
    Ok(operator_pool_client
        .list_operator_impersonations_for_target(
            viewer.authn.namespace(),
            Some(limit.clamp(1, 500)),
            user_id,
        )
        .await?)
}

/// `operator`'s own support accesses, newest first.
#[tracing::instrument(skip_all)]
pub async fn of_operator(
    operator_pool_client: &Authn,
    operator: &Principal,
    limit: i32,
) -> Result<Vec<authn::OperatorImpersonationByOperator>, SupportError> {
    operator.require_operator()?;
    Ok(operator_pool_client
        .list_operator_impersonations_by_operator(
            operator.user_id,
            operator.authn.namespace(),
            Some(limit.clamp(1, 500)),
        )
        .await?)
}

/// Every support access running now, platform-wide (for operators).
#[tracing::instrument(skip_all)]
pub async fn running(
    operator_pool_client: &Authn,
    operator: &Principal,
) -> Result<Vec<authn::ActiveOperatorImpersonation>, SupportError> {
    operator.require_operator()?;
    Ok(operator_pool_client
        .list_active_operator_impersonations(Some(200))
        .await?)
}

/// Ends a running support access from the operator console (any operator may end any: ending
/// only takes access away). Returns whether it was running.
#[tracing::instrument(skip_all)]
pub async fn end(
    operator_pool_client: &Authn,
    operator: &Principal,
    impersonation_id: Uuid,
) -> Result<bool, SupportError> {
    operator.require_operator()?;
    Ok(operator_pool_client
        .end_operator_impersonation(impersonation_id)
        .await?)
}

/// A tenant-pool client of the customer namespace `namespace` (as typed), or `UnknownNamespace`.
async fn customer(tenants: &Authn, namespace: &str) -> Result<Authn, SupportError> {
    tenants.for_namespace(namespace.trim()).await.map_err(|e| {
        if e.is_client_error() {
            SupportError::UnknownNamespace
        } else {
            SupportError::from(e)
        }
    })
}

/// A namespace as the operator console lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceSummary {
    pub namespace: String,
    pub users: i64,
    /// Whether its users are mailed when support (or an admin) starts working as them.
    pub notifies_users: bool,
    /// Whether support access needs its admins' approval.
    pub needs_approval: bool,
}

/// Every namespace with users, with its user count, whether its users are told of support
/// access and whether it needs approval (for operators). One short read per namespace, each under that namespace's
/// row-level security.
#[tracing::instrument(skip_all)]
pub async fn namespaces(
    tenants: &Authn,
    operator: &Principal,
) -> Result<Vec<NamespaceSummary>, SupportError> {
    operator.require_operator()?;
    let names = crate::roles::namespaces_in_use(tenants.pool()).await?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let ns = tenants.for_namespace(name.clone()).await?;
        let mut tx = ns.begin().await?;
        let users = tx.get_stats().await?.user_count;
        let notifies_users = crate::admin::impersonation::notify_target(&mut tx).await?;
        let needs_approval = support_requests::needed(&mut tx).await?;
        tx.commit().await?;
        out.push(NamespaceSummary {
            namespace: name,
            users,
            notifies_users,
            needs_approval,
        });
    }
    Ok(out)
}

/// What an operator names to read a customer's users: the organisation and the ticket of the
/// support case (of the configured form), as starting an access does.
#[derive(Clone, Copy, Debug)]
pub struct SupportCase<'a> {
    pub namespace: &'a str,
    pub ticket: &'a str,
}

/// One page of the case's organisation's users whose address contains `email_part` (the admin
/// console's keyset search, served by the trigram index), for an operator with a ticket.
#[tracing::instrument(skip_all)]
pub async fn find_users(
    tenants: &Authn,
    operator: &Principal,
    policy: &SupportPolicy,
    case: SupportCase<'_>,
    email_part: &str,
    after: Option<String>,
) -> Result<crate::admin::users::UserPage, SupportError> {
    operator.require_operator()?;
    policy.ticket(case.ticket)?;
    let ns = customer(tenants, case.namespace).await?;
    let mut tx = ns.begin().await?;
    let page = crate::admin::users::search(
        &mut tx,
        &crate::admin::users::UserQuery {
            email: Some(email_part.to_owned()),
            sort: crate::admin::users::UserSort::EmailAsc,
            after,
            limit: crate::admin::users::PAGE_SIZE,
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(page)
}

/// How many of a user's newest sessions the support view lists.
pub const VIEW_SESSIONS: i64 = 100;

/// How long one `support_user_viewed` event stands for an operator's further views of the
/// same user for the same ticket: a page may ask for the view more than once as it renders, and
/// the trail says who looked at whom, for which case and when, not how often a page asked.
pub const VIEW_EVENT_WINDOW: TimeDelta = TimeDelta::minutes(10);

/// A user's support view (read only): the account, its methods, its newest sessions and
/// recent attempts, for an operator with a ticket. The view is written to the customer's own
/// audit trail (`support_user_viewed`, under the operator's actor, with their address and
/// namespace and the ticket), once per operator, user and ticket in [`VIEW_EVENT_WINDOW`]: what
/// support reads of a customer's people, and why, the customer's admins can see.
#[tracing::instrument(skip_all)]
pub async fn user_view(
    tenants: &Authn,
    operator: &Principal,
    policy: &SupportPolicy,
    case: SupportCase<'_>,
    user_id: Uuid,
    lockout: crate::LockoutPolicy,
    operator_namespace: &str,
) -> Result<crate::admin::user::AccountDetail, SupportError> {
    operator.require_operator()?;
    let ticket = policy.ticket(case.ticket)?;
    let ns = customer(tenants, case.namespace).await?;
    let detail =
        crate::admin::user::detail(&ns, user_id, VIEW_SESSIONS, lockout, operator_namespace)
            .await?;
    // Serialised per operator and user, so that two requests at once write one event.
    let mut tx = ns
        .begin_serialised(&format!("support-view/{}/{user_id}", operator.user_id))
        .await?;
    let recent = tx
        .get_audit_events(&authn::AuditQuery {
            limit: 1,
            event_type: Some(vocabulary::EventType::SupportUserViewed.as_str().to_owned()),
            resource_type: Some("user".into()),
            resource_id: Some(user_id.to_string()),
            actor_id: ns.actor().actor_id.clone(),
            since: Some(Utc::now() - VIEW_EVENT_WINDOW),
            ..Default::default()
        })
        .await?;
    let same_case = recent
        .first()
        .and_then(|e| e.new_values.as_ref())
        .and_then(|v| v.get("ticket"))
        .and_then(serde_json::Value::as_str)
        == Some(ticket);
    if !same_case {
        tx.log_event(
            vocabulary::EventType::SupportUserViewed.as_str(),
            "user",
            &user_id.to_string(),
            None,
            Some(serde_json::json!({
                "operator_email": operator.email,
                "operator_namespace": operator.authn.namespace(),
                "ticket": ticket,
            })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(detail)
}

/// Filters of the operator audit log as typed; every one is optional.
#[derive(Clone, Debug, Default)]
pub struct OperatorAuditFilter<'a> {
    /// One of [`vocabulary::OperatorEventType`].
    pub event_type: Option<&'a str>,
    pub target_namespace: Option<&'a str>,
    /// The operator's address, exactly (case-insensitive).
    pub operator_email: Option<&'a str>,
    pub ticket: Option<&'a str>,
    /// `[since, until)`, as the audit browser takes them (`admin::audit::parse_time`).
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
}

/// A checked operator audit filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OperatorAuditSearch {
    event_type: Option<String>,
    target_namespace: Option<String>,
    operator_email: Option<String>,
    ticket: Option<String>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
}

impl OperatorAuditFilter<'_> {
    /// The filter, checked: a known event type, printable text of at most 200 characters, a
    /// valid time range. A bad value is refused, naming the filter.
    pub fn check(&self) -> Result<OperatorAuditSearch, SupportError> {
        use crate::admin::AdminError::InvalidFilter;
        let text = |value: Option<&str>, name: &'static str| {
            let value = value.map(str::trim).filter(|t| !t.is_empty());
            match value {
                Some(v) if v.chars().count() > 200 || v.chars().any(char::is_control) => {
                    Err(SupportError::Lookup(InvalidFilter(name)))
                }
                v => Ok(v.map(str::to_owned)),
            }
        };
        let event_type = text(self.event_type, "event_type")?;
        if event_type
            .as_deref()
            .is_some_and(|t| vocabulary::OperatorEventType::parse(t).is_none())
        {
            return Err(InvalidFilter("event_type").into());
        }
        let (since, until) = crate::admin::audit::parse_range(
            self.since.unwrap_or_default(),
            self.until.unwrap_or_default(),
        )?;
        Ok(OperatorAuditSearch {
            event_type,
            target_namespace: text(self.target_namespace, "target_namespace")?,
            operator_email: text(self.operator_email, "operator")?,
            ticket: text(self.ticket, "ticket")?,
            since,
            until,
        })
    }
}

/// One page (at most `limit`, up to 1000) of the operator audit events matching `search`,
/// newest first, after `after` (the previous page's last event) when given; for operators.
/// Read through the operator pool's keyset function (migration 32), so pages add up to exactly
/// the matching events.
#[tracing::instrument(skip_all)]
pub async fn audit_page(
    operator_pool_client: &Authn,
    operator: &Principal,
    search: &OperatorAuditSearch,
    after: Option<&authn::OperatorAuditEvent>,
    limit: i32,
) -> Result<Vec<authn::OperatorAuditEvent>, SupportError> {
    operator.require_operator()?;
    let mut tx = operator_pool_client.begin().await?;
    let events = sqlx::query_as(
        "SELECT * FROM gatehouse.operator_audit_page($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&search.event_type)
    .bind(&search.target_namespace)
    .bind(&search.operator_email)
    .bind(&search.ticket)
    .bind(search.since)
    .bind(search.until)
    .bind(after.map(|e| e.occurred_at))
    .bind(after.map(|e| e.event_id))
    .bind(limit.clamp(1, 1000))
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(events)
}

/// The newest operator audit events (at most 500, the log page's length) matching `filter`.
#[tracing::instrument(skip_all)]
pub async fn audit(
    operator_pool_client: &Authn,
    operator: &Principal,
    filter: &OperatorAuditFilter<'_>,
) -> Result<Vec<authn::OperatorAuditEvent>, SupportError> {
    operator.require_operator()?;
    let search = filter.check()?;
    audit_page(operator_pool_client, operator, &search, None, 500).await
}

/// The columns of an operator audit export, in order.
pub const OPERATOR_CSV_HEADER: &str = "event_id,occurred_at,event_type,operator_namespace,operator_email,target_namespace,target_user_email,ticket_reference,reason,ip_address,user_agent,details\r\n";

/// One operator audit event as a CSV record (as the namespace export writes them).
pub fn operator_csv_record(e: &authn::OperatorAuditEvent) -> String {
    let cells = [
        e.event_id.to_string(),
        e.occurred_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        e.event_type.clone(),
        e.operator_namespace.clone(),
        e.operator_email.clone(),
        e.target_namespace.clone(),
        e.target_user_email.clone(),
        e.ticket_reference.clone().unwrap_or_default(),
        e.reason.clone(),
        e.ip_address.map(|ip| ip.to_string()).unwrap_or_default(),
        e.user_agent.clone().unwrap_or_default(),
        e.details
            .as_ref()
            .map(|d| d.to_string())
            .unwrap_or_default(),
    ];
    let mut out = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&crate::admin::audit::csv_cell(cell));
    }
    out.push_str("\r\n");
    out
}
