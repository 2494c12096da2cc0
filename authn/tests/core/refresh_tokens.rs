//! Spec §10.5 refresh tokens, plus concurrent rotation (decision D10).

use chrono::{TimeDelta, Utc};
use uuid::Uuid;

use authn::NewSession;

use crate::harness::*;

#[tokio::test]
async fn c078_c080_c081_c096_c100_create_refresh_token() {
    let t = ctx().await;
    let id = t.user("r@example.com").await;
    let (sid, _) = t.session(id).await;
    let rt = t
        .authn
        .create_refresh_token(sid, "rt-1", None)
        .await
        .unwrap();
    assert!(
        (rt.expires_at - (Utc::now() + TimeDelta::days(30)))
            .num_seconds()
            .abs()
            < 60
    );
    let rt7 = t
        .authn
        .create_refresh_token(sid, "rt-7", Some(TimeDelta::days(7)))
        .await
        .unwrap();
    assert!(
        (rt7.expires_at - (Utc::now() + TimeDelta::days(7)))
            .num_seconds()
            .abs()
            < 60
    );
    assert_ne!(rt.family_id, rt7.family_id);
    let ev = t.events("refresh_token_created").await;
    assert_eq!(ev.len(), 2);
    let nv = ev
        .iter()
        .find(|e| e.resource_id == rt.refresh_token_id.to_string())
        .unwrap()
        .new_values
        .clone()
        .unwrap();
    assert_eq!(nv["user_id"], serde_json::json!(id));
    assert_eq!(nv["session_id"], serde_json::json!(sid));
    assert_eq!(nv["family_id"], serde_json::json!(rt.family_id));
    assert_eq!(
        sqlstate(
            &t.authn
                .create_refresh_token(sid, "rt-1", None)
                .await
                .unwrap_err()
        ),
        "23505"
    );
    // 100: expired session and a session of another namespace.
    let expired = t
        .authn
        .create_session(NewSession {
            expires_in: Some(TimeDelta::seconds(-1)),
            ..NewSession::new(id, &token())
        })
        .await
        .unwrap();
    let err = t
        .authn
        .create_refresh_token(expired, "rt-x", None)
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "22023");
    assert!(err.message().contains("Session not found or invalid"));
    let other = t.other_namespace().await;
    assert_eq!(
        sqlstate(
            &other
                .create_refresh_token(sid, "rt-y", None)
                .await
                .unwrap_err()
        ),
        "22023"
    );
}

#[tokio::test]
async fn c079_create_refresh_token_needs_live_session() {
    let t = ctx().await;
    let id = t.user("r@example.com").await;
    assert_eq!(
        sqlstate(
            &t.authn
                .create_refresh_token(Uuid::new_v4(), "a", None)
                .await
                .unwrap_err()
        ),
        "22023"
    );
    let (sid, tok) = t.session(id).await;
    t.authn.revoke_session(&tok).await.unwrap();
    assert_eq!(
        sqlstate(
            &t.authn
                .create_refresh_token(sid, "a", None)
                .await
                .unwrap_err()
        ),
        "22023"
    );
}

