//! Opening a session once some flow has proven who the person is. Every sign-in, whatever the
//! method, gets a new token (no session fixation), and only its hash reaches the database.

use std::net::IpAddr;

use authn::{AuthnError, AuthnTx, NewSession};
use chrono::TimeDelta;
use uuid::Uuid;

use crate::token::OpaqueToken;

/// Where a request comes from, recorded with attempts and sessions.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientInfo<'a> {
    pub ip_address: Option<IpAddr>,
    pub user_agent: Option<&'a str>,
}

/// A new session. `token` goes into the cookie and nowhere else.
#[derive(Debug)]
pub struct SignedIn {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub token: OpaqueToken,
}

pub(crate) async fn open_session(
    tx: &mut AuthnTx<'_>,
    user_id: Uuid,
    lifetime: TimeDelta,
    client: ClientInfo<'_>,
) -> Result<SignedIn, AuthnError> {
    let token = OpaqueToken::generate();
    let token_hash = token.hash();
    let session_id = tx
        .create_session(NewSession {
            expires_in: Some(lifetime),
            ip_address: client.ip_address,
            user_agent: client.user_agent,
            ..NewSession::new(user_id, &token_hash)
        })
        .await?;
    Ok(SignedIn {
        user_id,
        session_id,
        token,
    })
}

/// Serialises attempts on one (namespace, e-mail) pair until the transaction ends, so that
/// parallel guesses cannot all pass the lockout check before any failure is recorded.
pub(crate) async fn lock_address(tx: &mut AuthnTx<'_>, email: &str) -> Result<(), AuthnError> {
    let namespace = tx.namespace().to_owned();
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || lower(btrim($2)), 0))")
        .bind(namespace)
        .bind(email)
        .execute(tx.conn())
        .await?;
    Ok(())
}
