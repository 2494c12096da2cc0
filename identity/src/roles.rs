//! Who may do what beyond using their own account: namespace admins, platform operators, and
//! how each namespace admits new users. Stored in the `gatehouse` schema; this module is the
//! one place that reads or writes it.

use authn::AuthnTx;
use uuid::Uuid;
use vocabulary::EventType;

/// What a signed-in user may do besides managing their own account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Roles {
    /// Administers the namespace the user belongs to.
    pub admin: bool,
    /// A platform operator: a user of the operator namespace with the operator grant.
    pub operator: bool,
    /// Whether the user's namespace asks admins and operators for two-step verification
    /// before they use the console (on unless the namespace turned it off).
    pub console_requires_mfa: bool,
    /// Whether the user's namespace asks every account for two-step verification (off unless
    /// the namespace turned it on).
    pub accounts_require_mfa: bool,
}

/// Why someone must set up a second factor before going on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MfaDue {
    /// An admin or operator, before the console.
    Console,
    /// Anyone of a namespace that requires it, before anything but setting it up.
    Account,
}

impl Roles {
    /// Admin or operator: someone the console is for.
    pub fn privileged(&self) -> bool {
        self.admin || self.operator
    }
}

/// How a namespace admits new users.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignUpMode {
    Open,
    InviteOnly,
}

impl SignUpMode {
    fn as_str(self) -> &'static str {
        match self {
            SignUpMode::Open => "open",
            SignUpMode::InviteOnly => "invite_only",
        }
    }
}

/// The roles of `user_id`, a user of `namespace`. `operator_namespace` is the deployment's
/// configured operator namespace: an operator row counts only for its users.
pub async fn roles_of(
    tx: &mut AuthnTx<'_>,
    user_id: Uuid,
    operator_namespace: &str,
) -> Result<Roles, sqlx::Error> {
    let (conn, namespace) = tx.parts();
    let (admin, operator, console_requires_mfa, accounts_require_mfa): (bool, bool, bool, bool) =
        sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM gatehouse.namespace_admins WHERE user_id = $1), \
                    EXISTS (SELECT 1 FROM gatehouse.platform_operators WHERE user_id = $1), \
                    coalesce(s.console_requires_mfa, true), coalesce(s.accounts_require_mfa, false) \
               FROM (SELECT 1) AS one \
               LEFT JOIN gatehouse.namespace_settings s ON s.namespace = $2",
        )
        .bind(user_id)
        .bind(namespace)
        .fetch_one(conn)
        .await?;
    Ok(Roles {
        admin,
        operator: operator && namespace == operator_namespace,
        console_requires_mfa,
        accounts_require_mfa,
    })
}

/// Whether the user is an admin or an operator in any way (such accounts are never
/// impersonated, whatever namespace the operator grant counts in).
pub async fn holds_any_role(tx: &mut AuthnTx<'_>, user_id: Uuid) -> Result<bool, sqlx::Error> {
    let conn = tx.conn();
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM gatehouse.namespace_admins WHERE user_id = $1) \
             OR EXISTS (SELECT 1 FROM gatehouse.platform_operators WHERE user_id = $1)",
    )
    .bind(user_id)
    .fetch_one(conn)
    .await
}

/// The admins of the transaction's namespace (row-level security keeps the list to it).
pub async fn admin_ids(tx: &mut AuthnTx<'_>) -> Result<Vec<Uuid>, sqlx::Error> {
    let conn = tx.conn();
    sqlx::query_scalar("SELECT user_id FROM gatehouse.namespace_admins ORDER BY granted_at")
        .fetch_all(conn)
        .await
}

/// Makes the user an admin of their namespace (idempotent). A new grant is written to the
/// namespace's audit trail (`role_granted`) under the transaction's actor.
pub async fn grant_admin(tx: &mut AuthnTx<'_>, user_id: Uuid) -> Result<(), authn::AuthnError> {
    let granted = sqlx::query(
        "INSERT INTO gatehouse.namespace_admins (user_id) VALUES ($1) ON CONFLICT DO NOTHING",
    )
    .bind(user_id)
    .execute(tx.conn())
    .await?;
    if granted.rows_affected() > 0 {
        log_grant(tx, user_id, "admin").await?;
    }
    Ok(())
}

/// Makes the user a platform operator (idempotent), audited as [`grant_admin`] is. The caller
/// checks that the user belongs to the operator namespace.
pub async fn grant_operator(tx: &mut AuthnTx<'_>, user_id: Uuid) -> Result<(), authn::AuthnError> {
    let granted = sqlx::query(
        "INSERT INTO gatehouse.platform_operators (user_id) VALUES ($1) ON CONFLICT DO NOTHING",
    )
    .bind(user_id)
    .execute(tx.conn())
    .await?;
    if granted.rows_affected() > 0 {
        log_grant(tx, user_id, "operator").await?;
    }
    Ok(())
}

async fn log_grant(
    tx: &mut AuthnTx<'_>,
    user_id: Uuid,
    role: &str,
) -> Result<(), authn::AuthnError> {
    tx.log_event(
        EventType::RoleGranted.as_str(),
        "user",
        &user_id.to_string(),
        None,
        Some(serde_json::json!({ "role": role })),
    )
    .await
}

/// A namespace setting changed, written to the audit trail: `namespace_settings_updated` with
/// the column's value before and after, under the transaction's actor (the console's admin, or
/// `cli`).
pub(crate) async fn log_setting(
    tx: &mut AuthnTx<'_>,
    column: &str,
    before: serde_json::Value,
    after: serde_json::Value,
) -> Result<(), authn::AuthnError> {
    let namespace = tx.namespace().to_owned();
    tx.log_event(
        EventType::NamespaceSettingsUpdated.as_str(),
        "namespace",
        &namespace,
        Some(serde_json::json!({ column: before })),
        Some(serde_json::json!({ column: after })),
    )
    .await
}

