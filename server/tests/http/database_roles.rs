//! The server's two database roles (issue 9.2): the tenant pool under row-level security and
//! without operator functions, the small operator pool with operator functions and no tenant
//! table, both made by `gatehouse migrate` and checked by `serve` before it starts.

use authn::{Authn, NewSession, StartOperatorImpersonation};
use chrono::TimeDelta;
use gatehouse_server::commands::{ensure_login_roles, LoginRole, RoleKind};
use gatehouse_server::web::{check_database_role, check_operator_role};
use secrecy::SecretString;
use sqlx::PgPool;

use crate::support::spawn_app;

/// The server runs only as a role row-level security applies to: a superuser (or BYPASSRLS)
/// connection is refused with how to make the right one, and so is each pool's role used for
/// the other pool.
#[tokio::test]
async fn the_server_refuses_a_database_role_that_bypasses_row_level_security() {
    let app = spawn_app(&[]).await;
    check_database_role(&app.pool).await.unwrap();
    let err = check_database_role(&app.superuser).await.unwrap_err();
    assert!(
        err.contains("superuser") && err.contains("--app-role"),
        "{err}"
    );
    let err = check_operator_role(&app.superuser).await.unwrap_err();
    assert!(err.contains("--operator-role"), "{err}");
    // The tenant pool's role is no operator role.
    let err = check_operator_role(&app.pool).await.unwrap_err();
    assert!(err.contains("authn_operator only"), "{err}");
}

fn role(kind: RoleKind, name: &str) -> LoginRole {
    LoginRole {
        kind,
        name: name.to_owned(),
        password: SecretString::from(format!("pw-{name}")),
    }
}

async fn connect_as(db: &str, role: &str) -> PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&test_support::url_for(db, Some(role)))
        .await
        .unwrap()
}

fn sqlstate(e: &authn::AuthnError) -> Option<&str> {
    e.sqlstate()
}

