use crate::support::spawn_app;

#[tokio::test]
async fn pages_carry_security_headers_a_nonce_csp_and_a_request_id() {
    let app = spawn_app(&[]).await;
    let res = app.page(&format!("/{}/sign-in", app.namespace)).await;
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("'nonce-"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert!(
        h.get("strict-transport-security").is_none(),
        "no HSTS over http"
    );
    let id = h["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID per request: {id}");
    let html = res.text().await.unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(html.contains(&format!("nonce=\"{nonce}\"")));
}

#[tokio::test]
async fn health_and_unknown_pages() {
    let app = spawn_app(&[]).await;
    let res = app.page("/healthz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");
    let res = app.page("/favicon.ico").await;
    assert_eq!(res.status(), 404);
    let res = app.page(&format!("/{}/no-such-page", app.namespace)).await;
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("Page not found"));
}
