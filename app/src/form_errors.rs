//! Forms that work before (or without) the WebAssembly bundle. A form posted natively is
//! answered by a redirect back to its page with the server function's error in the query
//! (`__path`, `__err`), and the router hands that error to the page's `ServerAction`, so the
//! same message shows as after a script-driven post.
//!
//! Anyone can craft such a URL, so the error type must never carry text: every `AppError`
//! variant's wording is ours (field errors are enums too), and anything else fails to decode
//! and shows as `FormRejected`. A link cannot make our page say an attacker's words.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::error::AppError;

/// A `ServerAction` for a page's form, seeded with the error a native post carried back.
pub fn form_action<S>() -> ServerAction<S>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    ServerAction::<S>::new()
}
