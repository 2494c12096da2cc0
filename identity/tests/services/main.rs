//! The identity services against the real core, one test binary (each module one service;
//! `harness` what they all start from). Every test makes its own database or namespace.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;

mod admin;
mod api_keys;
mod api_sessions;
mod dashboard;
mod flows;
mod mfa;
mod pending;
mod sessions;
mod signin;
mod support_access;
mod support_requests;
