//! How long a request for mail takes for an address with an account and one without, as a
//! person probing for accounts would measure it:
//!
//!     cargo bench -p identity --bench mail_requests     (or scripts/bench mail-requests)
//!
//! Alternates the two addresses over forgot-password, magic-link and e-mail-code requests
//! (BENCH_REQUESTS each, default 200) against a real core in a throwaway database, and prints
//! both medians side by side. The requests only record themselves (migration 17); the worker
//! that looks the account up runs after the timing, so it is not in these figures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use authn::Authn;
use chrono::TimeDelta;
use identity::mail::Links;
use identity::{AccountFlows, LockoutPolicy, PasswordHasher, PasswordPolicy, SecretBox};
use secrecy::SecretString;
use sqlx::postgres::PgPoolOptions;

fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}

fn p90(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() * 9 / 10].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let db = tokio::task::spawn_blocking(|| {
        test_support::create_migrated_database("bench_mail_requests")
    })
    .await
    .unwrap();
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect(&test_support::url_for(&db, Some(test_support::APP_ROLE)))
        .await
        .unwrap();
    let authn = Authn::new(pool.clone(), "bench").await.unwrap();
    let hasher = PasswordHasher::new(1024, 1, 1).unwrap();
    let hash = hasher
        .hash(&SecretString::from("correct horse battery staple"))
        .await
        .unwrap();
    let mut tx = authn.begin().await.unwrap();
    identity::provisioning::create_verified_user(
        &mut tx,
        &identity::EmailAddress::parse("known@bench.test").unwrap(),
        Some(&hash),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let flows = AccountFlows::new(
        hasher,
        PasswordPolicy::default(),
        LockoutPolicy::default(),
        Links::new("http://localhost"),
        TimeDelta::hours(1),
        SecretBox::from_hex(&"42".repeat(32)).unwrap(),
    );

    println!("mail requests, {rounds} of each kind per address, alternating:");
    println!(
        "  {:<16} {:>22} {:>22} {:>7}",
        "", "account exists", "no account", "ratio"
    );
    for kind in ["forgot password", "magic link", "e-mail code"] {
        let (mut known, mut unknown) = (Vec::new(), Vec::new());
        for i in 0..rounds * 2 {
            let (email, samples) = if i % 2 == 0 {
                ("known@bench.test", &mut known)
            } else {
                ("nobody@bench.test", &mut unknown)
            };
            let t = Instant::now();
            match kind {
                "forgot password" => flows.request_password_reset(&authn, email).await,
                "magic link" => flows.request_magic_link(&authn, email).await,
                _ => flows.request_email_code(&authn, email).await,
            }
            .unwrap();
            samples.push(t.elapsed());
        }
        let (mk, mu) = (median(known.clone()), median(unknown.clone()));
        println!(
            "  {kind:<16} median {mk:6.3} ms p90 {:6.3} median {mu:6.3} ms p90 {:6.3} {:7.2}",
            p90(known),
            p90(unknown),
            mk / mu
        );
        // Keep the table from growing across kinds; the worker's work is not measured.
        flows.fulfil_mail_requests(&pool).await.unwrap();
    }
}
