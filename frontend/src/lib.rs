//! Entry point of the wasm bundle: bring the islands of the server-rendered page to life.

use leptos::prelude::*;
// The islands' entry points are exported from the app crate, so it must be linked in.
use app as _;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    // There is no client-side router: a server function that answers with a redirect (signing
    // in with a passkey, ending an impersonation) loads that page.
    // Set once, here, before anything could set another.
    let _ = leptos::server_fn::redirect::set_redirect_hook(|location: &str| {
        let _ = window().location().set_href(location);
    });
    // The page's script hydrates the islands right after this returns, within the same task;
    // mark the document in the next one, so tests (and anyone debugging) can tell a page whose
    // islands are alive from one that is only server-rendered.
    set_timeout(
        || {
            if let Some(root) = document().document_element() {
                let _ = root.set_attribute("data-hydrated", "true");
            }
        },
        std::time::Duration::ZERO,
    );
}
