//! Planner statistics for data that arrived other than through the application: a restored
//! dump carries none, and a bulk load can outrun autovacuum. Every query of the application
//! role carries row-level security's `namespace = …`; with no statistics PostgreSQL takes
//! `revoked_at IS NULL` to match half a percent of rows, every partial index looks tiny, and
//! it picks among them as good as at random: in the core's test, validating one session read
//! 69,000 rows and index entries of its namespace's 50,000 sessions. Once the tables are
//! analyzed the same calls read a handful.

use sqlx::PgPool;

use crate::error::Result;

/// Analyzes each table of the `authn` and `gatehouse` schemas that holds data but has no
/// statistics (a partitioned table when one of its partitions holds data), and returns their
/// names. For the tables' owner (`gatehouse migrate`); ANALYZE reads past row-level security,
/// so whether a table holds data is judged by its size on disk.
pub async fn analyze_tables_without_statistics(pool: &PgPool) -> Result<Vec<String>> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT format('%I.%I', n.nspname, c.relname)
           FROM pg_catalog.pg_class c
           JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname IN ('authn', 'gatehouse') AND c.relkind IN ('r', 'p')
            AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_statistic s WHERE s.starelid = c.oid)
            AND (pg_catalog.pg_relation_size(c.oid) > 0
                 OR EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i
                             WHERE i.inhparent = c.oid AND pg_catalog.pg_relation_size(i.inhrelid) > 0))
          ORDER BY c.relkind DESC, 1",
    )
    .fetch_all(pool)
    .await?;
    for table in &tables {
        // An identifier cannot be a bound parameter; format('%I') quoted it above.
        sqlx::query(&format!("ANALYZE {table}"))
            .execute(pool)
            .await?;
    }
    Ok(tables)
}
