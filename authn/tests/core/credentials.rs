//! Spec §10.6 API keys, §10.7 one-time tokens, §10.8 MFA.

use chrono::{TimeDelta, Utc};
use uuid::Uuid;

use authn::{Actor, MfaType, TokenType};

use crate::harness::*;

#[tokio::test]
async fn c103_c104_c107_c110_api_key_lifecycle() {
    let t = ctx().await;
    let id = t.user("k@example.com").await;
    let kid = t
        .authn
        .create_api_key(id, "key-1", Some("Production"), None)
        .await
        .unwrap();
    let before = t.audit_count().await;
    let v = t.authn.validate_api_key("key-1").await.unwrap().unwrap();
    assert_eq!(
        (v.user_id, v.key_id, v.name.as_deref()),
        (id, kid, Some("Production"))
    );
    assert_eq!(t.audit_count().await, before, "validation is not audited");
    let used = t.authn.list_api_keys(id).await.unwrap()[0].last_used_at;
    assert!(used.is_some());
    assert!(t.authn.validate_api_key("unknown").await.unwrap().is_none());
    assert!(t.authn.revoke_api_key(kid).await.unwrap());
    assert!(t.authn.validate_api_key("key-1").await.unwrap().is_none());
    let after: Option<chrono::DateTime<Utc>> =
        sqlx::query_scalar("SELECT last_used_at FROM authn.api_keys WHERE id = $1")
            .bind(kid)
            .fetch_one(&t.admin)
            .await
            .unwrap();
    assert_eq!(after, used, "a failed validation changes nothing");
}

#[tokio::test]
async fn c105_c106_c113_api_key_expiry_and_owner() {
    let t = ctx().await;
    let id = t.user("k@example.com").await;
    t.authn
        .create_api_key(id, "expired", None, Some(TimeDelta::seconds(-1)))
        .await
        .unwrap();
    assert!(t.authn.validate_api_key("expired").await.unwrap().is_none());
    let forever = t
        .authn
        .create_api_key(id, "forever", None, None)
        .await
        .unwrap();
    assert!(t
        .authn
        .validate_api_key("forever")
        .await
        .unwrap()
        .unwrap()
        .expires_at
        .is_none());
    let ev = t.events("api_key_created").await;
    let e = ev
        .iter()
        .find(|e| e.resource_id == forever.to_string())
        .unwrap();
    assert_eq!(
        e.new_values,
        Some(serde_json::json!({"user_id": id, "name": null, "expires_at": null}))
    );
    t.authn.disable_user(id).await.unwrap();
    assert!(t.authn.validate_api_key("forever").await.unwrap().is_none());
}

#[tokio::test]
async fn c108_c109_api_key_audit_context_and_stats() {
    let t = ctx().await;
    let id = t.user("k@example.com").await;
    let client = t.as_actor(Actor {
        request_id: Some("req-1".into()),
        ip_address: Some("10.1.2.3".parse().unwrap()),
        user_agent: Some("TestClient/1.0".into()),
        ..Actor::id("user:admin")
    });
    let kid = client
        .create_api_key(id, "secret-key-hash", Some("ci"), None)
        .await
        .unwrap();
    let ev = &t.events("api_key_created").await[0];
    assert_eq!(ev.resource_id, kid.to_string());
    assert_eq!(ev.actor_id.as_deref(), Some("user:admin"));
    assert_eq!(ev.request_id.as_deref(), Some("req-1"));
    assert_eq!(ev.ip_address.unwrap().to_string(), "10.1.2.3");
    assert_eq!(ev.user_agent.as_deref(), Some("TestClient/1.0"));
    assert!(!serde_json::to_string(ev)
        .unwrap()
        .contains("secret-key-hash"));
    assert_eq!(t.authn.get_stats().await.unwrap().active_api_key_count, 1);
}

#[tokio::test]
async fn c111_c112_list_and_revoke_all_api_keys() {
    let t = ctx().await;
    let id = t.user("k@example.com").await;
    let k1 = t.authn.create_api_key(id, "a", None, None).await.unwrap();
    let k2 = t
        .authn
        .create_api_key(id, "b", None, Some(TimeDelta::days(1)))
        .await
        .unwrap();
    t.authn
        .create_api_key(id, "c", None, Some(TimeDelta::seconds(-1)))
        .await
        .unwrap();
    let k4 = t.authn.create_api_key(id, "d", None, None).await.unwrap();
    t.authn.revoke_api_key(k4).await.unwrap();
    assert!(!t.authn.revoke_api_key(k4).await.unwrap());
    t.sql(&format!(
        "UPDATE authn.api_keys SET created_at = created_at - interval '1 hour' WHERE id = '{k1}'"
    ))
    .await;
    let list = t.authn.list_api_keys(id).await.unwrap();
    assert_eq!(
        list.iter().map(|k| k.key_id).collect::<Vec<_>>(),
        vec![k2, k1]
    );
    assert!(serde_json::to_value(&list[0])
        .unwrap()
        .get("key_hash")
        .is_none());
    assert_eq!(
        t.authn.revoke_all_api_keys(id).await.unwrap(),
        3,
        "expired ones included"
    );
    assert_eq!(t.authn.revoke_all_api_keys(id).await.unwrap(), 0);
    let ev = t.events("api_keys_revoked_all").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(
        ev[0].new_values,
        Some(serde_json::json!({"keys_revoked": 3}))
    );
}

