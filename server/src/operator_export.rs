//! `GET /{operator namespace}/operator/audit-export?format=csv|json&<the operator audit log's
//! filters>`: every operator audit event matching those filters, newest first, streamed page
//! by page as the database returns them (keyset pages, so none is skipped or repeated). For
//! platform operators, by their session cookie, in sudo mode, never from an impersonation.

use std::collections::HashMap;

use app::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use identity::caller::Principal;
use identity::support_access::{
    audit_page, operator_csv_record, OperatorAuditFilter, SupportError, OPERATOR_CSV_HEADER,
};

use crate::export_access::{console_caller, internal, refuse};

/// Events read per round trip.
const PAGE: i32 = 1000;

/// Roughly how much is sent at a time.
const CHUNK: usize = 64 * 1024;

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
    let search = match (OperatorAuditFilter {
        event_type: get("event_type"),
        target_namespace: get("target_namespace"),
        operator_email: get("operator"),
        ticket: get("ticket"),
        since: get("since"),
        until: get("until"),
    })
    .check()
    {
        Ok(search) => search,
        Err(SupportError::Lookup(_)) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "One of the filters has a value this export does not accept.",
            )
        }
        Err(e) => return internal(&e.to_string()),
    };

    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    tokio::spawn(async move {
        let (head, tail) = if json {
            ("[", "\n]\n")
        } else {
            (OPERATOR_CSV_HEADER, "")
        };
        let mut buffer = String::from(head);
        let mut first = true;
        let mut last = None;
        loop {
            let page = match audit_page(&ops, &principal, &search, last.as_ref(), PAGE).await {
                Ok(page) => page,
                Err(e) => {
                    tracing::error!(error = %e, "operator audit export failed midway");
                    // Cut the body short: the download fails visibly instead of looking complete.
                    let _ = sender
                        .send(Err(std::io::Error::other("operator audit export failed")))
                        .await;
                    return;
                }
            };
            let done = page.len() < PAGE as usize;
            for event in &page {
                if json {
                    buffer.push_str(if first { "\n" } else { ",\n" });
                    match serde_json::to_string(event) {
                        Ok(record) => buffer.push_str(&record),
                        Err(e) => {
                            tracing::error!(error = %e, "an operator audit event did not serialise");
                            let _ = sender
                                .send(Err(std::io::Error::other("export failed")))
                                .await;
                            return;
                        }
                    }
                } else {
                    buffer.push_str(&operator_csv_record(event));
                }
                first = false;
            }
            if buffer.len() >= CHUNK
                && sender
                    .send(Ok(Bytes::from(std::mem::take(&mut buffer))))
                    .await
                    .is_err()
            {
                return; // the client went away
            }
            last = page.into_iter().last();
            if done || last.is_none() {
                break;
            }
        }
        buffer.push_str(tail);
        let _ = sender.send(Ok(Bytes::from(buffer))).await;
    });
    let body = Body::from_stream(futures::stream::poll_fn(move |cx| receiver.poll_recv(cx)));
    let (content_type, extension) = if json {
        ("application/json", "json")
    } else {
        ("text/csv; charset=utf-8", "csv")
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
