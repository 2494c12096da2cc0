//! Typed async client of the `authn` PostgreSQL core (schema built by `migrations/`).
//!
//! The core stores and never hashes: callers pass password hashes and SHA-256 hashes of
//! random tokens. [`Authn`] is bound to one namespace and carries the [`Actor`] of the current
//! request; each method mirrors one function of the core (spec §9) and runs in a transaction
//! that first sets the tenant and actor context. [`AuthnTx`] offers the same methods inside
//! one transaction the caller commits, e.g. to consume a recovery code and create a session
//! atomically.

mod actor;
mod api_keys;
mod audit;
mod client;
pub mod console;
mod error;
mod impersonation;
mod lockout;
mod maintenance;
mod mfa;
mod one_time_tokens;
mod operator;
mod refresh_tokens;
mod sessions;
mod statistics;
mod types;
mod users;

pub use actor::Actor;
pub use audit::{AuditCursor, AuditQuery};
pub use client::{Authn, AuthnTx};
pub use error::{AuthnError, Result};
pub use impersonation::StartImpersonation;
pub use mfa::MfaType;
pub use one_time_tokens::TokenType;
pub use operator::{OperatorAuditQuery, StartOperatorImpersonation};
pub use refresh_tokens::ReplacedRefreshToken;
pub use sessions::NewSession;
pub use statistics::analyze_tables_without_statistics;
pub use types::*;

/// The embedded migrations of the core, for `MIGRATOR.run(&pool)`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");
