//! Password hashing with Argon2id. Hashing costs ~19 MiB and tens of milliseconds by design,
//! so it runs on threads of its own, one per core, never on the async threads.

use std::cell::RefCell;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, PasswordHash, PasswordHasher as _, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("the password hashing threads stopped")]
    Stopped,
}

/// Work for a hashing thread: it runs the job, which sends its own answer.
type Job = Box<dyn FnOnce() + Send>;

/// Argon2id with OWASP's minimum (m = 19 MiB, t = 2, p = 1) unless told otherwise, and a
/// random 128-bit salt per hash. The parameters travel inside each PHC string, so raising
/// them later still verifies old hashes.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    /// The queue of the hashing threads, one per core, which end when the last clone of this
    /// hasher is dropped. One hash per core at a time: more in parallel only time-slice the
    /// cores (with the memory each one walks: 2 verifying threads on 2 cores did 81 per second,
    /// 4 did 72, `scripts/bench load`), and each holds 19 MiB, so a burst of sign-ins queues
    /// instead of taking the machine's memory. A thread that finishes a hash takes the next job
    /// from the queue itself, with nothing to wake in between (a semaphore in front of the
    /// blocking pool left the cores idle 5 to 7% of a sign-in run, though the sign-in rate did
    /// not change once they were busy: hashes that always overlap run slower), and a job whose
    /// caller stopped waiting is dropped unhashed.
    jobs: mpsc::Sender<Job>,
    /// A real hash of a random password, verified against when an account does not exist so
    /// that the time taken does not tell whether it does.
    dummy_hash: Arc<str>,
}

thread_local! {
    /// Argon2's working memory (`m` KiB of blocks), kept between verifications by each thread
    /// that verifies (the hashing threads): zeroing a fresh 19 MiB for every verification was
    /// 6% of its time in the server (perf over `scripts/bench load`'s sign-ins). The blocks are
    /// overwritten before they are read, so one verification leaves nothing the next one uses.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

impl PasswordHasher {
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Self, PasswordError> {
        let params = Params::new(memory_kib, iterations, parallelism, None)
            .map_err(|e| PasswordError::Hash(e.to_string()))?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..cores {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || work(&queue))
                .map_err(|e| PasswordError::Hash(format!("no hashing thread: {e}")))?;
        }
        let mut hasher = PasswordHasher {
            params,
            jobs,
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

    /// Runs `f` on a hashing thread when one is free. A caller that stops waiting (a client
    /// gone) leaves its job to be skipped, not hashed.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            if !answer.is_closed() {
                let _ = answer.send(f());
            }
        });
        self.jobs.send(job).map_err(|_| PasswordError::Stopped)?;
        answered.await.map_err(|_| PasswordError::Stopped)
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
        let this = self.clone();
        let password = password.clone();
        self.run(move || this.hash_blocking(password.expose_secret()))
            .await?
    }

    /// Whether `password` matches `stored`. With no stored hash (unknown account, SSO-only
    /// user) it verifies against the dummy hash and answers false, taking the same time.
    pub async fn verify(
        &self,
        password: &SecretString,
        stored: Option<&str>,
    ) -> Result<bool, PasswordError> {
        let this = self.clone();
        let password = password.clone();
        let stored: Option<String> = stored.map(str::to_owned);
        self.run(move || {
            let target = stored.as_deref().unwrap_or(&this.dummy_hash);
            this.verify_now(password.expose_secret().as_bytes(), target) && stored.is_some()
        })
        .await
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
            with_memory(argon2.params().block_count(), |blocks| {
                argon2
                    .hash_password_into_with_memory(password, salt, out, blocks)
                    .map_err(argon2::password_hash::Error::from)
            })
        })
        // `Output`'s equality is constant-time.
        .is_ok_and(|computed| computed == expected)
    }
}

/// A hashing thread: takes the next job from `queue` until every sender is gone.
fn work(queue: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        // The lock is held while waiting: the other idle threads wait for it, and the first
        // job to come goes to the thread that holds it.
        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match next {
            Ok(job) => job(),
            Err(mpsc::RecvError) => return,
        }
    }
}

/// Runs `f` with at least `count` blocks of this thread's kept memory.
fn with_memory<T>(count: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    MEMORY.with(|memory| {
        let mut blocks = memory.borrow_mut();
        if blocks.len() < count {
            blocks.resize(count, Block::default());
        }
        f(&mut blocks)
    })
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

    #[tokio::test]
    async fn more_hashes_than_threads_queue_and_each_gets_its_own_answer() {
        let hasher = PasswordHasher::new(1024, 1, 1).unwrap();
        let right = SecretString::from("correct horse battery staple");
        let stored = hasher.hash(&right).await.unwrap();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let checks = (0..cores * 3 + 1).map(|i| {
            let hasher = hasher.clone();
            let stored = stored.clone();
            let password = if i % 2 == 0 {
                right.clone()
            } else {
                SecretString::from(format!("wrong {i}"))
            };
            tokio::spawn(async move { (i, hasher.verify(&password, Some(&stored)).await) })
        });
        for check in checks {
            let (i, matched) = check.await.unwrap();
            assert_eq!(matched.unwrap(), i % 2 == 0, "verification {i}");
        }
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
        // The thread keeps one memory, the largest any verification needed.
        assert_eq!(MEMORY.with(|m| m.borrow().len()), 2048);
    }
}
