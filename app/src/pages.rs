//! The pages.

mod account;
mod sign_in;

pub use account::AccountPage;
pub use sign_in::SignInPage;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// The namespace of the current URL (`/{ns}/...`).
pub(crate) fn use_namespace() -> Signal<String> {
    let params = use_params_map();
    Signal::derive(move || params.read().get("ns").unwrap_or_default())
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
        </section>
    }
}
