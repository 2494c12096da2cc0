//! The JSON API's sign-in flow, tokens, account routes and error bodies over HTTP (issue 12):
//! success, each error code, lockout after five failures, reuse detection, bad input.

use serde_json::{json, Value};

use crate::support::{spawn_app, TestApp};

const PASSWORD: &str = "correct horse battery staple";

fn url(app: &TestApp, path: &str) -> String {
    format!("{}/{}/api/v1{path}", app.base, app.namespace)
}

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let response = app
        .http
        .post(url(app, path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let response = app
        .http
        .get(url(app, path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The error body every refusal has.
fn assert_error(answer: &(u16, Value), status: u16, code: &str) {
    assert_eq!(answer.0, status, "{answer:?}");
    assert_eq!(answer.1["error"], code, "{answer:?}");
    assert_eq!(answer.1["status"], status, "{answer:?}");
    assert!(
        answer.1["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{answer:?}"
    );
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> (u16, Value) {
    let (status, flow) = post(app, "/sign-in", json!({ "email": email })).await;
    assert_eq!(status, 201, "{flow:?}");
    assert_eq!(flow["allowed_methods"], json!(["password", "email_code"]));
    let id = flow["flow"].as_str().unwrap().to_owned();
    post(
        app,
        &format!("/sign-in/{id}/steps"),
        json!({ "method": "password", "password": password }),
    )
    .await
}

#[tokio::test]
async fn a_program_signs_in_uses_refreshes_and_signs_out() {
    let app = spawn_app(&[]).await;
    app.create_user("program@example.com", PASSWORD).await;

    // The keys are published; an unknown address gets the same first answer as a real one.
    let jwks: Value = app
        .http
        .get(format!("{}/.well-known/jwks.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["alg"], "EdDSA");
    assert_error(
        &sign_in(&app, "nobody@example.com", PASSWORD).await,
        401,
        "invalid_credentials",
    );
    assert_error(
        &sign_in(&app, "program@example.com", "wrong password").await,
        401,
        "invalid_credentials",
    );

    let (status, tokens) = sign_in(&app, "program@example.com", PASSWORD).await;
    assert_eq!(status, 200, "{tokens:?}");
    assert_eq!(tokens["token_type"], "Bearer");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(refresh.len(), 43, "256 bits, base64url");
    let (status, me) = get(&app, "/me", &access).await;
    assert_eq!(status, 200, "{me:?}");
    assert_eq!(me["email"], "program@example.com");
    // Stored only as a hash.
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM authn.refresh_tokens WHERE token_hash = $1")
            .bind(&refresh)
            .fetch_one(&app.superuser)
            .await
            .unwrap();
    assert_eq!(stored, 0);

    // Rotation: a new pair; the old refresh token again is reuse and ends the session.
    let (status, rotated) = post(&app, "/token/refresh", json!({ "refresh_token": refresh })).await;
    assert_eq!(status, 200, "{rotated:?}");
    let access2 = rotated["access_token"].as_str().unwrap().to_owned();
    assert_eq!(get(&app, "/me", &access2).await.0, 200);
    assert_error(
        &post(&app, "/token/refresh", json!({ "refresh_token": refresh })).await,
        401,
        "token_reused",
    );
    assert_error(&get(&app, "/me", &access2).await, 401, "invalid_token");

    // Sessions: listed, one revoked; sign-out of this session; of all.
    let (_, first) = sign_in(&app, "program@example.com", PASSWORD).await;
    let (_, second) = sign_in(&app, "program@example.com", PASSWORD).await;
    let first_access = first["access_token"].as_str().unwrap();
    let second_access = second["access_token"].as_str().unwrap();
    let (status, sessions) = get(&app, "/sessions", first_access).await;
    assert_eq!(status, 200);
    assert_eq!(sessions["sessions"].as_array().unwrap().len(), 2);
    let other = second["session_id"].as_str().unwrap();
    let revoked = app
        .http
        .delete(url(&app, &format!("/sessions/{other}")))
        .bearer_auth(first_access)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status().as_u16(), 204);
    assert_error(&get(&app, "/me", second_access).await, 401, "invalid_token");
    let out = app
        .http
        .post(url(&app, "/sign-out"))
        .bearer_auth(first_access)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 204);
    assert_error(&get(&app, "/me", first_access).await, 401, "invalid_token");
    assert_error(
        &post(
            &app,
            "/token/refresh",
            json!({ "refresh_token": first["refresh_token"] }),
        )
        .await,
        401,
        "invalid_token",
    );
    // All: every session and refresh token of the account.
    let (_, a) = sign_in(&app, "program@example.com", PASSWORD).await;
    let (_, b) = sign_in(&app, "program@example.com", PASSWORD).await;
    let out = app
        .http
        .post(url(&app, "/sign-out"))
        .bearer_auth(a["access_token"].as_str().unwrap())
        .json(&json!({ "all": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 204);
    assert_error(
        &get(&app, "/me", b["access_token"].as_str().unwrap()).await,
        401,
        "invalid_token",
    );
    // Personal API keys keep working at the old address.
    let old = app
        .http
        .get(format!("{}/api/v1/me", app.base))
        .bearer_auth("gh_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(old.status().as_u16(), 401);
}

#[tokio::test]
async fn five_failures_lock_the_address_out_as_on_the_web() {
    let app = spawn_app(&[]).await;
    app.create_user("locked@example.com", PASSWORD).await;
    for _ in 0..5 {
        assert_error(
            &sign_in(&app, "locked@example.com", "wrong password").await,
            401,
            "invalid_credentials",
        );
    }
    assert_error(
        &sign_in(&app, "locked@example.com", PASSWORD).await,
        429,
        "locked_out",
    );
    // Past the per-address request limit (30 a minute) every sign-in request is refused.
    let mut last = (0, Value::Null);
    for _ in 0..31 {
        last = post(&app, "/sign-in", json!({ "email": "anyone@example.com" })).await;
        if last.0 == 429 {
            break;
        }
    }
    assert_error(&last, 429, "rate_limited");
    // With how long to wait: what is left of the one-minute window.
    let limited = app
        .http
        .post(url(&app, "/sign-in"))
        .json(&json!({ "email": "anyone@example.com" }))
        .send()
        .await
        .unwrap();
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
}

#[tokio::test]
async fn bad_input_gets_the_fixed_error_body_and_changes_nothing() {
    let app = spawn_app(&[]).await;
    app.create_user("careful@example.com", PASSWORD).await;
    let raw = |body: &'static str, content_type: &'static str| {
        app.http
            .post(url(&app, "/sign-in"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let answer = |r: reqwest::Response| async move {
        let status = r.status().as_u16();
        (status, r.json::<Value>().await.unwrap_or(Value::Null))
    };
    assert_error(
        &answer(raw("{\"email\":", "application/json").await.unwrap()).await,
        400,
        "validation_failed",
    );
    assert_error(
        &answer(
            raw("email=a@b.c", "application/x-www-form-urlencoded")
                .await
                .unwrap(),
        )
        .await,
        415,
        "validation_failed",
    );
    assert_error(
        &answer(raw("{}", "application/json").await.unwrap()).await,
        400,
        "validation_failed",
    );
    assert_error(
        &answer(
            raw("{\"email\":\"a@b.c\",\"admin\":true}", "application/json")
                .await
                .unwrap(),
        )
        .await,
        400,
        "validation_failed",
    );
    let big = format!("{{\"email\":\"{}\"}}", "a".repeat(20_000));
    let r = app
        .http
        .post(url(&app, "/sign-in"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_error(&answer(r).await, 413, "validation_failed");
    assert_error(
        &post(
            &app,
            "/sign-in/f.made-up/steps",
            json!({ "method": "password", "password": PASSWORD }),
        )
        .await,
        404,
        "not_found",
    );
    assert_error(
        &post(
            &app,
            "/sign-in/f.made-up/steps",
            json!({ "method": "google", "password": PASSWORD }),
        )
        .await,
        400,
        "validation_failed",
    );
    assert_error(
        &post(&app, "/token/refresh", json!({ "refresh_token": "nope" })).await,
        401,
        "invalid_token",
    );
    assert_error(&get(&app, "/me", "not-a-jwt").await, 401, "invalid_token");
    let none = app.http.get(url(&app, "/me")).send().await.unwrap();
    assert_error(&answer(none).await, 401, "unauthorized");

    // A token of another namespace is not valid here.
    let (_, tokens) = sign_in(&app, "careful@example.com", PASSWORD).await;
    let access = tokens["access_token"].as_str().unwrap();
    let elsewhere = app
        .http
        .get(format!("{}/another-namespace/api/v1/me", app.base))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_error(&answer(elsewhere).await, 401, "invalid_token");
    // A browser on another origin is not answered with CORS headers, and the cookie is not read.
    let cross = app
        .http
        .get(url(&app, "/me"))
        .header("origin", "https://evil.example")
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert!(cross.headers().get("access-control-allow-origin").is_none());
    let (cookie_token, cookie) = app
        .session_cookie(app.user_id("careful@example.com").await)
        .await;
    let _ = cookie_token;
    let by_cookie = app
        .http
        .get(url(&app, "/me"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_error(&answer(by_cookie).await, 401, "unauthorized");
}

/// A reset link's token made the way the flow makes one (the mail itself is sealed).
async fn reset_token(app: &TestApp, email: &str) -> String {
    let token = identity::OpaqueToken::generate();
    let user = app.user_id(email).await;
    app.core()
        .await
        .create_token(user, &token.hash(), authn::TokenType::PasswordReset, None)
        .await
        .unwrap();
    token.expose().to_owned()
}

#[tokio::test]
async fn account_flows_register_reset_change_password_and_keys() {
    let app = spawn_app(&[]).await;
    app.create_user("flows@example.com", PASSWORD).await;

    // Sign-up is closed by default: the namespace's policy, as on the web.
    assert_error(
        &post(
            &app,
            "/register",
            json!({ "email": "new@example.com", "password": "a long enough passphrase here" }),
        )
        .await,
        403,
        "forbidden",
    );
    sqlx::query(
        "INSERT INTO gatehouse.namespace_settings (namespace, sign_up) VALUES ($1, 'open')",
    )
    .bind(&app.namespace)
    .execute(&app.superuser)
    .await
    .unwrap();
    assert_error(
        &post(
            &app,
            "/register",
            json!({ "email": "new@example.com", "password": "short" }),
        )
        .await,
        400,
        "validation_failed",
    );
    // The same answer for a new address and a taken one; each mailbox gets its mail.
    for email in ["new@example.com", "flows@example.com"] {
        let (status, body) = post(
            &app,
            "/register",
            json!({ "email": email, "password": "a long enough passphrase here" }),
        )
        .await;
        assert_eq!(status, 202, "{body:?}");
    }
    app.settle_mail_requests().await;
    assert_eq!(app.outbox_count("new@example.com").await, 1);
    assert_eq!(app.outbox_count("flows@example.com").await, 1);
    assert_error(
        &post(
            &app,
            "/verify-email",
            json!({ "token": "not-a-token", "password": "a long enough passphrase here" }),
        )
        .await,
        401,
        "invalid_token",
    );

    // Forgot: always 202; reset with the link's token, once.
    for email in ["flows@example.com", "nobody@example.com"] {
        assert_eq!(
            post(&app, "/password/forgot", json!({ "email": email }))
                .await
                .0,
            202
        );
    }
    let (_, before) = sign_in(&app, "flows@example.com", PASSWORD).await;
    let token = reset_token(&app, "flows@example.com").await;
    let reset = post(
        &app,
        "/password/reset",
        json!({ "token": token, "password": "another long passphrase" }),
    )
    .await;
    assert_eq!(reset.0, 204, "{reset:?}");
    assert_error(
        &post(
            &app,
            "/password/reset",
            json!({ "token": token, "password": "yet another long passphrase" }),
        )
        .await,
        401,
        "invalid_token",
    );
    // The reset ended every session: the old tokens are dead.
    assert_error(
        &get(&app, "/me", before["access_token"].as_str().unwrap()).await,
        401,
        "invalid_token",
    );

    // A signed-in change: the current password, then new tokens; the other session ends.
    let (_, other) = sign_in(&app, "flows@example.com", "another long passphrase").await;
    let (_, this) = sign_in(&app, "flows@example.com", "another long passphrase").await;
    let access = this["access_token"].as_str().unwrap();
    let change = |current: &'static str| {
        app.http
            .post(url(&app, "/password"))
            .bearer_auth(access)
            .json(&json!({ "current_password": current, "new_password": "the third long passphrase" }))
            .send()
    };
    let wrong = change("not it").await.unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let changed = change("another long passphrase").await.unwrap();
    assert_eq!(changed.status().as_u16(), 200);
    let fresh: Value = changed.json().await.unwrap();
    let fresh_access = fresh["access_token"].as_str().unwrap().to_owned();
    assert_eq!(get(&app, "/me", &fresh_access).await.0, 200);
    assert_error(
        &get(&app, "/me", other["access_token"].as_str().unwrap()).await,
        401,
        "invalid_token",
    );
    assert_error(
        &post(
            &app,
            "/token/refresh",
            json!({ "refresh_token": this["refresh_token"] }),
        )
        .await,
        401,
        "invalid_token",
    );

    // API keys: created within the sudo window (a fresh sign-in), listed, used, revoked.
    let created = app
        .http
        .post(url(&app, "/api-keys"))
        .bearer_auth(&fresh_access)
        .json(&json!({ "name": "ci", "expiry": "30" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let created: Value = created.json().await.unwrap();
    let key = created["key"].as_str().unwrap();
    assert!(key.starts_with("gh_"));
    let (status, keys) = get(&app, "/api-keys", &fresh_access).await;
    assert_eq!(status, 200);
    assert_eq!(keys["api_keys"].as_array().unwrap().len(), 1);
    assert!(!keys.to_string().contains(key), "the key is shown once");
    let holder = app
        .http
        .get(format!("{}/api/v1/me", app.base))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(holder.status().as_u16(), 200);
    // The key reads the account on the namespace's own routes too, and nothing more.
    let (status, me) = get(&app, "/me", key).await;
    assert_eq!(status, 200, "{me:?}");
    assert_eq!(me["email"], "flows@example.com");
    assert_eq!(me["session_id"], Value::Null);
    assert_eq!(me["roles"], json!({ "admin": false, "operator": false }));
    let (status, sessions) = get(&app, "/sessions", key).await;
    assert_eq!(status, 200);
    assert!(sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["current"] == false));
    assert_eq!(get(&app, "/api-keys", key).await.0, 200);
    // When the organisation comes to require two-step verification, a key of an account
    // without it stops reading, as the account's sessions do.
    sqlx::query(
        "UPDATE gatehouse.namespace_settings SET accounts_require_mfa = true WHERE namespace = $1",
    )
    .bind(&app.namespace)
    .execute(&app.superuser)
    .await
    .unwrap();
    assert_error(&get(&app, "/me", key).await, 403, "forbidden");
    sqlx::query(
        "UPDATE gatehouse.namespace_settings SET accounts_require_mfa = false WHERE namespace = $1",
    )
    .bind(&app.namespace)
    .execute(&app.superuser)
    .await
    .unwrap();
    assert_eq!(get(&app, "/me", key).await.0, 200);
    let by_key = app
        .http
        .post(url(&app, "/api-keys"))
        .bearer_auth(key)
        .json(&json!({ "name": "from a key", "expiry": "30" }))
        .send()
        .await
        .unwrap();
    assert_eq!(by_key.status().as_u16(), 403);
    let signing_out = app
        .http
        .post(url(&app, "/sign-out"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(signing_out.status().as_u16(), 403);
    // Another namespace's routes do not know it.
    let elsewhere = app
        .http
        .get(format!("{}/elsewhere/api/v1/me", app.base))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert!(matches!(elsewhere.status().as_u16(), 401 | 404));
    let bad = app
        .http
        .post(url(&app, "/api-keys"))
        .bearer_auth(&fresh_access)
        .json(&json!({ "name": "ci", "expiry": "forever" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let id = created["id"].as_str().unwrap();
    let revoked = app
        .http
        .delete(url(&app, &format!("/api-keys/{id}")))
        .bearer_auth(&fresh_access)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status().as_u16(), 204);
    let holder = app
        .http
        .get(format!("{}/api/v1/me", app.base))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(holder.status().as_u16(), 401);
    assert_error(&get(&app, "/me", key).await, 401, "invalid_token");
    // Out of the sudo window, creating a key is refused.
    sqlx::query(
        "UPDATE gatehouse.reauthentications SET authenticated_at = now() - interval '1 day'",
    )
    .execute(&app.superuser)
    .await
    .unwrap();
    let late = app
        .http
        .post(url(&app, "/api-keys"))
        .bearer_auth(&fresh_access)
        .json(&json!({ "name": "late", "expiry": "30" }))
        .send()
        .await
        .unwrap();
    assert_eq!(late.status().as_u16(), 403);
}

/// The claims of a JWT, read without checking it (as the seed's client does).
fn claims(jwt: &str) -> Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn the_seed_auth_clients_interface_works_unchanged() {
    let app = spawn_app(&[]).await;
    app.create_user("seed@example.com", PASSWORD).await;
    let auth = |path: &str| format!("{}/{}/auth{path}", app.base, app.namespace);
    let seed_post = |path: &'static str, body: Value| {
        let request = app.http.post(auth(path)).json(&body);
        async move {
            let r = request.send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    // The seed's error fields.
    let (status, refused) = seed_post(
        "/login",
        json!({ "email": "seed@example.com", "password": "nope", "cookie": false }),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(refused["error"], "invalid_credentials");
    assert_eq!(refused["statusCode"], 401);
    assert!(refused["message"].is_string());

    let (status, login) = seed_post(
        "/login",
        json!({ "email": "seed@example.com", "password": PASSWORD, "cookie": false }),
    )
    .await;
    assert_eq!(status, 200, "{login:?}");
    let jwt = login["jwt_token"].as_str().unwrap();
    let user_id = app.user_id("seed@example.com").await.to_string();
    assert_eq!(claims(jwt)["hasura"]["x-hasura-user-id"], user_id.as_str());
    assert_eq!(claims(jwt)["hasura"]["default_role"], "user");
    assert!(claims(jwt)["exp"].is_i64());

    let refreshed = app
        .http
        .get(auth("/token/refresh"))
        .query(&[("refresh_token", login["refresh_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status().as_u16(), 200);
    let refreshed: Value = refreshed.json().await.unwrap();
    let jwt = refreshed["jwt_token"].as_str().unwrap().to_owned();

    let changed = app
        .http
        .post(auth("/change-password"))
        .bearer_auth(&jwt)
        .json(&json!({ "old_password": PASSWORD, "new_password": "a brand new passphrase" }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status().as_u16(), 200);
    let changed: Value = changed.json().await.unwrap();
    let jwt = changed["jwt_token"].as_str().unwrap().to_owned();
    let out = app
        .http
        .post(auth("/logout"))
        .query(&[("refresh_token", changed["refresh_token"].as_str().unwrap())])
        .bearer_auth(&jwt)
        .json(&json!({ "all": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 204);
    assert_error(&get(&app, "/me", &jwt).await, 401, "invalid_token");
    // Register without a password asks for a magic link.
    let (status, magic) = seed_post(
        "/register",
        json!({ "email": "seed@example.com", "cookie": false }),
    )
    .await;
    assert_eq!(status, 202, "{magic:?}");
    assert_eq!(magic["magicLink"], true);
    app.settle_mail_requests().await;
}

#[tokio::test]
async fn the_seed_user_account_interface_signs_in_in_steps() {
    let app = spawn_app(&[]).await;
    app.create_user("steps@example.com", PASSWORD).await;
    let ua = |path: &str| format!("{}/{}/userAccount{path}", app.base, app.namespace);
    let init = app
        .http
        .post(ua("/initAuth"))
        .json(&json!({ "email": "steps@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(init.status().as_u16(), 200);
    let session = init.headers()["x-session-token"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = init.json().await.unwrap();
    assert_eq!(body["allowedMethods"], json!(["password", "otp"]));

    let authenticate = |method: &'static str, credentials: Value| {
        app.http
            .post(ua("/authenticate"))
            .header("x-session-token", session.clone())
            .json(&json!({ "method": method, "credentials": credentials }))
            .send()
    };
    let google = authenticate("google", json!("id-token")).await.unwrap();
    assert_eq!(google.status().as_u16(), 400);
    assert_eq!(
        google.json::<Value>().await.unwrap()["error"],
        "unsupported_method"
    );
    let done = authenticate("password", json!({ "password": PASSWORD }))
        .await
        .unwrap();
    assert_eq!(done.status().as_u16(), 200);
    let done: Value = done.json().await.unwrap();
    assert_eq!(done["message"], "Fully authenticated");
    let access = done["accessToken"].as_str().unwrap().to_owned();

    let refreshed = app
        .http
        .post(ua("/refresh/token"))
        .bearer_auth(done["refreshToken"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status().as_u16(), 200);
    let refreshed: Value = refreshed.json().await.unwrap();
    assert!(refreshed["accessToken"].is_string());

    for email in ["steps@example.com", "nobody@example.com"] {
        let forgot = app
            .http
            .post(ua("/password/forgot"))
            .json(&json!({ "email": email }))
            .send()
            .await
            .unwrap();
        assert_eq!(forgot.status().as_u16(), 200);
        let otp = app
            .http
            .post(ua("/login/otp/generate"))
            .json(&json!({ "email": email }))
            .send()
            .await
            .unwrap();
        assert_eq!(otp.status().as_u16(), 200);
    }
    let token = reset_token(&app, "steps@example.com").await;
    let reset = app
        .http
        .post(ua("/password/reset/token"))
        .bearer_auth(&token)
        .json(&json!({ "password": "a new long passphrase" }))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status().as_u16(), 200);
    // The reset ended every session.
    assert_error(&get(&app, "/me", &access).await, 401, "invalid_token");
    let access = refreshed["accessToken"].as_str().unwrap();
    assert_error(&get(&app, "/me", access).await, 401, "invalid_token");
    // Signed in again with the new password; logging out ends that session.
    let (_, tokens) = sign_in(&app, "steps@example.com", "a new long passphrase").await;
    let access = tokens["access_token"].as_str().unwrap();
    let out = app
        .http
        .post(ua("/logout/manual"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 200);
    assert_error(&get(&app, "/me", access).await, 401, "invalid_token");
}

#[tokio::test]
async fn only_listed_origins_may_call_the_api_from_a_browser() {
    let app = spawn_app(&["--cors-origins", "https://app.example"]).await;
    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, url(&app, "/token/refresh"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight("https://app.example").await.unwrap();
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .unwrap(),
        "https://app.example"
    );
    assert!(allowed
        .headers()
        .get("access-control-allow-credentials")
        .is_none());
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

/// The newest mail to `recipient`, opened with the test server's key.
async fn last_mail(app: &TestApp, recipient: &str) -> String {
    app.settle_mail_requests().await;
    let sealed: String = sqlx::query_scalar(
        "SELECT text_body FROM gatehouse.mail_outbox WHERE namespace = $1 AND recipient = $2 \
          ORDER BY id DESC LIMIT 1",
    )
    .bind(&app.namespace)
    .bind(recipient)
    .fetch_one(&app.superuser)
    .await
    .unwrap();
    let keys = identity::SecretBox::from_hex(&"0".repeat(64)).unwrap();
    identity::mail::outbox::open_body(&keys, &app.namespace, recipient, &sealed).unwrap()
}

#[tokio::test]
async fn a_mailed_code_and_a_magic_link_sign_a_program_in() {
    let app = spawn_app(&[]).await;
    app.create_user("mailed@example.com", PASSWORD).await;

    // The e-mail code step: ask for the code on the flow, then give it.
    let (status, flow) = post(&app, "/sign-in", json!({ "email": "mailed@example.com" })).await;
    assert_eq!(status, 201);
    let id = flow["flow"].as_str().unwrap().to_owned();
    assert_eq!(
        post(&app, &format!("/sign-in/{id}/email-code"), json!({}))
            .await
            .0,
        202
    );
    let text = last_mail(&app, "mailed@example.com").await;
    let code = text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
        .unwrap()
        .to_owned();
    assert_error(
        &post(
            &app,
            &format!("/sign-in/{id}/steps"),
            json!({ "method": "email_code", "code": "000000" }),
        )
        .await,
        401,
        "invalid_credentials",
    );
    let (status, tokens) = post(
        &app,
        &format!("/sign-in/{id}/steps"),
        json!({ "method": "email_code", "code": code }),
    )
    .await;
    assert_eq!(status, 200, "{tokens:?}");
    assert_eq!(
        get(&app, "/me", tokens["access_token"].as_str().unwrap())
            .await
            .0,
        200
    );
    // A code works once.
    assert_error(
        &post(
            &app,
            &format!("/sign-in/{id}/steps"),
            json!({ "method": "email_code", "code": code }),
        )
        .await,
        401,
        "invalid_credentials",
    );

    // A magic link: requested (202 for anyone), then its token for tokens, once.
    for email in ["mailed@example.com", "nobody@example.com"] {
        assert_eq!(
            post(&app, "/magic-link", json!({ "email": email })).await.0,
            202
        );
    }
    let text = last_mail(&app, "mailed@example.com").await;
    let token = text
        .split(|c: char| c.is_whitespace())
        .find_map(|w| w.split("token=").nth(1))
        .unwrap()
        .to_owned();
    let (status, tokens) = post(&app, "/magic-link/sign-in", json!({ "token": token })).await;
    assert_eq!(status, 200, "{tokens:?}");
    assert_eq!(
        get(&app, "/me", tokens["access_token"].as_str().unwrap())
            .await
            .0,
        200
    );
    assert_error(
        &post(&app, "/magic-link/sign-in", json!({ "token": token })).await,
        401,
        "invalid_token",
    );
}

#[tokio::test]
async fn the_openapi_document_and_its_reference_page_cover_every_route() {
    let app = spawn_app(&[]).await;
    let answer = app
        .http
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let doc: Value = answer.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/{namespace}/api/v1/sign-in", "post"),
        ("/{namespace}/api/v1/sign-in/{flow}/steps", "post"),
        ("/{namespace}/api/v1/token/refresh", "post"),
        ("/{namespace}/api/v1/api-keys/{key_id}", "delete"),
        ("/{namespace}/auth/token/refresh", "get"),
        ("/{namespace}/userAccount/authenticate", "post"),
        ("/.well-known/jwks.json", "get"),
        ("/api/v1/me", "get"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path}");
    }
    let codes = &doc["components"]["schemas"]["ErrorCode"]["enum"];
    for code in [
        "invalid_credentials",
        "token_reused",
        "validation_failed",
        "conflict",
    ] {
        assert!(
            codes.as_array().unwrap().iter().any(|c| c == code),
            "{code}"
        );
    }
    assert!(doc["components"]["securitySchemes"]["access_token"].is_object());

    let page = app
        .http
        .get(format!("{}/api/v1/docs", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = page.text().await.unwrap();
    assert!(page.contains("/{namespace}/api/v1/sign-in/{flow}/steps"));
    assert!(page.contains("id=\"schema-Tokens\""));
}

/// The code an authenticator app shows for `uri`, `steps` 30-second steps from now.
fn app_code(uri: &str, steps: i64) -> String {
    let totp = totp_rs::TOTP::from_url_unchecked(uri).unwrap();
    let at = chrono::Utc::now().timestamp() + steps * 30;
    totp.generate(u64::try_from(at).unwrap())
}

#[tokio::test]
async fn a_program_adds_an_authenticator_app_and_signs_in_with_it() {
    let app = spawn_app(&[]).await;
    app.create_user("totp@example.com", PASSWORD).await;
    let (status, tokens) = sign_in(&app, "totp@example.com", PASSWORD).await;
    assert_eq!(status, 200, "{tokens:?}");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let send = |method: reqwest::Method, path: &str, token: &str, body: Option<Value>| {
        let mut request = app.http.request(method, url(&app, path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    use reqwest::Method;

    let (status, mfa) = get(&app, "/mfa", &access).await;
    assert_eq!(status, 200);
    assert_eq!(mfa["totp_added_at"], Value::Null);
    assert_eq!(mfa["recovery_codes_left"], 0);
    // Recovery codes go with another second factor.
    assert_error(
        &send(Method::POST, "/mfa/recovery-codes", &access, None).await,
        409,
        "conflict",
    );

    let (status, setup) = send(Method::POST, "/mfa/totp", &access, None).await;
    assert_eq!(status, 201, "{setup:?}");
    let uri = setup["otpauth_uri"].as_str().unwrap().to_owned();
    let enrollment = setup["enrollment"].as_str().unwrap().to_owned();
    let right = app_code(&uri, 0);
    let wrong = ["000000", "111111", "222222", "333333"]
        .into_iter()
        .find(|c| ![-1, 0, 1].iter().any(|s| app_code(&uri, *s) == *c))
        .unwrap();
    assert_error(
        &send(
            Method::POST,
            "/mfa/totp/confirm",
            &access,
            Some(json!({ "enrollment": enrollment, "code": wrong })),
        )
        .await,
        400,
        "validation_failed",
    );
    assert_error(
        &send(
            Method::POST,
            "/mfa/totp/confirm",
            &access,
            Some(json!({ "enrollment": "forged", "code": right })),
        )
        .await,
        400,
        "validation_failed",
    );
    let (status, codes) = send(
        Method::POST,
        "/mfa/totp/confirm",
        &access,
        Some(json!({ "enrollment": enrollment, "code": right })),
    )
    .await;
    assert_eq!(status, 200, "{codes:?}");
    let codes = codes["recovery_codes"].as_array().unwrap().len();
    assert!(codes >= 8);
    let (_, mfa) = get(&app, "/mfa", &access).await;
    assert!(mfa["totp_added_at"].is_string());
    assert_eq!(mfa["recovery_codes_left"], codes);

    // Signing in now takes the app's code as a second step (a later step than the one used).
    let (status, flow) = post(&app, "/sign-in", json!({ "email": "totp@example.com" })).await;
    assert_eq!(status, 201);
    let (status, next) = post(
        &app,
        &format!("/sign-in/{}/steps", flow["flow"].as_str().unwrap()),
        json!({ "method": "password", "password": PASSWORD }),
    )
    .await;
    assert_eq!(status, 200, "{next:?}");
    assert_eq!(next["allowed_methods"], json!(["totp", "recovery_code"]));
    assert!(next.get("access_token").is_none());
    let (status, second) = post(
        &app,
        &format!("/sign-in/{}/steps", next["flow"].as_str().unwrap()),
        json!({ "method": "totp", "code": app_code(&uri, 1) }),
    )
    .await;
    assert_eq!(status, 200, "{second:?}");
    let fresh = second["access_token"].as_str().unwrap().to_owned();

    // A new set of recovery codes replaces the old; an API key reads but cannot change them.
    let (status, renewed) = send(Method::POST, "/mfa/recovery-codes", &fresh, None).await;
    assert_eq!(status, 200, "{renewed:?}");
    assert_eq!(renewed["recovery_codes"].as_array().unwrap().len(), codes);
    let (status, key) = send(
        Method::POST,
        "/api-keys",
        &fresh,
        Some(json!({ "name": "reader", "expiry": "30" })),
    )
    .await;
    assert_eq!(status, 201);
    let key = key["key"].as_str().unwrap().to_owned();
    assert_eq!(get(&app, "/mfa", &key).await.0, 200);
    assert_error(
        &send(Method::DELETE, "/mfa/totp", &key, None).await,
        403,
        "forbidden",
    );

    // Changes take a recent sign-in.
    sqlx::query(
        "UPDATE gatehouse.reauthentications SET authenticated_at = now() - interval '1 day'",
    )
    .execute(&app.superuser)
    .await
    .unwrap();
    assert_error(
        &send(Method::DELETE, "/mfa/totp", &fresh, None).await,
        403,
        "forbidden",
    );
    let (_, mfa) = get(&app, "/mfa", &fresh).await;
    assert!(mfa["totp_added_at"].is_string(), "nothing changed");

    // Signed in again: the app is removed, and with it the recovery codes.
    let (status, flow) = post(&app, "/sign-in", json!({ "email": "totp@example.com" })).await;
    assert_eq!(status, 201);
    let (_, next) = post(
        &app,
        &format!("/sign-in/{}/steps", flow["flow"].as_str().unwrap()),
        json!({ "method": "password", "password": PASSWORD }),
    )
    .await;
    let (status, again) = post(
        &app,
        &format!("/sign-in/{}/steps", next["flow"].as_str().unwrap()),
        json!({ "method": "recovery_code", "code": renewed["recovery_codes"][0] }),
    )
    .await;
    assert_eq!(status, 200, "{again:?}");
    let again = again["access_token"].as_str().unwrap().to_owned();
    assert_eq!(send(Method::DELETE, "/mfa/totp", &again, None).await.0, 204);
    let (_, mfa) = get(&app, "/mfa", &again).await;
    assert_eq!(mfa["totp_added_at"], Value::Null);
    assert_eq!(mfa["recovery_codes_left"], 0);
    assert_error(
        &send(Method::DELETE, "/mfa/totp", &again, None).await,
        404,
        "not_found",
    );
}
