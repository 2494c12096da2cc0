use leptos::prelude::*;

use super::query_value;
use crate::admin::lockouts::{admin_lockouts, AdminUnlock, FAILURES_FIRST};
use crate::components::action_error;
use crate::form_errors::form_action;
use crate::pages::use_namespace;
use vocabulary::Page;

#[component]
pub fn LockoutsPage() -> impl IntoView {
    let namespace = use_namespace();
    let unlock = form_action::<AdminUnlock>();
    let error = action_error(unlock);
    let unlocked = query_value("unlocked");
    let more = query_value("failures");
    let view_data = Resource::new(
        move || (namespace.get(), unlocked.get(), more.get()),
        |(ns, _, more)| admin_lockouts(ns, more == "more"),
    );
    view! {
        <section class="card wide">
            <h1>"Lockouts"</h1>
            {move || error.get().map(|e| view! { <p class="error" role="alert" tabindex="-1">{e.to_string()}</p> })}
            <p class="notice" role="status" hidden=move || unlocked.get().is_empty()>"The address was unlocked."</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let v = match view_data.await {
                        Ok(v) => v,
                        Err(e) => return view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    };
                    let ns = namespace.get_untracked();
                    let who = move |email: String, user_id: Option<String>| match user_id {
                        Some(id) => view! { <a href=Page::AdminUser(&id).path(&ns)>{email}</a> }.into_any(),
                        None => view! { <span>{email}" (no account)"</span> }.into_any(),
                    };
                    view! {
                        <p class="muted">{format!("An address is locked after {} failed sign-ins within {} minutes, until enough of them are older than that.", v.threshold, v.window_minutes)}</p>
                        <h2>"Locked out now"</h2>
                        {v.locked.is_empty().then(|| view! { <p class="empty" id="no-lockouts">"No address is locked out."</p> })}
                        <table id="lockouts">
                            <thead><tr>
                                <th scope="col">"Email"</th><th scope="col">"Failed attempts"</th>
                                <th scope="col">"Last attempt"</th><th scope="col">"From"</th>
                                <th scope="col">"Unlocks by itself"</th><th scope="col">"Unlock now"</th>
                            </tr></thead>
                            <tbody>
                                {v.locked.into_iter().map(|l| {
                                    let email = l.email.clone();
                                    view! {
                                        <tr>
                                            <td>{who(l.email, l.user_id)}</td>
                                            <td>{l.failures}</td>
                                            <td>{l.last_attempt}</td>
                                            <td>{l.last_ip.unwrap_or_default()}</td>
                                            <td>{l.unlocks}</td>
                                            <td>
                                                <ActionForm action=unlock attr:class="inline-form">
                                                    <input type="hidden" name="namespace" value=namespace/>
                                                    <input type="hidden" name="email" value=email.clone()/>
                                                    <label class="visually-hidden" for=format!("reason-{email}")>{format!("Reason for unlocking {email}")}</label>
                                                    <input id=format!("reason-{email}") name="reason" placeholder="Reason (10+ characters)" required minlength="10" maxlength="500"/>
                                                    <button type="submit">"Unlock"</button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <h2>"Recent failed sign-ins"</h2>
                        {(v.recent_failures.len() == FAILURES_FIRST as usize && more.get_untracked().is_empty()).then(|| view! {
                            <p class="muted">{format!("The newest {FAILURES_FIRST}. ")}
                                <a href=Page::AdminLockouts.path_with(&namespace.get_untracked(), &[("failures", "more")])>"Show more"</a></p>
                        })}
                        {v.recent_failures.is_empty().then(|| view! { <p class="empty">"None."</p> })}
                        <table id="recent-failures">
                            <thead><tr><th scope="col">"When"</th><th scope="col">"Email"</th><th scope="col">"From"</th></tr></thead>
                            <tbody>
                                {v.recent_failures.into_iter().map(|f| view! {
                                    <tr><td>{f.at}</td><td>{who(f.email, f.user_id)}</td><td>{f.ip_address.unwrap_or_default()}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                })}
            </Suspense>
        </section>
    }
}
