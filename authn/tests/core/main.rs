//! Integration tests of the authn core through the Rust client, against a real PostgreSQL.
//! Each test is named after the lines of the spec's §10 acceptance checklist it covers
//! (`c057` = line 57).

// A panic in a test is a failed test: the workspace's no-unwrap rule is for shipped code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit;
mod credentials;
mod end_to_end;
mod harness;
mod impersonation;
mod indexes;
mod lockout;
mod maintenance;
mod operator;
mod refresh_tokens;
mod sessions;
mod tenancy;
mod users;
mod validation;
