//! Personal API keys: create (shown once), list, revoke.

use leptos::prelude::*;

use crate::api_keys::{my_api_keys, CreateApiKey, RevokeAllApiKeys, RevokeApiKey};
use crate::components::{
    action_error, focus_first_error, needs_sudo, use_alive, use_query_count, CopyButton, Field,
    FormAlert, NamespaceInput, SudoPrompt,
};
use crate::form_errors::form_action;
use crate::pages::{provide_island_namespace, use_namespace};

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let namespace = use_namespace();
    let revoked = use_query_count(
        vocabulary::Notice::Revoked.as_str(),
        "There was no key to revoke.",
        "1 key was revoked.",
        "{n} keys were revoked.",
    );
    view! { <ApiKeysSettings namespace=namespace.get_untracked() revoked=revoked.get_untracked()/> }
}

/// The page's body, an island: a new key is shown once, straight from the action that made it,
/// and the list beside it follows each change in place. `revoked` is the page's notice.
#[island]
fn ApiKeysSettings(namespace: String, revoked: Option<String>) -> impl IntoView {
    let namespace = provide_island_namespace(namespace);
    let create = form_action::<CreateApiKey>();
    let alive = use_alive();
    let revoke = form_action::<RevokeApiKey>();
    let revoke_all = form_action::<RevokeAllApiKeys>();
    let keys = Resource::new(
        move || {
            (
                namespace.get(),
                create.version().get(),
                revoke.version().get(),
                revoke_all.version().get(),
            )
        },
        |(ns, ..)| my_api_keys(ns),
    );
    let create_error = action_error(create);
    let revoke_error = action_error(revoke);
    let revoke_all_error = action_error(revoke_all);
    let error = Signal::derive(move || {
        create_error
            .get()
            .or(revoke_error.get())
            .or(revoke_all_error.get())
    });
    focus_first_error(error);
    let sudo = Signal::derive(move || needs_sudo(error));
    // The name field clears once its key is made (in the browser; without JavaScript the page
    // is rendered anew).
    let create_form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_))) {
            if let Some(form) = create_form.get() {
                form.reset();
            }
        }
    });

    view! {
        <section class="card">
            <h1>"API keys"</h1>
            <p class="muted">"Keys let scripts call the Gatehouse API as you: send one as "
                <code>"Authorization: Bearer <key>"</code>" to "<code>"/api/v1/me"</code>"."</p>
            <p class="notice" role="status" hidden=revoked.is_none()>{revoked.clone()}</p>
            <FormAlert error id="keys-error"/>
            <SudoPrompt needed=sudo/>
            {move || create.value().get().and_then(Result::ok).map(|made| view! {
                <div class="new-key" role="region" aria-labelledby="new-key-title">
                    <h2 id="new-key-title">{format!("Your new key \u{201c}{}\u{201d}", made.name)}</h2>
                    <p>"Copy it now: it is shown only once, and we keep only a fingerprint of it."</p>
                    <p><code id="new-key">{made.key.clone()}</code></p>
                    <CopyButton text=made.key label="Copy key"/>
                </div>
            })}
            <h2>"Create a key"</h2>
            <ActionForm action=create node_ref=create_form attr:class="form">
                <NamespaceInput/>
                <Field label="Name" name="name" hint="What the key is for, e.g. \u{201c}deploy script\u{201d}." error/>
                <div class="field">
                    <label for="expiry">"Expires"</label>
                    <select id="expiry" name="expiry">
                        <option value="30">"In 30 days"</option>
                        <option value="90" selected>"In 90 days"</option>
                        <option value="365">"In a year"</option>
                        <option value="never">"Never"</option>
                    </select>
                </div>
                <button type="submit" disabled=move || !alive.get() || create.pending().get()>"Create key"</button>
                <p class="muted" hidden=move || alive.get()>"Creating a key needs JavaScript, once the page has loaded: the key is shown once, on this page."</p>
            </ActionForm>
            <h2>"Your keys"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted" id="no-keys">"You have no API keys."</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="keys">
                                <thead>
                                    <tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Key"</th>
                                        <th scope="col">"Created"</th>
                                        <th scope="col">"Last used"</th>
                                        <th scope="col">"Expires"</th>
                                        <th scope="col"><span class="visually-hidden">"Action"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|k| view! {
                                        <tr>
                                            <td>{k.name.clone()}</td>
                                            <td><code>{format!("…{}", k.last_four)}</code></td>
                                            <td>{k.created}</td>
                                            <td>{k.last_used.unwrap_or_else(|| "never".into())}</td>
                                            <td>{k.expires.unwrap_or_else(|| "never".into())}</td>
                                            <td>
                                                <ActionForm action=revoke>
                                                    <NamespaceInput/>
                                                    <input type="hidden" name="key_id" value=k.key_id/>
                                                    <button type="submit" class="secondary"
                                                        aria-label=format!("Revoke {}", k.name)>"Revoke"</button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <ActionForm action=revoke_all attr:class="inline">
                                <NamespaceInput/>
                                <button type="submit" class="secondary">"Revoke all keys"</button>
                            </ActionForm>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
