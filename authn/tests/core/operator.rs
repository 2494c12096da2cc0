//! Spec §10.14 operator (cross-namespace) impersonation.

use chrono::{TimeDelta, Utc};
use uuid::Uuid;

use authn::{
    Authn, NewSession, OperatorAuditQuery, StartImpersonation, StartOperatorImpersonation,
};

use crate::harness::*;

struct Scene {
    t: Ctx,
    platform: Authn,
    op: Uuid,
    op_sid: Uuid,
    target: Uuid,
}

async fn scene() -> Scene {
    let t = ctx().await;
    let platform = t.other_namespace().await;
    let op = platform.create_user("op@platform.com", None).await.unwrap();
    let op_sid = platform
        .create_session(NewSession::new(op, &token()))
        .await
        .unwrap();
    let target = t.user("customer@example.com").await;
    Scene {
        t,
        platform,
        op,
        op_sid,
        target,
    }
}

fn start<'a>(
    s: &'a Scene,
    target: Uuid,
    ns: &'a str,
    tok: &'a str,
) -> StartOperatorImpersonation<'a> {
    StartOperatorImpersonation {
        operator_session_id: s.op_sid,
        target_user_id: target,
        target_namespace: ns,
        token_hash: tok,
        reason: "  customer asked for help  ",
        duration: None,
        ticket_reference: Some(" ZENDESK-12345 "),
    }
}

