//! Buttons that run a passkey ceremony: ask the server for a challenge, let the browser's
//! authenticator answer, post the answer back. They need JavaScript by nature (WebAuthn is a
//! browser API); the other ways to sign in do not. Each is an island, given what it needs of
//! the page as props.

use leptos::prelude::*;

use crate::calls::call;
use crate::ceremony::Ceremony;
use crate::error::AppError;
use crate::passkeys::{
    BeginPasskeySecondFactor, BeginPasskeySignIn, CompleteSignInWithPasskey, PasskeySignIn,
};
use crate::webauthn::Assertion;

/// After a successful sign-in the server answered the page to go to (a same-namespace path it
/// checked); follow it as a full load so the new session cookie is used from the first request.
fn go_to(page: &str) {
    let _ = window().location().set_href(page);
}

/// Passwordless sign-in with a discoverable passkey; `next` is where the person was going.
#[island]
pub fn PasskeySignInButton(namespace: String, next: String) -> impl IntoView {
    let ceremony = Ceremony::default();
    let start = Callback::new(move |()| {
        let (ns, next) = (namespace.clone(), next.clone());
        ceremony.run(async move {
            let challenge = call::<BeginPasskeySignIn>(&[("namespace", &ns)]).await?;
            let answer = Assertion::of(&challenge).await?;
            let mut fields = answer.fields(&ns).to_vec();
            if !next.is_empty() {
                fields.push(("next", &next));
            }
            go_to(&call::<PasskeySignIn>(&fields).await?);
            Ok(())
        });
    });
    view! { <CeremonyButton ceremony start id="passkey-sign-in" class="secondary" label="Sign in with a passkey"/> }
}

/// The passkey as the second step of sign-in.
#[island]
pub fn PasskeySecondFactorButton(namespace: String) -> impl IntoView {
    let ceremony = Ceremony::default();
    let start = Callback::new(move |()| {
        let ns = namespace.clone();
        ceremony.run(async move {
            let challenge = call::<BeginPasskeySecondFactor>(&[("namespace", &ns)])
                .await?
                .ok_or(AppError::SignInExpired)?;
            let answer = Assertion::of(&challenge).await?;
            let page = call::<CompleteSignInWithPasskey>(&answer.fields(&ns)).await?;
            go_to(&page);
            Ok(())
        });
    });
    view! { <CeremonyButton ceremony start id="passkey-second-factor" class="" label="Use a passkey"/> }
}

/// The button that starts a ceremony, and what went wrong if it failed.
#[component]
fn CeremonyButton(
    ceremony: Ceremony<()>,
    start: Callback<()>,
    id: &'static str,
    class: &'static str,
    label: &'static str,
) -> impl IntoView {
    let error = move || {
        ceremony
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    view! {
        <div class="passkey">
            <button type="button" id=id class=class
                disabled=move || ceremony.pending().get()
                on:click=move |_| start.run(())>
                {label}
            </button>
            // Only while there is something to say: an empty alert would be noise to a
            // screen reader (and ambiguous next to the form's own alert).
            {move || error().map(|e| view! { <p class="error" role="alert" id="passkey-error">{e}</p> })}
        </div>
    }
}