/// `migrate --app-role --operator-role` makes two login roles: the tenant one cannot run an
/// operator function (permission denied), the operator one can and cannot read a tenant table;
/// a role given both loses the wrong one when `migrate` runs again; bad requests change nothing.
#[tokio::test]
async fn migrate_makes_a_tenant_role_and_an_operator_role_that_cannot_stand_in_for_each_other() {
    let app = spawn_app(&[]).await;
    let db: String = sqlx::query_scalar("SELECT current_database()::text")
        .fetch_one(&app.superuser)
        .await
        .unwrap();
    // Roles are cluster-wide: names of this process.
    let suffix = std::process::id();
    let (tenant_name, operator_name) = (format!("gh_app_{suffix}"), format!("gh_op_{suffix}"));
    for name in [&tenant_name, &operator_name] {
        sqlx::query(&format!("DROP ROLE IF EXISTS {name}"))
            .execute(&app.superuser)
            .await
            .unwrap();
    }

    // Refused before anything is made: one name for both, a name that is no plain identifier.
    let err = ensure_login_roles(
        &app.superuser,
        &[
            role(RoleKind::App, &tenant_name),
            role(RoleKind::Operator, &tenant_name),
        ],
    )
    .await
    .unwrap_err();
    assert!(err.contains("two roles"), "{err}");
    let err = ensure_login_roles(
        &app.superuser,
        &[
            role(RoleKind::App, &tenant_name),
            role(RoleKind::Operator, "x\"; DROP ROLE postgres; --"),
        ],
    )
    .await
    .unwrap_err();
    assert!(err.contains("lower-case"), "{err}");
    let made: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_roles WHERE rolname = $1")
        .bind(&tenant_name)
        .fetch_one(&app.superuser)
        .await
        .unwrap();
    assert_eq!(made, 0, "a refused request makes nothing");

    // A hand-made role holding both is brought back to one.
    for statement in [
        format!("CREATE ROLE {operator_name} LOGIN"),
        format!("GRANT authn_app TO {operator_name}"),
        format!("GRANT authn_definer TO {operator_name}"),
    ] {
        sqlx::query(&statement)
            .execute(&app.superuser)
            .await
            .unwrap();
    }
    // A member of authn_definer could SET ROLE to the BYPASSRLS owner: refused by both checks.
    let hand_made = connect_as(&db, &operator_name).await;
    let err = check_database_role(&hand_made).await.unwrap_err();
    assert!(err.contains("authn_definer"), "{err}");
    assert!(check_operator_role(&hand_made).await.is_err());
    hand_made.close().await;
    ensure_login_roles(
        &app.superuser,
        &[
            role(RoleKind::App, &tenant_name),
            role(RoleKind::Operator, &operator_name),
        ],
    )
    .await
    .unwrap();
    let tenant = connect_as(&db, &tenant_name).await;
    let operator = connect_as(&db, &operator_name).await;
    check_database_role(&tenant).await.unwrap();
    check_operator_role(&operator).await.unwrap();
    assert!(check_database_role(&operator).await.is_err());
    assert!(check_operator_role(&tenant).await.is_err());

    // An operator's session in the platform namespace, a target in a customer's.
    let platform = Authn::new(tenant.clone(), "platform-roles").await.unwrap();
    let customer = Authn::new(tenant.clone(), "customer-roles").await.unwrap();
    let agent = platform
        .create_user("agent@example.com", None)
        .await
        .unwrap();
    let agent_session = platform
        .create_session(NewSession::new(
            agent,
            &identity::OpaqueToken::generate().hash(),
        ))
        .await
        .unwrap();
    let target = customer
        .create_user("customer@example.com", None)
        .await
        .unwrap();
    let token = identity::OpaqueToken::generate().hash();
    let start = StartOperatorImpersonation {
        operator_session_id: agent_session,
        target_user_id: target,
        target_namespace: "customer-roles",
        token_hash: &token,
        reason: "checking the customer's sign-in",
        duration: Some(TimeDelta::minutes(10)),
        ticket_reference: Some("SUP-1"),
    };
    let denied = platform
        .start_operator_impersonation(start)
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&denied), Some("42501"), "{denied:?}");

    let as_operator = Authn::new(operator.clone(), "platform-roles")
        .await
        .unwrap();
    let started = as_operator
        .start_operator_impersonation(start)
        .await
        .unwrap();
    assert!(as_operator
        .end_operator_impersonation(started.impersonation_id)
        .await
        .unwrap());
    // The operator role reads no tenant table, whatever the tenant setting.
    let read = sqlx::query("SELECT count(*) FROM authn.users")
        .execute(&operator)
        .await
        .unwrap_err();
    assert_eq!(
        read.as_database_error().and_then(|e| e.code()).as_deref(),
        Some("42501")
    );

    tenant.close().await;
    operator.close().await;
    for name in [&tenant_name, &operator_name] {
        sqlx::query(&format!("DROP ROLE {name}"))
            .execute(&app.superuser)
            .await
            .unwrap();
    }
}

