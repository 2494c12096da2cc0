//! Idle timeout and absolute lifetime against the real core.

use authn::{Authn, NewSession};
use chrono::{TimeDelta, Utc};
use identity::{OpaqueToken, SessionKeeper, SessionPolicy};
use uuid::Uuid;

async fn core() -> Authn {
    let db = crate::harness::database("identity_sessions").await;
    let pool = crate::harness::app_pool(&db, 2).await;
    Authn::new(pool, crate::harness::namespace()).await.unwrap()
}

async fn session(authn: &Authn, lifetime: TimeDelta) -> (Uuid, Uuid, String) {
    let user = authn
        .create_user(&format!("{}@example.com", Uuid::new_v4().simple()), None)
        .await
        .unwrap();
    let token = OpaqueToken::generate().hash();
    let id = authn
        .create_session(NewSession {
            expires_in: Some(lifetime),
            ..NewSession::new(user, &token)
        })
        .await
        .unwrap();
    (user, id, token)
}

async fn expires_at(authn: &Authn, user: Uuid, id: Uuid) -> chrono::DateTime<Utc> {
    authn
        .list_sessions(user)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.session_id == id)
        .unwrap()
        .expires_at
}

#[tokio::test]
async fn activity_slides_the_idle_expiry_but_never_past_the_absolute_lifetime() {
    let authn = core().await;
    let keeper = SessionKeeper::new(SessionPolicy {
        idle: TimeDelta::minutes(30),
        absolute: TimeDelta::hours(8),
    });
    let (user, id, token) = session(&authn, TimeDelta::minutes(1)).await;
    keeper.touch(&authn, id, &token).await.unwrap();
    let slid = expires_at(&authn, user, id).await - Utc::now();
    assert!(
        (slid - TimeDelta::minutes(30)).num_seconds().abs() < 30,
        "{slid}"
    );

    let capped = SessionKeeper::new(SessionPolicy {
        idle: TimeDelta::minutes(30),
        absolute: TimeDelta::minutes(10),
    });
    let (user, id, token) = session(&authn, TimeDelta::minutes(10)).await;
    let before = expires_at(&authn, user, id).await;
    capped.touch(&authn, id, &token).await.unwrap();
    assert_eq!(expires_at(&authn, user, id).await, before);
}

#[tokio::test]
async fn signing_a_device_out_ends_its_refresh_tokens_too() {
    let authn = core().await;
    let (user, first, _) = session(&authn, TimeDelta::hours(1)).await;
    let second_token = OpaqueToken::generate().hash();
    let second = authn
        .create_session(NewSession::new(user, &second_token))
        .await
        .unwrap();
    let first_refresh = OpaqueToken::generate().hash();
    let second_refresh = OpaqueToken::generate().hash();
    authn
        .create_refresh_token(first, &first_refresh, None)
        .await
        .unwrap();
    authn
        .create_refresh_token(second, &second_refresh, None)
        .await
        .unwrap();

    assert!(identity::devices::sign_out_device(&authn, user, first)
        .await
        .unwrap());
    assert!(authn
        .validate_refresh_token(&first_refresh)
        .await
        .unwrap()
        .is_none());
    assert!(authn
        .validate_refresh_token(&second_refresh)
        .await
        .unwrap()
        .is_some());
    // Not twice, and never another user's session.
    assert!(!identity::devices::sign_out_device(&authn, user, first)
        .await
        .unwrap());
    assert!(
        !identity::devices::sign_out_device(&authn, Uuid::new_v4(), second)
            .await
            .unwrap()
    );

    let devices = identity::devices::list_devices(&authn, user, second, TimeDelta::minutes(30))
        .await
        .unwrap();
    assert_eq!(devices.len(), 1);
    assert!(devices[0].current);
    assert_eq!(
        identity::devices::sign_out_other_devices(&authn, user, second)
            .await
            .unwrap(),
        0
    );
}

