//! Server functions called from islands. An island posts the fields a server function takes,
//! as a form would, and reads its JSON answer: no `ServerAction` or `ActionForm`, whose
//! encoding of typed arguments (and decoding of forms into them) would put a query-string
//! codec and the server-function client into the bundle for a handful of calls.
//!
//! The field names are the server function's argument names; the tests of each island's
//! flow are what keep them right.

use leptos::server_fn::ServerFn;
use serde::de::DeserializeOwned;

use crate::ceremony::Ceremony;
use crate::error::AppError;

/// Calls `S` with `fields`. Only in the browser: islands render on the server too, but their
/// calls run from events and timers, which never fire there.
pub async fn call<S>(fields: &[(&str, &str)]) -> Result<S::Output, AppError>
where
    S: ServerFn<Error = AppError>,
    S::Output: DeserializeOwned,
{
    #[cfg(feature = "hydrate")]
    {
        let params = browser::UrlSearchParams::new().map_err(|_| AppError::Internal)?;
        for (name, value) in fields {
            params.append(name, value);
        }
        browser::post::<S>(params).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = fields;
        Err(AppError::Internal)
    }
}

/// A form's submit handler that calls `S` with the form's fields (as its native post would
/// send them) instead of leaving the page; the outcome lands in `outcome`.
pub fn submit_to<S>(outcome: Ceremony<S::Output>) -> impl Fn(leptos::ev::SubmitEvent) + Copy
where
    S: ServerFn<Error = AppError> + 'static,
    S::Output: DeserializeOwned + Send + Sync + 'static,
{
    move |ev| {
        ev.prevent_default();
        // Islands render on the server too, where no form is ever submitted.
        #[cfg(not(feature = "hydrate"))]
        let _ = outcome;
        #[cfg(feature = "hydrate")]
        if let Some(form) = ev
            .target()
            .and_then(|t| leptos::wasm_bindgen::JsCast::dyn_into(t).ok())
        {
            outcome.run(async move {
                let form: leptos::web_sys::HtmlFormElement = form;
                let data = leptos::web_sys::FormData::new_with_form(&form)
                    .map_err(|_| AppError::Internal)?;
                let params = browser::UrlSearchParams::new_with_str_sequence_sequence(&data)
                    .map_err(|_| AppError::Internal)?;
                browser::post::<S>(params).await
            });
        }
    }
}

/// The error `S` failed with in a native post of its form, carried back in the page's address
/// (`__path`, `__err`): read from the router's context on the server and from the address in
/// the browser, so an island renders it alike on both sides.
pub fn error_in_address<S>() -> Option<AppError>
where
    S: ServerFn<Error = AppError>,
{
    #[cfg(feature = "hydrate")]
    let carried = browser::error_in_address();
    #[cfg(not(feature = "hydrate"))]
    let carried = leptos::prelude::use_context::<leptos::server::ServerActionError>();
    let carried = carried.filter(|e| e.path() == S::PATH)?;
    Some(leptos::server_fn::error::ServerFnUrlError::<AppError>::decode_err(carried.err()))
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::window;
    use leptos::server_fn::ServerFn;
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use leptos::web_sys::{RequestInit, Response};
    use serde::de::DeserializeOwned;
    use wasm_bindgen_futures::JsFuture;

    pub use leptos::web_sys::UrlSearchParams;

    use crate::error::AppError;

    /// The `__path` and `__err` of the page's address, as Leptos puts them there.
    pub fn error_in_address() -> Option<leptos::server::ServerActionError> {
        let search = window().location().search().ok()?;
        let value = |name: &str| {
            search
                .trim_start_matches('?')
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(key, _)| *key == name)
                .and_then(|(_, raw)| leptos::web_sys::js_sys::decode_uri_component(raw).ok())
                .map(String::from)
        };
        Some(leptos::server::ServerActionError::new(
            &value("__path")?,
            &value("__err")?,
        ))
    }

    /// Posts `params` to `S` (a form body; no `Accept: text/html`, so the answer is data, not
    /// a redirect back to the page) and decodes the answer. A server function that redirects
    /// (signing in, ending an impersonation) is followed by loading that page.
    pub async fn post<S>(params: UrlSearchParams) -> Result<S::Output, AppError>
    where
        S: ServerFn<Error = AppError>,
        S::Output: DeserializeOwned,
    {
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_body(&JsValue::from(params));
        let response: Response = JsFuture::from(window().fetch_with_str_and_init(S::url(), &init))
            .await
            .and_then(JsCast::dyn_into)
            .map_err(|_| AppError::Internal)?;
        let headers = response.headers();
        if headers
            .has(leptos::server_fn::redirect::REDIRECT_HEADER)
            .unwrap_or(false)
        {
            if let Ok(Some(location)) = headers.get("Location") {
                let _ = window().location().set_href(&location);
            }
        }
        let text = match response.text() {
            Ok(promise) => JsFuture::from(promise)
                .await
                .ok()
                .and_then(|t| t.as_string()),
            Err(_) => None,
        }
        .ok_or(AppError::Internal)?;
        if response.ok() {
            serde_json::from_str(&text).map_err(|_| AppError::Internal)
        } else {
            Err(serde_json::from_str(&text).unwrap_or(AppError::Internal))
        }
    }
}
