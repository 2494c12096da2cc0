//! The command line's grants and namespace settings: audited under the actor `cli` like the
//! console's changes, and never a role for an account whose address is unconfirmed (somebody
//! else may have signed up with it).

async fn gatehouse(url: &str, args: &[&str], stdin: &[u8]) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    crate::support::run_gatehouse(url, &args, stdin, None).await
}

/// The audit events of the namespace: type, actor, old and new values, oldest first.
async fn events(
    db: &sqlx::PgPool,
    namespace: &str,
) -> Vec<(String, Option<String>, Option<String>, Option<String>)> {
    sqlx::query_as(
        "SELECT event_type, actor_id, old_values::text, new_values::text FROM authn.audit_events \
          WHERE namespace = $1 AND event_type IN ('role_granted', 'namespace_settings_updated') \
          ORDER BY event_time, id",
    )
    .bind(namespace)
    .fetch_all(db)
    .await
    .unwrap()
}

#[tokio::test]
async fn grants_and_settings_from_the_command_line_are_audited_and_need_a_confirmed_address() {
    let db = tokio::task::spawn_blocking(|| test_support::create_migrated_database("cli_roles"))
        .await
        .unwrap();
    let url = test_support::url_for(&db, None);
    let superuser = sqlx::PgPool::connect(&url).await.unwrap();
    let ns = "cli-roles";
    let password = b"a sturdy initial passphrase\n";

    // As a sign-up leaves it: a password chosen by whoever signed up, the address unconfirmed.
    sqlx::query(
        "INSERT INTO authn.users (namespace, email, password_hash) \
         VALUES ($1, 'claimed@example.com', '$argon2id$v=19$m=19456,t=2,p=1$c2lnbnVw$c2lnbnVw')",
    )
    .bind(ns)
    .execute(&superuser)
    .await
    .unwrap();
    let args = [
        "create-admin",
        "--namespace",
        ns,
        "--email",
        "claimed@example.com",
    ];
    let refused = gatehouse(&url, &args, password).await;
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("has not confirmed its address"), "{said}");
    let admins: i64 = sqlx::query_scalar("SELECT count(*) FROM gatehouse.namespace_admins")
        .fetch_one(&superuser)
        .await
        .unwrap();
    assert_eq!(admins, 0);
    assert!(events(&superuser, ns).await.is_empty());

    // Once confirmed, the existing account gets the role and keeps its own password.
    sqlx::query("UPDATE authn.users SET email_verified_at = now() WHERE namespace = $1")
        .bind(ns)
        .execute(&superuser)
        .await
        .unwrap();
    let granted = gatehouse(&url, &args, password).await;
    assert!(granted.status.success(), "{granted:?}");
    let said = String::from_utf8_lossy(&granted.stderr);
    assert!(said.contains("its own password kept"), "{said}");
    let kept: String = sqlx::query_scalar(
        "SELECT password_hash FROM authn.users WHERE email = 'claimed@example.com'",
    )
    .fetch_one(&superuser)
    .await
    .unwrap();
    assert!(kept.ends_with("$c2lnbnVw$c2lnbnVw"), "{kept}");
    // Granting again changes nothing and writes nothing.
    assert!(gatehouse(&url, &args, password).await.status.success());
    let role_event = (
        "role_granted".to_owned(),
        Some("cli".to_owned()),
        None,
        Some(r#"{"role": "admin"}"#.to_owned()),
    );
    assert_eq!(events(&superuser, ns).await, vec![role_event.clone()]);

    // A setting changed from the command line, once; the same value again writes nothing.
    for _ in 0..2 {
        let set = ["set-sign-up", "--namespace", ns, "--mode", "open"];
        assert!(gatehouse(&url, &set, b"").await.status.success());
    }
    let optional = ["set-console-mfa", "--namespace", ns, "--mode", "optional"];
    assert!(gatehouse(&url, &optional, b"").await.status.success());
    assert_eq!(
        events(&superuser, ns).await,
        vec![
            role_event,
            (
                "namespace_settings_updated".to_owned(),
                Some("cli".to_owned()),
                Some(r#"{"sign_up": "invite_only"}"#.to_owned()),
                Some(r#"{"sign_up": "open"}"#.to_owned()),
            ),
            (
                "namespace_settings_updated".to_owned(),
                Some("cli".to_owned()),
                Some(r#"{"console_requires_mfa": true}"#.to_owned()),
                Some(r#"{"console_requires_mfa": false}"#.to_owned()),
            ),
        ]
    );
}
