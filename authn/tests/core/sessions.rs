//! Spec §10.4 sessions.

use chrono::{TimeDelta, Utc};
use uuid::Uuid;

use authn::{Actor, NewSession};

use crate::harness::*;

#[tokio::test]
async fn c057_c058_c059_c072_create_session() {
    let t = ctx().await;
    let id = t.user("s@example.com").await;
    let tok = token();
    let sid = t
        .authn
        .create_session(NewSession {
            expires_in: Some(TimeDelta::hours(1)),
            ip_address: Some("192.168.1.1".parse().unwrap()),
            user_agent: Some("Mozilla/5.0"),
            ..NewSession::new(id, &tok)
        })
        .await
        .unwrap();
    let list = t.authn.list_sessions(id).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].session_id, sid);
    assert_eq!(list[0].ip_address.unwrap().to_string(), "192.168.1.1");
    assert_eq!(list[0].user_agent.as_deref(), Some("Mozilla/5.0"));
    // 72: default duration ≈ 7 days, audited with the IP.
    let (sid2, _) = t.session(id).await;
    let s2 = t
        .authn
        .list_sessions(id)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.session_id == sid2)
        .unwrap();
    assert!(
        (s2.expires_at - (Utc::now() + TimeDelta::days(7)))
            .num_seconds()
            .abs()
            < 60
    );
    let ev = t.events("session_created").await;
    let first = ev
        .iter()
        .find(|e| e.resource_id == sid.to_string())
        .unwrap();
    assert_eq!(first.ip_address.unwrap().to_string(), "192.168.1.1");
    assert_eq!(
        first.new_values.as_ref().unwrap()["user_id"],
        serde_json::json!(id)
    );
    assert!(first
        .new_values
        .as_ref()
        .unwrap()
        .get("expires_at")
        .is_some());
    assert!(
        !serde_json::to_string(first).unwrap().contains(&tok),
        "token hash never logged"
    );
}

#[tokio::test]
async fn c060_c061_validate_session() {
    let t = ctx().await;
    let id = t.user("v@example.com").await;
    let (sid, tok) = t.session(id).await;
    let mut a = t.authn.clone();
    let v = a.validate_session(&tok).await.unwrap().unwrap();
    assert_eq!(
        (v.user_id, v.email.as_str(), v.session_id),
        (id, "v@example.com", sid)
    );
    assert!(a.validate_session(&token()).await.unwrap().is_none());
    let expired = token();
    t.authn
        .create_session(NewSession {
            expires_in: Some(TimeDelta::seconds(-1)),
            ..NewSession::new(id, &expired)
        })
        .await
        .unwrap();
    assert!(a.validate_session(&expired).await.unwrap().is_none());
    let (_, revoked) = t.session(id).await;
    t.authn.revoke_session(&revoked).await.unwrap();
    assert!(a.validate_session(&revoked).await.unwrap().is_none());
    let other = t.user("dis@example.com").await;
    let (_, dis_tok) = t.session(other).await;
    t.sql(&format!(
        "UPDATE authn.users SET disabled_at = now() WHERE id = '{other}'"
    ))
    .await;
    assert!(a.validate_session(&dis_tok).await.unwrap().is_none());
}

#[tokio::test]
async fn c062_validation_writes_no_audit() {
    let t = ctx().await;
    let id = t.user("n@example.com").await;
    let (_, tok) = t.session(id).await;
    let before = t.audit_count().await;
    let mut a = t.authn.clone();
    for _ in 0..10 {
        assert!(a.validate_session(&tok).await.unwrap().is_some());
    }
    assert_eq!(t.audit_count().await, before);
}

