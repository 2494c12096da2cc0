//! `gatehouse`: the web server, its command line, and its background work. A library too, so
//! the HTTP integration tests start the very same router.

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
pub mod security;
pub mod web;
