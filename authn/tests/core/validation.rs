//! Spec §10.3 validation: accepted and rejected inputs with their SQLSTATEs.

use authn::{Actor, Authn, MfaType, NewSession, TokenType};

use crate::harness::*;

async fn sql_state(t: &Ctx, statement: &str) -> String {
    match sqlx::query(statement).execute(&t.admin).await {
        Ok(_) => "ok".into(),
        Err(e) => e
            .as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.into_owned())
            .unwrap_or_default(),
    }
}

#[tokio::test]
async fn c040_c041_c042_c053_email_rules() {
    let t = ctx().await;
    for ok in [
        "alice@example.com",
        "user.name@domain.org",
        "user+tag@example.com",
        "123@numeric.com",
        "x@y",
        "x@y.com",
    ] {
        t.authn
            .create_user(ok, None)
            .await
            .unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    let long_ok = format!("{}@example.com", "a".repeat(1024 - 12));
    assert_eq!(long_ok.len(), 1024);
    t.authn.create_user(&long_ok, None).await.unwrap();
    let too_long = format!("{}@example.com", "a".repeat(1025 - 12));
    for (bad, state) in [
        ("", "22026"),
        ("   ", "22026"),
        ("no-at-sign", "22023"),
        ("has space@example.com", "22023"),
        ("x@@y", "22023"),
        ("tab\t@example.com", "22023"),
        ("nl@exa\nmple.com", "22023"),
        (too_long.as_str(), "22001"),
    ] {
        let err = t.authn.create_user(bad, None).await.unwrap_err();
        assert_eq!(sqlstate(&err), state, "{bad:?}");
    }
    assert_eq!(
        sql_state(&t, "SELECT authn.create_user(NULL)").await,
        "22004"
    );
}

#[tokio::test]
async fn c043_c044_c045_c054_c056_hash_rules() {
    let t = ctx().await;
    t.authn
        .create_user("a@example.com", Some("$argon2id$v=19$m=19456,t=2,p=1$abc"))
        .await
        .unwrap();
    t.authn.create_user("b@example.com", None).await.unwrap();
    let id = t
        .authn
        .create_user("c@example.com", Some(&"h".repeat(1024)))
        .await
        .unwrap();
    for (bad, state) in [("", "22026"), ("   ", "22026"), ("a\nb", "22023")] {
        assert_eq!(
            sqlstate(
                &t.authn
                    .create_user("d@example.com", Some(bad))
                    .await
                    .unwrap_err()
            ),
            state
        );
    }
    let long = "h".repeat(1025);
    assert_eq!(
        sqlstate(
            &t.authn
                .create_user("d@example.com", Some(&long))
                .await
                .unwrap_err()
        ),
        "22001"
    );
    let err = t
        .authn
        .create_session(NewSession::new(id, ""))
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "22026");
    let mut a = t.authn.clone();
    assert_eq!(
        sqlstate(&a.validate_session("").await.unwrap_err()),
        "22026"
    );
    assert_eq!(
        sqlstate(&a.validate_session("x\u{1}").await.unwrap_err()),
        "22023"
    );
    assert_eq!(
        sql_state(&t, "SELECT * FROM authn.validate_session(NULL)").await,
        "22004"
    );
}

#[tokio::test]
async fn c046_c047_c052_c055_types_and_secrets() {
    let t = ctx().await;
    let id = t.user("u@example.com").await;
    for ty in [
        TokenType::PasswordReset,
        TokenType::EmailVerify,
        TokenType::MagicLink,
    ] {
        t.authn.create_token(id, &token(), ty, None).await.unwrap();
    }
    for ty in [MfaType::Totp, MfaType::Webauthn, MfaType::RecoveryCodes] {
        t.authn.add_mfa(id, ty, "secret", None).await.unwrap();
    }
    let ns = &t.ns;
    assert_eq!(
        sql_state(
            &t,
            &format!("SELECT authn.create_token('{id}', 'h1', 'invalid_type', NULL, '{ns}')")
        )
        .await,
        "22023"
    );
    assert_eq!(
        sql_state(
            &t,
            &format!("SELECT authn.create_token('{id}', 'h1', NULL, NULL, '{ns}')")
        )
        .await,
        "22004"
    );
    assert_eq!(
        sql_state(
            &t,
            &format!("SELECT authn.add_mfa('{id}', 'invalid_type', 's', NULL, '{ns}')")
        )
        .await,
        "22023"
    );
    assert_eq!(
        sql_state(
            &t,
            &format!("SELECT authn.add_mfa('{id}', NULL, 's', NULL, '{ns}')")
        )
        .await,
        "22004"
    );
    assert_eq!(
        sqlstate(
            &t.authn
                .add_mfa(id, MfaType::Totp, "  ", None)
                .await
                .unwrap_err()
        ),
        "22026"
    );
    assert_eq!(
        sqlstate(
            &t.authn
                .add_mfa(id, MfaType::Totp, &"s".repeat(65537), None)
                .await
                .unwrap_err()
        ),
        "22001"
    );
    t.authn
        .add_mfa(id, MfaType::Totp, &"s".repeat(65536), None)
        .await
        .unwrap();
    t.authn
        .add_mfa(id, MfaType::Webauthn, "control\u{1}allowed", None)
        .await
        .unwrap();
}

