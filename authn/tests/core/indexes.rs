//! The hot paths use indexes at realistic size: after running them repeatedly (so the
//! functions' cached generic plans are exercised too), no large table has been scanned
//! sequentially (empty partitions excepted: scanning nothing is their best plan). Counted through PostgreSQL's own per-table statistics, in a database of this
//! test's own.

use sqlx::postgres::PgPoolOptions;
use sqlx::Row;

use authn::{AuditCursor, AuditQuery, Authn};

use crate::harness::*;

#[path = "../../benches/support/fixture.rs"]
mod fixture;

const TABLES: &str =
    "'users', 'sessions', 'api_keys', 'login_attempts', 'refresh_tokens', 'impersonation_sessions'";

async fn seq_scans(pool: &sqlx::PgPool) -> Vec<(String, i64)> {
    sqlx::query("SELECT pg_stat_clear_snapshot()")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(&format!(
        "SELECT relname::text, seq_scan FROM pg_stat_user_tables
          WHERE schemaname = 'authn' AND (relname IN ({TABLES}) OR relname LIKE 'audit_events_y%')
            AND n_live_tup > 1000
          ORDER BY relname"
    ))
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_paths_use_indexes_at_realistic_size() {
    let db = create_migrated_database("authn_idx");
    let t = ctx_on(&db).await;
    let size = fixture::Size {
        users: 20_000,
        sessions_per_user: 10,
        audit_events: 200_000,
        audit_months: 3,
    };
    fixture::populate(&t.admin, "bench", size).await.unwrap();
    // One connection, so that its pending statistics can be flushed before reading them.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url_for(&db, Some(APP_ROLE)))
        .await
        .unwrap();
    let mut client = Authn::new(pool.clone(), "bench").await.unwrap();
    let before = seq_scans(&t.admin).await;

    let mut cursor = None;
    for i in 1..=12 {
        let n = i * 1000 + 1; // sessions with n % 10 in {3, 7} are revoked or expired
        assert!(client
            .validate_session(&fixture::session_token_hash(n))
            .await
            .unwrap()
            .is_some());
        assert!(client
            .validate_api_key(&fixture::api_key_hash(n))
            .await
            .unwrap()
            .is_some());
        client
            .is_locked_out(&fixture::email(n), None, None)
            .await
            .unwrap();
        let page = client.list_users(Some(50), cursor).await.unwrap();
        cursor = page.last().map(|u| u.user_id);
        let events = client
            .get_audit_events(&AuditQuery {
                limit: 50,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        let last = events.last().unwrap();
        let next = client
            .get_audit_events(&AuditQuery {
                limit: 50,
                after: Some(AuditCursor {
                    event_time: last.event_time,
                    id: last.id,
                }),
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(next.len(), 50);
        client
            .get_audit_events(&AuditQuery {
                limit: 50,
                resource_type: Some("user".into()),
                resource_id: Some("resource-77".into()),
                ..AuditQuery::default()
            })
            .await
            .unwrap();
    }
    sqlx::query("SELECT pg_stat_force_next_flush()")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("SELECT 1").execute(&pool).await.unwrap();
    pool.close().await;
    let after = seq_scans(&t.admin).await;
    assert!(!after.is_empty());
    let grew: Vec<_> = after
        .iter()
        .filter(|(name, n)| {
            before
                .iter()
                .find(|(b, _)| b == name)
                .map_or(*n > 0, |(_, m)| n > m)
        })
        .collect();
    assert!(grew.is_empty(), "sequential scans on: {grew:?}");
}

/// Rows of `authn.sessions` this transaction has read so far, by index or sequential scan
/// (PostgreSQL's per-transaction statistics, not yet flushed).
async fn session_rows_read(tx: &mut authn::AuthnTx<'_>) -> i64 {
    let (conn, _) = tx.parts();
    sqlx::query_scalar(
        "SELECT coalesce(idx_tup_fetch, 0) + seq_tup_read FROM pg_stat_xact_user_tables
          WHERE relid = 'authn.sessions'::regclass",
    )
    .fetch_one(conn)
    .await
    .unwrap()
}

/// A refresh token for a session, and ending that session, read the session alone, whatever
/// the planner believes about the namespace. Their lookups named the namespace (and the user)
/// and liveness beside the id, and with no statistics yet (a new deployment, a restored dump)
/// the planner chose the live-sessions index and read every session of the namespace (or the
/// user) on each call (migration 41).
#[tokio::test]
async fn one_session_by_id_is_read_alone_whatever_the_statistics() {
    let db = create_migrated_database("authn_stale");
    let t = ctx_on(&db).await;
    let user = t.user("many-sessions@example.com").await;
    // No statistics yet, as on a new deployment (and none taken during the test).
    t.sql("ALTER TABLE authn.sessions SET (autovacuum_enabled = false)")
        .await;
    // The session first: the live-sessions index keeps a user's newest sessions first.
    let (session, _) = t.session(user).await;
    sqlx::query(
        "SELECT count(authn.create_session($1, encode(sha256(('s' || i)::bytea), 'hex'), NULL, NULL, NULL, $2))
           FROM generate_series(1, 2000) AS i",
    )
    .bind(user)
    .bind(&t.ns)
    .execute(&t.admin)
    .await
    .unwrap();

    let mut tx = t.authn.begin().await.unwrap();
    let before = session_rows_read(&mut tx).await;
    tx.create_refresh_token(session, &token(), None)
        .await
        .unwrap();
    let read = session_rows_read(&mut tx).await - before;
    // The lookup and the foreign key's check: one row each.
    assert!(read <= 2, "read {read} sessions for one refresh token");
    let before = session_rows_read(&mut tx).await;
    assert!(tx.revoke_session_by_id(session, user).await.unwrap());
    let read = session_rows_read(&mut tx).await - before;
    // Locked, then updated, by id: a few reads of the one row, not the user's 2,001 sessions.
    assert!(read <= 3, "read {read} sessions to end one");
    tx.commit().await.unwrap();
}

/// Rows and index entries of the core's tables this transaction has read so far
/// (per-transaction statistics, not yet flushed).
async fn rows_read(tx: &mut authn::AuthnTx<'_>) -> i64 {
    let (conn, _) = tx.parts();
    sqlx::query_scalar(
        "SELECT coalesce(sum(coalesce(t.idx_tup_fetch, 0) + t.seq_tup_read
                 + coalesce((SELECT sum(pg_stat_get_xact_tuples_returned(i.indexrelid))
                               FROM pg_index i WHERE i.indrelid = t.relid), 0)), 0)::bigint
           FROM pg_stat_xact_user_tables t
          WHERE t.schemaname = 'authn'",
    )
    .fetch_one(conn)
    .await
    .unwrap()
}

/// Data that arrived without planner statistics (a restored dump, a bulk load; autovacuum off
/// here so that none appear during the test) is analyzed by `migrate`'s
/// `analyze_tables_without_statistics`, after which each hot path reads rows in proportion to
/// the caller's own data, not the namespace's. Without the analysis validating one session read
/// 69,000 rows and index entries of the namespace's 50,000 sessions, listing a user's ten
/// sessions 80,000.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_paths_read_the_callers_rows_once_migrate_took_statistics() {
    let db = create_migrated_database("authn_nostats");
    let t = ctx_on(&db).await;
    t.sql(
        "DO $$ DECLARE r record; BEGIN
           FOR r IN SELECT c.oid::regclass AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname IN ('authn', 'gatehouse') AND c.relkind = 'r' LOOP
             EXECUTE format('ALTER TABLE %s SET (autovacuum_enabled = false)', r.t);
           END LOOP; END $$",
    )
    .await;
    let size = fixture::Size {
        users: 5_000,
        sessions_per_user: 10,
        audit_events: 20_000,
        audit_months: 1,
    };
    fixture::populate_without_statistics(&t.admin, "bench", size)
        .await
        .unwrap();
    let analyzed = authn::analyze_tables_without_statistics(&t.admin)
        .await
        .unwrap();
    for table in [
        "authn.api_keys",
        "authn.login_attempts",
        "authn.sessions",
        "authn.users",
    ] {
        assert!(
            analyzed.iter().any(|a| a == table),
            "{table} not in {analyzed:?}"
        );
    }
    assert!(
        !analyzed.iter().any(|a| a == "authn.mfa_secrets"),
        "an empty table"
    );
    // A second run finds nothing left to do.
    assert_eq!(
        authn::analyze_tables_without_statistics(&t.admin)
            .await
            .unwrap(),
        Vec::<String>::new()
    );

    let client = Authn::new(t.app.clone(), "bench").await.unwrap();
    let n = 4_321;
    let mut tx = client.begin().await.unwrap();
    // The running count after each step, labelled with the step.
    let mut marks = vec![("start", rows_read(&mut tx).await)];
    macro_rules! step {
        ($label:expr, $call:expr) => {{
            let out = $call;
            marks.push(($label, rows_read(&mut tx).await));
            out
        }};
    }
    let session = step!(
        "validate_session",
        tx.validate_session(&fixture::session_token_hash(n))
            .await
            .unwrap()
            .unwrap()
    );
    let user = session.user_id;
    step!(
        "validate_api_key",
        tx.validate_api_key(&fixture::api_key_hash(n))
            .await
            .unwrap()
    );
    step!(
        "password_check",
        tx.password_check(&fixture::email(n), None, None)
            .await
            .unwrap()
    );
    step!(
        "record_login_attempt",
        tx.record_login_attempt(&fixture::email(n), false, None)
            .await
            .unwrap()
    );
    let opened = step!(
        "create_session",
        tx.create_session(authn::NewSession::new(user, &token()))
            .await
            .unwrap()
    );
    let refresh = token();
    step!(
        "create_refresh_token",
        tx.create_refresh_token(opened, &refresh, None)
            .await
            .unwrap()
    );
    step!(
        "rotate_refresh_token",
        tx.rotate_refresh_token(&refresh, &token(), None)
            .await
            .unwrap()
    );
    step!("list_sessions", tx.list_sessions(user).await.unwrap());
    step!(
        "revoke_session_by_id",
        tx.revoke_session_by_id(session.session_id, user)
            .await
            .unwrap()
    );
    step!(
        "revoke_all_sessions",
        tx.revoke_all_sessions(user).await.unwrap()
    );
    tx.rollback().await.unwrap();
    let reads: Vec<(&str, i64)> = marks
        .windows(2)
        .map(|w| (w[1].0, w[1].1 - w[0].1))
        .collect();
    // The user has eleven sessions and a refresh token or two by now; the namespace 50,000.
    let wide: Vec<_> = reads.iter().filter(|(_, read)| *read > 100).collect();
    assert!(
        wide.is_empty(),
        "read more than the caller's rows: {reads:?}"
    );
}
