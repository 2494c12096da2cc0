//! Personal API keys: create (shown once), list, revoke.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::api_keys::{my_api_keys, CreateApiKey, RevokeAllApiKeys, RevokeApiKey};
use crate::components::{
    action_error, needs_sudo, use_query_count, CopyButton, Field, FormAlert, NamespaceInput,
    SudoPrompt,
};
use crate::form_errors::form_action;
use crate::page_posts::{outcome, ForgetThePost, PageForm};
use crate::pages::use_namespace;

/// A new key is made by a form posted to this page, which shows it in its answer, once
/// (`page_posts`); revoking posts to the server functions, which send the browser back here.
#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let namespace = use_namespace().get_untracked();
    let revoked = use_query_count(
        vocabulary::Notice::Revoked.as_str(),
        "There was no key to revoke.",
        "1 key was revoked.",
        "{n} keys were revoked.",
    )
    .get_untracked();
    let revoke = form_action::<RevokeApiKey>();
    let revoke_all = form_action::<RevokeAllApiKeys>();
    let revoke_error = action_error(revoke);
    let revoke_all_error = action_error(revoke_all);
    let created = outcome::<CreateApiKey>();
    // The key is made before the list is read, so the list has it. Both start here, once (see
    // `page_posts::outcome`), not in the `Suspense`, which may drop a first try halfway.
    let keys = AsyncDerived::new({
        let namespace = namespace.clone();
        move || {
            let namespace = namespace.clone();
            async move {
                created.await;
                my_api_keys(namespace).await
            }
        }
    });

    view! {
        <section class="card">
            <h1>"API keys"</h1>
            <p class="muted">"Keys let scripts call the Gatehouse API as you: send one as "
                <code>"Authorization: Bearer <key>"</code>" to "<code>"/api/v1/me"</code>"."</p>
            <p class="notice" role="status" hidden=revoked.is_none()>{revoked.clone()}</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let namespace = namespace.clone();
                    Suspend::new(async move {
                        let created = created.await;
                        let keys = keys.await;
                        let answered = created.is_some().then(|| view! { <ForgetThePost/> });
                        let (made, create_error) = match created {
                            Some(Ok(made)) => (Some(made), None),
                            Some(Err(e)) => (None, Some(e)),
                            None => (None, None),
                        };
                        let error = Signal::stored(
                            create_error
                                .or(revoke_error.get_untracked())
                                .or(revoke_all_error.get_untracked()),
                        );
                        let sudo = needs_sudo(error);
                        view! {
                            {answered}
                            <FormAlert error id="keys-error"/>
                            <SudoPrompt needed=Signal::stored(sudo)/>
                            {made.map(|made| view! {
                                <div class="new-key" role="region" aria-labelledby="new-key-title">
                                    <h2 id="new-key-title">{format!("Your new key \u{201c}{}\u{201d}", made.name)}</h2>
                                    <p>"Copy it now: it is shown only once, and we keep only a fingerprint of it."</p>
                                    <p><code id="new-key">{made.key.clone()}</code></p>
                                    <CopyButton text=made.key label="Copy key".to_owned()/>
                                </div>
                            })}
                            <h2>"Create a key"</h2>
                            <PageForm page=vocabulary::Page::ApiKeys.path(&namespace)
                                action=CreateApiKey::PATH class="form">
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
                                <button type="submit">"Create key"</button>
                            </PageForm>
                            <h2>"Your keys"</h2>
                            {match keys {
                                Ok(list) if list.is_empty() => view! { <p class="muted" id="no-keys">"You have no API keys."</p> }.into_any(),
                                Ok(list) => view! {
                                    <KeyTable list revoke/>
                                    <ActionForm action=revoke_all attr:class="inline">
                                        <NamespaceInput/>
                                        <button type="submit" class="secondary">"Revoke all keys"</button>
                                    </ActionForm>
                                }.into_any(),
                                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                            }}
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn KeyTable(
    list: Vec<crate::api_keys::ApiKeyView>,
    revoke: ServerAction<RevokeApiKey>,
) -> impl IntoView {
    view! {
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
    }
}