#[tokio::test]
async fn c114_c115_c116_c122_c123_c125_one_time_tokens() {
    let t = ctx().await;
    let id = t.user("o@example.com").await;
    let mut ids = Vec::new();
    for (ty, hash, hours) in [
        (TokenType::PasswordReset, "pr", 1.0),
        (TokenType::EmailVerify, "ev", 24.0),
        (TokenType::MagicLink, "ml", 0.25),
    ] {
        let tid = t.authn.create_token(id, hash, ty, None).await.unwrap();
        let exp: chrono::DateTime<Utc> =
            sqlx::query_scalar("SELECT expires_at FROM authn.tokens WHERE id = $1")
                .bind(tid)
                .fetch_one(&t.admin)
                .await
                .unwrap();
        let want = Utc::now() + TimeDelta::seconds((hours * 3600.0) as i64);
        assert!((exp - want).num_seconds().abs() < 60, "{ty}");
        ids.push(tid);
    }
    // 123: the wrong type neither matches nor burns the token.
    assert!(t
        .authn
        .consume_token("ml", TokenType::PasswordReset)
        .await
        .unwrap()
        .is_none());
    let owner = t
        .authn
        .consume_token("ml", TokenType::MagicLink)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((owner.user_id, owner.email.as_str()), (id, "o@example.com"));
    assert!(t
        .authn
        .consume_token("ml", TokenType::MagicLink)
        .await
        .unwrap()
        .is_none());
    assert!(t
        .authn
        .consume_token("nope", TokenType::MagicLink)
        .await
        .unwrap()
        .is_none());
    t.authn
        .create_token(
            id,
            "old",
            TokenType::MagicLink,
            Some(TimeDelta::seconds(-1)),
        )
        .await
        .unwrap();
    assert!(t
        .authn
        .consume_token("old", TokenType::MagicLink)
        .await
        .unwrap()
        .is_none());
    let created = t.events("token_created").await;
    assert_eq!(created.len(), 4);
    let e = created
        .iter()
        .find(|e| e.resource_id == ids[2].to_string())
        .unwrap();
    let nv = e.new_values.clone().unwrap();
    assert_eq!(
        (nv["user_id"].clone(), nv["token_type"].clone()),
        (serde_json::json!(id), serde_json::json!("magic_link"))
    );
    assert!(nv.get("expires_at").is_some());
    let consumed = t.events("token_consumed").await;
    assert_eq!(consumed.len(), 1);
    assert_eq!(
        consumed[0].new_values,
        Some(serde_json::json!({"user_id": id, "token_type": "magic_link"}))
    );
}

#[tokio::test]
async fn c117_c118_c119_verify_email() {
    let t = ctx().await;
    let id = t.user("v@example.com").await;
    t.authn
        .create_token(id, "reset", TokenType::PasswordReset, None)
        .await
        .unwrap();
    assert!(t.authn.verify_email("reset").await.unwrap().is_none());
    assert!(
        t.authn
            .consume_token("reset", TokenType::PasswordReset)
            .await
            .unwrap()
            .is_some(),
        "not burnt"
    );
    t.authn
        .create_token(id, "verify", TokenType::EmailVerify, None)
        .await
        .unwrap();
    let owner = t.authn.verify_email("verify").await.unwrap().unwrap();
    assert_eq!(owner.user_id, id);
    assert!(t
        .authn
        .get_user(id)
        .await
        .unwrap()
        .unwrap()
        .email_verified_at
        .is_some());
    let ev = t.events("email_verified").await;
    assert_eq!((ev.len(), ev[0].resource_id.clone()), (1, id.to_string()));
    let all = t.all_events().await;
    assert_eq!(all[0].event_type, "email_verified");
    assert_eq!(all[1].event_type, "token_consumed");
}

