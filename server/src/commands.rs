//! The one-shot commands: `migrate`, `seed-demo`, `create-user`, `create-admin`,
//! `set-sign-up`, `set-console-mfa`, `account`, `cleanup`.

use authn::Authn;
use identity::mail::outbox;
use identity::roles::{self, SignUpMode};
use identity::{EmailAddress, PasswordHasher, PasswordPolicy};
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use uuid::Uuid;

use crate::config::Config;

/// The demo accounts printed by the run command.
pub const DEMO_USER: &str = "user@demo.example";
pub const DEMO_ADMIN: &str = "admin@demo.example";
pub const DEMO_OPERATOR: &str = "operator@platform.example";
pub const DEMO_PASSWORD: &str = "demo-password-123";

pub async fn connect(config: &Config) -> Result<PgPool, String> {
    PgPool::connect(&config.database_url)
        .await
        .map_err(|e| format!("cannot connect to the database: {e}"))
}

async fn core(pool: &PgPool, namespace: &str) -> Result<Authn, String> {
    Authn::new(pool.clone(), namespace)
        .await
        .map_err(|e| match e {
            e if e.is_client_error() => format!("invalid namespace: {}", e.message()),
            e => format!("database error: {}", e.message()),
        })
}

/// [`core`] acting as the command line: what it changes is audited under the actor `cli`.
async fn cli_core(pool: &PgPool, namespace: &str) -> Result<Authn, String> {
    Ok(core(pool, namespace)
        .await?
        .with_actor(authn::Actor::id("cli")))
}

/// What a login role made by `migrate` is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleKind {
    /// The server's tenant pool: member of `authn_app` (row-level security applies).
    App,
    /// The server's small operator pool: member of `authn_operator` only, so it can run the
    /// core's operator functions and read no tenant table itself.
    Operator,
}

impl RoleKind {
    /// The core's role this kind of login role is a member of, and the other one it must not be.
    fn grants(self) -> (&'static str, &'static str) {
        match self {
            RoleKind::App => ("authn_app", "authn_operator"),
            RoleKind::Operator => ("authn_operator", "authn_app"),
        }
    }

    fn flag(self) -> &'static str {
        match self {
            RoleKind::App => "--app-role",
            RoleKind::Operator => "--operator-role",
        }
    }

    /// The environment variable its password may come from.
    pub fn password_variable(self) -> &'static str {
        match self {
            RoleKind::App => "GATEHOUSE_APP_ROLE_PASSWORD",
            RoleKind::Operator => "GATEHOUSE_OPERATOR_ROLE_PASSWORD",
        }
    }
}

/// A login role `migrate` creates or brings up to date.
#[derive(Debug)]
pub struct LoginRole {
    pub kind: RoleKind,
    pub name: String,
    pub password: SecretString,
}

impl LoginRole {
    /// The role `name` of `kind`, its password from the environment or else one line of
    /// standard input (never the command line, where other users of the machine see it).
    pub fn from_environment(kind: RoleKind, name: String) -> Result<LoginRole, String> {
        let password = match std::env::var(kind.password_variable()) {
            Ok(p) if !p.is_empty() => SecretString::from(p),
            _ => read_password()?,
        };
        if password.expose_secret().is_empty() {
            return Err(format!(
                "{} {name}: give its password in {} or on standard input",
                kind.flag(),
                kind.password_variable()
            ));
        }
        Ok(LoginRole {
            kind,
            name,
            password,
        })
    }
}

