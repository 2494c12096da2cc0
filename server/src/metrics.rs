//! Prometheus metrics, served at `/metrics` on an address of their own
//! (`GATEHOUSE_METRICS_BIND`, off by default) so that they never share the public listener.
//!
//! Identity counts sign-ins, second steps, lockouts and mail delivery failures through the
//! `metrics` facade (`identity::telemetry`); this module installs the exporter, times every
//! request by its route template (never the raw path, which carries ids and tokens), and reads
//! the gauges at scrape time: database pool use, the outbox's depth and live impersonations
//! (`gatehouse.platform_gauges`, migration 36), and whether the instance is ready.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sqlx::PgPool;

use crate::health::Health;

/// Request latency, by method, route template and status class.
pub const HTTP_DURATION: &str = "gatehouse_http_request_duration_seconds";

/// Latency buckets, in seconds: page renders and API calls take milliseconds, sign-ins (a
/// password hash) tens of them.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Installs the process's exporter (once: a second call returns the first handle).
pub fn install() -> Result<PrometheusHandle, String> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), BUCKETS)
        .map_err(|e| format!("metrics: {e}"))?
        .install_recorder()
        .map_err(|e| format!("metrics: {e}"))?;
    Ok(HANDLE.get_or_init(|| handle).clone())
}

/// Request layer: records each request's duration under its route template.
pub async fn observe(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        // Static files and unknown paths: one series, not one per path.
        .unwrap_or_else(|| "other".to_owned());
    let method = match *request.method() {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::DELETE => "DELETE",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    };
    let started = Instant::now();
    let response = next.run(request).await;
    let status = match response.status().as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    metrics::histogram!(HTTP_DURATION, "method" => method, "route" => route, "status" => status)
        .record(started.elapsed().as_secs_f64());
    response
}

/// What the scrape reads besides the recorder.
#[derive(Clone)]
struct Scrape {
    handle: PrometheusHandle,
    pool: PgPool,
    operator_pool: Option<PgPool>,
    health: Arc<Health>,
}

/// The metrics listener's routes: `GET /metrics`.
pub fn router(
    handle: PrometheusHandle,
    pool: PgPool,
    operator_pool: Option<PgPool>,
    health: Arc<Health>,
) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(Scrape {
            handle,
            pool,
            operator_pool,
            health,
        })
}

fn pool_gauges(name: &'static str, pool: &PgPool) {
    let size = f64::from(pool.size());
    // usize to f64: pool sizes are tiny.
    #[allow(clippy::cast_precision_loss)]
    let idle = pool.num_idle() as f64;
    metrics::gauge!("gatehouse_db_pool_connections", "pool" => name, "state" => "idle").set(idle);
    metrics::gauge!("gatehouse_db_pool_connections", "pool" => name, "state" => "in_use")
        .set((size - idle).max(0.0));
    metrics::gauge!("gatehouse_db_pool_max_connections", "pool" => name)
        .set(f64::from(pool.options().get_max_connections()));
}

#[derive(sqlx::FromRow)]
struct PlatformGauges {
    mail_outbox_depth: i64,
    admin_impersonations: i64,
    support_accesses: i64,
}

async fn scrape(State(scrape): State<Scrape>) -> Response {
    pool_gauges("tenant", &scrape.pool);
    if let Some(pool) = &scrape.operator_pool {
        pool_gauges("operator", pool);
    }
    let reachable = scrape.health.database_reachable();
    metrics::gauge!("gatehouse_database_reachable").set(if reachable { 1.0 } else { 0.0 });
    if reachable {
        let query =
            sqlx::query_as::<_, PlatformGauges>("SELECT * FROM gatehouse.platform_gauges()")
                .fetch_one(&scrape.pool);
        match tokio::time::timeout(Duration::from_secs(2), query).await {
            Ok(Ok(g)) => {
                // Counts to f64: exact far beyond any real outbox.
                #[allow(clippy::cast_precision_loss)]
                {
                    metrics::gauge!("gatehouse_mail_outbox_depth").set(g.mail_outbox_depth as f64);
                    metrics::gauge!("gatehouse_active_impersonations", "kind" => "admin")
                        .set(g.admin_impersonations as f64);
                    metrics::gauge!("gatehouse_active_impersonations", "kind" => "support")
                        .set(g.support_accesses as f64);
                }
            }
            // The gauges keep their last values; `gatehouse_database_reachable` tells.
            Ok(Err(e)) => tracing::warn!(error = %e, "platform gauges not read"),
            Err(_) => tracing::warn!("platform gauges not read within 2 seconds"),
        }
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        scrape.handle.render(),
    )
        .into_response()
}
