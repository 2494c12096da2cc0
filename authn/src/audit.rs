//! Reading the namespace's audit trail (spec §6.4, decision D14: a direct query; the core has
//! no reader function). Filters are added only when set so that each query shape gets a plan
//! that uses the matching index.

use futures::TryStreamExt as _;
use sqlx::{Postgres, QueryBuilder};

use crate::client::AuthnTx;
use crate::error::Result;

use crate::client::core_operations;
use crate::types::{AuditEvent, Timestamp};

/// Position after which the next page starts (newest-first order is `event_time, id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditCursor {
    pub event_time: Timestamp,
    pub id: i64,
}

/// Filters of `get_audit_events`. The SDK's are `limit`, `event_type`, `resource_type` and
/// `resource_id`; the rest serve the console's audit browser.
#[derive(Clone, Debug)]
pub struct AuditQuery {
    pub limit: i64,
    pub event_type: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub actor_id: Option<String>,
    /// Only events at or after this time.
    pub since: Option<Timestamp>,
    /// Only events before this time.
    pub until: Option<Timestamp>,
    /// Only events older than this position (keyset pagination).
    pub after: Option<AuditCursor>,
}

impl Default for AuditQuery {
    fn default() -> Self {
        AuditQuery {
            limit: 100,
            event_type: None,
            resource_type: None,
            resource_id: None,
            actor_id: None,
            since: None,
            until: None,
            after: None,
        }
    }
}

impl AuditQuery {
    /// The SQL for this filter, newest first; `limit` is applied by the caller's choice.
    fn build<'q>(&'q self, namespace: &'q str, limit: Option<i64>) -> QueryBuilder<'q, Postgres> {
        let mut q = QueryBuilder::new(
            "SELECT id, event_id, event_type, event_time, actor_id, request_id, reason, \
             on_behalf_of, namespace, resource_type, resource_id, ip_address, user_agent, \
             old_values, new_values FROM authn.audit_events WHERE namespace = ",
        );
        q.push_bind(namespace);
        if let Some(v) = &self.event_type {
            q.push(" AND event_type = ").push_bind(v);
        }
        if let Some(v) = &self.resource_type {
            q.push(" AND resource_type = ").push_bind(v);
        }
        if let Some(v) = &self.resource_id {
            q.push(" AND resource_id = ").push_bind(v);
        }
        if let Some(v) = &self.actor_id {
            q.push(" AND actor_id = ").push_bind(v);
        }
        if let Some(v) = self.since {
            q.push(" AND event_time >= ").push_bind(v);
        }
        if let Some(v) = self.until {
            q.push(" AND event_time < ").push_bind(v);
        }
        if let Some(c) = self.after {
            q.push(" AND (event_time, id) < (")
                .push_bind(c.event_time)
                .push(", ")
                .push_bind(c.id)
                .push(")");
        }
        q.push(" ORDER BY event_time DESC, id DESC");
        if let Some(limit) = limit {
            q.push(" LIMIT ").push_bind(limit);
        }
        q
    }
}

core_operations! {
    /// The namespace's audit events matching `query`, newest first.
    pub async fn get_audit_events(&mut self, query: &AuditQuery) -> Vec<AuditEvent> {
        let (conn, ns) = self.parts();
        let mut q = query.build(ns, Some(query.limit));
        Ok(q.build_query_as::<AuditEvent>().fetch_all(conn).await?)
    }
}

impl AuthnTx<'_> {
    /// Writes an event of the application's own (an event type the schema admits beside the
    /// core's, such as the console's) to the namespace's trail through the core's writer, so it
    /// carries this transaction's actor, request id, reason, address and user agent, and
    /// commits or rolls back with the change it records.
    pub async fn log_event(
        &mut self,
        event_type: &str,
        resource_type: &str,
        resource_id: &str,
        old_values: Option<serde_json::Value>,
        new_values: Option<serde_json::Value>,
    ) -> Result<()> {
        let (conn, ns) = self.parts();
        sqlx::query("SELECT authn._log_event($1, $2, $3, $4, $5, $6)")
            .bind(event_type)
            .bind(ns)
            .bind(resource_type)
            .bind(resource_id)
            .bind(old_values)
            .bind(new_values)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Every event matching `query` (its `limit` ignored), newest first, handed to `each` one
    /// at a time as the database sends them: an export of a million events never holds more
    /// than one. `each` answers whether to go on. Returns how many were handed over.
    pub async fn for_each_audit_event<F, Fut>(
        &mut self,
        query: &AuditQuery,
        mut each: F,
    ) -> Result<u64>
    where
        F: FnMut(AuditEvent) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let (conn, ns) = self.parts();
        let mut q = query.build(ns, None);
        let mut rows = q.build_query_as::<AuditEvent>().fetch(conn);
        let mut count = 0;
        while let Some(event) = rows.try_next().await? {
            count += 1;
            if !each(event).await {
                break;
            }
        }
        Ok(count)
    }
}