#[tokio::test]
async fn c063_c064_c065_c066_c077_extend_session() {
    let t = ctx().await;
    let id = t.user("e@example.com").await;
    let (sid, tok) = t.session(id).await;
    let actor = t.as_actor(Actor {
        request_id: Some("req-123".into()),
        reason: Some("Remember me enabled".into()),
        ..Actor::id("admin@acme.com")
    });
    let new = actor
        .extend_session(&tok, Some(TimeDelta::days(7)))
        .await
        .unwrap()
        .unwrap();
    assert!(new > Utc::now() + TimeDelta::days(6));
    let ev = t.events("session_extended").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(
        (ev[0].resource_type.as_str(), ev[0].resource_id.clone()),
        ("session", sid.to_string())
    );
    assert_eq!(
        ev[0].new_values.as_ref().unwrap()["user_id"],
        serde_json::json!(id)
    );
    assert_eq!(ev[0].actor_id.as_deref(), Some("admin@acme.com"));
    assert_eq!(ev[0].request_id.as_deref(), Some("req-123"));
    assert_eq!(ev[0].reason.as_deref(), Some("Remember me enabled"));
    assert!(t
        .authn
        .extend_session(&token(), None)
        .await
        .unwrap()
        .is_none());
    let expired = token();
    t.authn
        .create_session(NewSession {
            expires_in: Some(TimeDelta::seconds(-1)),
            ..NewSession::new(id, &expired)
        })
        .await
        .unwrap();
    assert!(t
        .authn
        .extend_session(&expired, None)
        .await
        .unwrap()
        .is_none());
    assert_eq!(t.events("session_extended").await.len(), 1);
    // 77: a disabled user's unrevoked session is still extended.
    t.sql(&format!(
        "UPDATE authn.users SET disabled_at = now() WHERE id = '{id}'"
    ))
    .await;
    assert!(t.authn.extend_session(&tok, None).await.unwrap().is_some());
}

#[tokio::test]
async fn c067_c068_c074_revoke_session_and_all() {
    let t = ctx().await;
    let id = t.user("r@example.com").await;
    let (sid, tok) = t.session(id).await;
    assert!(t.authn.revoke_session(&tok).await.unwrap());
    let mut a = t.authn.clone();
    assert!(a.validate_session(&tok).await.unwrap().is_none());
    assert!(!t.authn.revoke_session(&tok).await.unwrap());
    assert!(!t.authn.revoke_session(&token()).await.unwrap());
    let ev = t.events("session_revoked").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].resource_id, sid.to_string());
    assert_eq!(ev[0].new_values, Some(serde_json::json!({"user_id": id})));
    let mut toks = Vec::new();
    for _ in 0..3 {
        toks.push(t.session(id).await.1);
    }
    assert_eq!(t.authn.revoke_all_sessions(id).await.unwrap(), 3);
    for tok in &toks {
        assert!(a.validate_session(tok).await.unwrap().is_none());
    }
    assert_eq!(t.authn.revoke_all_sessions(id).await.unwrap(), 0);
    let ev = t.events("sessions_revoked_all").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(
        ev[0].new_values,
        Some(serde_json::json!({"sessions_revoked": 3}))
    );
}

