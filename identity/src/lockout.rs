//! The lockout rule in time: the core counts failed attempts inside a sliding window; this
//! answers, from the same attempts, whether an account is locked and until when (for the
//! "try again later" message and the admins' lockout queue).

use chrono::{DateTime, TimeDelta, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// How far back failures count.
    pub window: TimeDelta,
    /// Failures within the window that lock the account.
    pub max_attempts: u32,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            window: TimeDelta::minutes(15),
            max_attempts: 5,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockoutState {
    /// Not locked; `failures` recent failures count toward the limit.
    Open { failures: u32 },
    /// Locked until the oldest failure that keeps it locked leaves the window.
    Locked { until: DateTime<Utc> },
}

impl LockoutPolicy {
    /// `max_attempts` as the core's functions take it.
    pub(crate) fn core_max(&self) -> i32 {
        i32::try_from(self.max_attempts).unwrap_or(i32::MAX)
    }

    /// Whether `email` is locked out now, by the core's count with this policy's limits.
    pub async fn is_locked(
        &self,
        tx: &mut authn::AuthnTx<'_>,
        email: &str,
    ) -> Result<bool, authn::AuthnError> {
        tx.is_locked_out(email, Some(self.window), Some(self.core_max()))
            .await
    }

    /// [`LockoutPolicy::is_locked`] with what a password check reads besides, in one statement
    /// (`authn::AuthnTx::password_check`): the credentials, and whether the account's address
    /// is confirmed and it has MFA. Run after the address lock, as every read of it sees the
    /// statement's snapshot.
    pub async fn password_check(
        &self,
        tx: &mut authn::AuthnTx<'_>,
        email: &str,
    ) -> Result<authn::PasswordCheck, authn::AuthnError> {
        tx.password_check(email, Some(self.window), Some(self.core_max()))
            .await
    }

    /// When a locked-out `email` opens again, from its recent attempts (`None` when it is not
    /// locked by this policy's count).
    pub async fn lifts_at(
        &self,
        tx: &mut authn::AuthnTx<'_>,
        email: &str,
    ) -> Result<Option<DateTime<Utc>>, authn::AuthnError> {
        let attempts = tx.get_recent_attempts(email, Some(100)).await?;
        let failures: Vec<DateTime<Utc>> = attempts
            .iter()
            .filter(|a| !a.success)
            .map(|a| a.attempted_at)
            .collect();
        Ok(match self.state(&failures, Utc::now()) {
            LockoutState::Locked { until } => Some(until),
            LockoutState::Open { .. } => None,
        })
    }

    /// The state at `now` given the times of failed attempts (any order). A failure counts
    /// while `now - window < t`, exactly as the core's `is_locked_out` counts.
    pub fn state(&self, failures: &[DateTime<Utc>], now: DateTime<Utc>) -> LockoutState {
        let mut recent: Vec<DateTime<Utc>> = failures
            .iter()
            .copied()
            .filter(|t| *t > now - self.window && *t <= now)
            .collect();
        let max = self.max_attempts as usize;
        if max == 0 {
            return LockoutState::Locked {
                until: DateTime::<Utc>::MAX_UTC,
            };
        }
        if recent.len() < max {
            return LockoutState::Open {
                failures: recent.len() as u32,
            };
        }
        recent.sort_unstable_by(|a, b| b.cmp(a));
        // Newest first: the lock lifts when fewer than `max` remain, i.e. when the max-th
        // newest failure leaves the window.
        LockoutState::Locked {
            until: recent[max - 1] + self.window,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap() + TimeDelta::minutes(min)
    }

    #[test]
    fn locks_at_the_threshold_and_unlocks_when_failures_age_out() {
        let policy = LockoutPolicy::default();
        let failures: Vec<_> = (0..5).map(at).collect(); // 12:00 .. 12:04
        assert_eq!(
            policy.state(&failures[..4], at(4)),
            LockoutState::Open { failures: 4 }
        );
        assert_eq!(
            policy.state(&failures, at(5)),
            LockoutState::Locked { until: at(15) }
        );
        // At 12:15 the 12:00 failure is out of the window: four remain.
        assert_eq!(
            policy.state(&failures, at(15)),
            LockoutState::Open { failures: 4 }
        );
        assert_eq!(
            policy.state(&failures, at(14)),
            LockoutState::Locked { until: at(15) }
        );
    }

    #[test]
    fn more_failures_keep_it_locked_longer_and_old_ones_do_not_count() {
        let policy = LockoutPolicy::default();
        let failures: Vec<_> = [-60, 0, 1, 2, 3, 4, 10].into_iter().map(at).collect();
        // Seven failures, one an hour old: six count; the 5th newest (12:01) lifts at 12:16.
        assert_eq!(
            policy.state(&failures, at(11)),
            LockoutState::Locked { until: at(16) }
        );
        let strict = LockoutPolicy {
            max_attempts: 0,
            ..policy
        };
        assert!(matches!(
            strict.state(&[], at(0)),
            LockoutState::Locked { .. }
        ));
        assert_eq!(
            policy.state(&[at(20)], at(0)),
            LockoutState::Open { failures: 0 },
            "future ignored"
        );
    }
}
