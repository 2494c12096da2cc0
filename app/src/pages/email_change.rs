//! Changing the account's e-mail address.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::caller::current_viewer;
use crate::components::{
    action_error, needs_sudo, use_query_flag, Field, FormAlert, NamespaceInput, SudoPrompt,
};
use crate::email_change::{ConfirmEmailChange, RequestEmailChange};
use crate::form_errors::form_action;
use crate::pages::use_namespace;

#[component]
pub fn EmailChangePage() -> impl IntoView {
    let namespace = use_namespace();
    let viewer = Resource::new(move || namespace.get(), current_viewer);
    let request = form_action::<RequestEmailChange>();
    let error = action_error(request);
    let sudo = Signal::derive(move || needs_sudo(error));
    let sent = use_query_flag(vocabulary::Notice::Sent.as_str());
    let changed = use_query_flag(vocabulary::Notice::Changed.as_str());
    view! {
        <section class="card narrow">
            <h1>"Email address"</h1>
            <Show when=move || changed.get()>
                <p class="notice" role="status">"Your email address was changed. Sign in with the new one from now on."</p>
            </Show>
            <Show when=move || sent.get()>
                <p class="notice" role="status">"We sent a link to the new address. Your address changes when you use it (within an hour)."</p>
            </Show>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match viewer.await {
                        Ok(Some(v)) => view! {
                            <p>"Your address is " <strong id="current-email">{v.email}</strong> "."</p>
                            <FormAlert error id="email-change-error"/>
                            <SudoPrompt needed=sudo/>
                            <ActionForm action=request attr:class="form">
                                <NamespaceInput/>
                                <Field label="New email address" name="email" kind="email" autocomplete="email"
                                    hint="We send a link there; nothing changes until it is used." error/>
                                <button type="submit">"Send confirmation link"</button>
                            </ActionForm>
                        }.into_any(),
                        Ok(None) => view! { <p>"Sign in to manage your address."</p> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Where the link lands: one button, so that mail scanners following links change nothing.
#[component]
pub fn EmailChangeConfirmPage() -> impl IntoView {
    let confirm = form_action::<ConfirmEmailChange>();
    let error = action_error(confirm);
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    view! {
        <section class="card narrow">
            <h1>"Confirm your new email address"</h1>
            <FormAlert error id="confirm-error"/>
            <ActionForm action=confirm attr:class="form">
                <NamespaceInput/>
                <input type="hidden" name="token" value=token/>
                <button type="submit">"Use this address"</button>
            </ActionForm>
        </section>
    }
}
