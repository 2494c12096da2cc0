//! Who is asking: the client's IP address and the request id, decided once per request by the
//! router's outermost layer, before anything that looks at the client.
//!
//! Behind a reverse proxy (nginx, a load balancer) the TCP peer is the proxy, and everyone
//! would share its address: one rate limit for all, and the proxy's IP on every lockout
//! attempt, device and audit entry. The proxy says whom it was talking to in
//! `X-Forwarded-For`, but any client can send that header as well, so it is believed only when
//! the peer is one of `GATEHOUSE_TRUSTED_PROXIES`, and only as far as the chain of trusted hops
//! goes: each proxy appends the address it saw, so the client is the rightmost address that is
//! not itself a trusted proxy. Whatever stands left of it was written by that client and may be
//! invented. (Only `X-Forwarded-For` is read, not the RFC 7239 `Forwarded` header.)
//!
//! The request id follows the same trust. A trusted proxy's `x-request-id` ties our log lines
//! and audit entries to its own; anyone else's is dropped and a fresh one made (by the
//! `SetRequestIdLayer` right inside this layer), so a client cannot plant ids, or text made to
//! look like log lines, in the logs and the audit trail.
//!
//! The decision is stored as [`ClientAddress`]; the app reads only that.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use app::client_address::ClientAddress;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id kept from a proxy (the audit trail stores what it is given).
const MAX_REQUEST_ID: usize = 64;

/// One entry of `GATEHOUSE_TRUSTED_PROXIES`: an address, or a network in CIDR notation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    /// Parses `192.0.2.1`, `10.0.0.0/8`, `2001:db8::/32` or `::1`. A network with bits set
    /// beyond its prefix (`10.0.0.1/8`) is refused: it is usually a typo for something else.
    pub fn parse(entry: &str) -> Result<Network, String> {
        let (addr, prefix) = match entry.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (entry, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| {
            format!("`{entry}` is not an IP address or a network such as 10.0.0.0/8 or fd00::/8")
        })?;
        let bits = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(|| {
                    format!("`{entry}`: the prefix must be a number from 0 to {bits}")
                })?,
        };
        let network = Network { addr, prefix };
        if network.masked(addr) != addr {
            return Err(format!(
                "`{entry}` has address bits set beyond its /{prefix} prefix (the network is {}/{prefix})",
                network.masked(addr)
            ));
        }
        Ok(network)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                self.masked(ip) == self.addr
            }
            _ => false,
        }
    }

    /// `ip` with the bits beyond this network's prefix cleared.
    fn masked(&self, ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V4(ip) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::from((u32::from(ip) & mask).to_be_bytes())
            }
            IpAddr::V6(ip) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::from((u128::from(ip) & mask).to_be_bytes())
            }
        }
    }
}

/// The reverse proxies whose forwarding headers are believed; empty by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and networks; the error names the entry.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(Network::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|network| network.contains(ip))
    }
}

/// The client of a request from TCP peer `peer` whose `X-Forwarded-For` headers have the
/// values `forwarded_for`, in order. From an untrusted peer: the peer. From a trusted one: the
/// rightmost forwarded address that is not a trusted proxy, or the leftmost if all are; an
/// entry that is not an IP address (`unknown`, a port, garbage) ends the walk at the peer,
/// since nothing left of it can be vouched for.
pub fn client_ip<'a>(
    peer: IpAddr,
    forwarded_for: impl IntoIterator<Item = &'a str, IntoIter: DoubleEndedIterator>,
    trusted: &TrustedProxies,
) -> IpAddr {
    // An IPv4 client of a dual-stack socket arrives as ::ffff:a.b.c.d; record it as a.b.c.d.
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    let mut leftmost = peer;
    let hops = forwarded_for
        .into_iter()
        .rev()
        .flat_map(|value| value.rsplit(','));
    for hop in hops {
        let Ok(hop) = hop.trim().parse::<IpAddr>() else {
            return peer;
        };
        let hop = hop.to_canonical();
        if !trusted.contains(hop) {
            return hop;
        }
        leftmost = hop;
    }
    leftmost
}