/// Issue 9.2: the gatehouse schema's per-namespace tables are under row-level security like the
/// core's. Every table of the schema has it enabled and forced (a new table without it fails
/// here), and as the application role a namespace's transaction sees none of another
/// namespace's rows, cannot write rows for it, and sees nothing at all without a tenant.
#[tokio::test]
async fn the_gatehouse_tables_keep_each_namespace_to_itself() {
    let app = spawn_app(&[]).await;
    let unprotected: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
          WHERE n.nspname = 'gatehouse' AND c.relkind IN ('r', 'p') \
            AND NOT (c.relrowsecurity AND c.relforcerowsecurity) ORDER BY 1",
    )
    .fetch_all(&app.superuser)
    .await
    .unwrap();
    assert_eq!(unprotected, Vec::<String>::new());

    // Two namespaces with an admin and a setting each.
    let (ours, theirs) = (
        Authn::new(app.pool.clone(), "rls-ours").await.unwrap(),
        Authn::new(app.pool.clone(), "rls-theirs").await.unwrap(),
    );
    let mut their_admin = None;
    for core in [&ours, &theirs] {
        let admin = core.create_user("admin@example.com", None).await.unwrap();
        let mut tx = core.begin().await.unwrap();
        identity::roles::grant_admin(&mut tx, admin).await.unwrap();
        identity::roles::set_sign_up_mode(&mut tx, identity::SignUpMode::Open)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        their_admin = Some(admin);
    }
    let their_admin = their_admin.unwrap();

    let count = |table: &'static str| {
        let ours = ours.clone();
        async move {
            let mut tx = ours.begin().await.unwrap();
            let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM gatehouse.{table}"))
                .fetch_one(tx.conn())
                .await
                .unwrap();
            n
        }
    };
    // Each namespace sees its own row of each table, never the other's.
    for table in ["namespace_admins", "namespace_settings"] {
        assert_eq!(count(table).await, 1, "{table}");
    }
    let mut tx = ours.begin().await.unwrap();
    let theirs_seen: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM gatehouse.namespace_settings WHERE namespace = 'rls-theirs'",
    )
    .fetch_one(tx.conn())
    .await
    .unwrap();
    assert_eq!(theirs_seen, 0);
    // Writing for the other namespace fails, by namespace or by the other namespace's user.
    for write in [
        "INSERT INTO gatehouse.namespace_settings (namespace, sign_up) VALUES ('rls-other', 'open')"
            .to_owned(),
        format!("INSERT INTO gatehouse.platform_operators (user_id) VALUES ('{their_admin}')"),
    ] {
        let mut tx = ours.begin().await.unwrap();
        let err = sqlx::query(&write).execute(tx.conn()).await.unwrap_err();
        assert_eq!(
            err.as_database_error().and_then(|e| e.code()).as_deref(),
            Some("42501"),
            "{write}"
        );
    }
    // An update or delete aimed at the other namespace's rows changes nothing.
    let mut tx = ours.begin().await.unwrap();
    let touched = sqlx::query("DELETE FROM gatehouse.namespace_admins WHERE user_id = $1")
        .bind(their_admin)
        .execute(tx.conn())
        .await
        .unwrap()
        .rows_affected();
    tx.commit().await.unwrap();
    assert_eq!(touched, 0);
    // Without a tenant the application role sees nothing.
    let bare: i64 = sqlx::query_scalar("SELECT count(*) FROM gatehouse.namespace_admins")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(bare, 0);
    let all: i64 = sqlx::query_scalar("SELECT count(*) FROM gatehouse.namespace_admins")
        .fetch_one(&app.superuser)
        .await
        .unwrap();
    assert_eq!(all, 2);
}

/// The hourly upkeep runs as the application role: with the gatehouse tables under row-level
/// security it purges each namespace's expired rows in a transaction of that namespace.
#[tokio::test]
async fn upkeep_purges_expired_rows_of_every_namespace_under_row_level_security() {
    let app = spawn_app(&[]).await;
    app.create_user("aged@example.com", "correct horse battery staple")
        .await;
    let core = app.core().await;
    let user = app.user_id("aged@example.com").await;
    let mut tx = core.begin().await.unwrap();
    identity::pending::begin(
        &mut tx,
        user,
        identity::pending::FirstFactor::Password,
        identity::session::ClientInfo::default(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("UPDATE gatehouse.pending_sign_ins SET expires_at = now() - interval '1 second'")
        .execute(&app.superuser)
        .await
        .unwrap();
    let summary = gatehouse_server::commands::cleanup_pass(&app.pool, &app.namespace)
        .await
        .unwrap();
    assert!(summary.contains("1 pending sign-ins"), "{summary}");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM gatehouse.pending_sign_ins")
        .fetch_one(&app.superuser)
        .await
        .unwrap();
    assert_eq!(left, 0);
}
