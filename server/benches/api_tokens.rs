//! The JSON API's two hot calls over HTTP against the real router: `GET /{ns}/api/v1/me` with an
//! access token (signature, expiry, the session's being live: one round trip) and
//! `POST /{ns}/api/v1/token/refresh` (a rotation: a row lock, an insert, an audit event).
//!
//!     cargo bench -p server --bench api_tokens     (or scripts/bench api)
//!
//! 32 concurrent clients on loopback, each with its own session, for BENCH_SECONDS (default 10)
//! per call; prints requests/s, median and p99 of each, and their ratio. The server connects
//! as the application role (row-level security applies, as in production). Uses
//! `GATEHOUSE_TEST_DATABASE_URL` (a superuser URL), else the project-local test cluster.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use gatehouse_server::config::Cli;
use gatehouse_server::web;
use leptos::config::LeptosOptions;
use serde_json::{json, Value};

const NS: &str = "bench";
const CLIENTS: usize = 32;
const PASSWORD: &str = "correct horse battery staple";

struct Stats {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

/// Runs `call` from CLIENTS tasks, each with its own state, for `seconds`.
async fn measure<S, F, Fut>(states: Vec<S>, seconds: u64, call: F) -> Stats
where
    S: Send + 'static,
    F: Fn(S) -> Fut + Send + Sync + Copy + 'static,
    Fut: std::future::Future<Output = S> + Send,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for state in states {
        tasks.push(tokio::spawn(async move {
            let mut state = state;
            let mut samples = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                state = call(state).await;
                samples.push(t.elapsed());
            }
            samples
        }));
    }
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    samples.sort();
    Stats {
        per_second: samples.len() as f64 / elapsed,
        p50: samples[samples.len() / 2],
        p99: samples[samples.len() * 99 / 100],
    }
}

fn print(label: &str, s: &Stats) {
    println!(
        "  {label:<40} {:>9.0} req/s   p50 {:>8.2?}   p99 {:>8.2?}",
        s.per_second, s.p50, s.p99
    );
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let db = tokio::task::spawn_blocking(|| test_support::create_migrated_database("bench_api"))
        .await
        .unwrap();
    let database_url = test_support::url_for(&db, Some(test_support::TENANT_ROLE));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let key_file = std::env::temp_dir().join(format!("bench-token-key-{}", uuid::Uuid::new_v4()));
    gatehouse_server::commands::write_token_key(&key_file, true).unwrap();
    let cli = Cli::parse_from([
        "gatehouse",
        "--database-url",
        &database_url,
        "--base-url",
        &base,
        "--secret-key",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "--token-key-file",
        &key_file.to_string_lossy(),
        "--rate-limit-scale",
        "10000",
    ]);
    let pool = web::connect_pool(&cli.config).await.unwrap();
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
            web::without_nagle(listener),
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });

    // One account per client, signed in through the API itself.
    let hash = identity::PasswordHasher::new(1024, 1, 1)
        .unwrap()
        .hash(&secrecy::SecretString::from(PASSWORD))
        .await
        .unwrap();
    let core = authn::Authn::new(pool.clone(), NS).await.unwrap();
    let http = reqwest::Client::new();
    let api = Arc::new(format!("{base}/{NS}/api/v1"));
    let mut pairs = Vec::new();
    for i in 0..CLIENTS {
        let email = format!("client{i}@bench.example");
        let mut tx = core.begin().await.unwrap();
        identity::provisioning::create_verified_user(
            &mut tx,
            &identity::EmailAddress::parse(&email).unwrap(),
            Some(&hash),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let flow: Value = http
            .post(format!("{api}/sign-in"))
            .json(&json!({ "email": email }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let tokens: Value = http
            .post(format!(
                "{api}/sign-in/{}/steps",
                flow["flow"].as_str().unwrap()
            ))
            .json(&json!({ "method": "password", "password": PASSWORD }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        pairs.push((
            tokens["access_token"].as_str().unwrap().to_owned(),
            tokens["refresh_token"].as_str().unwrap().to_owned(),
        ));
    }

    println!(
        "{CLIENTS} concurrent clients, {seconds}s each, loopback, client and server in one process ({} cores):",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let me_states: Vec<_> = pairs
        .iter()
        .map(|(access, _)| (http.clone(), api.clone(), access.clone()))
        .collect();
    let me = measure(me_states, seconds, |(http, api, access)| async move {
        let r = http
            .get(format!("{api}/me"))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        r.bytes().await.unwrap();
        (http, api, access)
    })
    .await;
    print("GET me (access token)", &me);

    let refresh_states: Vec<_> = pairs
        .iter()
        .map(|(_, refresh)| (http.clone(), api.clone(), refresh.clone()))
        .collect();
    let refresh = measure(refresh_states, seconds, |(http, api, refresh)| async move {
        let r = http
            .post(format!("{api}/token/refresh"))
            .json(&json!({ "refresh_token": refresh }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let tokens: Value = r.json().await.unwrap();
        let next = tokens["refresh_token"].as_str().unwrap().to_owned();
        (http, api, next)
    })
    .await;
    print("POST token/refresh (rotation)", &refresh);
    println!("  me / refresh: {:.2}", me.per_second / refresh.per_second);
    let _ = std::fs::remove_file(key_file);
}