pub async fn migrate(config: &Config, roles: &[LoginRole]) -> Result<(), String> {
    let pool = connect(config).await?;
    authn::MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| format!("migration failed: {e}"))?;
    core(&pool, &config.default_namespace)
        .await?
        .ensure_audit_partitions(3)
        .await
        .map_err(|e| e.message().to_owned())?;
    println!("database migrated");
    let analyzed = authn::analyze_tables_without_statistics(&pool)
        .await
        .map_err(|e| e.message().to_owned())?;
    if !analyzed.is_empty() {
        println!(
            "planner statistics taken for {} tables that held data but had none (a restored dump, a bulk load)",
            analyzed.len()
        );
    }
    ensure_login_roles(&pool, roles).await?;
    for role in roles {
        let (member, _) = role.kind.grants();
        println!(
            "login role {}: granted {member}, subject to row-level security",
            role.name
        );
    }
    Ok(())
}

/// Creates the login roles, or brings existing ones back to what they must be: able to log in
/// with their password, not superusers, not BYPASSRLS, members of their core role and not of
/// the other one. All or nothing.
pub async fn ensure_login_roles(pool: &PgPool, roles: &[LoginRole]) -> Result<(), String> {
    if let [a, b] = roles {
        if a.name == b.name {
            return Err(format!(
                "--app-role and --operator-role must be two roles, not both {}",
                a.name
            ));
        }
    }
    for role in roles {
        let name = &role.name;
        let valid = name.len() <= 63
            && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid || name.starts_with("pg_") || name.starts_with("authn_") {
            return Err(format!(
                "{} {name}: use lower-case letters, digits and _ (not pg_ or authn_ names)",
                role.kind.flag()
            ));
        }
    }
    let mut tx = pool.begin().await.map_err(|e| e.to_string())?;
    for role in roles {
        ensure_login_role(&mut tx, role).await?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(())
}

async fn ensure_login_role(conn: &mut sqlx::PgConnection, role: &LoginRole) -> Result<(), String> {
    let name = &role.name;
    let (member, other) = role.kind.grants();
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1)")
            .bind(name)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| format!("database error: {e}"))?;
    // Identifiers and the password cannot be bound parameters here; the role name was checked
    // by the caller and the password is quoted by the server's own format().
    let statement: String = sqlx::query_scalar(
        "SELECT format('%s ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD %L', \
                       $1::text, $2::text, $3::text)",
    )
    .bind(if exists { "ALTER" } else { "CREATE" })
    .bind(name)
    .bind(role.password.expose_secret())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| format!("database error: {e}"))?;
    sqlx::query(&statement)
        .execute(&mut *conn)
        .await
        .map_err(|e| {
            format!(
                "cannot create the login role {name}: {}",
                database_message(&e)
            )
        })?;
    sqlx::query(&format!("GRANT {member} TO \"{name}\""))
        .execute(&mut *conn)
        .await
        .map_err(|e| format!("cannot grant {member} to {name}: {}", database_message(&e)))?;
    // A role that was given both (an older set-up, a hand-made role) loses the other one: the
    // tenant pool must not run operator functions, nor the operator pool read tenant tables;
    // and neither may become the BYPASSRLS owner of the definer functions.
    for revoked in [other, "authn_definer"] {
        let member: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m \
                              JOIN pg_catalog.pg_roles r ON r.oid = m.roleid \
                              JOIN pg_catalog.pg_roles u ON u.oid = m.member \
                             WHERE r.rolname = $1 AND u.rolname = $2)",
        )
        .bind(revoked)
        .bind(name)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| format!("database error: {e}"))?;
        if !member {
            continue;
        }
        sqlx::query(&format!("REVOKE {revoked} FROM \"{name}\""))
            .execute(&mut *conn)
            .await
            .map_err(|e| {
                format!(
                    "cannot revoke {revoked} from {name}: {}",
                    database_message(&e)
                )
            })?;
    }
    Ok(())
}

/// A database error's message without the statement (which may hold a password).
fn database_message(e: &sqlx::Error) -> String {
    e.as_database_error()
        .map(|d| d.message().to_owned())
        .unwrap_or_else(|| "connection failed".into())
}

/// What kind of account to create.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    None,
    Admin,
    Operator,
}

