//! Bulk test data at realistic size, shared by the benchmark and the index-usage test.
//! Written straight into the tables (as a superuser) with a fixed seed, so a run is
//! reproducible and takes seconds rather than the hours a million audited calls would.

use sqlx::PgPool;

/// How much to generate in one namespace.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub users: i64,
    pub sessions_per_user: i64,
    pub audit_events: i64,
    /// Months of audit history, so that paging crosses partitions.
    pub audit_months: i64,
}

/// The token hash of session `n` (1-based) and the key hash of user `n`'s API key, so that
/// callers can present valid credentials without storing them.
pub fn session_token_hash(n: i64) -> String {
    format!("bench-session-{n:010}")
}

pub fn api_key_hash(n: i64) -> String {
    format!("bench-key-{n:010}")
}

pub fn email(n: i64) -> String {
    format!("user{n:07}@bench.example")
}

/// Fills `namespace` to `size` and analyzes the database, as autovacuum would soon after.
pub async fn populate(admin: &PgPool, namespace: &str, size: Size) -> Result<(), sqlx::Error> {
    fill(admin, namespace, size).await?;
    sqlx::query("ANALYZE").execute(admin).await?;
    Ok(())
}

/// [`populate`] without the ANALYZE: the planner's statistics stay what they were (none, on a
/// new database whose autovacuum the caller has turned off).
#[allow(dead_code)] // the index test's; the benchmark analyzes
pub async fn populate_without_statistics(
    admin: &PgPool,
    namespace: &str,
    size: Size,
) -> Result<(), sqlx::Error> {
    fill(admin, namespace, size).await
}

async fn fill(admin: &PgPool, namespace: &str, size: Size) -> Result<(), sqlx::Error> {
    let mut tx = admin.begin().await?;
    sqlx::query("SELECT setseed(0.42)")
        .execute(&mut *tx)
        .await?;
    for m in 0..size.audit_months {
        sqlx::query(
            "SELECT authn.create_audit_partition(
                 extract(year FROM date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => $1))::int,
                 extract(month FROM date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => $1))::int)",
        )
        .bind(m as i32)
        .execute(&mut *tx)
        .await?;
    }
    // Users get ids in insertion order's random uuid order; n is kept in the e-mail.
    sqlx::query(
        "INSERT INTO authn.users (namespace, email, password_hash, email_verified_at, created_at)
         SELECT $1, format('user%s@bench.example', lpad(g::text, 7, '0')), '$argon2id$v=19$bench',
                CASE WHEN g % 3 = 0 THEN now() END, now() - (g || ' seconds')::interval
           FROM generate_series(1, $2) g",
    )
    .bind(namespace)
    .bind(size.users)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "CREATE TEMP TABLE bench_user_ids ON COMMIT DROP AS
         SELECT row_number() OVER (ORDER BY email) AS n, id FROM authn.users WHERE namespace = $1",
    )
    .bind(namespace)
    .execute(&mut *tx)
    .await?;
    sqlx::query("CREATE INDEX ON bench_user_ids (n)")
        .execute(&mut *tx)
        .await?;
    // Session n belongs to user ((n - 1) % users) + 1; one in ten is revoked, one in ten expired.
    sqlx::query(
        "INSERT INTO authn.sessions (namespace, user_id, token_hash, expires_at, created_at, revoked_at,
                                     ip_address, user_agent)
         SELECT $1, u.id, format('bench-session-%s', lpad(g::text, 10, '0')),
                CASE WHEN g % 10 = 7 THEN now() - interval '1 day' ELSE now() + interval '7 days' END,
                now() - (random() * interval '30 days'),
                CASE WHEN g % 10 = 3 THEN now() END,
                '10.0.0.1', 'Mozilla/5.0 (bench)'
           FROM generate_series(1, $2 * $3) g
           JOIN bench_user_ids u ON u.n = ((g - 1) % $2) + 1",
    )
    .bind(namespace)
    .bind(size.users)
    .bind(size.sessions_per_user)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO authn.api_keys (namespace, user_id, key_hash, name)
         SELECT $1, u.id, format('bench-key-%s', lpad(u.n::text, 10, '0')), 'bench' FROM bench_user_ids u",
    )
    .bind(namespace)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO authn.login_attempts (namespace, email, success, attempted_at)
         SELECT $1, format('user%s@bench.example', lpad(((g % $2) + 1)::text, 7, '0')), g % 4 <> 0,
                now() - (random() * interval '20 days')
           FROM generate_series(1, $2 * 2) g",
    )
    .bind(namespace)
    .bind(size.users)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO authn.audit_events (event_type, event_time, actor_id, namespace, resource_type,
                                         resource_id, new_values)
         SELECT (ARRAY['session_created', 'user_created', 'login_attempt_failed', 'mfa_used',
                       'api_key_created'])[1 + g % 5],
                lower + random() * (now() - lower),
                'user:' || (g % 1000), $1, 'user', 'resource-' || (g % 50000), '{\"bench\": true}'
           FROM generate_series(1, $2) g,
                LATERAL (SELECT (date_trunc('month', now() AT TIME ZONE 'UTC')
                                 - make_interval(months => $3 - 1)) AT TIME ZONE 'UTC' AS lower) b",
    )
    .bind(namespace)
    .bind(size.audit_events)
    .bind(size.audit_months.max(1) as i32)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}