/// A revoked and an expired session of `user_id`: what the session lists must leave out.
async fn add_dead_sessions(t: &Ctx, user_id: Uuid) {
    let (_, revoked) = t.session(user_id).await;
    t.authn.revoke_session(&revoked).await.unwrap();
    t.authn
        .create_session(NewSession {
            expires_in: Some(TimeDelta::seconds(-5)),
            ..NewSession::new(user_id, &token())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn c069_c076_list_sessions() {
    let t = ctx().await;
    let id = t.user("l@example.com").await;
    let (s1, _) = t.session(id).await;
    let (s2, _) = t.session(id).await;
    add_dead_sessions(&t, id).await;
    t.sql(&format!(
        "UPDATE authn.sessions SET created_at = created_at - interval '1 minute' WHERE id = '{s1}'"
    ))
    .await;
    let list = t.authn.list_sessions(id).await.unwrap();
    assert_eq!(
        list.iter().map(|s| s.session_id).collect::<Vec<_>>(),
        vec![s2, s1]
    );
    let json = serde_json::to_value(&list).unwrap();
    assert!(json[0].get("token_hash").is_none());
}

/// The console's read model beside `list_sessions`: the newest live sessions of one user, as
/// many as asked for, with the count of all of them.
#[tokio::test]
async fn newest_sessions_are_a_bounded_page_with_their_total() {
    let t = ctx().await;
    let id = t.user("n@example.com").await;
    let other = t.user("m@example.com").await;
    let mut live = Vec::new();
    for minutes in [3, 2, 1] {
        let (sid, _) = t.session(id).await;
        t.sql(&format!(
            "UPDATE authn.sessions SET created_at = now() - interval '{minutes} minutes' WHERE id = '{sid}'"
        ))
        .await;
        live.push(sid);
    }
    add_dead_sessions(&t, id).await;
    t.session(other).await;

    let mut tx = t.authn.begin().await.unwrap();
    let (page, total) = tx.newest_sessions(id, 2).await.unwrap();
    assert_eq!(
        page.iter().map(|s| s.session_id).collect::<Vec<_>>(),
        vec![live[2], live[1]]
    );
    assert_eq!(total, 3);
    let (all, total) = tx.newest_sessions(id, 1000).await.unwrap();
    assert_eq!(all, t.authn.list_sessions(id).await.unwrap());
    assert_eq!(total, 3);
    let (none, total) = tx.newest_sessions(Uuid::new_v4(), 10).await.unwrap();
    assert!(none.is_empty());
    assert_eq!(total, 0);
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn c070_c074_revoke_session_by_id() {
    let t = ctx().await;
    let id = t.user("o@example.com").await;
    let other = t.user("x@example.com").await;
    let (sid, tok) = t.session(id).await;
    assert!(!t.authn.revoke_session_by_id(sid, other).await.unwrap());
    let mut a = t.authn.clone();
    assert!(a.validate_session(&tok).await.unwrap().is_some());
    assert!(!t
        .authn
        .revoke_session_by_id(Uuid::new_v4(), id)
        .await
        .unwrap());
    assert!(t.authn.revoke_session_by_id(sid, id).await.unwrap());
    assert!(a.validate_session(&tok).await.unwrap().is_none());
    assert!(!t.authn.revoke_session_by_id(sid, id).await.unwrap());
    let ev = t.events("session_revoked").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].new_values, Some(serde_json::json!({"user_id": id})));
}

#[tokio::test]
async fn c071_c074_c075_revoke_other_sessions() {
    let t = ctx().await;
    let id = t.user("k@example.com").await;
    let bystander = t.user("b@example.com").await;
    let (_, b_tok) = t.session(bystander).await;
    let (keep, keep_tok) = t.session(id).await;
    let (_, t2) = t.session(id).await;
    let (_, t3) = t.session(id).await;
    let ns = t.ns.clone();
    let nulled: i32 = sqlx::query_scalar("SELECT authn.revoke_other_sessions($1, NULL, $2)")
        .bind(id)
        .bind(&ns)
        .fetch_one(&t.admin)
        .await
        .unwrap();
    assert_eq!(nulled, 0, "D8: a NULL kept id revokes nothing");
    assert_eq!(t.authn.revoke_other_sessions(id, keep).await.unwrap(), 2);
    let mut a = t.authn.clone();
    assert!(a.validate_session(&keep_tok).await.unwrap().is_some());
    assert!(a.validate_session(&t2).await.unwrap().is_none());
    assert!(a.validate_session(&t3).await.unwrap().is_none());
    assert!(a.validate_session(&b_tok).await.unwrap().is_some());
    assert_eq!(t.authn.revoke_other_sessions(id, keep).await.unwrap(), 0);
    let ev = t.events("sessions_revoked_other").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(
        ev[0].new_values,
        Some(serde_json::json!({"sessions_revoked": 2, "preserved_session_id": keep}))
    );
}

#[tokio::test]
async fn c073_create_session_errors() {
    let t = ctx().await;
    let err = t
        .authn
        .create_session(NewSession::new(Uuid::new_v4(), &token()))
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "23503");
    let id = t.user("dupe@example.com").await;
    let tok = token();
    t.authn
        .create_session(NewSession::new(id, &tok))
        .await
        .unwrap();
    let err = t
        .authn
        .create_session(NewSession::new(id, &tok))
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "23505");
    assert_eq!(t.authn.list_sessions(id).await.unwrap().len(), 1);
}
