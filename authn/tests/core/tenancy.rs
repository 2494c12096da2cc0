//! Spec §10.12 tenancy and row-level security, and pooled-connection isolation.

use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, Row};

use authn::{Actor, Authn, MfaType};

use crate::harness::*;

#[tokio::test]
async fn c174_c175_c176_c177_c178_namespaces_are_isolated() {
    let t = ctx().await;
    let b = t.other_namespace().await;
    let a_user = t
        .authn
        .create_user("same@example.com", Some("hash-a"))
        .await
        .unwrap();
    let b_user = b
        .create_user("same@example.com", Some("hash-b"))
        .await
        .unwrap();
    assert!(t.authn.get_user(b_user).await.unwrap().is_none());
    assert!(b.get_user(a_user).await.unwrap().is_none());
    assert_eq!(
        t.authn
            .get_credentials("same@example.com")
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .as_deref(),
        Some("hash-a")
    );
    assert_eq!(
        b.get_credentials("same@example.com")
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .as_deref(),
        Some("hash-b")
    );
    let (_, tok) = t.session(a_user).await;
    let mut bb = b.clone();
    assert!(bb.validate_session(&tok).await.unwrap().is_none());
    let mut aa = t.authn.clone();
    assert!(aa.validate_session(&tok).await.unwrap().is_some());
    for _ in 0..5 {
        t.authn
            .record_login_attempt("same@example.com", false, None)
            .await
            .unwrap();
    }
    assert!(t
        .authn
        .is_locked_out("same@example.com", None, None)
        .await
        .unwrap());
    assert!(!b
        .is_locked_out("same@example.com", None, None)
        .await
        .unwrap());
    t.authn
        .add_mfa(a_user, MfaType::Totp, "s", None)
        .await
        .unwrap();
    assert!(!b.has_mfa(a_user).await.unwrap());
    assert!(t.authn.has_mfa(a_user).await.unwrap());
}

#[tokio::test]
async fn c179_c180_c181_rls_fails_closed_for_the_app_role() {
    let t = ctx().await;
    let id = t.user("rls@example.com").await;
    t.session(id).await;
    t.authn
        .record_login_attempt("rls@example.com", false, None)
        .await
        .unwrap();
    let mut conn = t.app.acquire().await.unwrap();
    // No tenant: every table reads empty, inserts are refused.
    for table in [
        "users",
        "sessions",
        "refresh_tokens",
        "tokens",
        "mfa_secrets",
        "login_attempts",
        "api_keys",
        "impersonation_sessions",
        "audit_events",
    ] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM authn.{table}"))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(n, 0, "{table} visible without tenant");
    }
    let err =
        sqlx::query("INSERT INTO authn.users (namespace, email) VALUES ($1, 'x@example.com')")
            .bind(&t.ns)
            .execute(&mut *conn)
            .await
            .unwrap_err();
    assert_eq!(err.as_database_error().unwrap().code().unwrap(), "42501");
    let err = sqlx::query("SELECT authn.create_user('x@example.com', NULL, $1)")
        .bind(&t.ns)
        .execute(&mut *conn)
        .await
        .unwrap_err();
    assert_eq!(err.as_database_error().unwrap().code().unwrap(), "42501");
    // 180: set_tenant outside a transaction is gone at once.
    sqlx::query("SELECT authn.set_tenant($1)")
        .bind(&t.ns)
        .execute(&mut *conn)
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM authn.users")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(n, 0);
    // Inside one: own rows visible and writable, other namespaces refused.
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("SELECT authn.set_tenant($1)")
        .bind(&t.ns)
        .execute(&mut *tx)
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM authn.users")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(n, 1);
    sqlx::query("SELECT authn.create_user('y@example.com', NULL, $1)")
        .bind(&t.ns)
        .execute(&mut *tx)
        .await
        .unwrap();
    let mut sp = tx.begin().await.unwrap();
    let err = sqlx::query("SELECT authn.create_user('y@example.com', NULL, 'someone-else')")
        .execute(&mut *sp)
        .await
        .unwrap_err();
    assert_eq!(err.as_database_error().unwrap().code().unwrap(), "42501");
    sp.rollback().await.unwrap();
    // 181: reading another namespace warns and returns nothing.
    let rows =
        sqlx::query("SELECT * FROM authn.get_user_by_email('y@example.com', 'someone-else')")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
    assert!(rows.is_empty());
    tx.rollback().await.unwrap();
    // clear_tenant closes it again.
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("SELECT authn.set_tenant($1)")
        .bind(&t.ns)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("SELECT authn.clear_tenant()")
        .execute(&mut *tx)
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM authn.users")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn c182_operator_functions_need_a_grant() {
    let t = ctx().await;
    sqlx::query("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authn_test_plain') THEN CREATE ROLE authn_test_plain LOGIN; END IF; END $$")
        .execute(&t.admin)
        .await
        .ok();
    sqlx::query("GRANT authn_app TO authn_test_plain")
        .execute(&t.admin)
        .await
        .unwrap();
    let mut conn = sqlx::PgConnection::connect(&url_for(&t.database, Some("authn_test_plain")))
        .await
        .unwrap();
    for call in [
        "SELECT * FROM authn.list_active_operator_impersonations(10)",
        "SELECT * FROM authn.get_operator_audit_events()",
        "SELECT authn.end_operator_impersonation(gen_random_uuid())",
        "SELECT * FROM authn.operator_audit_events",
    ] {
        let err = sqlx::query(call).execute(&mut conn).await.unwrap_err();
        assert_eq!(
            err.as_database_error().unwrap().code().unwrap(),
            "42501",
            "{call}"
        );
    }
    // D9: nobody but the definer functions may forge operator audit rows.
    let err = sqlx::query(
        "SELECT authn._log_operator_audit_event('x', 'a', gen_random_uuid(), 'e', 'b', gen_random_uuid(), 'f', 'r')",
    )
    .execute(&mut conn)
    .await
    .unwrap_err();
    assert_eq!(err.as_database_error().unwrap().code().unwrap(), "42501");
}

