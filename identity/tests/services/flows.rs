//! The e-mail flows against the real core and a real SMTP server: mail goes through the outbox
//! and the delivery worker's code path, and the tests read the links and codes out of what the
//! SMTP server received.

use authn::Authn;
use chrono::TimeDelta;
use identity::mail::delivery::{deliver_due, WorkerSettings};
use identity::mail::{outbox, Links, MailDelivery};
use identity::roles::{self, SignUpMode};
use identity::{
    AccountFlows, ClientInfo, FlowError, LockoutPolicy, NewPassword, PasswordHasher,
    PasswordPolicy, SecretBox, SignInError, SignInRequest, SignInService,
};
use secrecy::SecretString;
use sqlx::PgPool;
use test_support::smtp::SmtpSink;
use uuid::Uuid;

struct Env {
    /// The test's database, for ageing records as the superuser.
    db: String,
    authn: Authn,
    /// The application role's pool (row-level security applies).
    pool: PgPool,
    /// A superuser pool, for looking at the gatehouse tables behind the interface.
    superuser: PgPool,
    flows: AccountFlows,
    sign_in: SignInService,
    smtp: SmtpSink,
    delivery: MailDelivery,
}

const PASSWORD: &str = "correct horse battery staple";

/// The deployment key of these tests: flows seal mail with it, delivery opens it.
fn keys() -> SecretBox {
    SecretBox::from_hex(&"5a".repeat(32)).unwrap()
}

/// The flows of these tests with another password policy or lockout.
fn flows_with(policy: PasswordPolicy, lockout: LockoutPolicy) -> AccountFlows {
    AccountFlows::new(
        PasswordHasher::new(1024, 1, 1).unwrap(),
        policy,
        lockout,
        Links::new("http://console.test"),
        TimeDelta::hours(8),
        keys(),
    )
}

async fn setup() -> Env {
    // A database per test: the outbox is shared by everything in a database, and each test
    // delivers to an SMTP server of its own.
    let db = crate::harness::database("identity_flows").await;
    let pool = crate::harness::app_pool(&db, 4).await;
    let superuser = crate::harness::superuser_pool(&db).await;
    let authn = Authn::new(pool.clone(), crate::harness::namespace())
        .await
        .unwrap();
    let hasher = PasswordHasher::new(1024, 1, 1).unwrap();
    let flows = flows_with(PasswordPolicy::default(), LockoutPolicy::default());
    let sign_in = SignInService::new(hasher, LockoutPolicy::default(), TimeDelta::hours(8));
    let smtp = SmtpSink::start().await;
    let delivery =
        MailDelivery::from_url(&smtp.url(), "Gatehouse <no-reply@console.test>", keys()).unwrap();
    Env {
        db,
        authn,
        pool,
        superuser,
        flows,
        sign_in,
        smtp,
        delivery,
    }
}

impl Env {
    /// Runs `sql` as the superuser (to age a record; the app role may not).
    async fn as_superuser(&self, sql: &str) {
        let admin = sqlx::PgPool::connect(&test_support::url_for(&self.db, None))
            .await
            .unwrap();
        sqlx::query(sql).execute(&admin).await.unwrap();
        admin.close().await;
    }

    /// Runs the delivery worker's pass, as the background task would.
    /// Does what the server's two workers do: fulfils the recorded mail requests, then sends
    /// the outbox.
    async fn deliver(&self) {
        self.flows.fulfil_mail_requests(&self.pool).await.unwrap();
        deliver_due(
            &self.pool,
            &self.delivery,
            WorkerSettings::default(),
            &|| (),
        )
        .await
        .unwrap();
    }

