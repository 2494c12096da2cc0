use std::net::SocketAddr;

use clap::Parser;
use gatehouse_server::config::Cli;
use gatehouse_server::web;
use leptos::config::LeptosOptions;
use sqlx::PgPool;

/// One server at a time: several Leptos SSR servers, each on its own test runtime in one
/// process, were seen to stall page renders under load (a deployment has a single runtime).
static ONE_SERVER_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub struct TestApp {
    _turn: tokio::sync::MutexGuard<'static, ()>,
    pub base: String,
    /// The server's own pool (the application role, under row-level security).
    pub pool: PgPool,
    /// A superuser pool, for looking behind the interface (never what the server uses).
    pub superuser: PgPool,
    pub http: reqwest::Client,
    pub namespace: String,
}

/// Starts the server on a free port with a fresh database. `flags` are extra command-line
/// flags (e.g. `--dev-mode`).
pub async fn spawn_app(flags: &[&str]) -> TestApp {
    spawn_app_on(&test_support::admin_url(), flags).await
}

/// A built site for the server to serve: its root folder and the build's hash file.
pub struct Site<'a> {
    pub root: &'a std::path::Path,
    pub hash_file: Option<&'a std::path::Path>,
}

/// [`spawn_app`] serving the static files of `site`.
pub async fn spawn_app_with_site(site: Site<'_>) -> TestApp {
    spawn(&test_support::admin_url(), &[], Some(site)).await
}

/// [`spawn_app`] on the cluster of superuser URL `admin`.
pub async fn spawn_app_on(admin: &str, flags: &[&str]) -> TestApp {
    spawn(admin, flags, None).await
}

