//! Forms posted to their own page (`app::page_posts`): the page runs the form's server
//! function while it renders and shows the one-time secret in that answer, stored nowhere.

use leptos::server_fn::ServerFn;

use crate::support::{spawn_app, TestApp};

const PASSWORD: &str = "correct horse battery staple";

/// A session in sudo mode (as after a sign-in) for a new user; its `Cookie` header.
async fn recent_session(app: &TestApp, email: &str) -> String {
    app.create_user(email, PASSWORD).await;
    let user = app.user_id(email).await;
    let (token, cookie) = app.session_cookie(user).await;
    let mut core = app.core().await;
    let session = core.validate_session(&token.hash()).await.unwrap().unwrap();
    let mut tx = core.begin().await.unwrap();
    identity::reauth::record(&mut tx, session.session_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    cookie
}

async fn post_to_page(
    app: &TestApp,
    page: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.http
        .post(format!("{}{page}", app.base))
        .header("Origin", &app.base)
        .header("Cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_new_api_key_is_shown_in_the_answer_to_its_post_and_nowhere_else() {
    let app = spawn_app(&[]).await;
    let cookie = recent_session(&app, "keys@example.com").await;
    let page = vocabulary::Page::ApiKeys.path(&app.namespace);
    let action = app::api_keys::CreateApiKey::PATH;
    let res = post_to_page(
        &app,
        &page,
        &cookie,
        &[
            ("__action", action),
            ("namespace", &app.namespace),
            ("name", "deploy"),
            ("expiry", "30"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    let start = html
        .find("id=\"new-key\">")
        .unwrap_or_else(|| panic!("{html}"))
        + "id=\"new-key\">".len();
    let key = &html[start..start + 46];
    assert!(key.starts_with("gh_"), "{key}");
    assert!(html.contains("deploy"));
    let core = app.core().await;
    let user = app.user_id("keys@example.com").await;
    assert_eq!(core.list_api_keys(user).await.unwrap().len(), 1);

    // The page shows it once: a visit lists the key, never the secret.
    let again = app.page_as(&page, &cookie).await.text().await.unwrap();
    assert!(again.contains("deploy") && !again.contains(key));

    // A bad form is refused with its field's error, keeps what was typed, and makes nothing.
    let too_long = "n".repeat(61);
    let bad = post_to_page(
        &app,
        &page,
        &cookie,
        &[
            ("__action", action),
            ("namespace", &app.namespace),
            ("name", &too_long),
            ("expiry", "30"),
        ],
    )
    .await;
    assert_eq!(bad.status(), 200);
    let bad = bad.text().await.unwrap();
    assert!(bad.contains("Give the key a name of at most 60 characters."));
    assert!(
        bad.contains(&format!("value=\"{too_long}\"")),
        "the name comes back"
    );
    // So is one that names no action of the page, or does not decode.
    for form in [
        vec![("__action", "/api/nothing"), ("name", "x")],
        vec![("__action", action), ("namespace[x]", "y")],
    ] {
        let res = post_to_page(&app, &page, &cookie, &form).await;
        assert!(res.status().is_success(), "{}", res.status());
    }
    assert_eq!(core.list_api_keys(user).await.unwrap().len(), 1);

    // Other sites cannot post it; and only a form is taken.
    let foreign = app
        .http
        .post(format!("{}{page}", app.base))
        .header("Origin", "https://evil.example")
        .header("Cookie", &cookie)
        .form(&[
            ("__action", action),
            ("namespace", &app.namespace),
            ("name", "x"),
            ("expiry", "30"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let json = app
        .http
        .post(format!("{}{page}", app.base))
        .header("Origin", &app.base)
        .header("Cookie", &cookie)
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 415);
    assert_eq!(core.list_api_keys(user).await.unwrap().len(), 1);
}

/// The text of the element with `id` (a simple one, no nested tags) in `html`.
fn text_of<'a>(html: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"{id}\">");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in {html}"))
        + marker.len();
    &html[start..start + html[start..].find('<').unwrap()]
}

#[tokio::test]
async fn the_authenticator_app_is_set_up_through_posts_to_its_page() {
    let app = spawn_app(&[]).await;
    let cookie = recent_session(&app, "totp@example.com").await;
    let page = vocabulary::Page::Mfa.path(&app.namespace);
    let ns = app.namespace.clone();
    let begun = post_to_page(
        &app,
        &page,
        &cookie,
        &[("__action", app::mfa::BeginTotp::PATH), ("namespace", &ns)],
    )
    .await
    .text()
    .await
    .unwrap();
    let secret = text_of(&begun, "totp-secret").to_owned();
    assert_eq!(secret.len(), 32, "{secret}");
    assert!(
        begun.contains("history.replaceState"),
        "a reload must not post again"
    );
    let marker = "name=\"enrollment\" value=\"";
    let start = begun.find(marker).unwrap() + marker.len();
    let enrollment = &begun[start..start + begun[start..].find('"').unwrap()];

    // A wrong code: the error, and the same key again.
    let wrong = post_to_page(
        &app,
        &page,
        &cookie,
        &[
            ("__action", app::mfa::EnableTotp::PATH),
            ("namespace", &ns),
            ("enrollment", enrollment),
            ("code", "not a code"),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(text_of(&wrong, "totp-secret"), secret);
    assert!(
        wrong.contains("aria-invalid=\"true\""),
        "the code field is marked"
    );
    let core = app.core().await;
    let user = app.user_id("totp@example.com").await;
    assert!(core.list_mfa(user).await.unwrap().is_empty());

    // A plain visit shows neither.
    let visit = app.page_as(&page, &cookie).await.text().await.unwrap();
    assert!(!visit.contains(&secret) && !visit.contains("history.replaceState"));
}
