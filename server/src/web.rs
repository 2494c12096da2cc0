//! The web server: Leptos pages and server functions, static files, and the layers every
//! request goes through (client address, request id, trace span, a task of its own, same-origin
//! check, security headers).

use std::net::SocketAddr;
use std::sync::Arc;

use app::state::{AppState, CookieSettings};
use app::{shell, App};
use axum::http::{HeaderName, Request};
use axum::response::Redirect;
use axum::routing::{get, post};
use axum::Router;
use chrono::TimeDelta;
use identity::mail::Links;
use identity::{
    AccountFlows, LockoutPolicy, MailDelivery, PasswordHasher, RateLimiter, SessionKeeper,
    SessionPolicy, SignInService,
};
use leptos::config::{get_configuration, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::health::{self, Health};
use crate::{jobs, security};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Everything a request needs, from the configuration.
pub fn app_state(config: &Config, pool: PgPool) -> Result<AppState, String> {
    let hasher = PasswordHasher::recommended().map_err(|e| e.to_string())?;
    let lockout = LockoutPolicy {
        window: TimeDelta::minutes(config.lockout_window_minutes.into()),
        max_attempts: config.lockout_threshold,
    };
    let sessions = SessionPolicy {
        idle: TimeDelta::minutes(config.session_idle_minutes.into()),
        absolute: TimeDelta::hours(config.session_hours.into()),
    };
    let session_lifetime = sessions.initial();
    let keeper = SessionKeeper::new(sessions);
    let links = Links::new(&config.base_url);
    // One key for everything it seals: without a configured key (dev mode) a random one is made,
    // and two of them would not open each other's values.
    let keys = config.secret_box()?;
    let totp = identity::TotpService::new(keys.clone(), Arc::new(identity::SystemClock));
    let sign_in = SignInService::new(hasher.clone(), lockout, session_lifetime);
    let flows = AccountFlows::new(
        hasher,
        config.password_policy(),
        lockout,
        links.clone(),
        session_lifetime,
        keys.clone(),
    );
    let api = api_sessions(config, &sign_in, &flows, &keys)?;
    Ok(AppState {
        pool,
        operator_pool: None,
        sign_in,
        flows,
        security: identity::SecuritySettings::new(
            totp,
            match identity::passkeys::relying_party(&config.base_url) {
                Ok(passkeys) => Some(passkeys),
                Err(e) => {
                    tracing::warn!(error = %e, "passkeys are off: WebAuthn needs a domain name in GATEHOUSE_BASE_URL");
                    None
                }
            },
            links.clone(),
        ),
        links,
        keys,
        impersonation: identity::admin::impersonation::ImpersonationLimits::with_max_minutes(
            config.impersonation_max_minutes,
        )
        .unwrap_or_default(),
        sudo_window: TimeDelta::minutes(config.sudo_minutes.into()),
        support: identity::support_access::SupportPolicy::new(
            &config.ticket_pattern,
            config.support_access_max_minutes,
        )?,
        sessions: keeper.clone(),
        callers: identity::caller::Callers::new(keeper, config.operator_namespace.clone()),
        limits: RateLimiter::default().scaled(config.rate_limit_scale),
        cookie: CookieSettings {
            name: if config.is_https() {
                "__Host-gatehouse_session".into()
            } else {
                "gatehouse_session".into()
            },
            pending_name: if config.is_https() {
                "__Host-gatehouse_pending".into()
            } else {
                "gatehouse_pending".into()
            },
            aside_name: if config.is_https() {
                "__Host-gatehouse_admin".into()
            } else {
                "gatehouse_admin".into()
            },
            return_name: if config.is_https() {
                "__Host-gatehouse_return".into()
            } else {
                "gatehouse_return".into()
            },
            form_name: if config.is_https() {
                "__Host-gatehouse_form".into()
            } else {
                "gatehouse_form".into()
            },
            secure: config.is_https(),
        },
        operator_namespace: config.operator_namespace.clone(),
        api,
        dev_mode: config.dev_mode,
    })
}

/// The JSON API's sign-in and tokens, when a signing key is configured.
fn api_sessions(
    config: &Config,
    sign_in: &SignInService,
    flows: &AccountFlows,
    keys: &identity::SecretBox,
) -> Result<Option<Arc<identity::api_sessions::ApiSessions>>, String> {
    let Some(path) = &config.token_key_file else {
        tracing::warn!("the token API is off: no GATEHOUSE_TOKEN_KEY_FILE (make one with `gatehouse token-key`)");
        return Ok(None);
    };
    let read = |path: &std::path::Path| {
        crate::commands::read_token_key(path)
            .map_err(|e| format!("the token key {} cannot be used: {e}", path.display()))
    };
    let current = read(path)?;
    let previous = match &config.token_previous_key_file {
        Some(path) => Some(read(path)?),
        None => None,
    };
    let tokens = identity::api_tokens::TokenKeys::new(
        &current,
        previous.as_deref(),
        config.base_url.trim_end_matches('/'),
        TimeDelta::minutes(config.access_token_minutes.into()),
    )?;
    Ok(Some(Arc::new(identity::api_sessions::ApiSessions::new(
        tokens,
        TimeDelta::hours(config.refresh_token_hours.into()),
        sign_in,
        flows,
        keys.clone(),
        config.operator_namespace.clone(),
    )?)))
}

/// The whole HTTP application; `health` answers `/readyz` and gates requests while the
/// database is unreachable.
pub fn router(
    config: &Config,
    state: AppState,
    options: LeptosOptions,
    health: Arc<Health>,
    assets: crate::assets::Assets,
) -> Result<Router, String> {
    let origin = config.origin()?;
    let trusted_proxies = Arc::new(config.trusted_proxies()?);
    let routes = generate_route_list(App);
    let default_home = vocabulary::Page::SignIn.path(&config.default_namespace);
    let trace = TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
        let request_id = request
            .headers()
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        // The path only: query strings carry tokens (reset and magic links).
        tracing::info_span!("request", %request_id, method = %request.method(), path = %request.uri().path())
    });
    let api = crate::api::routes(state.clone(), config.cors_origins()?);
    // What every page render has at hand.
    let page_context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            provide_context(app::caller::ssr::CallerCache::default());
            security::provide_page_nonce();
        }
    };
    let mut web = Router::new();
    // The pages that take their own forms' posts (`app::page_posts`) render like any page.
    let render_page = leptos_axum::render_app_async_with_context(page_context.clone(), {
        let options = options.clone();
        move || shell(options.clone())
    });
    for route in app::page_posts::PAGES
        .iter()
        .filter_map(|page| page.route())
    {
        let render_page = render_page.clone();
        web = web.route(
            &route,
            post(move |request| crate::page_posts::answer(render_page, request)),
        );
    }
    let web = web
        .merge(assets.router(&options.site_pkg_dir))
        .route("/", get(move || async move { Redirect::to(&default_home) }))
        .route(health::HEALTHZ, get(|| async { "ok" }))
        .route(
            health::READYZ,
            get(health::readyz).with_state(health.clone()),
        )
        .route(
            &format!(
                "/{{namespace}}/{}/{}",
                vocabulary::segment::ADMIN,
                vocabulary::segment::AUDIT_EXPORT
            ),
            get(crate::audit_export::export).with_state(state.clone()),
        )
        .route(
            &format!(
                "/{{namespace}}/{}/{}",
                vocabulary::segment::OPERATOR,
                vocabulary::segment::AUDIT_EXPORT
            ),
            get(crate::operator_export::export).with_state(state.clone()),
        )
        .leptos_routes_with_context(&options, routes, page_context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(
            page_context,
            shell,
        ))
        .with_state(options)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(state.cookie.clone()),
            crate::native_forms::finish_native_posts,
        ))
        .layer(axum::middleware::from_fn(
            crate::input_guard::refuse_unstorable_input,
        ))
        .layer(axum::middleware::from_fn(
            crate::error_status::server_fn_error_status,
        ))
        .layer(axum::middleware::from_fn_with_state(
            origin,
            security::same_origin_only,
        ));
    // The JSON API takes bearer credentials only, never the cookie: no same-origin check (a
    // program sends no Origin), its own error bodies, the same outer layers.
    let mut app = Router::new()
        .merge(api)
        .merge(web)
        .layer(axum::middleware::from_fn_with_state(health, health::gate));
    if config.metrics_bind.is_some() {
        app = app.layer(axum::middleware::from_fn(crate::metrics::observe));
    }
    // Inside the trace span, outside everything that touches the database.
    let app = app.layer(axum::middleware::from_fn(crate::run_to_end::run_to_end));
    Ok(app
        .layer(axum::middleware::from_fn_with_state(
            config.is_https(),
            security::headers,
        ))
        .layer(trace)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        // A fresh request id wherever `client_address::decide` (the next layer out) kept none.
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        // Outermost: everything inside sees the client and request id decided here.
        .layer(axum::middleware::from_fn_with_state(
            trusted_proxies,
            crate::client_address::decide,
        )))
}

