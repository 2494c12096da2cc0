//! Read models the consoles need that the spec's functions do not offer: finding users by part
//! of their address in keyset pages, the lockout queue, the namespace's failed attempts and
//! sign-in counts, one audit event by id. They are not part of the SQL interface (a program
//! written against the spec never needs them), but they read the core's tables, so they live
//! here: this crate is the only Rust code that names `authn.*` tables (migrations/README.md,
//! "Data boundary"). Each runs in the caller's transaction, so row-level security keeps it in
//! the transaction's namespace; the indexes of migration 14 serve them.

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use sqlx::{FromRow, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::client::AuthnTx;
use crate::error::Result;
use crate::types::{AuditEvent, SessionInfo};

/// A user as the console's list shows them.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct UserRow {
    pub user_id: Uuid,
    pub email: String,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub has_mfa: bool,
}

/// The order of a user search, and so the key its pages are cut at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserOrder {
    Created { descending: bool },
    Email { descending: bool },
}

/// Where the previous page ended, in the order's own key (the id breaks ties).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserKey {
    Email(String, Uuid),
    Created(DateTime<Utc>, Uuid),
}

/// A search of the namespace's users; every filter is optional.
#[derive(Clone, Debug)]
pub struct UserSearch<'a> {
    /// Part of the address, lower-case; matched literally (`%`, `_`, `\` are themselves).
    pub email_contains: Option<&'a str>,
    pub disabled: Option<bool>,
    pub verified: Option<bool>,
    pub has_mfa: Option<bool>,
    pub order: UserOrder,
    pub after: Option<UserKey>,
    pub limit: i64,
}

/// Whether the row's user has any second factor (the list's column and its filter).
const HAS_MFA: &str =
    "EXISTS (SELECT 1 FROM authn.mfa_secrets m WHERE m.user_id = u.id AND m.namespace = u.namespace)";

/// An address locked out now.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct LockedAccount {
    pub email: String,
    /// The account of the address, if there is one (attempts are kept for any address).
    pub user_id: Option<Uuid>,
    /// Failed attempts inside the window.
    pub failures: i64,
    pub last_attempt_at: DateTime<Utc>,
    pub last_ip: Option<IpAddr>,
    /// When enough failures have left the window to let the address in again.
    pub unlocks_at: DateTime<Utc>,
}

/// One failed sign-in attempt.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct FailedAttempt {
    pub email: String,
    pub user_id: Option<Uuid>,
    pub ip_address: Option<IpAddr>,
    pub attempted_at: DateTime<Utc>,
}

/// What an audit trail's ids name: a user's address, or a session, API key or sign-in method
/// with its owner ([`AuthnTx::audit_names`]).
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct AuditName {
    /// `user`, `session`, `api_key` or `mfa` (the audit trail's resource types).
    pub kind: String,
    pub id: Uuid,
    pub owner_id: Uuid,
    pub owner_email: String,
    /// The session's user agent, the key's name, the method's name.
    pub label: Option<String>,
    /// The method's type (`totp`, `webauthn`, …); `None` for the others.
    pub detail: Option<String>,
}

/// The ids [`AuthnTx::audit_names`] looks up, by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditIds {
    pub users: Vec<Uuid>,
    pub sessions: Vec<Uuid>,
    pub api_keys: Vec<Uuid>,
    pub methods: Vec<Uuid>,
}

