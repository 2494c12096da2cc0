//! Password hashing with Argon2id. Hashing costs ~19 MiB and tens of milliseconds by design,
//! so it runs on the blocking pool, never on the async threads.

use std::sync::{Arc, Mutex, PoisonError};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, PasswordHash, PasswordHasher as _, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing task failed")]
    Task(#[from] tokio::task::JoinError),
}

/// Argon2id with OWASP's minimum (m = 19 MiB, t = 2, p = 1) unless told otherwise, and a
/// random 128-bit salt per hash. The parameters travel inside each PHC string, so raising
/// them later still verifies old hashes.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    /// One hash per core at a time. More in parallel only time-slice the cores (with the
    /// memory each one walks: 2 verifying threads on 2 cores did 81 per second, 4 did 72,
    /// `scripts/bench load`), and each holds 19 MiB: a burst of sign-ins must queue, not take
    /// the machine's memory.
    permits: Arc<tokio::sync::Semaphore>,
    /// Argon2's working memory (`m` KiB of blocks), kept between verifications, at most one
    /// per permit: zeroing a fresh 19 MiB for every verification was 6% of its time in the
    /// server (perf over `scripts/bench load`'s sign-ins), and each blocking thread's allocator
    /// arena kept its own 19 MiB (resident memory 344 MiB, now 78). The blocks are overwritten
    /// before they are read, so one verification leaves nothing the next one uses.
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
    /// How many permits (and kept memories) there are.
    cores: usize,
    /// A real hash of a random password, verified against when an account does not exist so
    /// that the time taken does not tell whether it does.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Self, PasswordError> {
        let params = Params::new(memory_kib, iterations, parallelism, None)
            .map_err(|e| PasswordError::Hash(e.to_string()))?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut hasher = PasswordHasher {
            params,
            permits: Arc::new(tokio::sync::Semaphore::new(cores)),
            memory: Arc::new(Mutex::new(Vec::with_capacity(cores))),
            cores,
            dummy_hash: Arc::from(""),
        };
        let random = crate::token::OpaqueToken::generate();
        hasher.dummy_hash = Arc::from(hasher.hash_blocking(random.expose())?);
        Ok(hasher)
    }

    /// The default parameters, OWASP's minimum for Argon2id: (memory KiB, iterations,
    /// parallelism). Public so that the hashing benchmark measures exactly these.
    pub const RECOMMENDED: (u32, u32, u32) = (19 * 1024, 2, 1);

    /// The default: Argon2id, m = 19456 KiB, t = 2, p = 1.
    pub fn recommended() -> Result<Self, PasswordError> {
        let (memory_kib, iterations, parallelism) = Self::RECOMMENDED;
        Self::new(memory_kib, iterations, parallelism)
    }

    /// A core to hash on; the semaphore is never closed.
    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, PasswordError> {
        self.permits
            .acquire()
            .await
            .map_err(|_| PasswordError::Hash("the hashing permits were closed".into()))
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    fn hash_blocking(&self, password: &str) -> Result<String, PasswordError> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hash(e.to_string()))
    }

    /// The PHC string (`$argon2id$v=19$m=…`) to store.
    pub async fn hash(&self, password: &SecretString) -> Result<String, PasswordError> {
        let _permit = self.permit().await?;
        let this = self.clone();
        let password = password.clone();
        tokio::task::spawn_blocking(move || this.hash_blocking(password.expose_secret())).await?
    }

    /// Whether `password` matches `stored`. With no stored hash (unknown account, SSO-only
    /// user) it verifies against the dummy hash and answers false, taking the same time.
    pub async fn verify(
        &self,
        password: &SecretString,
        stored: Option<&str>,
    ) -> Result<bool, PasswordError> {
        let _permit = self.permit().await?;
        let this = self.clone();
        let password = password.clone();
        let stored: Option<String> = stored.map(str::to_owned);
        tokio::task::spawn_blocking(move || {
            let target = stored.as_deref().unwrap_or(&this.dummy_hash);
            this.verify_now(password.expose_secret().as_bytes(), target) && stored.is_some()
        })
        .await
        .map_err(PasswordError::from)
    }

    /// Whether `password` hashes to the PHC string `stored`, on this thread: what
    /// `PasswordVerifier::verify_password` does (the algorithm, version and parameters of
    /// `stored`, a constant-time comparison), with kept memory. Public for the hashing
    /// benchmark, which measures exactly this.
    pub fn verify_now(&self, password: &[u8], stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return false;
        };
        let algorithm = Algorithm::try_from(parsed.algorithm);
        let version = parsed
            .version
            .map_or(Ok(Version::default()), Version::try_from);
        let (Ok(algorithm), Ok(version), Ok(params)) =
            (algorithm, version, Params::try_from(&parsed))
        else {
            return false;
        };
        let mut salt_bytes = [0u8; 64];
        let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
            return false;
        };
        let argon2 = Argon2::new(algorithm, version, params);
        Output::init_with(expected.len(), |out| {
            self.with_memory(argon2.params().block_count(), |blocks| {
                argon2
                    .hash_password_into_with_memory(password, salt, out, blocks)
                    .map_err(argon2::password_hash::Error::from)
            })
        })
        // `Output`'s equality is constant-time.
        .is_ok_and(|computed| computed == expected)
    }

    /// Runs `f` with at least `count` blocks of kept memory, keeping them afterwards.
    fn with_memory<T>(&self, count: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
        let kept = self
            .memory
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut blocks = kept.unwrap_or_default();
        if blocks.len() < count {
            blocks.resize(count, Block::default());
        }
        let result = f(&mut blocks);
        let mut memory = self.memory.lock().unwrap_or_else(PoisonError::into_inner);
        if memory.len() < self.cores {
            memory.push(blocks);
        }
        result
    }
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_argon2id_and_a_salt_per_hash() {
        let hasher = PasswordHasher::recommended().unwrap();
        let pw = SecretString::from("correct horse battery staple");
        let a = hasher.hash(&pw).await.unwrap();
        let b = hasher.hash(&pw).await.unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "salted");
        assert!(hasher.verify(&pw, Some(&a)).await.unwrap());
        assert!(!hasher
            .verify(&SecretString::from("wrong"), Some(&a))
            .await
            .unwrap());
        assert!(
            !hasher.verify(&pw, None).await.unwrap(),
            "no account never matches"
        );
        assert!(!hasher.verify(&pw, Some("not a phc string")).await.unwrap());
    }

    #[test]
    fn verifying_with_kept_memory_answers_as_the_crate_does() {
        use argon2::password_hash::PasswordVerifier;

        let hasher = PasswordHasher::new(1024, 1, 1).unwrap();
        let right = b"correct horse battery staple";
        // Other parameters and algorithms than the hasher's: those of the stored string count.
        let stored: Vec<String> = [
            (Algorithm::Argon2id, 2048, 2, 1),
            (Algorithm::Argon2i, 1024, 3, 2),
            (Algorithm::Argon2d, 512, 1, 1),
        ]
        .into_iter()
        .map(|(algorithm, m, t, p)| {
            Argon2::new(
                algorithm,
                Version::V0x13,
                Params::new(m, t, p, None).unwrap(),
            )
            .hash_password(right, &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string()
        })
        .collect();
        for _ in 0..2 {
            for phc in &stored {
                let parsed = PasswordHash::new(phc).unwrap();
                for password in [&right[..], b"correct horse battery stapl", b""] {
                    let crate_says = Argon2::default().verify_password(password, &parsed).is_ok();
                    assert_eq!(hasher.verify_now(password, phc), crate_says, "{phc}");
                    assert_eq!(crate_says, password == right);
                }
            }
        }
        let mut tampered = stored[0].clone();
        tampered.pop();
        tampered.push(if stored[0].ends_with('A') { 'B' } else { 'A' });
        assert!(!hasher.verify_now(right, &tampered));
        assert!(!hasher.verify_now(right, "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA"));
        // Memory kept is bounded by the permits, the largest of what was needed.
        let kept = hasher.memory.lock().unwrap();
        assert!(kept.len() <= hasher.cores);
        assert!(kept.iter().all(|blocks| blocks.len() == 2048));
    }
}
