//! Sign-in time with and without MFA, through the identity services against a real core:
//!
//!     cargo bench -p identity --bench sign_in          (or scripts/bench sign-in)
//!
//! Uses `GATEHOUSE_TEST_DATABASE_URL` (a superuser URL), else the project-local test cluster,
//! and a throwaway database. Passwords are hashed with the production parameters (Argon2id,
//! m = 19 MiB, t = 2, p = 1), so the figures are what a person waits for, minus the network.
//! BENCH_SIGN_INS sets how many sign-ins are timed per case (default 30).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use authn::Authn;
use chrono::{TimeDelta, Utc};
use identity::clock::SystemClock;
use identity::{
    LockoutPolicy, PasswordHasher, SecondFactor, SecretBox, SecuritySettings, SignInRequest,
    SignInService, SignInStep, TotpService,
};
use secrecy::SecretString;
use sqlx::postgres::PgPoolOptions;

const PASSWORD: &str = "correct horse battery staple";

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn p90(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() * 9 / 10]
}

/// RFC 6238 with HMAC-SHA1, for the bench's own codes.
fn totp_code(secret: &[u8], step: u64) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).unwrap();
    mac.update(&step.to_be_bytes());
    let d = mac.finalize().into_bytes();
    let o = (d[19] & 0x0f) as usize;
    let bin = u32::from_be_bytes(d[o..o + 4].try_into().unwrap()) & 0x7fff_ffff;
    format!("{:06}", bin % 1_000_000)
}

fn base32(text: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut n, mut out) = (0u64, 0, Vec::new());
    for c in text.bytes() {
        bits = (bits << 5) | alphabet.iter().position(|a| *a == c).unwrap() as u64;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("BENCH_SIGN_INS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let db =
        tokio::task::spawn_blocking(|| test_support::create_migrated_database("bench_sign_in"))
            .await
            .unwrap();
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect(&test_support::url_for(&db, Some(test_support::APP_ROLE)))
        .await
        .unwrap();
    let authn = Authn::new(pool.clone(), "bench").await.unwrap();
    let hasher = PasswordHasher::recommended().unwrap();
    // A lockout limit no bench loop reaches.
    let lockout = LockoutPolicy {
        window: TimeDelta::minutes(15),
        max_attempts: 1_000_000,
    };
    let service = SignInService::new(hasher.clone(), lockout, TimeDelta::hours(1));
    let totp = TotpService::new(
        SecretBox::from_hex(&"42".repeat(32)).unwrap(),
        Arc::new(SystemClock),
    );
    let security =
        SecuritySettings::new(totp, None, identity::mail::Links::new("http://localhost"));

    let hash = hasher.hash(&SecretString::from(PASSWORD)).await.unwrap();
    let mut tx = authn.begin().await.unwrap();
    identity::provisioning::create_verified_user(
        &mut tx,
        &identity::EmailAddress::parse("plain@bench.test").unwrap(),
        Some(&hash),
    )
    .await
    .unwrap();
    let guarded = identity::provisioning::create_verified_user(
        &mut tx,
        &identity::EmailAddress::parse("guarded@bench.test").unwrap(),
        Some(&hash),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let setup = security
        .begin_totp(
            &authn,
            identity::Owner {
                user_id: guarded,
                email: "guarded@bench.test",
            },
        )
        .unwrap();
    let secret = base32(&setup.secret_base32);
    let now_step = |offset: u64| (Utc::now().timestamp() as u64) / 30 + offset;
    security
        .enable_totp(
            &authn,
            identity::Owner {
                user_id: guarded,
                email: "guarded@bench.test",
            },
            &setup.enrollment,
            &totp_code(&secret, now_step(0)),
        )
        .await
        .unwrap();

    let password = SecretString::from(PASSWORD);
    let request = |email: &'static str| SignInRequest {
        email,
        password: &password,
        ip_address: None,
        user_agent: Some("bench"),
    };

    let mut without = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        let step = service
            .sign_in(&authn, request("plain@bench.test"))
            .await
            .unwrap();
        without.push(t.elapsed());
        assert!(matches!(step, SignInStep::SignedIn(_)));
    }

    // With MFA: the password step, then the second step. A TOTP code works once per 30-second
    // step, so the loop uses recovery codes (the same pending-step transaction, a comparable
    // check), drawing a fresh set outside the timing whenever one runs out.
    let mut with_mfa = Vec::with_capacity(rounds);
    let mut second_step = Vec::with_capacity(rounds);
    let mut codes: Vec<String> = Vec::new();
    for _ in 0..rounds {
        if codes.is_empty() {
            let mut tx = authn.begin().await.unwrap();
            codes = identity::recovery::regenerate(&mut tx, guarded)
                .await
                .unwrap()
                .0;
            tx.commit().await.unwrap();
        }
        let code = codes.pop().unwrap();
        let t = Instant::now();
        let SignInStep::SecondFactorRequired { pending, .. } = service
            .sign_in(&authn, request("guarded@bench.test"))
            .await
            .unwrap()
        else {
            panic!("expected the second step");
        };
        let t2 = Instant::now();
        service
            .complete_second_factor(
                &authn,
                &security,
                pending.expose(),
                SecondFactor::RecoveryCode(&code),
                Default::default(),
            )
            .await
            .unwrap();
        second_step.push(t2.elapsed());
        with_mfa.push(t.elapsed());
    }

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (m_without, m_with) = (median(without.clone()), median(with_mfa.clone()));
    println!("sign-in, {rounds} each (Argon2id m=19 MiB t=2 p=1, one at a time):");
    println!(
        "  password only            median {:7.1} ms   p90 {:7.1} ms",
        ms(m_without),
        ms(p90(without))
    );
    println!(
        "  password + second factor median {:7.1} ms   p90 {:7.1} ms   (second step alone: median {:.2} ms)",
        ms(m_with),
        ms(p90(with_mfa)),
        ms(median(second_step))
    );
    println!(
        "  ratio with / without MFA {:.2}",
        ms(m_with) / ms(m_without)
    );
}
