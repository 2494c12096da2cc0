//! Spec §10.1 users and §10.2 credentials. Test names carry the checklist line numbers.

use authn::{AuthnError, MfaType};
use uuid::Uuid;

use crate::harness::*;

#[tokio::test]
async fn c001_c002_c010_c011_create_user_and_get_user() {
    let t = ctx().await;
    let id = t
        .authn
        .create_user("alice@example.com", Some("h"))
        .await
        .unwrap();
    let user = t.authn.get_user(id).await.unwrap().unwrap();
    assert_eq!(user.user_id, id);
    assert_eq!(user.email, "alice@example.com");
    assert!(user.email_verified_at.is_none() && user.disabled_at.is_none());
    // 2: SSO user without a password hash.
    let sso = t.authn.create_user("sso@example.com", None).await.unwrap();
    assert!(t
        .authn
        .get_credentials("sso@example.com")
        .await
        .unwrap()
        .unwrap()
        .password_hash
        .is_none());
    assert_ne!(sso, id);
    // 11: the all-zero uuid is nobody.
    assert!(t.authn.get_user(Uuid::nil()).await.unwrap().is_none());
}

#[tokio::test]
async fn c003_c004_email_is_normalised() {
    let t = ctx().await;
    let a = t
        .authn
        .create_user("ALICE@EXAMPLE.COM", None)
        .await
        .unwrap();
    assert_eq!(
        t.authn.get_user(a).await.unwrap().unwrap().email,
        "alice@example.com"
    );
    let b = t
        .authn
        .create_user("  bob@example.com  ", None)
        .await
        .unwrap();
    assert_eq!(
        t.authn.get_user(b).await.unwrap().unwrap().email,
        "bob@example.com"
    );
}

#[tokio::test]
async fn c005_c006_duplicate_email_per_namespace() {
    let t = ctx().await;
    let a = t.user("dup@example.com").await;
    let err = t
        .authn
        .create_user("DUP@example.com", None)
        .await
        .unwrap_err();
    assert!(matches!(err, AuthnError::UniqueViolation { .. }), "{err:?}");
    assert_eq!(err.sqlstate(), Some("23505"));
    let msg = err.message();
    assert!(msg.contains("unique") || msg.contains("duplicate") || msg.contains("already exists"));
    let other = t.other_namespace().await;
    let b = other.create_user("dup@example.com", None).await.unwrap();
    assert_ne!(a, b);
}

#[tokio::test]
async fn c007_c008_create_user_rejects_bad_input_and_changes_nothing() {
    let t = ctx().await;
    for (email, state) in [("", "22026"), ("not-an-email", "22023")] {
        let err = t.authn.create_user(email, None).await.unwrap_err();
        assert_eq!(sqlstate(&err), state, "{email:?}");
    }
    // NULL e-mail: only reachable through SQL, since the client takes &str.
    let err = sqlx::query("SELECT authn.create_user(NULL, NULL, $1)")
        .bind(&t.ns)
        .execute(&t.admin)
        .await
        .unwrap_err();
    assert_eq!(err.as_database_error().unwrap().code().unwrap(), "22004");
    let err = t
        .authn
        .create_user("x@example.com", Some(""))
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "22026");
    assert!(t.authn.list_users(None, None).await.unwrap().is_empty());
    assert_eq!(t.audit_count().await, 0);
}

#[tokio::test]
async fn c009_c028_user_created_events() {
    let t = ctx().await;
    let id = t.user("ev@example.com").await;
    let ev = &t.events("user_created").await[0];
    assert_eq!(ev.resource_id, id.to_string());
    assert_eq!(ev.resource_type, "user");
    assert_eq!(
        ev.new_values,
        Some(serde_json::json!({"email": "ev@example.com"}))
    );
    let (id2, created) = t
        .authn
        .get_or_create_user("goc@example.com", None)
        .await
        .unwrap();
    assert!(created);
    let ev = &t.events("user_created").await[0];
    assert_eq!(ev.resource_id, id2.to_string());
    assert_eq!(
        ev.new_values,
        Some(serde_json::json!({"email": "goc@example.com", "via": "get_or_create"}))
    );
}

