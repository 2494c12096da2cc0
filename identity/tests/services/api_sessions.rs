//! The API's sign-in flow and tokens (issue 12.1, 12.2) against the real core: the same
//! sign-in as the web's ending in a token pair, refresh rotation with reuse detection, the
//! 50-way rotation race, and access tokens resolved through the one caller service.

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use identity::api_sessions::{ApiSessions, ApiSignInError, Credential, Method, Step, TokenPair};
use identity::api_tokens::TokenKeys;
use identity::caller::{BearerRefusal, Callers};
use identity::{SecretBox, SessionKeeper, SessionPolicy};
use secrecy::SecretString;

use crate::mfa::{code_for, enroll, settings, setup, totp_at, Fixture, EMAIL, PASSWORD};

fn api(f: &Fixture) -> ApiSessions {
    let keys = TokenKeys::new(
        &TokenKeys::generate_pkcs8().unwrap(),
        None,
        "http://localhost:3000",
        TimeDelta::minutes(15),
    )
    .unwrap();
    let flows = identity::AccountFlows::new(
        identity::PasswordHasher::new(1024, 1, 1).unwrap(),
        identity::policy::PasswordPolicy::default(),
        identity::LockoutPolicy::default(),
        identity::mail::Links::new("http://localhost:3000"),
        TimeDelta::hours(1),
        SecretBox::from_hex(&"7c".repeat(32)).unwrap(),
    );
    ApiSessions::new(
        keys,
        TimeDelta::days(7),
        &f.service,
        &flows,
        SecretBox::from_hex(&"7c".repeat(32)).unwrap(),
        "platform",
    )
    .unwrap()
}

fn callers() -> Callers {
    Callers::new(
        SessionKeeper::new(SessionPolicy {
            idle: TimeDelta::minutes(30),
            absolute: TimeDelta::hours(12),
        }),
        "platform",
    )
}

async fn password_step(
    f: &Fixture,
    api: &ApiSessions,
    password: &str,
) -> Result<Step, ApiSignInError> {
    let flow = api.start(f.authn.namespace(), EMAIL, Utc::now());
    assert_eq!(
        flow.allowed_methods,
        vec![Method::Password, Method::EmailCode]
    );
    let password = SecretString::from(password);
    api.step(
        &f.authn,
        &settings(totp_at(Utc::now())),
        &flow.id,
        Credential::Password(&password),
        identity::ClientInfo {
            ip_address: None,
            user_agent: Some("api-test"),
        },
        Utc::now(),
    )
    .await
}

async fn signed_in(f: &Fixture, api: &ApiSessions) -> TokenPair {
    match password_step(f, api, PASSWORD).await.unwrap() {
        Step::Tokens(pair) => pair,
        Step::Next(_) => panic!("no second step expected"),
    }
}

