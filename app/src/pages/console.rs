use leptos::prelude::*;

use crate::console::{namespace_overview, platform_namespaces, DaySignIns};
use crate::pages::use_namespace;
use vocabulary::Page;

#[component]
pub fn AdminPage() -> impl IntoView {
    let namespace = use_namespace();
    let overview = Resource::new(move || namespace.get(), namespace_overview);
    view! {
        <section class="card">
            <crate::pages::admin::AdminNav namespace current=Page::Admin/>
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
    let namespaces = Resource::new(move || namespace.get(), platform_namespaces);
    view! {
        <section class="card">
            <h1>"Platform operations"</h1>
            <h2>"Namespaces"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match namespaces.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"No namespace has users yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul id="namespaces">
                                {list.into_iter().map(|ns| view! {
                                    <li><a href=Page::SignIn.path(&ns)>{ns.clone()}</a></li>
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
