//! `GET /{operator namespace}/operator/audit-export?format=csv|json&<the operator audit log's
//! filters>`: exactly the events the operator audit log shows for those filters, newest first
//! (at most 500, the page's own bound). For platform operators, by their session cookie, in
//! sudo mode, never from an impersonation.

use std::collections::HashMap;

use app::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use identity::caller::Principal;
use identity::support_access::{
    audit, operator_csv_record, OperatorAuditFilter, SupportError, OPERATOR_CSV_HEADER,
};

use crate::export_access::{console_caller, internal, refuse};

pub async fn export(
    State(state): State<AppState>,
    Path(namespace): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let json = match params.get("format").map(String::as_str) {
        Some("csv") | None => false,
        Some("json") => true,
        Some(_) => return refuse(StatusCode::BAD_REQUEST, "Choose format=csv or format=json."),
    };
    let Some(pool) = state.operator_pool.clone() else {
        return refuse(
            StatusCode::NOT_FOUND,
            "Support access is not available on this server.",
        );
    };
    let principal =
        match console_caller(&state, &namespace, &headers, Principal::require_operator).await {
            Ok(p) => p,
            Err(response) => return response,
        };
    let Ok(ops) = authn::Authn::new(pool, &namespace).await else {
        return refuse(StatusCode::NOT_FOUND, "This organisation does not exist.");
    };
    let get = |name: &str| params.get(name).map(String::as_str);
    let events = match audit(
        &ops,
        &principal,
        &OperatorAuditFilter {
            event_type: get("event_type"),
            target_namespace: get("target_namespace"),
            operator_email: get("operator"),
            ticket: get("ticket"),
        },
    )
    .await
    {
        Ok(events) => events,
        Err(SupportError::Lookup(_)) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "The event filter has a value this export does not accept.",
            )
        }
        Err(e) => return internal(&e.to_string()),
    };
    let (body, content_type, extension) = if json {
        match serde_json::to_string(&events) {
            Ok(body) => (body, "application/json", "json"),
            Err(e) => return internal(&e.to_string()),
        }
    } else {
        let mut body = String::from(OPERATOR_CSV_HEADER);
        for e in &events {
            body.push_str(&operator_csv_record(e));
        }
        (body, "text/csv; charset=utf-8", "csv")
    };
    let file = format!(
        "operator-audit-{}.{extension}",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
    );
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}
