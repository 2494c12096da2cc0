//! Form pieces every page uses: a labelled field with its error bound to it, the form-level
//! alert, and moving focus to the first error so keyboard and screen-reader users land on it.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::error::AppError;

/// The error of an action's last result, if it failed.
pub fn action_error<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}

/// The page's namespace as the hidden `namespace` field every form posts.
#[component]
pub fn NamespaceInput() -> impl IntoView {
    let namespace = crate::pages::use_namespace();
    view! { <input type="hidden" name="namespace" value=namespace/> }
}

/// Where the person was going when they were asked to sign in (`?next=`), as the URL has it:
/// the server checks it (`vocabulary::return_path`) before sending anybody there.
pub fn use_return_query() -> Signal<String> {
    let query = leptos_router::hooks::use_query_map();
    Signal::derive(move || {
        query
            .read()
            .get(vocabulary::RETURN_QUERY)
            .unwrap_or_default()
    })
}

/// The page's `?next=` as the hidden field a sign-in form posts.
#[component]
pub fn ReturnInput() -> impl IntoView {
    let next = use_return_query();
    view! { <input type="hidden" name=vocabulary::RETURN_QUERY value=next/> }
}

/// A link to `page` of this namespace that keeps the page's `?next=`: moving between the ways
/// to sign in does not lose where the person was going.
pub fn link_keeping_return(
    page: vocabulary::Page<'static>,
) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let namespace = crate::pages::use_namespace();
    let next = use_return_query();
    move || {
        let next = next.get();
        if next.is_empty() {
            page.path(&namespace.get())
        } else {
            page.path_with(&namespace.get(), &[(vocabulary::RETURN_QUERY, &next)])
        }
    }
}

/// Whether the URL's query has `name` (pages learn a flow's outcome from the redirect that
/// ends it, the same with or without JavaScript).
pub fn use_query_flag(name: &'static str) -> Signal<bool> {
    let query = leptos_router::hooks::use_query_map();
    Signal::derive(move || query.read().get(name).is_some())
}

/// A count the server put in the query when a flow ended (`?revoked=2`), worded for people:
/// `none`, `one`, or `many` with `{n}` replaced. The outcome travels in the URL so it shows the
/// same after a form posted without JavaScript.
pub fn use_query_count(
    name: &'static str,
    none: &'static str,
    one: &'static str,
    many: &'static str,
) -> Signal<Option<String>> {
    let query = leptos_router::hooks::use_query_map();
    Signal::derive(move || {
        let n = query.read().get(name)?.parse::<u32>().ok()?;
        Some(match n {
            0 => none.to_owned(),
            1 => one.to_owned(),
            n => many.replace("{n}", &n.to_string()),
        })
    })
}

/// A labelled input. An error about this field (by `name`) is shown under it, marks it
/// `aria-invalid` and is announced through `aria-describedby`.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    /// The input's id when two forms of a page post the same field name.
    #[prop(optional)]
    id: Option<&'static str>,
    /// Whether the form needs a value (most fields do).
    #[prop(default = true)]
    required: bool,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = id.unwrap_or(name);
    let message = move || {
        error
            .get()
            .filter(|e| e.field_name() == Some(name))
            .map(|e| e.to_string())
    };
    // After a native post failed, the page is rendered anew: what was typed comes back (never
    // a password) and the field at fault takes the focus as the page loads.
    let kept = (kind != "password")
        .then(|| crate::form_errors::kept_value(name))
        .flatten();
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = match hint {
        Some(_) => format!("{hint_id} {error_id}"),
        None => error_id.clone(),
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                inputmode=inputmode
                required=required
                value=kept
                autofocus=move || message().is_some()
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
                aria-describedby=described_by
            />
            <p class="field-error" id=error_id aria-live="polite">{message}</p>
        </div>
    }
}

/// The form's own error (one not about a single field), announced as an alert.
#[component]
pub fn FormAlert(#[prop(into)] error: Signal<Option<AppError>>, id: &'static str) -> impl IntoView {
    let message = move || {
        error
            .get()
            .filter(|e| e.field_name().is_none())
            .map(|e| e.to_string())
    };
    view! {
        <p class="error" role="alert" id=id tabindex="-1" autofocus=move || message().is_some()>
            {message}
        </p>
    }
}

/// After a failed submit in an island, focus the first invalid field, else the form alert.
/// (Pages rendered on the server get `autofocus` from `Field` and `FormAlert` instead.)
pub fn focus_first_error(error: Signal<Option<AppError>>) {
    Effect::new(move |_| {
        let failed = error.get().is_some();
        // After this turn, once the fields have rendered their new `aria-invalid`.
        #[cfg(feature = "hydrate")]
        if failed {
            set_timeout(
                || {
                    use leptos::wasm_bindgen::JsCast;
                    let doc = document();
                    let target = doc
                        .query_selector("[aria-invalid=\"true\"]")
                        .ok()
                        .flatten()
                        .or_else(|| {
                            doc.query_selector("[role=alert]:not(:empty)")
                                .ok()
                                .flatten()
                        });
                    if let Some(el) =
                        target.and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok())
                    {
                        let _ = el.focus();
                    }
                },
                std::time::Duration::ZERO,
            );
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = failed;
    });
}

