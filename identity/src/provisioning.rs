//! Accounts created by someone trusted (the CLI, the demo seed, later admins' invitations):
//! they vouch for the address, so it starts out verified.

use authn::{AuthnError, AuthnTx, TokenType};
use chrono::TimeDelta;
use uuid::Uuid;

use crate::email::EmailAddress;
use crate::token::OpaqueToken;

/// Creates a user whose address counts as verified. The core marks addresses verified only
/// through a verification token, so one is issued and used at once inside the transaction.
#[tracing::instrument(skip_all)]
pub async fn create_verified_user(
    tx: &mut AuthnTx<'_>,
    email: &EmailAddress,
    password_hash: Option<&str>,
) -> Result<Uuid, AuthnError> {
    let user_id = tx.create_user(email.as_str(), password_hash).await?;
    let token = OpaqueToken::generate();
    tx.create_token(
        user_id,
        &token.hash(),
        TokenType::EmailVerify,
        Some(TimeDelta::minutes(1)),
    )
    .await?;
    tx.verify_email(&token.hash()).await?;
    Ok(user_id)
}
