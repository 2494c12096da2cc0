//! The security overview: what protects the account, what to fix, and what happened lately.

use leptos::prelude::*;

use crate::overview::security_overview;
use crate::pages::use_namespace;
use vocabulary::Page;

#[component]
pub fn SecurityPage() -> impl IntoView {
    let namespace = use_namespace();
    let overview = Resource::new(move || namespace.get(), security_overview);
    view! {
        <section class="card">
            <h1>"Security"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let ns = namespace.get_untracked();
                    match overview.await {
                        Ok(o) => {
                            let link = |page: Page<'static>| page.path(&ns);
                            let mfa_on = o.totp_on || o.passkeys > 0;
                            let few_codes = mfa_on && o.recovery_codes_low;
                            view! {
                                <h2>"Checklist"</h2>
                                <ul class="checklist" id="checklist">
                                    <CheckItem ok=o.email_verified
                                        text=format!("Email address {} {}", o.email, if o.email_verified { "is verified" } else { "is not verified" })
                                        fix=Some((link(Page::EmailChange), "Change address"))/>
                                    <CheckItem ok=mfa_on
                                        text=(if mfa_on { "Two-step verification is on" } else { "Two-step verification is off" }).to_owned()
                                        fix=(!mfa_on).then(|| (link(Page::Mfa), "Turn it on"))/>
                                    <CheckItem ok=true
                                        text=format!("{} {}", o.passkeys, if o.passkeys == 1 { "passkey" } else { "passkeys" })
                                        fix=Some((link(Page::Mfa), if o.passkeys == 0 { "Add a passkey" } else { "Manage passkeys" }))/>
                                    {mfa_on.then(|| view! {
                                        <CheckItem ok=!few_codes
                                            text=format!("{} of 10 recovery codes left", o.recovery_codes_left)
                                            fix=few_codes.then(|| (link(Page::Mfa), "Make new ones"))/>
                                    })}
                                    <CheckItem ok=true
                                        text=format!("{} active {}", o.sessions, if o.sessions == 1 { "session" } else { "sessions" })
                                        fix=Some((link(Page::Devices), "Review devices"))/>
                                    <CheckItem ok=true
                                        text=format!("{} API {}", o.api_keys, if o.api_keys == 1 { "key" } else { "keys" })
                                        fix=Some((link(Page::ApiKeys), "Manage keys"))/>
                                </ul>
                                <h2>"Recent security activity"</h2>
                                <p class="muted">"Newest first. Was any of this not you? "
                                    <a href=link(Page::Devices)>"Sign out the devices you don't recognise"</a>
                                    " and "<a href=link(Page::Password)>"change your password"</a>"."</p>
                                {if o.activity.is_empty() {
                                    view! { <p class="muted">"Nothing yet."</p> }.into_any()
                                } else {
                                    view! {
                                        <table class="activity" id="activity">
                                            <thead>
                                                <tr>
                                                    <th scope="col">"When"</th>
                                                    <th scope="col">"What"</th>
                                                    <th scope="col">"IP address"</th>
                                                    <th scope="col">"Device"</th>
                                                </tr>
                                            </thead>
                                            <tbody>
                                                {o.activity.into_iter().map(|a| view! {
                                                    <tr class:attention=a.attention>
                                                        <td>{a.when}</td>
                                                        <td>{a.what}{a.detail.map(|d| view! { <span class="muted">{format!(" ({d})")}</span> })}</td>
                                                        <td>{a.ip_address.unwrap_or_default()}</td>
                                                        <td>{a.device.unwrap_or_default()}</td>
                                                    </tr>
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    }.into_any()
                                }}
                            }.into_any()
                        }
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn CheckItem(ok: bool, text: String, fix: Option<(String, &'static str)>) -> impl IntoView {
    view! {
        <li class:ok=ok class:todo=!ok>
            <span class="badge" class:ok=ok class:warn=!ok>{if ok { "OK" } else { "To do" }}</span>
            " " {text}
            {fix.map(|(href, label)| view! { " — " <a href=href>{label}</a> })}
        </li>
    }
}
