//! The developer mailbox: in dev mode, recent outgoing mail with its links, so a person
//! running Gatehouse locally can follow sign-up, reset and magic links without a mail server.
//! Outside dev mode the server function refuses, whoever asks.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevMail {
    pub id: i64,
    pub namespace: String,
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub created_at: String,
    pub status: String,
}

#[server]
pub async fn dev_mailbox() -> Result<Vec<DevMail>, AppError> {
    let state = crate::state::AppState::current()?;
    if !state.dev_mode {
        return Err(AppError::Forbidden);
    }
    let entries = identity::mail::outbox::recent(&state.pool, 50)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "outbox unavailable");
            AppError::Internal
        })?;
    Ok(entries
        .into_iter()
        .map(|e| DevMail {
            text: e
                .text_body
                .as_deref()
                .and_then(|b| {
                    identity::mail::outbox::open_body(&state.keys, &e.namespace, &e.recipient, b)
                })
                .unwrap_or_default(),
            id: e.id,
            namespace: e.namespace,
            recipient: e.recipient,
            subject: e.subject,
            created_at: e.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            status: match (e.sent_at, e.failed_at) {
                (Some(_), _) => "sent".into(),
                (_, Some(_)) => "failed".into(),
                _ if e.attempts > 0 => format!("retrying ({} attempts)", e.attempts),
                _ => "queued".into(),
            },
        })
        .collect())
}
