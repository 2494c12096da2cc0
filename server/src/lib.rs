//! `gatehouse`: the web server, its command line, and its background work. A library too, so
//! the HTTP integration tests start the very same router.

// The pages' view types are deep (islands wrap theirs once more); without cargo-leptos'
// type erasure, as in `cargo test`, computing their layout needs more than the default 128.
#![recursion_limit = "256"]

pub mod api;
pub mod assets;
pub mod audit_export;
pub mod client_address;
pub mod commands;
pub mod config;
pub mod error_status;
pub mod export_access;
pub mod health;
pub mod input_guard;
pub mod jobs;
pub mod metrics;
pub mod native_forms;
pub mod operator_export;
pub mod page_posts;
pub mod run_to_end;
pub mod security;
pub mod web;