/// Whether a proxy's request id can be kept as it is: 1 to 64 visible ASCII characters.
pub fn is_sane_request_id(value: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID).contains(&value.len()) && value.iter().all(u8::is_ascii_graphic)
}

/// The layer: stores the [`ClientAddress`], keeps a trusted proxy's request id and drops any
/// other. Requests served without `ConnectInfo` get no `ClientAddress` (there is no peer).
pub async fn decide(
    State(trusted): State<Arc<TrustedProxies>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let from_trusted_proxy = peer.is_some_and(|peer| trusted.contains(peer));
    if let Some(peer) = peer {
        // A value that is not even text counts as one unparsable entry.
        let values: Vec<&str> = request
            .headers()
            .get_all(&FORWARDED_FOR)
            .iter()
            .map(|value| value.to_str().unwrap_or(""))
            .collect();
        let client = client_ip(peer, values, &trusted);
        request.extensions_mut().insert(ClientAddress(client));
    }
    let headers = request.headers_mut();
    // Nothing after this layer may read the client from a header by mistake.
    headers.remove(&FORWARDED_FOR);
    let kept: Option<HeaderValue> = headers
        .get(&REQUEST_ID)
        .filter(|id| from_trusted_proxy && is_sane_request_id(id.as_bytes()))
        .cloned();
    match kept {
        // `insert` also drops any further values: the id is one value.
        Some(id) => {
            headers.insert(REQUEST_ID, id);
        }
        None => {
            headers.remove(&REQUEST_ID);
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn trusted(list: &str) -> TrustedProxies {
        TrustedProxies::parse(list).unwrap()
    }

    #[test]
    fn entries_are_addresses_or_networks_and_errors_name_the_entry() {
        let proxies = trusted(" 10.0.0.0/8, 192.0.2.1 ,2001:db8::/32,::1,");
        assert!(proxies.contains(ip("10.200.3.4")));
        assert!(proxies.contains(ip("192.0.2.1")));
        assert!(!proxies.contains(ip("192.0.2.2")));
        assert!(proxies.contains(ip("2001:db8:ffff::1")));
        assert!(!proxies.contains(ip("2001:db9::1")));
        assert!(proxies.contains(ip("::1")));
        assert!(!proxies.contains(ip("11.0.0.1")));
        // IPv4 clients of a dual-stack socket match IPv4 networks.
        assert!(proxies.contains(ip("::ffff:10.1.2.3")));
        assert_eq!(trusted(""), TrustedProxies::default());
        assert!(trusted("0.0.0.0/0").contains(ip("203.0.113.9")));
        assert!(!trusted("0.0.0.0/0").contains(ip("2001:db8::1")));
        assert!(trusted("::/0").contains(ip("2001:db8::1")));

        for (list, named) in [
            ("10.0.0.0/8,10.0.0.300", "`10.0.0.300`"),
            ("10.0.0.0/33", "`10.0.0.0/33`"),
            ("2001:db8::/129", "`2001:db8::/129`"),
            ("10.0.0.0/x", "`10.0.0.0/x`"),
            ("proxy.internal", "`proxy.internal`"),
            ("10.0.0.1/8", "10.0.0.0/8"),
            ("fe80::1%eth0", "`fe80::1%eth0`"),
        ] {
            let err = TrustedProxies::parse(list).unwrap_err();
            assert!(err.contains(named), "{list}: {err}");
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let none = TrustedProxies::default();
        assert_eq!(
            client_ip(ip("198.51.100.4"), ["203.0.113.7"], &none),
            ip("198.51.100.4")
        );
        let proxies = trusted("10.0.0.0/8");
        assert_eq!(
            client_ip(ip("198.51.100.4"), ["203.0.113.7, 10.0.0.1"], &proxies),
            ip("198.51.100.4")
        );
        assert_eq!(
            client_ip(ip("::ffff:198.51.100.4"), [], &proxies),
            ip("198.51.100.4")
        );
    }

    #[test]
    fn a_trusted_peer_forwards_the_rightmost_untrusted_hop() {
        let proxies = trusted("10.0.0.0/8,192.0.2.10");
        let peer = ip("10.0.0.2");
        assert_eq!(
            client_ip(peer, ["203.0.113.7"], &proxies),
            ip("203.0.113.7")
        );
        // Two proxies of ours: the CDN edge (192.0.2.10) appended what it saw.
        assert_eq!(
            client_ip(peer, ["203.0.113.7, 192.0.2.10"], &proxies),
            ip("203.0.113.7")
        );
        // Several headers are one list, in order.
        assert_eq!(
            client_ip(peer, ["203.0.113.7", "192.0.2.10,10.1.1.1"], &proxies),
            ip("203.0.113.7")
        );
        // No header (the proxy's own health check): the peer.
        assert_eq!(client_ip(peer, [], &proxies), peer);
        // Every hop one of ours: the leftmost.
        assert_eq!(
            client_ip(peer, ["10.9.9.9, 192.0.2.10"], &proxies),
            ip("10.9.9.9")
        );
    }

    #[test]
    fn a_spoofed_leftmost_entry_is_ignored() {
        let proxies = trusted("10.0.0.0/8");
        // The client sent "X-Forwarded-For: 1.1.1.1"; our proxy appended the real address.
        assert_eq!(
            client_ip(ip("10.0.0.2"), ["1.1.1.1, 198.51.100.4"], &proxies),
            ip("198.51.100.4")
        );
        // A client claiming to be one of our proxies gains nothing either.
        assert_eq!(
            client_ip(ip("10.0.0.2"), ["10.0.0.5", "198.51.100.4"], &proxies),
            ip("198.51.100.4")
        );
    }

    #[test]
    fn ipv6_hops_and_peers() {
        let proxies = trusted("2001:db8:1::/48,::1");
        assert_eq!(
            client_ip(ip("::1"), ["2001:db8:2::7, 2001:db8:1::1"], &proxies),
            ip("2001:db8:2::7")
        );
        assert_eq!(
            client_ip(ip("2001:db8:1::9"), ["203.0.113.7"], &proxies),
            ip("203.0.113.7")
        );
        // An IPv4 client as a mapped address is recorded as IPv4.
        assert_eq!(
            client_ip(ip("::1"), ["::ffff:203.0.113.7"], &proxies),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn garbage_ends_the_walk_at_the_peer() {
        let proxies = trusted("10.0.0.0/8");
        let peer = ip("10.0.0.2");
        for forwarded in [
            "unknown",
            "203.0.113.7, garbage",
            "203.0.113.7:4711",
            "[2001:db8::1]",
            "203.0.113.7,,10.0.0.3",
            "",
            "203.0.113.7, 10.0.0.3, 999.1.1.1",
        ] {
            assert_eq!(client_ip(peer, [forwarded], &proxies), peer, "{forwarded}");
        }
        // Garbage left of the client is never reached.
        assert_eq!(
            client_ip(peer, ["garbage, 203.0.113.7, 10.0.0.3"], &proxies),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn request_ids_kept_from_a_proxy_are_short_and_visible() {
        assert!(is_sane_request_id(b"nginx-0f3a9c"));
        assert!(is_sane_request_id(&[b'a'; 64]));
        assert!(!is_sane_request_id(&[b'a'; 65]));
        assert!(!is_sane_request_id(b""));
        assert!(!is_sane_request_id(b"two words"));
        assert!(!is_sane_request_id(b"line\nbreak"));
        assert!(!is_sane_request_id("caf\u{e9}".as_bytes()));
    }
}
