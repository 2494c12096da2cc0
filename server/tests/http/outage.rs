//! Fail closed, recover alone (issue 13): with its PostgreSQL stopped, the server answers every
//! page and API call with a clear 503 and `/readyz` says why; when PostgreSQL is back it serves
//! again by itself, without a restart. The test runs a cluster of its own (it stops it).

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::spawn_app_on;

fn pg_local(args: &[&str]) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/pg-local");
    let out = Command::new(script).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "pg-local {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Stops the cluster (and removes its folder) however the test ends.
struct Cluster(String);

impl Drop for Cluster {
    fn drop(&mut self) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/pg-local");
        let _ = Command::new(script).args(["stop", &self.0]).output();
    }
}

/// An app on a throwaway cluster of its own (the tests stop it), with one account,
/// `steady@example.com`.
async fn on_a_cluster_of_its_own() -> (crate::support::TestApp, Cluster) {
    let line = pg_local(&["throwaway"]);
    let (admin, dir) = line.split_once(' ').unwrap();
    let cluster = Cluster(dir.to_owned());
    let app = spawn_app_on(admin, &[]).await;
    app.create_user("steady@example.com", "correct horse battery staple")
        .await;
    (app, cluster)
}

async fn readiness(http: &reqwest::Client, base: &str) -> (u16, Value) {
    let answer = http.get(format!("{base}/readyz")).send().await.unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

async fn wait_for_readiness(http: &reqwest::Client, base: &str, status: u16) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (now, body) = readiness(http, base).await;
        if now == status {
            return body;
        }
        assert!(Instant::now() < deadline, "readyz stayed {now}: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn without_its_database_the_server_answers_503_and_recovers_alone() {
    let (app, cluster) = on_a_cluster_of_its_own().await;
    let dir = &cluster.0;
    let http = &app.http;

    let ready = wait_for_readiness(http, &app.base, 200).await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"], "ok");
    assert_eq!(ready["migrations"]["status"], "current", "{ready}");
    assert_eq!(ready["mail_worker"], "off");
    let sign_in = format!("{}/{}/sign-in", app.base, app.namespace);
    assert_eq!(http.get(&sign_in).send().await.unwrap().status(), 200);

    // PostgreSQL goes away as in a crash. (Test clusters run with synchronous_commit off for
    // speed, so a crash would take their last commits with it: the account is made durable
    // first. That is the test cluster's trade, not the server's.)
    sqlx::query("CHECKPOINT")
        .execute(&app.superuser)
        .await
        .unwrap();
    pg_local(&["halt", dir]);
    let down = wait_for_readiness(http, &app.base, 503).await;
    assert_eq!(down["status"], "unavailable");
    assert_ne!(down["database"], "ok", "{down}");
    assert_eq!(
        http.get(format!("{}/healthz", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // A page: a clear 503 page, retry advised, nothing cached.
    let page = http.get(&sign_in).send().await.unwrap();
    assert_eq!(page.status(), 503);
    assert_eq!(page.headers()["retry-after"], "5");
    assert_eq!(page.headers()["cache-control"], "no-store");
    let text = page.text().await.unwrap();
    assert!(text.contains("Unavailable for a moment"), "{text}");
    assert!(!text.to_lowercase().contains("sqlx"), "{text}");
    // An API call and a server function: the API's error body.
    let api = http
        .post(format!("{}/{}/api/v1/sign-in", app.base, app.namespace))
        .json(&json!({ "email": "steady@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 503);
    let body: Value = api.json().await.unwrap();
    assert_eq!(body["error"], "unavailable");
    assert_eq!(body["status"], 503);
    // The seed client's interface keeps its own error form.
    let seed = http
        .post(format!("{}/{}/auth/login", app.base, app.namespace))
        .json(&json!({ "email": "steady@example.com", "password": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(seed.status(), 503);
    let body: Value = seed.json().await.unwrap();
    assert_eq!(body["statusCode"], 503);
    assert_eq!(body["error"], "unavailable");
    let form = http
        .post(format!("{}/api/sign_in", app.base))
        .header("Origin", &app.base)
        .form(&[("namespace", app.namespace.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 503);
    // The public keys need no database.
    assert_eq!(
        http.get(format!("{}/.well-known/jwks.json", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Back on its port: the server serves again without a restart.
    pg_local(&["start", dir]);
    let back = wait_for_readiness(http, &app.base, 200).await;
    assert_eq!(back["database"], "ok");
    assert_eq!(http.get(&sign_in).send().await.unwrap().status(), 200);
    let started = http
        .post(format!("{}/{}/api/v1/sign-in", app.base, app.namespace))
        .json(&json!({ "email": "steady@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 201);
    let flow: Value = started.json().await.unwrap();
    let tokens = http
        .post(format!(
            "{}/{}/api/v1/sign-in/{}/steps",
            app.base,
            app.namespace,
            flow["flow"].as_str().unwrap()
        ))
        .json(&json!({ "method": "password", "password": "correct horse battery staple" }))
        .send()
        .await
        .unwrap();
    assert_eq!(tokens.status(), 200, "{:?}", tokens.text().await);
}

/// Points the application role's new connections to this test's database at a read-only
/// server (or back), and ends its current ones, as a failover does.
async fn set_read_only(app: &crate::support::TestApp, on: bool) {
    let db: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&app.superuser)
        .await
        .unwrap();
    let role = test_support::TENANT_ROLE;
    let setting = if on {
        "SET default_transaction_read_only = on"
    } else {
        "RESET default_transaction_read_only"
    };
    sqlx::raw_sql(&format!(
        "ALTER ROLE \"{role}\" IN DATABASE \"{db}\" {setting}"
    ))
    .execute(&app.superuser)
    .await
    .unwrap();
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND usename = $1",
    )
    .bind(role)
    .execute(&app.superuser)
    .await
    .unwrap();
}

/// A database that answers but takes no writes (a standby, or a promoted standby that
/// pg_auto_failover keeps read-only until the old primary is known to be gone) is an outage
/// too: `/readyz` says so and requests get the 503, not a 500 for each refused write.
#[tokio::test]
async fn a_database_that_takes_no_writes_is_an_outage_and_the_server_recovers_alone() {
    let app = crate::support::spawn_app(&[]).await;
    app.create_user("steady@example.com", "correct horse battery staple")
        .await;
    let http = &app.http;
    wait_for_readiness(http, &app.base, 200).await;

    set_read_only(&app, true).await;
    let down = wait_for_readiness(http, &app.base, 503).await;
    assert!(
        down["database"]
            .as_str()
            .unwrap()
            .contains("accepts no writes"),
        "{down}"
    );
    let seed = http
        .post(format!("{}/{}/auth/login", app.base, app.namespace))
        .json(&json!({ "email": "steady@example.com", "password": "correct horse battery staple" }))
        .send()
        .await
        .unwrap();
    assert_eq!(seed.status(), 503);

    set_read_only(&app, false).await;
    wait_for_readiness(http, &app.base, 200).await;
    let login = http
        .post(format!("{}/{}/auth/login", app.base, app.namespace))
        .json(&json!({ "email": "steady@example.com", "password": "correct horse battery staple", "cookie": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200, "{:?}", login.text().await);
}

/// A page whose caller cannot be looked up says so in its status, not only in its text: the
/// outage gate can only turn a failed page into its 503 when the page admits it failed (seen
/// in `scripts/chaos`: a signed-in page asked for as the primary died came back 200, looking
/// signed out).
#[tokio::test]
async fn a_page_whose_caller_lookup_fails_does_not_answer_200() {
    let app = crate::support::spawn_app(&[]).await;
    app.create_user("steady@example.com", "correct horse battery staple")
        .await;
    let user = app.user_id("steady@example.com").await;
    let (_token, cookie) = app.session_cookie(user).await;
    let account = format!("/{}/account", app.namespace);
    let signed_in = app.page_as(&account, &cookie).await;
    assert_eq!(signed_in.status(), 200);
    assert!(signed_in
        .text()
        .await
        .unwrap()
        .contains("steady@example.com"));

    // The lookup fails (the role may no longer run it) while the database stays up.
    let revoke = format!(
        "REVOKE EXECUTE ON FUNCTION gatehouse.resolve_session(text, text, text) FROM authn_app, \"{}\"",
        test_support::TENANT_ROLE
    );
    sqlx::raw_sql(&revoke)
        .execute(&app.superuser)
        .await
        .unwrap();
    let failed = app.page_as(&account, &cookie).await;
    assert_eq!(failed.status(), 500);
    assert!(!failed.text().await.unwrap().contains("steady@example.com"));
}

/// A database restarted between two requests fails neither of them: the pool hands a
/// connection out without a ping only when it was used a moment ago, and pings one that sat
/// idle first, dropping those the restart left dead (`web::pool_options`).
#[tokio::test]
async fn a_database_restarted_between_requests_fails_none_of_them() {
    let (app, cluster) = on_a_cluster_of_its_own().await;
    let dir = &cluster.0;
    let login = {
        let http = app.http.clone();
        let url = format!("{}/{}/auth/login", app.base, app.namespace);
        move || {
            let (http, url) = (http.clone(), url.clone());
            async move {
                let answer = http
                    .post(url)
                    .json(&json!({ "email": "steady@example.com", "password": "correct horse battery staple", "cookie": false }))
                    .send()
                    .await
                    .unwrap();
                let status = answer.status().as_u16();
                (status, answer.text().await.unwrap_or_default())
            }
        }
    };
    // Several connections in the pool, each used.
    let parallel: Vec<_> = (0..4).map(|_| tokio::spawn(login())).collect();
    for answer in parallel {
        let (status, body) = answer.await.unwrap();
        assert_eq!(status, 200, "{body}");
    }

    sqlx::query("CHECKPOINT")
        .execute(&app.superuser)
        .await
        .unwrap();
    pg_local(&["halt", dir]);
    pg_local(&["start", dir]);
    // Longer than a connection may sit unpinged.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for n in 0..6 {
        let (status, body) = login().await;
        assert_eq!(status, 200, "login {n} after the restart: {body}");
    }
}
