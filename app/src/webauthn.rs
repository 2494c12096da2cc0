//! The browser's half of a WebAuthn ceremony: hand the server's options to
//! `navigator.credentials` and return the authenticator's answer as JSON for the server.

use crate::error::AppError;

/// Why a ceremony did not produce an answer (cancelled, no authenticator, unsupported).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CeremonyFailed;

/// Creates a credential (adding a passkey).
#[cfg(feature = "hydrate")]
pub async fn create(options_json: &str) -> Result<String, CeremonyFailed> {
    let options = browser::options(options_json, "parseCreationOptionsFromJSON")?;
    let promise = leptos::prelude::window()
        .navigator()
        .credentials()
        .create_with_options(options.unchecked_ref())
        .map_err(|_| CeremonyFailed)?;
    browser::answer(promise).await
}

/// Asks for an assertion (signing in, or the second step).
#[cfg(feature = "hydrate")]
pub async fn get(options_json: &str) -> Result<String, CeremonyFailed> {
    let options = browser::options(options_json, "parseRequestOptionsFromJSON")?;
    let promise = leptos::prelude::window()
        .navigator()
        .credentials()
        .get_with_options(options.unchecked_ref())
        .map_err(|_| CeremonyFailed)?;
    browser::answer(promise).await
}

#[cfg(feature = "hydrate")]
use leptos::wasm_bindgen::JsCast;

/// The server's options and the authenticator's answer are WebAuthn's own JSON forms, which
/// browsers read and write themselves (`PublicKeyCredential.parse…FromJSON`, `toJSON`, in
/// every current browser): the bundle carries no model of them, only these few calls.
#[cfg(feature = "hydrate")]
mod browser {
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use leptos::web_sys::js_sys::{global, Function, Object, Promise, Reflect, JSON};

    use super::CeremonyFailed;

    fn property(target: &JsValue, name: &str) -> Result<JsValue, CeremonyFailed> {
        Reflect::get(target, &JsValue::from_str(name)).map_err(|_| CeremonyFailed)
    }

    fn method(target: &JsValue, name: &str) -> Result<Function, CeremonyFailed> {
        property(target, name)?
            .dyn_into::<Function>()
            .map_err(|_| CeremonyFailed)
    }

    /// `{"publicKey": …, "mediation"?: …}` as the server sent it, made into the options
    /// `navigator.credentials` takes by the browser's `parser`.
    pub(super) fn options(json: &str, parser: &str) -> Result<Object, CeremonyFailed> {
        let sent = JSON::parse(json).map_err(|_| CeremonyFailed)?;
        let class = property(&global(), "PublicKeyCredential")?;
        let public_key = method(&class, parser)?
            .call1(&class, &property(&sent, "publicKey")?)
            .map_err(|_| CeremonyFailed)?;
        let options = Object::new();
        let set = |name: &str, value: &JsValue| {
            Reflect::set(&options, &JsValue::from_str(name), value).map_err(|_| CeremonyFailed)
        };
        set("publicKey", &public_key)?;
        let mediation = property(&sent, "mediation")?;
        if !mediation.is_undefined() {
            set("mediation", &mediation)?;
        }
        Ok(options)
    }

    /// The credential the authenticator answered with, as JSON for the server.
    pub(super) async fn answer(promise: Promise) -> Result<String, CeremonyFailed> {
        let credential = wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .map_err(|_| CeremonyFailed)?;
        let json = method(&credential, "toJSON")?
            .call0(&credential)
            .map_err(|_| CeremonyFailed)?;
        JSON::stringify(&json)
            .ok()
            .and_then(|text| text.as_string())
            .ok_or(CeremonyFailed)
    }
}

// On the server, event handlers never run; these let the components that call the ceremony
// from a click compile for server rendering too.
#[cfg(not(feature = "hydrate"))]
pub async fn create(_options_json: &str) -> Result<String, CeremonyFailed> {
    Err(CeremonyFailed)
}

#[cfg(not(feature = "hydrate"))]
pub async fn get(_options_json: &str) -> Result<String, CeremonyFailed> {
    Err(CeremonyFailed)
}

/// The authenticator's answer to a ceremony the server began, ready to post back.
pub struct Assertion {
    ceremony: String,
    response: String,
}

impl Assertion {
    /// Asks the browser's authenticator to answer `challenge`.
    pub async fn of(challenge: &crate::passkeys::PasskeyChallenge) -> Result<Self, AppError> {
        let response = get(&challenge.options)
            .await
            .map_err(|_| AppError::PasskeyNotVerified)?;
        Ok(Assertion {
            ceremony: challenge.ceremony.clone(),
            response,
        })
    }

    /// The fields that finish the ceremony (the server functions that do take these names).
    pub fn fields<'a>(&'a self, namespace: &'a str) -> [(&'static str, &'a str); 3] {
        [
            ("namespace", namespace),
            ("ceremony", &self.ceremony),
            ("response", &self.response),
        ]
    }
}
