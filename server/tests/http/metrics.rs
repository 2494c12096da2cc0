//! Prometheus metrics (issue 13): sign-ins by method and outcome, lockouts, request latency by
//! route template, and the gauges read at scrape time.

use serde_json::json;
use tower::ServiceExt;

use crate::support::spawn_app;

/// The value of the series `name{labels}` (labels as rendered), 0 when absent.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

async fn scrape(router: &axum::Router) -> String {
    let response = router
        .clone()
        .oneshot(
            axum::http::Request::get("/metrics")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn metrics_count_sign_ins_lockouts_and_requests_by_route() {
    let handle = gatehouse_server::metrics::install().unwrap();
    let app = spawn_app(&["--metrics-bind", "127.0.0.1:0"]).await;
    let health = gatehouse_server::health::Health::new(app.pool.clone(), false);
    let metrics = gatehouse_server::metrics::router(handle, app.pool.clone(), None, health);
    app.create_user("counted@example.com", "correct horse battery staple")
        .await;
    let failures = r#"gatehouse_sign_ins_total{method="password",outcome="failure"}"#;
    let successes = r#"gatehouse_sign_ins_total{method="password",outcome="success"}"#;
    let lockouts = r#"gatehouse_lockouts_total{method="password"}"#;
    let before = scrape(&metrics).await;

    let api = format!("{}/{}/api/v1", app.base, app.namespace);
    let attempt = |password: &'static str| {
        let api = api.clone();
        let http = app.http.clone();
        async move {
            let flow: serde_json::Value = http
                .post(format!("{api}/sign-in"))
                .json(&json!({ "email": "counted@example.com" }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            http.post(format!(
                "{api}/sign-in/{}/steps",
                flow["flow"].as_str().unwrap()
            ))
            .json(&json!({ "method": "password", "password": password }))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
        }
    };
    assert_eq!(attempt("correct horse battery staple").await, 200);
    for _ in 0..5 {
        assert_eq!(attempt("wrong horse battery staple").await, 401);
    }
    // Locked out now, even with the right password.
    assert_eq!(attempt("correct horse battery staple").await, 429);

    let after = scrape(&metrics).await;
    assert_eq!(
        value(&after, successes) - value(&before, successes),
        1.0,
        "{after}"
    );
    assert_eq!(
        value(&after, failures) - value(&before, failures),
        5.0,
        "{after}"
    );
    assert_eq!(
        value(&after, lockouts) - value(&before, lockouts),
        1.0,
        "{after}"
    );
    // Requests by route template: the flow id is not a label.
    assert!(
        after.contains(r#"route="/{namespace}/api/v1/sign-in/{flow}/steps""#),
        "{after}"
    );
    assert!(!after.contains("counted@example.com"));
    assert!(after.contains("gatehouse_http_request_duration_seconds_bucket"));
    // Gauges read at scrape time.
    for gauge in [
        r#"gatehouse_db_pool_connections{pool="tenant",state="idle"}"#,
        "gatehouse_mail_outbox_depth",
        r#"gatehouse_active_impersonations{kind="admin"}"#,
        r#"gatehouse_active_impersonations{kind="support"}"#,
        "gatehouse_database_reachable 1",
    ] {
        assert!(after.contains(gauge), "{gauge} in {after}");
    }
}