#[tokio::test]
async fn c082_c083_c084_c086_c089_c098_c101_rotation() {
    let t = ctx().await;
    let id = t.user("r@example.com").await;
    let (sid, _) = t.session(id).await;
    let rt = t
        .authn
        .create_refresh_token(sid, "g1", Some(TimeDelta::days(1)))
        .await
        .unwrap();
    let r2 = t
        .authn
        .rotate_refresh_token("g1", "g2", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r2.user_id, r2.session_id, r2.generation, r2.family_id),
        (id, sid, 2, rt.family_id)
    );
    assert!(
        r2.expires_at > rt.expires_at + TimeDelta::days(7),
        "98: fresh lifetime"
    );
    let ev = t.events("refresh_token_rotated").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].resource_id, r2.new_refresh_token_id.to_string());
    assert_eq!(
        ev[0].new_values.as_ref().unwrap()["generation"],
        serde_json::json!(2)
    );
    assert_eq!(
        ev[0].old_values,
        Some(serde_json::json!({"old_token_id": rt.refresh_token_id, "old_generation": 1}))
    );
    let replaced_by: Option<Uuid> =
        sqlx::query_scalar("SELECT replaced_by FROM authn.refresh_tokens WHERE id = $1")
            .bind(rt.refresh_token_id)
            .fetch_one(&t.admin)
            .await
            .unwrap();
    assert_eq!(replaced_by, Some(r2.new_refresh_token_id));
    let r3 = t
        .authn
        .rotate_refresh_token("g2", "g3", None)
        .await
        .unwrap()
        .unwrap();
    let r4 = t
        .authn
        .rotate_refresh_token("g3", "g4", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r3.generation, r4.generation), (3, 4));
    assert_eq!(r4.family_id, rt.family_id);
}

#[tokio::test]
async fn c085_c097_rotation_refusals() {
    let t = ctx().await;
    let id = t.user("r@example.com").await;
    let (sid, tok) = t.session(id).await;
    assert!(t
        .authn
        .rotate_refresh_token("unknown", "n1", None)
        .await
        .unwrap()
        .is_none());
    t.authn
        .create_refresh_token(sid, "exp", Some(TimeDelta::seconds(-1)))
        .await
        .unwrap();
    assert!(t
        .authn
        .rotate_refresh_token("exp", "n2", None)
        .await
        .unwrap()
        .is_none());
    let revoked = t
        .authn
        .create_refresh_token(sid, "rev", None)
        .await
        .unwrap();
    t.authn
        .revoke_refresh_token_family(revoked.family_id)
        .await
        .unwrap();
    assert!(t
        .authn
        .rotate_refresh_token("rev", "n3", None)
        .await
        .unwrap()
        .is_none());
    assert!(
        t.events("refresh_token_reuse_detected").await.is_empty(),
        "97"
    );
    t.authn
        .create_refresh_token(sid, "live", None)
        .await
        .unwrap();
    let other = t.user("d@example.com").await;
    let (osid, _) = t.session(other).await;
    t.authn
        .create_refresh_token(osid, "dis", None)
        .await
        .unwrap();
    t.sql(&format!(
        "UPDATE authn.users SET disabled_at = now() WHERE id = '{other}'"
    ))
    .await;
    assert!(t
        .authn
        .rotate_refresh_token("dis", "n4", None)
        .await
        .unwrap()
        .is_none());
    t.authn.revoke_session(&tok).await.unwrap();
    assert!(t
        .authn
        .rotate_refresh_token("live", "n5", None)
        .await
        .unwrap()
        .is_none());
    assert!(t.events("refresh_token_rotated").await.is_empty());
}

#[tokio::test]
async fn c087_c088_c099_c101_reuse_detection() {
    let t = ctx().await;
    let id = t.user("r@example.com").await;
    let (sid, tok) = t.session(id).await;
    let rt = t.authn.create_refresh_token(sid, "t1", None).await.unwrap();
    t.authn
        .rotate_refresh_token("t1", "t2", None)
        .await
        .unwrap()
        .unwrap();
    t.authn
        .rotate_refresh_token("t2", "t3", None)
        .await
        .unwrap()
        .unwrap();
    assert!(t
        .authn
        .rotate_refresh_token("t1", "t4", None)
        .await
        .unwrap()
        .is_none());
    assert!(t
        .authn
        .rotate_refresh_token("t3", "t5", None)
        .await
        .unwrap()
        .is_none());
    assert!(t.authn.list_refresh_tokens(id).await.unwrap().is_empty());
    let ev = t.events("refresh_token_reuse_detected").await;
    assert_eq!(ev.len(), 1);
    let nv = ev[0].new_values.clone().unwrap();
    assert_eq!(nv["user_id"], serde_json::json!(id));
    assert_eq!(nv["tokens_revoked"], serde_json::json!(3));
    assert_eq!(nv["generation"], serde_json::json!(1));
    assert_eq!(ev[0].resource_id, rt.refresh_token_id.to_string());
    let mut a = t.authn.clone();
    assert!(
        a.validate_session(&tok).await.unwrap().is_some(),
        "D15: the session stays valid"
    );
    assert!(t
        .authn
        .rotate_refresh_token("t1", "t6", None)
        .await
        .unwrap()
        .is_none());
    let ev = t.events("refresh_token_reuse_detected").await;
    assert_eq!(ev.len(), 2);
    assert_eq!(
        ev[0].new_values.as_ref().unwrap()["tokens_revoked"],
        serde_json::json!(0)
    );
}

