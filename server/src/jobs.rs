//! Background work of a serving instance: mail requests, mail delivery and hourly upkeep (expired rows of
//! every namespace, old mail, audit partitions ahead of time — decision D5: with no partition
//! for the current month every audited write would fail).

use std::time::Duration;

use identity::mail::delivery::{run_worker, WorkerSettings};
use identity::{AccountFlows, MailDelivery};
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

pub fn spawn_mail_worker(
    pool: PgPool,
    delivery: MailDelivery,
    keep_bodies: bool,
    on_turn: impl Fn() + Send + Sync + 'static,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let settings = WorkerSettings {
        keep_bodies,
        ..WorkerSettings::default()
    };
    tokio::spawn(async move {
        run_worker(pool, delivery, settings, on_turn, stop.cancelled_owned()).await;
    })
}

/// Fulfils recorded mail requests (sign-up, reset, magic link, e-mail code) as they are
/// notified, and every few seconds in case a notification was missed. Every instance runs one;
/// requests are claimed with `SKIP LOCKED`, so each is fulfilled once.
pub fn spawn_mail_request_worker(
    pool: PgPool,
    flows: AccountFlows,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut listener: Option<PgListener> = None;
        loop {
            if listener.is_none() {
                listener = listen(&pool, identity::mail_requests::CHANNEL).await;
            }
            if let Err(e) = flows.fulfil_mail_requests(&pool).await {
                tracing::warn!(error = ?e, "mail requests not fulfilled");
            }
            let wake = async {
                match listener.as_mut() {
                    Some(l) => l.recv().await.map(|_| ()),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = stop.cancelled() => return,
                woke = wake => {
                    if woke.is_err() {
                        listener = None;
                    }
                }
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            }
        }
    })
}

async fn listen(pool: &PgPool, channel: &str) -> Option<PgListener> {
    let mut listener = PgListener::connect_with(pool)
        .await
        .map_err(|e| tracing::warn!(error = %e, "cannot listen for notifications; polling"))
        .ok()?;
    listener
        .listen(channel)
        .await
        .map_err(|e| tracing::warn!(error = %e, "cannot listen for notifications; polling"))
        .ok()?;
    Some(listener)
}

pub fn spawn_upkeep(
    pool: PgPool,
    default_namespace: String,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(Duration::from_secs(60 * 60));
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = every_hour.tick() => {}
            }
            // Creating partitions needs DDL rights on `authn`; a role without them logs a
            // warning each hour, and partitions must then come from `gatehouse cleanup` run
            // by a privileged job.
            match crate::commands::cleanup_pass(&pool, &default_namespace).await {
                Ok(summary) => tracing::info!(%summary, "upkeep done"),
                Err(e) => tracing::warn!(error = %e, "upkeep failed"),
            }
        }
    })
}
