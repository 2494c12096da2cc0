//! Cleanup, statistics and audit partition upkeep (spec §5.9, §5.10).

use crate::client::{core_operations, Authn};
use crate::error::Result;
use crate::types::{CleanupCounts, Stats};

core_operations! {
    /// Deletes expired and revoked rows of this namespace; returns the counts.
    pub async fn cleanup_expired(&mut self) -> CleanupCounts {
        let (conn, ns) = self.parts();
        let row: Option<CleanupCounts> = sqlx::query_as("SELECT * FROM authn.cleanup_expired($1)")
            .bind(ns)
            .fetch_optional(conn)
            .await?;
        Ok(row.unwrap_or_default())
    }

    /// The namespace's counts for the dashboard.
    pub async fn get_stats(&mut self) -> Stats {
        let (conn, ns) = self.parts();
        let row: Option<Stats> = sqlx::query_as("SELECT * FROM authn.get_stats($1)")
            .bind(ns)
            .fetch_optional(conn)
            .await?;
        Ok(row.unwrap_or_default())
    }
}

impl Authn {
    /// Creates the audit partition for that month; `None` if it already exists.
    pub async fn create_audit_partition(&self, year: i32, month: i32) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT authn.create_audit_partition($1, $2)")
                .bind(year)
                .bind(month)
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// Makes sure partitions exist from this month to `months_ahead` months ahead; returns
    /// the names created. Call it at start-up and periodically: with no partition for the
    /// current month every audited operation fails (decision D5).
    pub async fn ensure_audit_partitions(&self, months_ahead: i32) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT * FROM authn.ensure_audit_partitions($1)")
                .bind(months_ahead)
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// Drops whole months older than the retention; returns the names dropped.
    pub async fn drop_audit_partitions(&self, older_than_months: i32) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT * FROM authn.drop_audit_partitions($1)")
                .bind(older_than_months)
                .fetch_all(self.pool())
                .await?,
        )
    }
}
