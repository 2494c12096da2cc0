//! Sessions (spec §5.3), including the request hot path `validate_session`.

use std::net::IpAddr;

use chrono::TimeDelta;
use sqlx::postgres::PgArguments;
use sqlx::query::QueryScalar;
use sqlx::Postgres;
use uuid::Uuid;

use crate::actor::Actor;
use crate::client::{core_operations, Authn, AuthnTx};
use crate::error::Result;
use crate::types::{SessionInfo, Timestamp, ValidatedSession};

/// Input of `create_session`; `expires_in: None` uses the configured default (7 days).
#[derive(Clone, Copy, Debug)]
pub struct NewSession<'a> {
    pub user_id: Uuid,
    pub token_hash: &'a str,
    pub expires_in: Option<TimeDelta>,
    pub ip_address: Option<IpAddr>,
    pub user_agent: Option<&'a str>,
}

/// The core's `create_session` call as an SQL expression whose value is the new session's id,
/// its arguments `$1` to `$6` with the namespace last, bound by [`NewSession::bind`]: for a
/// statement that records something about the new session in the same round trip (identity's
/// sudo proof). The argument order is written here only.
#[macro_export]
macro_rules! create_session_call {
    () => {
        "authn.create_session($1, $2, $3, $4, $5, $6)"
    };
}

impl<'a> NewSession<'a> {
    pub fn new(user_id: Uuid, token_hash: &'a str) -> Self {
        NewSession {
            user_id,
            token_hash,
            expires_in: None,
            ip_address: None,
            user_agent: None,
        }
    }

    /// Binds this session and `namespace` as the arguments of [`create_session_call!`] (`$1`
    /// to `$6`) to `query`, whose own arguments, if any, come after them.
    pub fn bind<'q, O>(
        self,
        query: QueryScalar<'q, Postgres, O, PgArguments>,
        namespace: &'q str,
    ) -> QueryScalar<'q, Postgres, O, PgArguments>
    where
        'a: 'q,
    {
        query
            .bind(self.user_id)
            .bind(self.token_hash)
            .bind(self.expires_in)
            .bind(self.ip_address)
            .bind(self.user_agent)
            .bind(namespace)
    }
}

core_operations! {
    /// Stores a session for the (hashed) token; returns its id.
    pub async fn create_session(&mut self, session: NewSession<'_>) -> Uuid {
        let (conn, ns) = self.parts();
        let query = sqlx::query_scalar(concat!("SELECT ", create_session_call!()));
        Ok(session.bind(query, ns).fetch_one(conn).await?)
    }

    /// Sets a new absolute expiry (`now + extend_by`, default 7 days); `None` if the session
    /// is unknown, revoked, expired, or an impersonation session (decision D7).
    pub async fn extend_session(&mut self, token_hash: &str, extend_by: Option<TimeDelta>) -> Option<Timestamp> {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.extend_session($1, $2, $3)")
            .bind(token_hash)
            .bind(extend_by)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }

    /// Revokes the session with that token (sign-out); `false` if unknown or already revoked.
    pub async fn revoke_session(&mut self, token_hash: &str) -> bool {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.revoke_session($1, $2)")
            .bind(token_hash)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }

    /// Revokes one session of `user_id` by id ("sign out that device"); `false` if it is not
    /// theirs, unknown or already revoked.
    pub async fn revoke_session_by_id(&mut self, session_id: Uuid, user_id: Uuid) -> bool {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.revoke_session_by_id($1, $2, $3)")
            .bind(session_id)
            .bind(user_id)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }

    /// Revokes every session of the user; returns how many.
    pub async fn revoke_all_sessions(&mut self, user_id: Uuid) -> i32 {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.revoke_all_sessions($1, $2)")
            .bind(user_id)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }

    /// Revokes every session of the user but `except_session_id`; returns how many.
    pub async fn revoke_other_sessions(&mut self, user_id: Uuid, except_session_id: Uuid) -> i32 {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.revoke_other_sessions($1, $2, $3)")
            .bind(user_id)
            .bind(except_session_id)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }

    /// The user's active sessions, newest first (no hashes).
    pub async fn list_sessions(&mut self, user_id: Uuid) -> Vec<SessionInfo> {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_as("SELECT * FROM authn.list_sessions($1, $2)")
            .bind(user_id)
            .bind(ns)
            .fetch_all(conn)
            .await?)
    }
}

const VALIDATE_SESSION: &str = "SELECT * FROM authn.validate_session($1, $2)";

/// The one-shot form: the tenant is set by the statement itself (see `client::in_tenant`).
const VALIDATE_SESSION_ONE_SHOT: &str =
    "SELECT v.* FROM set_config('authn.tenant_id', $2, true) AS t(ns) \
     CROSS JOIN LATERAL authn.validate_session($1, t.ns) AS v";

/// Decision D6: the core replaces the whole audit context when it sees an impersonation
/// session; the client keeps the request's id, IP and user agent and adds the impersonation.
fn impersonation_actor(session: &ValidatedSession) -> Option<Actor> {
    let impersonator = session
        .impersonator_id
        .filter(|_| session.is_impersonating)?;
    Some(Actor {
        actor_id: Some(format!("user:{impersonator}")),
        on_behalf_of: Some(format!("user:{}", session.user_id)),
        reason: Some(format!(
            "Impersonation: {}",
            session.impersonation_reason.as_deref().unwrap_or_default()
        )),
        ..Actor::default()
    })
}

impl AuthnTx<'_> {
    /// The session's user (the target's, during an impersonation) if the token is valid.
    /// During a tenant-local impersonation the rest of this transaction is attributed to the
    /// impersonator (D6).
    pub async fn validate_session(&mut self, token_hash: &str) -> Result<Option<ValidatedSession>> {
        let (conn, ns) = self.parts();
        let session: Option<ValidatedSession> = sqlx::query_as(VALIDATE_SESSION)
            .bind(token_hash)
            .bind(ns)
            .fetch_optional(conn)
            .await?;
        if let Some(update) = session.as_ref().and_then(impersonation_actor) {
            self.set_actor(update).await?;
        }
        Ok(session)
    }
}

impl Authn {
    /// Applies decision D6 for a session validated elsewhere (a statement that joins the
    /// core's `validate_session` with other reads): during a tenant-local impersonation this
    /// client's actor becomes the impersonator, on behalf of the target.
    pub fn act_for_session(&mut self, session: &ValidatedSession) {
        if let Some(update) = impersonation_actor(session) {
            self.set_actor(update);
        }
    }

    /// The session's user if the token is valid, in one round trip. During a tenant-local
    /// impersonation this client's actor becomes the impersonator, on behalf of the target
    /// (D6), for its later calls; request id, IP and user agent are kept.
    pub async fn validate_session(&mut self, token_hash: &str) -> Result<Option<ValidatedSession>> {
        let session: Option<ValidatedSession> = sqlx::query_as(VALIDATE_SESSION_ONE_SHOT)
            .bind(token_hash)
            .bind(self.namespace())
            .fetch_optional(self.pool())
            .await?;
        if let Some(update) = session.as_ref().and_then(impersonation_actor) {
            self.set_actor(update);
        }
        Ok(session)
    }
}
