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
    let scripts = html.matches("<script").count();
    assert!(scripts > 0);
    assert_eq!(
        html.matches(&format!("<script nonce=\"{nonce}\"")).count()
            + html
                .matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                .count(),
        scripts,
        "every inline script carries the header's nonce: {html}"
    );
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

#[tokio::test]
async fn every_page_response_has_its_own_nonce_policy() {
    let app = spawn_app(&[]).await;
    let mut seen = std::collections::HashSet::new();
    // Concurrent requests: each page's policy must come from its own render.
    let pages = [
        "sign-in",
        "account",
        "sign-up",
        "magic-link",
        "no-such-page",
    ];
    let requests = (0..100).map(|i| {
        let path = format!("/{}-{i}/{}", app.namespace, pages[i % pages.len()]);
        let app = &app;
        async move {
            match tokio::time::timeout(std::time::Duration::from_secs(20), app.page(&path)).await {
                Ok(r) => (path.clone(), r),
                Err(_) => panic!("{path} timed out"),
            }
        }
    });
    for (path, res) in futures::future::join_all(requests).await {
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let html = res.text().await.unwrap();
        assert!(csp.contains("'nonce-"), "{path}: {csp}");
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .unwrap()
            .split('\'')
            .next()
            .unwrap();
        assert!(
            html.contains(&format!("nonce=\"{nonce}\"")),
            "{path}: page and header disagree"
        );
        assert!(seen.insert(csp), "{path} reused a nonce");
    }
}
