//! The audit browser's reading of the core's trail: filters as typed in the console (checked,
//! never passed through blindly), keyset pages across the monthly partitions, one event, and
//! the rows of an export (CSV or JSON lines of a JSON array) for exactly the filtered set.

use authn::{AuditCursor, AuditEvent, AuditQuery, AuthnTx};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use uuid::Uuid;

use super::AdminError;

pub const PAGE_SIZE: i64 = 50;

/// The filters as the console's form and URL carry them; empty means "any".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilterInput<'a> {
    pub event_type: &'a str,
    pub resource_type: &'a str,
    pub resource_id: &'a str,
    /// An actor id as stored (`user:<uuid>`, `service:billing`) or a user's address.
    pub actor: &'a str,
    pub since: &'a str,
    pub until: &'a str,
}

/// A point in time typed in a form: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM` (the browser's
/// date-time field) or with a space, in UTC. A bare date as an end means the end of that day.
pub fn parse_time(value: &str, end_of_day: bool) -> Result<Option<DateTime<Utc>>, AdminError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        let start = day
            .and_hms_opt(0, 0, 0)
            .ok_or(AdminError::InvalidFilter("date"))?;
        let at = if end_of_day {
            start + TimeDelta::days(1)
        } else {
            start
        };
        return Ok(Some(at.and_utc()));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(value, format) {
            return Ok(Some(at.and_utc()));
        }
    }
    Err(AdminError::InvalidFilter("date"))
}

/// `[since, until)`; either end may be open.
pub type TimeRange = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// A checked `[since, until)` range.
pub fn parse_range(since: &str, until: &str) -> Result<TimeRange, AdminError> {
    let since = parse_time(since, false)?;
    let until = parse_time(until, true)?;
    if let (Some(a), Some(b)) = (since, until) {
        if a >= b {
            return Err(AdminError::InvalidFilter("range"));
        }
    }
    Ok((since, until))
}

fn text_filter(value: &str, name: &'static str) -> Result<Option<String>, AdminError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > 200 || value.chars().any(char::is_control) {
        return Err(AdminError::InvalidFilter(name));
    }
    Ok(Some(value.to_owned()))
}

/// The core query for `input`, or `None` when it can match nothing (an actor address without
/// an account). Bad values are refused, naming the filter.
#[tracing::instrument(skip_all)]
pub async fn query_for(
    tx: &mut AuthnTx<'_>,
    input: &AuditFilterInput<'_>,
) -> Result<Option<AuditQuery>, AdminError> {
    let event_type = text_filter(input.event_type, "event_type")?;
    if event_type
        .as_deref()
        .is_some_and(|t| vocabulary::EventType::parse(t).is_none())
    {
        return Err(AdminError::InvalidFilter("event_type"));
    }
    let (since, until) = parse_range(input.since, input.until)?;
    let mut actor_id = text_filter(input.actor, "actor")?;
    if let Some(actor) = actor_id.as_deref().filter(|a| a.contains('@')) {
        let email = crate::email::EmailAddress::parse(actor)
            .map_err(|_| AdminError::InvalidFilter("actor"))?;
        match tx.get_user_by_email(email.as_str()).await? {
            Some(user) => actor_id = Some(format!("user:{}", user.user_id)),
            None => return Ok(None),
        }
    }
    Ok(Some(AuditQuery {
        limit: PAGE_SIZE,
        event_type,
        resource_type: text_filter(input.resource_type, "resource_type")?,
        resource_id: text_filter(input.resource_id, "resource_id")?,
        actor_id,
        since,
        until,
        after: None,
    }))
}

pub fn encode_cursor(event: &AuditEvent) -> String {
    URL_SAFE_NO_PAD.encode(format!(
        "{}\n{}",
        event.event_time.timestamp_micros(),
        event.id
    ))
}

