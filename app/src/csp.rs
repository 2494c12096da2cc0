//! Content-Security-Policy. Only our own scripts run: the one inline script Leptos needs to
//! start hydration carries a nonce made fresh for each page.

/// For responses without inline scripts (server functions, files, errors).
pub const STRICT: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Generates this page's nonce (Leptos' hydration scripts pick it up from context) and sends
/// the policy that allows exactly it.
#[cfg(feature = "ssr")]
pub fn apply_to_page() {
    use leptos::nonce::{provide_nonce, use_nonce};
    use leptos::prelude::use_context;

    provide_nonce();
    let Some(nonce) = use_nonce() else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        nonce.as_inner()
    );
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&policy),
    ) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}
