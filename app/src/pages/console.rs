use leptos::prelude::*;

use crate::components::{action_error, Field, FormAlert, NamespaceInput};
use crate::console::{namespace_overview, DaySignIns};
use crate::form_errors::form_action;
use crate::pages::use_namespace;
use crate::support_access::{
    operator_namespaces, operator_support_access, support_access_settings,
    OperatorEndSupportAccess, StartSupportAccess,
};
use vocabulary::Page;

#[component]
pub fn AdminPage() -> impl IntoView {
    let namespace = use_namespace();
    let overview = Resource::new(move || namespace.get(), namespace_overview);
    view! {
        <section class="card">
            <h1>"Administration"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(o) => view! {
                            <dl class="facts" id="namespace-overview">
                                <dt>"Users"</dt><dd>{o.users}</dd>
                                <dt>"Confirmed addresses"</dt><dd>{o.verified_users}</dd>
                                <dt>"Disabled"</dt><dd>{o.disabled_users}</dd>
                                <dt>"Active sessions"</dt><dd>{o.active_sessions}</dd>
                                <dt>"Active API keys"</dt><dd>{o.active_api_keys}</dd>
                                <dt>"Users with MFA"</dt><dd>{format!("{} ({}%)", o.mfa_users, o.mfa_percent)}</dd>
                                <dt>"Locked out now"</dt><dd>{o.locked_accounts}</dd>
                                <dt>"Active impersonations"</dt><dd>{o.active_impersonations}</dd>
                            </dl>
                            <h2>"Sign-ins, last 14 days"</h2>
                            <SignInChart days=o.sign_ins/>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn OperatorPage() -> impl IntoView {
    let namespace = use_namespace();
    let namespaces = Resource::new(move || namespace.get(), operator_namespaces);
    let ended = crate::pages::admin::query_value(vocabulary::Notice::Ended.as_str());
    let stopped = crate::pages::admin::query_value(vocabulary::Notice::Stopped.as_str());
    view! {
        <section class="card">
            <h1>"Platform operations"</h1>
            <Show when=move || !ended.get().is_empty()>
                <p class="notice" role="status">"The support access has ended; you are back in your own session."</p>
            </Show>
            <Show when=move || !stopped.get().is_empty()>
                <p class="notice" role="status">"The support access was ended."</p>
            </Show>
            <crate::pages::DoneNotice/>
            <StartSupportAccessForm/>
            <crate::pages::support_access::OperatorRequests/>
            <SupportAccessLists/>
            <h2>"Namespaces"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match namespaces.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"No namespace has users yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul id="namespaces">
                                {list.into_iter().map(|n| {
                                    let search = Page::OperatorUsers.path_with(&namespace.get_untracked(), &[("target_namespace", &n.namespace)]);
                                    view! {
                                        <li>
                                            <a href=search>{n.namespace.clone()}</a>
                                            {format!(" — {} user{}", n.users, if n.users == 1 { "" } else { "s" })}
                                            {(!n.notifies_users).then_some(" — users are not mailed about support access")}
                                            {n.needs_approval.then_some(" — support access needs the admins' approval")}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Starting support access: the organisation and user, the ticket, a reason and how long.
/// It takes a recent sign-in or password confirmation (asked for inline).
#[component]
fn StartSupportAccessForm() -> impl IntoView {
    let namespace = use_namespace();
    let offer = Resource::new(move || namespace.get(), support_access_settings);
    let start = form_action::<StartSupportAccess>();
    let error = action_error(start);
    view! {
        <h2>"Support access"</h2>
        <crate::components::SudoPrompt needed=Signal::derive(move || crate::components::needs_sudo(error))/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match offer.await {
                    Ok(o) if !o.available => view! {
                        <p class="muted">"Support access is not configured on this server (no operator database pool)."</p>
                    }.into_any(),
                    Ok(o) => view! {
                        <ActionForm action=start attr:id="support-access-form">
                            <NamespaceInput/>
                            <Field label="Organisation" name="target_namespace" error/>
                            <Field label="User's email" name="email" kind="email" error/>
                            <Field label="Ticket" name="ticket" hint="Like SUP-1234." error/>
                            <Field label="Reason (10 to 500 characters; shown to the user and kept in the audit log)" name="reason" error/>
                            <div class="field">
                                <label for="minutes">{format!("Duration in minutes (at most {})", o.max_minutes)}</label>
                                <input id="minutes" name="minutes" type="number" min="1" max=o.max_minutes value=crate::form_errors::kept_value(crate::error::FormField::Duration.name()).unwrap_or_else(|| o.default_minutes.to_string())
                                    aria-describedby="minutes-error"/>
                                <p class="field-error" id="minutes-error" aria-live="polite">
                                    {move || error.get().filter(|e| e.field_name() == Some("minutes")).map(|e| e.to_string())}
                                </p>
                            </div>
                            <crate::pages::support_access::BreakGlassField error/>
                            <FormAlert error id="support-access-error"/>
                            <button type="submit">"Start support access"</button>
                        </ActionForm>
                    }.into_any(),
                    // The page's list says why (one refusal per page).
                    Err(_) => ().into_any(),
                }
            })}
        </Suspense>
    }
}

/// The operator's own support accesses, and every one running on the platform with End.
#[component]
fn SupportAccessLists() -> impl IntoView {
    let namespace = use_namespace();
    let end = form_action::<OperatorEndSupportAccess>();
    let error = action_error(end);
    let lists = Resource::new(move || namespace.get(), operator_support_access);
    view! {
        {move || error.get().map(|e| view! { <p class="error" role="alert" tabindex="-1">{e.to_string()}</p> })}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let Ok(Some(v)) = lists.await else {
                    // Not an operator, or no operator pool: the page says so elsewhere.
                    return ().into_any();
                };
                view! {
                    <h3>"Running now"</h3>
                    {v.running.is_empty().then(|| view! { <p class="empty">"None."</p> })}
                    <table id="running-support-accesses"><tbody>
                        {v.running.into_iter().map(|l| view! {
                            <tr>
                                <td>{format!("{} as {} in {}", l.operator_email, l.target_email, l.target_namespace)}</td>
                                <td>{l.ticket}</td>
                                <td>{l.reason}</td>
                                <td>{format!("until {}", l.until)}</td>
                                <td><ActionForm action=end>
                                    <NamespaceInput/>
                                    <input type="hidden" name="impersonation_id" value=l.impersonation_id/>
                                    <button type="submit" class="danger">"End"</button>
                                </ActionForm></td>
                            </tr>
                        }).collect_view()}
                    </tbody></table>
                    <h3>"Your support accesses"</h3>
                    {v.mine.is_empty().then(|| view! { <p class="empty">"None yet."</p> })}
                    <table id="my-support-accesses"><tbody>
                        {v.mine.into_iter().map(|l| view! {
                            <tr class:active=l.active>
                                <td>{format!("{} in {}", l.target_email, l.target_namespace)}</td>
                                <td>{l.ticket}</td>
                                <td>{l.reason}</td>
                                <td>{format!("{} to {}", l.started, l.until)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody></table>
                }.into_any()
            })}
        </Suspense>
    }
}

/// Successful and failed sign-ins per day as a grouped bar chart, drawn on the server (no
/// script, readable in both themes through CSS classes), with a text summary for screen readers.
#[component]
fn SignInChart(days: Vec<DaySignIns>) -> impl IntoView {
    const W: f64 = 720.0;
    const H: f64 = 260.0;
    const LEFT: f64 = 44.0;
    const RIGHT: f64 = 8.0;
    const TOP: f64 = 28.0;
    const BOTTOM: f64 = 34.0;
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let peak = days
        .iter()
        .map(|d| d.succeeded.max(d.failed))
        .max()
        .unwrap_or(0);
    // A round top for the axis: 4, 10, 20, 50, 100, ...
    let top = [
        4_i64, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000,
    ]
    .into_iter()
    .find(|t| *t >= peak)
    .unwrap_or(((peak + 9_999) / 10_000) * 10_000);
    let y = move |v: i64| TOP + plot_h - (v as f64 / top as f64) * plot_h;
    let slot = plot_w / days.len().max(1) as f64;
    let bar = slot * 0.36;
    let total_ok: i64 = days.iter().map(|d| d.succeeded).sum();
    let total_failed: i64 = days.iter().map(|d| d.failed).sum();
    let ticks = [0, top / 2, top];
    view! {
        <svg class="chart" id="sign-in-chart" viewBox=format!("0 0 {W} {H}") role="img"
            aria-labelledby="chart-title chart-desc">
            <title id="chart-title">"Sign-ins per day, last 14 days"</title>
            <desc id="chart-desc">{format!("{total_ok} successful and {total_failed} failed sign-ins in the last 14 days.")}</desc>
            {ticks.into_iter().map(|t| view! {
                <line class="grid" x1=LEFT x2=W - RIGHT y1=y(t) y2=y(t)/>
                <text x=LEFT - 6.0 y=y(t) + 4.0 text-anchor="end">{t}</text>
            }).collect_view()}
            <line class="axis" x1=LEFT x2=LEFT y1=TOP y2=TOP + plot_h/>
            <line class="axis" x1=LEFT x2=W - RIGHT y1=TOP + plot_h y2=TOP + plot_h/>
            {days.into_iter().enumerate().map(|(i, d)| {
                let x = LEFT + slot * i as f64 + slot * 0.14;
                view! {
                    <g>
                        <rect class="ok" x=x y=y(d.succeeded) width=bar height=TOP + plot_h - y(d.succeeded)>
                            <title>{format!("{}: {} successful", d.label, d.succeeded)}</title>
                        </rect>
                        <rect class="fail" x=x + bar y=y(d.failed) width=bar height=TOP + plot_h - y(d.failed)>
                            <title>{format!("{}: {} failed", d.label, d.failed)}</title>
                        </rect>
                        <text x=x + bar y=H - BOTTOM + 16.0 text-anchor="middle">{d.label}</text>
                    </g>
                }
            }).collect_view()}
            <g class="legend">
                <rect class="ok" x=W - 210.0 y=8.0 width=12.0 height=12.0/>
                <text x=W - 193.0 y=18.0>"Successful"</text>
                <rect class="fail" x=W - 110.0 y=8.0 width=12.0 height=12.0/>
                <text x=W - 93.0 y=18.0>"Failed"</text>
            </g>
        </svg>
    }
}
