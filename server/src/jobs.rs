//! Background work of a serving instance: mail delivery and hourly upkeep (expired rows of
//! every namespace, old mail, audit partitions ahead of time — decision D5: with no partition
//! for the current month every audited write would fail).

use std::time::Duration;

use identity::mail::delivery::{run_worker, WorkerSettings};
use identity::MailDelivery;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

pub fn spawn_mail_worker(
    pool: PgPool,
    delivery: MailDelivery,
    keep_bodies: bool,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let settings = WorkerSettings {
        keep_bodies,
        ..WorkerSettings::default()
    };
    tokio::spawn(async move {
        run_worker(pool, delivery, settings, stop.cancelled_owned()).await;
    })
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
