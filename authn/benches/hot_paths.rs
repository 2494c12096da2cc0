//! Benchmark of the core's hot paths at 100k users, 1M sessions and 1M audit events.
//!
//!     cargo bench -p authn --bench hot_paths            (or scripts/bench)
//!
//! Uses `GATEHOUSE_BENCH_DATABASE_URL` (a superuser URL of any database on the cluster), else
//! the project-local cluster of `scripts/pg-local`. The data set is generated once with a fixed
//! seed into the database `authn_bench` and reused while its size matches. Client calls go
//! through `Authn` as a role subject to row-level security, one call at a time; the
//! validate_session comparison runs inside the server to leave the network out.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;
use std::time::{Duration, Instant};

use authn::{AuditCursor, AuditQuery, Authn};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, Executor, PgConnection};
use test_support::with_database;

#[path = "support/fixture.rs"]
mod fixture;

const SIZE: fixture::Size = fixture::Size {
    users: 100_000,
    sessions_per_user: 10,
    audit_events: 1_000_000,
    audit_months: 6,
};
const DATABASE: &str = "authn_bench";
const ROLE: &str = "authn_bench_app";

fn admin_url() -> String {
    if let Ok(url) = std::env::var("GATEHOUSE_BENCH_DATABASE_URL") {
        return url;
    }
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = Command::new(format!("{root}/scripts/pg-local"))
        .arg("start")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

async fn prepare(admin_url: &str) {
    let marker = format!("{SIZE:?}");
    let db_url = with_database(admin_url, DATABASE, None);
    if let Ok(mut conn) = PgConnection::connect(&db_url).await {
        let have: Option<String> = sqlx::query_scalar("SELECT size FROM public.bench_fixture")
            .fetch_optional(&mut conn)
            .await
            .unwrap_or(None);
        if have.as_deref() == Some(marker.as_str()) {
            return;
        }
    }
    eprintln!("generating {marker} (once)...");
    let mut admin = PgConnection::connect(admin_url).await.unwrap();
    admin
        .execute(format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)").as_str())
        .await
        .unwrap();
    admin
        .execute(format!("CREATE DATABASE {DATABASE}").as_str())
        .await
        .unwrap();
    let mut conn = PgConnection::connect(&db_url).await.unwrap();
    authn::MIGRATOR.run(&mut conn).await.unwrap();
    conn.execute(
        format!(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') \
             THEN CREATE ROLE {ROLE} LOGIN; END IF; END $$"
        )
        .as_str(),
    )
    .await
    .unwrap();
    conn.execute(format!("GRANT authn_app TO {ROLE}").as_str())
        .await
        .unwrap();
    conn.execute(include_str!("support/naive.sql"))
        .await
        .unwrap();
    conn.execute(format!("GRANT USAGE ON SCHEMA bench_naive TO {ROLE}").as_str())
        .await
        .unwrap();
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&db_url)
        .await
        .unwrap();
    let started = Instant::now();
    fixture::populate(&pool, "bench", SIZE).await.unwrap();
    eprintln!("generated in {:.0?}", started.elapsed());
    sqlx::query("CREATE TABLE public.bench_fixture (size text)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO public.bench_fixture VALUES ($1)")
        .bind(&marker)
        .execute(&pool)
        .await
        .unwrap();
}

fn report(name: &str, mut samples: Vec<Duration>) {
    let total: Duration = samples.iter().sum();
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "{name:<34} {:>8.0} calls/s   p50 {:>7.3} ms   p99 {:>7.3} ms   ({} calls)",
        samples.len() as f64 / total.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        samples.len()
    );
}

async fn measure<F, Fut>(name: &str, calls: usize, mut f: F)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for i in 0..calls / 10 {
        f(i).await; // warm-up
    }
    let mut samples = Vec::with_capacity(calls);
    for i in 0..calls {
        let t0 = Instant::now();
        f(i).await;
        samples.push(t0.elapsed());
    }
    report(name, samples);
}

