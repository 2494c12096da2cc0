//! "Was this you?": every successful sign-in is recorded in the account's activity, and one from
//! a browser and device the account has not signed in from in the last 90 days also asks the
//! mail worker to tell the owner (migration 38, G20), unless they turned that off.

use authn::{AuthnError, AuthnTx};
use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use crate::activity::{self, Activity};
use crate::devices::{device_key, DeviceKey};
use crate::ClientInfo;

/// How far back a device counts as known: as long as the activity is kept.
pub const KNOWN_FOR: TimeDelta = TimeDelta::days(activity::KEPT_DAYS as i64);

/// The devices compared (an account has few; this bounds the read).
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

/// Whether `device` is not among the account's devices seen in the last [`KNOWN_FOR`], and
/// marks it seen now. An account younger than that with no sign-in yet has nothing to compare
/// with: its first sign-in is not announced.
///
/// Reads `gatehouse.known_devices` (one row per device, migration 39), so the cost does not
/// grow with the account's number of sign-ins. Sign-ins of one address are serialised
/// (`session::lock_address`), so two cannot both find the same device new.
async fn is_new(
    tx: &mut AuthnTx<'_>,
    user_id: Uuid,
    device: &DeviceKey,
) -> Result<bool, AuthnError> {
    let stored = device.stored();
    // One round trip: the devices as they were before this sign-in (every part of a statement
    // reads the same snapshot), and this one marked seen now.
    let (conn, namespace) = tx.parts();
    let rows: Vec<(String, bool)> = sqlx::query_as(
        "WITH seen AS ( \
           INSERT INTO gatehouse.known_devices (namespace, user_id, device) VALUES ($1, $2, $5) \
           ON CONFLICT (user_id, device) DO UPDATE SET last_seen_at = now()) \
         SELECT device, last_seen_at > now() - $3::interval FROM gatehouse.known_devices \
          WHERE namespace = $1 AND user_id = $2 LIMIT $4",
    )
    .bind(namespace)
    .bind(user_id)
    .bind(KNOWN_FOR)
    .bind(COMPARED)
    .bind(&stored)
    .fetch_all(conn)
    .await?;
    let recent: Vec<String> = if rows.is_empty() {
        known_from_activity(tx, user_id).await?
    } else {
        rows.into_iter()
            .filter_map(|(device, recent)| recent.then_some(device))
            .collect()
    };
    let new = if recent.is_empty() {
        let young = tx
            .get_user(user_id)
            .await?
            .is_some_and(|u| u.created_at > Utc::now() - KNOWN_FOR);
        !young
    } else {
        !recent.contains(&stored)
    };
    Ok(new)
}

/// For an account with no known device yet (it last signed in before migration 39, or not in
/// 90 days): its devices of the last [`KNOWN_FOR`] from its sign-in activity, recorded so that
/// this happens once.
async fn known_from_activity(
    tx: &mut AuthnTx<'_>,
    user_id: Uuid,
) -> Result<Vec<String>, AuthnError> {
    let (conn, namespace) = tx.parts();
    let seen: Vec<(Option<String>, DateTime<Utc>)> = sqlx::query_as(
        "SELECT user_agent, max(occurred_at) FROM gatehouse.account_activity \
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
    let mut devices: Vec<String> = Vec::new();
    let mut last_seen: Vec<DateTime<Utc>> = Vec::new();
    for (user_agent, at) in seen {
        let device = device_key(user_agent.as_deref()).stored();
        // Newest first: the first time a device comes up is when it was last seen.
        if !devices.contains(&device) {
            devices.push(device);
            last_seen.push(at);
        }
    }
    if !devices.is_empty() {
        let (conn, namespace) = tx.parts();
        sqlx::query(
            "INSERT INTO gatehouse.known_devices (namespace, user_id, device, last_seen_at) \
             SELECT $1, $2, d, at FROM unnest($3::text[], $4::timestamptz[]) AS s (d, at) \
             ON CONFLICT (user_id, device) DO NOTHING",
        )
        .bind(namespace)
        .bind(user_id)
        .bind(&devices)
        .bind(&last_seen)
        .execute(conn)
        .await?;
    }
    Ok(devices)
}

/// Forgets devices not seen for [`KNOWN_FOR`] (upkeep, in a transaction of the namespace).
pub async fn purge_stale(tx: &mut AuthnTx<'_>) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query(
            "DELETE FROM gatehouse.known_devices WHERE last_seen_at < now() - $1::interval",
        )
        .bind(KNOWN_FOR)
        .execute(tx.conn())
        .await?
        .rows_affected(),
    )
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
