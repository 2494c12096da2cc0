//! Whether this instance can serve: `/healthz` (the process answers), `/readyz` (the database
//! answers, its migrations are the ones this binary expects, the mail worker is turning) and the
//! outage gate, which answers every other request with a clear 503 while the database is
//! unreachable, instead of letting each one fail on its own (a storm of 500s, or requests
//! waiting on the pool). A prober checks the database every second, so the gate opens again by
//! itself when the database returns: no restart.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::api;

/// The liveness probe's path.
pub const HEALTHZ: &str = "/healthz";
/// The readiness probe's path.
pub const READYZ: &str = "/readyz";

/// How often the prober checks the database, and how long it waits for an answer.
const PROBE_EVERY: Duration = Duration::from_secs(1);
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// The mail worker beats at least every 10 seconds when idle (`WorkerSettings::poll_every`)
/// and after every message it hands over; one SMTP exchange may take a minute before it times
/// out. A worker silent for longer than this is stuck.
const MAIL_WORKER_SILENT_SECONDS: i64 = 150;

/// Why the database is down when it answers but accepts no writes.
const READ_ONLY: &str =
    "the database accepts no writes (a standby, or a primary not yet confirmed)";

/// What the last probe found.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Database {
    /// Not probed yet: taken as up, so that a starting instance serves at once.
    Unknown,
    Up {
        applied_migration: Option<i64>,
    },
    Down(&'static str),
}

/// The instance's health, shared by the prober, the mail worker and the request layers.
#[derive(Debug)]
pub struct Health {
    /// A connection of the probe's own: a busy request pool is not an outage.
    probe_pool: PgPool,
    /// One probe at a time: failed requests ask for a recheck, and a burst of them must not
    /// become a burst of probes.
    probing: tokio::sync::Mutex<()>,
    /// The newest migration this binary carries.
    expected_migration: i64,
    database: Mutex<Database>,
    /// `database` is not `Down`: what every request's gate reads, without the lock.
    reachable: AtomicBool,
    /// Unix seconds of the mail worker's last turn; `None` when this instance sends no mail.
    mail_worker: Option<Arc<AtomicI64>>,
}

impl Health {
    pub fn new(pool: PgPool, sends_mail: bool) -> Arc<Health> {
        let probe_pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(PROBE_TIMEOUT)
            .connect_lazy_with(pool.connect_options().as_ref().clone());
        Arc::new(Health {
            probe_pool,
            probing: tokio::sync::Mutex::new(()),
            expected_migration: authn::MIGRATOR
                .iter()
                .map(|m| m.version)
                .max()
                .unwrap_or_default(),
            database: Mutex::new(Database::Unknown),
            reachable: AtomicBool::new(true),
            mail_worker: sends_mail.then(|| Arc::new(AtomicI64::new(now()))),
        })
    }

