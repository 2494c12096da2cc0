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
    ] {
        sqlx::query(&statement)
            .execute(&app.superuser)
            .await
            .unwrap();
    }
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
