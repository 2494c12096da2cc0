//! Support access over HTTP (issue 11): the server functions are the operators' alone,
//! whatever the caller posts.

use leptos::server_fn::ServerFn;

use crate::support::spawn_app;

const PASSWORD: &str = "correct horse battery staple";

/// A member and an admin of a namespace are refused starting support access (403), and
/// nothing starts; so is a request with no session (401).
#[tokio::test]
async fn starting_support_access_is_refused_to_everyone_but_operators() {
    let app = spawn_app(&[]).await;
    app.create_user("member@example.com", PASSWORD).await;
    app.create_user("admin@example.com", PASSWORD).await;
    let member = app.user_id("member@example.com").await;
    let admin = app.user_id("admin@example.com").await;
    let mut tx = app.core().await.begin().await.unwrap();
    identity::roles::grant_admin(&mut tx, admin).await.unwrap();
    tx.commit().await.unwrap();
    let form = [
        ("namespace", app.namespace.as_str()),
        ("target_namespace", app.namespace.as_str()),
        ("email", "member@example.com"),
        ("reason", "looking into the customer's report"),
        ("ticket", "SUP-1"),
        ("minutes", "10"),
    ];
    let post = |cookie: Option<String>| {
        let mut req = app
            .http
            .post(format!(
                "{}{}",
                app.base,
                app::support_access::StartSupportAccess::PATH
            ))
            .header("Origin", &app.base);
        if let Some(cookie) = cookie {
            req = req.header("Cookie", cookie);
        }
        req.form(&form).send()
    };
    for user in [member, admin] {
        let (_, cookie) = app.session_cookie(user).await;
        let res = post(Some(cookie)).await.unwrap();
        assert_eq!(res.status(), 403);
    }
    assert_eq!(post(None).await.unwrap().status(), 401);
    let started: i64 =
        sqlx::query_scalar("SELECT count(*) FROM authn.operator_impersonation_sessions")
            .fetch_one(&app.superuser)
            .await
            .unwrap();
    assert_eq!(started, 0);
}

/// The operator audit export answers only operators, and refuses an unknown event filter.
#[tokio::test]
async fn the_operator_audit_export_is_the_operators_alone() {
    let app = spawn_app(&[]).await;
    app.create_user("member@example.com", PASSWORD).await;
    let member = app.user_id("member@example.com").await;
    let (_, cookie) = app.session_cookie(member).await;
    let url = format!(
        "{}{}",
        app.base,
        vocabulary::Page::OperatorAuditExport.path_with(&app.namespace, &[("format", "csv")])
    );
    let res = app.http.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = app
        .http
        .get(&url)
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(!res.text().await.unwrap().contains("ticket_reference"));
}