/// Accepted connections with Nagle's algorithm off. A response written in more than one
/// segment (headers, then a file's body) otherwise waits for the client's delayed
/// acknowledgement, about 40 ms per static file on a kept-alive connection.
pub fn without_nagle(
    listener: tokio::net::TcpListener,
) -> axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)> {
    fn no_delay(stream: &mut tokio::net::TcpStream) {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set on a connection");
        }
    }
    axum::serve::ListenerExt::tap_io(listener, no_delay as fn(&mut tokio::net::TcpStream))
}

/// How long a request waits for a database connection before failing: while the database is
/// away, requests fail fast (and the outage gate answers them) instead of piling up.
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// A pooled connection idle for less than this is handed out without a ping first.
const PING_IF_IDLE_FOR: std::time::Duration = std::time::Duration::from_secs(1);

/// The options both pools share. sqlx pings a connection as it is returned to the pool and, by
/// default, again as it is taken: on a busy server that second ping was a round trip in every
/// request's handful (a signed-in page makes one statement). A connection pinged on its return
/// a moment ago is taken as it is; one that sat idle is pinged first, so the pool still drops
/// connections a restarted or failed-over database left dead without failing a request on
/// them (HikariCP skips its check the same way for connections used within half a second). A
/// database lost within the second since a connection's last use fails the one request that
/// takes that connection, as a loss in the middle of a request does.
fn pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire(false)
        .before_acquire(|connection, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IF_IDLE_FOR {
                    sqlx::Connection::ping(connection).await?;
                }
                Ok(true)
            })
        })
}