async fn spawn(admin: &str, flags: &[&str], site: Option<Site<'_>>) -> TestApp {
    let turn = ONE_SERVER_AT_A_TIME.lock().await;
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("warn")
        .try_init();
    let db = {
        let admin = admin.to_owned();
        tokio::task::spawn_blocking(move || {
            test_support::create_migrated_database_on(&admin, "server_http")
        })
        .await
        .unwrap()
    };
    // The server connects as roles row-level security applies to, as in production: the
    // tenant pool's holds `authn_app` only, the operator pool's `authn_operator` only.
    let database_url = test_support::with_database(admin, &db, Some(test_support::TENANT_ROLE));
    let operator_url = test_support::with_database(admin, &db, Some(test_support::OPERATOR_ROLE));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let mut args = vec![
        "gatehouse",
        "--database-url",
        &database_url,
        "--operator-database-url",
        &operator_url,
        "--base-url",
        &base,
        "--secret-key",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ];
    // A token signing key of the test's own, as `scripts/run` makes one.
    let key_file =
        std::env::temp_dir().join(format!("gatehouse-token-key-{}", uuid::Uuid::new_v4()));
    gatehouse_server::commands::write_token_key(&key_file, true).unwrap();
    let key_path = key_file.to_string_lossy().into_owned();
    args.extend_from_slice(&["--token-key-file", &key_path]);
    args.extend_from_slice(flags);
    let cli = Cli::parse_from(args);
    let pool = web::connect_pool(&cli.config).await.unwrap();
    web::check_database_role(&pool).await.unwrap();
    let superuser = sqlx::PgPool::connect(&test_support::with_database(admin, &db, None))
        .await
        .unwrap();
    let mut state = web::app_state(&cli.config, pool.clone()).unwrap();
    // The key is read once, above: the file need not outlive the start.
    std::fs::remove_file(&key_file).unwrap();
    state.operator_pool = web::connect_operator_pool(&cli.config).await.unwrap();
    let mut options = LeptosOptions::builder()
        .output_name("gatehouse")
        .site_addr(addr)
        .build();
    if let Some(site) = &site {
        options.site_root = site.root.to_string_lossy().into();
    }
    // As `serve` does: mail requests are fulfilled in the background.
    gatehouse_server::jobs::spawn_mail_request_worker(
        pool.clone(),
        state.flows.clone(),
        tokio_util::sync::CancellationToken::new(),
    );
    // As `serve` does: the database is probed for readiness and the outage gate.
    let health = gatehouse_server::health::Health::new(pool.clone(), false);
    gatehouse_server::health::spawn_prober(
        health.clone(),
        tokio_util::sync::CancellationToken::new(),
    );
    let assets =
        gatehouse_server::assets::Assets::load(&options, site.and_then(|s| s.hash_file)).unwrap();
    let router = web::router(&cli.config, state, options, health, assets).unwrap();
    tokio::spawn(async move {
        axum::serve(
            web::without_nagle(listener),
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        _turn: turn,
        base,
        pool,
        superuser,
        http,
        namespace: format!("http-{}", uuid::Uuid::new_v4().simple()),
    }
}

impl TestApp {
    pub async fn page(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    /// A page as the holder of session `cookie` (from [`TestApp::session_cookie`]) sees it.
    pub async fn page_as(&self, path: &str, cookie: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header("Cookie", cookie)
            .send()
            .await
            .unwrap()
    }

    /// The URL a page's form posts to (server functions are named with a hash).
    pub async fn form_action(&self, page: &str, fn_name: &str) -> String {
        let html = self.page(page).await.text().await.unwrap();
        let marker = format!("action=\"/api/{fn_name}");
        let start = html
            .find(&marker)
            .unwrap_or_else(|| panic!("no {fn_name} form on {page}"))
            + "action=\"".len();
        let end = start + html[start..].find('"').unwrap();
        html[start..end].to_owned()
    }

    /// Posts a form to a server function as the page's own script would.
    pub async fn call(&self, action: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{action}", self.base))
            .header("Origin", &self.base)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn create_user(&self, email: &str, password: &str) {
        let hash = identity::PasswordHasher::new(1024, 1, 1)
            .unwrap()
            .hash(&secrecy::SecretString::from(password))
            .await
            .unwrap();
        let core = authn::Authn::new(self.pool.clone(), self.namespace.clone())
            .await
            .unwrap();
        let mut tx = core.begin().await.unwrap();
        identity::provisioning::create_verified_user(
            &mut tx,
            &identity::EmailAddress::parse(email).unwrap(),
            Some(&hash),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    /// A core client of this test's namespace (the application role, as the server).
    pub async fn core(&self) -> authn::Authn {
        authn::Authn::new(self.pool.clone(), self.namespace.clone())
            .await
            .unwrap()
    }

    /// The id of the account of `email` in this test's namespace.
    pub async fn user_id(&self, email: &str) -> uuid::Uuid {
        self.core()
            .await
            .get_user_by_email(email)
            .await
            .unwrap()
            .unwrap()
            .user_id
    }

    /// A session of `user_id` made through the core (no sign-in, so no sudo mode), and the
    /// `Cookie` header that presents it.
    pub async fn session_cookie(&self, user_id: uuid::Uuid) -> (identity::OpaqueToken, String) {
        let token = identity::OpaqueToken::generate();
        self.core()
            .await
            .create_session(authn::NewSession::new(user_id, &token.hash()))
            .await
            .unwrap();
        let cookie = format!("gatehouse_session={}", token.expose());
        (token, cookie)
    }

    /// Waits (at most ten seconds) until the background worker has fulfilled every mail
    /// request of this test's namespace.
    pub async fn settle_mail_requests(&self) {
        for _ in 0..200 {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM gatehouse.mail_requests WHERE namespace = $1",
            )
            .bind(&self.namespace)
            .fetch_one(&self.superuser)
            .await
            .unwrap();
            if waiting == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("mail requests were not fulfilled within ten seconds");
    }

    pub async fn outbox_count(&self, recipient: &str) -> i64 {
        sqlx::query_scalar(
            "SELECT count(*) FROM gatehouse.mail_outbox WHERE namespace = $1 AND recipient = $2",
        )
        .bind(&self.namespace)
        .bind(recipient)
        .fetch_one(&self.superuser)
        .await
        .unwrap()
    }
}

/// Runs the `gatehouse` binary as an operator would: `args`, `DATABASE_URL` and nothing else
/// of this environment, `stdin` written to it (a command that does not read it, or stops
/// early, is not a failure), in `workdir` when given. Fails the test after a minute.
pub async fn run_gatehouse(
    database_url: &str,
    args: &[String],
    stdin: &[u8],
    workdir: Option<&std::path::Path>,
) -> std::process::Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    if let Some(dir) = workdir {
        command.current_dir(dir);
    }
    let mut child = command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    {
        use tokio::io::AsyncWriteExt;
        let mut input = child.stdin.take().unwrap();
        let _ = input.write_all(stdin).await;
    }
    tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{args:?}: still running after a minute"))
        .unwrap()
}
