use authn::{NewSession, StartImpersonation};
use identity::OpaqueToken;

use crate::support::spawn_app;

const PASSWORD: &str = "correct horse battery staple";

/// An impersonation set up through the core, as an admin's console will: the page shows the
/// banner and credential changes are refused on the server.
#[tokio::test]
async fn an_impersonation_shows_its_banner_and_cannot_change_sign_ins() {
    let app = spawn_app(&[]).await;
    let (core, _, token) = impersonating(&app).await;
    let admin = app.user_id("admin@example.com").await;
    let target = app.user_id("target@example.com").await;
    let cookie = format!("gatehouse_session={}", token.expose());

    let html = app
        .http
        .get(format!("{}/{}/account", app.base, app.namespace))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("impersonation-banner"), "{html}");
    assert!(html.contains("admin@example.com"));
    assert!(html.contains("ticket 42: cannot see invoices"));
    // The account's own security page shows the impersonation.
    let security = app
        .http
        .get(format!("{}/{}/security", app.base, app.namespace))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        security.contains("An administrator acted as you"),
        "{security}"
    );
    assert!(security.contains("admin@example.com — reason: ticket 42: cannot see invoices"));

    let action = <app::devices::SignOutOtherDevices as leptos::server_fn::ServerFn>::PATH;
    let res = app
        .http
        .post(format!("{}{action}", app.base))
        .header("Origin", &app.base)
        .header("Cookie", &cookie)
        .form(&[("namespace", app.namespace.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("ReadOnlyWhileImpersonating"));
    // Nothing was signed out: the admin's own session is still there.
    assert_eq!(core.list_sessions(admin).await.unwrap().len(), 1);

    // Every other credential change is refused the same way, and changes nothing.
    use leptos::server_fn::ServerFn;
    let ns = app.namespace.as_str();
    let attempts: [(&str, Vec<(&str, &str)>); 10] = [
        (
            app::passkeys::BeginAddPasskey::PATH,
            vec![("namespace", ns)],
        ),
        (
            app::passkeys::RemovePasskey::PATH,
            vec![
                ("namespace", ns),
                ("passkey_id", "00000000-0000-0000-0000-000000000000"),
            ],
        ),
        (
            app::passkeys::RenamePasskey::PATH,
            vec![
                ("namespace", ns),
                ("passkey_id", "00000000-0000-0000-0000-000000000000"),
                ("name", "x"),
            ],
        ),
        (
            app::email_change::RequestEmailChange::PATH,
            vec![("namespace", ns), ("email", "elsewhere@example.com")],
        ),
        (
            app::password::ChangePassword::PATH,
            vec![
                ("namespace", ns),
                ("current_password", "whatever"),
                ("password", "a long new passphrase"),
                ("password_confirm", "a long new passphrase"),
            ],
        ),
        (
            app::api_keys::CreateApiKey::PATH,
            vec![("namespace", ns), ("name", "sneaky"), ("expiry", "never")],
        ),
        (
            app::api_keys::RevokeAllApiKeys::PATH,
            vec![("namespace", ns)],
        ),
        (app::mfa::BeginTotp::PATH, vec![("namespace", ns)]),
        (
            app::mfa::RegenerateRecoveryCodes::PATH,
            vec![("namespace", ns)],
        ),
        (
            app::reauth::ConfirmPassword::PATH,
            vec![("namespace", ns), ("password", "whatever")],
        ),
    ];
    for (path, form) in attempts {
        let res = app
            .http
            .post(format!("{}{path}", app.base))
            .header("Origin", &app.base)
            .header("Cookie", &cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{path}");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("ReadOnlyWhileImpersonating"),
            "{path}"
        );
    }
    assert!(core.list_api_keys(target).await.unwrap().is_empty());
}

/// An admin's session and an impersonation of `target@example.com` started from it, both
/// through the core; returns (core, admin token, impersonation token).
async fn impersonating(app: &crate::support::TestApp) -> (authn::Authn, OpaqueToken, OpaqueToken) {
    app.create_user("admin@example.com", PASSWORD).await;
    app.create_user("target@example.com", PASSWORD).await;
    let core = app.core().await;
    let admin = app.user_id("admin@example.com").await;
    let target = app.user_id("target@example.com").await;
    let admin_token = OpaqueToken::generate();
    let admin_session = core
        .create_session(NewSession::new(admin, &admin_token.hash()))
        .await
        .unwrap();
    let token = OpaqueToken::generate();
    core.start_impersonation(StartImpersonation {
        actor_session_id: admin_session,
        target_user_id: target,
        reason: "ticket 42: cannot see invoices",
        token_hash: &token.hash(),
        duration: None,
    })
    .await
    .unwrap();
    (core, admin_token, token)
}

async fn post_with_cookies(
    app: &crate::support::TestApp,
    path: &str,
    cookie: &str,
) -> reqwest::Response {
    app.http
        .post(format!("{}{path}", app.base))
        .header("Origin", &app.base)
        .header("Cookie", cookie)
        .form(&[("namespace", app.namespace.as_str())])
        .send()
        .await
        .unwrap()
}

/// The session token a response sets, if it sets a non-empty one.
fn session_set_by(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.strip_prefix("gatehouse_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .find(|v| !v.is_empty())
}

/// Issue 10.2: signing out during an impersonation used to clear only the session cookie, and
/// "Back to your own session" then restored the admin for whoever came next.
#[tokio::test]
async fn signing_out_during_an_impersonation_ends_it_and_revokes_the_admin_session() {
    use leptos::server_fn::ServerFn;
    let app = spawn_app(&[]).await;
    let (mut core, admin_token, token) = impersonating(&app).await;
    let cookies = format!(
        "gatehouse_session={}; gatehouse_admin={}",
        token.expose(),
        admin_token.expose()
    );
    let res = post_with_cookies(&app, app::session::SignOut::PATH, &cookies).await;
    assert!(
        res.status().is_redirection() || res.status().is_success(),
        "{}",
        res.status()
    );
    assert!(core.list_active_impersonations().await.unwrap().is_empty());
    assert!(core
        .validate_session(&admin_token.hash())
        .await
        .unwrap()
        .is_none());
    assert!(core
        .validate_session(&token.hash())
        .await
        .unwrap()
        .is_none());
    // The way back gives nothing, even with the old cookies replayed.
    let res = post_with_cookies(
        &app,
        app::admin::impersonation::EndImpersonation::PATH,
        &cookies,
    )
    .await;
    assert!(!res.status().is_server_error(), "{}", res.status());
    assert_eq!(session_set_by(&res), None);
}

/// Issue 10.2: the way back is for the exact session the impersonation started from, once, and
/// it comes back under a new token.
#[tokio::test]
async fn ending_an_impersonation_restores_the_admin_once_under_a_new_token() {
    use leptos::server_fn::ServerFn;
    let app = spawn_app(&[]).await;
    let (mut core, admin_token, token) = impersonating(&app).await;
    let admin = app.user_id("admin@example.com").await;

    // Another live session of the same admin is not the one the impersonation started from.
    let other = OpaqueToken::generate();
    core.create_session(NewSession::new(admin, &other.hash()))
        .await
        .unwrap();
    let wrong = format!(
        "gatehouse_session={}; gatehouse_admin={}",
        token.expose(),
        other.expose()
    );
    let res = post_with_cookies(
        &app,
        app::admin::impersonation::EndImpersonation::PATH,
        &wrong,
    )
    .await;
    assert!(!res.status().is_server_error(), "{}", res.status());
    assert_eq!(session_set_by(&res), None);
    assert!(core
        .validate_session(&other.hash())
        .await
        .unwrap()
        .is_none());

    // The original session comes back once, as a new session; the old token is dead.
    let right = format!(
        "gatehouse_session={}; gatehouse_admin={}",
        token.expose(),
        admin_token.expose()
    );
    let res = post_with_cookies(
        &app,
        app::admin::impersonation::EndImpersonation::PATH,
        &right,
    )
    .await;
    let status = res.status();
    let headers = format!("{:?}", res.headers());
    let restored = session_set_by(&res)
        .unwrap_or_else(|| panic!("the admin's session is restored: {status} {headers}"));
    assert_ne!(restored, admin_token.expose());
    assert!(core
        .validate_session(&admin_token.hash())
        .await
        .unwrap()
        .is_none());
    let session = core
        .validate_session(&identity::token::hash_token(&restored))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.user_id, admin);
    // Restoring extends nothing: the absolute lifetime still counts from the first sign-in.
    let (first, again): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as(
            "SELECT (SELECT created_at FROM authn.sessions WHERE token_hash = $1), \
                    (SELECT created_at FROM authn.sessions WHERE token_hash = $2)",
        )
        .bind(admin_token.hash())
        .bind(identity::token::hash_token(&restored))
        .fetch_one(&app.superuser)
        .await
        .unwrap();
    assert_eq!(first, again);
    let again = post_with_cookies(
        &app,
        app::admin::impersonation::EndImpersonation::PATH,
        &right,
    )
    .await;
    assert!(!again.status().is_server_error(), "{}", again.status());
    assert_eq!(session_set_by(&again), None);
}
