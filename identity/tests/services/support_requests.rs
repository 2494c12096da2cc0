//! Consent to support access (issue 11.6) against the real core, with the server's two roles:
//! a namespace that requires approval turns a start into a request; its admins decide; an
//! approval is good once, within its hour; break glass starts at once and is marked.

use chrono::TimeDelta;
use identity::admin::impersonation::{set_flag, NamespaceFlag};
use identity::admin::Reason;
use identity::caller::{AccessError, Principal};
use identity::support_access::{self, Consent, Outcome, SupportError};
use identity::support_requests::{self, Decision, RequestStatus};
use uuid::Uuid;

use crate::support_access::{setup, Platform};

async fn require_approval(p: &Platform) {
    assert!(
        set_flag(&p.customer, NamespaceFlag::SupportNeedsApproval, true)
            .await
            .unwrap()
    );
}

async fn ask(p: &Platform, operator: &Principal, email: &str, ticket: &str) -> Uuid {
    match p
        .start_with(operator, email, ticket, Consent::Ask)
        .await
        .unwrap()
    {
        Outcome::Requested { request_id } => request_id,
        Outcome::Started(_) => panic!("started without approval"),
    }
}

/// The event types of both audit trails for the customer namespace, oldest first.
async fn trails(p: &Platform) -> (Vec<String>, Vec<String>) {
    let namespace: Vec<String> = sqlx::query_scalar(
        "SELECT event_type FROM authn.audit_events \
          WHERE namespace = $1 AND event_type LIKE 'support_access_%' ORDER BY event_time, id",
    )
    .bind(p.customer.namespace())
    .fetch_all(&p.superuser)
    .await
    .unwrap();
    let mut operator: Vec<String> = p
        .operators_pool
        .get_operator_audit_events(&authn::OperatorAuditQuery {
            target_namespace: Some(p.customer.namespace()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    operator.reverse();
    (namespace, operator)
}

async fn subjects_to(p: &Platform, recipient: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT subject FROM gatehouse.mail_outbox WHERE recipient = $1 ORDER BY id")
        .bind(recipient)
        .fetch_all(&p.superuser)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_start_becomes_a_request_an_admin_approves_once() {
    let p = setup().await;
    let (operator, _) = p.operator().await;
    let admin = p
        .signed_in(&p.customer, "admin@customer.example", true)
        .await;
    let member = p
        .signed_in(&p.customer, "member@customer.example", false)
        .await;
    require_approval(&p).await;

    // The start asks instead; nothing runs, the admins are mailed, the member is not (yet).
    let request = ask(&p, &operator, "member@customer.example", "SUP-40").await;
    assert!(support_access::running(&p.operators_pool, &operator)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        subjects_to(&p, "admin@customer.example").await,
        vec!["Platform support asks to sign in as one of your users".to_owned()]
    );
    assert!(subjects_to(&p, "member@customer.example").await.is_empty());
    let mine = support_requests::of_operator(&p.operators_pool, &operator, 10)
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].status(chrono::Utc::now()), RequestStatus::Pending);
    assert_eq!(mine[0].minutes(), 20);
    // Not startable before an approval.
    assert!(matches!(
        support_access::start_approved(p.context(), &operator, request).await,
        Err(SupportError::NotApproved)
    ));

    // Only an admin decides; a member gets nothing.
    assert!(matches!(
        support_requests::decide(&member, request, Decision::Approve, None).await,
        Err(SupportError::Access(AccessError::Forbidden))
    ));
    let seen = support_requests::into_namespace(&admin, 10).await.unwrap();
    assert!(seen.needs_approval);
    assert_eq!(seen.requests.len(), 1);
    let note = Reason::optional("ok for this ticket only").unwrap();
    support_requests::decide(&admin, request, Decision::Approve, note.as_ref())
        .await
        .unwrap();
    assert!(matches!(
        support_requests::decide(&admin, request, Decision::Deny, None).await,
        Err(SupportError::AlreadyDecided)
    ));

    // The approval starts exactly what was asked, once.
    let started = support_access::start_approved(p.context(), &operator, request)
        .await
        .unwrap();
    let access = p.resolve(&p.customer, &started.token).await.unwrap();
    assert_eq!(access.user_id, member.user_id);
    let left = started.expires_at - chrono::Utc::now();
    assert!(left > TimeDelta::minutes(19) && left <= TimeDelta::minutes(20));
    support_access::end(&p.operators_pool, &operator, started.impersonation_id)
        .await
        .unwrap();
    assert!(matches!(
        support_access::start_approved(p.context(), &operator, request).await,
        Err(SupportError::ApprovalUsed)
    ));

    // Both trails have the request and the approval.
    let (namespace, operator_trail) = trails(&p).await;
    assert_eq!(
        namespace,
        vec!["support_access_requested", "support_access_approved"]
    );
    assert!(operator_trail.starts_with(&[
        "support_access_requested".to_owned(),
        "support_access_approved".to_owned(),
        "operator_impersonation_started".to_owned(),
    ]));
}

#[tokio::test]
async fn denied_lapsed_and_stale_approvals_start_nothing() {
    let p = setup().await;
    let (operator, _) = p.operator().await;
    let admin = p
        .signed_in(&p.customer, "admin@customer.example", true)
        .await;
    p.signed_in(&p.customer, "member@customer.example", false)
        .await;
    require_approval(&p).await;

    let denied = ask(&p, &operator, "member@customer.example", "SUP-50").await;
    let note = Reason::optional("use the screen share instead").unwrap();
    support_requests::decide(&admin, denied, Decision::Deny, note.as_ref())
        .await
        .unwrap();
    assert!(matches!(
        support_access::start_approved(p.context(), &operator, denied).await,
        Err(SupportError::NotApproved)
    ));
    let mine = support_requests::of_operator(&p.operators_pool, &operator, 10)
        .await
        .unwrap();
    assert_eq!(
        mine[0].note.as_deref(),
        Some("use the screen share instead")
    );

    // Undecided for a day: it lapses.
    let lapsed = ask(&p, &operator, "member@customer.example", "SUP-51").await;
    sqlx::query(
        "UPDATE gatehouse.support_requests SET expires_at = now() - interval '1 second' WHERE id = $1",
    )
    .bind(lapsed)
    .execute(&p.superuser)
    .await
    .unwrap();
    assert!(matches!(
        support_requests::decide(&admin, lapsed, Decision::Approve, None).await,
        Err(SupportError::RequestLapsed)
    ));

    // Approved, but not used within the hour.
    let stale = ask(&p, &operator, "member@customer.example", "SUP-52").await;
    support_requests::decide(&admin, stale, Decision::Approve, None)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE gatehouse.support_requests SET usable_until = now() - interval '1 second' WHERE id = $1",
    )
    .bind(stale)
    .execute(&p.superuser)
    .await
    .unwrap();
    assert!(matches!(
        support_access::start_approved(p.context(), &operator, stale).await,
        Err(SupportError::ApprovalExpired)
    ));
    // Another operator's approval, or an unknown id, is nobody's to use.
    assert!(matches!(
        support_access::start_approved(p.context(), &operator, Uuid::new_v4()).await,
        Err(SupportError::RequestNotFound)
    ));
    assert!(support_access::running(&p.operators_pool, &operator)
        .await
        .unwrap()
        .is_empty());
    // The core refuses a spent approval too, even if the application did not look first.
    let mut tx = p.operators_pool.begin().await.unwrap();
    let outcome: String = sqlx::query_scalar("SELECT gatehouse.use_support_approval($1, $2)")
        .bind(denied)
        .bind(Uuid::new_v4())
        .fetch_one(tx.conn())
        .await
        .unwrap();
    assert_eq!(outcome, "not_found");
    tx.rollback().await.unwrap();
}

#[tokio::test]
async fn an_operator_cannot_approve_their_own_request() {
    let p = setup().await;
    let (operator, _) = p.operator().await;
    // The same person as an admin of the customer (same address, another account).
    let twin = p
        .signed_in(&p.customer, "agent@platform.example", true)
        .await;
    p.signed_in(&p.customer, "member@customer.example", false)
        .await;
    require_approval(&p).await;
    let request = ask(&p, &operator, "member@customer.example", "SUP-60").await;
    assert!(matches!(
        support_requests::decide(&twin, request, Decision::Approve, None).await,
        Err(SupportError::OwnRequest)
    ));
    let (namespace, _) = trails(&p).await;
    assert_eq!(namespace, vec!["support_access_requested"]);
}

#[tokio::test]
async fn break_glass_starts_at_once_mails_every_admin_and_is_marked_in_both_trails() {
    let p = setup().await;
    let (operator, _) = p.operator().await;
    let admin = p
        .signed_in(&p.customer, "admin@customer.example", true)
        .await;
    p.signed_in(&p.customer, "second-admin@customer.example", true)
        .await;
    p.signed_in(&p.customer, "member@customer.example", false)
        .await;
    require_approval(&p).await;
    let why = Reason::parse("production outage, the admins are asleep").unwrap();
    let Outcome::Started(started) = p
        .start_with(
            &operator,
            "member@customer.example",
            "SUP-70",
            Consent::BreakGlass(&why),
        )
        .await
        .unwrap()
    else {
        panic!("break glass must start at once");
    };
    assert!(p.resolve(&p.customer, &started.token).await.is_some());
    for to in ["admin@customer.example", "second-admin@customer.example"] {
        assert_eq!(
            subjects_to(&p, to).await,
            vec!["Platform support started without your approval (break glass)".to_owned()],
            "{to}"
        );
    }
    let seen = support_requests::into_namespace(&admin, 10).await.unwrap();
    assert_eq!(seen.requests.len(), 1);
    assert_eq!(
        seen.requests[0].status(chrono::Utc::now()),
        RequestStatus::BreakGlass
    );
    assert_eq!(
        seen.requests[0].break_glass_reason.as_deref(),
        Some("production outage, the admins are asleep")
    );
    let (namespace, mut operator_trail) = trails(&p).await;
    assert_eq!(namespace, vec!["support_access_break_glass"]);
    // Written in one transaction, at one time: their order between them is not defined.
    operator_trail.sort();
    assert_eq!(
        operator_trail,
        vec![
            "operator_impersonation_started",
            "support_access_break_glass"
        ]
    );
}

/// Each side's functions are its own: the tenant role cannot record a request or spend an
/// approval, the operator role cannot decide, and neither writes the table directly.
#[tokio::test]
async fn each_pool_runs_only_its_own_side_of_consent() {
    let p = setup().await;
    let denied = |e: sqlx::Error| {
        e.as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|c| c == "42501")
    };
    let mut tx = p.customer.begin().await.unwrap();
    let err = sqlx::query(
        "SELECT gatehouse.request_support_access($1, 'x', $1, 'long enough reason', 'SUP-1', interval '5 minutes')",
    )
    .bind(Uuid::new_v4())
    .execute(tx.conn())
    .await
    .unwrap_err();
    assert!(denied(err));
    drop(tx);
    let mut tx = p.customer.begin().await.unwrap();
    let err = sqlx::query("UPDATE gatehouse.support_requests SET state = 'approved'")
        .execute(tx.conn())
        .await
        .unwrap_err();
    assert!(denied(err));
    drop(tx);
    let mut tx = p.operators_pool.begin().await.unwrap();
    let err = sqlx::query("SELECT gatehouse.decide_support_request($1, $1, true, NULL)")
        .bind(Uuid::new_v4())
        .execute(tx.conn())
        .await
        .unwrap_err();
    assert!(denied(err));
}

/// The database holds the rule too: the operator role calling the core's start directly into a
/// namespace that requires approval cannot commit it without a spent approval or break glass.
#[tokio::test]
async fn the_database_refuses_an_unapproved_access_where_approval_is_required() {
    let p = setup().await;
    let (operator, _) = p.operator().await;
    let member = p
        .signed_in(&p.customer, "member@customer.example", false)
        .await;
    require_approval(&p).await;
    let token = identity::OpaqueToken::generate();
    let mut tx = p.operators_pool.begin().await.unwrap();
    tx.start_operator_impersonation(authn::StartOperatorImpersonation {
        operator_session_id: operator.session_id,
        target_user_id: member.user_id,
        target_namespace: p.customer.namespace(),
        token_hash: &token.hash(),
        reason: "going around the console",
        duration: Some(TimeDelta::minutes(5)),
        ticket_reference: Some("SUP-80"),
    })
    .await
    .unwrap();
    let refused = tx.commit().await.unwrap_err();
    assert_eq!(refused.sqlstate(), Some("23514"), "{refused:?}");
    assert!(support_access::running(&p.operators_pool, &operator)
        .await
        .unwrap()
        .is_empty());
}
