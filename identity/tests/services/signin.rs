//! Sign-in against the real core: generic failures, lockout for any e-mail, a new session on
//! success, and the attempts recorded.

use std::sync::OnceLock;

use authn::Authn;
use chrono::TimeDelta;
use identity::{LockoutPolicy, PasswordHasher, SignInError, SignInRequest, SignInService};
use secrecy::SecretString;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

static DATABASE: OnceLock<String> = OnceLock::new();

async fn setup() -> (Authn, SignInService) {
    let db = DATABASE.get_or_init(|| test_support::create_migrated_database("identity_signin"));
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect(&test_support::url_for(db, Some(test_support::APP_ROLE)))
        .await
        .unwrap();
    let authn = Authn::new(pool, crate::harness::namespace()).await.unwrap();
    // Cheap parameters keep the test fast; the recommended ones are unit-tested in `password`.
    let hasher = PasswordHasher::new(1024, 1, 1).unwrap();
    let service = SignInService::new(hasher, LockoutPolicy::default(), TimeDelta::hours(8));
    (authn, service)
}

async fn user(authn: &Authn, service: &SignInService, email: &str, password: &str) -> Uuid {
    let hash = service
        .hasher()
        .hash(&SecretString::from(password))
        .await
        .unwrap();
    let mut tx = authn.begin().await.unwrap();
    let email = identity::EmailAddress::parse(email).unwrap();
    let id = identity::provisioning::create_verified_user(&mut tx, &email, Some(&hash))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn attempt(
    authn: &Authn,
    service: &SignInService,
    email: &str,
    password: &str,
) -> Result<identity::SignedIn, SignInError> {
    let password = SecretString::from(password);
    service
        .sign_in(
            authn,
            SignInRequest {
                email,
                password: &password,
                ip_address: Some("203.0.113.7".parse().unwrap()),
                user_agent: Some("Mozilla/5.0 (test)"),
            },
        )
        .await
        .map(|step| step.signed_in().expect("no MFA in these tests"))
}

#[tokio::test]
async fn correct_password_opens_a_new_session_each_time() {
    let (authn, service) = setup().await;
    let id = user(
        &authn,
        &service,
        "alice@example.com",
        "correct horse battery",
    )
    .await;
    let first = attempt(
        &authn,
        &service,
        "Alice@Example.com",
        "correct horse battery",
    )
    .await
    .unwrap();
    let second = attempt(
        &authn,
        &service,
        "alice@example.com",
        "correct horse battery",
    )
    .await
    .unwrap();
    assert_eq!(first.user_id, id);
    assert_ne!(first.session_id, second.session_id);
    assert_ne!(first.token.expose(), second.token.expose());
    let mut client = authn.clone();
    let v = client
        .validate_session(&first.token.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.session_id, first.session_id);
    let sessions = authn.list_sessions(id).await.unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0].ip_address.unwrap().to_string(), "203.0.113.7");
    assert!(
        (sessions[0].expires_at - chrono::Utc::now() - TimeDelta::hours(8))
            .num_seconds()
            .abs()
            < 60
    );
    let attempts = authn
        .get_recent_attempts("alice@example.com", None)
        .await
        .unwrap();
    assert!(attempts.iter().all(|a| a.success));
}

#[tokio::test]
async fn every_failure_is_the_same_generic_error() {
    let (authn, service) = setup().await;
    let id = user(&authn, &service, "bob@example.com", "right password here").await;
    authn.create_user("sso@example.com", None).await.unwrap();
    let disabled = user(&authn, &service, "gone@example.com", "right password here").await;
    authn.disable_user(disabled).await.unwrap();
    let cases = [
        ("bob@example.com", "wrong password here"),
        ("nobody@example.com", "right password here"),
        ("sso@example.com", "anything at all"),
        ("gone@example.com", "right password here"),
        ("not an email", "right password here"),
    ];
    for (email, password) in cases {
        let err = attempt(&authn, &service, email, password)
            .await
            .unwrap_err();
        assert!(
            matches!(err, SignInError::InvalidCredentials),
            "{email}: {err:?}"
        );
        assert_eq!(err.to_string(), "The email or password is incorrect.");
    }
    assert!(authn.list_sessions(id).await.unwrap().is_empty());
    let failures = authn
        .get_recent_attempts("nobody@example.com", None)
        .await
        .unwrap();
    assert_eq!(failures.len(), 1, "unknown e-mails are counted too");
    assert!(!failures[0].success);
}

