//! Spec §10.9 lockout, plus concurrent failures counted exactly.

use chrono::TimeDelta;

use authn::NewSession;

use crate::harness::*;

#[tokio::test]
async fn c135_c141_c146_recent_attempts() {
    let t = ctx().await;
    let ip = Some("192.168.1.1".parse().unwrap());
    t.authn
        .record_login_attempt("a@example.com", true, ip)
        .await
        .unwrap();
    t.authn
        .record_login_attempt("a@example.com", false, ip)
        .await
        .unwrap();
    let recent = t
        .authn
        .get_recent_attempts("A@example.com", None)
        .await
        .unwrap();
    assert_eq!(recent.len(), 2);
    assert!(!recent[0].success && recent[1].success, "newest first");
    assert_eq!(recent[0].ip_address.unwrap().to_string(), "192.168.1.1");
    for _ in 0..8 {
        t.authn
            .record_login_attempt("a@example.com", false, None)
            .await
            .unwrap();
    }
    assert_eq!(
        t.authn
            .get_recent_attempts("a@example.com", Some(3))
            .await
            .unwrap()
            .len(),
        3
    );
    t.sql(&format!(
        "INSERT INTO authn.login_attempts (namespace, email, success) SELECT '{}', 'a@example.com', true FROM generate_series(1, 150)",
        t.ns
    ))
    .await;
    assert_eq!(
        t.authn
            .get_recent_attempts("a@example.com", Some(500))
            .await
            .unwrap()
            .len(),
        100
    );
    assert!(t
        .authn
        .get_recent_attempts("a@example.com", Some(0))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        sqlstate(
            &t.authn
                .get_recent_attempts("a@example.com", Some(-1))
                .await
                .unwrap_err()
        ),
        "2201W"
    );
}

#[tokio::test]
async fn c136_c140_c144_threshold_and_events() {
    let t = ctx().await;
    assert!(!t
        .authn
        .is_locked_out("never@example.com", None, None)
        .await
        .unwrap());
    assert!(!t
        .authn
        .is_locked_out("l@example.com", None, None)
        .await
        .unwrap());
    let ip = Some("10.0.0.9".parse().unwrap());
    for _ in 0..4 {
        t.authn
            .record_login_attempt("L@example.com", false, ip)
            .await
            .unwrap();
    }
    assert!(!t
        .authn
        .is_locked_out("l@example.com", None, None)
        .await
        .unwrap());
    t.authn
        .record_login_attempt("l@example.com", false, ip)
        .await
        .unwrap();
    assert!(t
        .authn
        .is_locked_out("l@example.com", None, None)
        .await
        .unwrap());
    t.authn
        .record_login_attempt("l@example.com", false, ip)
        .await
        .unwrap();
    let failed = t.events("login_attempt_failed").await;
    let locked = t.events("lockout_triggered").await;
    assert_eq!((failed.len(), locked.len()), (4, 2));
    assert_eq!(
        (
            locked[0].resource_type.as_str(),
            locked[0].resource_id.as_str()
        ),
        ("email", "l@example.com")
    );
    assert_eq!(
        locked[0].new_values,
        Some(serde_json::json!({"email": "l@example.com"}))
    );
    assert_eq!(failed[0].ip_address.unwrap().to_string(), "10.0.0.9");
}

#[tokio::test]
async fn c137_c138_c139_c145_only_recent_failures_count() {
    let t = ctx().await;
    for _ in 0..3 {
        t.authn
            .record_login_attempt("m@example.com", false, None)
            .await
            .unwrap();
    }
    let before = t.audit_count().await;
    for _ in 0..10 {
        t.authn
            .record_login_attempt("m@example.com", true, None)
            .await
            .unwrap();
    }
    assert_eq!(
        t.audit_count().await,
        before,
        "145: successes are not audited"
    );
    t.authn
        .record_login_attempt("m@example.com", false, None)
        .await
        .unwrap();
    assert!(!t
        .authn
        .is_locked_out("m@example.com", None, None)
        .await
        .unwrap());
    t.authn
        .record_login_attempt("m@example.com", false, None)
        .await
        .unwrap();
    assert!(
        t.authn
            .is_locked_out("m@example.com", None, None)
            .await
            .unwrap(),
        "145: successes do not reset"
    );
    for _ in 0..2 {
        t.authn
            .record_login_attempt("two@example.com", false, None)
            .await
            .unwrap();
    }
    assert!(!t
        .authn
        .is_locked_out("two@example.com", None, Some(5))
        .await
        .unwrap());
    assert!(t
        .authn
        .is_locked_out("two@example.com", None, Some(2))
        .await
        .unwrap());
    assert!(t
        .authn
        .is_locked_out("none@example.com", None, Some(0))
        .await
        .unwrap());
    t.sql(&format!(
        "INSERT INTO authn.login_attempts (namespace, email, success, attempted_at) \
         SELECT '{}', 'old@example.com', false, now() - interval '1 hour' FROM generate_series(1, 5)",
        t.ns
    ))
    .await;
    assert!(!t
        .authn
        .is_locked_out("old@example.com", Some(TimeDelta::minutes(15)), None)
        .await
        .unwrap());
    assert!(t
        .authn
        .is_locked_out("old@example.com", Some(TimeDelta::hours(2)), None)
        .await
        .unwrap());
}

