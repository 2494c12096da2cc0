//! Forms that work before (or without) the WebAssembly bundle. A form posted natively is
//! answered by a redirect back to its page with the server function's error in the query
//! (`__path`, `__err`), and the router hands that error to the page's `ServerAction`, so the
//! same message shows as after a script-driven post.
//!
//! Anyone can craft such a URL, so pages create their actions with [`form_action`], which
//! keeps only errors with fixed wording: a link must never make our page display text of an
//! attacker's choosing.

use base64::engine::general_purpose::URL_SAFE;
use base64::Engine as _;
use leptos::prelude::*;
use leptos::server::ServerActionError;
use leptos::server_fn::error::{FromServerFnError, ServerFnUrlError};
use leptos::server_fn::ServerFn;

use crate::error::AppError;

/// A `ServerAction` for a page's form, seeded with the error a native post carried back, if
/// that error's wording is ours alone.
pub fn form_action<S>() -> ServerAction<S>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    if let Some(carried) = use_context::<ServerActionError>() {
        let error = ServerFnUrlError::<AppError>::decode_err(carried.err());
        let shown = if error.has_fixed_wording() {
            error
        } else {
            AppError::FormRejected
        };
        // Shadows the router's unchecked copy for everything this page creates.
        provide_context(ServerActionError::new(
            carried.path(),
            &URL_SAFE.encode(shown.ser()),
        ));
    }
    ServerAction::<S>::new()
}