#[tokio::test]
async fn c214_c215_c222_c223_c233_c234_start() {
    let s = scene().await;
    let before = s.t.audit_count().await;
    let tok = token();
    let imp = s
        .platform
        .start_operator_impersonation(start(&s, s.target, &s.t.ns, &tok))
        .await
        .unwrap();
    assert!(
        (imp.expires_at - (Utc::now() + TimeDelta::minutes(30)))
            .num_seconds()
            .abs()
            < 60
    );
    let sessions = s.t.authn.list_sessions(s.target).await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].session_id, imp.impersonation_session_id);
    assert_eq!(
        sessions[0].user_agent.as_deref(),
        Some("operator_impersonation")
    );
    assert_eq!(
        s.t.audit_count().await,
        before,
        "234: nothing in audit_events"
    );
    let ev = s
        .platform
        .get_operator_audit_events(&OperatorAuditQuery {
            target_namespace: Some(&s.t.ns),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(ev.len(), 1);
    let e = &ev[0];
    assert_eq!(e.event_type, "operator_impersonation_started");
    assert_eq!(
        (
            e.operator_namespace.as_str(),
            e.operator_id,
            e.operator_email.as_str()
        ),
        (s.platform.namespace(), s.op, "op@platform.com")
    );
    assert_eq!(
        (
            e.target_namespace.as_str(),
            e.target_user_id,
            e.target_user_email.as_str()
        ),
        (s.t.ns.as_str(), s.target, "customer@example.com")
    );
    assert_eq!(e.reason, "customer asked for help");
    assert_eq!(e.ticket_reference.as_deref(), Some("ZENDESK-12345"));
    let d = e.details.clone().unwrap();
    assert_eq!(
        d["impersonation_id"],
        serde_json::json!(imp.impersonation_id.to_string())
    );
    assert_eq!(d["duration"], serde_json::json!("00:30:00"));
    // 233: blank ticket becomes NULL.
    let other = s.t.user("other@example.com").await;
    let imp2 = s
        .platform
        .start_operator_impersonation(StartOperatorImpersonation {
            ticket_reference: Some("   "),
            ..start(&s, other, &s.t.ns, &token())
        })
        .await
        .unwrap();
    let hist = s
        .platform
        .list_operator_impersonations_for_target(&s.t.ns, None, Some(other))
        .await
        .unwrap();
    assert_eq!(hist[0].impersonation_id, imp2.impersonation_id);
    assert!(hist[0].ticket_reference.is_none());
}

#[tokio::test]
async fn c216_c217_c218_c219_c220_c221_refusals() {
    let s = scene().await;
    for reason in ["", "   "] {
        let err = s
            .platform
            .start_operator_impersonation(StartOperatorImpersonation {
                reason,
                ..start(&s, s.target, &s.t.ns, &token())
            })
            .await
            .unwrap_err();
        assert_eq!(sqlstate(&err), "22004");
    }
    let err = s
        .platform
        .start_operator_impersonation(start(&s, s.op, s.platform.namespace(), &token()))
        .await
        .unwrap_err();
    assert!(err.message().to_lowercase().contains("yourself"));
    let imp = s
        .platform
        .start_operator_impersonation(start(&s, s.target, &s.t.ns, &token()))
        .await
        .unwrap();
    let bystander = s.t.user("bystander@example.com").await;
    let err = s
        .platform
        .start_operator_impersonation(StartOperatorImpersonation {
            operator_session_id: imp.impersonation_session_id,
            ..start(&s, bystander, &s.t.ns, &token())
        })
        .await
        .unwrap_err();
    assert!(err
        .message()
        .contains("Cannot start operator impersonation from an impersonation session"));
    // 219: from a tenant-local impersonation session.
    let admin = s.t.user("admin@example.com").await;
    let (admin_sid, _) = s.t.session(admin).await;
    let local =
        s.t.authn
            .start_impersonation(StartImpersonation {
                actor_session_id: admin_sid,
                target_user_id: s.target,
                reason: "r",
                token_hash: &token(),
                duration: None,
            })
            .await
            .unwrap();
    let err = s
        .platform
        .start_operator_impersonation(StartOperatorImpersonation {
            operator_session_id: local.impersonation_session_id,
            ..start(&s, admin, &s.t.ns, &token())
        })
        .await
        .unwrap_err();
    assert!(err.message().contains("from an impersonation session"));
    let err = s
        .platform
        .start_operator_impersonation(StartOperatorImpersonation {
            operator_session_id: Uuid::new_v4(),
            ..start(&s, s.target, &s.t.ns, &token())
        })
        .await
        .unwrap_err();
    assert!(err
        .message()
        .contains("Operator session not found or invalid"));
    let disabled = s.t.user("disabled@example.com").await;
    s.t.authn.disable_user(disabled).await.unwrap();
    let err = s
        .platform
        .start_operator_impersonation(start(&s, disabled, &s.t.ns, &token()))
        .await
        .unwrap_err();
    assert!(err.message().contains("Target user not found or disabled"));
    let t15 = s
        .platform
        .start_operator_impersonation(StartOperatorImpersonation {
            duration: Some(TimeDelta::minutes(15)),
            ..start(&s, s.target, &s.t.ns, &token())
        })
        .await
        .unwrap();
    assert!(
        (t15.expires_at - (Utc::now() + TimeDelta::minutes(15)))
            .num_seconds()
            .abs()
            < 60
    );
    let err = s
        .platform
        .start_operator_impersonation(StartOperatorImpersonation {
            duration: Some(TimeDelta::hours(5)),
            ..start(&s, s.target, &s.t.ns, &token())
        })
        .await
        .unwrap_err();
    assert!(err.message().contains("exceed") || err.message().contains("maximum"));
    let err = s
        .platform
        .start_operator_impersonation(StartOperatorImpersonation {
            duration: Some(TimeDelta::zero()),
            ..start(&s, s.target, &s.t.ns, &token())
        })
        .await
        .unwrap_err();
    assert!(err.message().contains("positive"));
}

#[tokio::test]
async fn c224_c225_end() {
    let s = scene().await;
    let imp = s
        .platform
        .start_operator_impersonation(start(&s, s.target, &s.t.ns, &token()))
        .await
        .unwrap();
    assert_eq!(s.t.authn.list_sessions(s.target).await.unwrap().len(), 1);
    assert!(s
        .platform
        .end_operator_impersonation(imp.impersonation_id)
        .await
        .unwrap());
    assert_eq!(s.t.authn.list_sessions(s.target).await.unwrap().len(), 0);
    assert!(!s
        .platform
        .end_operator_impersonation(imp.impersonation_id)
        .await
        .unwrap());
    assert!(!s
        .platform
        .end_operator_impersonation(Uuid::new_v4())
        .await
        .unwrap());
    let ended = s
        .platform
        .get_operator_audit_events(&OperatorAuditQuery {
            event_type: Some("operator_impersonation_ended"),
            target_namespace: Some(&s.t.ns),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(ended.len(), 1);
    let d = ended[0].details.clone().unwrap();
    assert_eq!(
        d["impersonation_id"],
        serde_json::json!(imp.impersonation_id.to_string())
    );
    assert_eq!(d["was_expired"], serde_json::json!(false));
}

/// Any operator may end any running access: the trail says who ended it (the acting client's
/// actor), with the request id and address of that request, beside the operator who started it.
#[tokio::test]
async fn the_end_of_an_access_names_who_ended_it_and_the_request() {
    let s = scene().await;
    let imp = s
        .platform
        .start_operator_impersonation(start(&s, s.target, &s.t.ns, &token()))
        .await
        .unwrap();
    let ender = format!("user:{}", Uuid::new_v4());
    let other_operator = s.platform.with_actor(authn::Actor {
        request_id: Some("req-ended-by-b".into()),
        ip_address: Some("192.0.2.7".parse().unwrap()),
        ..authn::Actor::id(ender.clone())
    });
    assert!(other_operator
        .end_operator_impersonation(imp.impersonation_id)
        .await
        .unwrap());
    let events = s
        .platform
        .get_operator_audit_events(&OperatorAuditQuery {
            target_namespace: Some(&s.t.ns),
            ..Default::default()
        })
        .await
        .unwrap();
    let ended = events
        .iter()
        .find(|e| e.event_type == "operator_impersonation_ended")
        .unwrap();
    let details = ended.details.clone().unwrap();
    assert_eq!(details["actor_id"], serde_json::json!(ender));
    assert_eq!(details["request_id"], serde_json::json!("req-ended-by-b"));
    assert_eq!(
        details["impersonation_id"],
        serde_json::json!(imp.impersonation_id.to_string())
    );
    assert_eq!(ended.ip_address, Some("192.0.2.7".parse().unwrap()));
    // A client that set no actor adds nothing.
    let started = events
        .iter()
        .find(|e| e.event_type == "operator_impersonation_started")
        .unwrap();
    let details = started.details.clone().unwrap();
    assert!(details.get("actor_id").is_none() && details.get("request_id").is_none());
}

#[tokio::test]
async fn c226_c227_c232_context() {
    let s = scene().await;
    let tok = token();
    let imp = s
        .platform
        .start_operator_impersonation(start(&s, s.target, &s.t.ns, &tok))
        .await
        .unwrap();
    let c = s
        .platform
        .get_operator_impersonation_context(imp.impersonation_session_id)
        .await
        .unwrap();
    assert!(c.is_operator_impersonating);
    assert_eq!(
        (
            c.operator_id,
            c.operator_email.as_deref(),
            c.operator_namespace.as_deref()
        ),
        (
            Some(s.op),
            Some("op@platform.com"),
            Some(s.platform.namespace())
        )
    );
    assert_eq!(
        (
            c.target_user_id,
            c.target_user_email.as_deref(),
            c.target_namespace.as_deref()
        ),
        (
            Some(s.target),
            Some("customer@example.com"),
            Some(s.t.ns.as_str())
        )
    );
    assert_eq!(
        (c.reason.as_deref(), c.ticket_reference.as_deref()),
        (Some("customer asked for help"), Some("ZENDESK-12345"))
    );
    assert!(
        !s.platform
            .get_operator_impersonation_context(s.op_sid)
            .await
            .unwrap()
            .is_operator_impersonating
    );
    // 232: in the target namespace it validates as the target's ordinary session, no context.
    let mut client = s.t.authn.clone();
    let v = client.validate_session(&tok).await.unwrap().unwrap();
    assert_eq!((v.user_id, v.is_impersonating), (s.target, false));
    assert!(client.actor().is_empty());
    assert!(
        !s.t.authn
            .get_impersonation_context(imp.impersonation_session_id)
            .await
            .unwrap()
            .is_impersonating
    );
    // D13: operator disabled → context false and the token no longer validates.
    s.platform.disable_user(s.op).await.unwrap();
    assert!(
        !s.platform
            .get_operator_impersonation_context(imp.impersonation_session_id)
            .await
            .unwrap()
            .is_operator_impersonating
    );
    assert!(client.validate_session(&tok).await.unwrap().is_none());
    s.platform.enable_user(s.op).await.unwrap();
    assert!(
        s.platform
            .get_operator_impersonation_context(imp.impersonation_session_id)
            .await
            .unwrap()
            .is_operator_impersonating
    );
    // Target disabled (by disable_user, and D13: by a direct update too).
    let op_sid = s
        .platform
        .create_session(NewSession::new(s.op, &token()))
        .await
        .unwrap();
    let other = s.t.user("other@example.com").await;
    let imp2 = s
        .platform
        .start_operator_impersonation(StartOperatorImpersonation {
            operator_session_id: op_sid,
            ..start(&s, other, &s.t.ns, &token())
        })
        .await
        .unwrap();
    s.t.sql(&format!(
        "UPDATE authn.users SET disabled_at = now() WHERE id = '{other}'"
    ))
    .await;
    assert!(
        !s.platform
            .get_operator_impersonation_context(imp2.impersonation_session_id)
            .await
            .unwrap()
            .is_operator_impersonating
    );
    s.t.authn.disable_user(s.target).await.unwrap();
    assert!(
        !s.platform
            .get_operator_impersonation_context(imp.impersonation_session_id)
            .await
            .unwrap()
            .is_operator_impersonating
    );
    // Ended.
    let op_sid = s
        .platform
        .create_session(NewSession::new(s.op, &token()))
        .await
        .unwrap();
    let third = s.t.user("third@example.com").await;
    let imp3 = s
        .platform
        .start_operator_impersonation(StartOperatorImpersonation {
            operator_session_id: op_sid,
            ..start(&s, third, &s.t.ns, &token())
        })
        .await
        .unwrap();
    s.platform
        .end_operator_impersonation(imp3.impersonation_id)
        .await
        .unwrap();
    assert!(
        !s.platform
            .get_operator_impersonation_context(imp3.impersonation_session_id)
            .await
            .unwrap()
            .is_operator_impersonating
    );
}

#[tokio::test]
async fn c228_c229_c230_c231_listings() {
    let s = scene().await;
    let customer2 = s.t.other_namespace().await;
    let t2 = s.t.user("second@example.com").await;
    let c2 = customer2
        .create_user("elsewhere@example.com", None)
        .await
        .unwrap();
    let a = s
        .platform
        .start_operator_impersonation(start(&s, s.target, &s.t.ns, &token()))
        .await
        .unwrap();
    let b = s
        .platform
        .start_operator_impersonation(start(&s, t2, &s.t.ns, &token()))
        .await
        .unwrap();
    s.platform
        .end_operator_impersonation(a.impersonation_id)
        .await
        .unwrap();
    let for_target = s
        .platform
        .list_operator_impersonations_for_target(&s.t.ns, None, None)
        .await
        .unwrap();
    assert_eq!(for_target.len(), 2);
    assert_eq!(for_target.iter().filter(|r| r.is_active).count(), 1);
    assert!(for_target
        .iter()
        .find(|r| r.impersonation_id == a.impersonation_id)
        .unwrap()
        .ended_at
        .is_some());
    let one = s
        .platform
        .list_operator_impersonations_for_target(&s.t.ns, Some(10), Some(t2))
        .await
        .unwrap();
    assert_eq!(
        (one.len(), one[0].impersonation_id),
        (1, b.impersonation_id)
    );
    s.platform
        .start_operator_impersonation(start(&s, c2, customer2.namespace(), &token()))
        .await
        .unwrap();
    let mine = s
        .platform
        .list_operator_impersonations_by_operator(s.op, s.platform.namespace(), None)
        .await
        .unwrap();
    let mut namespaces: Vec<_> = mine.iter().map(|r| r.target_namespace.clone()).collect();
    namespaces.sort();
    namespaces.dedup();
    assert_eq!(namespaces.len(), 2);
    let active = s
        .platform
        .list_active_operator_impersonations(Some(1000))
        .await
        .unwrap();
    assert!(active
        .iter()
        .any(|r| r.impersonation_id == b.impersonation_id));
    assert!(!active
        .iter()
        .any(|r| r.impersonation_id == a.impersonation_id));
    let started = s
        .platform
        .get_operator_audit_events(&OperatorAuditQuery {
            event_type: Some("operator_impersonation_started"),
            target_namespace: Some(customer2.namespace()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].target_namespace, customer2.namespace());
    let by_type = |ty: &'static str| {
        let p = s.platform.clone();
        let ns = s.t.ns.clone();
        async move {
            p.get_operator_audit_events(&OperatorAuditQuery {
                event_type: Some(ty),
                target_namespace: Some(&ns),
                ..Default::default()
            })
            .await
            .unwrap()
            .len()
        }
    };
    assert_eq!(by_type("operator_impersonation_started").await, 2);
    assert_eq!(by_type("operator_impersonation_ended").await, 1);
}