#[tokio::test]
async fn c120_c121_c124_c125_invalidate_and_disabled_owner() {
    let t = ctx().await;
    let id = t.user("i@example.com").await;
    assert_eq!(
        t.authn
            .invalidate_tokens(id, TokenType::PasswordReset)
            .await
            .unwrap(),
        0
    );
    t.authn
        .create_token(id, "r1", TokenType::PasswordReset, None)
        .await
        .unwrap();
    t.authn
        .create_token(id, "r2", TokenType::PasswordReset, None)
        .await
        .unwrap();
    t.authn
        .create_token(id, "v1", TokenType::EmailVerify, None)
        .await
        .unwrap();
    let before = t.audit_count().await;
    assert_eq!(
        t.authn
            .invalidate_tokens(id, TokenType::PasswordReset)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        t.audit_count().await,
        before,
        "invalidate_tokens is not audited"
    );
    assert!(t
        .authn
        .consume_token("r1", TokenType::PasswordReset)
        .await
        .unwrap()
        .is_none());
    assert!(t
        .authn
        .consume_token("r2", TokenType::PasswordReset)
        .await
        .unwrap()
        .is_none());
    // D12: a disabled owner's token is still consumed and returned.
    t.authn.disable_user(id).await.unwrap();
    assert_eq!(
        t.authn
            .consume_token("v1", TokenType::EmailVerify)
            .await
            .unwrap()
            .unwrap()
            .user_id,
        id
    );
}

#[tokio::test]
async fn c126_to_c134_mfa() {
    let t = ctx().await;
    let id = t.user("m@example.com").await;
    assert!(!t.authn.has_mfa(id).await.unwrap());
    assert!(t.authn.list_mfa(id).await.unwrap().is_empty());
    assert!(t.authn.get_mfa(id, MfaType::Totp).await.unwrap().is_empty());
    let totp = t
        .authn
        .add_mfa(id, MfaType::Totp, "JBSWY3DPEHPK3PXP", Some("Phone"))
        .await
        .unwrap();
    let w1 = t
        .authn
        .add_mfa(id, MfaType::Webauthn, "cred-1", Some("Key 1"))
        .await
        .unwrap();
    let w2 = t
        .authn
        .add_mfa(id, MfaType::Webauthn, "cred-2", Some("Key 2"))
        .await
        .unwrap();
    t.authn
        .add_mfa(id, MfaType::RecoveryCodes, "codes", None)
        .await
        .unwrap();
    let got = t.authn.get_mfa(id, MfaType::Totp).await.unwrap();
    assert_eq!(
        (
            got[0].mfa_id,
            got[0].secret.as_str(),
            got[0].name.as_deref()
        ),
        (totp, "JBSWY3DPEHPK3PXP", Some("Phone"))
    );
    assert!(!format!("{:?}", got[0]).contains("JBSWY3DPEHPK3PXP"));
    let webauthn = t.authn.get_mfa(id, MfaType::Webauthn).await.unwrap();
    assert_eq!(
        webauthn.iter().map(|m| m.mfa_id).collect::<Vec<_>>(),
        vec![w1, w2]
    );
    let list = t.authn.list_mfa(id).await.unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(list[0].mfa_id, totp, "oldest first");
    assert_eq!(list[0].name.as_deref(), Some("Phone"));
    assert!(serde_json::to_value(&list).unwrap()[0]
        .get("secret")
        .is_none());
    assert!(t.authn.has_mfa(id).await.unwrap());
    assert!(list[0].last_used_at.is_none());
    assert!(t.authn.record_mfa_use(totp).await.unwrap());
    assert!(t.authn.list_mfa(id).await.unwrap()[0]
        .last_used_at
        .is_some());
    assert!(!t.authn.record_mfa_use(Uuid::new_v4()).await.unwrap());
    for m in t.authn.list_mfa(id).await.unwrap() {
        assert!(t.authn.remove_mfa(m.mfa_id).await.unwrap());
    }
    assert!(!t.authn.remove_mfa(totp).await.unwrap());
    assert!(!t.authn.has_mfa(id).await.unwrap());
    let added = t.events("mfa_added").await;
    assert_eq!(added.len(), 4);
    let e = added
        .iter()
        .find(|e| e.resource_id == totp.to_string())
        .unwrap();
    assert_eq!(
        e.new_values,
        Some(serde_json::json!({"user_id": id, "mfa_type": "totp", "name": "Phone"}))
    );
    let removed = t.events("mfa_removed").await;
    let e = removed
        .iter()
        .find(|e| e.resource_id == totp.to_string())
        .unwrap();
    assert_eq!(
        e.old_values,
        Some(serde_json::json!({"user_id": id, "mfa_type": "totp", "name": "Phone"}))
    );
    let used = t.events("mfa_used").await;
    assert_eq!(used.len(), 1);
    assert!(used[0].old_values.is_none() && used[0].new_values.is_none());
    let dump = serde_json::to_string(&t.all_events().await).unwrap();
    assert!(!dump.contains("JBSWY3DPEHPK3PXP") && !dump.contains("cred-1"));
}
