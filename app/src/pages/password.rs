//! Changing the password while signed in, with a strength meter as the person types.

use leptos::prelude::*;

use leptos::server_fn::ServerFn;

use crate::calls::{call, error_in_address};
use crate::ceremony::Ceremony;
use crate::components::{focus_first_error, use_query_flag, Field, FormAlert, NamespaceInput};
use crate::pages::{provide_island_namespace, use_namespace};
use crate::password::{ChangePassword, PasswordStrength, StrengthView};

const LABELS: [&str; 5] = ["Very weak", "Weak", "Fair", "Good", "Strong"];

#[component]
pub fn PasswordPage() -> impl IntoView {
    let namespace = use_namespace();
    let changed = use_query_flag(vocabulary::Notice::Changed.as_str());
    view! { <ChangePasswordForm namespace=namespace.get_untracked() changed=changed.get_untracked()/> }
}

/// The page's body, an island: the meter follows the typing, and a refused change leaves the
/// three fields as they were (posted natively they would come back empty: passwords are never
/// sent back to a page). `changed` is the page's notice.
#[island]
fn ChangePasswordForm(namespace: String, changed: bool) -> impl IntoView {
    provide_island_namespace(namespace);
    let change = Ceremony::<()>::failed_with(error_in_address::<ChangePassword>());
    let error = Signal::derive(move || change.value().get().and_then(Result::err));
    focus_first_error(error);
    // A change that goes through answers with a redirect to the page's notice, which the call
    // follows.
    let on_submit = crate::calls::submit_to::<ChangePassword>(change);

    view! {
        <section class="card narrow">
            <h1>"Password"</h1>
            <Show when=move || changed>
                <p class="notice" role="status">"Your password was changed. Every other device was signed out."</p>
            </Show>
            <p class="muted">"Use a long passphrase you use nowhere else; a password manager helps. No rules about symbols or digits: length and uniqueness matter."</p>
            <form method="post" action=ChangePassword::url() class="form" on:submit=on_submit>
                <NamespaceInput/>
                <Field label="Current password" name="current_password" kind="password"
                    autocomplete="current-password" error/>
                <NewPasswordWithMeter error/>
                <Field label="Repeat the new password" name="password_confirm" kind="password"
                    autocomplete="new-password" error/>
                <FormAlert error id="change-password-error"/>
                <button type="submit" disabled=move || change.pending().get()>"Change password"</button>
            </form>
        </section>
    }
}

/// The new-password field and its meter: the estimate is asked for a quarter second after the
/// person stops typing, not on every key.
#[component]
fn NewPasswordWithMeter(error: Signal<Option<crate::error::AppError>>) -> impl IntoView {
    let namespace = use_namespace();
    let estimate = RwSignal::new(None::<StrengthView>);
    let typed = RwSignal::new(String::new());
    let ticket = StoredValue::new(0u32);
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        typed.set(value.clone());
        ticket.update_value(|t| *t = t.wrapping_add(1));
        let mine = ticket.get_value();
        set_timeout(
            move || {
                if ticket.get_value() == mine && !value.is_empty() {
                    let namespace = namespace.get_untracked();
                    leptos::task::spawn_local(async move {
                        let reading = call::<PasswordStrength>(&[
                            ("namespace", &namespace),
                            ("password", &value),
                        ])
                        .await;
                        // Only the reading of what is typed now.
                        if ticket.get_value() == mine {
                            estimate.set(reading.ok());
                        }
                    });
                }
            },
            std::time::Duration::from_millis(250),
        );
    };
    let reading = move || {
        if typed.get().is_empty() {
            return None;
        }
        estimate.get()
    };
    view! {
        <div on:input=on_input>
            <Field label="New password" name="password" kind="password" autocomplete="new-password"
                hint="Long is strong: a passphrase of several unrelated words works well." error/>
        </div>
        <div class="meter" id="strength" aria-live="polite">
            {move || reading().map(|r| {
                let label = LABELS[usize::from(r.score.min(4))];
                view! {
                    <meter min="0" max="4" low="2" high="3" optimum="4" value=r.score.to_string()
                        aria-label="Password strength"></meter>
                    <span class="strength-label">{format!("Strength: {label}")}</span>
                    {r.warning.map(|w| view! { <p class="hint">{w}</p> })}
                    <ul class="hint">
                        {r.suggestions.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}
                    </ul>
                }
            })}
        </div>
    }
}
