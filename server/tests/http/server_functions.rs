use crate::support::{spawn_app, TestApp};

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn server_functions_refuse_cross_origin_posts() {
    let app = spawn_app(&[]).await;
    let action = app
        .form_action(&format!("/{}/sign-in", app.namespace), "sign_in")
        .await;
    let form = [
        ("namespace", app.namespace.as_str()),
        ("email", "x@example.com"),
        ("password", "whatever it is"),
    ];
    for (name, value) in [
        ("Origin", "https://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
    ] {
        let res = app
            .http
            .post(format!("{}{action}", app.base))
            .header(name, value)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{name}: {value}");
    }
    // No Origin and no Fetch Metadata (curl, old clients): refused too.
    let res = app
        .http
        .post(format!("{}{action}", app.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn sign_in_errors_are_generic_with_their_own_status_and_no_internals() {
    let app = spawn_app(&[]).await;
    app.create_user("known@example.com", PASSWORD).await;
    let action = app
        .form_action(&format!("/{}/sign-in", app.namespace), "sign_in")
        .await;
    let mut bodies = Vec::new();
    for email in ["known@example.com", "unknown@example.com"] {
        let res = app
            .call(
                &action,
                &[
                    ("namespace", &app.namespace),
                    ("email", email),
                    ("password", "not the password"),
                ],
            )
            .await;
        assert_eq!(res.status(), 401);
        assert!(res.headers().get("set-cookie").is_none());
        bodies.push(res.text().await.unwrap());
    }
    assert_eq!(bodies[0], bodies[1], "same answer for both");
    assert!(bodies[0].contains("InvalidCredentials"));
    // A malformed request: a clear 400, nothing about the server's insides.
    let res = app.call(&action, &[("namespace", &app.namespace)]).await;
    assert_eq!(res.status(), 400);
    let body = res.text().await.unwrap();
    assert!(
        !body.contains("sqlx") && !body.contains("panicked"),
        "{body}"
    );

    let res = app
        .call(
            &action,
            &[
                ("namespace", &app.namespace),
                ("email", "known@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(res.status().is_success() || res.status().is_redirection());
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("gatehouse_session="));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
}

#[tokio::test]
async fn reset_requests_answer_alike_and_mail_only_real_accounts() {
    let app = spawn_app(&[]).await;
    app.create_user("real@example.com", PASSWORD).await;
    let action = app
        .form_action(
            &format!("/{}/forgot-password", app.namespace),
            "request_password_reset",
        )
        .await;
    let mut answers = Vec::new();
    for email in ["real@example.com", "ghost@example.com"] {
        let res = app
            .call(&action, &[("namespace", &app.namespace), ("email", email)])
            .await;
        answers.push((res.status(), res.text().await.unwrap()));
    }
    assert_eq!(answers[0], answers[1]);
    assert!(answers[0].0.is_success());
    app.settle_mail_requests().await;
    assert_eq!(app.outbox_count("real@example.com").await, 1);
    assert_eq!(app.outbox_count("ghost@example.com").await, 0);

    let res = app
        .call(&action, &[("namespace", &app.namespace), ("email", "nope")])
        .await;
    assert_eq!(res.status(), 400);
    // The error names a fixed problem; the page words it (no free text travels).
    let body = res.text().await.unwrap();
    assert!(body.contains("InvalidEmail"), "{body}");
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_client() {
    let app = spawn_app(&[]).await;
    let action = app
        .form_action(&format!("/{}/sign-in", app.namespace), "sign_in")
        .await;
    // Different addresses, so the per-address lockout never applies.
    for i in 0..30 {
        let email = format!("user{i}@example.com");
        let res = app
            .call(
                &action,
                &[
                    ("namespace", &app.namespace),
                    ("email", &email),
                    ("password", "not the password"),
                ],
            )
            .await;
        assert_eq!(res.status(), 401, "attempt {i}");
    }
    let res = app
        .call(
            &action,
            &[
                ("namespace", &app.namespace),
                ("email", "one-more@example.com"),
                ("password", "not the password"),
            ],
        )
        .await;
    assert_eq!(res.status(), 429);
    let error: app::error::AppError = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    // The wait is the truth: what is left of the one-minute window.
    match &error {
        app::error::AppError::RateLimited {
            seconds: Some(seconds),
        } => assert!((1..=60).contains(seconds), "{seconds}"),
        other => panic!("expected a rate limit with its wait, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "Too many requests from your network. Wait a minute and try again."
    );
}

#[tokio::test]
async fn the_developer_mailbox_exists_only_in_dev_mode() {
    let app = spawn_app(&[]).await;
    let action = <app::dev::DevMailbox as leptos::server_fn::ServerFn>::PATH;
    let res = app.call(action, &[]).await;
    assert_eq!(res.status(), 403);

    drop(app);
    let dev = spawn_app(&["--dev-mode"]).await;
    let res = dev.call(action, &[]).await;
    assert_eq!(res.status(), 200);
}

/// An account of the app's namespace with an authenticator app (whose secret nobody here
/// holds: these tests stop at the second step), and a core client of that namespace.
async fn user_with_authenticator(app: &TestApp, email: &str) -> (authn::Authn, authn::User) {
    app.create_user(email, PASSWORD).await;
    let core = authn::Authn::new(app.pool.clone(), app.namespace.clone())
        .await
        .unwrap();
    let user = core.get_user_by_email(email).await.unwrap().unwrap();
    core.add_mfa(
        user.user_id,
        authn::MfaType::Totp,
        "secret-held-elsewhere",
        None,
    )
    .await
    .unwrap();
    (core, user)
}

#[tokio::test]
async fn an_account_with_mfa_gets_the_second_step_not_a_session() {
    let app = spawn_app(&[]).await;
    let (core, user) = user_with_authenticator(&app, "guarded@example.com").await;
    let action = app
        .form_action(&format!("/{}/sign-in", app.namespace), "sign_in")
        .await;
    let res = app
        .call(
            &action,
            &[
                ("namespace", &app.namespace),
                ("email", "guarded@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    // The browser is sent to the second step holding a pending cookie, never a session.
    assert!(res.status().is_success() || res.status().is_redirection());
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    assert!(cookies[0].starts_with("gatehouse_pending="), "{cookies:?}");
    assert!(cookies[0].contains("HttpOnly") && cookies[0].contains("SameSite=Lax"));
    let location = res
        .headers()
        .get("location")
        .or(res.headers().get("serverfnredirect"))
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(
        location.as_deref(),
        Some(format!("/{}/sign-in/second-factor", app.namespace).as_str())
    );
    assert!(core.list_sessions(user.user_id).await.unwrap().is_empty());
}

/// Issue 15: where a signed-out visitor was going survives the second step (a cookie with
/// the session cookie's protections), but only for a path of the same namespace on this site.
#[tokio::test]
async fn the_return_path_is_kept_through_the_second_step_only_when_it_stays_in_the_namespace() {
    let app = spawn_app(&[]).await;
    user_with_authenticator(&app, "returning@example.com").await;
    let action = app
        .form_action(&format!("/{}/sign-in", app.namespace), "sign_in")
        .await;
    let ns = app.namespace.clone();
    let here = format!("/{ns}/admin/users?email=a");
    for (next, kept) in [
        (here.as_str(), true),
        ("//evil.example/x", false),
        ("/other-namespace/admin", false),
        ("https://evil.example/", false),
    ] {
        let res = app
            .call(
                &action,
                &[
                    ("namespace", ns.as_str()),
                    ("email", "returning@example.com"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        let cookies: Vec<String> = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let returning: Vec<&String> = cookies
            .iter()
            .filter(|c| c.starts_with("gatehouse_return="))
            .collect();
        if kept {
            assert_eq!(returning.len(), 1, "{cookies:?}");
            let cookie = returning[0];
            assert!(
                cookie.starts_with(&format!("gatehouse_return={here};")),
                "{cookie}"
            );
            assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
            assert!(cookie.contains("Max-Age=900"), "{cookie}");
        } else {
            assert!(returning.is_empty(), "{next}: {cookies:?}");
        }
    }
}

/// Issue 10.9: in a namespace that requires two-step verification of every account, a person
/// without it can do nothing but set it up; the server functions say so.
#[tokio::test]
async fn a_namespace_requiring_two_step_verification_refuses_everything_else_until_it_is_on() {
    use leptos::server_fn::ServerFn;
    let app = spawn_app(&[]).await;
    app.create_user("member@example.com", PASSWORD).await;
    let core = app.core().await;
    let user_id = app.user_id("member@example.com").await;
    {
        let mut tx = core.begin().await.unwrap();
        identity::roles::set_mfa_requirement(&mut tx, identity::roles::MfaDue::Account, true)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let (_, cookie) = app.session_cookie(user_id).await;
    let call = |path: &'static str| {
        app.http
            .post(format!("{}{path}", app.base))
            .header("Origin", &app.base)
            .header("Cookie", &cookie)
            .form(&[("namespace", app.namespace.as_str())])
            .send()
    };
    let res = call(app::devices::SignOutOtherDevices::PATH).await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("TwoStepRequired"));
    // Setting it up is what stays open.
    let res = call(app::mfa::MfaOverview::PATH).await.unwrap();
    assert_eq!(res.status(), 200);

    core.add_mfa(user_id, authn::MfaType::Totp, &"t".repeat(64), None)
        .await
        .unwrap();
    let res = call(app::devices::SignOutOtherDevices::PATH).await.unwrap();
    assert_eq!(res.status(), 200);
}

/// ASVS 3.3.1: after signing out, the old session cookie signs nobody in, replayed as is.
#[tokio::test]
async fn a_signed_out_cookie_replayed_signs_nobody_in() {
    use leptos::server_fn::ServerFn;
    let app = spawn_app(&[]).await;
    app.create_user("leaving@example.com", PASSWORD).await;
    let res = app
        .call(
            app::session::SignIn::PATH,
            &[
                ("namespace", app.namespace.as_str()),
                ("email", "leaving@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let account = || {
        app.http
            .get(format!("{}/{}/account", app.base, app.namespace))
            .header("Cookie", &cookie)
            .send()
    };
    assert!(account()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("leaving@example.com"));
    let res = app
        .http
        .post(format!("{}{}", app.base, app::session::SignOut::PATH))
        .header("Origin", &app.base)
        .header("Cookie", &cookie)
        .form(&[("namespace", app.namespace.as_str())])
        .send()
        .await
        .unwrap();
    assert!(!res.status().is_server_error());
    let html = account().await.unwrap().text().await.unwrap();
    assert!(html.contains("You are not signed in."), "{html}");
    assert!(!html.contains("leaving@example.com"));
}

/// Issue 10.3 over HTTP: an admin's session that is not a recent sign-in may look at the
/// console but not impersonate or strip someone's methods (sudo mode), and without two-step
/// verification may not use the console at all.
#[tokio::test]
async fn risky_console_actions_need_two_step_verification_and_a_recent_sign_in() {
    use leptos::server_fn::ServerFn;
    let app = spawn_app(&[]).await;
    app.create_user("admin@example.com", PASSWORD).await;
    app.create_user("member@example.com", PASSWORD).await;
    let mut core = app.core().await;
    let admin = app.user_id("admin@example.com").await;
    let member = app.user_id("member@example.com").await;
    core.add_mfa(member, authn::MfaType::Totp, &"m".repeat(64), None)
        .await
        .unwrap();
    {
        let mut tx = core.begin().await.unwrap();
        identity::roles::grant_admin(&mut tx, admin).await.unwrap();
        tx.commit().await.unwrap();
    }
    // A session made through the core: no sign-in, so no sudo mode either.
    let (token, cookie) = app.session_cookie(admin).await;
    let member_id = member.to_string();
    let call = |path: &'static str, extra: &[(&'static str, &str)]| {
        let mut form = vec![
            ("namespace", app.namespace.as_str()),
            ("user_id", member_id.as_str()),
        ];
        form.extend_from_slice(extra);
        app.http
            .post(format!("{}{path}", app.base))
            .header("Origin", &app.base)
            .header("Cookie", &cookie)
            .form(&form)
            .send()
    };
    let impersonate = app::admin::impersonation::AdminImpersonate::PATH;
    let reset = app::admin::user::AdminResetMethods::PATH;
    let reason = [("reason", "Ticket 5: cannot sign in any more")];

    // No second factor of their own: the console refuses before anything else.
    for path in [impersonate, reset] {
        let res = call(path, &reason).await.unwrap();
        assert_eq!(res.status(), 403, "{path}");
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("TwoStepRequiredForConsole"));
    }
    core.add_mfa(admin, authn::MfaType::Totp, &"a".repeat(64), None)
        .await
        .unwrap();
    // With it, but signed in long ago (here: never): sudo mode first.
    for path in [impersonate, reset] {
        let res = call(path, &reason).await.unwrap();
        assert_eq!(res.status(), 403, "{path}");
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("ReauthenticationRequired"));
    }
    assert_eq!(core.list_mfa(member).await.unwrap().len(), 1);
    assert!(core.list_active_impersonations().await.unwrap().is_empty());
    // A recent confirmation opens both.
    {
        let session = core.validate_session(&token.hash()).await.unwrap().unwrap();
        let mut tx = core.begin().await.unwrap();
        identity::reauth::record(&mut tx, session.session_id)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let res = call(reset, &reason).await.unwrap();
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    assert!(core.list_mfa(member).await.unwrap().is_empty());
}

/// PostgreSQL cannot store NUL: such input is refused before any handler runs, with the
/// generic form error (it used to come back as a 500 from the database).
#[tokio::test]
async fn nul_bytes_are_refused_at_the_door_and_change_nothing() {
    use leptos::server_fn::ServerFn;
    let app = spawn_app(&[]).await;
    app.create_user("real@example.com", PASSWORD).await;
    let ns = app.namespace.as_str();
    let forms: [(&str, Vec<(&str, &str)>); 3] = [
        (
            app::session::SignIn::PATH,
            vec![
                ("namespace", ns),
                ("email", "real\0@example.com"),
                ("password", PASSWORD),
            ],
        ),
        (
            app::flows::SignUp::PATH,
            vec![
                ("namespace", ns),
                ("email", "new@example.com"),
                ("password", "lantern\0orbit velvet canyon"),
                ("password_confirm", "lantern\0orbit velvet canyon"),
            ],
        ),
        (
            app::flows::RequestPasswordReset::PATH,
            vec![("namespace", ns), ("email", "\0")],
        ),
    ];
    for (path, form) in forms {
        let res = app.call(path, &form).await;
        assert_eq!(res.status(), 400, "{path}");
        assert!(res.text().await.unwrap().contains("FormRejected"), "{path}");
    }
    let res = app.page(&format!("/{ns}/admin/users?email=%00")).await;
    assert_eq!(res.status(), 400);
    let attempts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM authn.login_attempts WHERE namespace = $1")
            .bind(ns)
            .fetch_one(&app.superuser)
            .await
            .unwrap();
    assert_eq!(attempts, 0);
    let requests: i64 =
        sqlx::query_scalar("SELECT count(*) FROM gatehouse.mail_requests WHERE namespace = $1")
            .bind(ns)
            .fetch_one(&app.superuser)
            .await
            .unwrap();
    assert_eq!(requests, 0);
    // Labelled as something else, the body is still read as a form: still refused.
    let res = app
        .http
        .post(format!("{}{}", app.base, app::session::SignIn::PATH))
        .header("Origin", &app.base)
        .header("Content-Type", "text/plain")
        .body(format!(
            "namespace={ns}&email=real%00@example.com&password=x"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // An ordinary form still goes through.
    let res = app
        .call(
            app::session::SignIn::PATH,
            &[
                ("namespace", ns),
                ("email", "real@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(res.status().is_success() || res.status().is_redirection());
}

/// A form posted without JavaScript, as a browser sends it: HTML accepted, from its page.
async fn post_natively(
    app: &TestApp,
    action: &str,
    referer: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.http
        .post(format!("{}{action}", app.base))
        .header("Origin", &app.base)
        .header("Accept", "text/html,application/xhtml+xml")
        .header("Referer", referer)
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_form_posted_without_javascript_comes_back_with_the_new_error_and_what_was_typed() {
    let app = spawn_app(&[]).await;
    app.create_user("known@example.com", PASSWORD).await;
    let page = format!("{}/{}/sign-in", app.base, app.namespace);
    let action = app
        .form_action(&format!("/{}/sign-in", app.namespace), "sign_in")
        .await;
    // The page already shows an earlier failure (of another kind) in its URL.
    let earlier = format!(
        "{page}?next=%2F{}%2Fdevices&__path=%2Fapi%2Fx&__err=IkZvcm1SZWplY3RlZCI",
        app.namespace
    );
    let res = post_natively(
        &app,
        &action,
        &earlier,
        &[
            ("namespace", &app.namespace),
            ("email", "known@example.com"),
            ("password", "not the password"),
        ],
    )
    .await;
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location.matches("__err=").count(), 1, "{location}");
    assert!(
        location.contains("next=%2F"),
        "the page's own query stays: {location}"
    );
    let kept: Vec<_> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .filter(|c| c.starts_with("gatehouse_form="))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].contains("known%40example.com") && !kept[0].contains("not+the+password"));
    assert!(kept[0].contains("HttpOnly") && kept[0].contains("Max-Age=60"));

    // The page it goes back to shows the sign-in error, the address filled in, the alert
    // focused, and drops the cookie.
    let cookie = kept[0].split(';').next().unwrap().to_owned();
    let back = app
        .http
        .get(&location)
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 200);
    let dropped = back
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("gatehouse_form=;"));
    assert!(dropped, "the kept values are shown once");
    let html = back.text().await.unwrap();
    assert!(html.contains("The email or password is incorrect."));
    assert!(
        html.contains("value=\"known@example.com\""),
        "the address is kept"
    );
    assert!(!html.contains("not the password"));
    let alert = html.find("id=\"sign-in-error\"").unwrap();
    let tag = &html[html[..alert].rfind('<').unwrap()..alert + html[alert..].find('>').unwrap()];
    assert!(tag.contains("autofocus"), "{tag}");

    // A success carries nothing back.
    let res = post_natively(
        &app,
        &action,
        &location,
        &[
            ("namespace", &app.namespace),
            ("email", "known@example.com"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap();
    assert!(!location.contains("__err"), "{location}");
    assert!(res
        .headers()
        .get_all("set-cookie")
        .iter()
        .all(|v| !v.to_str().unwrap().starts_with("gatehouse_form=")));
}
