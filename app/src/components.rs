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

/// Whether the URL's query has `name` (pages learn a flow's outcome from the redirect that
/// ends it, the same with or without JavaScript).
pub fn use_query_flag(name: &'static str) -> Signal<bool> {
    let query = leptos_router::hooks::use_query_map();
    Signal::derive(move || query.read().get(name).is_some())
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
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let message = move || {
        error
            .get()
            .filter(|e| e.field_name() == Some(name))
            .map(|e| e.to_string())
    };
    let error_id = format!("{name}-error");
    let hint_id = format!("{name}-hint");
    let described_by = match hint {
        Some(_) => format!("{hint_id} {error_id}"),
        None => error_id.clone(),
    };
    view! {
        <div class="field">
            <label for=name>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=name
                name=name
                type=kind
                autocomplete=autocomplete
                inputmode=inputmode
                required
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
    view! { <p class="error" role="alert" id=id tabindex="-1">{message}</p> }
}

/// After a failed submit, focus the first invalid field, else the form alert.
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
