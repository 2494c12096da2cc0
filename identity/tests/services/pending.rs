//! The second step of sign-in: an account with MFA gets a pending sign-in, not a session.

use authn::{Authn, MfaType};
use chrono::TimeDelta;
use identity::pending::{self, MAX_SECOND_FACTOR_FAILURES};
use identity::{LockoutPolicy, PasswordHasher, SignInRequest, SignInService, SignInStep};
use secrecy::SecretString;
use sqlx::PgPool;
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery staple";

async fn setup() -> (Authn, PgPool, SignInService, Uuid) {
    let db = crate::harness::database("identity_pending").await;
    let pool = crate::harness::app_pool(&db, 2).await;
    let authn = Authn::new(pool.clone(), crate::harness::namespace())
        .await
        .unwrap();
    let hasher = PasswordHasher::new(1024, 1, 1).unwrap();
    let hash = hasher.hash(&SecretString::from(PASSWORD)).await.unwrap();
    let mut tx = authn.begin().await.unwrap();
    let user = identity::provisioning::create_verified_user(
        &mut tx,
        &identity::EmailAddress::parse("mfa@example.com").unwrap(),
        Some(&hash),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let service = SignInService::new(hasher, LockoutPolicy::default(), TimeDelta::hours(1));
    (authn, pool, service, user)
}

async fn sign_in(authn: &Authn, service: &SignInService) -> SignInStep {
    let p = SecretString::from(PASSWORD);
    service
        .sign_in(
            authn,
            SignInRequest {
                email: "mfa@example.com",
                password: &p,
                ip_address: Some("198.51.100.4".parse().unwrap()),
                user_agent: Some("test"),
            },
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn with_mfa_the_password_opens_a_pending_step_not_a_session() {
    let (authn, _, service, user) = setup().await;
    authn
        .add_mfa(user, MfaType::Totp, "stored-by-the-portal", Some("phone"))
        .await
        .unwrap();
    let SignInStep::SecondFactorRequired { pending, user_id } = sign_in(&authn, &service).await
    else {
        panic!("expected the second step");
    };
    assert_eq!(user_id, user);
    assert!(authn.list_sessions(user).await.unwrap().is_empty());

    // Bound to its namespace: a transaction of another one does not find it.
    let elsewhere = authn.for_namespace("elsewhere").await.unwrap();
    let mut other = elsewhere.begin().await.unwrap();
    assert!(pending::find(&mut other, pending.expose())
        .await
        .unwrap()
        .is_none());
    let mut tx = authn.begin().await.unwrap();
    let found = pending::find(&mut tx, pending.expose())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.user_id, user);
    assert_eq!(found.first_factor, "password");
    assert_eq!(found.ip_address.unwrap().to_string(), "198.51.100.4");
    // Single use.
    assert!(pending::complete(&mut tx, pending.expose())
        .await
        .unwrap()
        .is_some());
    assert!(pending::complete(&mut tx, pending.expose())
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn wrong_second_factors_drop_the_pending_step() {
    let (authn, _, service, user) = setup().await;
    authn
        .add_mfa(user, MfaType::Totp, "stored-by-the-portal", None)
        .await
        .unwrap();
    let SignInStep::SecondFactorRequired { pending, .. } = sign_in(&authn, &service).await else {
        panic!("expected the second step");
    };
    let mut tx = authn.begin().await.unwrap();
    for i in 1..MAX_SECOND_FACTOR_FAILURES {
        assert!(
            pending::record_failure(&mut tx, pending.expose())
                .await
                .unwrap(),
            "failure {i}"
        );
    }
    assert!(!pending::record_failure(&mut tx, pending.expose())
        .await
        .unwrap());
    assert!(pending::find(&mut tx, pending.expose())
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn without_mfa_the_password_opens_a_session() {
    let (authn, _pool, service, user) = setup().await;
    let signed_in = sign_in(&authn, &service).await.signed_in().unwrap();
    assert_eq!(signed_in.user_id, user);
}
