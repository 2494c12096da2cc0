use leptos::prelude::*;

use crate::pages::use_namespace;
use crate::session::{current_user, SignOut};

#[component]
pub fn AccountPage() -> impl IntoView {
    let namespace = use_namespace();
    let user = Resource::new(move || namespace.get(), current_user);
    let sign_out = ServerAction::<SignOut>::new();

    view! {
        <section class="card">
            <h1>"Your account"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(user)) => view! {
                            <p>"Signed in as " <strong id="account-email">{user.email}</strong></p>
                            <ActionForm action=sign_out>
                                <input type="hidden" name="namespace" value=user.namespace/>
                                <button type="submit">"Sign out"</button>
                            </ActionForm>
                        }.into_any(),
                        Ok(None) => view! {
                            <p>"You are not signed in. "
                                <a href=format!("/{}/sign-in", namespace.get_untracked())>"Sign in"</a>
                            </p>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