/// Issue 9.1: resolving a caller is one service; its principal's methods are the role gates.
#[tokio::test]
async fn a_caller_resolves_to_a_principal_whose_methods_are_the_gates() {
    use identity::caller::{AccessError, Callers};
    use identity::roles::MfaDue;

    let authn = core().await;
    let pool = authn.pool().clone();
    let callers = Callers::new(
        SessionKeeper::new(SessionPolicy {
            idle: TimeDelta::minutes(30),
            absolute: TimeDelta::hours(12),
        }),
        "platform",
    );
    assert!(callers
        .resolve(authn.clone(), &pool, "no such token")
        .await
        .unwrap()
        .is_none());

    let admin = authn.create_user("admin@example.com", None).await.unwrap();
    let member = authn.create_user("member@example.com", None).await.unwrap();
    {
        let mut tx = authn.begin().await.unwrap();
        identity::roles::grant_admin(&mut tx, admin).await.unwrap();
        tx.commit().await.unwrap();
    }
    let token = OpaqueToken::generate();
    authn
        .create_session(NewSession::new(admin, &token.hash()))
        .await
        .unwrap();
    let principal = callers
        .resolve(authn.clone(), &pool, token.expose())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(principal.user_id, admin);
    assert!(principal.roles.admin && !principal.roles.operator);
    // The console asks for the admin's own second factor first.
    assert_eq!(principal.mfa_due, Some(MfaDue::Console));
    assert!(matches!(
        principal.require_admin(),
        Err(AccessError::ConsoleNeedsTwoStep)
    ));
    assert!(principal.require_account_ready().is_ok());
    assert!(matches!(
        principal.require_operator(),
        Err(AccessError::Forbidden)
    ));
    authn
        .add_mfa(admin, authn::MfaType::Totp, &"a".repeat(64), None)
        .await
        .unwrap();
    let principal = callers
        .resolve(authn.clone(), &pool, token.expose())
        .await
        .unwrap()
        .unwrap();
    assert!(principal.require_admin().is_ok());
    assert!(principal.require_owner(admin).is_ok());
    assert!(matches!(
        principal.require_owner(member),
        Err(AccessError::Forbidden)
    ));
    // Whether the address is confirmed comes with the caller (no second read of the user).
    assert!(!principal.email_verified);
    identity::admin::user::mark_verified(&authn, admin)
        .await
        .unwrap();
    let principal = callers
        .resolve(authn.clone(), &pool, token.expose())
        .await
        .unwrap()
        .unwrap();
    assert!(principal.email_verified);
    assert!(principal.as_admin(Some("ticket 9")).is_ok());
    // No sign-in recorded for this session: sudo mode is not on.
    assert!(matches!(
        principal
            .require_recent_authentication(TimeDelta::minutes(10))
            .await,
        Err(AccessError::ReauthenticationRequired)
    ));

    // An impersonated session carries no roles, whoever is impersonated, and changes nothing.
    let admin_session = authn.list_sessions(admin).await.unwrap()[0].session_id;
    let as_member = OpaqueToken::generate();
    authn
        .start_impersonation(authn::StartImpersonation {
            actor_session_id: admin_session,
            target_user_id: member,
            reason: "ticket 9: checking the settings page",
            token_hash: &as_member.hash(),
            duration: None,
        })
        .await
        .unwrap();
    let impersonated = callers
        .resolve(authn.clone(), &pool, as_member.expose())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(impersonated.user_id, member);
    assert_eq!(
        impersonated
            .impersonation
            .as_ref()
            .and_then(|i| i.email.as_deref()),
        Some("admin@example.com")
    );
    assert!(matches!(
        impersonated.require_admin(),
        Err(AccessError::Forbidden)
    ));
    assert!(matches!(
        impersonated.refuse_while_impersonating(),
        Err(AccessError::ReadOnlyWhileImpersonating)
    ));
}