pub async fn connect_pool(config: &Config) -> Result<PgPool, String> {
    pool_options(20)
        .connect(&config.database_url)
        .await
        .map_err(|e| format!("cannot connect to the database: {e}"))
}

/// The operator pool is small: support agents are few, and each access is one short call.
const OPERATOR_POOL_SIZE: u32 = 2;

/// The operator pool, when `GATEHOUSE_OPERATOR_DATABASE_URL` is set, checked like the tenant
/// pool (see [`check_operator_role`]).
pub async fn connect_operator_pool(config: &Config) -> Result<Option<PgPool>, String> {
    let Some(url) = config.operator_database_url.as_deref() else {
        return Ok(None);
    };
    let pool = pool_options(OPERATOR_POOL_SIZE)
        .connect(url)
        .await
        .map_err(|e| format!("cannot connect to the database as the operator role: {e}"))?;
    check_operator_role(&pool).await?;
    Ok(Some(pool))
}

/// What a pool's login role is, as far as the checks below care.
#[derive(sqlx::FromRow)]
struct LoginRoleFacts {
    role: String,
    superuser: bool,
    bypass: bool,
    tenant: bool,
    operator: bool,
    /// Whether it can become the BYPASSRLS owner of the definer functions (`SET ROLE`).
    definer: bool,
}

async fn login_role_facts(pool: &PgPool) -> Result<LoginRoleFacts, String> {
    sqlx::query_as(
        "SELECT rolname::text AS role, rolsuper AS superuser, rolbypassrls AS bypass, \
                pg_catalog.pg_has_role(current_user, 'authn_app', 'MEMBER') AS tenant, \
                pg_catalog.pg_has_role(current_user, 'authn_operator', 'MEMBER') AS operator, \
                pg_catalog.pg_has_role(current_user, 'authn_definer', 'MEMBER') AS definer \
           FROM pg_catalog.pg_roles WHERE rolname = current_user",
    )
    .fetch_one(pool)
    .await
    .map_err(|e| format!("cannot read the database role: {e}"))
}

/// Refuses a database role that row-level security would not apply to: a superuser or a
/// BYPASSRLS role would see and change every namespace's rows whatever the core's policies say.
/// The tenant pool must not hold `authn_operator` either: operator functions reach across
/// namespaces and run only on the operator pool.
pub async fn check_database_role(pool: &PgPool) -> Result<(), String> {
    let facts = login_role_facts(pool).await?;
    let role = &facts.role;
    if facts.superuser || facts.bypass || facts.definer {
        return Err(format!(
            "the server connects to the database as {role}, a {} role: row-level security would not \
             apply to it. Create the application's login role (as a superuser: \
             GATEHOUSE_APP_ROLE_PASSWORD=... gatehouse migrate --app-role gatehouse_app) and point \
             DATABASE_URL at it.",
            if facts.superuser {
                "superuser"
            } else if facts.bypass {
                "BYPASSRLS"
            } else {
                "authn_definer (BYPASSRLS by SET ROLE)"
            }
        ));
    }
    if facts.operator {
        return Err(format!(
            "DATABASE_URL's role {role} holds authn_operator: the tenant pool must not run operator \
             functions. Run gatehouse migrate --app-role {role} (it revokes the grant) and give \
             operators their own role with --operator-role."
        ));
    }
    Ok(())
}

