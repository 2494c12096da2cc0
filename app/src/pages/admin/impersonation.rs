use leptos::prelude::*;

use super::query_value;
use crate::admin::impersonation::{
    admin_impersonations, AdminEndImpersonation, AdminSetImpersonationNotice,
};
use crate::components::action_error;
use crate::form_errors::form_action;
use crate::pages::use_namespace;
use vocabulary::Page;

#[component]
pub fn ImpersonationsPage() -> impl IntoView {
    let namespace = use_namespace();
    let end = form_action::<AdminEndImpersonation>();
    let notice = form_action::<AdminSetImpersonationNotice>();
    let end_error = action_error(end);
    let notice_error = action_error(notice);
    let error = Signal::derive(move || end_error.get().or(notice_error.get()));
    let admin = query_value("admin");
    let target = query_value("target");
    let since = query_value("since");
    let until = query_value("until");
    let ended = query_value(vocabulary::Notice::Ended.as_str());
    let data = Resource::new(
        move || {
            (
                namespace.get(),
                admin.get(),
                target.get(),
                since.get(),
                until.get(),
            )
        },
        |(ns, admin, target, since, until)| admin_impersonations(ns, admin, target, since, until),
    );
    view! {
        <section class="card wide">
            <h1>"Impersonations"</h1>
            {move || error.get().map(|e| view! { <p class="error" role="alert" tabindex="-1">{e.to_string()}</p> })}
            // Turning the notice off takes a recent sign-in: confirmed here, in place.
            <crate::components::SudoPrompt needed=Signal::derive(move || crate::components::needs_sudo(error))/>
            <p class="notice" role="status" hidden=move || ended.get().is_empty()>"The impersonation has ended."</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let v = match data.await {
                        Ok(v) => v,
                        Err(e) => return view! { <p class="error" role="alert" id="filter-error">{e.to_string()}</p> }.into_any(),
                    };
                    let ns = namespace.get_untracked();
                    view! {
                        <h2>"Running now"</h2>
                        {v.active.is_empty().then(|| view! { <p class="empty">"None."</p> })}
                        <table id="active-impersonations"><tbody>
                            {v.active.into_iter().map(|a| view! {
                                <tr>
                                    <td>{a.admin_email}" as "<a href=Page::AdminUser(&a.target_id).path(&ns)>{a.target_email}</a></td>
                                    <td>{a.reason}</td>
                                    <td>{format!("until {}", a.expires)}</td>
                                    <td><ActionForm action=end>
                                        <input type="hidden" name="namespace" value=namespace/>
                                        <input type="hidden" name="impersonation_id" value=a.impersonation_id/>
                                        <button type="submit" class="danger">"End"</button>
                                    </ActionForm></td>
                                </tr>
                            }).collect_view()}
                        </tbody></table>
                        <h2>"Notify people"</h2>
                        <ActionForm action=notice>
                            <input type="hidden" name="namespace" value=namespace/>
                            <label><input type="checkbox" name="notify" value="on" checked=v.notify_target/>
                                " Mail a person when an admin or platform support starts working as them"</label>
                            <button type="submit" class="secondary">"Save"</button>
                        </ActionForm>
                    }.into_any()
                })}
            </Suspense>
            // The history's filters sit above the table they filter.
            <h2>"History"</h2>
            <form method="get" class="filters" role="search" aria-label="Filter the history">
                <div class="field"><label for="admin">"Admin's email"</label><input id="admin" name="admin" type="search" value=admin/></div>
                <div class="field"><label for="target">"User's email"</label><input id="target" name="target" type="search" value=target/></div>
                <div class="field"><label for="since">"Started from (UTC)"</label><input id="since" name="since" type="datetime-local" value=since/></div>
                <div class="field"><label for="until">"Started before (UTC)"</label><input id="until" name="until" type="datetime-local" value=until/></div>
                <button type="submit">"Filter"</button>
                <a href=move || Page::AdminImpersonations.path(&namespace.get())>"Reset"</a>
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    data.await.ok().map(|v| view! {
                        <table id="impersonation-history">
                            <thead><tr><th scope="col">"Started"</th><th scope="col">"Admin"</th><th scope="col">"User"</th><th scope="col">"Reason"</th><th scope="col">"Ended"</th></tr></thead>
                            <tbody>
                                {v.history.into_iter().map(|i| view! {
                                    <tr><td>{i.started}</td><td>{i.admin_email}</td><td>{i.target_email}</td><td>{i.reason}</td>
                                    <td>{if i.active { "running".to_owned() } else { i.ended.unwrap_or_else(|| "expired".into()) }}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    })
                })}
            </Suspense>
        </section>
    }
}
