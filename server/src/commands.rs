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

pub async fn migrate(config: &Config, app_role: Option<&str>) -> Result<(), String> {
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
    if let Some(role) = app_role {
        let password = match std::env::var("GATEHOUSE_APP_ROLE_PASSWORD") {
            Ok(p) if !p.is_empty() => SecretString::from(p),
            _ => read_password()?,
        };
        if password.expose_secret().is_empty() {
            return Err(format!(
                "--app-role {role}: give its password in GATEHOUSE_APP_ROLE_PASSWORD or on standard input"
            ));
        }
        ensure_login_role(&pool, role, &password).await?;
        println!("login role {role}: granted authn_app, subject to row-level security");
    }
    Ok(())
}

/// Creates the application's login role, or brings an existing one back to what it must be:
/// able to log in with `password`, not a superuser, not BYPASSRLS, member of `authn_app`.
async fn ensure_login_role(
    pool: &PgPool,
    role: &str,
    password: &SecretString,
) -> Result<(), String> {
    let valid = role.len() <= 63
        && role.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && role
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid || role.starts_with("pg_") || role.starts_with("authn_") {
        return Err(format!(
            "--app-role {role}: use lower-case letters, digits and _ (not pg_ or authn_ names)"
        ));
    }
    let mut tx = pool.begin().await.map_err(|e| e.to_string())?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1)")
            .bind(role)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| format!("database error: {e}"))?;
    // Identifiers and the password cannot be bound parameters here; the role name was checked
    // above and the password is quoted by the server's own format().
    let statement: String = sqlx::query_scalar(
        "SELECT format('%s ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD %L', \
                       $1::text, $2::text, $3::text)",
    )
    .bind(if exists { "ALTER" } else { "CREATE" })
    .bind(role)
    .bind(password.expose_secret())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| format!("database error: {e}"))?;
    sqlx::query(&statement)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            format!(
                "cannot create the login role {role}: {}",
                database_message(&e)
            )
        })?;
    sqlx::query(&format!("GRANT authn_app TO \"{role}\""))
        .execute(&mut *tx)
        .await
        .map_err(|e| format!("cannot grant authn_app to {role}: {}", database_message(&e)))?;
    tx.commit().await.map_err(|e| e.to_string())?;
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
/// transaction. Returns the user id and whether it was created.
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
    let core = core(pool, namespace).await?;
    let hash = PasswordHasher::recommended()
        .map_err(|e| e.to_string())?
        .hash(password)
        .await
        .map_err(|e| e.to_string())?;
    let db = |e: authn::AuthnError| format!("database error: {}", e.message());
    let mut tx = core.begin().await.map_err(db)?;
    let (user_id, created) = match tx.get_user_by_email(email.as_str()).await.map_err(db)? {
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
        Grant::Admin => roles::grant_admin(tx.conn(), user_id).await,
        Grant::Operator => roles::grant_operator(tx.conn(), user_id).await,
    };
    granted.map_err(|e| format!("database error: {e}"))?;
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
    let mut conn = pool.acquire().await.map_err(|e| e.to_string())?;
    roles::set_sign_up_mode(&mut conn, ns, SignUpMode::Open)
        .await
        .map_err(|e| format!("database error: {e}"))?;
    println!("demo namespace '{ns}' (open sign-up), password {DEMO_PASSWORD} for:");
    println!("  user      {DEMO_USER}   /{ns}/sign-in");
    println!("  admin     {DEMO_ADMIN}  /{ns}/sign-in");
    println!("  operator  {DEMO_OPERATOR}  /{op_ns}/sign-in");
    Ok(())
}