/// One pooled connection shared by interleaved namespaces and actors: every audit row must
/// carry its own call's namespace and actor, and nothing set for one call survives into the
/// next.
#[tokio::test]
async fn pooled_connection_isolation() {
    let t = ctx().await;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url_for(&t.database, Some(APP_ROLE)))
        .await
        .unwrap();
    let a = Authn::new(pool.clone(), format!("{}-a", t.ns))
        .await
        .unwrap();
    let b = Authn::new(pool.clone(), format!("{}-b", t.ns))
        .await
        .unwrap();
    for i in 0..10 {
        let alice = a.with_actor(Actor {
            request_id: Some(format!("a-{i}")),
            ..Actor::id("user:alice")
        });
        alice
            .create_user(&format!("a{i}@example.com"), None)
            .await
            .unwrap();
        let bob = b.with_actor(Actor {
            request_id: Some(format!("b-{i}")),
            ..Actor::id("user:bob")
        });
        bob.create_user(&format!("b{i}@example.com"), None)
            .await
            .unwrap();
        // No actor at all: must not inherit the previous call's.
        let anon = a
            .create_user(&format!("anon{i}@example.com"), None)
            .await
            .unwrap();
        let ev = &a
            .get_audit_events(&authn::AuditQuery {
                resource_id: Some(anon.to_string()),
                ..Default::default()
            })
            .await
            .unwrap()[0];
        assert!(ev.actor_id.is_none() && ev.request_id.is_none());
    }
    let rows = sqlx::query("SELECT namespace, actor_id, request_id FROM authn.audit_events WHERE namespace IN ($1, $2) AND actor_id IS NOT NULL")
        .bind(a.namespace())
        .bind(b.namespace())
        .fetch_all(&t.admin)
        .await
        .unwrap();
    assert_eq!(rows.len(), 20);
    for row in rows {
        let ns: String = row.get(0);
        let actor: String = row.get(1);
        let req: String = row.get(2);
        if ns.ends_with("-a") {
            assert!(actor == "user:alice" && req.starts_with("a-"));
        } else {
            assert!(actor == "user:bob" && req.starts_with("b-"));
        }
    }
    // And no tenant lingers on the connection after a call.
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM authn.users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
    let s: Option<String> =
        sqlx::query_scalar("SELECT nullif(current_setting('authn.actor_id', true), '')")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(s.is_none());
}

