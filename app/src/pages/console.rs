use leptos::prelude::*;

use crate::console::{namespace_overview, platform_namespaces};
use crate::pages::{page_path, use_namespace};

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
                                <dt>"Users with MFA"</dt><dd>{o.mfa_users}</dd>
                            </dl>
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
                                    <li><a href=page_path(&ns, "sign-in")>{ns.clone()}</a></li>
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
