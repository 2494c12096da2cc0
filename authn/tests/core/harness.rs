//! Test harness: one migrated database per test process (see `test-support`) and one fresh
//! namespace per test. The client connects as a login role that holds
//! `authn_app` and `authn_operator` and is subject to row-level security, so every test also
//! checks that tenant context is applied; fixtures that must reach past the interface
//! (back-dating rows, direct updates) use a superuser pool.

#![allow(dead_code)]

use std::sync::OnceLock;

use authn::{Actor, AuditEvent, AuditQuery, Authn, NewSession};
use sha2::{Digest, Sha256};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use uuid::Uuid;

pub use test_support::{create_migrated_database, url_for, APP_ROLE};

static DATABASE: OnceLock<String> = OnceLock::new();

fn shared_database() -> &'static str {
    DATABASE.get_or_init(|| create_migrated_database("authn_shared"))
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
    ctx_on(shared_database()).await
}

pub async fn ctx_on(database: &str) -> Ctx {
    let app = PgPoolOptions::new()
        .max_connections(8)
        .connect(&test_support::url_for(database, Some(APP_ROLE)))
        .await
        .expect("connect app role");
    let admin = PgPoolOptions::new()
        .max_connections(2)
        .connect(&test_support::url_for(database, None))
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
