//! The web server: Leptos pages and server functions, static files, and the layers every
//! request goes through.

use std::net::SocketAddr;

use app::state::{AppState, CookieSettings};
use app::{shell, App};
use axum::response::Redirect;
use axum::routing::get;
use axum::Router;
use chrono::TimeDelta;
use identity::{LockoutPolicy, PasswordHasher, SignInService};
use leptos::config::get_configuration;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::postgres::PgPoolOptions;

use crate::config::Config;
use crate::security;

pub async fn serve(config: &Config) -> Result<(), String> {
    let origin = config.origin()?;
    let leptos = get_configuration(None).map_err(|e| format!("leptos configuration: {e}"))?;
    let options = leptos.leptos_options;
    let addr = options.site_addr;

    let pool = PgPoolOptions::new()
        .max_connections(20)
        .connect(&config.database_url)
        .await
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    tokio::spawn(keep_audit_partitions_ahead(
        pool.clone(),
        config.default_namespace.clone(),
    ));
    let hasher = PasswordHasher::recommended().map_err(|e| e.to_string())?;
    let lockout = LockoutPolicy {
        window: TimeDelta::minutes(config.lockout_window_minutes.into()),
        max_attempts: config.lockout_threshold,
    };
    let state = AppState {
        pool,
        sign_in: SignInService::new(
            hasher,
            lockout,
            TimeDelta::hours(config.session_hours.into()),
        ),
        cookie: CookieSettings {
            name: if config.is_https() {
                "__Host-gatehouse_session".into()
            } else {
                "gatehouse_session".into()
            },
            secure: config.is_https(),
        },
    };

    let routes = generate_route_list(App);
    let default_home = format!("/{}/sign-in", config.default_namespace);
    let app = Router::new()
        .route("/", get(move || async move { Redirect::to(&default_home) }))
        .leptos_routes_with_context(
            &options,
            routes,
            {
                let state = state.clone();
                move || provide_context(state.clone())
            },
            {
                let options = options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
        .layer(axum::middleware::from_fn_with_state(
            origin,
            security::same_origin_only,
        ))
        .layer(axum::middleware::from_fn_with_state(
            config.is_https(),
            security::headers,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http());

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tracing::info!("listening on http://{addr}");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| e.to_string())
}

/// Decision D5: with no partition for the current month every audited write fails, so the
/// server creates the coming months at start-up and then once a day. Creating partitions needs
/// DDL rights on `authn`; a role without them gets a warning each time, and the partitions
/// must then come from a privileged job (`gatehouse migrate` does it too).
async fn keep_audit_partitions_ahead(pool: sqlx::PgPool, namespace: String) {
    let mut every_day = tokio::time::interval(std::time::Duration::from_secs(24 * 60 * 60));
    loop {
        every_day.tick().await;
        let result = match authn::Authn::new(pool.clone(), namespace.clone()).await {
            Ok(core) => core.ensure_audit_partitions(3).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(created) if !created.is_empty() => {
                tracing::info!(?created, "audit partitions created")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e.message(), "could not create audit partitions"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
