//! Admin console pages at scale, rendered by the real router over HTTP as a browser gets them
//! (session check, role check, the query, the server-side render):
//!
//!     cargo bench -p server --bench admin_pages     (or scripts/bench admin)
//!
//! Seeds a throwaway database with one namespace of 100,000 users (a fifth with MFA, some
//! disabled or unconfirmed) and 1,000,000 audit events spread over five monthly partitions,
//! then times each page BENCH_PAGES times (default 30) and prints median and p90. Uses
//! `GATEHOUSE_TEST_DATABASE_URL` (a superuser URL), else the project-local test cluster.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use clap::Parser;
use gatehouse_server::config::Cli;
use gatehouse_server::web;
use leptos::config::LeptosOptions;

const NS: &str = "bench";
const USERS: i64 = 100_000;
const EVENTS: i64 = 1_000_000;

fn median(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort();
    (samples[samples.len() / 2], samples[samples.len() * 9 / 10])
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("BENCH_PAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let db = tokio::task::spawn_blocking(|| test_support::create_migrated_database("bench_admin"))
        .await
        .unwrap();
    let database_url = test_support::url_for(&db, None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let cli = Cli::parse_from([
        "gatehouse",
        "--database-url",
        &database_url,
        "--base-url",
        &base,
        "--secret-key",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ]);
    let pool = web::connect_pool(&cli.config).await.unwrap();

    eprintln!("seeding {USERS} users and {EVENTS} audit events…");
    let seeding = Instant::now();
    for statement in [
        format!(
            "INSERT INTO authn.users (namespace, email, email_verified_at, disabled_at, created_at) \
             SELECT '{NS}', 'user' || lpad(i::text, 6, '0') || '@bench.example', \
                    CASE WHEN i % 10 <> 0 THEN now() END, CASE WHEN i % 50 = 0 THEN now() END, \
                    now() - i * interval '5 minutes' \
               FROM generate_series(1, {USERS}) AS i"
        ),
        format!(
            "INSERT INTO authn.mfa_secrets (namespace, user_id, mfa_type, secret) \
             SELECT '{NS}', id, 'totp', 'sealed' FROM authn.users WHERE namespace = '{NS}' \
              AND email LIKE '%0@bench.example' OR (namespace = '{NS}' AND email LIKE '%5@bench.example')"
        ),
        "SELECT authn.create_audit_partition(extract(year FROM d)::int, extract(month FROM d)::int) \
           FROM generate_series(now() - interval '5 months', now(), interval '1 month') AS d"
            .to_owned(),
        format!(
            "INSERT INTO authn.audit_events (event_type, event_time, actor_id, request_id, namespace, \
                    resource_type, resource_id, new_values) \
             SELECT (ARRAY['session_created','user_updated','user_disabled','mfa_used','token_created'])[1 + i % 5], \
                    now() - (i * interval '11 seconds'), 'user:' || md5((i % 5000)::text)::uuid, \
                    md5(i::text), '{NS}', 'user', md5((i % {USERS})::text)::uuid::text, \
                    jsonb_build_object('n', i) \
               FROM generate_series(1, {EVENTS}) AS i"
        ),
        "ANALYZE authn.users".to_owned(),
        "ANALYZE authn.audit_events".to_owned(),
        "ANALYZE authn.mfa_secrets".to_owned(),
    ] {
        sqlx::query(&statement).execute(&pool).await.unwrap();
    }
    eprintln!("seeded in {:.1?}", seeding.elapsed());

    // An admin with a session the bench's client presents.
    let core = authn::Authn::new(pool.clone(), NS).await.unwrap();
    let admin = core.create_user("admin@bench.example", None).await.unwrap();
    let mut tx = core.begin().await.unwrap();
    identity::roles::grant_admin(&mut tx, admin).await.unwrap();
    tx.commit().await.unwrap();
    let token = identity::OpaqueToken::generate();
    let admin_session = core
        .create_session(authn::NewSession::new(admin, &token.hash()))
        .await
        .unwrap();
    // As if just signed in: the export needs sudo mode.
    let mut tx = core.begin().await.unwrap();
    identity::reauth::record(&mut tx, admin_session)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // A platform operator (with the authenticator the console asks for), for the operator
    // console's search of a customer's users.
    let platform = authn::Authn::new(pool.clone(), "platform").await.unwrap();
    let operator = platform
        .create_user("operator@bench.example", None)
        .await
        .unwrap();
    let mut tx = platform.begin().await.unwrap();
    identity::roles::grant_operator(&mut tx, operator)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    platform
        .add_mfa(operator, authn::MfaType::Totp, &"t".repeat(64), None)
        .await
        .unwrap();
    core.add_mfa(admin, authn::MfaType::Totp, &"t".repeat(64), None)
        .await
        .unwrap();
    let operator_token = identity::OpaqueToken::generate();
    platform
        .create_session(authn::NewSession::new(operator, &operator_token.hash()))
        .await
        .unwrap();

    let state = web::app_state(&cli.config, pool.clone()).unwrap();
    let options = LeptosOptions::builder()
        .output_name("gatehouse")
        .site_addr(addr)
        .build();
    let health = gatehouse_server::health::Health::new(pool.clone(), false);
    let router = web::router(
        &cli.config,
        state,
        options.clone(),
        health,
        gatehouse_server::assets::Assets::load(&options, None).unwrap(),
    )
    .unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let http = reqwest::Client::new();
    let cookie = format!("gatehouse_session={}", token.expose());
    let get = |path: String| {
        let request = http
            .get(format!("{base}{path}"))
            .header("Cookie", &cookie)
            .send();
        async move {
            let response = request.await.unwrap();
            assert!(
                response.status().is_success(),
                "{path}: {}",
                response.status()
            );
            response.text().await.unwrap()
        }
    };
    // Deep cursors, taken from the pages' own "next" links.
    let next_link = |html: &str| {
        let at = html.find("rel=\"next\"").expect("a next link");
        let start = html[..at].rfind("href=\"").unwrap() + 6;
        let end = start + html[start..].find('"').unwrap();
        html[start..end].replace("&amp;", "&")
    };
    let mut deep_users = format!("/{NS}/admin/users?sort=email");
    for _ in 0..20 {
        deep_users = next_link(&get(deep_users.clone()).await);
    }
    let mut deep_audit = format!(
        "/{NS}/admin/audit?until={}",
        (chrono::Utc::now() - chrono::TimeDelta::days(90)).format("%Y-%m-%dT%H:%M")
    );
    deep_audit = next_link(&get(deep_audit).await);
    let some_user: String = sqlx::query_scalar(
        "SELECT resource_id FROM authn.audit_events WHERE namespace = $1 LIMIT 1",
    )
    .bind(NS)
    .fetch_one(&pool)
    .await
    .unwrap();
    let user_id: uuid::Uuid = sqlx::query_scalar(
        "SELECT id FROM authn.users WHERE namespace = $1 AND email = 'user054321@bench.example'",
    )
    .bind(NS)
    .fetch_one(&pool)
    .await
    .unwrap();

    let pages = [
        ("users, first page (newest)", format!("/{NS}/admin/users")),
        (
            "users, search 'user0543'",
            format!("/{NS}/admin/users?email=user0543"),
        ),
        (
            "users, search '@bench' by email",
            format!("/{NS}/admin/users?email=%40bench&sort=email"),
        ),
        (
            "users, MFA + unconfirmed filter",
            format!("/{NS}/admin/users?mfa=yes&verified=no"),
        ),
        (
            "users, disabled, oldest first",
            format!("/{NS}/admin/users?disabled=yes&sort=oldest"),
        ),
        ("users, page 21 by email", deep_users),
        ("user detail", format!("/{NS}/admin/users/{user_id}")),
        ("audit, first page", format!("/{NS}/admin/audit")),
        (
            "audit, event type filter",
            format!("/{NS}/admin/audit?event_type=user_disabled"),
        ),
        (
            "audit, one resource's history",
            format!("/{NS}/admin/audit?resource_type=user&resource_id={some_user}"),
        ),
        ("audit, page past 90 days back", deep_audit),
        ("lockouts", format!("/{NS}/admin/lockouts")),
    ];
    println!("{rounds} renders each, {USERS} users and {EVENTS} audit events in the namespace");
    for (name, path) in pages {
        get(path.clone()).await; // warm
        let mut samples = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let started = Instant::now();
            get(path.clone()).await;
            samples.push(started.elapsed());
        }
        let (median, p90) = median(&mut samples);
        println!(
            "{name:<34} median {:>7.2} ms   p90 {:>7.2} ms",
            median.as_secs_f64() * 1e3,
            p90.as_secs_f64() * 1e3
        );
    }

    // The operator console's search of a customer's users, as an operator.
    let operator_cookie = format!("gatehouse_session={}", operator_token.expose());
    for (name, path) in [
        (
            "operator: search 'user0543'",
            format!("/platform/operator/users?target_namespace={NS}&email=user0543"),
        ),
        (
            "operator: search '@bench'",
            format!("/platform/operator/users?target_namespace={NS}&email=%40bench"),
        ),
    ] {
        let fetch = || {
            let request = http
                .get(format!("{base}{path}"))
                .header("Cookie", &operator_cookie)
                .send();
            let path = path.clone();
            async move {
                let html = request.await.unwrap().text().await.unwrap();
                assert!(html.contains("found-users"), "{path}: no results rendered");
            }
        };
        fetch().await; // warm
        let mut samples = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let started = Instant::now();
            fetch().await;
            samples.push(started.elapsed());
        }
        let (median, p90) = median(&mut samples);
        println!(
            "{name:<34} median {:>7.2} ms   p90 {:>7.2} ms",
            median.as_secs_f64() * 1e3,
            p90.as_secs_f64() * 1e3
        );
    }

    // The whole trail as one CSV download.
    let started = Instant::now();
    let body = get(format!("/{NS}/admin/audit-export?format=csv")).await;
    let rows = body.lines().count() - 1;
    let took = started.elapsed();
    println!(
        "export of all {rows} events as CSV: {:.1} s ({:.0} events/s, {:.0} MB)",
        took.as_secs_f64(),
        rows as f64 / took.as_secs_f64(),
        body.len() as f64 / 1e6
    );
}
