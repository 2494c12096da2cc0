use leptos::prelude::*;

use crate::form_errors::form_action;
use crate::pages::use_namespace;
use crate::session::SignIn;

#[component]
pub fn SignInPage() -> impl IntoView {
    let namespace = use_namespace();
    let action = form_action::<SignIn>();
    let error = move || {
        action
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };

    view! {
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <ActionForm action=action attr:class="form">
                <input type="hidden" name="namespace" value=namespace/>
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                <p class="error" role="alert" id="sign-in-error">{error}</p>
                <button type="submit" disabled=move || action.pending().get()>"Sign in"</button>
            </ActionForm>
        </section>
    }
}
