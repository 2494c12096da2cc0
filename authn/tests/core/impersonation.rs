//! Spec §10.13 tenant-local impersonation.

use chrono::{TimeDelta, Utc};
use sqlx::{Acquire, Row};
use uuid::Uuid;

use authn::{StartImpersonation, StartOperatorImpersonation};

use crate::harness::*;

struct Scene {
    t: Ctx,
    admin: Uuid,
    admin_sid: Uuid,
    target: Uuid,
}

async fn scene() -> Scene {
    let t = ctx().await;
    let admin = t.user("admin@example.com").await;
    let target = t.user("target@example.com").await;
    let (admin_sid, _) = t.session(admin).await;
    Scene {
        t,
        admin,
        admin_sid,
        target,
    }
}

fn start<'a>(
    actor_session_id: Uuid,
    target_user_id: Uuid,
    reason: &'a str,
    token_hash: &'a str,
) -> StartImpersonation<'a> {
    StartImpersonation {
        actor_session_id,
        target_user_id,
        reason,
        token_hash,
        duration: None,
    }
}

#[tokio::test]
async fn c183_c184_c195_c210_c211_start() {
    let s = scene().await;
    let tok = token();
    let imp =
        s.t.authn
            .start_impersonation(start(s.admin_sid, s.target, "  Ticket #42  ", &tok))
            .await
            .unwrap();
    assert!(
        (imp.expires_at - (Utc::now() + TimeDelta::hours(1)))
            .num_seconds()
            .abs()
            < 60
    );
    let sessions = s.t.authn.list_sessions(s.target).await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].session_id, imp.impersonation_session_id);
    assert_eq!(sessions[0].user_agent.as_deref(), Some("impersonation"));
    assert!(sessions[0].ip_address.is_none());
    assert_eq!(sessions[0].expires_at, imp.expires_at);
    assert!(s
        .t
        .events("session_created")
        .await
        .iter()
        .all(|e| e.resource_id != imp.impersonation_session_id.to_string()));
    let ev = s.t.events("impersonation_started").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(
        (ev[0].resource_type.as_str(), ev[0].resource_id.clone()),
        ("impersonation", imp.impersonation_id.to_string())
    );
    let nv = ev[0].new_values.clone().unwrap();
    assert_eq!(nv["actor_id"], serde_json::json!(s.admin));
    assert_eq!(nv["target_user_id"], serde_json::json!(s.target));
    assert_eq!(nv["reason"], serde_json::json!("Ticket #42"));
    assert_eq!(nv["duration"], serde_json::json!("01:00:00"));
    assert_eq!(nv["actor_email"], serde_json::json!("admin@example.com"));
    assert_eq!(
        nv["impersonation_session_id"],
        serde_json::json!(imp.impersonation_session_id)
    );
}

#[tokio::test]
async fn c185_c186_c189_c190_c194_refusals() {
    let s = scene().await;
    for reason in ["", "   "] {
        let err =
            s.t.authn
                .start_impersonation(start(s.admin_sid, s.target, reason, &token()))
                .await
                .unwrap_err();
        assert_eq!(sqlstate(&err), "22004");
    }
    let err =
        s.t.authn
            .start_impersonation(start(s.admin_sid, s.admin, "r", &token()))
            .await
            .unwrap_err();
    assert!(err.message().to_lowercase().contains("yourself"));
    let err =
        s.t.authn
            .start_impersonation(start(Uuid::new_v4(), s.target, "r", &token()))
            .await
            .unwrap_err();
    assert!(err.message().contains("Actor session"));
    let disabled = s.t.user("disabled@example.com").await;
    s.t.authn.disable_user(disabled).await.unwrap();
    let err =
        s.t.authn
            .start_impersonation(start(s.admin_sid, disabled, "r", &token()))
            .await
            .unwrap_err();
    assert!(err.message().contains("Target user not found or disabled"));
    // 194: a revoked actor session, and one whose user is disabled.
    let (rev_sid, rev_tok) = s.t.session(s.admin).await;
    s.t.authn.revoke_session(&rev_tok).await.unwrap();
    let err =
        s.t.authn
            .start_impersonation(start(rev_sid, s.target, "r", &token()))
            .await
            .unwrap_err();
    assert!(err.message().contains("Actor session"));
    let admin2 = s.t.user("admin2@example.com").await;
    let (a2_sid, _) = s.t.session(admin2).await;
    s.t.sql(&format!(
        "UPDATE authn.users SET disabled_at = now() WHERE id = '{admin2}'"
    ))
    .await;
    let err =
        s.t.authn
            .start_impersonation(start(a2_sid, s.target, "r", &token()))
            .await
            .unwrap_err();
    assert!(err.message().contains("Actor session"));
    assert_eq!(sqlstate(&err), "22023");
    assert!(
        s.t.authn
            .list_impersonation_history(None, None, None)
            .await
            .unwrap()
            .is_empty(),
        "nothing written"
    );
}

