//! Spec §10.11 audit, actor context and partitions; §10.15 SDK behaviour.

use sqlx::{Connection, PgConnection, Row};

use authn::{Actor, AuditQuery, AuthnError};

use crate::harness::*;

#[tokio::test]
async fn c156_c157_c158_c159_c160_c172_partitions() {
    // Partition DDL is database-wide: this test has a database of its own.
    let db = create_migrated_database("authn_part");
    let t = ctx_on(&db).await;
    let admin = authn::Authn::new(t.admin.clone(), "default").await.unwrap();
    assert_eq!(
        admin
            .create_audit_partition(2099, 6)
            .await
            .unwrap()
            .as_deref(),
        Some("audit_events_y2099m06")
    );
    assert_eq!(admin.create_audit_partition(2099, 6).await.unwrap(), None);
    assert_eq!(
        admin
            .create_audit_partition(2097, 1)
            .await
            .unwrap()
            .as_deref(),
        Some("audit_events_y2097m01")
    );
    for month in [0, 13] {
        let err = admin.create_audit_partition(2024, month).await.unwrap_err();
        assert!(
            err.message().contains("Month must be between 1 and 12"),
            "{err}"
        );
        assert_eq!(err.sqlstate(), Some("22023"));
    }
    assert_eq!(
        sqlstate(&admin.create_audit_partition(1969, 1).await.unwrap_err()),
        "22023"
    );
    assert!(admin.ensure_audit_partitions(0).await.unwrap().is_empty());
    assert!(admin.ensure_audit_partitions(2).await.unwrap().is_empty());
    let created = admin.ensure_audit_partitions(5).await.unwrap();
    assert_eq!(
        created.len(),
        2,
        "only months 4 and 5 ahead are new: {created:?}"
    );
    assert!(admin.ensure_audit_partitions(-1).await.unwrap().is_empty());

    for (y, m) in [(2000, 1), (2001, 3), (2001, 4), (2001, 5)] {
        admin.create_audit_partition(y, m).await.unwrap();
    }
    let dropped = admin.drop_audit_partitions(1).await.unwrap();
    assert_eq!(
        dropped,
        vec![
            "audit_events_y2000m01",
            "audit_events_y2001m03",
            "audit_events_y2001m04",
            "audit_events_y2001m05"
        ]
    );
    let current: String = sqlx::query_scalar(
        "SELECT to_char(now() AT TIME ZONE 'UTC', '\"audit_events_y\"YYYY\"m\"MM')",
    )
    .fetch_one(&t.admin)
    .await
    .unwrap();
    assert!(admin
        .drop_audit_partitions(0)
        .await
        .unwrap()
        .iter()
        .all(|n| *n != current));
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('authn.' || $1) IS NOT NULL")
        .bind(&current)
        .fetch_one(&t.admin)
        .await
        .unwrap();
    assert!(exists, "the current month is never dropped");

    // 171: with no partition for now, audited writes fail with 23514 and change nothing.
    sqlx::query(&format!("DROP TABLE authn.{current}"))
        .execute(&t.admin)
        .await
        .unwrap();
    let err = t
        .authn
        .create_user("nopart@example.com", None)
        .await
        .unwrap_err();
    assert_eq!(err.sqlstate(), Some("23514"));
    assert!(t
        .authn
        .get_user_by_email("nopart@example.com")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn c161_c162_set_actor_and_clear_actor_settings() {
    let t = ctx().await;
    let mut conn = t.app.acquire().await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("SELECT authn.set_actor('user-123', 'req-456', '192.168.1.1', 'Mozilla/5.0', 'user:customer', 'test reason')")
        .execute(&mut *tx)
        .await
        .unwrap();
    let row = sqlx::query(
        "SELECT current_setting('authn.actor_id'), current_setting('authn.request_id'), \
         current_setting('authn.on_behalf_of'), current_setting('authn.reason')",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let got: (String, String, String, String) = (row.get(0), row.get(1), row.get(2), row.get(3));
    assert_eq!(
        got,
        (
            "user-123".into(),
            "req-456".into(),
            "user:customer".into(),
            "test reason".into()
        )
    );
    sqlx::query("SELECT authn.clear_actor()")
        .execute(&mut *tx)
        .await
        .unwrap();
    let row = sqlx::query(
        "SELECT current_setting('authn.actor_id', true), current_setting('authn.on_behalf_of', true), \
         current_setting('authn.reason', true)",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let got: (String, String, String) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(got, (String::new(), String::new(), String::new()));
    tx.rollback().await.unwrap();
}

#[tokio::test]
async fn c163_c164_c165_c166_c169_actor_columns() {
    let t = ctx().await;
    let client = t.as_actor(Actor {
        request_id: Some("request-789".into()),
        ..Actor::id("user:admin")
    });
    client.create_user("a@example.com", None).await.unwrap();
    let ev = &t.events("user_created").await[0];
    assert_eq!(
        (ev.actor_id.as_deref(), ev.request_id.as_deref()),
        (Some("user:admin"), Some("request-789"))
    );
    let client = t.as_actor(Actor {
        on_behalf_of: Some("user:customer-alice".into()),
        reason: Some("support_ticket:12345".into()),
        ..Actor::id("user:admin-bob")
    });
    client.create_user("b@example.com", None).await.unwrap();
    let ev = &t.events("user_created").await[0];
    assert_eq!(
        (
            ev.actor_id.as_deref(),
            ev.on_behalf_of.as_deref(),
            ev.reason.as_deref()
        ),
        (
            Some("user:admin-bob"),
            Some("user:customer-alice"),
            Some("support_ticket:12345")
        )
    );
    let client = t.as_actor(Actor {
        reason: Some("monthly_cleanup".into()),
        ..Actor::id("service:billing")
    });
    client.create_user("c@example.com", None).await.unwrap();
    let ev = &t.events("user_created").await[0];
    assert_eq!(
        (
            ev.actor_id.as_deref(),
            ev.reason.as_deref(),
            ev.on_behalf_of.as_deref()
        ),
        (Some("service:billing"), Some("monthly_cleanup"), None)
    );
    let id = t.authn.create_user("d@example.com", None).await.unwrap();
    let ev = &t.events("user_created").await[0];
    assert!(
        ev.actor_id.is_none()
            && ev.on_behalf_of.is_none()
            && ev.reason.is_none()
            && ev.request_id.is_none()
    );
    // 169: offboarding, end to end.
    let hr = t.as_actor(Actor {
        request_id: Some("offboarding-dave".into()),
        ..Actor::id("admin@company.com")
    });
    assert!(hr.disable_user(id).await.unwrap());
    let ev = &t.events("user_disabled").await[0];
    assert_eq!(
        (ev.actor_id.as_deref(), ev.request_id.as_deref()),
        (Some("admin@company.com"), Some("offboarding-dave"))
    );
}

#[tokio::test]
async fn c167_client_side_actor_merge() {
    let t = ctx().await;
    let mut client = t.authn.clone();
    client.set_actor(Actor::id("someone"));
    client.clear_actor();
    client.set_actor(Actor {
        request_id: Some("req-1".into()),
        ip_address: Some("10.0.0.1".parse().unwrap()),
        user_agent: Some("TestClient/1.0".into()),
        ..Actor::default()
    });
    client.create_user("a@example.com", None).await.unwrap();
    let ev = &t.events("user_created").await[0];
    assert!(ev.actor_id.is_none());
    assert_eq!(ev.request_id.as_deref(), Some("req-1"));
    assert_eq!(ev.ip_address.unwrap().to_string(), "10.0.0.1");
    assert_eq!(ev.user_agent.as_deref(), Some("TestClient/1.0"));
    client.set_actor(Actor::id("user:alice"));
    client.create_user("b@example.com", None).await.unwrap();
    let ev = &t.events("user_created").await[0];
    assert_eq!(ev.actor_id.as_deref(), Some("user:alice"));
    assert_eq!(ev.request_id.as_deref(), Some("req-1"));
    assert_eq!(ev.user_agent.as_deref(), Some("TestClient/1.0"));
}

#[tokio::test]
async fn c168_actor_inside_caller_managed_transaction() {
    let t = ctx().await;
    let client = t.as_actor(Actor::id("user:tx"));
    let mut conn: PgConnection = PgConnection::connect(&url_for(&t.database, Some(APP_ROLE)))
        .await
        .unwrap();
    let mut outer = conn.begin().await.unwrap();
    let mut tx = client.begin_on(&mut *outer).await.unwrap();
    let id = tx.create_user("tx@example.com", None).await.unwrap();
    tx.disable_user(id).await.unwrap();
    tx.commit().await.unwrap(); // a savepoint: nothing is visible until the caller commits
    assert!(t.authn.get_user(id).await.unwrap().is_none());
    outer.commit().await.unwrap();
    assert!(t.authn.get_user(id).await.unwrap().is_some());
    let ev = t.events("user_disabled").await;
    assert_eq!(ev[0].actor_id.as_deref(), Some("user:tx"));
    // Rolled back: nothing half-written.
    let mut tx = client.begin().await.unwrap();
    tx.create_user("gone@example.com", None).await.unwrap();
    tx.rollback().await.unwrap();
    assert!(t
        .authn
        .get_user_by_email("gone@example.com")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn c170_c171_no_secrets_and_event_type_check() {
    let t = ctx().await;
    let id = t
        .authn
        .create_user("s@example.com", Some("PWHASH-SECRET"))
        .await
        .unwrap();
    t.authn
        .update_password(id, "PWHASH-SECRET-2")
        .await
        .unwrap();
    let (sid, _) = t.session(id).await;
    t.authn
        .create_refresh_token(sid, "REFRESH-SECRET", None)
        .await
        .unwrap();
    t.authn
        .rotate_refresh_token("REFRESH-SECRET", "REFRESH-SECRET-2", None)
        .await
        .unwrap();
    t.authn
        .create_api_key(id, "APIKEY-SECRET", None, None)
        .await
        .unwrap();
    t.authn
        .create_token(id, "OTT-SECRET", authn::TokenType::MagicLink, None)
        .await
        .unwrap();
    t.authn
        .add_mfa(id, authn::MfaType::Totp, "MFA-SECRET", None)
        .await
        .unwrap();
    let dump = serde_json::to_string(&t.all_events().await).unwrap();
    assert!(!dump.contains("SECRET"), "{dump}");
    let err = sqlx::query(&format!(
        "INSERT INTO authn.audit_events (event_type, namespace, resource_type, resource_id) VALUES ('bogus', '{}', 'x', 'y')",
        t.ns
    ))
    .execute(&t.admin)
    .await
    .unwrap_err();
    assert_eq!(err.as_database_error().unwrap().code().unwrap(), "23514");
}

#[tokio::test]
async fn c235_c236_c237_c238_c239_c241_client_behaviour() {
    let t = ctx().await;
    // 235: the client exposes its namespace (the dict-cursor check is psycopg-specific).
    assert_eq!(t.authn.namespace(), t.ns);
    t.user("dup@example.com").await;
    let err = t
        .authn
        .create_user("dup@example.com", None)
        .await
        .unwrap_err();
    match &err {
        AuthnError::UniqueViolation { message, .. } => {
            assert!(message.contains("users_namespace_email_key"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.sqlstate(), Some("23505"));
    assert!(err.is_client_error());
    assert_eq!(AuthnError::UserDisabled.sqlstate(), None);
    let id = t.user("ip@example.com").await;
    t.authn
        .record_login_attempt(
            "ip@example.com",
            true,
            Some("192.168.1.100".parse().unwrap()),
        )
        .await
        .unwrap();
    t.authn
        .record_login_attempt("ip@example.com", true, Some("::1".parse().unwrap()))
        .await
        .unwrap();
    let ips: Vec<String> = t
        .authn
        .get_recent_attempts("ip@example.com", None)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.ip_address.unwrap().to_string())
        .collect();
    assert_eq!(ips, vec!["::1", "192.168.1.100"]);
    assert_eq!(id.to_string().len(), 36);
    // 239: exact filters, newest first.
    t.authn.disable_user(id).await.unwrap();
    t.authn.enable_user(id).await.unwrap();
    t.authn.disable_user(id).await.unwrap();
    let ev = t
        .authn
        .get_audit_events(&AuditQuery {
            event_type: Some("user_disabled".into()),
            resource_id: Some(id.to_string()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(ev.len(), 2);
    assert!(ev[0].id > ev[1].id);
    assert!(ev
        .iter()
        .all(|e| e.event_type == "user_disabled" && e.resource_id == id.to_string()));
    // Keyset paging over the same filter.
    let page = t
        .authn
        .get_audit_events(&AuditQuery {
            limit: 1,
            event_type: Some("user_disabled".into()),
            after: Some(authn::AuditCursor {
                event_time: ev[0].event_time,
                id: ev[0].id,
            }),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page[0].id, ev[1].id);
}
