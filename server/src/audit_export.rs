//! `GET /{namespace}/admin/audit-export?format=csv|json&<the audit browser's filters>`: exactly
//! the events the audit browser shows for those filters, newest first, streamed as the
//! database sends them (a million events never sit in memory). For admins of the namespace,
//! by their session cookie, never from an impersonation session.

use std::collections::HashMap;

use app::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use identity::admin::audit::{csv_record, json_record, query_for, AuditFilterInput, CSV_HEADER};
use identity::caller::Principal;

use crate::export_access::{console_caller, internal, refuse};

/// Roughly how much is sent at a time.
const CHUNK: usize = 64 * 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Json,
}

pub async fn export(
    State(state): State<AppState>,
    Path(namespace): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let format = match params.get("format").map(String::as_str) {
        Some("csv") | None => Format::Csv,
        Some("json") => Format::Json,
        Some(_) => return refuse(StatusCode::BAD_REQUEST, "Choose format=csv or format=json."),
    };
    let principal =
        match console_caller(&state, &namespace, &headers, Principal::require_admin).await {
            Ok(p) => p,
            Err(response) => return response,
        };
    // (The gate above is the same check: this only names the admin on the audit events.)
    let authn = match principal.as_admin(None) {
        Ok(authn) => authn,
        Err(e) => return internal(&format!("{e:?}")),
    };

    let get = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let input = AuditFilterInput {
        event_type: get("event_type"),
        resource_type: get("resource_type"),
        resource_id: get("resource_id"),
        actor: get("actor"),
        since: get("since"),
        until: get("until"),
    };
    let mut tx = match authn.begin().await {
        Ok(tx) => tx,
        Err(e) => return internal(&e.message()),
    };
    let query = match query_for(&mut tx, &input).await {
        Ok(query) => query,
        Err(identity::admin::AdminError::InvalidFilter(name)) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                &format!("The {name} filter has a value this export does not accept."),
            )
        }
        Err(e) => return internal(&e.to_string()),
    };

    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    tokio::spawn(async move {
        let (head, tail) = match format {
            Format::Csv => (CSV_HEADER, ""),
            Format::Json => ("[", "\n]\n"),
        };
        let mut buffer = String::from(head);
        let mut first = true;
        if let Some(query) = query {
            let streamed = tx
                .for_each_audit_event(&query, |event| {
                    match format {
                        Format::Csv => buffer.push_str(&csv_record(&event)),
                        Format::Json => {
                            buffer.push_str(if first { "\n" } else { ",\n" });
                            buffer.push_str(&json_record(&event).to_string());
                        }
                    }
                    first = false;
                    let chunk = (buffer.len() >= CHUNK).then(|| std::mem::take(&mut buffer));
                    let sender = sender.clone();
                    async move {
                        match chunk {
                            Some(chunk) => sender.send(Ok(Bytes::from(chunk))).await.is_ok(),
                            None => true,
                        }
                    }
                })
                .await;
            if let Err(e) = streamed {
                tracing::error!(error = %e.message(), "audit export failed midway");
                // Cut the body short: the download fails visibly instead of looking complete.
                let _ = sender
                    .send(Err(std::io::Error::other("audit export failed")))
                    .await;
                return;
            }
        }
        let _ = tx.commit().await;
        buffer.push_str(tail);
        let _ = sender.send(Ok(Bytes::from(buffer))).await;
    });
    let body = Body::from_stream(futures::stream::poll_fn(move |cx| receiver.poll_recv(cx)));
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Json => ("application/json", "json"),
    };
    let file = format!(
        "audit-{}.{extension}",
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