#[tokio::test]
async fn c142_c143_clear_attempts_unlocks() {
    let t = ctx().await;
    assert_eq!(t.authn.clear_attempts("c@example.com").await.unwrap(), 0);
    let id = t
        .authn
        .create_user("c@example.com", Some("right-hash"))
        .await
        .unwrap();
    // 143, end to end: an application that checks the lockout first refuses even the right
    // password until the attempts are cleared.
    async fn login(t: &Ctx, email: &str, hash: &str) -> bool {
        if t.authn.is_locked_out(email, None, None).await.unwrap() {
            return false;
        }
        let creds = t.authn.get_credentials(email).await.unwrap();
        let ok = creds.as_ref().and_then(|c| c.password_hash.as_deref()) == Some(hash);
        t.authn.record_login_attempt(email, ok, None).await.unwrap();
        if ok {
            let tok = token();
            t.authn
                .create_session(NewSession::new(creds.unwrap().user_id, &tok))
                .await
                .unwrap();
        }
        ok
    }
    for _ in 0..5 {
        assert!(!login(&t, "c@example.com", "wrong").await);
    }
    assert!(!login(&t, "c@example.com", "right-hash").await);
    let before = t.audit_count().await;
    assert_eq!(t.authn.clear_attempts("c@example.com").await.unwrap(), 5);
    assert_eq!(
        t.audit_count().await,
        before,
        "clear_attempts is not audited"
    );
    assert!(!t
        .authn
        .is_locked_out("c@example.com", None, None)
        .await
        .unwrap());
    assert!(login(&t, "c@example.com", "right-hash").await);
    assert_eq!(t.authn.list_sessions(id).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_failed_logins_are_counted_exactly() {
    let t = ctx().await;
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let client = t.authn.clone();
        tasks.push(tokio::spawn(async move {
            client
                .record_login_attempt("burst@example.com", false, None)
                .await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM authn.login_attempts WHERE namespace = $1 AND NOT success",
    )
    .bind(&t.ns)
    .fetch_one(&t.admin)
    .await
    .unwrap();
    assert_eq!(count, 40);
    let failed = t.events("login_attempt_failed").await.len();
    let locked = t.events("lockout_triggered").await.len();
    assert_eq!(failed + locked, 40);
    // Which concurrent failure saw the threshold depends on commit order; the next one must.
    t.authn
        .record_login_attempt("burst@example.com", false, None)
        .await
        .unwrap();
    assert_eq!(t.events("lockout_triggered").await.len(), locked + 1);
    assert!(t
        .authn
        .is_locked_out("burst@example.com", None, Some(41))
        .await
        .unwrap());
    assert!(!t
        .authn
        .is_locked_out("burst@example.com", None, Some(42))
        .await
        .unwrap());
}

/// `password_check` answers in one statement what `is_locked_out`, `get_credentials`,
/// `get_user` and `has_mfa` answer one by one, for an address with and without an account.
#[tokio::test]
async fn password_check_reads_what_the_four_calls_read() {
    let t = ctx().await;
    let id = t.user("check@example.com").await;
    let check = |email: &'static str| {
        let authn = t.authn.clone();
        async move {
            let mut tx = authn.begin().await.unwrap();
            let check = tx.password_check(email, None, Some(2)).await;
            tx.commit().await.unwrap();
            check
        }
    };

    let first = check("Check@Example.com").await.unwrap();
    assert!(!first.locked && !first.email_verified && !first.has_mfa);
    let credentials = first.credentials.unwrap();
    assert_eq!(credentials.user_id, id);
    assert_eq!(
        credentials.password_hash.as_deref(),
        Some("$argon2id$v=19$test")
    );
    assert!(credentials.disabled_at.is_none());

    t.sql(&format!(
        "UPDATE authn.users SET email_verified_at = now(), disabled_at = now() WHERE id = '{id}'"
    ))
    .await;
    t.authn
        .add_mfa(id, authn::MfaType::Totp, "JBSWY3DPEHPK3PXP", None)
        .await
        .unwrap();
    for _ in 0..2 {
        t.authn
            .record_login_attempt("check@example.com", false, None)
            .await
            .unwrap();
    }
    let now = check("check@example.com").await.unwrap();
    assert!(now.locked && now.email_verified && now.has_mfa);
    assert!(now.credentials.unwrap().disabled_at.is_some());

    // No account: only the lockout, which counts attempts on any address.
    let nobody = check("nobody@example.com").await.unwrap();
    assert!(!nobody.locked && nobody.credentials.is_none());
    assert!(!nobody.email_verified && !nobody.has_mfa);

    // Not an address: the core's validation error, as from `is_locked_out`.
    let err = check("not an address").await.unwrap_err();
    assert!(err.is_client_error(), "{err:?}");
}
