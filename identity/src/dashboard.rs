//! Figures for the admin dashboard that the core has no function for: sign-ins per day and the
//! accounts locked out right now. Both read the core's `login_attempts` inside the caller's
//! transaction, so row-level security limits them to the caller's namespace.

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
pub async fn sign_ins_per_day(
    tx: &mut AuthnTx<'_>,
    days: u16,
) -> Result<Vec<DayCount>, AuthnError> {
    let days = i64::from(days.max(1));
    let today = Utc::now().date_naive();
    let first = today - TimeDelta::days(days - 1);
    let namespace = tx.namespace().to_owned();
    let rows: Vec<(NaiveDate, i64, i64)> = sqlx::query_as(
        "SELECT (attempted_at AT TIME ZONE 'UTC')::date AS day, \
                count(*) FILTER (WHERE success), count(*) FILTER (WHERE NOT success) \
           FROM authn.login_attempts \
          WHERE namespace = $1 AND attempted_at >= ($2::date)::timestamp AT TIME ZONE 'UTC' \
          GROUP BY 1",
    )
    .bind(namespace)
    .bind(first)
    .fetch_all(tx.conn())
    .await?;
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
pub async fn locked_out_count(
    tx: &mut AuthnTx<'_>,
    policy: LockoutPolicy,
) -> Result<i64, AuthnError> {
    let namespace = tx.namespace().to_owned();
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM ( \
            SELECT email FROM authn.login_attempts \
             WHERE namespace = $1 AND NOT success AND attempted_at > now() - $2 \
             GROUP BY email HAVING count(*) >= $3) locked",
    )
    .bind(namespace)
    .bind(policy.window)
    .bind(i64::from(policy.max_attempts))
    .fetch_one(tx.conn())
    .await?)
}