/// Creates a verified user (or finds the existing one) and grants the role, in one
/// transaction, audited under the actor `cli`. Returns the user id and whether it was created.
/// An existing account keeps its own password (the one typed is not used) and must have
/// confirmed its address: an unconfirmed one may have been signed up by somebody else with
/// that address (pre-hijacking), and a role would make that person an admin.
async fn ensure_account(
    pool: &PgPool,
    namespace: &str,
    email: &str,
    password: &SecretString,
    grant: Grant,
    operator_namespace: &str,
) -> Result<(Uuid, bool), String> {
    let email = EmailAddress::parse(email).map_err(|e| e.to_string())?;
    if grant == Grant::Operator && namespace != operator_namespace {
        return Err(format!(
            "operators are users of the operator namespace '{operator_namespace}', not '{namespace}'"
        ));
    }
    PasswordPolicy::default()
        .check(password.expose_secret(), email.as_str())
        .map_err(|e| format!("password refused: {e}"))?;
    let core = cli_core(pool, namespace).await?;
    let hash = PasswordHasher::recommended()
        .map_err(|e| e.to_string())?
        .hash(password)
        .await
        .map_err(|e| e.to_string())?;
    let db = |e: authn::AuthnError| format!("database error: {}", e.message());
    let mut tx = core.begin().await.map_err(db)?;
    let (user_id, created) = match tx.get_user_by_email(email.as_str()).await.map_err(db)? {
        Some(user) if grant != Grant::None && user.email_verified_at.is_none() => {
            return Err(format!(
                "{email} exists in {namespace} but has not confirmed its address; it cannot be \
                 given a role until its owner does (or delete it with `gatehouse account`)"
            ));
        }
        Some(user) => (user.user_id, false),
        None => (
            identity::provisioning::create_verified_user(&mut tx, &email, Some(&hash))
                .await
                .map_err(db)?,
            true,
        ),
    };
    let granted = match grant {
        Grant::None => Ok(()),
        Grant::Admin => roles::grant_admin(&mut tx, user_id).await,
        Grant::Operator => roles::grant_operator(&mut tx, user_id).await,
    };
    granted.map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok((user_id, created))
}

fn read_password() -> Result<SecretString, String> {
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    Ok(SecretString::from(
        password.trim_end_matches(['\r', '\n']).to_owned(),
    ))
}

pub async fn create_user(
    config: &Config,
    namespace: &str,
    email: &str,
    grant: Grant,
) -> Result<(), String> {
    let password = read_password()?;
    let pool = connect(config).await?;
    let (id, created) = ensure_account(
        &pool,
        namespace,
        email,
        &password,
        grant,
        &config.operator_namespace,
    )
    .await?;
    if !created && grant == Grant::None {
        return Err(format!("{email} already exists in {namespace}"));
    }
    if !created {
        eprintln!("{email} already had an account: role granted, its own password kept");
    }
    println!("{id}");
    Ok(())
}

pub async fn seed(config: &Config) -> Result<(), String> {
    let pool = connect(config).await?;
    let password = SecretString::from(DEMO_PASSWORD);
    let ns = &config.default_namespace;
    let op_ns = &config.operator_namespace;
    ensure_account(&pool, ns, DEMO_USER, &password, Grant::None, op_ns).await?;
    ensure_account(&pool, ns, DEMO_ADMIN, &password, Grant::Admin, op_ns).await?;
    ensure_account(
        &pool,
        op_ns,
        DEMO_OPERATOR,
        &password,
        Grant::Operator,
        op_ns,
    )
    .await?;
    let mut tx = cli_core(&pool, ns)
        .await?
        .begin()
        .await
        .map_err(|e| e.message().to_owned())?;
    roles::set_sign_up_mode(&mut tx, SignUpMode::Open)
        .await
        .map_err(|e| e.message())?;
    tx.commit().await.map_err(|e| e.message().to_owned())?;
    println!("demo namespace '{ns}' (open sign-up), password {DEMO_PASSWORD} for:");
    let (sign_in, operator_sign_in) = (
        vocabulary::Page::SignIn.path(ns),
        vocabulary::Page::SignIn.path(op_ns),
    );
    println!("  user      {DEMO_USER}   {sign_in}");
    println!("  admin     {DEMO_ADMIN}  {sign_in}");
    println!("  operator  {DEMO_OPERATOR}  {operator_sign_in}");
    Ok(())
}

