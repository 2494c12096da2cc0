//! The physical limit of password sign-in on this machine: raw Argon2id verifications per
//! second with the `argon2` crate and the parameters `PasswordHasher::recommended()` uses, one
//! verifying thread per core, no database, no HTTP. `scripts/bench load` runs it beside the
//! server's password sign-ins per second and prints their ratio.
//!
//!     cargo bench -p identity --bench password_hashing [-- THREADS SECONDS]
//!
//! Prints `verifications/s <rate> threads <n>` last, for scripts to read.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
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

    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (argon2, stored) = (argon2.clone(), stored.clone());
            let (done, stop) = (done.clone(), stop.clone());
            std::thread::spawn(move || {
                let parsed = PasswordHash::new(&stored).unwrap();
                while !stop.load(Ordering::Relaxed) {
                    assert!(argon2.verify_password(password, &parsed).is_ok());
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let count = done.load(Ordering::Relaxed);
    println!(
        "Argon2id m={memory_kib} KiB t={iterations} p={parallelism}: {count} verifications in {elapsed:.1} s"
    );
    println!(
        "verifications/s {:.1} threads {threads}",
        count as f64 / elapsed
    );
}