#[tokio::test]
async fn c012_get_user_by_email() {
    let t = ctx().await;
    let id = t.user("alice@example.com").await;
    assert_eq!(
        t.authn
            .get_user_by_email("alice@example.com")
            .await
            .unwrap()
            .unwrap()
            .user_id,
        id
    );
    assert_eq!(
        t.authn
            .get_user_by_email("ALICE@EXAMPLE.COM")
            .await
            .unwrap()
            .unwrap()
            .user_id,
        id
    );
    assert!(t
        .authn
        .get_user_by_email("nobody@example.com")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn c013_c014_c015_c029_update_email() {
    let t = ctx().await;
    let id = t.user("old@example.com").await;
    let other = t.user("taken@example.com").await;
    t.sql(&format!(
        "UPDATE authn.users SET email_verified_at = now() WHERE id = '{id}'"
    ))
    .await;
    assert!(t.authn.update_email(id, "new@example.com").await.unwrap());
    let user = t.authn.get_user(id).await.unwrap().unwrap();
    assert_eq!(user.email, "new@example.com");
    assert!(user.email_verified_at.is_none());
    let ev = &t.events("email_updated").await[0];
    assert_eq!(
        ev.old_values,
        Some(serde_json::json!({"email": "old@example.com"}))
    );
    assert_eq!(
        ev.new_values,
        Some(serde_json::json!({"email": "new@example.com"}))
    );
    assert!(!t
        .authn
        .update_email(Uuid::new_v4(), "x@example.com")
        .await
        .unwrap());
    let err = t
        .authn
        .update_email(id, "taken@example.com")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "23505");
    assert_eq!(
        t.authn.get_user(other).await.unwrap().unwrap().email,
        "taken@example.com"
    );
    // Same address again: succeeds, clears verification, logs.
    t.sql(&format!(
        "UPDATE authn.users SET email_verified_at = now() WHERE id = '{id}'"
    ))
    .await;
    assert!(t.authn.update_email(id, "new@example.com").await.unwrap());
    assert!(t
        .authn
        .get_user(id)
        .await
        .unwrap()
        .unwrap()
        .email_verified_at
        .is_none());
    assert_eq!(t.events("email_updated").await.len(), 2);
}

#[tokio::test]
async fn c016_c017_c018_c019_c031_disable_and_enable() {
    let t = ctx().await;
    let id = t.user("d@example.com").await;
    let (_, tok1) = t.session(id).await;
    let (_, tok2) = t.session(id).await;
    assert!(t.authn.disable_user(id).await.unwrap());
    assert!(t
        .authn
        .get_user(id)
        .await
        .unwrap()
        .unwrap()
        .disabled_at
        .is_some());
    let mut a = t.authn.clone();
    assert!(a.validate_session(&tok1).await.unwrap().is_none());
    assert!(a.validate_session(&tok2).await.unwrap().is_none());
    let ev = &t.events("user_disabled").await[0];
    assert_eq!(
        ev.new_values,
        Some(serde_json::json!({"sessions_revoked": 2}))
    );
    assert!(!t.authn.disable_user(id).await.unwrap());
    assert_eq!(t.events("user_disabled").await.len(), 1);
    assert!(t.authn.enable_user(id).await.unwrap());
    assert!(t
        .authn
        .get_user(id)
        .await
        .unwrap()
        .unwrap()
        .disabled_at
        .is_none());
    let ev = &t.events("user_enabled").await[0];
    assert!(ev.old_values.is_none() && ev.new_values.is_none());
    assert!(!t.authn.enable_user(id).await.unwrap());
    assert_eq!(t.events("user_enabled").await.len(), 1);
    // Revoked sessions stay revoked.
    assert!(a.validate_session(&tok1).await.unwrap().is_none());
}

#[tokio::test]
async fn c020_c030_delete_user() {
    let t = ctx().await;
    let id = t.user("del@example.com").await;
    let (_, tok) = t.session(id).await;
    t.authn
        .record_login_attempt("del@example.com", false, None)
        .await
        .unwrap();
    assert!(t.authn.delete_user(id).await.unwrap());
    assert!(t.authn.get_user(id).await.unwrap().is_none());
    let mut a = t.authn.clone();
    assert!(a.validate_session(&tok).await.unwrap().is_none());
    let sessions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM authn.sessions WHERE user_id = $1")
            .bind(id)
            .fetch_one(&t.admin)
            .await
            .unwrap();
    assert_eq!(sessions, 0);
    assert!(!t.authn.delete_user(id).await.unwrap());
    assert!(!t.authn.delete_user(Uuid::new_v4()).await.unwrap());
    let ev = &t.events("user_deleted").await[0];
    assert_eq!(
        ev.old_values,
        Some(serde_json::json!({"email": "del@example.com"}))
    );
    assert!(ev.new_values.is_none());
    // Attempts and earlier audit rows survive.
    assert_eq!(
        t.authn
            .get_recent_attempts("del@example.com", None)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(t.events("user_created").await.len(), 1);
}

#[tokio::test]
async fn c021_c022_c032_list_users_pagination() {
    let t = ctx().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(t.user(&format!("u{i}@example.com")).await);
    }
    ids.sort();
    let all = t.authn.list_users(None, None).await.unwrap();
    assert_eq!(
        all.iter().map(|u| u.user_id).collect::<Vec<_>>(),
        ids,
        "ordered by id"
    );
    let page1 = t.authn.list_users(Some(3), None).await.unwrap();
    let page2 = t
        .authn
        .list_users(Some(3), Some(page1[2].user_id))
        .await
        .unwrap();
    assert_eq!(page1.len(), 3);
    assert_eq!(page2.len(), 3);
    assert!(page1
        .iter()
        .all(|a| page2.iter().all(|b| a.user_id != b.user_id)));
    assert_eq!(page2[0].user_id, ids[3]);
    assert_eq!(t.authn.list_users(Some(5000), None).await.unwrap().len(), 7);
    assert!(t.authn.list_users(Some(0), None).await.unwrap().is_empty());
    let err = t.authn.list_users(Some(-1), None).await.unwrap_err();
    assert_eq!(sqlstate(&err), "2201W");
}

#[tokio::test]
async fn c023_get_users_batch() {
    let t = ctx().await;
    let a = t.user("a@example.com").await;
    let b = t.user("b@example.com").await;
    let other = t.other_namespace().await;
    let foreign = other.create_user("c@example.com", None).await.unwrap();
    let map = t
        .authn
        .get_users_batch(&[a, b, Uuid::new_v4(), foreign])
        .await
        .unwrap();
    assert_eq!(map.len(), 2);
    assert_eq!(map[&a].email, "a@example.com");
    assert_eq!(map[&b].email, "b@example.com");
    assert!(t.authn.get_users_batch(&[]).await.unwrap().is_empty());
}

#[tokio::test]
async fn c024_c025_c026_c027_get_or_create_user() {
    let t = ctx().await;
    let (id, created) = t
        .authn
        .get_or_create_user("Alice@Example.COM", Some("h"))
        .await
        .unwrap();
    assert!(created);
    let (again, created) = t
        .authn
        .get_or_create_user("alice@example.com", Some("other"))
        .await
        .unwrap();
    assert_eq!((again, created), (id, false));
    assert_eq!(
        t.authn
            .get_credentials("alice@example.com")
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .as_deref(),
        Some("h")
    );
    let (_, created) = t
        .authn
        .get_or_create_user("sso@example.com", None)
        .await
        .unwrap();
    assert!(created);
    // 26: the client refuses a disabled existing user; 27: SQL returns it without raising.
    t.authn.disable_user(id).await.unwrap();
    let events_before = t.audit_count().await;
    let err = t
        .authn
        .get_or_create_user("alice@example.com", None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("disabled"));
    let row: (Uuid, bool, bool) =
        sqlx::query_as("SELECT * FROM authn.get_or_create_user('alice@example.com', NULL, $1)")
            .bind(&t.ns)
            .fetch_one(&t.admin)
            .await
            .unwrap();
    assert_eq!(row, (id, false, true));
    assert_eq!(t.audit_count().await, events_before);
}

#[tokio::test]
async fn c033_c034_c035_c036_get_credentials() {
    let t = ctx().await;
    let id = t
        .authn
        .create_user("cred@example.com", Some("$argon2id$v=19$abc"))
        .await
        .unwrap();
    let c = t
        .authn
        .get_credentials("cred@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (c.user_id, c.password_hash.as_deref(), c.disabled_at),
        (id, Some("$argon2id$v=19$abc"), None)
    );
    assert!(
        !format!("{c:?}").contains("argon2id"),
        "Debug must not show the hash"
    );
    t.authn.disable_user(id).await.unwrap();
    assert!(t
        .authn
        .get_credentials("CRED@example.com")
        .await
        .unwrap()
        .unwrap()
        .disabled_at
        .is_some());
    assert!(t
        .authn
        .get_credentials("none@example.com")
        .await
        .unwrap()
        .is_none());
    t.authn.create_user("sso@example.com", None).await.unwrap();
    assert!(t
        .authn
        .get_credentials("sso@example.com")
        .await
        .unwrap()
        .unwrap()
        .password_hash
        .is_none());
}

#[tokio::test]
async fn c037_c038_c039_update_password() {
    let t = ctx().await;
    let id = t.user("pw@example.com").await;
    assert!(t.authn.update_password(id, "new-hash").await.unwrap());
    assert_eq!(
        t.authn
            .get_credentials("pw@example.com")
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .as_deref(),
        Some("new-hash")
    );
    assert!(!t.authn.update_password(Uuid::new_v4(), "x").await.unwrap());
    assert_eq!(
        sqlstate(&t.authn.update_password(id, "").await.unwrap_err()),
        "22026"
    );
    let ev = t.events("password_updated").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].resource_id, id.to_string());
    assert!(ev[0].old_values.is_none() && ev[0].new_values.is_none());
    let err = sqlx::query("SELECT authn.update_password($1, NULL, $2)")
        .bind(id)
        .bind(&t.ns)
        .execute(&t.admin)
        .await
        .unwrap_err();
    assert_eq!(err.as_database_error().unwrap().code().unwrap(), "22004");
    // Decision D19: a user of another namespace is refused like an unknown one.
    let other = t.other_namespace().await;
    let err = other
        .add_mfa(id, MfaType::Totp, "s", None)
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "23503");
}