/// [`sign_up_mode`] of `authn`'s namespace, in a transaction of its own.
pub async fn sign_up_mode_of(authn: &authn::Authn) -> Result<SignUpMode, authn::AuthnError> {
    let mut tx = authn.begin().await?;
    let mode = sign_up_mode(&mut tx).await?;
    tx.commit().await?;
    Ok(mode)
}

/// The namespace's sign-up mode; invite-only unless somebody opened it.
pub async fn sign_up_mode(tx: &mut AuthnTx<'_>) -> Result<SignUpMode, sqlx::Error> {
    let (conn, namespace) = tx.parts();
    let mode: Option<String> =
        sqlx::query_scalar("SELECT sign_up FROM gatehouse.namespace_settings WHERE namespace = $1")
            .bind(namespace)
            .fetch_optional(conn)
            .await?;
    Ok(match mode.as_deref() {
        Some("open") => SignUpMode::Open,
        _ => SignUpMode::InviteOnly,
    })
}

/// Whether the user must set up a second factor (an authenticator app or a passkey; recovery
/// codes alone do not count) before going on, and why. Asks the core only for people a
/// requirement applies to.
pub async fn mfa_due(
    authn: &authn::Authn,
    user_id: Uuid,
    roles: &Roles,
) -> Result<Option<MfaDue>, authn::AuthnError> {
    let due = if roles.accounts_require_mfa {
        MfaDue::Account
    } else if roles.privileged() && roles.console_requires_mfa {
        MfaDue::Console
    } else {
        return Ok(None);
    };
    let methods = authn.list_mfa(user_id).await?;
    let second_factors = [
        authn::MfaType::Totp.as_str(),
        authn::MfaType::Webauthn.as_str(),
    ];
    let enrolled = methods
        .iter()
        .any(|m| second_factors.contains(&m.mfa_type.as_str()));
    Ok((!enrolled).then_some(due))
}

/// Whether the namespace requires two-step verification of every account.
pub async fn accounts_require_mfa(tx: &mut AuthnTx<'_>) -> Result<bool, sqlx::Error> {
    let (conn, namespace) = tx.parts();
    let required: Option<bool> = sqlx::query_scalar(
        "SELECT accounts_require_mfa FROM gatehouse.namespace_settings WHERE namespace = $1",
    )
    .bind(namespace)
    .fetch_optional(conn)
    .await?;
    Ok(required.unwrap_or(false))
}

/// Turns one of a namespace's two-step requirements on or off (the CLI does this), audited.
pub async fn set_mfa_requirement(
    tx: &mut AuthnTx<'_>,
    who: MfaDue,
    required: bool,
) -> Result<(), authn::AuthnError> {
    // The column cannot be a parameter: one fixed statement per requirement. Each returns the
    // value before the change (the default when the namespace had no settings row).
    let (column, statement) = match who {
        MfaDue::Console => (
            "console_requires_mfa",
            "WITH old AS (SELECT console_requires_mfa AS v FROM gatehouse.namespace_settings \
                           WHERE namespace = $1) \
             INSERT INTO gatehouse.namespace_settings (namespace, console_requires_mfa) \
             VALUES ($1, $2) ON CONFLICT (namespace) DO UPDATE \
                SET console_requires_mfa = EXCLUDED.console_requires_mfa, updated_at = now() \
             RETURNING coalesce((SELECT v FROM old), true)",
        ),
        MfaDue::Account => (
            "accounts_require_mfa",
            "WITH old AS (SELECT accounts_require_mfa AS v FROM gatehouse.namespace_settings \
                           WHERE namespace = $1) \
             INSERT INTO gatehouse.namespace_settings (namespace, accounts_require_mfa) \
             VALUES ($1, $2) ON CONFLICT (namespace) DO UPDATE \
                SET accounts_require_mfa = EXCLUDED.accounts_require_mfa, updated_at = now() \
             RETURNING coalesce((SELECT v FROM old), false)",
        ),
    };
    let (conn, namespace) = tx.parts();
    let before: bool = sqlx::query_scalar(statement)
        .bind(namespace)
        .bind(required)
        .fetch_one(conn)
        .await?;
    if before != required {
        log_setting(tx, column, before.into(), required.into()).await?;
    }
    Ok(())
}

/// Sets how the namespace admits new users (the CLI does this), audited.
pub async fn set_sign_up_mode(
    tx: &mut AuthnTx<'_>,
    mode: SignUpMode,
) -> Result<(), authn::AuthnError> {
    let before = sign_up_mode(tx).await?;
    let (conn, namespace) = tx.parts();
    sqlx::query(
        "INSERT INTO gatehouse.namespace_settings (namespace, sign_up) VALUES ($1, $2) \
         ON CONFLICT (namespace) DO UPDATE SET sign_up = EXCLUDED.sign_up, updated_at = now()",
    )
    .bind(namespace)
    .bind(mode.as_str())
    .execute(conn)
    .await?;
    if before != mode {
        log_setting(tx, "sign_up", before.as_str().into(), mode.as_str().into()).await?;
    }
    Ok(())
}

/// Every namespace with users (`gatehouse.namespaces_in_use`, which looks past row-level
/// security and returns names only): what the upkeep and the operator console go through.
pub async fn namespaces_in_use(pool: &sqlx::PgPool) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT gatehouse.namespaces_in_use()")
        .fetch_all(pool)
        .await
}