#[tokio::test]
async fn c090_c093_validate_refresh_token() {
    let t = ctx().await;
    let id = t.user("r@example.com").await;
    let (sid, tok) = t.session(id).await;
    t.authn.create_refresh_token(sid, "v1", None).await.unwrap();
    let v = t.authn.validate_refresh_token("v1").await.unwrap().unwrap();
    assert_eq!(
        (v.user_id, v.session_id, v.generation, v.is_current),
        (id, sid, 1, true)
    );
    assert!(t
        .authn
        .validate_refresh_token("unknown")
        .await
        .unwrap()
        .is_none());
    t.authn
        .rotate_refresh_token("v1", "v2", None)
        .await
        .unwrap()
        .unwrap();
    assert!(t
        .authn
        .validate_refresh_token("v1")
        .await
        .unwrap()
        .is_none());
    assert!(t
        .authn
        .validate_refresh_token("v2")
        .await
        .unwrap()
        .is_some());
    let fam = t.authn.create_refresh_token(sid, "f1", None).await.unwrap();
    t.authn
        .revoke_refresh_token_family(fam.family_id)
        .await
        .unwrap();
    assert!(t
        .authn
        .validate_refresh_token("f1")
        .await
        .unwrap()
        .is_none());
    // 93: revoking the session cascades.
    t.authn.revoke_session(&tok).await.unwrap();
    assert!(t
        .authn
        .validate_refresh_token("v2")
        .await
        .unwrap()
        .is_none());
    let revoked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM authn.refresh_tokens WHERE session_id = $1 AND revoked_at IS NULL",
    )
    .bind(sid)
    .fetch_one(&t.admin)
    .await
    .unwrap();
    assert_eq!(revoked, 0);
}

#[tokio::test]
async fn c091_c094_revoke_family() {
    let t = ctx().await;
    let id = t.user("r@example.com").await;
    let (sid, _) = t.session(id).await;
    let a = t.authn.create_refresh_token(sid, "a1", None).await.unwrap();
    assert_eq!(
        t.authn
            .revoke_refresh_token_family(a.family_id)
            .await
            .unwrap(),
        1
    );
    assert!(t
        .authn
        .validate_refresh_token("a1")
        .await
        .unwrap()
        .is_none());
    let b = t.authn.create_refresh_token(sid, "b1", None).await.unwrap();
    t.authn
        .rotate_refresh_token("b1", "b2", None)
        .await
        .unwrap();
    t.authn
        .rotate_refresh_token("b2", "b3", None)
        .await
        .unwrap();
    assert_eq!(
        t.authn
            .revoke_refresh_token_family(b.family_id)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        t.authn
            .revoke_refresh_token_family(b.family_id)
            .await
            .unwrap(),
        0
    );
    let ev = t.events("refresh_token_family_revoked").await;
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0].resource_type, "refresh_token_family");
    assert_eq!(ev[0].resource_id, b.family_id.to_string());
    assert_eq!(
        ev[0].new_values,
        Some(serde_json::json!({"user_id": id, "tokens_revoked": 3}))
    );
}

