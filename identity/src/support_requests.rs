//! Consent to support access. A namespace may require an admin's approval before platform
//! support works as one of its users (`NamespaceFlag::SupportNeedsApproval`): an operator's
//! start then becomes a request the namespace's admins are mailed about; one of them approves
//! or denies it with a note; an approval lets that operator start that access once within an
//! hour; requests nobody decides lapse after 24 hours. An operator who cannot wait may "break
//! glass": start at once with a second reason, which every admin is mailed.
//!
//! `gatehouse.support_requests` (migration 31, G14) holds them; every change goes through one
//! of its definer functions, which checks it on the core's own rows and writes both audit
//! trails (the namespace's and the operator audit) in the same transaction. The flow of a start
//! is [`crate::support_access::start`]'s; this module is the table's one place.

use authn::{Authn, AuthnTx};
use chrono::{DateTime, TimeDelta, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::caller::Principal;
use crate::email::EmailAddress;
use crate::mail::{outbox, Mail};
use crate::support_access::SupportError;

/// How long a request waits for a decision.
pub const REQUEST_LIFETIME: TimeDelta = TimeDelta::hours(24);

/// How long an approval may be used.
pub const APPROVAL_LIFETIME: TimeDelta = TimeDelta::hours(1);

/// A request (or a break-glass start) as stored.
#[derive(Clone, Debug, FromRow)]
pub struct SupportRequestRecord {
    pub id: Uuid,
    pub namespace: String,
    pub operator_namespace: String,
    pub operator_id: Uuid,
    pub operator_email: String,
    pub target_user_id: Uuid,
    pub target_email: String,
    pub reason: String,
    pub ticket_reference: String,
    pub duration: sqlx::postgres::types::PgInterval,
    pub requested_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub state: String,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<Uuid>,
    pub decided_by_email: Option<String>,
    pub note: Option<String>,
    pub usable_until: Option<DateTime<Utc>>,
    pub used_at: Option<DateTime<Utc>>,
    pub impersonation_id: Option<Uuid>,
    pub break_glass_reason: Option<String>,
}

/// Where a request stands now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestStatus {
    /// Waiting for an admin.
    Pending,
    /// Nobody decided within [`REQUEST_LIFETIME`].
    Lapsed,
    /// Approved and not used yet: the operator may start until then.
    Approved {
        until: DateTime<Utc>,
    },
    /// Approved, but not used within [`APPROVAL_LIFETIME`].
    ApprovalLapsed,
    /// Approved and used for an access.
    Used,
    Denied,
    /// Started without approval, with a second reason.
    BreakGlass,
}

impl SupportRequestRecord {
    pub fn status(&self, now: DateTime<Utc>) -> RequestStatus {
        match self.state.as_str() {
            "pending" if self.expires_at > now => RequestStatus::Pending,
            "pending" => RequestStatus::Lapsed,
            "approved" if self.used_at.is_some() => RequestStatus::Used,
            "approved" => match self.usable_until {
                Some(until) if until > now => RequestStatus::Approved { until },
                _ => RequestStatus::ApprovalLapsed,
            },
            "denied" => RequestStatus::Denied,
            _ => RequestStatus::BreakGlass,
        }
    }

    /// The access asked for, in whole minutes.
    pub fn minutes(&self) -> i64 {
        interval_minutes(&self.duration)
    }
}

fn interval_minutes(i: &sqlx::postgres::types::PgInterval) -> i64 {
    i64::from(i.months) * 30 * 24 * 60 + i64::from(i.days) * 24 * 60 + i.microseconds / 60_000_000
}

/// Whether `tx`'s namespace requires an admin's approval before support access.
pub async fn needed(tx: &mut AuthnTx<'_>) -> Result<bool, sqlx::Error> {
    crate::admin::impersonation::flag(
        tx,
        crate::admin::impersonation::NamespaceFlag::SupportNeedsApproval,
    )
    .await
}

