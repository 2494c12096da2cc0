//! Sudo mode: sensitive changes need a session whose holder proved who they are recently
//! (signing in counts, and so does confirming the password again), not just a live cookie
//! someone may have left behind.

use authn::AuthnTx;
use chrono::TimeDelta;
use uuid::Uuid;

/// How recent the proof must be unless configured otherwise.
pub const DEFAULT_WINDOW: TimeDelta = TimeDelta::minutes(10);

/// Records that the holder of `session_id` has just authenticated.
pub async fn record(tx: &mut AuthnTx<'_>, session_id: Uuid) -> Result<(), sqlx::Error> {
    let (conn, namespace) = tx.parts();
    sqlx::query(
        "INSERT INTO gatehouse.reauthentications (session_id, namespace, authenticated_at) \
         VALUES ($1, $2, now()) \
         ON CONFLICT (session_id) DO UPDATE SET authenticated_at = now()",
    )
    .bind(session_id)
    .bind(namespace)
    .execute(conn)
    .await?;
    Ok(())
}

/// Opens a session whose holder has just authenticated: the core's `create_session` and the
/// proof in one statement (a round trip fewer on every sign-in than creating, then
/// [`record`]ing). Returns the session's id.
pub async fn open_session(
    tx: &mut AuthnTx<'_>,
    session: authn::NewSession<'_>,
) -> Result<Uuid, sqlx::Error> {
    let (conn, namespace) = tx.parts();
    // The core's call binds `$1` to `$6`, the namespace last.
    let query = sqlx::query_scalar(concat!(
        "INSERT INTO gatehouse.reauthentications (session_id, namespace, authenticated_at) \
         VALUES (",
        authn::create_session_call!(),
        ", $6, now()) RETURNING session_id"
    ));
    session.bind(query, namespace).fetch_one(conn).await
}

/// A session restored under a new token (after an impersonation or a support access) keeps the
/// proof its original had, with the original's time: restoring extends nothing.
pub async fn carry_over(
    tx: &mut AuthnTx<'_>,
    from_session_id: Uuid,
    to_session_id: Uuid,
) -> Result<(), sqlx::Error> {
    let (conn, namespace) = tx.parts();
    sqlx::query(
        "INSERT INTO gatehouse.reauthentications (session_id, namespace, authenticated_at) \
         SELECT $2, namespace, authenticated_at FROM gatehouse.reauthentications \
          WHERE session_id = $1 AND namespace = $3 \
         ON CONFLICT (session_id) DO UPDATE SET authenticated_at = EXCLUDED.authenticated_at",
    )
    .bind(from_session_id)
    .bind(to_session_id)
    .bind(namespace)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the session authenticated within `window`, in `authn`'s namespace (a transaction of
/// its own: the table is under row-level security).
pub async fn is_recent(
    authn: &authn::Authn,
    session_id: Uuid,
    window: TimeDelta,
) -> Result<bool, authn::AuthnError> {
    let mut tx = authn.begin().await?;
    let recent = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM gatehouse.reauthentications \
                         WHERE session_id = $1 AND namespace = $2 \
                           AND authenticated_at > now() - $3)",
    )
    .bind(session_id)
    .bind(authn.namespace())
    .bind(window)
    .fetch_one(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(recent)
}

/// Drops records too old to matter (the cleanup job).
pub async fn purge_stale(tx: &mut AuthnTx<'_>) -> Result<u64, sqlx::Error> {
    let conn = tx.conn();
    Ok(sqlx::query(
        "DELETE FROM gatehouse.reauthentications WHERE authenticated_at < now() - interval '1 day'",
    )
    .execute(conn)
    .await?
    .rows_affected())
}
