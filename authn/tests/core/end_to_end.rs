//! Spec §10.15 line 240: the whole account life cycle as an application would drive it.

use chrono::TimeDelta;

use authn::{NewSession, TokenType};

use crate::harness::*;

#[tokio::test]
async fn c240_signup_login_devices_reset_email_change() {
    let t = ctx().await;
    let mut app = t.authn.clone();
    // Sign-up and verification.
    let user = app
        .create_user("life@example.com", Some("hash-v1"))
        .await
        .unwrap();
    app.create_token(user, "verify-1", TokenType::EmailVerify, None)
        .await
        .unwrap();
    assert_eq!(
        app.verify_email("verify-1").await.unwrap().unwrap().user_id,
        user
    );
    // Login: lockout check, credentials, hash comparison, attempt, session.
    async fn login(t: &Ctx, hash: &str) -> Option<String> {
        if t.authn
            .is_locked_out("life@example.com", None, None)
            .await
            .unwrap()
        {
            return None;
        }
        let creds = t.authn.get_credentials("life@example.com").await.unwrap()?;
        let ok = creds.password_hash.as_deref() == Some(hash) && creds.disabled_at.is_none();
        t.authn
            .record_login_attempt("life@example.com", ok, None)
            .await
            .unwrap();
        if !ok {
            return None;
        }
        let tok = token();
        t.authn
            .create_session(NewSession::new(creds.user_id, &tok))
            .await
            .unwrap();
        Some(tok)
    }
    let laptop = login(&t, "hash-v1").await.unwrap();
    assert_eq!(
        app.validate_session(&laptop)
            .await
            .unwrap()
            .unwrap()
            .user_id,
        user
    );
    let phone = login(&t, "hash-v1").await.unwrap();
    assert_eq!(app.list_sessions(user).await.unwrap().len(), 2);
    assert!(app
        .extend_session(&laptop, Some(TimeDelta::days(14)))
        .await
        .unwrap()
        .is_some());
    assert!(app.revoke_session(&phone).await.unwrap());
    assert_eq!(app.list_sessions(user).await.unwrap().len(), 1);
    // Password reset, in one transaction: nothing half-done if any step fails.
    let mut tx = app.begin().await.unwrap();
    tx.invalidate_tokens(user, TokenType::PasswordReset)
        .await
        .unwrap();
    tx.create_token(user, "reset-1", TokenType::PasswordReset, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = app.begin().await.unwrap();
    let owner = tx
        .consume_token("reset-1", TokenType::PasswordReset)
        .await
        .unwrap()
        .unwrap();
    assert!(tx.update_password(owner.user_id, "hash-v2").await.unwrap());
    assert_eq!(tx.revoke_all_sessions(owner.user_id).await.unwrap(), 1);
    tx.commit().await.unwrap();
    assert!(app.validate_session(&laptop).await.unwrap().is_none());
    assert!(login(&t, "hash-v1").await.is_none());
    assert!(login(&t, "hash-v2").await.is_some());
    // E-mail change clears verification.
    assert!(app.update_email(user, "life2@example.com").await.unwrap());
    assert!(app
        .get_user(user)
        .await
        .unwrap()
        .unwrap()
        .email_verified_at
        .is_none());
}