#[tokio::test]
async fn c187_c188_no_chaining() {
    let s = scene().await;
    let other = s.t.user("other@example.com").await;
    let imp =
        s.t.authn
            .start_impersonation(start(s.admin_sid, s.target, "r", &token()))
            .await
            .unwrap();
    let err =
        s.t.authn
            .start_impersonation(start(imp.impersonation_session_id, other, "r", &token()))
            .await
            .unwrap_err();
    assert!(err
        .message()
        .contains("Cannot start impersonation from an impersonation session"));
    // 188: from an operator-impersonation session.
    let platform = s.t.other_namespace().await;
    let op = platform.create_user("op@example.com", None).await.unwrap();
    let (op_sid, _) = {
        let tok = token();
        (
            platform
                .create_session(authn::NewSession::new(op, &tok))
                .await
                .unwrap(),
            tok,
        )
    };
    let op_imp = platform
        .start_operator_impersonation(StartOperatorImpersonation {
            operator_session_id: op_sid,
            target_user_id: s.target,
            target_namespace: &s.t.ns,
            token_hash: &token(),
            reason: "support",
            duration: None,
            ticket_reference: None,
        })
        .await
        .unwrap();
    let err =
        s.t.authn
            .start_impersonation(start(op_imp.impersonation_session_id, other, "r", &token()))
            .await
            .unwrap_err();
    assert!(err.message().contains("impersonation session"), "{err}");
}

#[tokio::test]
async fn c191_c192_c193_durations() {
    let s = scene().await;
    let imp =
        s.t.authn
            .start_impersonation(StartImpersonation {
                duration: Some(TimeDelta::minutes(30)),
                ..start(s.admin_sid, s.target, "r", &token())
            })
            .await
            .unwrap();
    assert!(
        (imp.expires_at - (Utc::now() + TimeDelta::minutes(30)))
            .num_seconds()
            .abs()
            < 60
    );
    let err =
        s.t.authn
            .start_impersonation(StartImpersonation {
                duration: Some(TimeDelta::days(1)),
                ..start(s.admin_sid, s.target, "r", &token())
            })
            .await
            .unwrap_err();
    assert!(err.message().contains("exceed") || err.message().contains("maximum"));
    for d in [TimeDelta::zero(), TimeDelta::minutes(-30)] {
        let err =
            s.t.authn
                .start_impersonation(StartImpersonation {
                    duration: Some(d),
                    ..start(s.admin_sid, s.target, "r", &token())
                })
                .await
                .unwrap_err();
        assert!(err.message().contains("positive"), "{err}");
    }
}

#[tokio::test]
async fn c196_c197_c198_c207_c212_end() {
    let s = scene().await;
    let tok = token();
    let imp =
        s.t.authn
            .start_impersonation(start(s.admin_sid, s.target, "r", &tok))
            .await
            .unwrap();
    assert_eq!(s.t.authn.list_sessions(s.target).await.unwrap().len(), 1);
    assert!(s
        .t
        .authn
        .end_impersonation(imp.impersonation_id)
        .await
        .unwrap());
    assert_eq!(s.t.authn.list_sessions(s.target).await.unwrap().len(), 0);
    assert!(!s
        .t
        .authn
        .end_impersonation(imp.impersonation_id)
        .await
        .unwrap());
    assert!(!s.t.authn.end_impersonation(Uuid::new_v4()).await.unwrap());
    let mut a = s.t.authn.clone();
    assert!(a.validate_session(&tok).await.unwrap().is_none());
    let ev = s.t.events("impersonation_ended").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].resource_id, imp.impersonation_id.to_string());
    let old = ev[0].old_values.clone().unwrap();
    assert!(old.get("started_at").is_some());
    assert_eq!(old["was_expired"], serde_json::json!(false));
    let nv = ev[0].new_values.clone().unwrap();
    for key in [
        "actor_id",
        "actor_email",
        "target_user_id",
        "target_email",
        "reason",
        "duration",
    ] {
        assert!(nv.get(key).is_some(), "{key}");
    }
    assert!(
        s.t.events("session_revoked").await.is_empty(),
        "end revokes without a session_revoked event"
    );
}