#[tokio::test]
async fn lockout_after_five_failures_refuses_even_the_right_password() {
    let (authn, service) = setup().await;
    user(&authn, &service, "carol@example.com", "the right password").await;
    for _ in 0..5 {
        assert!(matches!(
            attempt(&authn, &service, "carol@example.com", "a wrong password").await,
            Err(SignInError::InvalidCredentials)
        ));
    }
    let err = attempt(&authn, &service, "carol@example.com", "the right password")
        .await
        .unwrap_err();
    // Locked until the first of the five failures leaves the 15-minute window.
    let first_failure = authn
        .get_recent_attempts("carol@example.com", None)
        .await
        .unwrap()
        .iter()
        .filter(|a| !a.success)
        .map(|a| a.attempted_at)
        .min()
        .unwrap();
    match err {
        SignInError::LockedOut { until: Some(until) } => {
            assert_eq!(until, first_failure + chrono::TimeDelta::minutes(15));
        }
        other => panic!("expected a lockout with its end, got {other:?}"),
    }
    assert_eq!(err.to_string(), "Too many attempts. Try again later.");
    // The same answer for an e-mail that has no account: lockout reveals nothing.
    for _ in 0..5 {
        let _ = attempt(&authn, &service, "ghost@example.com", "whatever it is").await;
    }
    assert!(matches!(
        attempt(&authn, &service, "ghost@example.com", "whatever it is").await,
        Err(SignInError::LockedOut { until: Some(_) })
    ));
    // An admin's unlock lets the owner in again.
    authn.clear_attempts("carol@example.com").await.unwrap();
    assert!(
        attempt(&authn, &service, "carol@example.com", "the right password")
            .await
            .is_ok()
    );
}

/// Parallel guesses cannot slip past the threshold: attempts on one address are serialised,
/// so of 20 concurrent wrong passwords exactly 5 are checked and the rest meet the lockout.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_guesses_cannot_exceed_the_threshold() {
    let (authn, service) = setup().await;
    user(&authn, &service, "dan@example.com", "the right password").await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (authn, service) = (authn.clone(), service.clone());
        tasks.push(tokio::spawn(async move {
            attempt(
                &authn,
                &service,
                "dan@example.com",
                &format!("guess number {i}"),
            )
            .await
        }));
    }
    let mut checked = 0;
    let mut locked = 0;
    for task in tasks {
        match task.await.unwrap() {
            Err(SignInError::InvalidCredentials) => checked += 1,
            Err(SignInError::LockedOut { .. }) => locked += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((checked, locked), (5, 15));
    assert_eq!(
        authn
            .get_recent_attempts("dan@example.com", Some(100))
            .await
            .unwrap()
            .len(),
        5
    );
}

#[tokio::test]
async fn an_unconfirmed_address_is_told_only_after_the_right_password() {
    let (authn, service) = setup().await;
    let hash = service
        .hasher()
        .hash(&SecretString::from("right password here"))
        .await
        .unwrap();
    let id = authn
        .create_user("new@example.com", Some(&hash))
        .await
        .unwrap();
    let wrong = attempt(&authn, &service, "new@example.com", "wrong password here").await;
    assert!(matches!(wrong, Err(SignInError::InvalidCredentials)));
    let right = attempt(&authn, &service, "new@example.com", "right password here").await;
    assert!(matches!(right, Err(SignInError::EmailNotVerified)));
    assert!(authn.list_sessions(id).await.unwrap().is_empty());
}

/// Issue 10.9: a password typed into the address field is not kept anywhere. The core takes
/// `P@ssw0rd!` as an address (it only asks for an `@`); the service refuses it first.
#[tokio::test]
async fn text_that_is_not_an_address_is_never_recorded() {
    let (authn, service) = setup().await;
    for typed in ["P@ssw0rd!", "hunter2", "my secret@home"] {
        assert!(matches!(
            attempt(&authn, &service, typed, "whatever it is").await,
            Err(SignInError::InvalidCredentials)
        ));
    }
    let db = DATABASE.get().unwrap();
    let admin = sqlx::PgPool::connect(&test_support::url_for(db, None))
        .await
        .unwrap();
    let recorded: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM authn.login_attempts WHERE namespace = $1) \
              + (SELECT count(*) FROM authn.audit_events WHERE namespace = $1)",
    )
    .bind(authn.namespace())
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(recorded, 0);
    // A well-formed address is recorded, in its normalised form.
    assert!(
        attempt(&authn, &service, " Nobody@Example.com ", "whatever it is")
            .await
            .is_err()
    );
    let attempts = authn
        .get_recent_attempts("nobody@example.com", None)
        .await
        .unwrap();
    assert_eq!(attempts.len(), 1);
}
