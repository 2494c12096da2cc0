use leptos::prelude::*;

use super::{query_value, Choice};
use crate::admin::users::{admin_users, AdminCreateUser};
use crate::components::{action_error, Field, FormAlert};
use crate::form_errors::form_action;
use crate::pages::use_namespace;
use vocabulary::Page;

const YES_NO: &[(&str, &str)] = &[("", "Any"), ("yes", "Yes"), ("no", "No")];
const SORTS: &[(&str, &str)] = &[
    ("newest", "Newest first"),
    ("oldest", "Oldest first"),
    ("email", "Email A–Z"),
    ("email_desc", "Email Z–A"),
];

#[component]
pub fn UsersPage() -> impl IntoView {
    let namespace = use_namespace();
    let email = query_value("email");
    let disabled = query_value("disabled");
    let verified = query_value("verified");
    let mfa = query_value("mfa");
    let sort = query_value("sort");
    let after = query_value("after");
    let deleted = query_value("deleted");
    let users = Resource::new(
        move || {
            (
                namespace.get(),
                email.get(),
                disabled.get(),
                verified.get(),
                mfa.get(),
                sort.get(),
                after.get(),
            )
        },
        |(ns, email, disabled, verified, mfa, sort, after)| {
            admin_users(ns, email, disabled, verified, mfa, sort, after)
        },
    );
    view! {
        <section class="card wide">
            <h1>"Users"</h1>
            <p class="notice" role="status" hidden=move || deleted.get().is_empty()>"The user was deleted."</p>
            <p><a class="button" href=move || Page::AdminNewUser.path(&namespace.get())>"Create user"</a></p>
            <form method="get" class="filters" role="search" aria-label="Find users">
                <div class="field">
                    <label for="email">"Email contains"</label>
                    <input id="email" name="email" type="search" value=email maxlength="254"/>
                </div>
                <Choice label="Disabled" name="disabled" options=YES_NO selected=disabled.get_untracked()/>
                <Choice label="Email confirmed" name="verified" options=YES_NO selected=verified.get_untracked()/>
                <Choice label="Two-step verification" name="mfa" options=YES_NO selected=mfa.get_untracked()/>
                <Choice label="Sort" name="sort" options=SORTS selected=sort.get_untracked()/>
                <button type="submit">"Search"</button>
                <a href=move || Page::AdminUsers.path(&namespace.get())>"Reset"</a>
            </form>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Ok(list) => {
                            let ns = namespace.get_untracked();
                            // This view's filters and sort, from `after` on (or from the start).
                            let link = |after: &str| {
                                Page::AdminUsers.path_with(&ns, &[
                                    ("email", &email.get_untracked()),
                                    ("disabled", &disabled.get_untracked()),
                                    ("verified", &verified.get_untracked()),
                                    ("mfa", &mfa.get_untracked()),
                                    ("sort", &sort.get_untracked()),
                                    ("after", after),
                                ])
                            };
                            let next = list.next.map(|next| link(&next));
                            let first = (!after.get_untracked().is_empty()).then(|| link(""));
                            view! {
                                {list.users.is_empty().then(|| view! { <p class="empty">"No user matches."</p> })}
                                <table class="users" id="users">
                                    <thead><tr>
                                        <th scope="col">"Email"</th>
                                        <th scope="col">"Status"</th>
                                        <th scope="col">"Two-step"</th>
                                        <th scope="col">"Created"</th>
                                    </tr></thead>
                                    <tbody>
                                        {list.users.into_iter().map(|u| view! {
                                            <tr>
                                                <td><a href=Page::AdminUser(&u.user_id).path(&ns)>{u.email}</a></td>
                                                <td>
                                                    {if u.disabled { view! { <span class="badge warn">"disabled"</span> }.into_any() }
                                                     else { view! { <span class="badge ok">"active"</span> }.into_any() }}
                                                    {(!u.verified).then(|| view! { <span class="badge">"unconfirmed"</span> })}
                                                </td>
                                                <td>{if u.has_mfa { "on" } else { "off" }}</td>
                                                <td>{u.created}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <nav class="pager" aria-label="Pages">
                                    {first.map(|href| view! { <a href=href rel="first">"First page"</a> })}
                                    {next.map(|href| view! { <a href=href rel="next">"Next page"</a> })}
                                </nav>
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
pub fn NewUserPage() -> impl IntoView {
    let namespace = use_namespace();
    let create = form_action::<AdminCreateUser>();
    let error = action_error(create);
    // The choice comes back after a form posted without JavaScript failed.
    let chose_password = crate::form_errors::kept_value(crate::error::FormField::Mode.name())
        .as_deref()
        == Some("password");
    view! {
        <section class="card">
            <h1>"Create user"</h1>
            <FormAlert error id="create-error"/>
            <ActionForm action=create>
                <input type="hidden" name="namespace" value=namespace/>
                <Field label="Email" name="email" kind="email" error/>
                <fieldset>
                    <legend>"How they get in"</legend>
                    <label><input type="radio" name="mode" value="invite" checked=!chose_password/>" Send an invitation: they choose their password from a link (valid 72 hours)"</label>
                    <label><input type="radio" name="mode" value="password" checked=chose_password/>" Set an initial password now (they still confirm their address)"</label>
                </fieldset>
                <Field label="Initial password (only for the second choice)" name="password" kind="password"
                    autocomplete="new-password" required=false error/>
                <Field label="Repeat the password" name="password_confirm" kind="password"
                    autocomplete="new-password" required=false error/>
                <button type="submit">"Create user"</button>
            </ActionForm>
        </section>
    }
}
