//! Test-only helpers for the integration tests of the workspace's crates. The cluster is the
//! one given by `GATEHOUSE_TEST_DATABASE_URL` (a superuser URL; `scripts/test` starts a
//! throwaway one), else the project-local cluster `scripts/pg-local` keeps in `.data/test-pg`.
//! Databases are created per test process, migrated, and named after the process so that a
//! later run can drop them once it has ended.

// Test scaffolding: a failure to set up the database should stop the test loudly.
#![allow(clippy::expect_used, clippy::panic)]

pub mod smtp;
pub mod statements;

use std::process::Command;
use std::sync::{Mutex, OnceLock};

use sqlx::{Connection, Executor, PgConnection};
use uuid::Uuid;

/// Login role the core's clients connect as in tests: holds `authn_app` and `authn_operator`,
/// and is subject to row-level security like the real application's role.
pub const APP_ROLE: &str = "authn_test_app";

/// Login roles shaped like the server's two pools (what `gatehouse migrate --app-role` and
/// `--operator-role` make): the tenant role holds only `authn_app`, the operator role only
/// `authn_operator`.
pub const TENANT_ROLE: &str = "authn_test_tenant";
pub const OPERATOR_ROLE: &str = "authn_test_operator";

static ADMIN_URL: OnceLock<String> = OnceLock::new();

/// Role membership is cluster-wide: one set-up at a time within this process.
static SETUP: Mutex<()> = Mutex::new(());

/// Superuser URL of the cluster's `postgres` database.
pub fn admin_url() -> String {
    ADMIN_URL
        .get_or_init(|| {
            let url = match std::env::var("GATEHOUSE_TEST_DATABASE_URL") {
                Ok(url) => url,
                Err(_) => {
                    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
                    let out = Command::new(format!("{root}/scripts/pg-local"))
                        .arg("start")
                        .arg(format!("{root}/.data/test-pg"))
                        .output()
                        .expect("run scripts/pg-local");
                    assert!(
                        out.status.success(),
                        "pg-local failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    String::from_utf8(out.stdout)
                        .expect("utf8 url")
                        .trim()
                        .to_owned()
                }
            };
            drop_stale_databases(&url);
            url
        })
        .clone()
}

/// The URL of `database` on the cluster, as `user` (default: the superuser).
pub fn url_for(database: &str, user: Option<&str>) -> String {
    with_database(&admin_url(), database, user)
}

/// `url` pointed at another database and, optionally, another user of the same server.
pub fn with_database(url: &str, database: &str, user: Option<&str>) -> String {
    let (base, _) = url.rsplit_once('/').expect("url has a database");
    let base = match user {
        Some(user) => {
            let (scheme, rest) = base.split_once("://").expect("url scheme");
            let host = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
            format!("{scheme}://{user}@{host}")
        }
        None => base.to_owned(),
    };
    format!("{base}/{database}")
}

/// Runs `f` to completion on a runtime of its own, in a thread of its own: set-up must not
/// leave connections tied to one test's runtime.
fn on_own_runtime<F, Fut>(f: F)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(f())
    })
    .join()
    .expect("set-up thread");
}

/// Creates a database named `{prefix}_{pid}_{random}`, applies the migrations and grants
/// [`APP_ROLE`]; returns its name.
pub fn create_migrated_database(prefix: &str) -> String {
    create_migrated_database_on(&admin_url(), prefix)
}

/// [`create_migrated_database`] on another cluster, given by its superuser URL (a test that
/// stops its database runs a cluster of its own).
pub fn create_migrated_database_on(admin: &str, prefix: &str) -> String {
    let admin = admin.to_owned();
    let _one_at_a_time = SETUP
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let name = format!(
        "{prefix}_{}_{}",
        std::process::id(),
        Uuid::new_v4().simple()
    );
    let db = name.clone();
    let db_url = with_database(&admin, &name, None);
    on_own_runtime(move || async move {
        let mut conn = PgConnection::connect(&admin).await.expect("connect admin");
        conn.execute(format!("CREATE DATABASE \"{db}\"").as_str())
            .await
            .expect("create db");
        let mut conn = PgConnection::connect(&db_url).await.expect("connect db");
        authn::MIGRATOR.run(&mut conn).await.expect("migrate");
        // Cluster-wide roles; another process may create them at the same moment.
        for (role, grants) in [
            (APP_ROLE, "authn_app, authn_operator"),
            (TENANT_ROLE, "authn_app"),
            (OPERATOR_ROLE, "authn_operator"),
        ] {
            let _ = conn
                .execute(
                    format!(
                        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') \
                         THEN CREATE ROLE {role} LOGIN; END IF; END $$"
                    )
                    .as_str(),
                )
                .await;
            conn.execute(format!("GRANT {grants} TO {role}").as_str())
                .await
                .expect("grant roles");
        }
    });
    name
}

/// Drops the databases of earlier test processes that have ended (their pid is in the name).
fn drop_stale_databases(admin_url: &str) {
    let admin_url = admin_url.to_owned();
    on_own_runtime(move || async move {
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .expect("connect admin");
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT datname FROM pg_database WHERE datname ~ '^[a-z]+_[a-z]+_[0-9]+_[0-9a-f]{32}$'",
        )
        .fetch_all(&mut admin)
        .await
        .expect("list databases");
        for name in names {
            let pid = name.split('_').nth(2).unwrap_or_default();
            if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                let _ = admin
                    .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
                    .await;
            }
        }
    });
}