/// Issue 9.1: an operator's support access in another namespace is an impersonation to the
/// principal, though the core's `validate_session` does not say so: no roles (not even the
/// target's own admin role), credentials read-only, the ticket and end known, and every audit
/// event of the request attributed to the operator.
#[tokio::test]
async fn an_operators_support_access_resolves_as_an_impersonation_without_roles() {
    use identity::caller::{AccessError, Callers};

    let tenant = core().await;
    let pool = tenant.pool().clone();
    let platform = tenant
        .for_namespace(format!("p-{}", Uuid::new_v4().simple()))
        .await
        .unwrap();
    let callers = Callers::new(
        SessionKeeper::new(SessionPolicy {
            idle: TimeDelta::minutes(30),
            absolute: TimeDelta::hours(12),
        }),
        platform.namespace(),
    );
    let operator = platform
        .create_user("support@example.com", None)
        .await
        .unwrap();
    let operator_session = platform
        .create_session(NewSession::new(operator, &OpaqueToken::generate().hash()))
        .await
        .unwrap();
    // The target is an admin of their namespace: the access must not carry that role.
    let target = tenant.create_user("owner@example.com", None).await.unwrap();
    {
        let mut tx = tenant.begin().await.unwrap();
        identity::roles::grant_admin(&mut tx, target).await.unwrap();
        tx.commit().await.unwrap();
    }
    let access = OpaqueToken::generate();
    platform
        .start_operator_impersonation(authn::StartOperatorImpersonation {
            operator_session_id: operator_session,
            target_user_id: target,
            target_namespace: tenant.namespace(),
            token_hash: &access.hash(),
            reason: "customer cannot enrol a passkey",
            duration: Some(TimeDelta::minutes(20)),
            ticket_reference: Some("SUP-1234"),
        })
        .await
        .unwrap();

    let principal = callers
        .resolve(tenant.clone(), &pool, access.expose())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(principal.user_id, target);
    assert!(!principal.roles.admin && !principal.roles.operator);
    let support = principal
        .impersonation
        .as_ref()
        .and_then(|i| i.support.as_ref())
        .expect("a support access");
    assert_eq!(support.operator_id, operator);
    assert_eq!(support.namespace, platform.namespace());
    assert_eq!(support.ticket.as_deref(), Some("SUP-1234"));
    let left = support.ends_at - Utc::now();
    assert!(
        left > TimeDelta::minutes(19) && left <= TimeDelta::minutes(20),
        "{left}"
    );
    assert_eq!(
        principal.impersonation.as_ref().unwrap().email.as_deref(),
        Some("support@example.com")
    );
    assert!(matches!(
        principal.require_admin(),
        Err(AccessError::Forbidden)
    ));
    assert!(matches!(
        principal.refuse_while_impersonating(),
        Err(AccessError::ReadOnlyWhileImpersonating)
    ));
    let actor = principal.authn.actor();
    assert_eq!(actor.actor_id, Some(format!("operator:{operator}")));
    assert_eq!(actor.on_behalf_of, Some(format!("user:{target}")));
    assert!(actor.reason.as_deref().unwrap().contains("SUP-1234"));

    // The target's own session in the same namespace is still theirs, with their role.
    let own = OpaqueToken::generate();
    tenant
        .create_session(NewSession::new(target, &own.hash()))
        .await
        .unwrap();
    let principal = callers
        .resolve(tenant.clone(), &pool, own.expose())
        .await
        .unwrap()
        .unwrap();
    assert!(principal.impersonation.is_none() && principal.roles.admin);

    // Ended, the access is no session at all.
    let id = platform
        .list_active_operator_impersonations(None)
        .await
        .unwrap()[0]
        .impersonation_id;
    assert!(platform.end_operator_impersonation(id).await.unwrap());
    assert!(callers
        .resolve(tenant.clone(), &pool, access.expose())
        .await
        .unwrap()
        .is_none());
}

/// Issue 9.1: an ordinary session (no role, no two-step requirement) resolves in one database
/// round trip once its activity is recorded (the keeper records it at most every few minutes).
/// Counted from sqlx's own statement log.
#[tokio::test]
async fn an_ordinary_session_resolves_in_one_round_trip() {
    let authn = core().await;
    let pool = authn.pool().clone();
    let callers = identity::caller::Callers::new(
        SessionKeeper::new(SessionPolicy {
            idle: TimeDelta::minutes(30),
            absolute: TimeDelta::hours(12),
        }),
        "platform",
    );
    let (user, _, _) = session(&authn, TimeDelta::hours(1)).await;
    let token = OpaqueToken::generate();
    authn
        .create_session(NewSession::new(user, &token.hash()))
        .await
        .unwrap();
    // The first sight of a session records its activity.
    callers
        .resolve(authn.clone(), &pool, token.expose())
        .await
        .unwrap()
        .unwrap();

    let (principal, statements) = test_support::statements::recorded(async {
        callers
            .resolve(authn.clone(), &pool, token.expose())
            .await
            .unwrap()
            .unwrap()
    })
    .await;
    assert_eq!(principal.user_id, user);
    assert_eq!(statements.len(), 1, "{statements:?}");
}