/// A live session's number: sessions with n % 10 in {3, 7} are revoked or expired.
fn live(i: usize) -> i64 {
    let n = (i as i64 * 7919) % (SIZE.users * SIZE.sessions_per_user) + 1;
    if matches!(n % 10, 3 | 7) {
        n + 1
    } else {
        n
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let admin_url = admin_url();
    prepare(&admin_url).await;
    let app_url = with_database(&admin_url, DATABASE, Some(ROLE));
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&app_url)
        .await
        .unwrap();
    let client = Authn::new(pool.clone(), "bench").await.unwrap();
    let calls = std::env::var("BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);

    println!("data: {SIZE:?}; client: Authn over one connection, role subject to RLS");
    measure("validate_session", calls, |i| {
        let mut c = client.clone();
        async move {
            assert!(c
                .validate_session(&fixture::session_token_hash(live(i)))
                .await
                .unwrap()
                .is_some());
        }
    })
    .await;
    measure("validate_api_key", calls, |i| {
        let c = client.clone();
        async move {
            let n = (i as i64 * 7919) % SIZE.users + 1;
            assert!(c
                .validate_api_key(&fixture::api_key_hash(n))
                .await
                .unwrap()
                .is_some());
        }
    })
    .await;
    measure("is_locked_out", calls, |i| {
        let c = client.clone();
        async move {
            let n = (i as i64 * 7919) % SIZE.users + 1;
            c.is_locked_out(&fixture::email(n), None, None)
                .await
                .unwrap();
        }
    })
    .await;
    let ids: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM authn.users WHERE namespace = 'bench' AND email LIKE 'user%' ORDER BY random() LIMIT 500")
        .fetch_all(&PgPoolOptions::new().max_connections(1).connect(&with_database(&admin_url, DATABASE, None)).await.unwrap())
        .await
        .unwrap();
    measure("list_users page (50, keyset)", calls, |i| {
        let c = client.clone();
        let cursor = ids[i % ids.len()];
        async move {
            assert!(!c
                .list_users(Some(50), Some(cursor))
                .await
                .unwrap()
                .is_empty());
        }
    })
    .await;
    let first = client
        .get_audit_events(&AuditQuery {
            limit: 2000,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    measure("get_audit_events page (50)", calls, |i| {
        let c = client.clone();
        let after = (i % 2 == 1).then(|| {
            let e = &first[(i * 37) % first.len()];
            AuditCursor {
                event_time: e.event_time,
                id: e.id,
            }
        });
        async move {
            let page = c
                .get_audit_events(&AuditQuery {
                    limit: 50,
                    after,
                    ..AuditQuery::default()
                })
                .await
                .unwrap();
            assert_eq!(page.len(), 50);
        }
    })
    .await;

    // The core against a straightforward PL/pgSQL implementation, same data, inside the server.
    let tokens: Vec<String> = (0..1000)
        .map(|i| fixture::session_token_hash(live(i)))
        .collect();
    let mut conn = pool.acquire().await.unwrap();
    let mut core = Vec::new();
    let mut naive = Vec::new();
    for _ in 0..7 {
        for (imp, out) in [("core", &mut core), ("naive", &mut naive)] {
            let mut tx = conn.begin().await.unwrap();
            sqlx::query("SELECT authn.set_tenant('bench')")
                .execute(&mut *tx)
                .await
                .unwrap();
            let us: f64 = sqlx::query_scalar("SELECT bench_naive.time_validate($1, 20000, $2)")
                .bind(imp)
                .bind(&tokens)
                .fetch_one(&mut *tx)
                .await
                .unwrap();
            tx.rollback().await.unwrap();
            out.push(us);
        }
    }
    core.sort_by(f64::total_cmp);
    naive.sort_by(f64::total_cmp);
    let (c, n) = (core[core.len() / 2], naive[naive.len() / 2]);
    println!(
        "validate_session in-server median: core {c:.2} µs/call, straightforward PL/pgSQL {n:.2} µs/call: core is {:.2}x as fast",
        n / c
    );
}
