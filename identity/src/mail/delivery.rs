//! Delivers the outbox over SMTP (lettre). One worker per app instance; instances share the
//! outbox safely because claims skip rows another worker holds.

use std::future::Future;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::postgres::PgListener;
use sqlx::PgPool;

use super::outbox::{self, QueuedMail};
use crate::secret_box::SecretBox;

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("invalid SMTP URL: {0}")]
    Url(String),
    #[error("invalid sender address: {0}")]
    Sender(String),
    #[error("invalid recipient address")]
    Recipient,
    #[error("message could not be built: {0}")]
    Build(String),
    #[error("SMTP: {message}")]
    Smtp { message: String, permanent: bool },
    /// The stored body does not open with this deployment's key.
    #[error("the mail body does not open with this key")]
    Unreadable,
}

impl DeliveryError {
    /// Whether trying again later cannot help.
    fn is_permanent(&self) -> bool {
        match self {
            DeliveryError::Smtp { permanent, .. } => *permanent,
            DeliveryError::Url(_) | DeliveryError::Sender(_) => false,
            DeliveryError::Recipient | DeliveryError::Build(_) | DeliveryError::Unreadable => true,
        }
    }
}

/// An SMTP relay and the sender address mail comes from.
#[derive(Clone)]
pub struct MailDelivery {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Opens the sealed bodies of the outbox.
    keys: SecretBox,
}

impl MailDelivery {
    /// `url` as lettre reads it: `smtp://host:25` (plain, local relays and tests),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://user:pass@host:465`.
    pub fn from_url(
        url: &str,
        sender: &str,
        keys: SecretBox,
    ) -> Result<MailDelivery, DeliveryError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| DeliveryError::Url(e.to_string()))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from = sender
            .parse::<Mailbox>()
            .map_err(|e| DeliveryError::Sender(e.to_string()))?;
        Ok(MailDelivery {
            transport,
            from,
            keys,
        })
    }

    /// Checks an SMTP URL and sender without building a transport (no runtime needed).
    pub fn check_url(url: &str, sender: &str) -> Result<(), DeliveryError> {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| DeliveryError::Url(e.to_string()))?;
        sender
            .parse::<Mailbox>()
            .map_err(|e| DeliveryError::Sender(e.to_string()))?;
        Ok(())
    }

    pub async fn send(&self, mail: &QueuedMail) -> Result<(), DeliveryError> {
        let (text, html) = mail.open(&self.keys).ok_or(DeliveryError::Unreadable)?;
        let to = mail
            .recipient
            .parse::<Mailbox>()
            .map_err(|_| DeliveryError::Recipient)?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| DeliveryError::Build(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| DeliveryError::Smtp {
                permanent: e.is_permanent(),
                message: e.to_string(),
            })
    }
}

/// How the worker treats messages.
#[derive(Clone, Copy, Debug)]
pub struct WorkerSettings {
    /// Keep bodies after delivery (the developer mailbox shows them); off in production.
    pub keep_bodies: bool,
    /// Attempts before a message is given up.
    pub max_attempts: i32,
    /// How often to look for due retries when no notification comes.
    pub poll_every: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            keep_bodies: false,
            max_attempts: 8,
            poll_every: Duration::from_secs(10),
        }
    }
}

/// Seconds before retry number `attempts` + 1: 30 s doubling, at most an hour; `None` once
/// the attempts are used up.
pub fn retry_delay(attempts: i32, max_attempts: i32) -> Option<i64> {
    if attempts >= max_attempts {
        return None;
    }
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 16)).unwrap_or(16);
    Some((30i64 << exp).min(3600))
}

/// Delivers due mail until `shutdown` resolves: at once when an enqueue notifies, otherwise
/// every `poll_every` (retries, and mail enqueued while the listener was down).
pub async fn run_worker(
    pool: PgPool,
    delivery: MailDelivery,
    settings: WorkerSettings,
    on_turn: impl Fn(),
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut listener = connect_listener(&pool).await;
    loop {
        // A heartbeat for readiness checks: the loop turns at least every `poll_every`.
        on_turn();
        if let Err(e) = deliver_due(&pool, &delivery, settings, &on_turn).await {
            tracing::warn!(error = %e, "mail outbox unavailable");
        }
        let wake = async {
            match listener.as_mut() {
                Some(l) => {
                    if l.recv().await.is_err() {
                        // The connection dropped; sqlx reconnects on the next recv.
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = &mut shutdown => return,
            _ = wake => {}
            _ = tokio::time::sleep(settings.poll_every) => {
                if listener.is_none() {
                    listener = connect_listener(&pool).await;
                }
            }
        }
    }
}

async fn connect_listener(pool: &PgPool) -> Option<PgListener> {
    let mut listener = match PgListener::connect_with(pool).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "mail worker cannot listen for notifications; polling");
            return None;
        }
    };
    match listener.listen(outbox::CHANNEL).await {
        Ok(()) => Some(listener),
        Err(e) => {
            tracing::warn!(error = %e, "mail worker cannot listen for notifications; polling");
            None
        }
    }
}

/// Sends every due message (in batches) and records each outcome. Returns how many were sent.
/// `on_message` is called after each message handed over or failed (the worker's heartbeat).
pub async fn deliver_due(
    pool: &PgPool,
    delivery: &MailDelivery,
    settings: WorkerSettings,
    on_message: &impl Fn(),
) -> Result<usize, sqlx::Error> {
    let mut sent = 0;
    loop {
        outbox::purge_expired_bodies(pool).await?;
        let batch = outbox::claim_due(pool, 20, 300).await?;
        if batch.is_empty() {
            return Ok(sent);
        }
        for mail in batch {
            let sent_or_failed = delivery.send(&mail).await;
            on_message();
            match sent_or_failed {
                Ok(()) => {
                    outbox::mark_sent(pool, mail.id, settings.keep_bodies).await?;
                    tracing::info!(mail_id = mail.id, "mail delivered");
                    sent += 1;
                }
                Err(e) => {
                    let retry = if e.is_permanent() {
                        None
                    } else {
                        retry_delay(mail.attempts, settings.max_attempts)
                    };
                    tracing::warn!(mail_id = mail.id, attempts = mail.attempts, retry_in_s = ?retry, error = %e, "mail not delivered");
                    crate::telemetry::mail_delivery_failed();
                    outbox::mark_attempt_failed(pool, mail.id, &e.to_string(), retry).await?;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_stop() {
        assert_eq!(retry_delay(1, 8), Some(30));
        assert_eq!(retry_delay(2, 8), Some(60));
        assert_eq!(retry_delay(4, 8), Some(240));
        assert_eq!(retry_delay(7, 8), Some(1920));
        assert_eq!(retry_delay(8, 8), None);
        assert_eq!(retry_delay(7, 20), Some(1920));
        assert_eq!(retry_delay(12, 20), Some(3600));
    }

    // The connection pool lives on the Tokio runtime.
    #[tokio::test]
    async fn smtp_urls_and_senders_are_checked() {
        let keys = || SecretBox::from_hex(&"00".repeat(32)).unwrap();
        assert!(MailDelivery::from_url(
            "smtp://127.0.0.1:2525",
            "Gatehouse <no-reply@example.com>",
            keys()
        )
        .is_ok());
        assert!(matches!(
            MailDelivery::from_url("ftp://x", "no-reply@example.com", keys()),
            Err(DeliveryError::Url(_))
        ));
        assert!(matches!(
            MailDelivery::from_url("smtp://127.0.0.1:2525", "not an address", keys()),
            Err(DeliveryError::Sender(_))
        ));
    }
}
