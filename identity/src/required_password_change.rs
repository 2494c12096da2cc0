//! Accounts whose password must be replaced at the next sign-in
//! (`gatehouse.required_password_changes`): those created with a password an admin typed.

use authn::AuthnTx;
use uuid::Uuid;

/// Marks the account: its next sign-in asks for a new password before anything else.
pub async fn require(tx: &mut AuthnTx<'_>, user_id: Uuid) -> Result<(), sqlx::Error> {
    let (conn, namespace) = tx.parts();
    sqlx::query(
        "INSERT INTO gatehouse.required_password_changes (user_id, namespace) VALUES ($1, $2) \
         ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(namespace)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn is_required(tx: &mut AuthnTx<'_>, user_id: Uuid) -> Result<bool, sqlx::Error> {
    let (conn, namespace) = tx.parts();
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM gatehouse.required_password_changes \
                         WHERE user_id = $1 AND namespace = $2)",
    )
    .bind(user_id)
    .bind(namespace)
    .fetch_one(conn)
    .await
}

/// The owner chose a password (change, reset, confirmation): nothing more is owed.
pub async fn clear(tx: &mut AuthnTx<'_>, user_id: Uuid) -> Result<(), sqlx::Error> {
    let (conn, namespace) = tx.parts();
    sqlx::query(
        "DELETE FROM gatehouse.required_password_changes WHERE user_id = $1 AND namespace = $2",
    )
    .bind(user_id)
    .bind(namespace)
    .execute(conn)
    .await?;
    Ok(())
}
