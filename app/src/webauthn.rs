//! The browser's half of a WebAuthn ceremony: hand the server's options to
//! `navigator.credentials` and return the authenticator's answer as JSON for the server.

/// Why a ceremony did not produce an answer (cancelled, no authenticator, unsupported).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CeremonyFailed;

/// Creates a credential (adding a passkey).
#[cfg(feature = "hydrate")]
pub async fn create(options_json: &str) -> Result<String, CeremonyFailed> {
    use webauthn_rs_proto::{CreationChallengeResponse, RegisterPublicKeyCredential};

    let options: CreationChallengeResponse =
        serde_json::from_str(options_json).map_err(|_| CeremonyFailed)?;
    let options: web_sys::CredentialCreationOptions = options.into();
    let promise = leptos::prelude::window()
        .navigator()
        .credentials()
        .create_with_options(&options)
        .map_err(|_| CeremonyFailed)?;
    let credential = credential(promise).await?;
    serde_json::to_string(&RegisterPublicKeyCredential::from(credential))
        .map_err(|_| CeremonyFailed)
}

/// The authenticator's answer to a `navigator.credentials` call.
#[cfg(feature = "hydrate")]
async fn credential(
    promise: leptos::web_sys::js_sys::Promise,
) -> Result<web_sys::PublicKeyCredential, CeremonyFailed> {
    use leptos::wasm_bindgen::JsCast;
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|_| CeremonyFailed)?
        .dyn_into::<web_sys::PublicKeyCredential>()
        .map_err(|_| CeremonyFailed)
}

/// Asks for an assertion (signing in, or the second step).
#[cfg(feature = "hydrate")]
pub async fn get(options_json: &str) -> Result<String, CeremonyFailed> {
    use webauthn_rs_proto::{PublicKeyCredential, RequestChallengeResponse};

    let options: RequestChallengeResponse =
        serde_json::from_str(options_json).map_err(|_| CeremonyFailed)?;
    let options: web_sys::CredentialRequestOptions = options.into();
    let promise = leptos::prelude::window()
        .navigator()
        .credentials()
        .get_with_options(&options)
        .map_err(|_| CeremonyFailed)?;
    let credential = credential(promise).await?;
    serde_json::to_string(&PublicKeyCredential::from(credential)).map_err(|_| CeremonyFailed)
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