#[tokio::test]
async fn a_password_sign_in_ends_in_tokens_the_caller_service_accepts() {
    let f = setup().await;
    let api = api(&f);
    // Every address gets the same first answer; a wrong password is the usual refusal.
    let stranger = api.start(f.authn.namespace(), "nobody@example.com", Utc::now());
    assert_eq!(
        stranger.allowed_methods,
        vec![Method::Password, Method::EmailCode]
    );
    assert!(matches!(
        password_step(&f, &api, "not the password").await,
        Err(ApiSignInError::InvalidCredentials)
    ));
    let pair = signed_in(&f, &api).await;
    assert_eq!(pair.user_id, f.user);
    assert_eq!(pair.roles, vec!["user".to_owned()]);
    let principal = callers()
        .resolve_access_token(
            f.authn.clone(),
            f.authn.pool(),
            api.keys(),
            &pair.access_token,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(principal.user_id, f.user);
    assert_eq!(principal.session_id, pair.session_id);
    // Not in another namespace, and not once the session is gone, even before `exp`.
    let elsewhere = f.authn.for_namespace("elsewhere").await.unwrap();
    assert!(matches!(
        callers()
            .resolve_access_token(elsewhere, f.authn.pool(), api.keys(), &pair.access_token)
            .await
            .unwrap(),
        Err(BearerRefusal::Invalid)
    ));
    api.sign_out(&principal, false).await.unwrap();
    assert!(matches!(
        callers()
            .resolve_access_token(
                f.authn.clone(),
                f.authn.pool(),
                api.keys(),
                &pair.access_token
            )
            .await
            .unwrap(),
        Err(BearerRefusal::Invalid)
    ));
    assert!(matches!(
        api.refresh(&f.authn, pair.refresh_token.expose()).await,
        Err(ApiSignInError::InvalidToken)
    ));
    // A flow of another namespace, or a made-up one, is unknown.
    let password = SecretString::from(PASSWORD);
    for flow in ["f.nonsense", "p.nonsense", "", "x"] {
        assert!(
            matches!(
                api.step(
                    &f.authn,
                    &settings(totp_at(Utc::now())),
                    flow,
                    Credential::Password(&password),
                    identity::ClientInfo::default(),
                    Utc::now(),
                )
                .await,
                Err(ApiSignInError::UnknownFlow) | Err(ApiSignInError::MethodNotAllowed)
            ),
            "{flow}"
        );
    }
}

#[tokio::test]
async fn an_account_with_an_authenticator_takes_a_totp_step() {
    let f = setup().await;
    let api = api(&f);
    let now = Utc::now();
    let secret = enroll(&f, now).await;
    let Step::Next(next) = password_step(&f, &api, PASSWORD).await.unwrap() else {
        panic!("expected the second step");
    };
    assert!(next.allowed_methods.contains(&Method::Totp));
    let security = settings(totp_at(now));
    let password = SecretString::from(PASSWORD);
    // The second step takes codes only.
    assert!(matches!(
        api.step(
            &f.authn,
            &security,
            &next.id,
            Credential::Password(&password),
            identity::ClientInfo::default(),
            now
        )
        .await,
        Err(ApiSignInError::MethodNotAllowed)
    ));
    assert!(matches!(
        api.step(
            &f.authn,
            &security,
            &next.id,
            Credential::Totp("000000"),
            identity::ClientInfo::default(),
            now
        )
        .await,
        Err(ApiSignInError::WrongCode)
    ));
    // The enrolment spent the current step's code (codes are single use): the next step's.
    let code = code_for(&secret, now.timestamp() + 30);
    let Step::Tokens(pair) = api
        .step(
            &f.authn,
            &security,
            &next.id,
            Credential::Totp(&code),
            identity::ClientInfo::default(),
            now,
        )
        .await
        .unwrap()
    else {
        panic!("expected tokens");
    };
    assert_eq!(pair.user_id, f.user);
    // The flow is spent.
    assert!(matches!(
        api.step(
            &f.authn,
            &security,
            &next.id,
            Credential::Totp(&code),
            identity::ClientInfo::default(),
            now
        )
        .await,
        Err(ApiSignInError::UnknownFlow)
    ));
}

#[tokio::test]
async fn a_refresh_token_rotates_and_its_reuse_signs_the_session_out() {
    let f = setup().await;
    let api = api(&f);
    let first = signed_in(&f, &api).await;
    let second = api
        .refresh(&f.authn, first.refresh_token.expose())
        .await
        .unwrap();
    assert_eq!(second.session_id, first.session_id);
    assert_ne!(second.refresh_token.expose(), first.refresh_token.expose());
    // The used token again: reuse. Family and session are revoked.
    assert!(matches!(
        api.refresh(&f.authn, first.refresh_token.expose()).await,
        Err(ApiSignInError::TokenReused)
    ));
    assert!(matches!(
        api.refresh(&f.authn, second.refresh_token.expose()).await,
        Err(ApiSignInError::InvalidToken)
    ));
    assert!(matches!(
        callers()
            .resolve_access_token(
                f.authn.clone(),
                f.authn.pool(),
                api.keys(),
                &second.access_token
            )
            .await
            .unwrap(),
        Err(BearerRefusal::Invalid)
    ));
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT event_type FROM authn.audit_events WHERE namespace = $1 \
          AND event_type IN ('refresh_token_reuse_detected', 'session_revoked')",
    )
    .bind(f.authn.namespace())
    .fetch_all(&crate::harness::superuser_pool(&f.db).await)
    .await
    .unwrap();
    assert!(
        events.contains(&"refresh_token_reuse_detected".to_owned()),
        "{events:?}"
    );
    assert!(events.contains(&"session_revoked".to_owned()), "{events:?}");
}

/// Fifty programs present the same refresh token at once: exactly one gets a new pair, the
/// others see the reuse, and so the family (the winner's new token included) does not survive.
#[tokio::test]
async fn of_fifty_concurrent_rotations_exactly_one_succeeds() {
    let f = setup().await;
    let pool = crate::harness::app_pool(&f.db, 20).await;
    let authn = authn::Authn::new(pool, f.authn.namespace().to_owned())
        .await
        .unwrap();
    let api = Arc::new(api(&f));
    let pair = signed_in(&f, &api).await;
    let token = Arc::new(pair.refresh_token.expose().to_owned());
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (api, authn, token) = (api.clone(), authn.clone(), token.clone());
        tasks.push(tokio::spawn(
            async move { api.refresh(&authn, &token).await },
        ));
    }
    let mut won = Vec::new();
    let mut reused = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(pair) => won.push(pair),
            Err(ApiSignInError::TokenReused) => reused += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(won.len(), 1);
    assert_eq!(reused, 49);
    assert!(matches!(
        api.refresh(&authn, won[0].refresh_token.expose()).await,
        Err(ApiSignInError::InvalidToken)
    ));
}

