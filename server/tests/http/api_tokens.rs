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
    assert_eq!(flow["allowed_methods"], json!(["password"]));
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
