//! Spec §10.10 maintenance and statistics.

use chrono::TimeDelta;

use authn::{MfaType, NewSession, StartImpersonation, TokenType};

use crate::harness::*;

#[tokio::test]
async fn c147_c148_c149_c150_c151_c155_cleanup_expired() {
    let t = ctx().await;
    let id = t.user("c@example.com").await;
    let (live_sid, live_tok) = t.session(id).await;
    t.authn
        .create_session(NewSession {
            expires_in: Some(TimeDelta::seconds(-1)),
            ..NewSession::new(id, &token())
        })
        .await
        .unwrap();
    let (_, revoked_tok) = t.session(id).await;
    t.authn.revoke_session(&revoked_tok).await.unwrap();
    // One-time tokens: one used.
    t.authn
        .create_token(id, "used", TokenType::MagicLink, None)
        .await
        .unwrap();
    t.authn
        .consume_token("used", TokenType::MagicLink)
        .await
        .unwrap();
    // Refresh tokens: one expired, one revoked, a twice-rotated family.
    t.authn
        .create_refresh_token(live_sid, "exp", Some(TimeDelta::seconds(-1)))
        .await
        .unwrap();
    let rev = t
        .authn
        .create_refresh_token(live_sid, "rev", None)
        .await
        .unwrap();
    t.authn
        .revoke_refresh_token_family(rev.family_id)
        .await
        .unwrap();
    t.authn
        .create_refresh_token(live_sid, "f1", None)
        .await
        .unwrap();
    t.authn
        .rotate_refresh_token("f1", "f2", None)
        .await
        .unwrap()
        .unwrap();
    t.authn
        .rotate_refresh_token("f2", "f3", None)
        .await
        .unwrap()
        .unwrap();
    // API keys: revoked and expired go, live stays.
    let k = t
        .authn
        .create_api_key(id, "k-rev", None, None)
        .await
        .unwrap();
    t.authn.revoke_api_key(k).await.unwrap();
    t.authn
        .create_api_key(id, "k-exp", None, Some(TimeDelta::seconds(-1)))
        .await
        .unwrap();
    t.authn
        .create_api_key(id, "k-live", None, None)
        .await
        .unwrap();
    // Attempts: five 60 days old and one recent.
    t.sql(&format!(
        "INSERT INTO authn.login_attempts (namespace, email, success, attempted_at) \
         SELECT '{}', 'c@example.com', false, now() - interval '60 days' FROM generate_series(1, 5)",
        t.ns
    ))
    .await;
    t.authn
        .record_login_attempt("c@example.com", false, None)
        .await
        .unwrap();

    let before = t.audit_count().await;
    let counts = t.authn.cleanup_expired().await.unwrap();
    assert_eq!(t.audit_count().await, before, "cleanup is not audited");
    assert_eq!(counts.sessions_deleted, 2);
    assert!(counts.tokens_deleted >= 1);
    assert_eq!(
        counts.refresh_tokens_deleted, 4,
        "expired, revoked and two replaced"
    );
    assert_eq!(counts.api_keys_deleted, 2);
    assert_eq!(counts.attempts_deleted, 5);
    let mut a = t.authn.clone();
    assert!(a.validate_session(&live_tok).await.unwrap().is_some());
    assert!(t
        .authn
        .validate_refresh_token("f3")
        .await
        .unwrap()
        .is_some());
    assert!(t.authn.validate_api_key("k-live").await.unwrap().is_some());
    assert_eq!(
        t.authn
            .get_recent_attempts("c@example.com", None)
            .await
            .unwrap()
            .len(),
        1
    );
    let again = t.authn.cleanup_expired().await.unwrap();
    assert_eq!(
        again,
        authn::CleanupCounts::default(),
        "one row of zeros when nothing to do"
    );
}

#[tokio::test]
async fn c152_c153_get_stats() {
    let t = ctx().await;
    assert_eq!(t.authn.get_stats().await.unwrap(), authn::Stats::default());
    let a = t.user("a@example.com").await;
    let b = t.user("b@example.com").await;
    t.sql(&format!(
        "UPDATE authn.users SET email_verified_at = now() WHERE id = '{a}'"
    ))
    .await;
    let (sid, _) = t.session(a).await;
    t.session(a).await;
    t.session(a).await;
    t.authn.create_refresh_token(sid, "r", None).await.unwrap();
    t.authn.create_api_key(a, "k", None, None).await.unwrap();
    t.authn.add_mfa(a, MfaType::Totp, "s", None).await.unwrap();
    t.authn
        .add_mfa(a, MfaType::Webauthn, "w", None)
        .await
        .unwrap();
    t.authn.disable_user(b).await.unwrap();
    let s = t.authn.get_stats().await.unwrap();
    assert_eq!(
        (
            s.user_count,
            s.verified_user_count,
            s.disabled_user_count,
            s.active_session_count
        ),
        (2, 1, 1, 3)
    );
    assert_eq!(
        (
            s.active_api_key_count,
            s.active_refresh_token_count,
            s.mfa_enabled_user_count
        ),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn c154_cleanup_of_admins_revoked_session_ends_impersonation() {
    let t = ctx().await;
    let admin = t.user("admin@example.com").await;
    let target = t.user("target@example.com").await;
    let (admin_sid, admin_tok) = t.session(admin).await;
    let imp_tok = token();
    t.authn
        .start_impersonation(StartImpersonation {
            actor_session_id: admin_sid,
            target_user_id: target,
            reason: "support",
            token_hash: &imp_tok,
            duration: None,
        })
        .await
        .unwrap();
    let mut a = t.authn.clone();
    assert!(a.validate_session(&imp_tok).await.unwrap().is_some());
    t.authn.revoke_session(&admin_tok).await.unwrap();
    t.authn.cleanup_expired().await.unwrap();
    assert!(a.validate_session(&imp_tok).await.unwrap().is_none());
}