#[tokio::test]
async fn c092_c102_revoke_all_refresh_tokens() {
    let t = ctx().await;
    let id = t.user("r@example.com").await;
    let (s1, _) = t.session(id).await;
    let (s2, _) = t.session(id).await;
    t.authn.create_refresh_token(s1, "x1", None).await.unwrap();
    t.authn.create_refresh_token(s2, "x2", None).await.unwrap();
    assert_eq!(t.authn.revoke_all_refresh_tokens(id).await.unwrap(), 2);
    assert!(t
        .authn
        .validate_refresh_token("x1")
        .await
        .unwrap()
        .is_none());
    assert!(t
        .authn
        .validate_refresh_token("x2")
        .await
        .unwrap()
        .is_none());
    assert_eq!(t.authn.revoke_all_refresh_tokens(id).await.unwrap(), 0);
    let ev = t.events("refresh_tokens_revoked_all").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(
        (ev[0].resource_type.as_str(), ev[0].new_values.clone()),
        ("user", Some(serde_json::json!({"tokens_revoked": 2})))
    );
}

#[tokio::test]
async fn c095_list_refresh_tokens() {
    let t = ctx().await;
    let id = t.user("r@example.com").await;
    let (s1, _) = t.session(id).await;
    let a = t.authn.create_refresh_token(s1, "l1", None).await.unwrap();
    let list = t.authn.list_refresh_tokens(id).await.unwrap();
    assert_eq!(
        (list.len(), list[0].family_id, list[0].generation),
        (1, a.family_id, 1)
    );
    assert!(serde_json::to_value(&list[0])
        .unwrap()
        .get("token_hash")
        .is_none());
    t.authn
        .rotate_refresh_token("l1", "l2", None)
        .await
        .unwrap();
    t.authn
        .rotate_refresh_token("l2", "l3", None)
        .await
        .unwrap();
    let list = t.authn.list_refresh_tokens(id).await.unwrap();
    assert_eq!((list.len(), list[0].generation), (1, 3));
    t.authn
        .revoke_refresh_token_family(a.family_id)
        .await
        .unwrap();
    assert!(t.authn.list_refresh_tokens(id).await.unwrap().is_empty());
    let (s2, _) = t.session(id).await;
    t.authn.create_refresh_token(s1, "m1", None).await.unwrap();
    t.authn.create_refresh_token(s2, "m2", None).await.unwrap();
    assert_eq!(t.authn.list_refresh_tokens(id).await.unwrap().len(), 2);
}

/// Decision D10: of 24 concurrent rotations of one token exactly one succeeds; the others see
/// it replaced, detect reuse, and the whole family ends revoked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_rotations_one_wins_and_family_is_revoked() {
    let t = ctx().await;
    let id = t.user("race@example.com").await;
    let (sid, _) = t.session(id).await;
    let rt = t
        .authn
        .create_refresh_token(sid, "race-0", None)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let client = t.authn.clone();
        tasks.push(tokio::spawn(async move {
            client
                .rotate_refresh_token("race-0", &format!("race-{}", i + 1), None)
                .await
        }));
    }
    let mut winners = 0;
    for task in tasks {
        if task.await.unwrap().unwrap().is_some() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
    let live: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM authn.refresh_tokens WHERE family_id = $1 AND revoked_at IS NULL",
    )
    .bind(rt.family_id)
    .fetch_one(&t.admin)
    .await
    .unwrap();
    assert_eq!(live, 0);
    let generations: i64 =
        sqlx::query_scalar("SELECT count(*) FROM authn.refresh_tokens WHERE family_id = $1")
            .bind(rt.family_id)
            .fetch_one(&t.admin)
            .await
            .unwrap();
    assert_eq!(generations, 2, "no fork: one successor only");
    assert_eq!(t.events("refresh_token_reuse_detected").await.len(), 23);
}
