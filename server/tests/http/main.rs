//! HTTP integration tests: the real router (`gatehouse_server::web::router`) on port 0
//! against a throwaway database, called over HTTP as browsers and scripts would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod api_tokens;
mod assets;
mod cli_roles;
mod database_roles;
mod hang_up;
mod headers;
mod impersonation;
mod malformed_input;
mod metrics;
mod migrate;
mod outage;
mod page_posts;
mod server_functions;
mod shutdown;
mod support_access;
mod trusted_proxies;
