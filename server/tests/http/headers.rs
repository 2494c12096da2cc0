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
    assert_eq!(h["cross-origin-opener-policy"], "same-origin");
    let permissions = h["permissions-policy"].to_str().unwrap();
    assert!(permissions.contains("camera=()"), "{permissions}");
    assert!(
        permissions.contains("publickey-credentials-get=(self)"),
        "{permissions}"
    );
    assert_eq!(h["cache-control"], "no-store");
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

/// Issue 10.7: pages of a signed-in person, server-function answers (recovery codes and API
/// keys are shown once in them), redirects and the JSON API are never cached.
#[tokio::test]
async fn authenticated_pages_server_functions_and_the_api_are_not_cached() {
    use leptos::server_fn::ServerFn;
    let app = spawn_app(&[]).await;
    app.create_user("cached@example.com", "correct horse battery staple")
        .await;
    let res = app
        .call(
            app::session::SignIn::PATH,
            &[
                ("namespace", app.namespace.as_str()),
                ("email", "cached@example.com"),
                ("password", "correct horse battery staple"),
            ],
        )
        .await;
    assert_eq!(res.headers()["cache-control"], "no-store", "sign-in answer");
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("gatehouse_session="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .expect("signed in");
    for page in ["account", "security", "api-keys", "devices"] {
        let res = app
            .http
            .get(format!("{}/{}/{page}", app.base, app.namespace))
            .header("Cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{page}");
        assert_eq!(res.headers()["cache-control"], "no-store", "{page}");
    }
    let res = app.page("/api/v1/me").await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["cache-control"], "no-store", "API");
}

/// Connections the server accepts have Nagle's algorithm off (a static file otherwise waits
/// about 40 ms for the client's delayed acknowledgement on a kept-alive connection).
#[tokio::test]
async fn accepted_connections_send_at_once() {
    use axum::serve::Listener;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut listener = gatehouse_server::web::without_nagle(listener);
    let client = tokio::spawn(tokio::net::TcpStream::connect(addr));
    let (stream, _) = listener.accept().await;
    assert!(stream.nodelay().unwrap());
    client.await.unwrap().unwrap();
}
