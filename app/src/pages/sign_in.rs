use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::{
    action_error, link_keeping_return, use_return_query, Field, FormAlert, ReturnInput,
};
use crate::flows::sign_up_open;
use crate::form_errors::form_action;
use crate::pages::use_namespace;
use crate::session::SignIn;
use vocabulary::Page;

#[component]
pub fn SignInPage() -> impl IntoView {
    let namespace = use_namespace();
    let action = form_action::<SignIn>();
    let error = action_error(action);
    let query = use_query_map();
    let after_reset = move || query.read().get("reset").as_deref() == Some("done");
    let verified = move || query.read().get("verified").is_some();
    // Where the person was going when they were asked to sign in (checked by the server).
    let next = use_return_query();
    let open = Resource::new(move || namespace.get(), sign_up_open);
    let passkeys = Resource::new(|| (), |_| crate::passkeys::passkeys_available());
    let link = move |page: Page<'static>| move || page.path(&namespace.get());

    view! {
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <Show when=after_reset>
                <p class="notice" role="status">
                    "Your password was changed. "
                    {move || revoked_after_reset(&query.read())}
                    " Sign in with the new password."
                </p>
            </Show>
            <Show when=verified>
                <p class="notice" role="status">"Your address is confirmed. Sign in to continue."</p>
            </Show>
            <ActionForm action=action attr:class="form">
                <input type="hidden" name="namespace" value=namespace/>
                <ReturnInput/>
                <Field label="Email" name="email" kind="email" autocomplete="username" error/>
                <Field label="Password" name="password" kind="password" autocomplete="current-password" error/>
                <FormAlert error id="sign-in-error"/>
                <button type="submit">"Sign in"</button>
            </ActionForm>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    matches!(passkeys.await, Ok(true)).then(|| view! {
                        <crate::pages::passkey_buttons::PasskeySignInButton
                            namespace=namespace.get_untracked() next=next.get_untracked()/>
                    })
                })}
            </Suspense>
            <p><a href=link(Page::ForgotPassword)>"Forgot your password?"</a></p>
            <p class="muted">
                "Or sign in without a password: "
                <a href=link_keeping_return(Page::MagicLink)>"email me a link"</a> " · "
                <a href=link_keeping_return(Page::EmailCode)>"email me a code"</a>
            </p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    matches!(open.await, Ok(true)).then(|| view! {
                        <p class="muted">"New here? " <a href=link(Page::SignUp)>"Create an account"</a></p>
                    })
                })}
            </Suspense>
        </section>
    }
}

/// What a password reset revoked, in words, from the counts the reset put in the URL (numbers
/// only: anything else reads as nothing revoked).
fn revoked_after_reset(query: &leptos_router::params::ParamsMap) -> String {
    let count = |key: &str| {
        query
            .get(key)
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let devices = match count("devices") {
        0 | 1 => "Every device was signed out".to_owned(),
        n => format!("All {n} devices were signed out"),
    };
    let keys = match count("keys") {
        0 => String::new(),
        1 => " and your API key was revoked".to_owned(),
        n => format!(" and your {n} API keys were revoked"),
    };
    format!("{devices}{keys}.")
}