/// Records an operator's request (operator pool, whose client carries the operator's actor and
/// reason) and answers its id. `None`: the core's rows no longer allow it (the operator's
/// session or the target went away meanwhile).
pub(crate) async fn create(
    ops: &Authn,
    operator_session_id: Uuid,
    target_namespace: &str,
    target_user_id: Uuid,
    reason: &str,
    ticket: &str,
    duration: TimeDelta,
) -> Result<Option<Uuid>, SupportError> {
    let mut tx = ops.begin().await?;
    let id: Option<Uuid> = sqlx::query_scalar(
        "SELECT gatehouse.request_support_access($1, $2, $3, $4, $5, make_interval(mins => $6))",
    )
    .bind(operator_session_id)
    .bind(target_namespace)
    .bind(target_user_id)
    .bind(reason)
    .bind(ticket)
    .bind(i32::try_from(duration.num_minutes()).unwrap_or(i32::MAX))
    .fetch_one(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Spends approval `request_id` on the access `impersonation_id` just started in `tx` (of the
/// operator pool). On an error the caller rolls `tx` back, start included.
pub(crate) async fn spend(
    tx: &mut AuthnTx<'_>,
    request_id: Uuid,
    impersonation_id: Uuid,
) -> Result<(), SupportError> {
    let outcome: String = sqlx::query_scalar("SELECT gatehouse.use_support_approval($1, $2)")
        .bind(request_id)
        .bind(impersonation_id)
        .fetch_one(tx.conn())
        .await?;
    match outcome.as_str() {
        "used" => Ok(()),
        "used_before" => Err(SupportError::ApprovalUsed),
        "expired" => Err(SupportError::ApprovalExpired),
        "not_approved" => Err(SupportError::NotApproved),
        // The request is another's or for another access than this one.
        _ => Err(SupportError::RequestNotFound),
    }
}

/// Marks the access `impersonation_id` just started in `tx` (operator pool) as break glass.
pub(crate) async fn mark_break_glass(
    tx: &mut AuthnTx<'_>,
    impersonation_id: Uuid,
    why: &str,
) -> Result<(), SupportError> {
    let id: Option<Uuid> = sqlx::query_scalar("SELECT gatehouse.record_break_glass($1, $2)")
        .bind(impersonation_id)
        .bind(why)
        .fetch_one(tx.conn())
        .await?;
    // The access was started in this very transaction: not finding it is a fault below us.
    id.map(|_| ())
        .ok_or(SupportError::Internal(sqlx::Error::RowNotFound.into()))
}

/// `operator`'s own requests, newest first (operator pool).
#[tracing::instrument(skip_all)]
pub async fn of_operator(
    ops: &Authn,
    operator: &Principal,
    limit: i32,
) -> Result<Vec<SupportRequestRecord>, SupportError> {
    operator.require_operator()?;
    let mut tx = ops.begin().await?;
    let rows = sqlx::query_as("SELECT * FROM gatehouse.support_requests_of_operator($1, $2)")
        .bind(operator.session_id)
        .bind(limit)
        .fetch_all(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(rows)
}

/// One of `operator`'s own requests.
pub(crate) async fn one_of_operator(
    ops: &Authn,
    operator: &Principal,
    request_id: Uuid,
) -> Result<SupportRequestRecord, SupportError> {
    of_operator(ops, operator, 500)
        .await?
        .into_iter()
        .find(|r| r.id == request_id)
        .ok_or(SupportError::RequestNotFound)
}

/// A namespace's side: whether it requires approval, and its requests, newest first.
#[derive(Clone, Debug)]
pub struct NamespaceRequests {
    pub needs_approval: bool,
    pub requests: Vec<SupportRequestRecord>,
}

/// The requests into `admin`'s namespace (its admins only; tenant pool).
#[tracing::instrument(skip_all)]
pub async fn into_namespace(
    admin: &Principal,
    limit: i64,
) -> Result<NamespaceRequests, SupportError> {
    admin.require_admin()?;
    let mut tx = admin.authn.begin().await?;
    let needs_approval = needed(&mut tx).await?;
    let (conn, namespace) = tx.parts();
    let requests = sqlx::query_as(
        "SELECT * FROM gatehouse.support_requests WHERE namespace = $1 \
          ORDER BY requested_at DESC LIMIT $2",
    )
    .bind(namespace)
    .bind(limit.clamp(1, 500))
    .fetch_all(conn)
    .await?;
    tx.commit().await?;
    Ok(NamespaceRequests {
        needs_approval,
        requests,
    })
}

/// An admin's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
}

/// `admin` approves or denies request `request_id` of their namespace, with an optional note
/// (`Reason::optional`) the operator and both audit trails see. Refused for
/// somebody who is not an admin of the namespace in a session of their own, for the
/// operator's own request (by account or address), and for a request already decided or
/// lapsed.
#[tracing::instrument(skip_all)]
pub async fn decide(
    admin: &Principal,
    request_id: Uuid,
    decision: Decision,
    note: Option<&crate::admin::Reason>,
) -> Result<(), SupportError> {
    admin.require_admin()?;
    let mut tx = admin.authn.begin().await?;
    let outcome: String =
        sqlx::query_scalar("SELECT gatehouse.decide_support_request($1, $2, $3, $4)")
            .bind(request_id)
            .bind(admin.session_id)
            .bind(decision == Decision::Approve)
            .bind(note.map(|n| n.as_str()))
            .fetch_one(tx.conn())
            .await?;
    let result = match outcome.as_str() {
        "approved" | "denied" => Ok(()),
        "own_request" => Err(SupportError::OwnRequest),
        "decided" => Err(SupportError::AlreadyDecided),
        "expired" => Err(SupportError::RequestLapsed),
        "not_admin" => Err(crate::caller::AccessError::Forbidden.into()),
        _ => Err(SupportError::RequestNotFound),
    };
    if result.is_ok() {
        tx.commit().await?;
    }
    result
}

/// The addresses of the admins of `tx`'s namespace whose accounts are enabled.
pub(crate) async fn admin_addresses(tx: &mut AuthnTx<'_>) -> Result<Vec<String>, SupportError> {
    let ids = crate::roles::admin_ids(tx).await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(user) = tx.get_user(id).await? {
            if user.disabled_at.is_none() {
                out.push(user.email);
            }
        }
    }
    Ok(out)
}

/// Queues `mail(address)` to every admin in `addresses` in `tx`.
pub(crate) async fn mail_admins(
    tx: &mut AuthnTx<'_>,
    addresses: &[String],
    keys: &crate::SecretBox,
    mail: impl Fn(&str) -> Mail,
) -> Result<(), SupportError> {
    for address in addresses {
        // Stored addresses are valid; skip rather than fail on one that is not.
        if EmailAddress::parse(address).is_ok() {
            outbox::enqueue(tx, &mail(address), keys).await?;
        }
    }
    Ok(())
}
