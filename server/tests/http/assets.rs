//! The site's static files: hashed names cached for a year, plain names revalidated, the
//! precompressed variant the client accepts, nothing outside the package folder.

use std::path::PathBuf;

use reqwest::header::{
    HeaderName, ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, IF_MODIFIED_SINCE,
    LAST_MODIFIED, VARY,
};

use crate::support::{spawn_app_with_site, Site, TestApp};

const WASM: &str = "gatehouse.W4sMh4sh.wasm";
const CSS: &str = "gatehouse.C55h4sh.css";

/// A server over a built site as `cargo leptos build --release --precompress` leaves it:
/// hashed files with their `.br` and `.gz` beside them (contents told apart so the test sees
/// which was sent), and with `hashed` the build's hash file. The folder goes with it.
struct Served {
    app: TestApp,
    root: PathBuf,
}

impl Served {
    async fn start(hashed: bool) -> Self {
        let root = std::env::temp_dir().join(format!("gatehouse-site-{}", uuid::Uuid::new_v4()));
        let pkg = root.join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join(WASM), b"\0asm plain").unwrap();
        std::fs::write(pkg.join(format!("{WASM}.br")), b"brotli bytes").unwrap();
        std::fs::write(pkg.join(format!("{WASM}.gz")), b"gzip bytes").unwrap();
        std::fs::write(pkg.join(CSS), b"body { margin: 0 }").unwrap();
        std::fs::write(pkg.join("gatehouse.J5h4sh.js"), b"export {}").unwrap();
        std::fs::write(root.join("favicon.svg"), b"<svg/>").unwrap();
        std::fs::write(root.join("secret.txt"), b"outside the package folder").unwrap();
        let hash_file = root.join("hash.txt");
        std::fs::write(&hash_file, "js: J5h4sh\nwasm: W4sMh4sh\ncss: C55h4sh\n").unwrap();
        let site = Site {
            root: &root,
            hash_file: hashed.then_some(hash_file.as_path()),
        };
        let app = spawn_app_with_site(site).await;
        Self { app, root }
    }

    async fn get(&self, path: &str, headers: &[(HeaderName, &str)]) -> reqwest::Response {
        let mut request = self.app.http.get(format!("{}{path}", self.app.base));
        for (name, value) in headers {
            request = request.header(name, *value);
        }
        request.send().await.unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn header(response: &reqwest::Response, name: HeaderName) -> &str {
    response
        .headers()
        .get(&name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

#[tokio::test]
async fn a_hashed_file_is_cached_for_a_year_and_sent_compressed_as_the_client_accepts() {
    let site = Served::start(true).await;
    for (accepts, encoding, body) in [
        ("gzip, deflate, br, zstd", "br", &b"brotli bytes"[..]),
        ("gzip", "gzip", b"gzip bytes"),
        ("identity", "", b"\0asm plain"),
    ] {
        let response = site
            .get(&format!("/pkg/{WASM}"), &[(ACCEPT_ENCODING, accepts)])
            .await;
        assert_eq!(response.status(), 200, "{accepts}");
        assert_eq!(
            header(&response, CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(header(&response, VARY), "accept-encoding");
        assert_eq!(header(&response, CONTENT_ENCODING), encoding, "{accepts}");
        assert_eq!(header(&response, CONTENT_TYPE), "application/wasm");
        assert_eq!(response.bytes().await.unwrap(), body, "{accepts}");
    }
}

#[tokio::test]
async fn a_plain_name_leads_to_the_current_build_and_is_revalidated() {
    let site = Served::start(true).await;
    for path in ["/pkg/gatehouse.css", "/favicon.svg"] {
        let response = site.get(path, &[]).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(header(&response, CACHE_CONTROL), "no-cache", "{path}");
        let modified = header(&response, LAST_MODIFIED).to_owned();
        assert!(!modified.is_empty(), "{path}");
        if path.ends_with(".css") {
            assert_eq!(response.text().await.unwrap(), "body { margin: 0 }");
        }
        let again = site.get(path, &[(IF_MODIFIED_SINCE, &modified)]).await;
        assert_eq!(again.status(), 304, "{path}");
    }
}

#[tokio::test]
async fn nothing_else_is_served_from_the_package_folder_or_beside_it() {
    let site = Served::start(true).await;
    // (A literal or dotted `..` never arrives: clients resolve it before sending.)
    for path in [
        "/pkg/gatehouse.OLDHASH.wasm",
        "/pkg/..%2Fsecret.txt",
        "/pkg/..%5Csecret.txt",
    ] {
        let response = site.get(path, &[]).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(header(&response, CACHE_CONTROL), "no-store", "{path}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("outside"), "{path}");
    }
}

#[tokio::test]
async fn without_a_hash_file_every_file_is_revalidated() {
    let site = Served::start(false).await;
    let response = site.get(&format!("/pkg/{WASM}"), &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, CACHE_CONTROL), "no-cache");
}
