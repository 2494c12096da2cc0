//! The people and things behind an audit trail's ids, so the consoles can show an actor by
//! address and a resource by what its owner calls it (the device of a session, the name of a
//! key or a passkey) instead of `user:4b3b…`. One query per page of events, in the page's
//! transaction; whatever no longer exists keeps its raw id.

use std::collections::HashMap;

use authn::console::{AuditIds, AuditName};
use authn::{AuditEvent, AuthnTx};
use uuid::Uuid;

use super::AdminError;
use crate::devices::describe_user_agent;

/// Who did something, as the trail records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Party {
    /// A user of this namespace; `email` is `None` once the account is deleted.
    User { id: Uuid, email: Option<String> },
    /// A platform support operator (an account of the operator namespace, not readable here).
    Operator,
    /// Anything else the trail holds, verbatim.
    Other(String),
}

/// One event's actor and resource, named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedEvent {
    /// The actor; for a self-service event with no actor recorded, the resource's owner (with
    /// `self_service` set); `None` when the trail records nobody.
    pub actor: Option<Party>,
    pub self_service: bool,
    pub on_behalf_of: Option<Party>,
    /// The owner of the resource (the user of a session, key or method; the user itself).
    pub owner: Option<Party>,
    /// What the resource is called: a device ("Chrome 156 on Linux"), a key's or a method's
    /// name ("Passkey “Laptop”").
    pub label: Option<String>,
}

/// The names for `events`, in their order.
#[tracing::instrument(skip_all)]
pub async fn name_events(
    tx: &mut AuthnTx<'_>,
    events: &[AuditEvent],
) -> Result<Vec<NamedEvent>, AdminError> {
    let mut ids = AuditIds::default();
    for e in events {
        for party in [&e.actor_id, &e.on_behalf_of].into_iter().flatten() {
            if let Some(id) = user_of(party) {
                ids.users.push(id);
            }
        }
        if let Ok(id) = Uuid::parse_str(&e.resource_id) {
            match e.resource_type.as_str() {
                "user" => ids.users.push(id),
                "session" => ids.sessions.push(id),
                "api_key" => ids.api_keys.push(id),
                "mfa" => ids.methods.push(id),
                _ => {}
            }
        }
        if let Some(id) = user_in_values(e) {
            ids.users.push(id);
        }
    }
    for list in [
        &mut ids.users,
        &mut ids.sessions,
        &mut ids.api_keys,
        &mut ids.methods,
    ] {
        list.sort_unstable();
        list.dedup();
    }
    let found: HashMap<(String, Uuid), AuditName> = if events.is_empty() {
        HashMap::new()
    } else {
        tx.audit_names(&ids)
            .await?
            .into_iter()
            .map(|n| ((n.kind.clone(), n.id), n))
            .collect()
    };
    let user = |id: Uuid| Party::User {
        id,
        email: found
            .get(&("user".to_owned(), id))
            .map(|n| n.owner_email.clone()),
    };
    let party = |raw: &str| match user_of(raw) {
        Some(id) => user(id),
        None if raw.starts_with("operator:") => Party::Operator,
        None => Party::Other(raw.to_owned()),
    };
    Ok(events
        .iter()
        .map(|e| {
            let resource = Uuid::parse_str(&e.resource_id)
                .ok()
                .and_then(|id| found.get(&(e.resource_type.clone(), id)));
            let owner = match resource {
                Some(n) => Some(Party::User {
                    id: n.owner_id,
                    email: Some(n.owner_email.clone()),
                }),
                None if e.resource_type == "user" => Uuid::parse_str(&e.resource_id).ok().map(user),
                None => user_in_values(e).map(user),
            };
            let label = match e.resource_type.as_str() {
                "user" => None,
                // A session's device: the session's own record, or the event's request (the
                // one that signed in) once the session is gone.
                "session" => resource
                    .and_then(|n| n.label.as_deref())
                    .or(e.user_agent.as_deref())
                    .map(|ua| device_name(Some(ua))),
                "mfa" => resource.map(|n| method_name(n.detail.as_deref(), n.label.as_deref())),
                _ => resource.and_then(|n| n.label.clone()),
            };
            let actor = e.actor_id.as_deref().map(party);
            // The owner acting on their own account: recorded so, or with nobody recorded on an
            // event only the owner's own credentials cause (signing in, using a link). Events
            // anybody can set off for an account (a reset link asked for, a failed guess, a
            // reused refresh token) are not put on the owner.
            let owners_own = !matches!(
                e.event_type.as_str(),
                "token_created"
                    | "login_attempt_failed"
                    | "lockout_triggered"
                    | "refresh_token_reuse_detected"
                    | "refresh_token_family_revoked"
            );
            let self_service = owner.is_some()
                && e.on_behalf_of.is_none()
                && match &actor {
                    Some(a) => same_user(a, owner.as_ref()),
                    None => owners_own,
                };
            NamedEvent {
                actor: actor.or_else(|| owner.clone().filter(|_| self_service)),
                self_service,
                on_behalf_of: e.on_behalf_of.as_deref().map(party),
                owner,
                label,
            }
        })
        .collect())
}

/// "Chrome 156 on Linux", as the devices page words it.
pub fn device_name(user_agent: Option<&str>) -> String {
    let (browser, system, _) = describe_user_agent(user_agent);
    format!("{browser} on {system}")
}

/// "Passkey “Laptop”", "Authenticator app".
fn method_name(mfa_type: Option<&str>, name: Option<&str>) -> String {
    let kind = super::user::method_label(mfa_type.unwrap_or_default());
    match name.filter(|n| !n.is_empty()) {
        Some(name) => format!("{kind} “{name}”"),
        None => kind.to_owned(),
    }
}

fn same_user(a: &Party, b: Option<&Party>) -> bool {
    matches!((a, b), (Party::User { id: x, .. }, Some(Party::User { id: y, .. })) if x == y)
}

/// The user id of `user:<uuid>`.
fn user_of(party: &str) -> Option<Uuid> {
    party
        .strip_prefix("user:")
        .and_then(|id| Uuid::parse_str(id).ok())
}

/// The `user_id` an event records among its values (refresh tokens, one-time tokens).
fn user_in_values(e: &AuditEvent) -> Option<Uuid> {
    [&e.new_values, &e.old_values]
        .into_iter()
        .flatten()
        .find_map(|v| {
            v.get("user_id")?
                .as_str()
                .and_then(|id| Uuid::parse_str(id).ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parties_and_names_read_as_people_would() {
        let id = Uuid::new_v4();
        assert_eq!(user_of(&format!("user:{id}")), Some(id));
        assert_eq!(user_of("user:nope"), None);
        assert_eq!(user_of(&id.to_string()), None);
        assert_eq!(
            method_name(Some("webauthn"), Some("Laptop")),
            "Passkey “Laptop”"
        );
        assert_eq!(method_name(Some("totp"), None), "Authenticator app");
        assert_eq!(
            device_name(Some(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
            )),
            "Chrome 156 on Linux"
        );
    }
}
