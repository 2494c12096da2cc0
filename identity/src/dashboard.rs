//! Figures for the admin dashboard that the core has no function for: sign-ins per day and the
//! accounts locked out right now. Both come from the core's console read models
//! (`authn::console`) inside the caller's transaction, so row-level security limits them to the
//! caller's namespace.

use authn::{AuthnError, AuthnTx};
use chrono::{NaiveDate, TimeDelta, Utc};

use crate::lockout::LockoutPolicy;

/// Sign-in attempts of one day (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DayCount {
    pub day: NaiveDate,
    pub succeeded: i64,
    pub failed: i64,
}

/// The last `days` days, oldest first, today included; days without attempts count zero.
#[tracing::instrument(skip_all)]
pub async fn sign_ins_per_day(
    tx: &mut AuthnTx<'_>,
    days: u16,
) -> Result<Vec<DayCount>, AuthnError> {
    let days = i64::from(days.max(1));
    let today = Utc::now().date_naive();
    let first = today - TimeDelta::days(days - 1);
    let rows = tx.sign_in_counts_since(first).await?;
    Ok((0..days)
        .map(|i| {
            let day = first + TimeDelta::days(i);
            let (succeeded, failed) = rows
                .iter()
                .find(|(d, ..)| *d == day)
                .map_or((0, 0), |(_, s, f)| (*s, *f));
            DayCount {
                day,
                succeeded,
                failed,
            }
        })
        .collect())
}

/// How many addresses are locked out now under `policy` (as `is_locked_out` counts).
#[tracing::instrument(skip_all)]
pub async fn locked_out_count(
    tx: &mut AuthnTx<'_>,
    policy: LockoutPolicy,
) -> Result<i64, AuthnError> {
    tx.locked_account_count(policy.window, i64::from(policy.max_attempts))
        .await
}