/// The session a password sign-in opens and its first refresh token land together: when the
/// token cannot be written, no session is left behind (and the failure is not a refusal).
#[tokio::test]
async fn a_sign_in_whose_refresh_token_fails_leaves_no_session() {
    let f = setup().await;
    let api = api(&f);
    let superuser = crate::harness::superuser_pool(&f.db).await;
    // Refresh tokens of this test's namespace only cannot be written; other tests share the
    // database.
    let name = format!("refuse_{}", f.authn.namespace().replace('-', "_"));
    sqlx::raw_sql(&format!(
        "CREATE FUNCTION public.{name}() RETURNS trigger LANGUAGE plpgsql AS \
           $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$; \
         CREATE TRIGGER {name} BEFORE INSERT ON authn.refresh_tokens FOR EACH ROW \
           WHEN (NEW.namespace = '{}') EXECUTE FUNCTION public.{name}()",
        f.authn.namespace()
    ))
    .execute(&superuser)
    .await
    .unwrap();
    let failed = password_step(&f, &api, PASSWORD).await;
    sqlx::raw_sql(&format!(
        "DROP TRIGGER {name} ON authn.refresh_tokens; DROP FUNCTION public.{name}()"
    ))
    .execute(&superuser)
    .await
    .unwrap();
    assert!(
        matches!(failed, Err(ApiSignInError::Internal(_))),
        "{failed:?}"
    );
    assert!(f.authn.list_sessions(f.user).await.unwrap().is_empty());
    // With the table writable again, the same sign-in goes through.
    let pair = signed_in(&f, &api).await;
    assert_eq!(f.authn.list_sessions(f.user).await.unwrap().len(), 1);
    assert_eq!(pair.roles, vec!["user".to_owned()]);
}

/// A namespace requiring two-step verification gives an account without it no tokens (and ends
/// the session its sign-in opened); an admin without a second factor gets no admin role.
#[tokio::test]
async fn no_tokens_while_two_step_verification_is_owed() {
    let f = setup().await;
    let api = api(&f);
    let superuser = crate::harness::superuser_pool(&f.db).await;
    // An admin without a second factor (the console requires one by default): a user's token.
    let mut tx = f.authn.begin().await.unwrap();
    identity::roles::grant_admin(&mut tx, f.user).await.unwrap();
    tx.commit().await.unwrap();
    let pair = signed_in(&f, &api).await;
    assert_eq!(pair.roles, vec!["user".to_owned()]);
    // Every account must have one: nothing at all, and no session left behind.
    sqlx::query(
        "INSERT INTO gatehouse.namespace_settings (namespace, accounts_require_mfa) VALUES ($1, true) \
         ON CONFLICT (namespace) DO UPDATE SET accounts_require_mfa = true",
    )
    .bind(f.authn.namespace())
    .execute(&superuser)
    .await
    .unwrap();
    assert!(matches!(
        password_step(&f, &api, PASSWORD).await,
        Err(ApiSignInError::TwoStepSetupRequired)
    ));
    // The earlier session's refresh is refused too, and ends it.
    assert!(matches!(
        api.refresh(&f.authn, pair.refresh_token.expose()).await,
        Err(ApiSignInError::TwoStepSetupRequired)
    ));
    assert!(f.authn.list_sessions(f.user).await.unwrap().is_empty());
}

/// Resolving an access token reads its one session, whatever the planner believes about the
/// namespace: with no statistics yet (a new deployment) the lookup by id, namespace and
/// liveness chose the namespace's live-sessions index and read every session in it, on every
/// API call (migration 41).
#[tokio::test]
async fn an_access_token_reads_one_session_whatever_the_statistics() {
    let f = setup().await;
    let admin = crate::harness::superuser_pool(&f.db).await;
    sqlx::query("ALTER TABLE authn.sessions SET (autovacuum_enabled = false)")
        .execute(&admin)
        .await
        .unwrap();
    let api = api(&f);
    // The session first: the live-sessions index keeps a user's newest sessions first.
    let pair = signed_in(&f, &api).await;
    sqlx::query(
        "SELECT count(authn.create_session($1, encode(sha256(('s' || i)::bytea), 'hex'), NULL, NULL, NULL, $2))
           FROM generate_series(1, 2000) AS i",
    )
    .bind(f.user)
    .bind(f.authn.namespace())
    .execute(&admin)
    .await
    .unwrap();

    let mut tx = f.authn.begin().await.unwrap();
    let rows_read =
        "SELECT coalesce(idx_tup_fetch, 0) + seq_tup_read FROM pg_stat_xact_user_tables \
                     WHERE relid = 'authn.sessions'::regclass";
    let before: i64 = sqlx::query_scalar(rows_read)
        .fetch_one(tx.conn())
        .await
        .unwrap();
    let resolved: Option<uuid::Uuid> =
        sqlx::query_scalar("SELECT user_id FROM gatehouse.resolve_api_session($1, $2, 'platform')")
            .bind(pair.session_id)
            .bind(f.authn.namespace())
            .fetch_optional(tx.conn())
            .await
            .unwrap();
    let after: i64 = sqlx::query_scalar(rows_read)
        .fetch_one(tx.conn())
        .await
        .unwrap();
    assert_eq!(resolved, Some(f.user));
    assert!(
        after - before <= 1,
        "read {} sessions for one access token",
        after - before
    );
}
