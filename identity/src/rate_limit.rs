//! Per-client request limits for the endpoints strangers can call (sign-in, sign-up, reset,
//! magic link, e-mail code). The lockout protects one address from many guesses; this protects
//! the service (and people's mailboxes) from one client making many requests.
//!
//! Counts live in this process: several instances each allow the limit, which still bounds
//! abuse to a small multiple, while lockout, the real guard on credentials, lives in the
//! database and is shared.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};

use crate::clock::{Clock, SystemClock};

/// At most `max` requests per `per` from one client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RateRule {
    pub name: &'static str,
    pub max: u32,
    pub per: TimeDelta,
}

impl RateRule {
    pub const SIGN_IN: RateRule = RateRule {
        name: "sign_in",
        max: 30,
        per: TimeDelta::minutes(1),
    };
    /// Sign-up, magic link, e-mail code and reset requests each send a mail.
    pub const SEND_MAIL: RateRule = RateRule {
        name: "send_mail",
        max: 10,
        per: TimeDelta::minutes(10),
    };
    /// Using a link or a code.
    pub const USE_TOKEN: RateRule = RateRule {
        name: "use_token",
        max: 30,
        per: TimeDelta::minutes(1),
    };
}

#[derive(Clone, Copy, Debug)]
struct Window {
    started: DateTime<Utc>,
    count: u32,
}

/// Fixed-window counters per (rule, client). IPv6 clients are counted per /64, the block one
/// subscriber usually holds.
#[derive(Clone)]
pub struct RateLimiter {
    windows: Arc<Mutex<HashMap<(&'static str, IpAddr), Window>>>,
    clock: Arc<dyn Clock>,
    /// Multiplies every rule's `max` (deployments behind a shared NAT, test suites).
    scale: u32,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").finish_non_exhaustive()
    }
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::with_clock(Arc::new(SystemClock))
    }
}

/// Above this many tracked clients, expired windows are swept on the next check.
const SWEEP_ABOVE: usize = 10_000;

impl RateLimiter {
    pub fn with_clock(clock: Arc<dyn Clock>) -> RateLimiter {
        RateLimiter {
            windows: Arc::new(Mutex::new(HashMap::new())),
            clock,
            scale: 1,
        }
    }

    /// The same limiter with every rule's maximum multiplied by `scale` (at least 1).
    pub fn scaled(mut self, scale: u32) -> RateLimiter {
        self.scale = scale.max(1);
        self
    }

    /// Counts one request; `false` when the client is over the limit.
    pub fn allow(&self, rule: RateRule, client: IpAddr) -> bool {
        self.check(rule, client).is_ok()
    }

    /// Counts one request; over the limit, how long until the client's window starts over.
    pub fn check(&self, rule: RateRule, client: IpAddr) -> Result<(), TimeDelta> {
        let now = self.clock.now();
        let key = (rule.name, client_block(client));
        // A poisoned lock only means another request panicked mid-update; the counters are
        // still usable.
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() > SWEEP_ABOVE {
            // Rules are at most an hour long; anything older is finished.
            windows.retain(|_, w| now - w.started < TimeDelta::hours(1));
        }
        let window = windows.entry(key).or_insert(Window {
            started: now,
            count: 0,
        });
        if now - window.started >= rule.per {
            *window = Window {
                started: now,
                count: 0,
            };
        }
        if window.count >= rule.max.saturating_mul(self.scale) {
            return Err(window.started + rule.per - now);
        }
        window.count += 1;
        Ok(())
    }
}

fn client_block(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;

    use super::*;

    struct TestClock(StdMutex<DateTime<Utc>>);
    impl Clock for TestClock {
        fn now(&self) -> DateTime<Utc> {
            *self.0.lock().unwrap()
        }
    }

    const RULE: RateRule = RateRule {
        name: "t",
        max: 3,
        per: TimeDelta::minutes(1),
    };

    #[test]
    fn limits_per_client_and_resets_after_the_window() {
        let clock = Arc::new(TestClock(StdMutex::new(Utc::now())));
        let limiter = RateLimiter::with_clock(clock.clone());
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!((0..3).all(|_| limiter.allow(RULE, a)));
        assert!(!limiter.allow(RULE, a));
        assert!(limiter.allow(RULE, b), "another client has its own count");
        assert!(
            limiter.allow(
                RateRule {
                    name: "other",
                    ..RULE
                },
                a
            ),
            "rules count apart"
        );
        *clock.0.lock().unwrap() += TimeDelta::seconds(59);
        // Refused, with the truth about how long to wait.
        assert_eq!(limiter.check(RULE, a), Err(TimeDelta::seconds(1)));
        *clock.0.lock().unwrap() += TimeDelta::seconds(1);
        assert!(limiter.allow(RULE, a));
    }

    #[test]
    fn a_scaled_limiter_allows_more() {
        let limiter = RateLimiter::default().scaled(2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        assert!((0..6).all(|_| limiter.allow(RULE, a)));
        assert!(!limiter.allow(RULE, a));
    }

    #[test]
    fn ipv6_clients_count_per_64_block() {
        let limiter = RateLimiter::default();
        let x: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let y: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let z: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!((0..3).all(|_| limiter.allow(RULE, x)));
        assert!(!limiter.allow(RULE, y));
        assert!(limiter.allow(RULE, z));
    }
}