#[tokio::test]
async fn c199_c200_context() {
    let s = scene().await;
    let imp =
        s.t.authn
            .start_impersonation(start(s.admin_sid, s.target, "why", &token()))
            .await
            .unwrap();
    let c =
        s.t.authn
            .get_impersonation_context(imp.impersonation_session_id)
            .await
            .unwrap();
    assert!(c.is_impersonating);
    assert_eq!(
        (
            c.actor_id,
            c.actor_email.as_deref(),
            c.target_user_id,
            c.reason.as_deref()
        ),
        (
            Some(s.admin),
            Some("admin@example.com"),
            Some(s.target),
            Some("why")
        )
    );
    assert_eq!(c.impersonation_id, Some(imp.impersonation_id));
    let ordinary =
        s.t.authn
            .get_impersonation_context(s.admin_sid)
            .await
            .unwrap();
    assert!(!ordinary.is_impersonating && ordinary.actor_id.is_none());
    assert!(
        !s.t.authn
            .get_impersonation_context(Uuid::new_v4())
            .await
            .unwrap()
            .is_impersonating
    );
    s.t.authn
        .end_impersonation(imp.impersonation_id)
        .await
        .unwrap();
    assert!(
        !s.t.authn
            .get_impersonation_context(imp.impersonation_session_id)
            .await
            .unwrap()
            .is_impersonating
    );
}

/// 200, 201, 203: every way an impersonation stops being live, seen by the context, the
/// active list and the history alike.
#[tokio::test]
async fn c200_c201_c202_c203_liveness() {
    let t = ctx().await;
    let mut cases = Vec::new();
    for case in [
        "running",
        "ended",
        "actor_disabled",
        "session_revoked",
        "target_disabled",
        "target_direct",
    ] {
        let admin = t.user(&format!("admin-{case}@example.com")).await;
        let target = t.user(&format!("target-{case}@example.com")).await;
        let (sid, _) = t.session(admin).await;
        let tok = token();
        let imp = t
            .authn
            .start_impersonation(start(sid, target, case, &tok))
            .await
            .unwrap();
        match case {
            "ended" => assert!(t
                .authn
                .end_impersonation(imp.impersonation_id)
                .await
                .unwrap()),
            "actor_disabled" => assert!(t.authn.disable_user(admin).await.unwrap()),
            "session_revoked" => assert!(t.authn.revoke_session(&tok).await.unwrap()),
            "target_disabled" => assert!(t.authn.disable_user(target).await.unwrap()),
            "target_direct" => {
                t.sql(&format!(
                    "UPDATE authn.users SET disabled_at = now() WHERE id = '{target}'"
                ))
                .await
            }
            _ => {}
        }
        cases.push((case, imp, target));
    }
    let running2_admin = t.user("admin-2@example.com").await;
    let running2_target = t.user("target-2@example.com").await;
    let (sid2, _) = t.session(running2_admin).await;
    t.authn
        .start_impersonation(start(sid2, running2_target, "second", &token()))
        .await
        .unwrap();

    let active = t.authn.list_active_impersonations().await.unwrap();
    let mut emails: Vec<_> = active.iter().map(|a| a.target_email.as_str()).collect();
    emails.sort();
    assert_eq!(
        emails,
        vec!["target-2@example.com", "target-running@example.com"]
    );
    let history = t
        .authn
        .list_impersonation_history(None, None, None)
        .await
        .unwrap();
    assert_eq!(history.len(), 7);
    for (case, imp, _) in &cases {
        let live = *case == "running";
        let ctx = t
            .authn
            .get_impersonation_context(imp.impersonation_session_id)
            .await
            .unwrap();
        assert_eq!(ctx.is_impersonating, live, "context: {case}");
        let row = history
            .iter()
            .find(|h| h.impersonation_id == imp.impersonation_id)
            .unwrap();
        assert_eq!(row.is_active, live, "history: {case}");
        assert_eq!(row.ended_at.is_some(), *case == "ended");
    }
    // 202 in its own words: an ended and a running row, one active.
    let (_, ended, ended_target) = &cases[1];
    let only = t
        .authn
        .list_impersonation_history(Some(10), None, Some(*ended_target))
        .await
        .unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].impersonation_id, ended.impersonation_id);
}