pub async fn set_sign_up(config: &Config, namespace: &str, mode: &str) -> Result<(), String> {
    let mode = match mode {
        "open" => SignUpMode::Open,
        "invite-only" => SignUpMode::InviteOnly,
        other => return Err(format!("unknown sign-up mode {other}")),
    };
    let pool = connect(config).await?;
    let core = cli_core(&pool, namespace).await?;
    let mut tx = core.begin().await.map_err(|e| e.message().to_owned())?;
    roles::set_sign_up_mode(&mut tx, mode)
        .await
        .map_err(|e| e.message())?;
    tx.commit().await.map_err(|e| e.message().to_owned())?;
    println!("sign-up in {namespace}: {mode:?}");
    Ok(())
}

pub async fn set_mfa_requirement(
    config: &Config,
    namespace: &str,
    who: roles::MfaDue,
    mode: &str,
) -> Result<(), String> {
    let required = match mode {
        "required" => true,
        "optional" => false,
        other => return Err(format!("unknown mode {other}")),
    };
    let pool = connect(config).await?;
    let core = cli_core(&pool, namespace).await?;
    let mut tx = core.begin().await.map_err(|e| e.message().to_owned())?;
    roles::set_mfa_requirement(&mut tx, who, required)
        .await
        .map_err(|e| e.message())?;
    tx.commit().await.map_err(|e| e.message().to_owned())?;
    println!("two-step verification for {who:?} of {namespace}: {mode}");
    Ok(())
}

/// An action on an account that the console keeps from admins when the account is an admin's
/// or an operator's. Runs as the actor `cli` with the reason on every audit event.
pub async fn account(
    config: &Config,
    namespace: &str,
    email: &str,
    action: &str,
    reason: &str,
) -> Result<(), String> {
    use identity::admin::{lockouts, user, Reason};
    let reason = Reason::parse(reason).map_err(|e| e.to_string())?;
    let email = EmailAddress::parse(email).map_err(|e| e.to_string())?;
    let pool = connect(config).await?;
    let core = core(&pool, namespace).await?.with_actor(authn::Actor {
        reason: Some(reason.as_str().to_owned()),
        ..authn::Actor::id("cli".to_owned())
    });
    let user = core
        .get_user_by_email(email.as_str())
        .await
        .map_err(|e| format!("database error: {}", e.message()))?
        .ok_or_else(|| format!("no account {email} in {namespace}"))?;
    let done = match action {
        "disable" => user::disable_any(&core, user.user_id).await.map(|_| ()),
        "enable" => user::enable_any(&core, user.user_id).await.map(|_| ()),
        "unlock" => lockouts::unlock_any(&core, email.as_str(), &reason)
            .await
            .map(|_| ()),
        "reset-methods" => user::reset_methods_any(&core, user.user_id)
            .await
            .map(|_| ()),
        "delete" => user::delete_any(&core, user.user_id).await,
        other => return Err(format!("unknown action {other}")),
    };
    done.map_err(|e| e.to_string())?;
    println!("{action}: {email} in {namespace}");
    Ok(())
}

