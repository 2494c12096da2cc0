//! The customer's view of platform support: every support access into this namespace, running
//! and past, with the operator, the ticket and the reason.

use leptos::prelude::*;

use super::AdminNav;
use crate::pages::use_namespace;
use crate::support_access::admin_support_access;
use vocabulary::Page;

#[component]
pub fn SupportAccessPage() -> impl IntoView {
    let namespace = use_namespace();
    let list = Resource::new(move || namespace.get(), admin_support_access);
    view! {
        <section class="card wide">
            <AdminNav namespace current=Page::AdminSupportAccess/>
            <h1>"Support access"</h1>
            <p class="muted">"Every time the platform's support team worked as one of your users: who, for which ticket, why and when."</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let ns = namespace.get_untracked();
                    match list.await {
                        Ok(None) => view! { <p class="muted">"Support access is not configured on this server."</p> }.into_any(),
                        Ok(Some(lines)) if lines.is_empty() => view! { <p class="empty" id="support-accesses-empty">"Platform support has never worked as one of your users."</p> }.into_any(),
                        Ok(Some(lines)) => view! {
                            <table id="support-accesses">
                                <thead><tr><th scope="col">"Operator"</th><th scope="col">"User"</th><th scope="col">"Ticket"</th><th scope="col">"Reason"</th><th scope="col">"From"</th><th scope="col">"Until"</th></tr></thead>
                                <tbody>
                                    {lines.into_iter().map(|l| view! {
                                        <tr class:active=l.active>
                                            <td>{l.operator_email}</td>
                                            <td><a href=Page::AdminUser(&l.target_user_id).path(&ns)>{l.target_email}</a></td>
                                            <td>{l.ticket}</td>
                                            <td>{l.reason}</td>
                                            <td>{l.started}</td>
                                            <td>{if l.active { format!("{} (running)", l.until) } else { l.until }}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
