//! The table of mailed sign-in codes (`gatehouse.email_codes`): one outstanding 6-digit code per
//! account, stored as a keyed hash, used once, and voided after [`MAX_FAILURES`] wrong guesses
//! whatever the lockout threshold is. The sign-in rules around it live in `crate::flows`.

use authn::AuthnTx;
use chrono::TimeDelta;
use uuid::Uuid;

/// Wrong guesses one code survives. A code has a million values; five guesses give an attacker
/// a one-in-200,000 chance per mailed code, on top of the address's lockout.
pub const MAX_FAILURES: i32 = 5;

/// Replaces the account's outstanding code (an older one stops working).
pub async fn store(
    tx: &mut AuthnTx<'_>,
    user_id: Uuid,
    code_hash: &str,
    lifetime: TimeDelta,
) -> Result<(), sqlx::Error> {
    let (conn, namespace) = tx.parts();
    sqlx::query(
        "INSERT INTO gatehouse.email_codes (user_id, namespace, code_hash, expires_at) \
         VALUES ($1, $2, $3, now() + $4) \
         ON CONFLICT (user_id) DO UPDATE \
            SET namespace = EXCLUDED.namespace, code_hash = EXCLUDED.code_hash, \
                created_at = now(), expires_at = EXCLUDED.expires_at, failures = 0",
    )
    .bind(user_id)
    .bind(namespace)
    .bind(code_hash)
    .bind(lifetime)
    .execute(conn)
    .await?;
    Ok(())
}

/// Uses the account's code if `code_hash` is it and it has not expired: one atomic delete, so
/// a code signs in once however many requests race.
pub async fn consume(
    tx: &mut AuthnTx<'_>,
    user_id: Uuid,
    code_hash: &str,
) -> Result<bool, sqlx::Error> {
    let (conn, namespace) = tx.parts();
    let used = sqlx::query(
        "DELETE FROM gatehouse.email_codes \
          WHERE user_id = $1 AND namespace = $2 AND code_hash = $3 AND expires_at > now()",
    )
    .bind(user_id)
    .bind(namespace)
    .bind(code_hash)
    .execute(conn)
    .await?;
    Ok(used.rows_affected() == 1)
}

/// Counts a wrong guess against the account's code and voids it at [`MAX_FAILURES`].
pub async fn record_failure(tx: &mut AuthnTx<'_>, user_id: Uuid) -> Result<(), sqlx::Error> {
    let (conn, namespace) = tx.parts();
    let failures: Option<i32> = sqlx::query_scalar(
        "UPDATE gatehouse.email_codes SET failures = failures + 1 \
          WHERE user_id = $1 AND namespace = $2 RETURNING failures",
    )
    .bind(user_id)
    .bind(namespace)
    .fetch_optional(conn)
    .await?;
    if failures.is_some_and(|n| n >= MAX_FAILURES) {
        void(tx, user_id).await?;
    }
    Ok(())
}

/// Voids the account's code (lockout reached, password reset).
pub async fn void(tx: &mut AuthnTx<'_>, user_id: Uuid) -> Result<(), sqlx::Error> {
    let (conn, namespace) = tx.parts();
    sqlx::query("DELETE FROM gatehouse.email_codes WHERE user_id = $1 AND namespace = $2")
        .bind(user_id)
        .bind(namespace)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes expired codes (the cleanup job).
pub async fn purge_expired(tx: &mut AuthnTx<'_>) -> Result<u64, sqlx::Error> {
    let conn = tx.conn();
    Ok(
        sqlx::query("DELETE FROM gatehouse.email_codes WHERE expires_at <= now()")
            .execute(conn)
            .await?
            .rows_affected(),
    )
}
