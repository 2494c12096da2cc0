//! Who is acting, for the audit trail. An `Actor` is a plain value carried by the client for
//! one request; it is applied with `authn.set_actor` at the start of every transaction the
//! client runs, so nothing leaks between pooled connections.

use std::net::IpAddr;

/// The six audit-context fields of spec §6.1. `None` means absent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Actor {
    pub actor_id: Option<String>,
    pub request_id: Option<String>,
    pub on_behalf_of: Option<String>,
    pub reason: Option<String>,
    pub ip_address: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl Actor {
    /// An actor with only an id, e.g. `user:<uuid>` or `service:billing`.
    pub fn id(actor_id: impl Into<String>) -> Self {
        Actor {
            actor_id: Some(actor_id.into()),
            ..Actor::default()
        }
    }

    /// The SDK's `set_actor` semantics (§9.1): fields set in `update` overwrite, the others
    /// are kept. Typical use: request id, IP and user agent at request start, the actor id
    /// once the caller is authenticated.
    pub fn merge(&mut self, update: Actor) {
        let Actor {
            actor_id,
            request_id,
            on_behalf_of,
            reason,
            ip_address,
            user_agent,
        } = update;
        if actor_id.is_some() {
            self.actor_id = actor_id;
        }
        if request_id.is_some() {
            self.request_id = request_id;
        }
        if on_behalf_of.is_some() {
            self.on_behalf_of = on_behalf_of;
        }
        if reason.is_some() {
            self.reason = reason;
        }
        if ip_address.is_some() {
            self.ip_address = ip_address;
        }
        if user_agent.is_some() {
            self.user_agent = user_agent;
        }
    }

    /// True when no field is set: then no `set_actor` call is needed.
    pub fn is_empty(&self) -> bool {
        *self == Actor::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_fields_the_update_does_not_set() {
        let mut actor = Actor {
            request_id: Some("req-1".into()),
            ip_address: Some("10.0.0.1".parse().unwrap()),
            user_agent: Some("TestClient/1.0".into()),
            ..Actor::default()
        };
        actor.merge(Actor::id("user:alice"));
        assert_eq!(actor.actor_id.as_deref(), Some("user:alice"));
        assert_eq!(actor.request_id.as_deref(), Some("req-1"));
        assert_eq!(actor.user_agent.as_deref(), Some("TestClient/1.0"));
        assert!(!actor.is_empty());
        assert!(Actor::default().is_empty());
    }
}
