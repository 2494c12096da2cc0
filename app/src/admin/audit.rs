//! The audit browser: the namespace's events, filtered and paged, and one event in full.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLine {
    pub event_id: Option<String>,
    pub at: String,
    pub event_type: String,
    pub actor: Option<String>,
    pub on_behalf_of: Option<String>,
    pub resource_type: String,
    pub resource_id: String,
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
fn line(e: &authn::AuditEvent) -> AuditLine {
    AuditLine {
        event_id: e.event_id.map(|id| id.to_string()),
        at: e.event_time.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        event_type: e.event_type.clone(),
        actor: e.actor_id.clone(),
        on_behalf_of: e.on_behalf_of.clone(),
        resource_type: e.resource_type.clone(),
        resource_id: e.resource_id.clone(),
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
    tx.commit().await?;
    Ok(AuditPage {
        events: events.iter().map(line).collect(),
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
    tx.commit().await?;
    let fields = identity::admin::audit::side_by_side(&event);
    Ok(AuditDetail {
        line: line(&event),
        ip_address: event.ip_address.map(|ip| ip.to_string()),
        user_agent: event.user_agent.clone(),
        fields,
    })
}
