//! A real nginx in front of the server, as in production: with `--trusted-proxies` the client
//! it forwards is the one rate limits, lockout attempts and the audit trail see, and its request
//! id is kept; without it nginx is just another client whose headers count for nothing.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use leptos::server_fn::ServerFn;

use crate::support::{spawn_app, TestApp};

const NGINX: &str = "/usr/sbin/nginx";
const PASSWORD: &str = "correct horse battery staple";

/// nginx proxying to the server, run from a folder of its own (so it needs nothing in /etc or
/// /var and can run as root), as one process in the foreground: dropping the guard kills it,
/// also when a test panics, and leaves no worker behind.
struct Nginx {
    child: Child,
    folder: PathBuf,
    base: String,
}

impl Nginx {
    /// A real nginx in front of `upstream` on a free loopback port. The port is found by
    /// binding and releasing it, so another process may take it meanwhile: then nginx stops
    /// at once, and another port is tried.
    async fn start(upstream: &str) -> Nginx {
        for _ in 0..5 {
            if let Some(nginx) = Nginx::try_start(upstream).await {
                return nginx;
            }
        }
        panic!("nginx found no free port in five tries");
    }

    async fn try_start(upstream: &str) -> Option<Nginx> {
        assert!(
            Path::new(NGINX).exists(),
            "{NGINX} is missing: the trusted-proxy tests need a real nginx. Install it with \
             scripts/install-web-tools as root, or apt-get install nginx"
        );
        let folder =
            std::env::temp_dir().join(format!("gatehouse-nginx-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&folder).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = folder.display();
        let conf = format!(
            r#"daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass {upstream};
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Request-Id nginx-$request_id;
            # What nginx sent upstream, so the test can compare.
            add_header X-Nginx-Request-Id nginx-$request_id always;
        }}
    }}
}}
"#
        );
        std::fs::write(folder.join("nginx.conf"), conf).unwrap();
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(&folder)
            .arg("-c")
            .arg(folder.join("nginx.conf"))
            .arg("-e")
            .arg(folder.join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {NGINX}: {e}"));
        let mut nginx = Nginx {
            child,
            folder,
            base: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..200 {
            if let Some(status) = nginx.child.try_wait().unwrap() {
                let log = nginx.error_log();
                if log.contains("Address already in use") {
                    return None;
                }
                panic!("nginx stopped ({status}):\n{log}");
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(nginx);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("nginx did not listen within 5 s:\n{}", nginx.error_log());
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.folder.join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

/// A client connecting from `from` (any address of 127.0.0.0/8 is loopback on Linux).
fn client_from(from: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(from.parse::<IpAddr>().unwrap())
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A sign-in with a wrong password for `email`, posted to `base` (nginx or the server itself)
/// with extra `headers`; the server records the attempt with the client's address.
async fn failed_sign_in(
    app: &TestApp,
    client: &reqwest::Client,
    base: &str,
    email: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = client
        .post(format!("{base}{}", app::session::SignIn::PATH))
        .header("Origin", &app.base)
        .form(&[
            ("namespace", app.namespace.as_str()),
            ("email", email),
            ("password", "not the password"),
        ]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let res = request.send().await.unwrap();
    assert_eq!(res.status(), 401, "{email}");
    res
}

/// The addresses the failed sign-ins of `email` were recorded with, oldest first.
async fn recorded_ips(app: &TestApp, email: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT host(ip_address) FROM authn.login_attempts \
         WHERE namespace = $1 AND email = $2 ORDER BY id",
    )
    .bind(&app.namespace)
    .bind(email)
    .fetch_all(&app.superuser)
    .await
    .unwrap()
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} in the response"))
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn behind_a_trusted_nginx_the_forwarded_client_and_its_request_id_count() {
    let app = spawn_app(&["--trusted-proxies", "127.0.0.1/32"]).await;
    app.create_user("known@example.com", PASSWORD).await;
    let nginx = Nginx::start(&app.base).await;

    // A client behind an outer proxy of ours (at 127.0.0.1 too, so trusted): nginx appends
    // 127.0.0.1 to the 203.0.113.7 it was given, and the server skips the trusted hop.
    let res = failed_sign_in(
        &app,
        &client_from("127.0.0.1"),
        &nginx.base,
        "forwarded@example.com",
        &[
            ("X-Forwarded-For", "203.0.113.7"),
            ("X-Request-Id", "made-by-the-client"),
        ],
    )
    .await;
    let from_nginx = header(&res, "x-nginx-request-id");
    assert!(from_nginx.starts_with("nginx-"), "{from_nginx}");
    assert_eq!(header(&res, "x-request-id"), from_nginx);
    assert_eq!(
        recorded_ips(&app, "forwarded@example.com").await,
        ["203.0.113.7"]
    );

    // A client that is not a proxy of ours (127.0.0.2) claiming to be 203.0.113.7: nginx
    // appends its real address, which is what the server records.
    failed_sign_in(
        &app,
        &client_from("127.0.0.2"),
        &nginx.base,
        "spoofed@example.com",
        &[("X-Forwarded-For", "203.0.113.7")],
    )
    .await;
    assert_eq!(
        recorded_ips(&app, "spoofed@example.com").await,
        ["127.0.0.2"]
    );

    // The same client going around nginx: its headers count for nothing.
    let res = failed_sign_in(
        &app,
        &client_from("127.0.0.2"),
        &app.base,
        "direct@example.com",
        &[
            ("X-Forwarded-For", "203.0.113.7"),
            ("X-Request-Id", "made-by-the-client"),
        ],
    )
    .await;
    let id = header(&res, "x-request-id");
    assert!(
        id != "made-by-the-client" && uuid::Uuid::parse_str(&id).is_ok(),
        "{id}"
    );
    assert_eq!(
        recorded_ips(&app, "direct@example.com").await,
        ["127.0.0.2"]
    );
}

#[tokio::test]
async fn without_trusted_proxies_nginx_is_the_client_and_request_ids_are_made_here() {
    let app = spawn_app(&[]).await;
    app.create_user("known@example.com", PASSWORD).await;
    let nginx = Nginx::start(&app.base).await;

    let res = failed_sign_in(
        &app,
        &client_from("127.0.0.1"),
        &nginx.base,
        "forwarded@example.com",
        &[
            ("X-Forwarded-For", "203.0.113.7"),
            ("X-Request-Id", "made-by-the-client"),
        ],
    )
    .await;
    let from_nginx = header(&res, "x-nginx-request-id");
    let id = header(&res, "x-request-id");
    assert!(
        id != from_nginx && uuid::Uuid::parse_str(&id).is_ok(),
        "{id} (nginx sent {from_nginx})"
    );
    assert_eq!(
        recorded_ips(&app, "forwarded@example.com").await,
        ["127.0.0.1"]
    );

    // Straight to the server: a client's own request id is replaced as well.
    let res = failed_sign_in(
        &app,
        &app.http,
        &app.base,
        "direct@example.com",
        &[("X-Request-Id", "made-by-the-client")],
    )
    .await;
    let id = header(&res, "x-request-id");
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    assert_eq!(
        recorded_ips(&app, "direct@example.com").await,
        ["127.0.0.1"]
    );
}