#[tokio::test]
async fn c204_history_filters() {
    let s = scene().await;
    let admin2 = s.t.user("admin2@example.com").await;
    let target2 = s.t.user("target2@example.com").await;
    let (a2_sid, _) = s.t.session(admin2).await;
    s.t.authn
        .start_impersonation(start(s.admin_sid, s.target, "one", &token()))
        .await
        .unwrap();
    s.t.authn
        .start_impersonation(start(a2_sid, target2, "two", &token()))
        .await
        .unwrap();
    let by_actor =
        s.t.authn
            .list_impersonation_history(None, Some(admin2), None)
            .await
            .unwrap();
    assert_eq!(by_actor.len(), 1);
    assert_eq!(by_actor[0].actor_email, "admin2@example.com");
    let by_target =
        s.t.authn
            .list_impersonation_history(None, None, Some(s.target))
            .await
            .unwrap();
    assert_eq!(by_target.len(), 1);
    assert_eq!(by_target[0].target_email, "target@example.com");
    assert_eq!(
        s.t.authn
            .list_impersonation_history(Some(1), None, None)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn c205_c206_c208_c209_validate_session_during_impersonation() {
    let s = scene().await;
    let mut a = s.t.authn.clone();
    let ordinary = {
        let (_, tok) = s.t.session(s.target).await;
        a.validate_session(&tok).await.unwrap().unwrap()
    };
    assert!(!ordinary.is_impersonating);
    assert!(
        ordinary.impersonator_id.is_none()
            && ordinary.impersonator_email.is_none()
            && ordinary.impersonation_reason.is_none()
    );
    let tok = token();
    s.t.authn
        .start_impersonation(start(s.admin_sid, s.target, "support call", &tok))
        .await
        .unwrap();
    let v = a.validate_session(&tok).await.unwrap().unwrap();
    assert_eq!(
        (v.user_id, v.email.as_str()),
        (s.target, "target@example.com")
    );
    assert!(v.is_impersonating);
    assert_eq!(
        (
            v.impersonator_id,
            v.impersonator_email.as_deref(),
            v.impersonation_reason.as_deref()
        ),
        (
            Some(s.admin),
            Some("admin@example.com"),
            Some("support call")
        )
    );
    // 209 at the SQL level: the context is replaced for the rest of the transaction.
    let mut conn = s.t.app.acquire().await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("SELECT authn.set_tenant($1), authn.set_actor('x', 'req-1', '10.0.0.1', 'UA')")
        .bind(&s.t.ns)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("SELECT * FROM authn.validate_session($1, $2)")
        .bind(&tok)
        .bind(&s.t.ns)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let row = sqlx::query(
        "SELECT current_setting('authn.actor_id'), current_setting('authn.on_behalf_of'), current_setting('authn.reason'), \
         current_setting('authn.request_id'), current_setting('authn.ip_address'), current_setting('authn.user_agent')",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let got: Vec<String> = (0..6).map(|i| row.get(i)).collect();
    assert_eq!(
        got,
        vec![
            format!("user:{}", s.admin),
            format!("user:{}", s.target),
            "Impersonation: support call".into(),
            String::new(),
            String::new(),
            String::new()
        ]
    );
    tx.rollback().await.unwrap();
    // D6 in the client: later writes carry the impersonation and keep the request id.
    let mut client = s.t.as_actor(authn::Actor {
        request_id: Some("req-9".into()),
        ..Default::default()
    });
    client.validate_session(&tok).await.unwrap().unwrap();
    client
        .update_email(s.target, "target-new@example.com")
        .await
        .unwrap();
    let ev = &s.t.events("email_updated").await[0];
    assert_eq!(ev.actor_id, Some(format!("user:{}", s.admin)));
    assert_eq!(ev.on_behalf_of, Some(format!("user:{}", s.target)));
    assert_eq!(ev.reason.as_deref(), Some("Impersonation: support call"));
    assert_eq!(ev.request_id.as_deref(), Some("req-9"));
    // 208: the admin disabled → the impersonation token stops validating.
    s.t.authn.disable_user(s.admin).await.unwrap();
    assert!(a.validate_session(&tok).await.unwrap().is_none());
}

#[tokio::test]
async fn c213_deleting_actor_or_target_ends_impersonation() {
    for delete_actor in [true, false] {
        let s = scene().await;
        let tok = token();
        let imp =
            s.t.authn
                .start_impersonation(start(s.admin_sid, s.target, "r", &tok))
                .await
                .unwrap();
        s.t.authn
            .delete_user(if delete_actor { s.admin } else { s.target })
            .await
            .unwrap();
        let rows: i64 =
            sqlx::query_scalar("SELECT count(*) FROM authn.impersonation_sessions WHERE id = $1")
                .bind(imp.impersonation_id)
                .fetch_one(&s.t.admin)
                .await
                .unwrap();
        assert_eq!(rows, 0);
        let mut a = s.t.authn.clone();
        assert!(a.validate_session(&tok).await.unwrap().is_none());
        if delete_actor {
            let revoked: bool = sqlx::query_scalar(
                "SELECT revoked_at IS NOT NULL FROM authn.sessions WHERE id = $1",
            )
            .bind(imp.impersonation_session_id)
            .fetch_one(&s.t.admin)
            .await
            .unwrap();
            assert!(revoked);
        }
    }
}

#[tokio::test]
async fn d7_impersonation_session_cannot_be_extended() {
    let s = scene().await;
    let tok = token();
    s.t.authn
        .start_impersonation(start(s.admin_sid, s.target, "r", &tok))
        .await
        .unwrap();
    assert!(s
        .t
        .authn
        .extend_session(&tok, Some(TimeDelta::days(30)))
        .await
        .unwrap()
        .is_none());
}