    /// Called by the mail worker on every turn of its loop.
    pub fn mail_worker_beat(&self) -> impl Fn() + Send + Sync + 'static {
        let beat = self.mail_worker.clone();
        move || {
            if let Some(beat) = &beat {
                beat.store(now(), Ordering::Relaxed);
            }
        }
    }

    fn database(&self) -> Database {
        self.database
            .lock()
            .map(|d| d.clone())
            .unwrap_or(Database::Unknown)
    }

    fn set_database(&self, state: Database) {
        if let Ok(mut current) = self.database.lock() {
            if *current != state {
                match &state {
                    Database::Down(why) => tracing::error!(reason = why, "database unavailable"),
                    _ if matches!(*current, Database::Down(_)) => {
                        tracing::info!("database available again")
                    }
                    _ => {}
                }
            }
            self.reachable
                .store(!matches!(state, Database::Down(_)), Ordering::Relaxed);
            *current = state;
        }
    }

    /// Whether requests should reach the database now.
    pub fn database_reachable(&self) -> bool {
        self.reachable.load(Ordering::Relaxed)
    }

    /// One check of the database: does it answer, and which migration is applied. While another
    /// check runs, this one waits for it and keeps its finding.
    pub async fn probe(&self) {
        let _one_at_a_time = match self.probing.try_lock() {
            Ok(guard) => guard,
            Err(_) => {
                let _ = self.probing.lock().await;
                return;
            }
        };
        let query = async {
            // A standby, or a primary that is not yet allowed to write (pg_auto_failover keeps
            // a promoted standby read-only until the old primary is known to be gone), answers
            // but would refuse every change: for this service, that is an outage.
            let read_only: bool =
                sqlx::query_scalar("SELECT current_setting('transaction_read_only') = 'on'")
                    .fetch_one(&self.probe_pool)
                    .await?;
            if read_only {
                return Ok(None);
            }
            sqlx::query_scalar::<_, Option<i64>>(
                "SELECT max(version) FROM public._sqlx_migrations WHERE success",
            )
            .fetch_one(&self.probe_pool)
            .await
            .map(Some)
        };
        let state = match tokio::time::timeout(PROBE_TIMEOUT, query).await {
            Ok(Ok(Some(applied))) => Database::Up {
                applied_migration: applied,
            },
            Ok(Ok(None)) => Database::Down(READ_ONLY),
            // The database answered, but this role may not read the migrations' table (a
            // schema applied with plain psql has none): it is up, the version is unknown.
            Ok(Err(sqlx::Error::Database(e)))
                if matches!(e.code().as_deref(), Some("42501" | "42P01")) =>
            {
                Database::Up {
                    applied_migration: None,
                }
            }
            Ok(Err(sqlx::Error::Database(_))) => Database::Down("the database refused the check"),
            Ok(Err(_)) => Database::Down("the database cannot be reached"),
            Err(_) => Database::Down("the database did not answer within 2 seconds"),
        };
        self.set_database(state);
    }

    /// What `/readyz` answers.
    fn readiness(&self) -> Readiness {
        let (database, migrations) = match self.database() {
            Database::Unknown => ("checking", Migrations::unknown(self.expected_migration)),
            Database::Up { applied_migration } => (
                "ok",
                Migrations {
                    status: match applied_migration {
                        None => "unknown",
                        Some(applied) if applied >= self.expected_migration => "current",
                        Some(_) => "behind",
                    },
                    applied: applied_migration,
                    expected: self.expected_migration,
                },
            ),
            Database::Down(why) => (why, Migrations::unknown(self.expected_migration)),
        };
        let mail_worker = match &self.mail_worker {
            None => "off",
            Some(beat) if now() - beat.load(Ordering::Relaxed) <= MAIL_WORKER_SILENT_SECONDS => {
                "alive"
            }
            Some(_) => "stalled",
        };
        let ready = matches!(database, "ok" | "checking")
            && migrations.status != "behind"
            && mail_worker != "stalled";
        Readiness {
            status: if ready { "ready" } else { "unavailable" },
            database,
            migrations,
            mail_worker,
        }
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[derive(Serialize)]
struct Migrations {
    /// `current`, `behind` (this binary expects a newer schema: run `gatehouse migrate`), or
    /// `unknown`.
    status: &'static str,
    applied: Option<i64>,
    expected: i64,
}

impl Migrations {
    fn unknown(expected: i64) -> Migrations {
        Migrations {
            status: "unknown",
            applied: None,
            expected,
        }
    }
}

#[derive(Serialize)]
struct Readiness {
    status: &'static str,
    database: &'static str,
    migrations: Migrations,
    mail_worker: &'static str,
}

/// Probes the database every second until `stop`.
pub fn spawn_prober(health: Arc<Health>, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            health.probe().await;
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(PROBE_EVERY) => {}
            }
        }
    })
}

/// `GET /readyz`: 200 when this instance can serve, else 503; the body says why.
pub async fn readyz(State(health): State<Arc<Health>>) -> Response {
    let readiness = health.readiness();
    let status = if readiness.status == "ready" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(readiness),
    )
        .into_response()
}

/// Paths served whatever the database does: the probes, the static files, the API's public
/// keys and its document.
fn needs_no_database(path: &str) -> bool {
    [
        HEALTHZ,
        READYZ,
        "/favicon.svg",
        api::JWKS,
        api::DOCUMENT,
        api::REFERENCE,
    ]
    .contains(&path)
        || path.starts_with("/pkg/")
}

/// The outage gate: while the database is unreachable, every request that would need it is
/// answered 503 at once, with `Retry-After`.
///
/// A read (GET, HEAD) that was let through but failed (500) is checked once more: if the
/// database went away meanwhile, it is answered as unavailable too, so an outage does not show
/// as a storm of internal errors in the second before the prober notices. A failed change is
/// left as it is: it ran, and "nothing was changed" might not be true of it (its connection may
/// have dropped as it committed).
pub async fn gate(State(health): State<Arc<Health>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if needs_no_database(path) {
        return next.run(request).await;
    }
    let form = api::error_form(path);
    if health.database_reachable() {
        let safe = matches!(*request.method(), Method::GET | Method::HEAD);
        let response = next.run(request).await;
        if !safe || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
            return response;
        }
        health.probe().await;
        if health.database_reachable() {
            return response;
        }
    }
    unavailable(form)
}

fn unavailable(form: Option<api::ErrorForm>) -> Response {
    let mut response = if let Some(form) = form {
        form.answer(api::ApiError::Unavailable)
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            unavailable_page(),
        )
            .into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn unavailable_page() -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <title>Unavailable for a moment · Gatehouse</title>\
         <link rel=\"stylesheet\" href=\"{}\"></head><body><main class=\"card narrow\">\
         <h1>Unavailable for a moment</h1>\
         <p>Gatehouse cannot reach its database right now, so nobody can sign in or change \
         anything. Nothing was changed by your request.</p>\
         <p>Try again in a few seconds: this page does not reload by itself.</p>\
         </main></body></html>",
        app::STYLESHEET
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probes_and_assets_pass_the_gate() {
        for path in ["/healthz", "/readyz", "/pkg/gatehouse.wasm", "/favicon.svg"] {
            assert!(needs_no_database(path), "{path}");
        }
        assert!(!needs_no_database("/acme/sign-in"));
    }
}
