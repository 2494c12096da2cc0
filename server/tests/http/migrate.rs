//! `gatehouse migrate` on a database whose data arrived without planner statistics (a
//! restored dump carries none): it analyzes those tables and says so, and a second run finds
//! nothing left to do.

/// Whether PostgreSQL holds statistics for `table`.
async fn has_statistics(superuser: &sqlx::PgPool, table: &str) -> bool {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_statistic WHERE starelid = $1::regclass)")
        .bind(table)
        .fetch_one(superuser)
        .await
        .unwrap()
}

async fn migrate(url: &str) -> String {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("migrate")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn migrate_takes_statistics_for_data_that_has_none() {
    let db =
        tokio::task::spawn_blocking(|| test_support::create_migrated_database("migrate_stats"))
            .await
            .unwrap();
    let url = test_support::url_for(&db, None);
    let superuser = sqlx::PgPool::connect(&url).await.unwrap();
    // Rows written straight into the table, as a restore writes them; no autovacuum meanwhile.
    for statement in [
        "ALTER TABLE authn.users SET (autovacuum_enabled = false)",
        "INSERT INTO authn.users (namespace, email, password_hash)
         SELECT 'restored', format('user%s@restored.example', g), '$argon2id$v=19$restored'
           FROM generate_series(1, 500) g",
    ] {
        sqlx::query(statement).execute(&superuser).await.unwrap();
    }
    assert!(!has_statistics(&superuser, "authn.users").await);

    let said = migrate(&url).await;
    assert!(said.contains("planner statistics taken for"), "{said}");
    assert!(has_statistics(&superuser, "authn.users").await);
    // Tables still empty are left for autovacuum.
    assert!(!has_statistics(&superuser, "authn.mfa_secrets").await);
    let said = migrate(&url).await;
    assert!(!said.contains("planner statistics"), "{said}");
}
