//! What every test of the services starts from: a database of its own, migrated, reached as
//! the application's role (row-level security applies) and, for looking behind the interface,
//! as the superuser.

use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use uuid::Uuid;

/// A new migrated database named after `prefix` (two lower-case words joined by `_`, so a later
/// run can recognise and drop it); returns its name.
pub async fn database(prefix: &'static str) -> String {
    tokio::task::spawn_blocking(move || test_support::create_migrated_database(prefix))
        .await
        .unwrap()
}

/// A pool of `connections` to `db` as the application role.
pub async fn app_pool(db: &str, connections: u32) -> PgPool {
    PgPoolOptions::new()
        .max_connections(connections)
        .connect(&test_support::url_for(db, Some(test_support::APP_ROLE)))
        .await
        .unwrap()
}

/// One connection to `db` as the superuser, for looking at or ageing rows behind the interface.
pub async fn superuser_pool(db: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(1)
        .connect(&test_support::url_for(db, None))
        .await
        .unwrap()
}

/// A fresh namespace name, so tests sharing a database never see each other's rows.
pub fn namespace() -> String {
    format!("t-{}", Uuid::new_v4().simple())
}
