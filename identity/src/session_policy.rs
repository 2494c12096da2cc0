//! How long sessions live: an idle timeout (a session unused for that long ends) inside an
//! absolute lifetime (no session outlives it, however busy). The core stores one expiry per
//! session; it starts at the idle timeout and activity slides it forward, never past the
//! absolute limit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authn::{Authn, AuthnError};
use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: TimeDelta,
    pub absolute: TimeDelta,
}

impl SessionPolicy {
    /// The lifetime a new session starts with.
    pub fn initial(&self) -> TimeDelta {
        self.idle.min(self.absolute)
    }

    /// The expiry after activity at `now` of a session created at `created_at`.
    pub fn next_expiry(&self, created_at: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
        (now + self.idle).min(created_at + self.absolute)
    }
}

/// Slides sessions' expiry on activity. Writes are throttled per session (once every few
/// minutes per instance), so a busy page does not write on every request; the idle timeout
/// is thus exact to within that interval.
#[derive(Clone, Debug)]
pub struct SessionKeeper {
    policy: SessionPolicy,
    touched: Arc<Mutex<HashMap<Uuid, Instant>>>,
    every: Duration,
}

impl SessionKeeper {
    pub fn new(policy: SessionPolicy) -> SessionKeeper {
        // Slide at most every tenth of the idle timeout (at least a few seconds apart).
        let every = policy
            .idle
            .to_std()
            .map(|d| (d / 10).max(Duration::from_secs(5)))
            .unwrap_or(Duration::from_secs(60));
        SessionKeeper {
            policy,
            touched: Arc::new(Mutex::new(HashMap::new())),
            every,
        }
    }

    pub fn policy(&self) -> SessionPolicy {
        self.policy
    }

    /// Records activity on a live session (already validated by the caller).
    #[tracing::instrument(skip_all)]
    pub async fn touch(
        &self,
        authn: &Authn,
        session_id: Uuid,
        token_hash: &str,
    ) -> Result<(), AuthnError> {
        let now = Instant::now();
        {
            let mut touched = self
                .touched
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if touched
                .get(&session_id)
                .is_some_and(|at| now.duration_since(*at) < self.every)
            {
                return Ok(());
            }
            if touched.len() > 100_000 {
                let every = self.every;
                touched.retain(|_, at| now.duration_since(*at) < every);
            }
            touched.insert(session_id, now);
        }
        // This session alone: a user may hold thousands (`scripts/bench load` gives one user
        // 100,000, and listing them all here made each first request of a session take
        // seconds).
        let mut tx = authn.begin().await?;
        let span = tx.session_span(session_id).await?;
        tx.commit().await?;
        let Some((created_at, expires_at)) = span else {
            return Ok(());
        };
        let wall_now = Utc::now();
        let next = self.policy.next_expiry(created_at, wall_now);
        if next > expires_at {
            authn
                .extend_session(token_hash, Some(next - wall_now))
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_slides_the_expiry_up_to_the_absolute_limit() {
        let policy = SessionPolicy {
            idle: TimeDelta::minutes(30),
            absolute: TimeDelta::hours(8),
        };
        let created = Utc::now();
        assert_eq!(policy.initial(), TimeDelta::minutes(30));
        let at = created + TimeDelta::hours(1);
        assert_eq!(policy.next_expiry(created, at), at + TimeDelta::minutes(30));
        let late = created + TimeDelta::minutes(7 * 60 + 50);
        assert_eq!(
            policy.next_expiry(created, late),
            created + TimeDelta::hours(8)
        );
        let short = SessionPolicy {
            idle: TimeDelta::hours(2),
            absolute: TimeDelta::hours(1),
        };
        assert_eq!(short.initial(), TimeDelta::hours(1));
    }
}