#[tokio::test]
async fn c048_c049_namespace_rules() {
    let t = ctx().await;
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    for ns in [
        "default",
        "tenant_123",
        "acme-corp",
        uuid::Uuid::new_v4().to_string().as_str(),
        "org:my-org-123",
        "MyOrganization",
    ] {
        // Suffixed so that parallel runs on one database never share a namespace.
        let ns = format!("{ns}{suffix}");
        let client = Authn::new(t.app.clone(), ns.clone()).await.unwrap();
        client.create_user("a@example.com", None).await.unwrap();
    }
    let long = "a".repeat(1024);
    Authn::new(t.app.clone(), long).await.unwrap();
    for (bad, state) in [
        ("", "22026"),
        ("   ", "22026"),
        (" leading", "22023"),
        ("trailing ", "22023"),
        ("has\ttab", "22023"),
    ] {
        let err = Authn::new(t.app.clone(), bad).await.unwrap_err();
        assert_eq!(sqlstate(&err), state, "{bad:?}");
    }
    let err = Authn::new(t.app.clone(), "a".repeat(1025))
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "22001");
    assert_eq!(
        sql_state(&t, "SELECT authn.set_tenant(NULL)").await,
        "22004"
    );
}

/// `Authn::new` asks the core about a name once per process: a name it accepted is not asked
/// about again (a client for it can be made with the database gone), one it refused is.
#[tokio::test]
async fn a_namespace_the_core_accepted_is_not_asked_about_again() {
    let t = ctx().await;
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let known = format!("remembered-{suffix}");
    Authn::new(t.app.clone(), known.clone()).await.unwrap();
    // Nothing listens on port 1: every connection attempt fails at once.
    let gone = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_secs(2))
        .connect_lazy("postgres://nobody@127.0.0.1:1/gone")
        .unwrap();
    let client = Authn::new(gone.clone(), known.clone()).await.unwrap();
    assert_eq!(client.namespace(), known);
    let unknown = Authn::new(gone.clone(), format!("never-seen-{suffix}")).await;
    assert!(unknown.is_err(), "a new name is asked about");

    // A refused name is asked about every time, never remembered.
    for _ in 0..2 {
        let err = Authn::new(t.app.clone(), " leading").await.unwrap_err();
        assert_eq!(sqlstate(&err), "22023");
    }
    assert!(Authn::new(gone, " leading").await.is_err());
}

#[tokio::test]
async fn c050_c051_c173_set_actor_ip() {
    let t = ctx().await;
    for ip in ["192.168.1.1", "::1"] {
        let a = t.as_actor(Actor {
            ip_address: Some(ip.parse().unwrap()),
            ..Actor::id("x")
        });
        a.create_user(
            &format!("{}@example.com", ip.replace(':', "c").replace('.', "d")),
            None,
        )
        .await
        .unwrap();
    }
    t.as_actor(Actor::id("x"))
        .create_user("noip@example.com", None)
        .await
        .unwrap();
    assert_eq!(
        sql_state(&t, "SELECT authn.set_actor(NULL, NULL, NULL)").await,
        "ok"
    );
    assert_eq!(
        sql_state(&t, "SELECT authn.set_actor('a', NULL, '')").await,
        "ok"
    );
    let err = sqlx::query("SELECT authn.set_actor('a', 'r', 'not-an-ip')")
        .execute(&t.admin)
        .await
        .unwrap_err();
    let db = err.as_database_error().unwrap();
    assert_eq!(db.code().unwrap(), "22023");
    assert!(db.message().contains("ip_address must be valid"));
}
