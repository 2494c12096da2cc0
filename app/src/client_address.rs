//! The address of the person behind a request, as the server decided it once for the whole
//! request (the peer, or what a trusted reverse proxy says in `X-Forwarded-For`; see the
//! server's `client_address` middleware). Rate limits, lockout attempts, devices and the audit
//! trail read this extension, never the TCP peer or a header, so they all name the same client.

use std::net::IpAddr;

/// A request extension: the client's IP address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);