/// One cleanup pass over every namespace; also what the server's hourly job runs.
pub async fn cleanup_pass(pool: &PgPool, default_namespace: &str) -> Result<String, String> {
    let namespaces = roles::namespaces_in_use(pool)
        .await
        .map_err(|e| format!("database error: {e}"))?;
    let (mut sessions, mut tokens, mut refresh, mut keys, mut attempts) = (0, 0, 0, 0, 0);
    let (mut pending, mut sudo, mut activity, mut email_changes, mut ceremonies, mut codes) =
        (0, 0, 0, 0, 0, 0);
    let mut devices = 0;
    let database = |e: sqlx::Error| format!("database error: {e}");
    for ns in &namespaces {
        let core = core(pool, ns).await?;
        let counts = core
            .cleanup_expired()
            .await
            .map_err(|e| format!("cleanup of {ns}: {}", e.message()))?;
        sessions += counts.sessions_deleted;
        tokens += counts.tokens_deleted;
        refresh += counts.refresh_tokens_deleted;
        keys += counts.api_keys_deleted;
        attempts += counts.attempts_deleted;
        // The app's own tables are under row-level security like the core's: each namespace's
        // rows are purged in a transaction of that namespace.
        let mut tx = core
            .begin()
            .await
            .map_err(|e| format!("cleanup of {ns}: {}", e.message()))?;
        pending += identity::pending::purge_expired(&mut tx)
            .await
            .map_err(database)?;
        sudo += identity::reauth::purge_stale(&mut tx)
            .await
            .map_err(database)?;
        activity += identity::activity::purge_older_than(&mut tx, identity::activity::KEPT_DAYS)
            .await
            .map_err(database)?;
        devices += identity::sign_in_alert::purge_stale(&mut tx)
            .await
            .map_err(database)?;
        email_changes += identity::email_change::purge_expired(&mut tx)
            .await
            .map_err(database)?;
        ceremonies += identity::passkeys::purge_expired(&mut tx)
            .await
            .map_err(database)?;
        codes += identity::email_code::purge_expired(&mut tx)
            .await
            .map_err(database)?;
        tx.commit()
            .await
            .map_err(|e| format!("cleanup of {ns}: {}", e.message()))?;
    }
    outbox::purge_expired_bodies(pool).await.map_err(database)?;
    let mail = outbox::purge_older_than(pool, 30).await.map_err(database)?;
    let partitions = core(pool, default_namespace)
        .await?
        .ensure_audit_partitions(3)
        .await
        .map_err(|e| format!("audit partitions: {}", e.message()))?;
    Ok(format!(
        "{} namespaces: {sessions} sessions, {tokens} one-time tokens, {refresh} refresh tokens, \
         {keys} API keys, {attempts} sign-in attempts, {pending} pending sign-ins, {sudo} stale re-authentications, {activity} old activity entries, {devices} devices not seen for 90 days, {email_changes} expired e-mail changes, {ceremonies} passkey ceremonies, {codes} expired e-mail codes, {mail} old mails removed; {} audit partitions created",
        namespaces.len(),
        partitions.len()
    ))
}

pub async fn cleanup(config: &Config) -> Result<(), String> {
    let pool = connect(config).await?;
    println!("{}", cleanup_pass(&pool, &config.default_namespace).await?);
    Ok(())
}

/// Writes a new token signing key (base64 of its PKCS#8 form, one line) to `out`, readable by
/// its owner only. An existing file is kept unless `force`: overwriting it would invalidate
/// every access token at once.
pub fn write_token_key(out: &std::path::Path, force: bool) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;

    use base64::Engine;

    if out.exists() && !force {
        println!("{} exists; kept (use --force to replace it)", out.display());
        return Ok(());
    }
    let pkcs8 = identity::api_tokens::TokenKeys::generate_pkcs8()?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(out)
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    writeln!(
        file,
        "{}",
        base64::engine::general_purpose::STANDARD.encode(pkcs8)
    )
    .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!("wrote a new token signing key to {}", out.display());
    Ok(())
}

/// Reads a key file `write_token_key` wrote.
pub fn read_token_key(path: &std::path::Path) -> Result<Vec<u8>, String> {
    use base64::Engine;

    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| "not a key file written by `gatehouse token-key`".to_owned())
}
