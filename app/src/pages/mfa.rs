//! Two-step verification settings: the authenticator app and recovery codes.

use leptos::prelude::*;

use crate::ceremony::Ceremony;
use crate::components::{
    action_error, focus_first_error, needs_sudo, use_query_flag, CopyButton, Field, FormAlert,
    NamespaceInput, SudoPrompt,
};
use crate::error::AppError;
use crate::form_errors::form_action;
use crate::mfa::{mfa_overview, BeginTotp, DisableTotp, EnableTotp, RegenerateRecoveryCodes};
use crate::pages::{provide_island_namespace, use_namespace};
use crate::passkeys::{add_passkey, begin_add_passkey, my_passkeys, RemovePasskey, RenamePasskey};

#[component]
pub fn MfaPage() -> impl IntoView {
    let namespace = use_namespace();
    let removed = use_query_flag("removed");
    let query = leptos_router::hooks::use_query_map();
    let due = crate::caller::MfaDue::from_query(&query.read_untracked());
    view! {
        <MfaSettings namespace=namespace.get_untracked() removed=removed.get_untracked() due/>
    }
}

/// The page's body, an island: secrets and recovery codes are shown once, straight from the
/// action that made them, adding a passkey is a browser ceremony, and the state beside them
/// follows each change in place. `removed` and `due` are what the page's address says.
#[island]
fn MfaSettings(
    namespace: String,
    removed: bool,
    due: Option<crate::caller::MfaDue>,
) -> impl IntoView {
    let namespace = provide_island_namespace(namespace);
    let begin = form_action::<BeginTotp>();
    // Secrets and codes are shown once, by this island: nothing that makes them posts natively.
    let alive = crate::components::use_alive();
    let enable = form_action::<EnableTotp>();
    let disable = form_action::<DisableTotp>();
    let regenerate = form_action::<RegenerateRecoveryCodes>();
    let rename = form_action::<RenamePasskey>();
    let remove = form_action::<RemovePasskey>();
    let passkey_name = RwSignal::new(String::new());
    // Adding a passkey is a browser ceremony between two server calls.
    let add = Ceremony::<Option<Vec<String>>>::default();
    let add_named = move |name: String| {
        let ns = namespace.get_untracked();
        add.run(async move {
            let challenge = begin_add_passkey(ns.clone()).await?;
            let answer = crate::webauthn::create(&challenge.options)
                .await
                .map_err(|_| AppError::PasskeyNotVerified)?;
            add_passkey(ns, challenge.ceremony, answer, name).await
        });
    };
    // The name field clears once its passkey is added.
    Effect::new(move |_| {
        if matches!(add.value().get(), Some(Ok(_))) {
            passkey_name.set(String::new());
        }
    });
    let status = Resource::new(
        move || {
            (
                namespace.get(),
                enable.version().get(),
                disable.version().get(),
                regenerate.version().get(),
                add.version().get(),
                remove.version().get(),
            )
        },
        |(ns, ..)| mfa_overview(ns),
    );
    let passkeys = Resource::new(
        move || {
            (
                namespace.get(),
                add.version().get(),
                rename.version().get(),
                remove.version().get(),
            )
        },
        |(ns, ..)| my_passkeys(ns),
    );
    let add_error = Signal::derive(move || add.value().get().and_then(Result::err));
    let rename_error = action_error(rename);
    let remove_error = action_error(remove);
    let begin_error = action_error(begin);
    let enable_error = action_error(enable);
    let disable_error = action_error(disable);
    let regenerate_error = action_error(regenerate);
    let any_error = Signal::derive(move || {
        begin_error
            .get()
            .or(enable_error.get())
            .or(disable_error.get())
            .or(regenerate_error.get())
            .or(add_error.get())
            .or(rename_error.get())
            .or(remove_error.get())
    });
    focus_first_error(any_error);
    let sudo = Signal::derive(move || needs_sudo(any_error));
    let for_console = due == Some(crate::caller::MfaDue::Console);
    let for_account = due == Some(crate::caller::MfaDue::Account);
    // Codes are shown once: straight from the action that made them, never fetched again.
    let new_codes = move || {
        if let Some(Ok(codes)) = regenerate.value().get() {
            return Some(codes);
        }
        if let Some(Ok(Some(codes))) = add.value().get() {
            return Some(codes);
        }
        match enable.value().get() {
            Some(Ok(Some(codes))) => Some(codes),
            _ => None,
        }
    };
    // The setup shows until the app is on.
    let setup = move || {
        let enabled = matches!(enable.value().get(), Some(Ok(_)));
        begin
            .value()
            .get()
            .and_then(Result::ok)
            .filter(|_| !enabled)
    };

    view! {
        <section class="card">
            <h1>"Two-step verification"</h1>
            <p class="muted">"A second step after your password: a code from an authenticator app, or a recovery code if you lose it."</p>
            <Show when=move || removed>
                <p class="notice" role="status">"The authenticator app was removed."</p>
            </Show>
            <Show when=move || for_console>
                <p class="notice" role="status" id="console-needs-mfa">
                    "Administrators here must use two-step verification. Set up an authenticator app or a passkey below; "
                    "the console opens as soon as one is on."
                </p>
            </Show>
            <Show when=move || for_account>
                <p class="notice" role="status" id="account-needs-mfa">
                    "This organisation requires two-step verification. Set up an authenticator app or a passkey below; "
                    "everything else opens as soon as one is on."
                </p>
            </Show>
            <FormAlert error=any_error id="mfa-error"/>
            <SudoPrompt needed=sudo/>
            {move || new_codes().map(|codes| view! { <RecoveryCodesOnce codes/> })}
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(s) => {
                            let few = s.recovery_codes_low;
                            let left = s.recovery_codes_left;
                            view! {
                                <h2>"Authenticator app"</h2>
                                {match s.totp_added.clone() {
                                    Some(added) => view! {
                                        <p id="totp-status"><span class="badge ok">"On"</span>
                                            " Added " {added}
                                            {s.totp_last_used.clone().map(|u| format!(", last used {u}"))}
                                            "."</p>
                                        <ActionForm action=disable attr:class="inline">
                                            <NamespaceInput/>
                                            <button type="submit" class="secondary"
                                                disabled=move || disable.pending().get()>"Remove authenticator app"</button>
                                        </ActionForm>
                                    }.into_any(),
                                    None => view! {
                                        <p id="totp-status"><span class="badge">"Off"</span>" Use an app such as a password manager or an authenticator to get sign-in codes."</p>
                                        <Show when=move || setup().is_none()>
                                            <ActionForm action=begin attr:class="inline">
                                                <NamespaceInput/>
                                                <button type="submit" disabled=move || !alive.get() || begin.pending().get()>"Set up authenticator app"</button>
                                                <p class="muted" hidden=move || alive.get()>"Setting up an app needs JavaScript, once the page has loaded: its key is shown once, on this page."</p>
                                            </ActionForm>
                                        </Show>
                                    }.into_any(),
                                }}
                                {move || setup().map(|setup| view! {
                                    <div class="totp-setup">
                                        <p>"Scan this code with your authenticator app, then enter the 6-digit code it shows."</p>
                                        <img class="qr" alt="QR code for your authenticator app"
                                            width="200" height="200"
                                            src=format!("data:image/png;base64,{}", setup.qr_png_base64)/>
                                        <p>"Can't scan it? Enter this key by hand: "
                                            <code id="totp-secret">{setup.secret.clone()}</code></p>
                                        <ActionForm action=enable attr:class="form">
                                            <NamespaceInput/>
                                            <input type="hidden" name="enrollment" value=setup.enrollment.clone()/>
                                            <Field label="Code from the app" name="code" inputmode="numeric"
                                                autocomplete="one-time-code" error=enable_error/>
                                            <button type="submit" disabled=move || enable.pending().get()>"Turn on"</button>
                                        </ActionForm>
                                    </div>
                                })}
                                <h2>"Passkeys and security keys"</h2>
                                <p class="muted">"Sign in with your device's screen lock or a security key, with no password to type; also accepted as the second step."</p>
                                <Suspense fallback=|| ()>
                                    {move || Suspend::new(async move {
                                        passkeys.await.map(|list| { let empty = list.is_empty(); view! {
                                            <table class="passkeys" id="passkeys" hidden=empty>
                                                <thead>
                                                    <tr>
                                                        <th scope="col">"Name"</th>
                                                        <th scope="col">"Added"</th>
                                                        <th scope="col">"Last used"</th>
                                                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                                    </tr>
                                                </thead>
                                                <tbody>
                                                    {list.into_iter().map(|p| {
                                                        let (rename_id, remove_id) = (p.id.clone(), p.id);
                                                        let current = p.name.clone();
                                                        let new_name_label = format!("New name for {}", p.name);
                                                        let rename_label = format!("Rename {}", p.name);
                                                        let remove_label = format!("Remove {}", p.name);
                                                        view! {
                                                        <tr>
                                                            <td>{p.name.clone()}</td>
                                                            <td>{p.created}</td>
                                                            <td>{p.last_used.unwrap_or_else(|| "never".into())}</td>
                                                            <td class="actions">
                                                                <ActionForm action=rename attr:class="inline">
                                                                    <NamespaceInput/>
                                                                    <input type="hidden" name="passkey_id" value=rename_id/>
                                                                    <input name="name" required maxlength="60" value=current
                                                                        aria-label=new_name_label/>
                                                                    <button type="submit" class="secondary"
                                                                        aria-label=rename_label>"Rename"</button>
                                                                </ActionForm>
                                                                <ActionForm action=remove attr:class="inline">
                                                                    <NamespaceInput/>
                                                                    <input type="hidden" name="passkey_id" value=remove_id/>
                                                                    <button type="submit" class="secondary"
                                                                        aria-label=remove_label>"Remove"</button>
                                                                </ActionForm>
                                                            </td>
                                                        </tr>
                                                    }}).collect_view()}
                                                </tbody>
                                            </table>
                                        }})
                                    })}
                                </Suspense>
                                <form class="form" on:submit=move |ev| {
                                    ev.prevent_default();
                                    add_named(passkey_name.get_untracked());
                                }>
                                    <div class="field">
                                        <label for="passkey_name">"Passkey name"</label>
                                        <p class="hint" id="passkey_name-hint">"So you can tell your devices apart, e.g. “work laptop”."</p>
                                        <input id="passkey_name" name="name" required maxlength="60"
                                            aria-describedby="passkey_name-hint"
                                            bind:value=passkey_name/>
                                    </div>
                                    <button type="submit" disabled=move || !alive.get() || add.pending().get()>"Add a passkey"</button>
                                    <p class="muted" hidden=move || alive.get()>"Adding a passkey needs JavaScript, once the page has loaded."</p>
                                </form>
                                <h2>"Recovery codes"</h2>
                                {if s.totp_added.is_some() || s.passkeys > 0 {
                                    view! {
                                        <p id="recovery-status" class:warning=few>
                                            {format!("{left} of 10 recovery codes left.")}
                                            {few.then_some(" Make new ones before you run out.")}
                                        </p>
                                        <ActionForm action=regenerate attr:class="inline">
                                            <NamespaceInput/>
                                            <button type="submit" class="secondary"
                                                disabled=move || !alive.get() || regenerate.pending().get()>"Make new recovery codes"</button>
                                            <p class="muted" hidden=move || alive.get()>"Making new codes needs JavaScript, once the page has loaded: they are shown once, on this page."</p>
                                        </ActionForm>
                                    }.into_any()
                                } else {
                                    view! { <p class="muted">"You get recovery codes when you add an authenticator app or a passkey."</p> }.into_any()
                                }}
                            }.into_any()
                        }
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// A new set of recovery codes, shown this once, to copy or download.
#[component]
fn RecoveryCodesOnce(codes: Vec<String>) -> impl IntoView {
    let text = codes.join("\n");
    let download = format!(
        "data:text/plain;charset=utf-8,{}",
        text.replace('\n', "%0A")
    );
    view! {
        <div class="recovery-codes" role="region" aria-labelledby="codes-title">
            <h2 id="codes-title">"Your recovery codes"</h2>
            <p>"Keep these somewhere safe. Each works once, and this is the only time they are shown."</p>
            <ul id="recovery-codes" class="codes">
                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ul>
            <CopyButton text=text label="Copy codes"/>
            <a class="button secondary" href=download download="gatehouse-recovery-codes.txt">"Download (.txt)"</a>
        </div>
    }
}