pub async fn set_sign_up(config: &Config, namespace: &str, mode: &str) -> Result<(), String> {
    let mode = match mode {
        "open" => SignUpMode::Open,
        "invite-only" => SignUpMode::InviteOnly,
        other => return Err(format!("unknown sign-up mode {other}")),
    };
    let pool = connect(config).await?;
    let core = core(&pool, namespace).await?;
    let mut conn = pool.acquire().await.map_err(|e| e.to_string())?;
    roles::set_sign_up_mode(&mut conn, core.namespace(), mode)
        .await
        .map_err(|e| format!("database error: {e}"))?;
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
    let core = core(&pool, namespace).await?;
    let mut conn = pool.acquire().await.map_err(|e| e.to_string())?;
    let done = roles::set_mfa_requirement(&mut conn, core.namespace(), who, required).await;
    done.map_err(|e| format!("database error: {e}"))?;
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
    use identity::admin::{accounts, lockouts, Reason};
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
        "disable" => accounts::disable_any(&core, user.user_id).await.map(|_| ()),
        "enable" => accounts::enable(&core, user.user_id).await.map(|_| ()),
        "unlock" => lockouts::unlock_any(&core, email.as_str(), &reason)
            .await
            .map(|_| ()),
        "reset-methods" => accounts::reset_methods_any(&core, user.user_id)
            .await
            .map(|_| ()),
        "delete" => accounts::delete_any(&core, user.user_id).await,
        other => return Err(format!("unknown action {other}")),
    };
    done.map_err(|e| e.to_string())?;
    println!("{action}: {email} in {namespace}");
    Ok(())
}

/// One cleanup pass over every namespace; also what the server's hourly job runs.
pub async fn cleanup_pass(pool: &PgPool, default_namespace: &str) -> Result<String, String> {
    let namespaces: Vec<String> = sqlx::query_scalar("SELECT gatehouse.namespaces_in_use()")
        .fetch_all(pool)
        .await
        .map_err(|e| format!("database error: {e}"))?;
    let (mut sessions, mut tokens, mut refresh, mut keys, mut attempts) = (0, 0, 0, 0, 0);
    for ns in &namespaces {
        let counts = core(pool, ns)
            .await?
            .cleanup_expired()
            .await
            .map_err(|e| format!("cleanup of {ns}: {}", e.message()))?;
        sessions += counts.sessions_deleted;
        tokens += counts.tokens_deleted;
        refresh += counts.refresh_tokens_deleted;
        keys += counts.api_keys_deleted;
        attempts += counts.attempts_deleted;
    }
    outbox::purge_expired_bodies(pool)
        .await
        .map_err(|e| format!("database error: {e}"))?;
    let mail = outbox::purge_older_than(pool, 30)
        .await
        .map_err(|e| format!("database error: {e}"))?;
    let mut conn = pool.acquire().await.map_err(|e| e.to_string())?;
    let pending = identity::pending::purge_expired(&mut conn)
        .await
        .map_err(|e| format!("database error: {e}"))?;
    let sudo = identity::reauth::purge_stale(&mut conn)
        .await
        .map_err(|e| format!("database error: {e}"))?;
    let activity = identity::activity::purge_older_than(&mut conn, 90)
        .await
        .map_err(|e| format!("database error: {e}"))?;
    let email_changes = identity::email_change::purge_expired(&mut conn)
        .await
        .map_err(|e| format!("database error: {e}"))?;
    let ceremonies = identity::passkeys::purge_expired(&mut conn)
        .await
        .map_err(|e| format!("database error: {e}"))?;
    let codes = identity::email_code::purge_expired(&mut conn)
        .await
        .map_err(|e| format!("database error: {e}"))?;
    let partitions = core(pool, default_namespace)
        .await?
        .ensure_audit_partitions(3)
        .await
        .map_err(|e| format!("audit partitions: {}", e.message()))?;
    Ok(format!(
        "{} namespaces: {sessions} sessions, {tokens} one-time tokens, {refresh} refresh tokens, \
         {keys} API keys, {attempts} sign-in attempts, {pending} pending sign-ins, {sudo} stale re-authentications, {activity} old activity entries, {email_changes} expired e-mail changes, {ceremonies} passkey ceremonies, {codes} expired e-mail codes, {mail} old mails removed; {} audit partitions created",
        namespaces.len(),
        partitions.len()
    ))
}

pub async fn cleanup(config: &Config) -> Result<(), String> {
    let pool = connect(config).await?;
    println!("{}", cleanup_pass(&pool, &config.default_namespace).await?);
    Ok(())
}