/// `%`, `_` and `\` match themselves in a search.
fn like_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl AuthnTx<'_> {
    /// Up to `search.limit` users of the namespace matching `search`, after `search.after`.
    pub async fn search_users(&mut self, search: &UserSearch<'_>) -> Result<Vec<UserRow>> {
        let (conn, namespace) = self.parts();
        let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!(
            "SELECT u.id AS user_id, u.email, u.email_verified_at, u.disabled_at, u.created_at, \
             {HAS_MFA} AS has_mfa FROM authn.users u WHERE u.namespace = "
        ));
        q.push_bind(namespace.to_owned());
        if let Some(s) = search.email_contains {
            q.push(" AND u.email LIKE ").push_bind(like_pattern(s));
        }
        if let Some(v) = search.disabled {
            q.push(" AND (u.disabled_at IS NOT NULL) = ").push_bind(v);
        }
        if let Some(v) = search.verified {
            q.push(" AND (u.email_verified_at IS NOT NULL) = ")
                .push_bind(v);
        }
        if let Some(v) = search.has_mfa {
            q.push(if v { " AND " } else { " AND NOT " }).push(HAS_MFA);
        }
        let (key, descending) = match search.order {
            UserOrder::Email { descending } => ("u.email", descending),
            UserOrder::Created { descending } => ("u.created_at", descending),
        };
        let (cmp, dir) = if descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        match &search.after {
            Some(UserKey::Email(email, id)) => {
                q.push(format_args!(" AND ({key}, u.id) {cmp} ("))
                    .push_bind(email.clone())
                    .push(", ")
                    .push_bind(*id)
                    .push(")");
            }
            Some(UserKey::Created(at, id)) => {
                q.push(format_args!(" AND ({key}, u.id) {cmp} ("))
                    .push_bind(*at)
                    .push(", ")
                    .push_bind(*id)
                    .push(")");
            }
            None => {}
        }
        q.push(format_args!(" ORDER BY {key} {dir}, u.id {dir} LIMIT "))
            .push_bind(search.limit);
        Ok(q.build_query_as().fetch_all(conn).await?)
    }

    /// Every address with at least `max_failures` failed attempts within `window`, the most
    /// recently attempted first.
    pub async fn locked_accounts(
        &mut self,
        window: TimeDelta,
        max_failures: i32,
    ) -> Result<Vec<LockedAccount>> {
        let (conn, namespace) = self.parts();
        Ok(sqlx::query_as(
            "WITH recent AS ( \
                 SELECT a.email, a.attempted_at, a.ip_address \
                   FROM authn.login_attempts a \
                  WHERE a.namespace = $1 AND NOT a.success AND a.attempted_at > now() - $2::interval), \
             locked AS ( \
                 SELECT email, count(*) AS failures, \
                        (array_agg(attempted_at ORDER BY attempted_at DESC))[1] AS last_attempt_at, \
                        (array_agg(ip_address ORDER BY attempted_at DESC))[1] AS last_ip, \
                        (array_agg(attempted_at ORDER BY attempted_at DESC))[$3] + $2::interval AS unlocks_at \
                   FROM recent GROUP BY email HAVING count(*) >= $3) \
             SELECT l.email, u.id AS user_id, l.failures, l.last_attempt_at, l.last_ip, l.unlocks_at \
               FROM locked l LEFT JOIN authn.users u ON u.namespace = $1 AND u.email = l.email \
              ORDER BY l.last_attempt_at DESC, l.email",
        )
        .bind(namespace)
        .bind(window)
        .bind(max_failures.max(1))
        .fetch_all(conn)
        .await?)
    }

    /// How many addresses have at least `max_failures` failed attempts within `window` (as
    /// `is_locked_out` counts).
    pub async fn locked_account_count(
        &mut self,
        window: TimeDelta,
        max_failures: i64,
    ) -> Result<i64> {
        let (conn, namespace) = self.parts();
        Ok(sqlx::query_scalar(
            "SELECT count(*) FROM ( \
                SELECT email FROM authn.login_attempts \
                 WHERE namespace = $1 AND NOT success AND attempted_at > now() - $2 \
                 GROUP BY email HAVING count(*) >= $3) locked",
        )
        .bind(namespace)
        .bind(window)
        .bind(max_failures)
        .fetch_one(conn)
        .await?)
    }

    /// The namespace's latest failed sign-in attempts, newest first.
    pub async fn recent_failed_attempts(&mut self, limit: i64) -> Result<Vec<FailedAttempt>> {
        let (conn, namespace) = self.parts();
        Ok(sqlx::query_as(
            "SELECT a.email, u.id AS user_id, a.ip_address, a.attempted_at \
               FROM authn.login_attempts a \
               LEFT JOIN authn.users u ON u.namespace = a.namespace AND u.email = a.email \
              WHERE a.namespace = $1 AND NOT a.success \
              ORDER BY a.attempted_at DESC LIMIT $2",
        )
        .bind(namespace)
        .bind(limit)
        .fetch_all(conn)
        .await?)
    }

    /// Successful and failed sign-in attempts per UTC day since `first` (days without any are
    /// absent).
    pub async fn sign_in_counts_since(
        &mut self,
        first: NaiveDate,
    ) -> Result<Vec<(NaiveDate, i64, i64)>> {
        let (conn, namespace) = self.parts();
        Ok(sqlx::query_as(
            "SELECT (attempted_at AT TIME ZONE 'UTC')::date AS day, \
                    count(*) FILTER (WHERE success), count(*) FILTER (WHERE NOT success) \
               FROM authn.login_attempts \
              WHERE namespace = $1 AND attempted_at >= ($2::date)::timestamp AT TIME ZONE 'UTC' \
              GROUP BY 1",
        )
        .bind(namespace)
        .bind(first)
        .fetch_all(conn)
        .await?)
    }

    /// When live session `session_id` began and when it ends (`None` if it is revoked, expired
    /// or unknown): what the sliding expiry needs, one row by its primary key, where
    /// `list_sessions` would read all of the user's sessions.
    pub async fn session_span(
        &mut self,
        session_id: Uuid,
    ) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>> {
        let (conn, namespace) = self.parts();
        Ok(sqlx::query_as(
            "SELECT created_at, expires_at FROM authn.sessions \
              WHERE namespace = $1 AND id = $2 AND revoked_at IS NULL AND expires_at > now()",
        )
        .bind(namespace)
        .bind(session_id)
        .fetch_optional(conn)
        .await?)
    }

    /// The user's newest live sessions, at most `limit` (at least one is read, so that the
    /// count comes with it), and how many there are: a user may hold thousands, and a page
    /// shows a few (`list_sessions` reads them all).
    pub async fn newest_sessions(
        &mut self,
        user_id: Uuid,
        limit: i64,
    ) -> Result<(Vec<SessionInfo>, i64)> {
        #[derive(FromRow)]
        struct Row {
            #[sqlx(flatten)]
            session: SessionInfo,
            total: i64,
        }
        let (conn, namespace) = self.parts();
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT s.id AS session_id, s.created_at, s.expires_at, s.ip_address, s.user_agent, \
                    count(*) OVER () AS total \
               FROM authn.sessions s \
              WHERE s.namespace = $1 AND s.user_id = $2 \
                AND s.revoked_at IS NULL AND s.expires_at > now() \
              ORDER BY s.created_at DESC, s.id \
              LIMIT $3",
        )
        .bind(namespace)
        .bind(user_id)
        .bind(limit.max(1))
        .fetch_all(conn)
        .await?;
        let total = rows.first().map_or(0, |r| r.total);
        Ok((rows.into_iter().map(|r| r.session).collect(), total))
    }

    /// The names behind the ids of a page of audit events, in one query (ids that no longer
    /// exist are simply missing).
    pub async fn audit_names(&mut self, ids: &AuditIds) -> Result<Vec<AuditName>> {
        let (conn, namespace) = self.parts();
        Ok(sqlx::query_as(
            "SELECT 'user' AS kind, u.id, u.id AS owner_id, u.email AS owner_email, \
                    NULL::text AS label, NULL::text AS detail \
               FROM authn.users u WHERE u.namespace = $1 AND u.id = ANY($2) \
             UNION ALL \
             SELECT 'session', s.id, s.user_id, u.email, s.user_agent, NULL \
               FROM authn.sessions s JOIN authn.users u ON u.id = s.user_id \
              WHERE s.namespace = $1 AND s.id = ANY($3) \
             UNION ALL \
             SELECT 'api_key', k.id, k.user_id, u.email, k.name, NULL \
               FROM authn.api_keys k JOIN authn.users u ON u.id = k.user_id \
              WHERE k.namespace = $1 AND k.id = ANY($4) \
             UNION ALL \
             SELECT 'mfa', m.id, m.user_id, u.email, m.name, m.mfa_type \
               FROM authn.mfa_secrets m JOIN authn.users u ON u.id = m.user_id \
              WHERE m.namespace = $1 AND m.id = ANY($5)",
        )
        .bind(namespace)
        .bind(&ids.users)
        .bind(&ids.sessions)
        .bind(&ids.api_keys)
        .bind(&ids.methods)
        .fetch_all(conn)
        .await?)
    }

    /// One audit event of the namespace by its id.
    pub async fn get_audit_event(&mut self, event_id: Uuid) -> Result<Option<AuditEvent>> {
        let (conn, namespace) = self.parts();
        Ok(sqlx::query_as(
            "SELECT id, event_id, event_type, event_time, actor_id, request_id, reason, \
             on_behalf_of, namespace, resource_type, resource_id, ip_address, user_agent, \
             old_values, new_values FROM authn.audit_events WHERE namespace = $1 AND event_id = $2 \
             LIMIT 1",
        )
        .bind(namespace)
        .bind(event_id)
        .fetch_optional(conn)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_matched_literally() {
        assert_eq!(like_pattern("a_b%c\\"), "%a\\_b\\%c\\\\%");
    }
}
