//! The site's static files, served as a CDN would.
//!
//! cargo-leptos (`hash-files`) names the bundle, its JS glue and the stylesheet after their
//! content and writes the hashes to a file beside the binary. A hashed name never changes
//! meaning, so it is cached for a year and `immutable`: a returning visitor asks for nothing.
//! The plain names (`/pkg/gatehouse.css`, linked by the pages rendered outside the app) lead
//! to the current hashed file, and every name without a hash in it is revalidated on each use
//! (`no-cache` with `Last-Modified`, answered 304 when unchanged).
//!
//! Release builds are precompressed (`cargo leptos build --release --precompress`): the `.br`
//! or `.gz` beside a file is sent when the client accepts it. Dynamic responses are not
//! compressed at all: pages carry one-time secrets (recovery codes, API keys) next to text
//! taken from the request, which is what BREACH needs.

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

/// For a file whose name holds its content's hash.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For any other file: it may be kept, but is checked (`If-Modified-Since`) before each use.
const REVALIDATE: &str = "no-cache";

/// The files of the site's package directory and what their plain names stand for.
#[derive(Debug)]
pub struct Assets {
    pkg_dir: PathBuf,
    favicon: PathBuf,
    /// Plain name (`gatehouse.css`) to the hashed one (`gatehouse.<hash>.css`); empty when the
    /// build did not hash its files.
    hashed: HashMap<String, String>,
}

impl Assets {
    /// Where cargo-leptos writes the hashes (and where Leptos reads them to name the files in
    /// the page): beside the running binary.
    pub fn hash_file_beside_binary(options: &LeptosOptions) -> Option<PathBuf> {
        let exe = std::env::current_exe().ok()?;
        Some(exe.parent()?.join(options.hash_file.as_ref()))
    }

    /// The site's files under `options.site_root`, named by `hash_file` if there is one. A
    /// hash file that exists but cannot be read is an error: the pages would name files the
    /// server does not know.
    pub fn load(options: &LeptosOptions, hash_file: Option<&FsPath>) -> Result<Self, String> {
        let root = FsPath::new(options.site_root.as_ref());
        let mut hashed = HashMap::new();
        if let Some(file) = hash_file.filter(|f| f.exists()) {
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("cannot read the hash file {}: {e}", file.display()))?;
            hashed = parse_hash_file(&text, &options.output_name);
            if hashed.is_empty() {
                return Err(format!("the hash file {} names no file", file.display()));
            }
        }
        Ok(Self {
            pkg_dir: root.join(options.site_pkg_dir.as_ref()),
            favicon: root.join("favicon.svg"),
            hashed,
        })
    }

    /// Whether the build named its files by their hashes (Leptos must then name them so too).
    pub fn are_hashed(&self) -> bool {
        !self.hashed.is_empty()
    }

    /// `/pkg/*` and the favicon, for a router of any state.
    pub fn router<S: Clone + Send + Sync + 'static>(self, pkg_path: &str) -> Router<S> {
        let assets = Arc::new(self);
        Router::new()
            .route(
                &format!("/{}/{{*file}}", pkg_path.trim_matches('/')),
                get(package_file).with_state(assets.clone()),
            )
            .route("/favicon.svg", get(favicon).with_state(assets))
    }

    /// The file to send for `name` and how it may be cached.
    fn resolve<'a>(&'a self, name: &'a str) -> (&'a str, &'static str) {
        if self.hashed.values().any(|h| h == name) {
            (name, IMMUTABLE)
        } else if let Some(current) = self.hashed.get(name) {
            (current, REVALIDATE)
        } else {
            (name, REVALIDATE)
        }
    }
}

/// `js: <hash>` lines (also `wasm`, `css`) to plain and hashed names.
fn parse_hash_file(text: &str, output_name: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(kind, hash)| (kind.trim(), hash.trim()))
        .filter(|(kind, hash)| ["js", "wasm", "css"].contains(kind) && !hash.is_empty())
        .map(|(kind, hash)| {
            (
                format!("{output_name}.{kind}"),
                format!("{output_name}.{hash}.{kind}"),
            )
        })
        .collect()
}

async fn package_file(
    State(assets): State<Arc<Assets>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let (file, cache) = assets.resolve(&name);
    // `ServeDir` refuses `..` and the like itself; a name that is no path is simply not here.
    let Ok(uri) = format!("/{file}").parse::<Uri>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let service = ServeDir::new(&assets.pkg_dir)
        .precompressed_br()
        .precompressed_gzip();
    send(service, with_uri(request, uri), cache).await
}

async fn favicon(State(assets): State<Arc<Assets>>, request: Request) -> Response {
    send(ServeFile::new(&assets.favicon), request, REVALIDATE).await
}

/// The request with another path, keeping what `ServeDir` looks at: the method and the
/// `Accept-Encoding`, `If-Modified-Since` and `Range` headers.
fn with_uri(request: Request, uri: Uri) -> Request {
    let (mut parts, body) = request.into_parts();
    parts.uri = uri;
    Request::from_parts(parts, body)
}

async fn send<S>(service: S, request: Request, cache: &'static str) -> Response
where
    S: tower::Service<
        Request,
        Response = axum::http::Response<tower_http::services::fs::ServeFileSystemResponseBody>,
        Error = std::convert::Infallible,
    >,
{
    let Ok(response) = service.oneshot(request).await;
    let mut response = response.map(Body::new);
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        let h = response.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        // A cache must keep the compressed and plain answers apart.
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assets(hashes: &str) -> Assets {
        Assets {
            pkg_dir: PathBuf::from("/site/pkg"),
            favicon: PathBuf::from("/site/favicon.svg"),
            hashed: parse_hash_file(hashes, "gatehouse"),
        }
    }

    #[test]
    fn hashed_names_are_immutable_and_plain_names_lead_to_them() {
        let a = assets("js: AAA\nwasm: BBB\ncss: CCC\n");
        assert_eq!(
            a.resolve("gatehouse.BBB.wasm"),
            ("gatehouse.BBB.wasm", IMMUTABLE)
        );
        assert_eq!(
            a.resolve("gatehouse.css"),
            ("gatehouse.CCC.css", REVALIDATE)
        );
        assert_eq!(
            a.resolve("gatehouse.OLD.wasm"),
            ("gatehouse.OLD.wasm", REVALIDATE)
        );
    }

    #[test]
    fn without_hashes_every_file_is_revalidated() {
        let a = assets("");
        assert!(!a.are_hashed());
        assert_eq!(a.resolve("gatehouse.wasm"), ("gatehouse.wasm", REVALIDATE));
    }

    #[test]
    fn the_hash_file_names_only_what_it_knows() {
        let names = parse_hash_file("js: a\nmanifest: m\nsplit: s\ncss:\n", "x");
        assert_eq!(names.len(), 1);
        assert_eq!(names["x.js"], "x.a.js");
    }
}
