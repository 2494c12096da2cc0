//! One-time tokens: password reset, e-mail verification, magic link (spec §5.6).
//!
//! Decision D12: consuming a token does not check whether its owner is disabled. Callers
//! must look the user up (`get_user`) and refuse a disabled one before acting on it.

use std::fmt;

use chrono::TimeDelta;
use uuid::Uuid;

use crate::client::core_operations;
use crate::types::TokenOwner;

/// The three kinds of one-time token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenType {
    PasswordReset,
    EmailVerify,
    MagicLink,
}

impl TokenType {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::PasswordReset => "password_reset",
            TokenType::EmailVerify => "email_verify",
            TokenType::MagicLink => "magic_link",
        }
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

core_operations! {
    /// Stores an unused token; `expires_in: None` = the type's default (1 h, 24 h, 15 min).
    pub async fn create_token(&mut self, user_id: Uuid, token_hash: &str, token_type: TokenType, expires_in: Option<TimeDelta>) -> Uuid {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.create_token($1, $2, $3, $4, $5)")
            .bind(user_id)
            .bind(token_hash)
            .bind(token_type.as_str())
            .bind(expires_in)
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }

    /// Uses the token once; `None` if unknown, expired, used, or of another type.
    pub async fn consume_token(&mut self, token_hash: &str, token_type: TokenType) -> Option<TokenOwner> {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_as("SELECT * FROM authn.consume_token($1, $2, $3)")
            .bind(token_hash)
            .bind(token_type.as_str())
            .bind(ns)
            .fetch_optional(conn)
            .await?)
    }

    /// Consumes an `email_verify` token and marks the e-mail verified.
    pub async fn verify_email(&mut self, token_hash: &str) -> Option<TokenOwner> {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_as("SELECT * FROM authn.verify_email($1, $2)")
            .bind(token_hash)
            .bind(ns)
            .fetch_optional(conn)
            .await?)
    }

    /// Marks every unused token of that user and type as used; returns how many.
    pub async fn invalidate_tokens(&mut self, user_id: Uuid, token_type: TokenType) -> i32 {
        let (conn, ns) = self.parts();
        Ok(sqlx::query_scalar("SELECT authn.invalidate_tokens($1, $2, $3)")
            .bind(user_id)
            .bind(token_type.as_str())
            .bind(ns)
            .fetch_one(conn)
            .await?)
    }
}
