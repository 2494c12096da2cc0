//! "Was this you?": every successful sign-in is recorded in the account's activity, and one from
//! a browser and device the account has not signed in from in the last 90 days also asks the
//! mail worker to tell the owner (migration 38, G20), unless they turned that off.

use authn::{AuthnError, AuthnTx};
use chrono::{TimeDelta, Utc};
use uuid::Uuid;

use crate::activity::{self, Activity};
use crate::devices::{device_key, DeviceKey};
use crate::ClientInfo;

/// How far back a device counts as known: as long as the activity is kept.
pub const KNOWN_FOR: TimeDelta = TimeDelta::days(activity::KEPT_DAYS as i64);

/// The distinct user agents compared, newest first (an account has few; this bounds the read).
const COMPARED: i64 = 200;

/// Records the sign-in of `user_id` by `method` and, if it comes from a new browser and
/// device, the owner's notice. Runs in the sign-in's transaction: both land with the session
/// or not at all.
pub(crate) async fn record_sign_in(
    tx: &mut AuthnTx<'_>,
    user_id: Uuid,
    method: &str,
    client: ClientInfo<'_>,
) -> Result<(), AuthnError> {
    // The user agent is the client's word: a missing or unrecognisable one is a device of its
    // own ("an unrecognised client"), so leaving it out or making one up is announced too.
    let device = device_key(client.user_agent);
    if is_new(tx, user_id, &device).await? && wants_mail(tx, user_id).await? {
        if let Some(user) = tx.get_user(user_id).await? {
            crate::mail_requests::record_new_device(tx, &user.email, client).await?;
        }
    }
    activity::record(tx, user_id, Activity::SignIn(method), client).await?;
    Ok(())
}

/// Whether `device` is not among the account's sign-ins of the last [`KNOWN_FOR`]. An account
/// younger than that with no sign-in yet has nothing to compare with: its first sign-in is
/// not announced.
async fn is_new(
    tx: &mut AuthnTx<'_>,
    user_id: Uuid,
    device: &DeviceKey,
) -> Result<bool, AuthnError> {
    let (conn, namespace) = tx.parts();
    let seen: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT user_agent FROM gatehouse.account_activity \
          WHERE namespace = $1 AND user_id = $2 AND kind = 'sign_in' \
            AND occurred_at > now() - $3::interval \
          GROUP BY user_agent ORDER BY max(occurred_at) DESC LIMIT $4",
    )
    .bind(namespace)
    .bind(user_id)
    .bind(KNOWN_FOR)
    .bind(COMPARED)
    .fetch_all(conn)
    .await?;
    if seen.is_empty() {
        let young = tx
            .get_user(user_id)
            .await?
            .is_some_and(|u| u.created_at > Utc::now() - KNOWN_FOR);
        return Ok(!young);
    }
    Ok(!seen.iter().any(|ua| device_key(ua.as_deref()) == *device))
}

/// Whether the owner wants the mail (on unless they turned it off).
async fn wants_mail(tx: &mut AuthnTx<'_>, user_id: Uuid) -> Result<bool, AuthnError> {
    let (conn, namespace) = tx.parts();
    let off: Option<bool> = sqlx::query_scalar(
        "SELECT NOT new_device_mail FROM gatehouse.user_preferences \
          WHERE namespace = $1 AND user_id = $2",
    )
    .bind(namespace)
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    Ok(off != Some(true))
}

/// The owner's choice, for their devices page.
#[tracing::instrument(skip_all)]
pub async fn new_device_mail(authn: &authn::Authn, user_id: Uuid) -> Result<bool, AuthnError> {
    let mut tx = authn.begin().await?;
    let on = wants_mail(&mut tx, user_id).await?;
    tx.commit().await?;
    Ok(on)
}

/// Turns the mail on or off for the account.
#[tracing::instrument(skip_all)]
pub async fn set_new_device_mail(
    authn: &authn::Authn,
    user_id: Uuid,
    on: bool,
) -> Result<(), AuthnError> {
    let mut tx = authn.begin().await?;
    let (conn, namespace) = tx.parts();
    sqlx::query(
        "INSERT INTO gatehouse.user_preferences (namespace, user_id, new_device_mail) \
         VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET new_device_mail = $3, updated_at = now()",
    )
    .bind(namespace)
    .bind(user_id)
    .bind(on)
    .execute(conn)
    .await?;
    tx.commit().await?;
    Ok(())
}
