//! TOTP, recovery codes, the second step of sign-in and sudo mode against the real core.
//! Codes are computed here by a small RFC 6238 implementation of the test's own.

use std::sync::Arc;

use authn::{Authn, MfaType};
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use identity::clock::FixedClock;
use identity::{
    LockoutPolicy, PasswordHasher, SecondFactor, SecondFactorError, SecretBox, SignInRequest,
    SignInService, SignInStep, TotpService,
};
use secrecy::SecretString;
use uuid::Uuid;

pub(crate) const PASSWORD: &str = "correct horse battery staple";
pub(crate) const EMAIL: &str = "mfa@example.com";
const KEY: &str = "6b1f0a9c3d2e4f5061728394a5b6c7d8e9f00112233445566778899aabbccdde";

pub(crate) struct Fixture {
    pub db: String,
    pub authn: Authn,
    pub service: SignInService,
    pub user: Uuid,
}

pub(crate) async fn setup() -> Fixture {
    let db = crate::harness::database("identity_mfa").await;
    let pool = crate::harness::app_pool(&db, 4).await;
    let authn = Authn::new(pool.clone(), crate::harness::namespace())
        .await
        .unwrap();
    let hasher = PasswordHasher::new(1024, 1, 1).unwrap();
    let hash = hasher.hash(&SecretString::from(PASSWORD)).await.unwrap();
    let mut tx = authn.begin().await.unwrap();
    let user = identity::provisioning::create_verified_user(
        &mut tx,
        &identity::EmailAddress::parse(EMAIL).unwrap(),
        Some(&hash),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let service = SignInService::new(hasher, LockoutPolicy::default(), TimeDelta::hours(1));
    Fixture {
        db,
        authn,
        service,
        user,
    }
}

/// The portal's security services around the TOTP service of `now`.
pub(crate) fn settings(totp: TotpService) -> identity::SecuritySettings {
    identity::SecuritySettings::new(
        totp,
        Some(identity::passkeys::relying_party("http://localhost:3000").unwrap()),
        identity::mail::Links::new("http://localhost:3000"),
    )
}

pub(crate) fn totp_at(now: DateTime<Utc>) -> TotpService {
    TotpService::new(SecretBox::from_hex(KEY).unwrap(), Arc::new(FixedClock(now)))
}

/// RFC 6238 / RFC 4226 with HMAC-SHA1 and 6 digits, written for this test.
pub(crate) fn code_for(secret: &[u8], unix: i64) -> String {
    let counter = (unix / 30) as u64;
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).unwrap();
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let bin = u32::from_be_bytes(digest[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff;
    format!("{:06}", bin % 1_000_000)
}

fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c).unwrap() as u64;
        bits = (bits << 5) | v;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

/// Enrolls the fixture's user at `now`; returns the raw secret.
pub(crate) async fn enroll(f: &Fixture, now: DateTime<Utc>) -> Vec<u8> {
    let totp = totp_at(now);
    let setup = totp
        .begin_enrollment(f.authn.namespace(), f.user, EMAIL)
        .unwrap();
    let secret = base32_decode(&setup.secret_base32);
    let mut tx = f.authn.begin().await.unwrap();
    totp.finish_enrollment(
        &mut tx,
        f.user,
        &setup.enrollment,
        &code_for(&secret, now.timestamp()),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    secret
}

async fn pending_token(f: &Fixture) -> String {
    let p = SecretString::from(PASSWORD);
    let step = f
        .service
        .sign_in(
            &f.authn,
            SignInRequest {
                email: EMAIL,
                password: &p,
                ip_address: None,
                user_agent: Some("test"),
            },
        )
        .await
        .unwrap();
    match step {
        SignInStep::SecondFactorRequired { pending, .. } => pending.expose().to_owned(),
        other => panic!("expected the second step, got {other:?}"),
    }
}

/// After a wrong code the page shows the same setup again, from the sealed enrollment alone;
/// only its owner, and only while it is fresh, can open it.
#[tokio::test]
async fn a_begun_enrollment_shows_the_same_key_again_to_its_owner_while_fresh() {
    let f = setup().await;
    let now = Utc::now();
    let totp = totp_at(now);
    let first = totp
        .begin_enrollment(f.authn.namespace(), f.user, EMAIL)
        .unwrap();
    let again = totp
        .resume_enrollment(f.authn.namespace(), f.user, EMAIL, &first.enrollment)
        .unwrap();
    assert_eq!(again.secret_base32, first.secret_base32);
    assert_eq!(again.otpauth_uri, first.otpauth_uri);
    assert_eq!(again.enrollment, first.enrollment);
    assert!(!again.qr_png_base64.is_empty());
    for refused in [
        totp.resume_enrollment(
            f.authn.namespace(),
            Uuid::new_v4(),
            EMAIL,
            &first.enrollment,
        ),
        totp.resume_enrollment("elsewhere", f.user, EMAIL, &first.enrollment),
        totp.resume_enrollment(f.authn.namespace(), f.user, EMAIL, "not sealed"),
        totp_at(now + TimeDelta::minutes(16)).resume_enrollment(
            f.authn.namespace(),
            f.user,
            EMAIL,
            &first.enrollment,
        ),
    ] {
        assert!(matches!(
            refused,
            Err(identity::totp::TotpError::EnrollmentInvalid)
        ));
    }
}

#[tokio::test]
async fn totp_enrollment_needs_a_current_code_and_stores_the_secret_sealed() {
    let f = setup().await;
    let now = Utc::now();
    let totp = totp_at(now);
    let setup = totp
        .begin_enrollment(f.authn.namespace(), f.user, EMAIL)
        .unwrap();
    let secret = base32_decode(&setup.secret_base32);
    assert_eq!(secret.len(), 20, "160-bit secret");
    assert!(setup.otpauth_uri.starts_with("otpauth://totp/"));
    assert!(setup.otpauth_uri.contains("issuer=Gatehouse"));
    assert!(setup.otpauth_uri.contains(f.authn.namespace()));

    let mut tx = f.authn.begin().await.unwrap();
    let wrong = totp
        .finish_enrollment(&mut tx, f.user, &setup.enrollment, "000000")
        .await;
    assert!(matches!(wrong, Err(identity::totp::TotpError::WrongCode)));
    drop(tx);
    // Made for someone else: does not open.
    let mut tx = f.authn.begin().await.unwrap();
    let foreign = totp
        .finish_enrollment(
            &mut tx,
            Uuid::new_v4(),
            &setup.enrollment,
            &code_for(&secret, now.timestamp()),
        )
        .await;
    assert!(matches!(
        foreign,
        Err(identity::totp::TotpError::EnrollmentInvalid)
    ));
    drop(tx);
    // Too late.
    let later = totp_at(now + TimeDelta::minutes(16));
    let mut tx = f.authn.begin().await.unwrap();
    let stale = later
        .finish_enrollment(
            &mut tx,
            f.user,
            &setup.enrollment,
            &code_for(&secret, now.timestamp() + 960),
        )
        .await;
    assert!(matches!(
        stale,
        Err(identity::totp::TotpError::EnrollmentInvalid)
    ));
    drop(tx);
    assert!(!f.authn.has_mfa(f.user).await.unwrap());

    let mut tx = f.authn.begin().await.unwrap();
    totp.finish_enrollment(
        &mut tx,
        f.user,
        &setup.enrollment,
        &code_for(&secret, now.timestamp()),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let stored = f.authn.get_mfa(f.user, MfaType::Totp).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].secret.contains(&setup.secret_base32));
    assert!(stored[0].secret.starts_with("v1."));

    // A second app is refused while one is set up.
    let again = totp
        .begin_enrollment(f.authn.namespace(), f.user, EMAIL)
        .unwrap();
    let mut tx = f.authn.begin().await.unwrap();
    let second = totp
        .finish_enrollment(
            &mut tx,
            f.user,
            &again.enrollment,
            &code_for(&base32_decode(&again.secret_base32), now.timestamp()),
        )
        .await;
    assert!(matches!(
        second,
        Err(identity::totp::TotpError::AlreadyEnrolled)
    ));
}

#[tokio::test]
async fn totp_codes_work_for_one_step_either_side_and_only_once() {
    let f = setup().await;
    let start = Utc::now();
    let secret = enroll(&f, start).await;
    let now = start + TimeDelta::minutes(2);
    let totp = totp_at(now);
    let t = now.timestamp();

    let mut tx = f.authn.begin().await.unwrap();
    assert!(
        totp.verify(&mut tx, f.user, &code_for(&secret, t - 90))
            .await
            .unwrap()
            .is_none(),
        "3 steps old"
    );
    assert!(
        totp.verify(&mut tx, f.user, &code_for(&secret, t + 90))
            .await
            .unwrap()
            .is_none(),
        "3 steps ahead"
    );
    assert!(totp
        .verify(&mut tx, f.user, "12345")
        .await
        .unwrap()
        .is_none());
    assert!(totp
        .verify(&mut tx, f.user, "abcdef")
        .await
        .unwrap()
        .is_none());
    assert!(
        totp.verify(&mut tx, f.user, &code_for(&secret, t - 30))
            .await
            .unwrap()
            .is_some(),
        "previous step"
    );
    // The same code again, and an older step after a newer one: both refused.
    assert!(totp
        .verify(&mut tx, f.user, &code_for(&secret, t - 30))
        .await
        .unwrap()
        .is_none());
    assert!(
        totp.verify(&mut tx, f.user, &code_for(&secret, t + 30))
            .await
            .unwrap()
            .is_some(),
        "next step"
    );
    assert!(
        totp.verify(&mut tx, f.user, &code_for(&secret, t))
            .await
            .unwrap()
            .is_none(),
        "older than the last used"
    );
    tx.commit().await.unwrap();
    let listed = f.authn.list_mfa(f.user).await.unwrap();
    assert!(listed[0].last_used_at.is_some(), "uses are recorded");
}

#[tokio::test]
async fn a_sealed_secret_needs_the_deployment_key() {
    let f = setup().await;
    let now = Utc::now();
    let secret = enroll(&f, now).await;
    let other = TotpService::new(
        SecretBox::from_hex(&"ab".repeat(32)).unwrap(),
        Arc::new(FixedClock(now + TimeDelta::seconds(30))),
    );
    let mut tx = f.authn.begin().await.unwrap();
    let r = other
        .verify(&mut tx, f.user, &code_for(&secret, now.timestamp() + 30))
        .await;
    assert!(matches!(r, Err(identity::totp::TotpError::Unreadable)));
}

#[tokio::test]
async fn sign_in_with_totp_completes_the_pending_step_once() {
    let f = setup().await;
    let start = Utc::now();
    let secret = enroll(&f, start - TimeDelta::minutes(1)).await;
    let totp = settings(totp_at(start));
    let pending = pending_token(&f).await;

    let methods = f
        .service
        .second_factor_methods(&f.authn, &pending)
        .await
        .unwrap()
        .unwrap();
    assert!(methods.totp);

    let wrong = f
        .service
        .complete_second_factor(
            &f.authn,
            &totp,
            &pending,
            SecondFactor::Totp("000000"),
            Default::default(),
        )
        .await;
    assert!(matches!(wrong, Err(SecondFactorError::WrongCode)));
    let code = code_for(&secret, start.timestamp());
    let signed_in = f
        .service
        .complete_second_factor(
            &f.authn,
            &totp,
            &pending,
            SecondFactor::Totp(&code),
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(signed_in.user_id, f.user);
    let sessions = f.authn.list_sessions(f.user).await.unwrap();
    assert_eq!(sessions.len(), 1);
    // The pending step is gone, and the code is spent for a new sign-in too.
    let again = f
        .service
        .complete_second_factor(
            &f.authn,
            &totp,
            &pending,
            SecondFactor::Totp(&code),
            Default::default(),
        )
        .await;
    assert!(matches!(again, Err(SecondFactorError::Expired)));
    let fresh = pending_token(&f).await;
    let replay = f
        .service
        .complete_second_factor(
            &f.authn,
            &totp,
            &fresh,
            SecondFactor::Totp(&code),
            Default::default(),
        )
        .await;
    assert!(matches!(replay, Err(SecondFactorError::WrongCode)));
    // The failures counted toward lockout.
    let attempts = f.authn.get_recent_attempts(EMAIL, None).await.unwrap();
    assert_eq!(attempts.iter().filter(|a| !a.success).count(), 2);
    // And the account's activity tells its owner what happened, newest first.
    let activity = identity::activity::recent(&f.authn, f.user, 10)
        .await
        .unwrap();
    let seen: Vec<(&str, Option<&str>)> = activity
        .iter()
        .map(|a| (a.kind.as_str(), a.detail.as_deref()))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("sign_in_failed", Some("authenticator app")),
            ("sign_in", Some("password + authenticator app")),
            ("sign_in_failed", Some("authenticator app")),
        ]
    );
}

