//! Opening a session once some flow has proven who the person is. Every sign-in, whatever the
//! method, gets a new token (no session fixation), and only its hash reaches the database.

use authn::{AuthnError, AuthnTx, NewSession};
use chrono::TimeDelta;
use uuid::Uuid;

pub use crate::client_info::ClientInfo;
use crate::pending::{self, FirstFactor};
use crate::token::OpaqueToken;

/// A new session. `token` goes into the cookie and nowhere else.
#[derive(Debug)]
pub struct SignedIn {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub token: OpaqueToken,
}

/// Where a proven first factor leads: a session, or — for an account with MFA — the second
/// step, which `pending` holds until a second factor completes it (the portal's MFA pages).
#[derive(Debug)]
pub enum SignInStep {
    SignedIn(SignedIn),
    SecondFactorRequired {
        pending: OpaqueToken,
        user_id: Uuid,
    },
    /// The account's password was set by an admin: its owner chooses their own before the
    /// sign-in goes on (`crate::AccountFlows::set_required_password`).
    NewPasswordRequired {
        pending: OpaqueToken,
        user_id: Uuid,
    },
}

impl SignInStep {
    /// The session, if this step opened one.
    pub fn signed_in(self) -> Option<SignedIn> {
        match self {
            SignInStep::SignedIn(s) => Some(s),
            SignInStep::SecondFactorRequired { .. } | SignInStep::NewPasswordRequired { .. } => {
                None
            }
        }
    }
}

/// After a first factor: a new password first if an admin set the current one, then a
/// session, or the pending second step if the account has MFA. `has_mfa` is whether it has,
/// when the caller read it already (`None`: read it here).
pub(crate) async fn after_first_factor(
    tx: &mut AuthnTx<'_>,
    user_id: Uuid,
    first: FirstFactor,
    has_mfa: Option<bool>,
    lifetime: TimeDelta,
    client: ClientInfo<'_>,
) -> Result<SignInStep, AuthnError> {
    if crate::required_password_change::is_required(tx, user_id).await? {
        let pending = pending::begin_new_password(tx, user_id, first, client).await?;
        return Ok(SignInStep::NewPasswordRequired { pending, user_id });
    }
    continue_sign_in(tx, user_id, first, has_mfa, lifetime, client).await
}

/// [`after_first_factor`] once nothing is owed but the second factor.
pub(crate) async fn continue_sign_in(
    tx: &mut AuthnTx<'_>,
    user_id: Uuid,
    first: FirstFactor,
    has_mfa: Option<bool>,
    lifetime: TimeDelta,
    client: ClientInfo<'_>,
) -> Result<SignInStep, AuthnError> {
    let has_mfa = match has_mfa {
        Some(known) => known,
        None => tx.has_mfa(user_id).await?,
    };
    if has_mfa {
        let pending = pending::begin(tx, user_id, first, client).await?;
        return Ok(SignInStep::SecondFactorRequired { pending, user_id });
    }
    let signed_in = open_session(tx, user_id, lifetime, client).await?;
    crate::sign_in_alert::record_sign_in(tx, user_id, first.label(), client).await?;
    Ok(SignInStep::SignedIn(signed_in))
}

pub(crate) async fn open_session(
    tx: &mut AuthnTx<'_>,
    user_id: Uuid,
    lifetime: TimeDelta,
    client: ClientInfo<'_>,
) -> Result<SignedIn, AuthnError> {
    let token = OpaqueToken::generate();
    let token_hash = token.hash();
    // Signing in is the freshest proof there is: sudo mode starts now.
    let session_id = crate::reauth::open_session(
        tx,
        NewSession {
            expires_in: Some(lifetime),
            ip_address: client.ip_address,
            user_agent: client.user_agent,
            ..NewSession::new(user_id, &token_hash)
        },
    )
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
    tx.serialise_on(email).await
}
