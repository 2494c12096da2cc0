//! The physical limit of password sign-in on this machine: raw Argon2id verifications per
//! second with the `argon2` crate and the parameters `PasswordHasher::recommended()` uses, one
//! verifying thread per core, no database, no HTTP: first as the crate's `verify_password`
//! does them, then as the server does (`PasswordHasher::verify_now`, memory kept). `scripts/bench
//! load` runs it beside the server's password sign-ins per second and prints their ratio.
//!
//!     cargo bench -p identity --bench password_hashing [-- THREADS SECONDS]
//!
//! Prints `verifications/s <rate> threads <n>` last, for scripts to read.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use identity::PasswordHasher;

fn main() {
    // `cargo bench` passes `--bench`; positional numbers are ours.
    let numbers: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let threads = numbers
        .first()
        .copied()
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u64));
    let seconds = numbers.get(1).copied().unwrap_or(10);

    let (memory_kib, iterations, parallelism) = PasswordHasher::RECOMMENDED;
    let params = Params::new(memory_kib, iterations, parallelism, None).unwrap();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let password = b"correct horse battery staple";
    let stored = argon2
        .hash_password(password, &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();

    // The crate's own verification (its working memory allocated for each one), then the
    // server's: `PasswordHasher::verify_now`, the same crate and parameters with kept memory.
    // The second is the limit the server's sign-ins are compared with.
    let plain = rate(threads, seconds, || {
        let parsed = PasswordHash::new(&stored).unwrap();
        assert!(argon2.verify_password(password, &parsed).is_ok());
    });
    println!(
        "Argon2id m={memory_kib} KiB t={iterations} p={parallelism}, argon2's verify_password: {plain:.1}/s"
    );
    let hasher = PasswordHasher::recommended().unwrap();
    let kept = rate(threads, seconds, || {
        assert!(hasher.verify_now(password, &stored));
    });
    println!(
        "Argon2id m={memory_kib} KiB t={iterations} p={parallelism}, PasswordHasher::verify_now: {kept:.1}/s"
    );
    println!("verifications/s {kept:.1} threads {threads}");
}

/// Verifications per second with `verify` on `threads` threads for `seconds`.
fn rate(threads: u64, seconds: u64, verify: impl Fn() + Sync) -> f64 {
    let done = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    verify();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        std::thread::sleep(Duration::from_secs(seconds));
        stop.store(true, Ordering::Relaxed);
    });
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}
