//! Each account's own security activity, written in the transaction of the event, shown to the
//! account's owner ("Was this you?").

use authn::{Authn, AuthnError, AuthnTx};
use chrono::{DateTime, Utc};
use uuid::Uuid;
use vocabulary::ActivityKind;

use crate::client_info::ClientInfo;

/// What happened to the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity<'a> {
    /// A session was opened; the detail says how (e.g. "password + authenticator app").
    SignIn(&'a str),
    /// A sign-in (or re-authentication) step failed; the detail says which.
    SignInFailed(&'a str),
    PasswordChanged,
    PasswordReset,
    MfaAdded(SecondFactorKind<'a>),
    MfaRemoved(SecondFactorKind<'a>),
    RecoveryCodesRegenerated,
    ApiKeyCreated,
    ApiKeyRevoked,
    EmailChanged,
}

impl Activity<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Activity::SignIn(_) => ActivityKind::SignIn,
            Activity::SignInFailed(_) => ActivityKind::SignInFailed,
            Activity::PasswordChanged => ActivityKind::PasswordChanged,
            Activity::PasswordReset => ActivityKind::PasswordReset,
            Activity::MfaAdded(_) => ActivityKind::MfaAdded,
            Activity::MfaRemoved(_) => ActivityKind::MfaRemoved,
            Activity::RecoveryCodesRegenerated => ActivityKind::RecoveryCodesRegenerated,
            Activity::ApiKeyCreated => ActivityKind::ApiKeyCreated,
            Activity::ApiKeyRevoked => ActivityKind::ApiKeyRevoked,
            Activity::EmailChanged => ActivityKind::EmailChanged,
        }
        .as_str()
    }

    fn detail(&self) -> Option<String> {
        match self {
            Activity::SignIn(d) | Activity::SignInFailed(d) => Some((*d).to_owned()),
            Activity::MfaAdded(kind) | Activity::MfaRemoved(kind) => Some(kind.detail()),
            _ => None,
        }
    }
}

/// Which second factor an `MfaAdded`/`MfaRemoved` line is about, stored as its detail:
/// `authenticator`, `passkey`, or `passkey:<name>` (see [`SecondFactorKind::parse`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecondFactorKind<'a> {
    Authenticator,
    /// A passkey, by its name when known.
    Passkey(Option<&'a str>),
}

impl<'a> SecondFactorKind<'a> {
    fn detail(&self) -> String {
        match self {
            SecondFactorKind::Authenticator => "authenticator".to_owned(),
            SecondFactorKind::Passkey(None) => "passkey".to_owned(),
            SecondFactorKind::Passkey(Some(name)) => format!("passkey:{name}"),
        }
    }

    /// The kind a stored detail names; `None` for rows written before details were kept.
    pub fn parse(detail: &'a str) -> Option<SecondFactorKind<'a>> {
        match detail {
            "authenticator" => Some(SecondFactorKind::Authenticator),
            "passkey" => Some(SecondFactorKind::Passkey(None)),
            other => other
                .strip_prefix("passkey:")
                .map(|name| SecondFactorKind::Passkey(Some(name))),
        }
    }
}

/// One line of the activity list.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ActivityEntry {
    pub kind: String,
    pub detail: Option<String>,
    pub ip_address: Option<std::net::IpAddr>,
    pub user_agent: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

pub async fn record(
    tx: &mut AuthnTx<'_>,
    user_id: Uuid,
    activity: Activity<'_>,
    client: ClientInfo<'_>,
) -> Result<(), sqlx::Error> {
    let (conn, namespace) = tx.parts();
    let user_agent: Option<String> = client.user_agent.map(|ua| ua.chars().take(512).collect());
    sqlx::query(
        "INSERT INTO gatehouse.account_activity \
             (namespace, user_id, kind, detail, ip_address, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(namespace)
    .bind(user_id)
    .bind(activity.kind())
    .bind(activity.detail())
    .bind(client.ip_address)
    .bind(user_agent)
    .execute(conn)
    .await?;
    Ok(())
}

/// The account's latest activity, newest first.
pub async fn recent(
    authn: &Authn,
    user_id: Uuid,
    limit: i64,
) -> Result<Vec<ActivityEntry>, AuthnError> {
    // A transaction of the namespace: the table is under row-level security (migration 26).
    let mut tx = authn.begin().await?;
    let entries = sqlx::query_as(
        "SELECT kind, detail, ip_address, user_agent, occurred_at \
           FROM gatehouse.account_activity \
          WHERE namespace = $1 AND user_id = $2 \
          ORDER BY occurred_at DESC, id DESC \
          LIMIT $3",
    )
    .bind(authn.namespace())
    .bind(user_id)
    .bind(limit.clamp(1, 200))
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(entries)
}

/// How long the activity is kept (the cleanup job's window); the new-device check compares a
/// sign-in with the account's sign-ins of this window (`crate::sign_in_alert`).
pub const KEPT_DAYS: i32 = 90;

/// Drops activity older than `days` (the cleanup job).
pub async fn purge_older_than(tx: &mut AuthnTx<'_>, days: i32) -> Result<u64, sqlx::Error> {
    let conn = tx.conn();
    Ok(sqlx::query(
        "DELETE FROM gatehouse.account_activity WHERE occurred_at < now() - make_interval(days => $1)",
    )
    .bind(days)
    .execute(conn)
    .await?
    .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_factors_detail_reads_back() {
        for kind in [
            SecondFactorKind::Authenticator,
            SecondFactorKind::Passkey(None),
            SecondFactorKind::Passkey(Some("work: laptop")),
        ] {
            assert_eq!(SecondFactorKind::parse(&kind.detail()), Some(kind));
        }
        assert_eq!(SecondFactorKind::parse("password"), None);
        assert_eq!(
            Activity::MfaAdded(SecondFactorKind::Passkey(Some("laptop"))).detail(),
            Some("passkey:laptop".to_owned())
        );
    }
}
