//! Changing the e-mail address of an account. The new address gets a link; the change happens
//! only when it is used (single use, 1 hour), and the old address is told afterwards. A link
//! proves the new mailbox, so the new address is verified by the change itself.

use authn::{Authn, AuthnError, AuthnTx, TokenType};
use chrono::TimeDelta;
use uuid::Uuid;

use crate::activity::{self, Activity};
use crate::email::{EmailAddress, InvalidEmail};
use crate::mail::{outbox, templates, Links};
use crate::secret_box::SecretBox;
use crate::token::{link_token_hash, OpaqueToken};

pub const LINK_LIFETIME: TimeDelta = TimeDelta::hours(1);

#[derive(Debug, thiserror::Error)]
pub enum EmailChangeError {
    #[error(transparent)]
    InvalidEmail(#[from] InvalidEmail),
    #[error("that is already your address")]
    SameAddress,
    #[error("the link is invalid, used or expired")]
    InvalidLink,
    /// Another account took the address between the request and the confirmation.
    #[error("the address belongs to another account")]
    AddressTaken,
    #[error("internal error: {0}")]
    Internal(#[from] crate::Internal),
}

crate::internal::internal_from!(EmailChangeError);

/// Mails a confirmation link to `new_email` (the caller checked sudo mode). An address that
/// already belongs to an account gets a note instead, so the requester learns nothing about it.
#[tracing::instrument(skip_all)]
pub async fn request(
    authn: &Authn,
    links: &Links,
    keys: &SecretBox,
    user_id: Uuid,
    current_email: &str,
    new_email: &str,
) -> Result<(), EmailChangeError> {
    let new_email = EmailAddress::parse(new_email)?;
    if new_email
        .as_str()
        .eq_ignore_ascii_case(current_email.trim())
    {
        return Err(EmailChangeError::SameAddress);
    }
    let mut tx = authn.begin().await?;
    let namespace = tx.namespace().to_owned();
    // One change at a time: an older link stops working.
    sqlx::query("DELETE FROM gatehouse.email_changes WHERE namespace = $1 AND user_id = $2")
        .bind(&namespace)
        .bind(user_id)
        .execute(tx.conn())
        .await?;
    let mail = if tx.get_user_by_email(new_email.as_str()).await?.is_some() {
        templates::email_change_address_taken(new_email.as_str(), &namespace)
    } else {
        let token = OpaqueToken::generate();
        sqlx::query(
            "INSERT INTO gatehouse.email_changes (token_hash, namespace, user_id, new_email, expires_at) \
             VALUES ($1, $2, $3, $4, now() + $5)",
        )
        .bind(token.hash())
        .bind(&namespace)
        .bind(user_id)
        .bind(new_email.as_str())
        .bind(LINK_LIFETIME)
        .execute(tx.conn())
        .await?;
        let link = links.confirm_email_change(&namespace, token.expose());
        templates::email_change_confirm(new_email.as_str(), &namespace, link, LINK_LIFETIME)
    };
    outbox::enqueue(&mut tx, &mail, keys).await?;
    tx.commit().await?;
    Ok(())
}

/// Uses a confirmation link: the account's address becomes the new one, verified. Returns it.
#[tracing::instrument(skip_all)]
pub async fn confirm(
    authn: &Authn,
    links: &Links,
    keys: &SecretBox,
    token: &str,
) -> Result<String, EmailChangeError> {
    let hash = link_token_hash(token).ok_or(EmailChangeError::InvalidLink)?;
    let mut tx = authn.begin().await?;
    let namespace = tx.namespace().to_owned();
    let pending: Option<(Uuid, String)> = sqlx::query_as(
        "DELETE FROM gatehouse.email_changes \
          WHERE token_hash = $1 AND namespace = $2 AND expires_at > now() \
      RETURNING user_id, new_email",
    )
    .bind(hash)
    .bind(&namespace)
    .fetch_optional(tx.conn())
    .await?;
    let (user_id, new_email) = pending.ok_or(EmailChangeError::InvalidLink)?;
    let user = tx
        .get_user(user_id)
        .await?
        .filter(|u| u.disabled_at.is_none())
        .ok_or(EmailChangeError::InvalidLink)?;
    match tx.update_email(user_id, &new_email).await {
        Ok(true) => {}
        Ok(false) => return Err(EmailChangeError::InvalidLink),
        Err(AuthnError::UniqueViolation { .. }) => return Err(EmailChangeError::AddressTaken),
        Err(e) => return Err(e.into()),
    }
    // Links mailed to the old address stop working: whoever reads that mailbox now must not
    // reset the password, sign in, or (with a verification link, which sets the password)
    // take the account at its new address.
    for kind in [
        TokenType::EmailVerify,
        TokenType::PasswordReset,
        TokenType::MagicLink,
    ] {
        tx.invalidate_tokens(user_id, kind).await?;
    }
    crate::email_code::void(&mut tx, user_id).await?;
    // The link proved the new mailbox: verify it through the core's own path.
    let proof = OpaqueToken::generate();
    tx.create_token(
        user_id,
        &proof.hash(),
        TokenType::EmailVerify,
        Some(TimeDelta::minutes(1)),
    )
    .await?;
    tx.verify_email(&proof.hash())
        .await?
        .ok_or(EmailChangeError::InvalidLink)?;
    activity::record(&mut tx, user_id, Activity::EmailChanged, Default::default()).await?;
    let notice = templates::email_changed(
        &user.email,
        &namespace,
        &new_email,
        links.page(&namespace, vocabulary::Page::ForgotPassword),
    );
    outbox::enqueue(&mut tx, &notice, keys).await?;
    tx.commit().await?;
    Ok(new_email)
}

/// Drops expired requests (the cleanup job).
#[tracing::instrument(skip_all)]
pub async fn purge_expired(tx: &mut AuthnTx<'_>) -> Result<u64, sqlx::Error> {
    let conn = tx.conn();
    Ok(
        sqlx::query("DELETE FROM gatehouse.email_changes WHERE expires_at <= now()")
            .execute(conn)
            .await?
            .rows_affected(),
    )
}