/// The operator pool's role: no superuser, no BYPASSRLS, a member of `authn_operator` and not
/// of `authn_app`, so it runs the operator functions and reads no tenant table itself.
pub async fn check_operator_role(pool: &PgPool) -> Result<(), String> {
    let facts = login_role_facts(pool).await?;
    let role = &facts.role;
    if facts.superuser || facts.bypass || facts.definer || facts.tenant || !facts.operator {
        return Err(format!(
            "GATEHOUSE_OPERATOR_DATABASE_URL's role {role} must be the operator login role (as a \
             superuser: GATEHOUSE_OPERATOR_ROLE_PASSWORD=... gatehouse migrate --operator-role \
             gatehouse_operator): a member of authn_operator only, neither a superuser nor BYPASSRLS."
        ));
    }
    Ok(())
}

pub async fn serve(config: &Config) -> Result<(), String> {
    config.check_for_serving()?;
    let leptos = get_configuration(None).map_err(|e| format!("leptos configuration: {e}"))?;
    let mut options = leptos.leptos_options;
    let hash_file = crate::assets::Assets::hash_file_beside_binary(&options);
    let assets = crate::assets::Assets::load(&options, hash_file.as_deref())?;
    // The pages name the files as the build named them (Leptos reads the same hash file).
    options.hash_files = assets.are_hashed();
    let addr = config.bind.unwrap_or(options.site_addr);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let pool = connect_pool(config).await?;
    check_database_role(&pool).await?;
    let stop = CancellationToken::new();
    let mut state = app_state(config, pool.clone())?;
    state.operator_pool = connect_operator_pool(config).await?;
    if state.operator_pool.is_none() {
        tracing::warn!(
            "GATEHOUSE_OPERATOR_DATABASE_URL is not set: support access across namespaces is off"
        );
    }
    let health = Health::new(pool.clone(), config.smtp_url().is_some());
    let mut background = vec![
        health::spawn_prober(health.clone(), stop.clone()),
        jobs::spawn_upkeep(pool.clone(), config.default_namespace.clone(), stop.clone()),
        jobs::spawn_mail_request_worker(pool.clone(), state.flows.clone(), stop.clone()),
    ];
    match config.smtp_url() {
        Some(url) => {
            let delivery = MailDelivery::from_url(url, &config.mail_from, state.keys.clone())
                .map_err(|e| e.to_string())?;
            background.push(jobs::spawn_mail_worker(
                pool.clone(),
                delivery,
                config.dev_mode,
                health.mail_worker_beat(),
                stop.clone(),
            ));
        }
        None => tracing::warn!(
            "GATEHOUSE_SMTP_URL is not set: mail stays in the outbox{}",
            if config.dev_mode {
                " (see /dev/mailbox)"
            } else {
                ""
            }
        ),
    }
    if let Some(bind) = config.metrics_bind {
        let handle = crate::metrics::install()?;
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|e| format!("cannot listen for metrics on {bind}: {e}"))?;
        let metrics = crate::metrics::router(
            handle,
            pool.clone(),
            state.operator_pool.clone(),
            health.clone(),
        );
        let stop = stop.clone();
        background.push(tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, metrics)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
            {
                tracing::error!(error = %e, "metrics listener stopped");
            }
        }));
        tracing::info!("metrics on http://{bind}/metrics");
    }
    let app = router(config, state, options, health, assets)?;
    tracing::info!("listening on http://{addr}");
    let grace = std::time::Duration::from_secs(config.shutdown_grace_seconds.into());
    let result = serve_until(listener, app, shutdown_signal(), grace).await;
    stop.cancel();
    // Background work stops at its next turn; a stuck one (an SMTP exchange waiting out its
    // timeout) must not hold the exit past the grace period either.
    let stopping = futures::future::join_all(background);
    if tokio::time::timeout(grace, stopping).await.is_err() {
        tracing::warn!("background work still running at exit");
    }
    result
}

/// Serves `app` on `listener` until `shutdown` resolves (the process's SIGTERM or Ctrl-C in
/// `serve`), then stops accepting connections and lets the requests in flight finish, but no
/// longer than `grace`: a stuck client must not hold a deploy. Apart so the drain can be tested.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    grace: std::time::Duration,
) -> Result<(), String> {
    let draining = CancellationToken::new();
    let server = axum::serve(
        without_nagle(listener),
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown({
        let draining = draining.clone();
        async move {
            shutdown.await;
            tracing::info!("shutting down: draining in-flight requests");
            draining.cancel();
        }
    });
    tokio::select! {
        result = server => result.map_err(|e| e.to_string()),
        _ = async { draining.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!(seconds = grace.as_secs(), "grace period over: closing open requests");
            Ok(())
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
