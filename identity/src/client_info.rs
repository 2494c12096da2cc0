//! Where a request comes from, as the services record it with attempts, sessions and activity.
//! A module of its own so that the modules recording it do not depend on one another.

use std::net::IpAddr;

/// Where a request comes from, recorded with attempts and sessions.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientInfo<'a> {
    pub ip_address: Option<IpAddr>,
    pub user_agent: Option<&'a str>,
}