/// Whether the island around the caller is alive in the browser: false on the server and until
/// the bundle has hydrated it. For buttons that only work through their island (a browser
/// ceremony): posted natively, their form would only fail.
pub fn use_alive() -> Signal<bool> {
    let alive = RwSignal::new(false);
    // Effects run only in the browser, once the island is hydrated.
    Effect::new(move |_| alive.set(true));
    alive.into()
}

/// Copies `text` to the clipboard (with the bundle loaded; the text stays selectable anyway).
/// An island: the pages that show a secret once are server components.
#[island]
pub fn CopyButton(text: String, label: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let _ = window().navigator().clipboard().write_text(&text);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &text;
        copied.set(true);
    };
    view! {
        <button type="button" class="secondary" on:click=copy>
            {move || if copied.get() { "Copied".to_owned() } else { label.clone() }}
        </button>
    }
}

/// Sudo mode, asked inline: shown when a change was refused for want of a recent
/// authentication; once confirmed, the person repeats the change.
#[component]
pub fn SudoPrompt(#[prop(into)] needed: Signal<bool>) -> impl IntoView {
    let namespace = crate::pages::use_namespace();
    move || {
        needed
            .get()
            .then(|| view! { <SudoConfirmation namespace=namespace.get_untracked()/> })
    }
}

/// The confirmation itself: an island, since it answers in place (and a passkey needs the
/// browser). Posted without JavaScript, the password confirms all the same and the page
/// comes back without the prompt, ready for the change to be repeated.
#[island]
fn SudoConfirmation(namespace: String) -> impl IntoView {
    use crate::calls::call;
    use crate::passkeys::{BeginPasskeyConfirmation, ConfirmWithPasskey};
    use crate::reauth::ConfirmPassword;

    let namespace = crate::pages::provide_island_namespace(namespace);
    let confirm = crate::ceremony::Ceremony::<()>::failed_with(crate::calls::error_in_address::<
        ConfirmPassword,
    >());
    let error = Signal::derive(move || confirm.value().get().and_then(Result::err));
    let on_submit = crate::calls::submit_to::<ConfirmPassword>(confirm);
    // Or with a passkey, for people who have one at hand.
    let with_passkey = crate::ceremony::Ceremony::<()>::default();
    let confirm_with_passkey = Callback::new(move |()| {
        let ns = namespace.get_untracked();
        with_passkey.run(async move {
            let challenge = call::<BeginPasskeyConfirmation>(&[("namespace", &ns)])
                .await?
                .ok_or(AppError::NoPasskey)?;
            let answer = crate::webauthn::Assertion::of(&challenge).await?;
            call::<ConfirmWithPasskey>(&answer.fields(&ns)).await
        });
    });
    let passkey_error = move || {
        with_passkey
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let confirmed = move || {
        matches!(confirm.value().get(), Some(Ok(())))
            || matches!(with_passkey.value().get(), Some(Ok(())))
    };
    view! {
        <Show when=move || !confirmed()>
            <div class="sudo" role="group" aria-labelledby="sudo-title">
                <h2 id="sudo-title">"Confirm it is you"</h2>
                <p class="muted">"This change needs your password again (you signed in a while ago)."</p>
                <form method="post" action=ConfirmPassword::url() class="form" on:submit=on_submit>
                    <NamespaceInput/>
                    <Field label="Your password" name="password" id="sudo_password" kind="password"
                        autocomplete="current-password" error/>
                    <FormAlert error id="sudo-error"/>
                    <button type="submit" disabled=move || confirm.pending().get()>"Confirm"</button>
                </form>
                <button type="button" class="secondary" disabled=move || with_passkey.pending().get()
                    on:click=move |_| confirm_with_passkey.run(())>"Confirm with a passkey"</button>
                {move || passkey_error().map(|e| view! { <p class="error" role="alert" id="sudo-passkey-error">{e}</p> })}
            </div>
        </Show>
        <Show when=confirmed>
            <p class="notice" role="status">"Thanks. Now repeat what you were doing."</p>
        </Show>
    }
}

/// Whether `error` asks for sudo mode.
pub fn needs_sudo(error: Signal<Option<AppError>>) -> bool {
    matches!(error.get(), Some(AppError::ReauthenticationRequired))
}

/// Sends the browser to the absolute `path`: on the server through the response (a 302; pages
/// render whole before they are sent), in the browser by navigating. Unlike the router's
/// `<Redirect>`, which resolves against the matched route and panics outside one, it works in
/// the shell around the routes.
#[component]
pub fn GoTo(path: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    leptos_axum::redirect(&path);
    #[cfg(not(feature = "ssr"))]
    leptos_router::hooks::use_navigate()(&path, Default::default());
}