pub fn decode_cursor(value: &str) -> Result<AuditCursor, AdminError> {
    let raw = URL_SAFE_NO_PAD
        .decode(value.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or(AdminError::InvalidCursor)?;
    let (micros, id) = raw.split_once('\n').ok_or(AdminError::InvalidCursor)?;
    let event_time = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or(AdminError::InvalidCursor)?;
    let id = id.parse::<i64>().map_err(|_| AdminError::InvalidCursor)?;
    Ok(AuditCursor { event_time, id })
}

/// One page of events matching `input`, newest first, after the cursor `after` if given;
/// with the cursor of the next page if there is one.
#[tracing::instrument(skip_all)]
pub async fn page(
    tx: &mut AuthnTx<'_>,
    input: &AuditFilterInput<'_>,
    after: &str,
) -> Result<(Vec<AuditEvent>, Option<String>), AdminError> {
    let Some(mut query) = query_for(tx, input).await? else {
        return Ok((Vec::new(), None));
    };
    if !after.trim().is_empty() {
        query.after = Some(decode_cursor(after)?);
    }
    query.limit = PAGE_SIZE + 1;
    let mut events = tx.get_audit_events(&query).await?;
    let next = if events.len() > PAGE_SIZE as usize {
        events.truncate(PAGE_SIZE as usize);
        events.last().map(encode_cursor)
    } else {
        None
    };
    Ok((events, next))
}

/// One event of the namespace by its id.
#[tracing::instrument(skip_all)]
pub async fn event(tx: &mut AuthnTx<'_>, event_id: Uuid) -> Result<Option<AuditEvent>, AdminError> {
    Ok(tx.get_audit_event(event_id).await?)
}

/// Old and new values field by field (the keys of either side, sorted), as JSON text.
pub fn side_by_side(event: &AuditEvent) -> Vec<(String, Option<String>, Option<String>)> {
    let object = |v: &Option<serde_json::Value>| match v {
        Some(serde_json::Value::Object(map)) => map.clone(),
        Some(other) => {
            let mut map = serde_json::Map::new();
            map.insert("value".into(), other.clone());
            map
        }
        None => serde_json::Map::new(),
    };
    let old = object(&event.old_values);
    let new = object(&event.new_values);
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|k| {
            (
                k.clone(),
                old.get(k).map(|v| v.to_string()),
                new.get(k).map(|v| v.to_string()),
            )
        })
        .collect()
}

/// The columns of an export, in order.
pub const CSV_HEADER: &str = "event_id,event_time,event_type,actor_id,on_behalf_of,reason,request_id,resource_type,resource_id,ip_address,user_agent,old_values,new_values\r\n";

/// One event as a CSV record (RFC 4180; cells that a spreadsheet would run as a formula are
/// prefixed with `'`).
pub fn csv_record(e: &AuditEvent) -> String {
    let json = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string());
    let cells = [
        e.event_id.map(|id| id.to_string()),
        Some(
            e.event_time
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        ),
        Some(e.event_type.clone()),
        e.actor_id.clone(),
        e.on_behalf_of.clone(),
        e.reason.clone(),
        e.request_id.clone(),
        Some(e.resource_type.clone()),
        Some(e.resource_id.clone()),
        e.ip_address.map(|ip| ip.to_string()),
        e.user_agent.clone(),
        json(&e.old_values),
        json(&e.new_values),
    ];
    let mut out = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&csv_cell(cell.as_deref().unwrap_or("")));
    }
    out.push_str("\r\n");
    out
}

/// One CSV cell: quoted when needed, and defused when a spreadsheet would run it as a formula.
pub(crate) fn csv_cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// One event as a JSON object.
pub fn json_record(e: &AuditEvent) -> serde_json::Value {
    serde_json::json!({
        "event_id": e.event_id,
        "event_time": e.event_time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "event_type": e.event_type,
        "actor_id": e.actor_id,
        "on_behalf_of": e.on_behalf_of,
        "reason": e.reason,
        "request_id": e.request_id,
        "resource_type": e.resource_type,
        "resource_id": e.resource_id,
        "ip_address": e.ip_address.map(|ip| ip.to_string()),
        "user_agent": e.user_agent,
        "old_values": e.old_values,
        "new_values": e.new_values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_dates_or_minutes_in_utc() {
        assert_eq!(
            parse_time("2026-11-23", false)
                .unwrap()
                .unwrap()
                .to_rfc3339(),
            "2026-11-23T00:00:00+00:00"
        );
        assert_eq!(
            parse_time("2026-11-23", true)
                .unwrap()
                .unwrap()
                .to_rfc3339(),
            "2026-11-24T00:00:00+00:00"
        );
        assert_eq!(
            parse_time("2026-11-23T14:05", true)
                .unwrap()
                .unwrap()
                .to_rfc3339(),
            "2026-11-23T14:05:00+00:00"
        );
        assert!(parse_time("23/11/2026", false).is_err());
        assert!(parse_time("2026-02-30", false).is_err());
        assert!(parse_range("2026-11-24", "2026-11-23").is_err());
        assert!(parse_range("", "").unwrap() == (None, None));
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = decode_cursor(&URL_SAFE_NO_PAD.encode("1700000000000001\n42")).unwrap();
        assert_eq!(c.id, 42);
        assert!(decode_cursor("%%%").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("x\n1")).is_err());
    }

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=SUM(A1)"), "'=SUM(A1)");
    }
}