    async fn open_sign_up(&self) {
        let mut tx = self.authn.begin().await.unwrap();
        roles::set_sign_up_mode(&mut tx, SignUpMode::Open)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    async fn sign_up(&self, email: &str, password: &str) -> Result<(), FlowError> {
        let p = SecretString::from(password);
        self.flows
            .sign_up(
                &self.authn,
                email,
                NewPassword {
                    password: &p,
                    confirm: &p,
                },
            )
            .await
    }

    async fn password_sign_in(
        &self,
        email: &str,
        password: &str,
    ) -> Result<identity::SignedIn, SignInError> {
        let p = SecretString::from(password);
        self.sign_in
            .sign_in(
                &self.authn,
                SignInRequest {
                    email,
                    password: &p,
                    ip_address: None,
                    user_agent: None,
                },
            )
            .await
            .map(|step| step.signed_in().expect("no MFA here"))
    }

    /// A verified account with `PASSWORD`.
    async fn account(&self, email: &str) -> Uuid {
        let hash = self
            .sign_in
            .hasher()
            .hash(&SecretString::from(PASSWORD))
            .await
            .unwrap();
        let mut tx = self.authn.begin().await.unwrap();
        let id = identity::provisioning::create_verified_user(
            &mut tx,
            &identity::EmailAddress::parse(email).unwrap(),
            Some(&hash),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        id
    }

    /// The id of the account of `email`, whatever its state.
    async fn account_id(&self, email: &str) -> Uuid {
        self.authn
            .get_user_by_email(email)
            .await
            .unwrap()
            .unwrap()
            .user_id
    }

    async fn mails_to(&self, to: &str) -> usize {
        self.smtp.all().iter().filter(|m| m.to == to).count()
    }
}

/// The token of the first link in a mail's text pointing at `page`.
fn token_in(text: &str, page: &str) -> String {
    let start = text
        .find(&format!("/{page}?token="))
        .unwrap_or_else(|| panic!("no {page} link in {text}"));
    let rest = &text[start..];
    let token = &rest[rest.find('=').unwrap() + 1..];
    token
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

#[tokio::test]
async fn sign_up_is_closed_until_the_namespace_opens_it() {
    let env = setup().await;
    let err = env.sign_up("new@example.com", PASSWORD).await.unwrap_err();
    assert!(matches!(err, FlowError::SignUpClosed));
    assert!(env
        .authn
        .get_user_by_email("new@example.com")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn sign_up_mails_a_link_that_verifies_the_address_once() {
    let env = setup().await;
    env.open_sign_up().await;
    env.sign_up("New@Example.com", PASSWORD).await.unwrap();
    env.deliver().await;
    // Not verified yet: the right password is told to confirm first.
    assert!(matches!(
        env.password_sign_in("new@example.com", PASSWORD).await,
        Err(SignInError::EmailNotVerified)
    ));
    let mail = env.smtp.wait_for("new@example.com", 1).await;
    assert_eq!(mail.subject, "Confirm your email address");
    let token = token_in(&mail.text, "verify-email");
    let chosen = SecretString::from(PASSWORD);
    let confirm = || NewPassword {
        password: &chosen,
        confirm: &chosen,
    };
    assert_eq!(
        env.flows
            .verify_email(&env.authn, &token, confirm())
            .await
            .unwrap(),
        "new@example.com"
    );
    assert!(matches!(
        env.flows.verify_email(&env.authn, &token, confirm()).await,
        Err(FlowError::InvalidLink)
    ));
    env.password_sign_in("new@example.com", PASSWORD)
        .await
        .unwrap();
    // Bodies (live links) are gone from the outbox once delivered.
    let entries = outbox::recent(&env.pool, 50).await.unwrap();
    let entry = entries
        .iter()
        .find(|e| e.namespace == env.authn.namespace())
        .unwrap();
    assert!(entry.sent_at.is_some() && entry.text_body.is_none());
}

/// Issue 10.8: an attacker signs up with someone else's address and a password of their own,
/// and has a session somehow (here: made through the core). When the owner confirms the
/// address, they choose the password: the attacker's no longer signs in and their session ends.
#[tokio::test]
async fn confirming_an_address_sets_its_owners_password_and_ends_everything_before() {
    let env = setup().await;
    env.open_sign_up().await;
    env.sign_up("victim@example.com", "an impostor's passphrase")
        .await
        .unwrap();
    env.deliver().await;
    let id = env.account_id("victim@example.com").await;
    let planted = identity::OpaqueToken::generate();
    env.authn
        .create_session(authn::NewSession::new(id, &planted.hash()))
        .await
        .unwrap();
    let token = token_in(
        &env.smtp.wait_for("victim@example.com", 1).await.text,
        "verify-email",
    );
    // A refused password changes nothing and keeps the link.
    let weak = SecretString::from("short");
    assert!(matches!(
        env.flows
            .verify_email(
                &env.authn,
                &token,
                NewPassword {
                    password: &weak,
                    confirm: &weak
                }
            )
            .await,
        Err(FlowError::WeakPassword(_))
    ));
    assert!(env
        .authn
        .get_user(id)
        .await
        .unwrap()
        .unwrap()
        .email_verified_at
        .is_none());
    let mine = SecretString::from("lantern orbit velvet canyon");
    env.flows
        .verify_email(
            &env.authn,
            &token,
            NewPassword {
                password: &mine,
                confirm: &mine,
            },
        )
        .await
        .unwrap();
    assert!(matches!(
        env.password_sign_in("victim@example.com", "an impostor's passphrase")
            .await,
        Err(SignInError::InvalidCredentials)
    ));
    let mut client = env.authn.clone();
    assert!(client
        .validate_session(&planted.hash())
        .await
        .unwrap()
        .is_none());
    let signed_in = env
        .password_sign_in("victim@example.com", "lantern orbit velvet canyon")
        .await
        .unwrap();
    assert_eq!(signed_in.user_id, id);
}

#[tokio::test]
async fn signing_up_with_a_taken_address_tells_its_owner_and_changes_nothing() {
    let env = setup().await;
    env.open_sign_up().await;
    let id = env.account("taken@example.com").await;
    env.sign_up("taken@example.com", "another password entirely")
        .await
        .unwrap();
    env.deliver().await;
    let mail = env.smtp.wait_for("taken@example.com", 1).await;
    assert_eq!(mail.subject, "You already have an account");
    assert!(!mail.text.contains("token="));
    // The old password still works; the new one was never stored.
    let signed_in = env
        .password_sign_in("taken@example.com", PASSWORD)
        .await
        .unwrap();
    assert_eq!(signed_in.user_id, id);
}

#[tokio::test]
async fn bad_sign_up_input_is_refused_with_a_field_and_nothing_is_created() {
    let env = setup().await;
    env.open_sign_up().await;
    let err = env.sign_up("not-an-address", PASSWORD).await.unwrap_err();
    assert_eq!(err.field(), Some("email"));
    let err = env.sign_up("short@example.com", "short").await.unwrap_err();
    assert_eq!(err.field(), Some("password"));
    let p = SecretString::from(PASSWORD);
    let other = SecretString::from("a different password");
    let err = env
        .flows
        .sign_up(
            &env.authn,
            "mismatch@example.com",
            NewPassword {
                password: &p,
                confirm: &other,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("password_confirm"));
    assert!(env.authn.list_users(None, None).await.unwrap().is_empty());
    env.deliver().await;
    assert!(env.smtp.all().is_empty());
}

/// Issue 10.9: a configured minimum below 12 holds only in a namespace that requires two-step
/// verification of every account.
#[tokio::test]
async fn short_passwords_are_taken_only_where_every_account_has_two_step_verification() {
    let env = setup().await;
    env.open_sign_up().await;
    let short_policy = flows_with(
        PasswordPolicy {
            min_chars: 8,
            ..PasswordPolicy::default()
        },
        LockoutPolicy::default(),
    );
    let short = SecretString::from("Kq8#vT2!mZ");
    let sign_up = || {
        short_policy.sign_up(
            &env.authn,
            "brief@example.com",
            NewPassword {
                password: &short,
                confirm: &short,
            },
        )
    };
    assert!(matches!(
        sign_up().await,
        Err(FlowError::WeakPassword(
            identity::PolicyViolation::TooShort(12)
        ))
    ));
    {
        let mut tx = env.authn.begin().await.unwrap();
        roles::set_mfa_requirement(&mut tx, roles::MfaDue::Account, true)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    sign_up().await.unwrap();
}

#[tokio::test]
async fn a_magic_link_signs_in_once_and_only_for_an_enabled_account() {
    let env = setup().await;
    let id = env.account("magic@example.com").await;
    env.flows
        .request_magic_link(&env.authn, "nobody-here@example.com")
        .await
        .unwrap();
    env.flows
        .request_magic_link(&env.authn, "Magic@example.com")
        .await
        .unwrap();
    env.deliver().await;
    let mail = env.smtp.wait_for("magic@example.com", 1).await;
    assert_eq!(env.mails_to("nobody-here@example.com").await, 0);
    let token = token_in(&mail.text, "magic-link/confirm");
    let signed_in = env
        .flows
        .sign_in_with_magic_link(&env.authn, &token, ClientInfo::default())
        .await
        .unwrap()
        .signed_in()
        .unwrap();
    assert_eq!(signed_in.user_id, id);
    assert!(matches!(
        env.flows
            .sign_in_with_magic_link(&env.authn, &token, ClientInfo::default())
            .await,
        Err(FlowError::InvalidLink)
    ));
    assert!(matches!(
        env.flows
            .sign_in_with_magic_link(&env.authn, "garbage", ClientInfo::default())
            .await,
        Err(FlowError::InvalidLink)
    ));

    // A link to an account disabled after it was sent is refused, and stays unused.
    env.flows
        .request_magic_link(&env.authn, "magic@example.com")
        .await
        .unwrap();
    env.deliver().await;
    let second = token_in(
        &env.smtp.wait_for("magic@example.com", 2).await.text,
        "magic-link/confirm",
    );
    env.authn.disable_user(id).await.unwrap();
    assert!(matches!(
        env.flows
            .sign_in_with_magic_link(&env.authn, &second, ClientInfo::default())
            .await,
        Err(FlowError::InvalidLink)
    ));
    env.authn.enable_user(id).await.unwrap();
    env.flows
        .sign_in_with_magic_link(&env.authn, &second, ClientInfo::default())
        .await
        .unwrap()
        .signed_in()
        .unwrap();
}

fn code_in(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no code in {text}"))
        .to_owned()
}

#[tokio::test]
async fn an_email_code_signs_in_and_guesses_run_into_the_lockout() {
    let env = setup().await;
    let id = env.account("code@example.com").await;
    env.flows
        .request_email_code(&env.authn, "code@example.com")
        .await
        .unwrap();
    env.deliver().await;
    let code = code_in(&env.smtp.wait_for("code@example.com", 1).await.text);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        let err = env
            .flows
            .sign_in_with_email_code(&env.authn, "code@example.com", wrong, ClientInfo::default())
            .await
            .unwrap_err();
        assert!(matches!(err, FlowError::InvalidCode), "{err:?}");
    }
    // Locked: even the right code is refused now, and it was voided.
    assert!(matches!(
        env.flows
            .sign_in_with_email_code(&env.authn, "code@example.com", &code, ClientInfo::default())
            .await,
        Err(FlowError::LockedOut)
    ));
    env.authn.clear_attempts("code@example.com").await.unwrap();
    assert!(matches!(
        env.flows
            .sign_in_with_email_code(&env.authn, "code@example.com", &code, ClientInfo::default())
            .await,
        Err(FlowError::InvalidCode)
    ));

    // A fresh code works once; requesting another voids the one before.
    env.flows
        .request_email_code(&env.authn, "code@example.com")
        .await
        .unwrap();
    env.deliver().await;
    let first = code_in(&env.smtp.wait_for("code@example.com", 2).await.text);
    env.flows
        .request_email_code(&env.authn, "code@example.com")
        .await
        .unwrap();
    env.deliver().await;
    let second = code_in(&env.smtp.wait_for("code@example.com", 3).await.text);
    if first != second {
        assert!(env
            .flows
            .sign_in_with_email_code(
                &env.authn,
                "code@example.com",
                &first,
                ClientInfo::default()
            )
            .await
            .is_err());
    }
    let signed_in = env
        .flows
        .sign_in_with_email_code(
            &env.authn,
            "code@example.com",
            &second,
            ClientInfo::default(),
        )
        .await
        .unwrap()
        .signed_in()
        .unwrap();
    assert_eq!(signed_in.user_id, id);
    assert!(env
        .flows
        .sign_in_with_email_code(
            &env.authn,
            "code@example.com",
            &second,
            ClientInfo::default()
        )
        .await
        .is_err());
}

/// Issue 10.1: codes used to be magic-link tokens whose hash was SHA-256 of
/// `email-code:<user id>:<code>`, so the magic-link form could try all million codes with no
/// failure recorded. Now a code is only taken by the code form, its stored hash is keyed, and
/// it dies after five wrong guesses even where the lockout would allow more.
#[tokio::test]
async fn an_email_code_is_taken_only_by_the_code_form_and_dies_after_five_wrong_guesses() {
    let env = setup().await;
    let id = env.account("guess@example.com").await;
    env.flows
        .request_email_code(&env.authn, "guess@example.com")
        .await
        .unwrap();
    env.deliver().await;
    let code = code_in(&env.smtp.wait_for("guess@example.com", 1).await.text);
    for text in [format!("email-code:{id}:{code}"), code.clone()] {
        assert!(matches!(
            env.flows
                .sign_in_with_magic_link(&env.authn, &text, ClientInfo::default())
                .await,
            Err(FlowError::InvalidLink)
        ));
    }
    let stored: String =
        sqlx::query_scalar("SELECT code_hash FROM gatehouse.email_codes WHERE user_id = $1")
            .bind(id)
            .fetch_one(&env.superuser)
            .await
            .unwrap();
    assert_ne!(
        stored,
        identity::token::hash_token(&format!("email-code:{id}:{code}"))
    );
    assert_ne!(stored, identity::token::hash_token(&code));

    let lenient = flows_with(
        PasswordPolicy::default(),
        LockoutPolicy {
            max_attempts: 100,
            ..LockoutPolicy::default()
        },
    );
    let wrong: Vec<String> = (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .filter(|c| *c != code)
        .take(5)
        .collect();
    for guess in &wrong {
        assert!(matches!(
            lenient
                .sign_in_with_email_code(
                    &env.authn,
                    "guess@example.com",
                    guess,
                    ClientInfo::default()
                )
                .await,
            Err(FlowError::InvalidCode)
        ));
    }
    // Every wrong guess is a failed sign-in of the address...
    let attempts = env
        .authn
        .get_recent_attempts("guess@example.com", None)
        .await
        .unwrap();
    assert_eq!(attempts.iter().filter(|a| !a.success).count(), 5);
    // ...and the code itself is gone, though the lockout would allow more guesses.
    assert!(matches!(
        lenient
            .sign_in_with_email_code(
                &env.authn,
                "guess@example.com",
                &code,
                ClientInfo::default()
            )
            .await,
        Err(FlowError::InvalidCode)
    ));
}

/// Issue 10.5: a request that names an address runs the same statements whether or not the
/// address has an account (the account is looked up later, by the worker), so its timing tells
/// nothing. The statements are read from sqlx's own query log.
#[tokio::test]
async fn mail_requests_run_the_same_statements_for_known_and_unknown_addresses() {
    let env = setup().await;
    env.open_sign_up().await;
    env.account("known@example.com").await;
    let mut runs = Vec::new();
    for email in ["known@example.com", "unknown@example.com"] {
        let (_, statements) = test_support::statements::recorded(async {
            env.flows
                .request_password_reset(&env.authn, email)
                .await
                .unwrap();
            env.flows
                .request_magic_link(&env.authn, email)
                .await
                .unwrap();
            env.flows
                .request_email_code(&env.authn, email)
                .await
                .unwrap();
            env.sign_up(email, PASSWORD).await.unwrap();
        })
        .await;
        runs.push(statements);
    }
    assert!(runs[0].len() >= 4, "{:?}", runs[0]);
    assert_eq!(runs[0], runs[1]);
    // Only the worker tells them apart: the known address gets its mails, the unknown one
    // only the sign-up's verification link.
    env.deliver().await;
    assert_eq!(
        env.smtp.wait_for("known@example.com", 4).await.to,
        "known@example.com"
    );
    env.smtp.wait_for("unknown@example.com", 1).await;
    assert_eq!(env.mails_to("unknown@example.com").await, 1);
}

#[tokio::test]
async fn a_password_reset_revokes_everything_and_tells_the_owner() {
    let env = setup().await;
    let id = env.account("reset@example.com").await;
    let before = env
        .password_sign_in("reset@example.com", PASSWORD)
        .await
        .unwrap();
    env.flows
        .request_password_reset(&env.authn, "unknown@example.com")
        .await
        .unwrap();
    for _ in 0..2 {
        env.flows
            .request_password_reset(&env.authn, "reset@example.com")
            .await
            .unwrap();
    }
    env.deliver().await;
    let first = token_in(
        &env.smtp.wait_for("reset@example.com", 1).await.text,
        "reset-password",
    );
    let second = token_in(
        &env.smtp.wait_for("reset@example.com", 2).await.text,
        "reset-password",
    );
    assert_eq!(env.mails_to("unknown@example.com").await, 0);

    let weak = SecretString::from("short");
    let err = env
        .flows
        .reset_password(
            &env.authn,
            &first,
            NewPassword {
                password: &weak,
                confirm: &weak,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("password"));

    // Issue 10.6: what else could act for the account before the reset.
    for name in ["ci", "backup"] {
        env.authn
            .create_api_key(
                id,
                &identity::OpaqueToken::generate().hash(),
                Some(name),
                None,
            )
            .await
            .unwrap();
    }
    let pending = {
        let mut tx = env.authn.begin().await.unwrap();
        let pending = identity::pending::begin(
            &mut tx,
            id,
            identity::pending::FirstFactor::Password,
            ClientInfo::default(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        pending
    };

    // The refused attempt left the link usable.
    let new = SecretString::from("a brand new passphrase");
    let outcome = env
        .flows
        .reset_password(
            &env.authn,
            &first,
            NewPassword {
                password: &new,
                confirm: &new,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        outcome,
        identity::flows::ResetOutcome {
            sessions: 1,
            api_keys: 2
        }
    );
    assert!(env.authn.list_api_keys(id).await.unwrap().is_empty());
    {
        let mut tx = env.authn.begin().await.unwrap();
        assert!(identity::pending::find(&mut tx, pending.expose())
            .await
            .unwrap()
            .is_none());
    }
    let mut client = env.authn.clone();
    assert!(client
        .validate_session(&before.token.hash())
        .await
        .unwrap()
        .is_none());
    assert!(env.authn.list_sessions(id).await.unwrap().is_empty());
    assert!(matches!(
        env.flows
            .reset_password(
                &env.authn,
                &second,
                NewPassword {
                    password: &new,
                    confirm: &new,
                },
            )
            .await,
        Err(FlowError::InvalidLink)
    ));
    assert!(env
        .password_sign_in("reset@example.com", PASSWORD)
        .await
        .is_err());
    env.password_sign_in("reset@example.com", "a brand new passphrase")
        .await
        .unwrap();
    env.deliver().await;
    let notice = env.smtp.wait_for("reset@example.com", 3).await;
    assert_eq!(notice.subject, "Your password was changed");
    assert!(
        notice.text.contains("Its 2 API keys were revoked."),
        "{}",
        notice.text
    );
}

/// Issue 10.9: an admin knows the initial password they typed, so the first sign-in (by any
/// first factor) asks the owner for their own before anything else; a second factor cannot
/// skip that step.
#[tokio::test]
async fn an_initial_password_set_by_an_admin_is_replaced_at_the_first_sign_in() {
    let env = setup().await;
    let initial = SecretString::from("a sturdy initial passphrase");
    let id = env
        .flows
        .create_with_password(
            &env.authn,
            "created@example.com",
            NewPassword {
                password: &initial,
                confirm: &initial,
            },
        )
        .await
        .unwrap();
    identity::admin::user::mark_verified(&env.authn, id)
        .await
        .unwrap();
    let step = env
        .sign_in
        .sign_in(
            &env.authn,
            SignInRequest {
                email: "created@example.com",
                password: &initial,
                ip_address: None,
                user_agent: None,
            },
        )
        .await
        .unwrap();
    let identity::SignInStep::NewPasswordRequired { pending, user_id } = step else {
        panic!("expected the new-password step, got {step:?}");
    };
    assert_eq!(user_id, id);
    assert!(env.authn.list_sessions(id).await.unwrap().is_empty());
    {
        let mut tx = env.authn.begin().await.unwrap();
        assert!(
            identity::pending::find(&mut tx, pending.expose())
                .await
                .unwrap()
                .is_none(),
            "not a second-factor step"
        );
    }
    let weak = SecretString::from("short");
    assert!(matches!(
        env.flows
            .set_required_password(
                &env.authn,
                pending.expose(),
                NewPassword {
                    password: &weak,
                    confirm: &weak
                },
                ClientInfo::default()
            )
            .await,
        Err(FlowError::WeakPassword(_))
    ));
    let mine = SecretString::from("lantern orbit velvet canyon");
    let signed_in = env
        .flows
        .set_required_password(
            &env.authn,
            pending.expose(),
            NewPassword {
                password: &mine,
                confirm: &mine,
            },
            ClientInfo::default(),
        )
        .await
        .unwrap()
        .signed_in()
        .unwrap();
    assert_eq!(signed_in.user_id, id);
    // Once only, and the admin's password is gone.
    assert!(env
        .flows
        .set_required_password(
            &env.authn,
            pending.expose(),
            NewPassword {
                password: &mine,
                confirm: &mine,
            },
            ClientInfo::default(),
        )
        .await
        .is_err());
    assert!(matches!(
        env.password_sign_in("created@example.com", "a sturdy initial passphrase")
            .await,
        Err(SignInError::InvalidCredentials)
    ));
    env.password_sign_in("created@example.com", "lantern orbit velvet canyon")
        .await
        .unwrap();
}

#[tokio::test]
async fn undeliverable_mail_is_kept_and_retried_later() {
    let env = setup().await;
    env.account("retry@example.com").await;
    env.flows
        .request_magic_link(&env.authn, "retry@example.com")
        .await
        .unwrap();
    env.flows.fulfil_mail_requests(&env.pool).await.unwrap();
    // Nothing listens on this port.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let broken = MailDelivery::from_url(
        &format!("smtp://127.0.0.1:{port}"),
        "no-reply@console.test",
        keys(),
    )
    .unwrap();
    deliver_due(&env.pool, &broken, WorkerSettings::default(), &|| ())
        .await
        .unwrap();
    let (attempts, sent, failed, has_body, due_later): (i32, bool, bool, bool, bool) =
        sqlx::query_as(
            "SELECT attempts, sent_at IS NOT NULL, failed_at IS NOT NULL, text_body IS NOT NULL, \
                    next_attempt_at > now() + interval '20 seconds' \
               FROM gatehouse.mail_outbox WHERE recipient = 'retry@example.com' AND namespace = $1",
        )
        .bind(env.authn.namespace())
        .fetch_one(&env.superuser)
        .await
        .unwrap();
    assert_eq!(
        (attempts, sent, failed, has_body, due_later),
        (1, false, false, true, true)
    );
}

/// Issue 10.7: the outbox holds bodies sealed with the deployment's key, and a mail whose link
/// has expired is never sent and loses its body.
#[tokio::test]
async fn outbox_bodies_are_sealed_and_purged_when_their_link_expires() {
    let env = setup().await;
    env.account("sealed@example.com").await;
    env.flows
        .request_magic_link(&env.authn, "sealed@example.com")
        .await
        .unwrap();
    env.flows.fulfil_mail_requests(&env.pool).await.unwrap();
    let (text, html, purge_in): (String, String, f64) = sqlx::query_as(
        "SELECT text_body, html_body, extract(epoch FROM purge_at - now())::float8 \
           FROM gatehouse.mail_outbox WHERE recipient = 'sealed@example.com' AND namespace = $1",
    )
    .bind(env.authn.namespace())
    .fetch_one(&env.superuser)
    .await
    .unwrap();
    for body in [&text, &html] {
        assert!(body.starts_with("v1."), "sealed: {body}");
        assert!(
            !body.contains("magic-link") && !body.contains("sealed@"),
            "{body}"
        );
    }
    assert!(
        (800.0..=900.0).contains(&purge_in),
        "15 minutes: {purge_in}"
    );
    // Opened only with the right key, for the right row.
    assert!(
        outbox::open_body(&keys(), env.authn.namespace(), "sealed@example.com", &text)
            .is_some_and(|t| t.contains("magic-link/confirm?token="))
    );
    assert!(
        outbox::open_body(&keys(), env.authn.namespace(), "other@example.com", &text).is_none()
    );

    // Its link expires before anyone could deliver it.
    sqlx::query("UPDATE gatehouse.mail_outbox SET purge_at = now() - interval '1 second' WHERE namespace = $1")
        .bind(env.authn.namespace())
        .execute(&env.superuser)
        .await
        .unwrap();
    env.deliver().await;
    let (sent, failed, text, html, error): (bool, bool, Option<String>, Option<String>, Option<String>) =
        sqlx::query_as(
            "SELECT sent_at IS NOT NULL, failed_at IS NOT NULL, text_body, html_body, last_error \
               FROM gatehouse.mail_outbox WHERE recipient = 'sealed@example.com' AND namespace = $1",
        )
        .bind(env.authn.namespace())
        .fetch_one(&env.superuser)
        .await
        .unwrap();
    assert_eq!(
        (sent, failed, text, html, error.as_deref()),
        (false, true, None, None, Some("expired before delivery"))
    );
    assert_eq!(env.mails_to("sealed@example.com").await, 0);
}

#[tokio::test]
async fn a_password_change_keeps_this_device_signs_out_the_others_and_tells_the_owner() {
    let env = setup().await;
    let user = env.account("changer@example.com").await;
    let here = env
        .password_sign_in("changer@example.com", PASSWORD)
        .await
        .unwrap();
    let elsewhere = env
        .password_sign_in("changer@example.com", PASSWORD)
        .await
        .unwrap();
    let change = |current: &'static str, new: &'static str, confirm: &'static str| {
        let flows = env.flows.clone();
        let authn = env.authn.clone();
        let session = here.session_id;
        async move {
            let current = SecretString::from(current);
            let new = SecretString::from(new);
            let confirm = SecretString::from(confirm);
            flows
                .change_password(
                    &authn,
                    identity::PasswordChange {
                        user_id: user,
                        current_session: session,
                        current: &current,
                        new: NewPassword {
                            password: &new,
                            confirm: &confirm,
                        },
                        ip_address: None,
                    },
                )
                .await
        }
    };

    // Refusals change nothing.
    let wrong = change(
        "not the password",
        "a fresh long passphrase",
        "a fresh long passphrase",
    )
    .await;
    assert!(matches!(wrong, Err(FlowError::WrongCurrentPassword)));
    let common = change(PASSWORD, "password1234", "password1234").await;
    assert!(matches!(
        common,
        Err(FlowError::WeakPassword(identity::PolicyViolation::Common))
    ));
    let mismatch = change(
        PASSWORD,
        "a fresh long passphrase",
        "another long passphrase",
    )
    .await;
    assert!(matches!(mismatch, Err(FlowError::PasswordMismatch)));
    assert_eq!(env.authn.list_sessions(user).await.unwrap().len(), 2);
    assert!(env
        .password_sign_in("changer@example.com", PASSWORD)
        .await
        .is_ok());

    change(
        PASSWORD,
        "a fresh long passphrase",
        "a fresh long passphrase",
    )
    .await
    .unwrap();
    let left: Vec<Uuid> = env
        .authn
        .list_sessions(user)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.session_id)
        .collect();
    assert_eq!(left, vec![here.session_id]);
    assert!(!left.contains(&elsewhere.session_id));
    assert!(matches!(
        env.password_sign_in("changer@example.com", PASSWORD).await,
        Err(SignInError::InvalidCredentials)
    ));
    assert!(env
        .password_sign_in("changer@example.com", "a fresh long passphrase")
        .await
        .is_ok());
    env.deliver().await;
    assert_eq!(env.mails_to("changer@example.com").await, 1);
    // The wrong current password counted as a failed attempt.
    let attempts = env
        .authn
        .get_recent_attempts("changer@example.com", None)
        .await
        .unwrap();
    assert!(attempts.iter().any(|a| !a.success));
}

#[tokio::test]
async fn an_email_change_happens_only_through_the_link_to_the_new_address() {
    let env = setup().await;
    let user = env.account("old@example.com").await;
    env.account("taken@example.com").await;

    assert!(matches!(
        env.flows
            .request_email_change(&env.authn, user, "old@example.com", "not an address")
            .await,
        Err(identity::email_change::EmailChangeError::InvalidEmail(_))
    ));
    assert!(matches!(
        env.flows
            .request_email_change(&env.authn, user, "old@example.com", "OLD@example.com")
            .await,
        Err(identity::email_change::EmailChangeError::SameAddress)
    ));
    // A taken address: its owner hears of it; the requester's account is untouched.
    env.flows
        .request_email_change(&env.authn, user, "old@example.com", "taken@example.com")
        .await
        .unwrap();
    env.flows
        .request_email_change(&env.authn, user, "old@example.com", "new@example.com")
        .await
        .unwrap();
    env.deliver().await;
    assert_eq!(env.mails_to("taken@example.com").await, 1);
    let mails = env.smtp.all();
    let to_new = mails.iter().find(|m| m.to == "new@example.com").unwrap();
    let token = token_in(&to_new.text, "security/email/confirm");
    // Nothing changed yet.
    let before = env.authn.get_user(user).await.unwrap().unwrap();
    assert_eq!(before.email, "old@example.com");

    let new = env
        .flows
        .confirm_email_change(&env.authn, &token)
        .await
        .unwrap();
    assert_eq!(new, "new@example.com");
    let after = env.authn.get_user(user).await.unwrap().unwrap();
    assert_eq!(after.email, "new@example.com");
    assert!(
        after.email_verified_at.is_some(),
        "the link proved the mailbox"
    );
    assert!(matches!(
        env.flows.confirm_email_change(&env.authn, &token).await,
        Err(identity::email_change::EmailChangeError::InvalidLink)
    ));
    env.deliver().await;
    assert_eq!(
        env.mails_to("old@example.com").await,
        1,
        "the old address is told"
    );
    assert!(env
        .password_sign_in("new@example.com", PASSWORD)
        .await
        .is_ok());
    assert!(env
        .password_sign_in("old@example.com", PASSWORD)
        .await
        .is_err());
}

/// Review finding: a verification link sets the password, so links mailed to the old address
/// must die when the address changes (and with a reset).
#[tokio::test]
async fn links_to_the_old_address_die_when_the_address_changes() {
    let env = setup().await;
    let id = env.account("before@example.com").await;
    let stale = identity::OpaqueToken::generate();
    env.authn
        .create_token(
            id,
            &stale.hash(),
            authn::TokenType::EmailVerify,
            Some(TimeDelta::hours(24)),
        )
        .await
        .unwrap();
    env.flows
        .request_email_change(&env.authn, id, "before@example.com", "after@example.com")
        .await
        .unwrap();
    env.deliver().await;
    let link = env.smtp.wait_for("after@example.com", 1).await;
    let token = token_in(&link.text, "security/email/confirm");
    env.flows
        .confirm_email_change(&env.authn, &token)
        .await
        .unwrap();
    let chosen = SecretString::from("an impostor's passphrase");
    assert!(matches!(
        env.flows
            .verify_email(
                &env.authn,
                stale.expose(),
                NewPassword {
                    password: &chosen,
                    confirm: &chosen
                }
            )
            .await,
        Err(FlowError::InvalidLink)
    ));
    env.password_sign_in("after@example.com", PASSWORD)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_expired_email_change_link_changes_nothing() {
    let env = setup().await;
    let user = env.account("stays@example.com").await;
    env.flows
        .request_email_change(&env.authn, user, "stays@example.com", "moved@example.com")
        .await
        .unwrap();
    env.deliver().await;
    let mails = env.smtp.all();
    let mail = mails.iter().find(|m| m.to == "moved@example.com").unwrap();
    let token = token_in(&mail.text, "security/email/confirm");
    env.as_superuser("UPDATE gatehouse.email_changes SET expires_at = now() - interval '1 second'")
        .await;
    assert!(matches!(
        env.flows.confirm_email_change(&env.authn, &token).await,
        Err(identity::email_change::EmailChangeError::InvalidLink)
    ));
    let user = env.authn.get_user(user).await.unwrap().unwrap();
    assert_eq!(user.email, "stays@example.com");
    // The cleanup job drops it.
    let mut tx = env.authn.begin().await.unwrap();
    assert_eq!(
        identity::email_change::purge_expired(&mut tx)
            .await
            .unwrap(),
        1
    );
    tx.commit().await.unwrap();
}

const CHROME_LINUX: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
const CHROME_LINUX_NEXT: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/157.0.0.0 Safari/537.36";
const FIREFOX_WINDOWS: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";

impl Env {
    /// How many devices the new-device check knows for the account (as the superuser: the
    /// count is the test's, not a tenant's).
    async fn known_devices(&self, id: Uuid) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM gatehouse.known_devices WHERE user_id = $1")
            .bind(id)
            .fetch_one(&self.superuser)
            .await
            .unwrap()
    }

    /// Moves the account's sign-ins out of the new-device check's 90 days.
    async fn forget_sign_ins(&self, id: Uuid) {
        self.as_superuser(&format!(
            "UPDATE gatehouse.account_activity SET occurred_at = now() - interval '91 days' WHERE user_id = '{id}'"
        ))
        .await;
        self.as_superuser(&format!(
            "UPDATE gatehouse.known_devices SET last_seen_at = now() - interval '91 days' WHERE user_id = '{id}'"
        ))
        .await;
    }

    async fn sign_in_from(&self, email: &str, user_agent: &str) {
        let p = SecretString::from(PASSWORD);
        self.sign_in
            .sign_in(
                &self.authn,
                SignInRequest {
                    email,
                    password: &p,
                    ip_address: Some("203.0.113.9".parse().unwrap()),
                    user_agent: Some(user_agent),
                },
            )
            .await
            .unwrap();
        self.deliver().await;
    }
}

#[tokio::test]
async fn a_sign_in_from_a_new_browser_and_device_mails_the_owner_unless_they_turned_it_off() {
    let env = setup().await;
    let email = "traveller@example.com";
    let id = env.account(email).await;

    // A new account's first sign-in has nothing to compare with.
    env.sign_in_from(email, CHROME_LINUX).await;
    assert_eq!(env.mails_to(email).await, 0);
    // A browser update is the same device.
    env.sign_in_from(email, CHROME_LINUX_NEXT).await;
    assert_eq!(env.mails_to(email).await, 0);
    // A client that names no browser is a device of its own: announced once.
    env.sign_in_from(email, "python-requests/2.32").await;
    env.sign_in_from(email, "curl/8.5").await;
    let notice: Vec<_> = env
        .smtp
        .all()
        .into_iter()
        .filter(|m| m.to == email)
        .collect();
    assert_eq!(notice.len(), 1);
    assert!(notice[0]
        .text
        .contains("a browser or program that did not say what it is"));

    // Another browser and system: one mail naming it, the place and the devices page.
    env.sign_in_from(email, FIREFOX_WINDOWS).await;
    let notice: Vec<_> = env
        .smtp
        .all()
        .into_iter()
        .filter(|m| m.to == email)
        .collect();
    assert_eq!(notice.len(), 2);
    assert_eq!(notice[1].subject, "New sign-in to your account");
    assert!(
        notice[1].text.contains("Firefox 128 on Windows 10"),
        "{}",
        notice[1].text
    );
    assert!(notice[1].text.contains("from IP address 203.0.113.9"));
    assert!(notice[1].text.contains("http://console.test/"));
    assert!(notice[1].text.contains("/devices"));
    // Known from now on.
    env.sign_in_from(email, FIREFOX_WINDOWS).await;
    assert_eq!(env.mails_to(email).await, 2);

    // Sign-ins older than 90 days do not count, nor does the account's age spare it.
    env.forget_sign_ins(id).await;
    env.as_superuser(&format!(
        "UPDATE authn.users SET created_at = now() - interval '200 days' WHERE id = '{id}'"
    ))
    .await;
    env.sign_in_from(email, CHROME_LINUX).await;
    assert_eq!(env.mails_to(email).await, 3);

    // Turned off: nothing, and the choice reads back; on again, mail again.
    identity::sign_in_alert::set_new_device_mail(&env.authn, id, false)
        .await
        .unwrap();
    assert!(!identity::sign_in_alert::new_device_mail(&env.authn, id)
        .await
        .unwrap());
    env.forget_sign_ins(id).await;
    env.sign_in_from(email, FIREFOX_WINDOWS).await;
    assert_eq!(env.mails_to(email).await, 3);
    identity::sign_in_alert::set_new_device_mail(&env.authn, id, true)
        .await
        .unwrap();
    env.forget_sign_ins(id).await;
    env.sign_in_from(email, FIREFOX_WINDOWS).await;
    assert_eq!(env.mails_to(email).await, 4);
}

#[tokio::test]
async fn devices_seen_before_the_known_devices_table_are_derived_once_from_the_activity() {
    let env = setup().await;
    let email = "veteran@example.com";
    let id = env.account(email).await;
    env.as_superuser(&format!(
        "UPDATE authn.users SET created_at = now() - interval '200 days' WHERE id = '{id}'"
    ))
    .await;
    // Sign-ins recorded before migration 39: activity only, no known device.
    env.as_superuser(&format!(
        "INSERT INTO gatehouse.account_activity (namespace, user_id, kind, detail, user_agent, occurred_at) \
         SELECT namespace, id, 'sign_in', 'password', '{FIREFOX_WINDOWS}', now() - interval '3 days' \
           FROM authn.users WHERE id = '{id}'"
    ))
    .await;
    env.sign_in_from(email, FIREFOX_WINDOWS).await;
    assert_eq!(env.mails_to(email).await, 0, "known from the activity");
    env.sign_in_from(email, CHROME_LINUX).await;
    assert_eq!(
        env.mails_to(email).await,
        1,
        "a device the activity never saw"
    );
    let known = env.known_devices(id).await;
    assert_eq!(known, 2, "one row per device, not per sign-in");

    // Upkeep forgets devices not seen for 90 days, and only those.
    env.as_superuser(&format!(
        "UPDATE gatehouse.known_devices SET last_seen_at = now() - interval '91 days' \
          WHERE user_id = '{id}' AND device LIKE '%Firefox'"
    ))
    .await;
    let mut tx = env.authn.begin().await.unwrap();
    assert_eq!(
        identity::sign_in_alert::purge_stale(&mut tx).await.unwrap(),
        1
    );
    tx.commit().await.unwrap();
    let known = env.known_devices(id).await;
    assert_eq!(known, 1);
}
