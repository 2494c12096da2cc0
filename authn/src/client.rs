//! `Authn` (a namespace-bound client over a pool) and `AuthnTx` (the same operations inside one
//! transaction the caller controls).
//!
//! Every operation runs in a transaction whose first statement sets the tenant
//! (`authn.set_tenant`) and, when the actor has any field, the audit context
//! (`authn.set_actor`), both transaction-locally: this is what row-level security needs under
//! a role that does not bypass it (decision D1), and it means nothing set for one request can
//! leak to the next user of a pooled connection.
//!
//! The three read-only hot paths (`validate_session`, `validate_api_key`, `is_locked_out`) on
//! [`Authn`] save three round trips: one statement sets the tenant with
//! `set_config(.., is_local => true)` in a FROM item that the function call depends on
//! laterally, so the setting is in place before the call and ends with the statement's own
//! transaction.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use sqlx::{Acquire, PgConnection, PgPool, Postgres, Transaction};

use crate::actor::Actor;
use crate::error::Result;

/// The advisory lock of [`AuthnTx::serialise_on`] on the key in parameter `$key` of the
/// namespace in parameter `$ns`, written once for the statements that take it.
macro_rules! advisory_lock {
    ($ns:literal, $key:literal) => {
        concat!(
            "pg_advisory_xact_lock(hashtextextended(",
            $ns,
            " || '/' || lower(btrim(",
            $key,
            ")), 0))"
        )
    };
}

/// A client of the authn core bound to one namespace, carrying the actor of the current
/// request. Cloning is cheap (the pool and namespace are shared).
#[derive(Clone, Debug)]
pub struct Authn {
    pool: PgPool,
    namespace: Arc<str>,
    actor: Actor,
}

/// Several core calls in one transaction: nothing is visible to others until `commit`, and
/// dropping it without committing rolls everything back.
#[derive(Debug)]
pub struct AuthnTx<'c> {
    tx: Transaction<'c, Postgres>,
    namespace: Arc<str>,
    actor: Actor,
}

impl Authn {
    /// Binds a client to `namespace`. Like the reference SDK's constructor, this asks the core
    /// to validate the namespace (`authn.set_tenant`), so an invalid one fails here.
    ///
    /// The core's check is a rule on the name alone, so a name it accepted once it accepts
    /// again: such names are remembered for the life of the process (up to 10,000 of them) and
    /// not asked about again, which would cost every request a round trip before its first
    /// real statement.
    pub async fn new(pool: PgPool, namespace: impl Into<String>) -> Result<Self> {
        let namespace = namespace.into();
        let namespace = match accepted(&namespace) {
            Some(known) => known,
            None => {
                // One statement: the setting is transaction-local and ends with the statement's
                // own transaction, so nothing stays on the pooled connection.
                sqlx::query("SELECT authn.set_tenant($1)")
                    .bind(&namespace)
                    .execute(&pool)
                    .await?;
                remember(namespace)
            }
        };
        Ok(Authn {
            pool,
            namespace,
            actor: Actor::default(),
        })
    }

    /// The namespace every tenant-scoped call is made in.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The pool this client draws connections from.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The actor applied to the calls of this client.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// A client for the same namespace acting as `actor` (the usual per-request value).
    pub fn with_actor(&self, actor: Actor) -> Self {
        Authn {
            actor,
            ..self.clone()
        }
    }

    /// The same client in another namespace, validated like [`Authn::new`].
    pub async fn for_namespace(&self, namespace: impl Into<String>) -> Result<Self> {
        let other = Authn::new(self.pool.clone(), namespace).await?;
        Ok(other.with_actor(self.actor.clone()))
    }

    /// SDK `set_actor`: merge the fields that are set into this client's actor (§9.1).
    pub fn set_actor(&mut self, update: Actor) {
        self.actor.merge(update);
    }

    /// SDK `clear_actor`: forget all six actor fields (client-side only).
    pub fn clear_actor(&mut self) {
        self.actor = Actor::default();
    }

    /// Starts a transaction on a pooled connection with tenant and actor applied.
    pub async fn begin(&self) -> Result<AuthnTx<'static>> {
        let tx = self.pool.begin().await?;
        AuthnTx::start(tx, self.namespace.clone(), self.actor.clone()).await
    }

    /// [`Authn::begin`] holding, until the transaction ends, the advisory lock of `key` in this
    /// namespace ([`AuthnTx::serialise_on`]), taken by the statement that applies the context:
    /// one round trip where the two would take two.
    pub async fn begin_serialised(&self, key: &str) -> Result<AuthnTx<'static>> {
        let mut tx = self.pool.begin().await?;
        apply_context_locked(&mut tx, &self.namespace, &self.actor, Some(key)).await?;
        Ok(AuthnTx {
            tx,
            namespace: self.namespace.clone(),
            actor: self.actor.clone(),
        })
    }

    /// Starts a transaction on a connection or transaction the caller already holds (inside
    /// an open transaction this is a savepoint, and the caller's commit decides).
    pub async fn begin_on<'c, A>(&self, conn: A) -> Result<AuthnTx<'c>>
    where
        A: Acquire<'c, Database = Postgres>,
    {
        let tx = conn.begin().await?;
        AuthnTx::start(tx, self.namespace.clone(), self.actor.clone()).await
    }
}

impl<'c> AuthnTx<'c> {
    async fn start(
        mut tx: Transaction<'c, Postgres>,
        namespace: Arc<str>,
        actor: Actor,
    ) -> Result<Self> {
        apply_context(&mut tx, &namespace, &actor).await?;
        Ok(AuthnTx {
            tx,
            namespace,
            actor,
        })
    }

