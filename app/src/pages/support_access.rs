//! The operator console's way to a customer's user, for the ticket of a support case: search a
//! namespace's users by part of the address, open one user's support view (read only; recorded
//! in the customer's audit trail), and start support access from there.

use leptos::prelude::*;

use crate::components::{action_error, Field, FormAlert, NamespaceInput};
use crate::error::AppError;
use crate::form_errors::form_action;
use crate::pages::admin::query_value;
use crate::pages::use_namespace;
use crate::support_access::{
    operator_audit, operator_find_users, operator_user_view, StartApprovedSupportAccess,
    StartSupportAccess,
};
use crate::support_requests::operator_support_requests;
use vocabulary::{OperatorEventType, Page};

#[component]
pub fn OperatorUsersPage() -> impl IntoView {
    let namespace = use_namespace();
    let target = query_value("target_namespace");
    let ticket = query_value("ticket");
    let email = query_value("email");
    let after = query_value("after");
    let found = Resource::new(
        move || {
            (
                namespace.get(),
                target.get(),
                ticket.get(),
                email.get(),
                after.get(),
            )
        },
        |(ns, target, ticket, email, after)| async move {
            if target.is_empty() {
                return Ok(None);
            }
            operator_find_users(ns, target, ticket, email, after)
                .await
                .map(Some)
        },
    );
    view! {
        <section class="card wide">
            <h1>"Find a user"</h1>
            <form method="get" class="filters" role="search" aria-label="Find a user">
                <div class="field"><label for="target_namespace">"Organisation"</label>
                    <input id="target_namespace" name="target_namespace" required value=target/></div>
                <div class="field"><label for="ticket">"Ticket"</label>
                    <input id="ticket" name="ticket" required placeholder="SUP-1234" value=ticket/></div>
                <div class="field"><label for="email">"Part of the address"</label>
                    <input id="email" name="email" value=email/></div>
                <button type="submit">"Search"</button>
            </form>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let ns = namespace.get_untracked();
                    let target = target.get_untracked();
                    let ticket = ticket.get_untracked();
                    match found.await {
                        Ok(None) => ().into_any(),
                        Ok(Some(list)) if list.users.is_empty() => view! { <p class="empty">"No user matches."</p> }.into_any(),
                        Ok(Some(list)) => {
                            let next = list.next.map(|n| Page::OperatorUsers.path_with(&ns, &[
                                ("target_namespace", &target), ("ticket", &ticket), ("email", &email.get_untracked()), ("after", &n),
                            ]));
                            view! {
                                <table id="found-users"><tbody>
                                    {list.users.into_iter().map(|u| view! {
                                        <tr>
                                            <td><a href=Page::OperatorUser.path_with(&ns, &[("target_namespace", &target), ("ticket", &ticket), ("id", &u.id)])>{u.email}</a></td>
                                            <td>{if u.verified { "confirmed" } else { "not confirmed" }}</td>
                                            <td>{if u.disabled { "disabled" } else { "" }}</td>
                                            <td>{if u.has_mfa { "two-step on" } else { "" }}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody></table>
                                {next.map(|href| view! { <p><a href=href>"Next page"</a></p> })}
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
pub fn OperatorUserPage() -> impl IntoView {
    let namespace = use_namespace();
    let target = query_value("target_namespace");
    let ticket = query_value("ticket");
    let id = query_value("id");
    let view_data = Resource::new(
        move || (namespace.get(), target.get(), ticket.get(), id.get()),
        |(ns, target, ticket, id)| operator_user_view(ns, target, ticket, id),
    );
    let start = form_action::<StartSupportAccess>();
    let error = action_error(start);
    view! {
        <section class="card wide">
            <p><a href=move || Page::OperatorUsers.path_with(&namespace.get(), &[("target_namespace", &target.get()), ("ticket", &ticket.get())])>"← Find a user"</a></p>
            <crate::components::SudoPrompt needed=Signal::derive(move || crate::components::needs_sudo(error))/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let v = match view_data.await {
                        Ok(v) => v,
                        Err(e) => return view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    };
                    view! {
                        <h1>{v.email.clone()}</h1>
                        <dl id="support-view">
                            <dt>"Organisation"</dt><dd>{v.namespace.clone()}</dd>
                            <dt>"Ticket"</dt><dd id="support-view-ticket">{v.ticket.clone()}</dd>
                            <dt>"Address"</dt><dd>{v.verified.clone().map(|t| format!("confirmed {t}")).unwrap_or_else(|| "not confirmed".into())}</dd>
                            <dt>"Account"</dt><dd>{v.disabled.clone().map(|t| format!("disabled {t}")).unwrap_or_else(|| "enabled".into())}</dd>
                            <dt>"Locked out"</dt><dd>{if v.locked_out { "yes" } else { "no" }}</dd>
                            <dt>"Two-step methods"</dt><dd>{if v.methods.is_empty() { "none".to_owned() } else { v.methods.join(", ") }}</dd>
                        </dl>
                        <h2>"Sessions"</h2>
                        {v.sessions.is_empty().then(|| view! { <p class="empty">"Not signed in anywhere."</p> })}
                        <ul id="support-view-sessions">{v.sessions.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul>
                        <h2>"Recent sign-in attempts"</h2>
                        {v.attempts.is_empty().then(|| view! { <p class="empty">"None."</p> })}
                        <ul id="support-view-attempts">{v.attempts.into_iter().map(|a| view! { <li>{a}</li> }).collect_view()}</ul>
                        <h2>"Support access"</h2>
                        {if v.protected {
                            view! { <p class="muted">"Admins and operators cannot be reached by support access."</p> }.into_any()
                        } else if v.disabled.is_some() {
                            view! { <p class="muted">"The account is disabled."</p> }.into_any()
                        } else {
                            view! {
                                <ActionForm action=start attr:id="support-access-form">
                                    <NamespaceInput/>
                                    <input type="hidden" name="target_namespace" value=v.namespace/>
                                    <input type="hidden" name="email" value=v.email/>
                                    // The case's ticket, which the view was read for.
                                    <input type="hidden" name="ticket" value=v.ticket/>
                                    <Field label="Reason (10 to 500 characters; shown to the user and kept in the audit log)" name="reason" error/>
                                    <BreakGlassField error/>
                                    <FormAlert error id="support-access-error"/>
                                    <button type="submit">"Start support access"</button>
                                </ActionForm>
                            }.into_any()
                        }}
                    }.into_any()
                })}
            </Suspense>
        </section>
    }
}

/// "Break glass": a second reason that starts the access at once in an organisation that
/// requires its admins' approval. Folded away: it is the exception.
#[component]
pub(crate) fn BreakGlassField(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    // Open again when its reason was refused or came back after a failure.
    let open = move || {
        crate::form_errors::kept_value(crate::error::FormField::BreakGlass.name()).is_some()
            || error
                .get()
                .is_some_and(|e| e.field_name() == Some(crate::error::FormField::BreakGlass.name()))
    };
    view! {
        <details class="break-glass" open=open>
            <summary>"The organisation requires approval and this cannot wait (break glass)"</summary>
            <Field label="Why this cannot wait for an admin's approval (10 to 500 characters; mailed to all its admins at once)" name="break_glass" required=false error/>
        </details>
    }
}

/// The operator's own requests for approval, with Start for an approved one.
#[component]
pub(crate) fn OperatorRequests() -> impl IntoView {
    let namespace = use_namespace();
    let start = form_action::<StartApprovedSupportAccess>();
    let error = action_error(start);
    // A request made on this page comes back with `?done=…`: read the list again then.
    let done = query_value(vocabulary::Done::QUERY);
    let requests = Resource::new(
        move || (namespace.get(), done.get()),
        |(ns, _)| operator_support_requests(ns),
    );
    view! {
        {move || error.get().map(|e| view! { <p class="error" role="alert" tabindex="-1" id="support-request-error">{e.to_string()}</p> })}
        <crate::components::SudoPrompt needed=Signal::derive(move || crate::components::needs_sudo(error))/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let Ok(Some(list)) = requests.await else {
                    // Not an operator, or no operator pool: the page says so elsewhere.
                    return ().into_any();
                };
                view! {
                    <h3>"Your requests"</h3>
                    {list.is_empty().then(|| view! { <p class="empty">"None."</p> })}
                    <table id="my-support-requests"><tbody>
                        {list.into_iter().map(|r| view! {
                            <tr>
                                <td>{format!("{} in {}", r.target_email, r.target_namespace)}</td>
                                <td>{r.ticket}</td>
                                <td>{r.status}</td>
                                <td>{if r.decided_by.is_empty() { String::new() } else if r.note.is_empty() { format!("by {}", r.decided_by) } else { format!("by {}: {}", r.decided_by, r.note) }}</td>
                                <td>{r.startable.then(|| view! {
                                    <ActionForm action=start>
                                        <NamespaceInput/>
                                        <input type="hidden" name="request_id" value=r.id.clone()/>
                                        <button type="submit">"Start"</button>
                                    </ActionForm>
                                })}</td>
                            </tr>
                        }).collect_view()}
                    </tbody></table>
                }.into_any()
            })}
        </Suspense>
    }
}

/// The operator audit log: support accesses started and ended, requests and decisions, with
/// filters (operator, organisation, ticket, event type, time); the newest 500 are shown, the
/// export has them all.
#[component]
pub fn OperatorAuditPage() -> impl IntoView {
    let namespace = use_namespace();
    let event_type = query_value("event_type");
    let target = query_value("target_namespace");
    let operator = query_value("operator");
    let ticket = query_value("ticket");
    let since = query_value("since");
    let until = query_value("until");
    let export_link = move |format: &'static str| {
        Page::OperatorAuditExport.path_with(
            &namespace.get(),
            &[
                ("format", format),
                ("event_type", &event_type.get()),
                ("target_namespace", &target.get()),
                ("operator", &operator.get()),
                ("ticket", &ticket.get()),
                ("since", &since.get()),
                ("until", &until.get()),
            ],
        )
    };
    let events = Resource::new(
        move || {
            (
                namespace.get(),
                event_type.get(),
                target.get(),
                operator.get(),
                ticket.get(),
                since.get(),
                until.get(),
            )
        },
        |(ns, t, target, op, ticket, since, until)| {
            operator_audit(ns, t, target, op, ticket, since, until)
        },
    );
    view! {
        <section class="card wide">
            <h1>"Operator audit log"</h1>
            <form method="get" class="filters" role="search" aria-label="Filter operator events">
                <div class="field"><label for="event_type">"Event"</label>
                    <select id="event_type" name="event_type">
                        <option value="">"Any"</option>
                        {OperatorEventType::ALL.iter().map(|t| view! {
                            <option value=t.as_str() selected=move || event_type.get() == t.as_str()>{t.label()}</option>
                        }).collect_view()}
                    </select></div>
                <div class="field"><label for="target_namespace">"Organisation"</label><input id="target_namespace" name="target_namespace" value=target/></div>
                <div class="field"><label for="operator">"Operator's email"</label><input id="operator" name="operator" value=operator/></div>
                <div class="field"><label for="ticket">"Ticket"</label><input id="ticket" name="ticket" value=ticket/></div>
                <div class="field"><label for="since">"From (UTC)"</label><input id="since" name="since" type="datetime-local" value=since/></div>
                <div class="field"><label for="until">"Until (UTC)"</label><input id="until" name="until" type="datetime-local" value=until/></div>
                <button type="submit">"Filter"</button>
                <a href=move || Page::OperatorAudit.path(&namespace.get())>"Reset"</a>
            </form>
            <p>"Export what is shown: "
                <a id="operator-export-csv" download href=move || export_link("csv")>"CSV"</a>" · "
                <a id="operator-export-json" download href=move || export_link("json")>"JSON"</a></p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match events.await {
                        Ok(None) => view! { <p class="muted">"Support access is not configured on this server."</p> }.into_any(),
                        Ok(Some(list)) if list.is_empty() => view! { <p class="empty">"No event matches."</p> }.into_any(),
                        Ok(Some(list)) => view! {
                            <table id="operator-audit">
                                <thead><tr><th scope="col">"When"</th><th scope="col">"Event"</th><th scope="col">"Operator"</th><th scope="col">"User"</th><th scope="col">"Ticket"</th><th scope="col">"Reason"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|e| view! {
                                        <tr><td>{e.when}</td><td><code>{e.event_type}</code></td><td>{e.operator_email}</td><td>{e.target}</td><td>{e.ticket}</td><td>{e.reason}</td></tr>
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
