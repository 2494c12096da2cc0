//! The audit browser: the namespace's events, filtered and paged, and one event in full.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Someone in the trail, as the console shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyView {
    /// The address, or what stands for it ("Platform support", "Deleted account").
    pub name: String,
    /// Their page in the console, when they are a user of this namespace.
    pub user_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLine {
    pub event_id: Option<String>,
    pub at: String,
    /// The stored code (`session_created`), for search and export.
    pub event_type: String,
    /// The code in words ("Signed in").
    pub event_label: String,
    pub actor: Option<PartyView>,
    /// The actor is the resource's owner acting on their own account.
    pub self_service: bool,
    pub on_behalf_of: Option<PartyView>,
    /// The raw actor and on-behalf-of ids, for the detail view.
    pub actor_id: Option<String>,
    pub on_behalf_of_id: Option<String>,
    pub resource_type: String,
    pub resource_id: String,
    /// The resource for people: the device of a session, a key's or a method's name, an
    /// account's address.
    pub resource_label: Option<String>,
    pub resource_owner: Option<PartyView>,
    pub reason: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditLine>,
    pub next: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditDetail {
    pub line: AuditLine,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    /// The user agent as a device ("Chrome 156 on Linux").
    pub device: Option<String>,
    /// Each changed or recorded field: name, old value, new value (JSON text).
    pub fields: Vec<(String, Option<String>, Option<String>)>,
}

/// `[since, until)` from the form (also used by the impersonation history).
#[cfg(feature = "ssr")]
pub(crate) fn parse_range(
    since: &str,
    until: &str,
) -> Result<identity::admin::audit::TimeRange, AppError> {
    use crate::error::{FieldProblem, FormField};
    identity::admin::audit::parse_time(since, false)
        .map_err(|_| AppError::field(FormField::Since, FieldProblem::InvalidDate))?;
    identity::admin::audit::parse_time(until, true)
        .map_err(|_| AppError::field(FormField::Until, FieldProblem::InvalidDate))?;
    identity::admin::audit::parse_range(since, until)
        .map_err(|_| AppError::field(FormField::Until, FieldProblem::InvertedRange))
}

#[cfg(feature = "ssr")]
fn party(p: identity::admin::audit_names::Party) -> PartyView {
    use identity::admin::audit_names::Party;
    match p {
        Party::User {
            id,
            email: Some(email),
        } => PartyView {
            name: email,
            user_id: Some(id.to_string()),
        },
        Party::User { email: None, .. } => PartyView {
            name: "Deleted account".into(),
            user_id: None,
        },
        Party::Operator => PartyView {
            name: "Platform support".into(),
            user_id: None,
        },
        Party::Other(raw) => PartyView {
            name: raw,
            user_id: None,
        },
    }
}

/// One event for the console, its ids named (`names` from `audit_names::name_events`).
#[cfg(feature = "ssr")]
pub(crate) fn line(
    e: &authn::AuditEvent,
    names: identity::admin::audit_names::NamedEvent,
) -> AuditLine {
    let event_label = vocabulary::EventType::parse(&e.event_type)
        .map_or_else(|| e.event_type.clone(), |t| t.label().to_owned());
    let resource_label = match (&names.label, &names.owner) {
        (Some(label), _) => Some(label.clone()),
        (None, Some(owner)) if e.resource_type == "user" => Some(party(owner.clone()).name),
        _ => None,
    };
    AuditLine {
        event_id: e.event_id.map(|id| id.to_string()),
        at: e.event_time.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        event_type: e.event_type.clone(),
        event_label,
        actor: names.actor.map(party),
        self_service: names.self_service,
        on_behalf_of: names.on_behalf_of.map(party),
        actor_id: e.actor_id.clone(),
        on_behalf_of_id: e.on_behalf_of.clone(),
        resource_type: e.resource_type.clone(),
        resource_id: e.resource_id.clone(),
        resource_label,
        resource_owner: names.owner.map(party),
        reason: e.reason.clone(),
        request_id: e.request_id.clone(),
    }
}

/// The audit browser's filters, as its URL query carries them ("" = any).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilters {
    pub event_type: String,
    pub resource_type: String,
    pub resource_id: String,
    pub actor: String,
    pub since: String,
    pub until: String,
}

#[server(endpoint = "admin_audit")]
pub async fn admin_audit(
    namespace: String,
    filters: AuditFilters,
    after: String,
) -> Result<AuditPage, AppError> {
    use identity::admin::audit::{page, AuditFilterInput};

    let (_, _, authn) = super::ssr::admin(&namespace, None).await?;
    parse_range(&filters.since, &filters.until)?;
    let input = AuditFilterInput {
        event_type: &filters.event_type,
        resource_type: &filters.resource_type,
        resource_id: &filters.resource_id,
        actor: &filters.actor,
        since: &filters.since,
        until: &filters.until,
    };
    let mut tx = authn.begin().await?;
    let (events, next) = page(&mut tx, &input, &after).await?;
    let names = identity::admin::audit_names::name_events(&mut tx, &events).await?;
    tx.commit().await?;
    Ok(AuditPage {
        events: events.iter().zip(names).map(|(e, n)| line(e, n)).collect(),
        next,
    })
}

#[server(endpoint = "admin_audit_event")]
pub async fn admin_audit_event(
    namespace: String,
    event_id: String,
) -> Result<AuditDetail, AppError> {
    let (_, _, authn) = super::ssr::admin(&namespace, None).await?;
    let event_id = super::parse_id(&event_id, AppError::UnknownEvent)?;
    let mut tx = authn.begin().await?;
    let event = identity::admin::audit::event(&mut tx, event_id)
        .await?
        .ok_or(AppError::UnknownEvent)?;
    let names = identity::admin::audit_names::name_events(&mut tx, std::slice::from_ref(&event))
        .await?
        .pop()
        .ok_or(AppError::UnknownEvent)?;
    tx.commit().await?;
    let fields = identity::admin::audit::side_by_side(&event);
    Ok(AuditDetail {
        line: line(&event, names),
        ip_address: event.ip_address.map(|ip| ip.to_string()),
        device: event
            .user_agent
            .as_deref()
            .map(|ua| identity::admin::audit_names::device_name(Some(ua))),
        user_agent: event.user_agent.clone(),
        fields,
    })
}