#[tokio::test]
async fn recovery_codes_each_work_once_and_regenerating_replaces_the_set() {
    let f = setup().await;
    let now = Utc::now();
    enroll(&f, now).await;
    let mut tx = f.authn.begin().await.unwrap();
    let codes = identity::recovery::regenerate(&mut tx, f.user)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(codes.0.len(), 10);
    let stored = f
        .authn
        .get_mfa(f.user, MfaType::RecoveryCodes)
        .await
        .unwrap();
    assert_eq!(stored.len(), 10);
    assert!(stored
        .iter()
        .all(|s| !codes.0.iter().any(|c| s.secret.contains(c.as_str()))));

    let totp = settings(totp_at(now));
    let pending = pending_token(&f).await;
    let upper = codes.0[0].to_uppercase();
    f.service
        .complete_second_factor(
            &f.authn,
            &totp,
            &pending,
            SecondFactor::RecoveryCode(&upper),
            Default::default(),
        )
        .await
        .unwrap();
    let mut tx = f.authn.begin().await.unwrap();
    assert_eq!(
        identity::recovery::remaining(&mut tx, f.user)
            .await
            .unwrap(),
        9
    );
    drop(tx);
    let pending = pending_token(&f).await;
    let reused = f
        .service
        .complete_second_factor(
            &f.authn,
            &totp,
            &pending,
            SecondFactor::RecoveryCode(&codes.0[0]),
            Default::default(),
        )
        .await;
    assert!(
        matches!(reused, Err(SecondFactorError::RecoveryCodeUsed)),
        "a used code is told apart from a wrong one: {reused:?}"
    );

    let mut tx = f.authn.begin().await.unwrap();
    let fresh = identity::recovery::regenerate(&mut tx, f.user)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let reused_old = f
        .service
        .complete_second_factor(
            &f.authn,
            &totp,
            &pending,
            SecondFactor::RecoveryCode(&codes.0[1]),
            Default::default(),
        )
        .await;
    assert!(
        matches!(reused_old, Err(SecondFactorError::WrongRecoveryCode)),
        "the old set is gone, its spent codes forgotten: {reused_old:?}"
    );
    f.service
        .complete_second_factor(
            &f.authn,
            &totp,
            &pending,
            SecondFactor::RecoveryCode(&fresh.0[9]),
            Default::default(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn five_wrong_second_factors_drop_the_pending_sign_in() {
    let f = setup().await;
    enroll(&f, Utc::now()).await;
    let totp = settings(totp_at(Utc::now()));
    let pending = pending_token(&f).await;
    let mut outcomes = Vec::new();
    for _ in 0..5 {
        outcomes.push(
            f.service
                .complete_second_factor(
                    &f.authn,
                    &totp,
                    &pending,
                    SecondFactor::RecoveryCode("aaaa-aaaa-aaaa-aaaa"),
                    Default::default(),
                )
                .await
                .unwrap_err(),
        );
    }
    assert!(outcomes[..4]
        .iter()
        .all(|e| matches!(e, SecondFactorError::WrongRecoveryCode)));
    assert!(matches!(outcomes[4], SecondFactorError::TooManyAttempts));
    assert!(f
        .service
        .second_factor_methods(&f.authn, &pending)
        .await
        .unwrap()
        .is_none());
    // Five failures in the window lock the account: even a right password now waits.
    let p = SecretString::from(PASSWORD);
    let locked = f
        .service
        .sign_in(
            &f.authn,
            SignInRequest {
                email: EMAIL,
                password: &p,
                ip_address: None,
                user_agent: None,
            },
        )
        .await;
    assert!(matches!(
        locked,
        Err(identity::SignInError::LockedOut { .. })
    ));
}

#[tokio::test]
async fn sudo_mode_starts_at_sign_in_and_is_renewed_by_the_password() {
    let f = setup().await;
    let p = SecretString::from(PASSWORD);
    let step = f
        .service
        .sign_in(
            &f.authn,
            SignInRequest {
                email: EMAIL,
                password: &p,
                ip_address: None,
                user_agent: None,
            },
        )
        .await
        .unwrap();
    let session = step.signed_in().unwrap().session_id;
    assert!(
        identity::reauth::is_recent(&f.authn, session, TimeDelta::minutes(10))
            .await
            .unwrap()
    );
    let mut tx = f.authn.begin().await.unwrap();
    sqlx::query(
        "UPDATE gatehouse.reauthentications SET authenticated_at = now() - interval '11 minutes'",
    )
    .execute(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(
        !identity::reauth::is_recent(&f.authn, session, TimeDelta::minutes(10))
            .await
            .unwrap()
    );
    let elsewhere = f.authn.for_namespace("elsewhere").await.unwrap();
    assert!(
        !identity::reauth::is_recent(&elsewhere, session, TimeDelta::hours(1))
            .await
            .unwrap()
    );

    let wrong = f
        .service
        .confirm_password(
            &f.authn,
            session,
            EMAIL,
            &SecretString::from("not it at all"),
            None,
        )
        .await;
    assert!(matches!(
        wrong,
        Err(identity::SignInError::InvalidCredentials)
    ));
    assert!(
        !identity::reauth::is_recent(&f.authn, session, TimeDelta::minutes(10))
            .await
            .unwrap()
    );
    f.service
        .confirm_password(&f.authn, session, EMAIL, &p, None)
        .await
        .unwrap();
    assert!(
        identity::reauth::is_recent(&f.authn, session, TimeDelta::minutes(10))
            .await
            .unwrap()
    );
}

/// The fixture namespace's ceremonies (the table is under row-level security: counted in a
/// transaction of the namespace).
async fn ceremonies(f: &Fixture) -> i64 {
    let mut tx = f.authn.begin().await.unwrap();
    sqlx::query_scalar("SELECT count(*) FROM gatehouse.webauthn_ceremonies")
        .fetch_one(tx.conn())
        .await
        .unwrap()
}

#[tokio::test]
async fn passkey_ceremonies_are_single_use_bound_to_their_user_and_expire() {
    use identity::passkeys::PasskeyError;
    let f = setup().await;
    let passkeys = identity::passkeys::relying_party("http://localhost:3000").unwrap();

    // A forged or replayed answer uses the ceremony up.
    let mut tx = f.authn.begin().await.unwrap();
    let ceremony = passkeys.begin_sign_in(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    assert!(ceremony.options_json.contains("challenge"));
    assert_eq!(ceremonies(&f).await, 1);
    let mut tx = f.authn.begin().await.unwrap();
    let forged = passkeys.finish_sign_in(&mut tx, ceremony.id, "{}").await;
    assert!(matches!(forged, Err(PasskeyError::NotVerified)));
    tx.commit().await.unwrap();
    assert_eq!(ceremonies(&f).await, 0);

    // A registration started for one user cannot be finished for another; a bad name is
    // refused before anything is used up.
    let mut tx = f.authn.begin().await.unwrap();
    let mine = passkeys
        .begin_registration(&mut tx, f.user, EMAIL)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(
        mine.options_json.contains("\"residentKey\":\"required\""),
        "{}",
        mine.options_json
    );
    let mut tx = f.authn.begin().await.unwrap();
    let stranger = passkeys
        .finish_registration(&mut tx, Uuid::new_v4(), mine.id, "{}", "laptop")
        .await;
    assert!(matches!(stranger, Err(PasskeyError::NotVerified)));
    let unnamed = passkeys
        .finish_registration(&mut tx, f.user, mine.id, "{}", &"x".repeat(61))
        .await;
    assert!(matches!(unnamed, Err(PasskeyError::InvalidName)));
    tx.commit().await.unwrap();
    assert_eq!(ceremonies(&f).await, 1, "still there for its own user");

    // Expired: refused, and left for the cleanup job.
    let admin = sqlx::PgPool::connect(&test_support::url_for(&f.db, None))
        .await
        .unwrap();
    sqlx::query(
        "UPDATE gatehouse.webauthn_ceremonies SET expires_at = now() - interval '1 second'",
    )
    .execute(&admin)
    .await
    .unwrap();
    let mut tx = f.authn.begin().await.unwrap();
    let late = passkeys
        .finish_registration(&mut tx, f.user, mine.id, "{}", "laptop")
        .await;
    assert!(matches!(late, Err(PasskeyError::NotVerified)));
    tx.commit().await.unwrap();
    let mut tx = f.authn.begin().await.unwrap();
    assert_eq!(identity::passkeys::purge_expired(&mut tx).await.unwrap(), 1);
    tx.commit().await.unwrap();
    assert!(f.authn.list_mfa(f.user).await.unwrap().is_empty());
    // WebAuthn needs a domain name: an IP address cannot be a relying party.
    assert!(identity::passkeys::relying_party("http://127.0.0.1:3000").is_err());
}