    /// Makes every change of this transaction permanent.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Undoes every change of this transaction.
    pub async fn rollback(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }

    /// The underlying connection, for the caller's own statements in the same transaction
    /// (they run under the same tenant and actor context).
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// The namespace of this transaction.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The actor currently applied.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Merges `update` into the actor and applies it to the rest of the transaction.
    pub async fn set_actor(&mut self, update: Actor) -> Result<()> {
        self.actor.merge(update);
        apply_context(&mut self.tx, &self.namespace, &self.actor).await
    }

    /// Waits for, then holds until this transaction ends, an advisory lock on `key` (compared
    /// trimmed and in lower case) in this namespace: transactions serialised on the same key
    /// run one after the other. For rules that must see each other's writes, such as lockout
    /// counting attempts on one address.
    pub async fn serialise_on(&mut self, key: &str) -> Result<()> {
        sqlx::query(concat!("SELECT ", advisory_lock!("$1", "$2")))
            .bind(&*self.namespace)
            .bind(key)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// The connection and the namespace at once (one borrow), for statements of the caller's
    /// own that bind the namespace: `let (conn, namespace) = tx.parts();`.
    pub fn parts(&mut self) -> (&mut PgConnection, &str) {
        (&mut self.tx, &self.namespace)
    }
}

/// How many accepted namespace names a process remembers: a deployment has far fewer; past
/// this (names made up by a crawler, say) the memory starts over rather than growing.
const ACCEPTED_MAX: usize = 10_000;

/// The namespace names `authn.set_tenant` accepted in this process (see [`Authn::new`]).
static ACCEPTED: LazyLock<Mutex<HashSet<Arc<str>>>> = LazyLock::new(Mutex::default);

fn accepted(namespace: &str) -> Option<Arc<str>> {
    // A panic elsewhere while holding the lock leaves a set that is still only accepted names.
    let names = ACCEPTED.lock().unwrap_or_else(PoisonError::into_inner);
    names.get(namespace).cloned()
}

/// Names longer than this are accepted but not remembered: real namespaces are short, and the
/// memory stays small (at most `ACCEPTED_MAX` names of this length).
const REMEMBERED_LENGTH: usize = 128;

fn remember(namespace: String) -> Arc<str> {
    let namespace: Arc<str> = Arc::from(namespace);
    if namespace.len() > REMEMBERED_LENGTH {
        return namespace;
    }
    let mut names = ACCEPTED.lock().unwrap_or_else(PoisonError::into_inner);
    if names.len() >= ACCEPTED_MAX {
        names.clear();
    }
    names.insert(namespace.clone());
    namespace
}

/// One round trip: tenant always, actor only when there is one.
pub(crate) async fn apply_context(
    conn: &mut PgConnection,
    namespace: &str,
    actor: &Actor,
) -> Result<()> {
    apply_context_locked(conn, namespace, actor, None).await
}

/// [`apply_context`], taking the advisory lock of `lock` in the same statement when given.
async fn apply_context_locked(
    conn: &mut PgConnection,
    namespace: &str,
    actor: &Actor,
    lock: Option<&str>,
) -> Result<()> {
    let query = match (actor.is_empty(), lock) {
        (true, None) => sqlx::query("SELECT authn.set_tenant($1)").bind(namespace),
        (true, Some(key)) => sqlx::query(concat!(
            "SELECT authn.set_tenant($1), ",
            advisory_lock!("$1", "$2")
        ))
        .bind(namespace)
        .bind(key),
        (false, lock) => {
            let query = sqlx::query(match lock {
                None => "SELECT authn.set_tenant($1), authn.set_actor($2, $3, $4, $5, $6, $7)",
                Some(_) => concat!(
                    "SELECT authn.set_tenant($1), authn.set_actor($2, $3, $4, $5, $6, $7), ",
                    advisory_lock!("$1", "$8")
                ),
            })
            .bind(namespace)
            .bind(actor.actor_id.as_deref())
            .bind(actor.request_id.as_deref())
            .bind(actor.ip_address.map(|ip| ip.to_string()))
            .bind(actor.user_agent.as_deref())
            .bind(actor.on_behalf_of.as_deref())
            .bind(actor.reason.as_deref());
            match lock {
                Some(key) => query.bind(key),
                None => query,
            }
        }
    };
    query.execute(conn).await?;
    Ok(())
}

/// Writes each core operation once, as a method of [`AuthnTx`], and derives the one-shot
/// method of the same name on [`Authn`] that runs it in a transaction of its own.
macro_rules! core_operations {
    ($(
        $(#[$meta:meta])*
        pub async fn $name:ident(&mut $self:ident $(, $arg:ident : $ty:ty)* $(,)?) -> $ret:ty $body:block
    )*) => {
        impl<'c> $crate::client::AuthnTx<'c> {
            $(
                $(#[$meta])*
                pub async fn $name(&mut $self $(, $arg: $ty)*) -> $crate::error::Result<$ret> $body
            )*
        }

        impl $crate::client::Authn {
            $(
                $(#[$meta])*
                pub async fn $name(&self $(, $arg: $ty)*) -> $crate::error::Result<$ret> {
                    let mut tx = self.begin().await?;
                    let out = tx.$name($($arg),*).await?;
                    tx.commit().await?;
                    Ok(out)
                }
            )*
        }
    };
}
pub(crate) use core_operations;
