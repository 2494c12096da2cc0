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
/// and liveness beside the id, and with no statistics yet (a new deployment) or statistics
/// older than the namespace's sessions the planner chose the live-sessions index and read every
/// session of the namespace (or the user) on each call (migration 41).
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