/// Migration 22: the application role adds to the audit trail and reads it, and can neither
/// change nor remove an event, even of its own namespace.
#[tokio::test]
async fn the_app_role_cannot_change_or_remove_audit_events() {
    let t = ctx().await;
    t.user("audited@example.com").await;
    assert!(t.audit_count().await > 0);
    let mut tx = t.app.begin().await.unwrap();
    sqlx::query("SELECT authn.set_tenant($1)")
        .bind(&t.ns)
        .execute(&mut *tx)
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM authn.audit_events")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert!(n > 0, "own events are readable");
    for statement in [
        "UPDATE authn.audit_events SET reason = 'rewritten'",
        "DELETE FROM authn.audit_events",
        "TRUNCATE authn.audit_events",
    ] {
        let mut sp = tx.begin().await.unwrap();
        let err = sqlx::query(statement).execute(&mut *sp).await.unwrap_err();
        assert_eq!(
            err.as_database_error().unwrap().code().unwrap(),
            "42501",
            "{statement}"
        );
        sp.rollback().await.unwrap();
    }
    tx.rollback().await.unwrap();
    assert_eq!(t.audit_count().await as i64, n);
}

/// Migration 24: the application role, which may not run DDL itself, still creates the coming
/// months' audit partitions (else audited writes stop when the last one runs out), through
/// the core's own function only.
#[tokio::test]
async fn the_app_role_creates_audit_partitions_through_the_core_only() {
    let t = ctx().await;
    let created: Option<String> =
        sqlx::query_scalar("SELECT authn.create_audit_partition(2199, 7)")
            .fetch_one(&t.app)
            .await
            .unwrap();
    assert_eq!(created.as_deref(), Some("audit_events_y2199m07"));
    let err = sqlx::query(
        "CREATE TABLE authn.audit_events_y2199m08 PARTITION OF authn.audit_events \
         FOR VALUES FROM ('2199-08-01') TO ('2199-09-01')",
    )
    .execute(&t.app)
    .await
    .unwrap_err();
    assert_eq!(err.as_database_error().unwrap().code().unwrap(), "42501");
    t.sql("DROP TABLE authn.audit_events_y2199m07").await;
}

/// Transactions serialised on one key (trimmed, any case) in one namespace run one after the
/// other, whether the lock is taken as the transaction starts or later; other keys and other
/// namespaces do not wait.
#[tokio::test]
async fn transactions_serialised_on_one_key_wait_for_each_other() {
    use std::time::Duration;
    let t = ctx().await;
    let held = t
        .authn
        .begin_serialised("Someone@Example.com")
        .await
        .unwrap();
    let blocked = |authn: Authn, key: &'static str, late: bool| async move {
        let attempt = async {
            if late {
                let mut tx = authn.begin().await.unwrap();
                tx.serialise_on(key).await.unwrap();
                tx
            } else {
                authn.begin_serialised(key).await.unwrap()
            }
        };
        tokio::time::timeout(Duration::from_millis(300), attempt)
            .await
            .is_err()
    };
    assert!(blocked(t.authn.clone(), " someone@example.com ", false).await);
    assert!(blocked(t.authn.clone(), "SOMEONE@example.com", true).await);
    assert!(!blocked(t.authn.clone(), "other@example.com", false).await);
    assert!(!blocked(t.other_namespace().await, "someone@example.com", true).await);

    // Once the holder ends, the next one goes.
    let waiting = tokio::spawn({
        let authn = t.authn.clone();
        async move { authn.begin_serialised("someone@example.com").await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!waiting.is_finished());
    held.commit().await.unwrap();
    let next = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("the waiting transaction goes on")
        .unwrap();
    next.rollback().await.unwrap();
}
