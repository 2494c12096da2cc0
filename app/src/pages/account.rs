use leptos::prelude::*;

use crate::caller::current_viewer;
use crate::pages::use_namespace;
use vocabulary::Page;

#[component]
pub fn AccountPage() -> impl IntoView {
    let namespace = use_namespace();
    let user = Resource::new(move || namespace.get(), current_viewer);

    view! {
        <section class="card">
            <h1>"Your account"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(user)) => view! {
                            <dl class="facts">
                                <dt>"Email"</dt>
                                <dd><span id="account-email">{user.email.clone()}</span>
                                    {if user.email_verified {
                                        view! { <span class="badge ok">"confirmed"</span> }.into_any()
                                    } else {
                                        view! { <span class="badge warn">"not confirmed"</span> }.into_any()
                                    }}
                                </dd>
                                <dt>"Organisation"</dt>
                                <dd>{user.namespace.clone()}</dd>
                                <dt>"Roles"</dt>
                                <dd id="account-roles">{roles_text(user.admin, user.operator)}</dd>
                            </dl>
                        }.into_any(),
                        Ok(None) => view! {
                            <p>"You are not signed in. "
                                <a href=Page::SignIn.path(&namespace.get_untracked())>"Sign in"</a>
                            </p>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn roles_text(admin: bool, operator: bool) -> &'static str {
    match (admin, operator) {
        (true, true) => "Administrator, platform operator",
        (true, false) => "Administrator",
        (false, true) => "Platform operator",
        (false, false) => "Member",
    }
}
