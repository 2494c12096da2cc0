//! `migrate`, `seed-demo` and `create-user`.

use authn::{Authn, AuthnError};
use identity::{PasswordHasher, PasswordPolicy};
use secrecy::SecretString;
use sqlx::PgPool;

use crate::config::Config;

/// The demo account printed by the run command.
pub const DEMO_EMAIL: &str = "user@demo.example";
pub const DEMO_PASSWORD: &str = "demo-password-123";

async fn connect(config: &Config) -> Result<PgPool, String> {
    PgPool::connect(&config.database_url)
        .await
        .map_err(|e| format!("cannot connect to the database: {e}"))
}

pub async fn migrate(config: &Config) -> Result<(), String> {
    let pool = connect(config).await?;
    authn::MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| format!("migration failed: {e}"))?;
    let core = Authn::new(pool, config.default_namespace.clone())
        .await
        .map_err(|e| e.to_string())?;
    core.ensure_audit_partitions(3)
        .await
        .map_err(|e| e.to_string())?;
    println!("database migrated");
    Ok(())
}

pub async fn seed(config: &Config) -> Result<(), String> {
    let pool = connect(config).await?;
    let core = Authn::new(pool, config.default_namespace.clone())
        .await
        .map_err(|e| e.to_string())?;
    let hasher = PasswordHasher::recommended().map_err(|e| e.to_string())?;
    let hash = hasher
        .hash(&SecretString::from(DEMO_PASSWORD))
        .await
        .map_err(|e| e.to_string())?;
    match core.get_or_create_user(DEMO_EMAIL, Some(&hash)).await {
        Ok(_) | Err(AuthnError::UserDisabled) => {}
        Err(e) => return Err(e.to_string()),
    }
    println!(
        "demo namespace '{}': sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}",
        config.default_namespace
    );
    Ok(())
}

pub async fn create_user(config: &Config, namespace: &str, email: &str) -> Result<(), String> {
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = password.trim_end_matches(['\r', '\n']);
    PasswordPolicy::default()
        .check(password, email)
        .map_err(|e| e.to_string())?;
    let pool = connect(config).await?;
    let core = Authn::new(pool, namespace).await.map_err(|e| match e {
        e if e.is_client_error() => format!("invalid namespace: {}", e.message()),
        e => e.to_string(),
    })?;
    let hasher = PasswordHasher::recommended().map_err(|e| e.to_string())?;
    let hash = hasher
        .hash(&SecretString::from(password.to_owned()))
        .await
        .map_err(|e| e.to_string())?;
    let id = core
        .create_user(email, Some(&hash))
        .await
        .map_err(|e| match e {
            AuthnError::UniqueViolation { .. } => format!("{email} already exists in {namespace}"),
            e if e.is_client_error() => format!("invalid email: {}", e.message()),
            e => e.to_string(),
        })?;
    println!("{id}");
    Ok(())
}
