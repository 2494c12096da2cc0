//! The second step of sign-in: an authenticator code or a recovery code.

use leptos::prelude::*;

use crate::components::{action_error, Field, FormAlert, NamespaceInput};
use crate::form_errors::form_action;
use crate::pages::use_namespace;
use crate::second_factor::{second_factor_choices, CompleteSignIn};
use vocabulary::Page;

#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let namespace = use_namespace();
    let choices = Resource::new(move || namespace.get(), second_factor_choices);
    let with_app = form_action::<CompleteSignIn>();
    let with_recovery = form_action::<CompleteSignIn>();
    // Both forms post the same function: after a native post, the method that came back with
    // what was typed says whose error it is (and the recovery form opens again for its own).
    let failed_method = crate::form_errors::kept_value(crate::error::FormField::Method.name());
    let recovery_failed = failed_method.as_deref() == Some("recovery");
    let app_error = action_error(with_app);
    let app_error = Signal::derive(move || app_error.get().filter(|_| !recovery_failed));
    let recovery_error = action_error(with_recovery);
    let recovery_error = Signal::derive(move || {
        recovery_error
            .get()
            .filter(|_| failed_method.as_deref() != Some("totp"))
    });
    let sign_in = move || Page::SignIn.path(&namespace.get());

    view! {
        <section class="card narrow">
            <h1>"Two-step verification"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match choices.await {
                        Ok(Some(c)) => view! {
                            {c.passkeys.then(|| view! {
                                <crate::pages::passkey_buttons::PasskeySecondFactorButton namespace=namespace.get_untracked()/>
                            })}
                            {c.totp.then(|| view! {
                                <ActionForm action=with_app attr:class="form" attr:id="totp-form">
                                    <NamespaceInput/>
                                    <input type="hidden" name="method" value="totp"/>
                                    <Field label="Authentication code" name="code" inputmode="numeric"
                                        autocomplete="one-time-code"
                                        hint="The 6-digit code your authenticator app shows now."
                                        error=app_error/>
                                    <FormAlert error=app_error id="totp-error"/>
                                    <button type="submit">"Verify"</button>
                                </ActionForm>
                            })}
                            {c.recovery_codes.then(|| view! {
                                <details class="alternative" open=!c.totp || recovery_failed>
                                    <summary>"Use a recovery code instead"</summary>
                                    <ActionForm action=with_recovery attr:class="form" attr:id="recovery-form">
                                        <NamespaceInput/>
                                        <input type="hidden" name="method" value="recovery"/>
                                        <Field label="Recovery code" name="code" id="recovery_code" autocomplete="off"
                                            hint="One of the codes you saved when you set up two-step verification. Each works once."
                                            error=recovery_error/>
                                        <FormAlert error=recovery_error id="recovery-error"/>
                                        <button type="submit" class="secondary">"Use recovery code"</button>
                                    </ActionForm>
                                </details>
                            })}
                        }.into_any(),
                        Ok(None) => view! {
                            <p role="alert" class="error">"This sign-in has expired. Sign in again."</p>
                            <p><a href=sign_in>"Sign in"</a></p>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
