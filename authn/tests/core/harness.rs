//! Test harness: one PostgreSQL cluster (given by `GATEHOUSE_TEST_DATABASE_URL`, else the
//! project-local one started by `scripts/pg-local`), one migrated database per test process,
//! and one fresh namespace per test. The client connects as a login role that holds
//! `authn_app` and `authn_operator` and is subject to row-level security, so every test also
//! checks that tenant context is applied; fixtures that must reach past the interface
//! (back-dating rows, direct updates) use a superuser pool.

#![allow(dead_code)]

use std::process::Command;
use std::sync::OnceLock;

use authn::{Actor, AuditEvent, AuditQuery, Authn, NewSession};
use sha2::{Digest, Sha256};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, Executor, PgConnection, PgPool};
use uuid::Uuid;

pub const APP_ROLE: &str = "authn_test_app";

struct Cluster {
    /// Superuser URL of the cluster's `postgres` database.
    admin_url: String,
    /// Name of this process's shared, migrated database.
    database: String,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();

fn cluster_admin_url() -> String {
    if let Ok(url) = std::env::var("GATEHOUSE_TEST_DATABASE_URL") {
        return url;
    }
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

pub fn url_for(admin_url: &str, database: &str, user: Option<&str>) -> String {
    let (base, _) = admin_url.rsplit_once('/').expect("url has a database");
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

/// Creates a database, applies the migrations and the test login role, in a runtime of its
/// own (tests each have their own runtime; pools must not outlive the one they were made in).
pub fn create_migrated_database(admin_url: &str, prefix: &str) -> String {
    let admin_url = admin_url.to_owned();
    let name = format!(
        "{prefix}_{}_{}",
        std::process::id(),
        Uuid::new_v4().simple()
    );
    let db = name.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move {
            let mut admin = PgConnection::connect(&admin_url).await.expect("connect admin");
            admin.execute(format!("CREATE DATABASE \"{db}\"").as_str()).await.expect("create db");
            let mut conn = PgConnection::connect(&url_for(&admin_url, &db, None)).await.expect("connect db");
            authn::MIGRATOR.run(&mut conn).await.expect("migrate");
            // Cluster-wide role; tolerate a concurrent creator.
            let _ = conn
                .execute(
                    format!(
                        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') \
                         THEN CREATE ROLE {APP_ROLE} LOGIN; END IF; END $$"
                    )
                    .as_str(),
                )
                .await;
            conn.execute(format!("GRANT authn_app, authn_operator TO {APP_ROLE}").as_str())
                .await
                .expect("grant roles");
        });
    })
    .join()
    .expect("database setup thread");
    name
}

/// Drops the databases left by earlier test processes that have ended (their pid is in the
/// name), so a reused development cluster does not fill up.
fn drop_stale_databases(admin_url: &str) {
    let admin_url = admin_url.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let mut admin = PgConnection::connect(&admin_url)
                .await
                .expect("connect admin");
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT datname FROM pg_database WHERE datname ~ '^authn_(test|part|idx)_[0-9]+_'",
            )
            .fetch_all(&mut admin)
            .await
            .expect("list databases");
            for name in names {
                let pid = name.split('_').nth(2).unwrap_or_default();
                if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                    let _ = admin
                        .execute(
                            format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str(),
                        )
                        .await;
                }
            }
        });
    })
    .join()
    .expect("cleanup thread");
}

fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| {
        let admin_url = cluster_admin_url();
        drop_stale_databases(&admin_url);
        let database = create_migrated_database(&admin_url, "authn_test");
        Cluster {
            admin_url,
            database,
        }
    })
}

pub fn admin_url() -> String {
    cluster().admin_url.clone()
}

/// Everything a test needs: its own namespace on the shared database.
pub struct Ctx {
    pub ns: String,
    pub authn: Authn,
    /// Pool of the RLS-subject application role.
    pub app: PgPool,
    /// Superuser pool, for fixtures and for looking behind the interface.
    pub admin: PgPool,
    pub database: String,
}

pub async fn ctx() -> Ctx {
    ctx_on(&cluster().database).await
}

pub async fn ctx_on(database: &str) -> Ctx {
    let c = cluster();
    let app = PgPoolOptions::new()
        .max_connections(8)
        .connect(&url_for(&c.admin_url, database, Some(APP_ROLE)))
        .await
        .expect("connect app role");
    let admin = PgPoolOptions::new()
        .max_connections(2)
        .connect(&url_for(&c.admin_url, database, None))
        .await
        .expect("connect superuser");
    let ns = format!("t-{}", Uuid::new_v4().simple());
    let authn = Authn::new(app.clone(), ns.clone()).await.expect("client");
    Ctx {
        ns,
        authn,
        app,
        admin,
        database: database.to_owned(),
    }
}

impl Ctx {
    /// A client of another fresh namespace on the same database.
    pub async fn other_namespace(&self) -> Authn {
        Authn::new(self.app.clone(), format!("t-{}", Uuid::new_v4().simple()))
            .await
            .expect("client")
    }

    pub async fn user(&self, email: &str) -> Uuid {
        self.authn
            .create_user(email, Some("$argon2id$v=19$test"))
            .await
            .expect("create user")
    }

    /// A session for `user_id`; returns (session id, token hash).
    pub async fn session(&self, user_id: Uuid) -> (Uuid, String) {
        let token = hash(&Uuid::new_v4().to_string());
        let id = self
            .authn
            .create_session(NewSession::new(user_id, &token))
            .await
            .expect("create session");
        (id, token)
    }

    pub async fn events(&self, event_type: &str) -> Vec<AuditEvent> {
        self.authn
            .get_audit_events(&AuditQuery {
                event_type: Some(event_type.into()),
                ..AuditQuery::default()
            })
            .await
            .expect("audit events")
    }

    pub async fn all_events(&self) -> Vec<AuditEvent> {
        self.authn
            .get_audit_events(&AuditQuery {
                limit: 10_000,
                ..AuditQuery::default()
            })
            .await
            .expect("audit events")
    }

    pub async fn audit_count(&self) -> usize {
        self.all_events().await.len()
    }

    /// Runs SQL as superuser (fixtures only).
    pub async fn sql(&self, statement: &str) {
        sqlx::query(statement)
            .execute(&self.admin)
            .await
            .expect("fixture sql");
    }

    pub fn as_actor(&self, actor: Actor) -> Authn {
        self.authn.with_actor(actor)
    }
}

pub fn hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

pub fn token() -> String {
    hash(&Uuid::new_v4().to_string())
}

pub fn sqlstate(err: &authn::AuthnError) -> &str {
    err.sqlstate().unwrap_or("none")
}
