//! The customer's view of platform support: whether it needs the admins' approval, the
//! requests to decide, and every support access into this namespace, running and past, with
//! the operator, the ticket and the reason.

use leptos::prelude::*;

use crate::components::{action_error, NamespaceInput};
use crate::form_errors::form_action;
use crate::pages::use_namespace;
use crate::support_access::admin_support_access;
use crate::support_requests::{
    admin_support_requests, AdminDecideSupportRequest, AdminSetSupportApproval, SupportRequestLine,
};
use vocabulary::Page;

#[component]
pub fn SupportAccessPage() -> impl IntoView {
    let namespace = use_namespace();
    let list = Resource::new(move || namespace.get(), admin_support_access);
    view! {
        <section class="card wide">
            <h1>"Support access"</h1>
            <crate::pages::DoneNotice/>
            <SupportRequests/>
            <h2>"Accesses"</h2>
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

/// The approval setting and the requests: pending ones with Approve and Deny, then the rest.
#[component]
fn SupportRequests() -> impl IntoView {
    let namespace = use_namespace();
    let setting = form_action::<AdminSetSupportApproval>();
    let decide = form_action::<AdminDecideSupportRequest>();
    let setting_error = action_error(setting);
    let decide_error = action_error(decide);
    let error = Signal::derive(move || decide_error.get().or(setting_error.get()));
    let data = Resource::new(move || namespace.get(), admin_support_requests);
    view! {
        {move || error.get().map(|e| view! { <p class="error" role="alert" tabindex="-1" id="support-request-error">{e.to_string()}</p> })}
        <crate::components::SudoPrompt needed=Signal::derive(move || crate::components::needs_sudo(error))/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let v = match data.await {
                    Ok(v) => v,
                    Err(e) => return view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                };
                let (pending, decided): (Vec<_>, Vec<_>) = v.requests.into_iter().partition(|r| r.pending);
                view! {
                    <ActionForm action=setting attr:id="support-approval-form">
                        <NamespaceInput/>
                        <label><input type="checkbox" name="needs_approval" value="on" checked=v.needs_approval/>
                            " Support access needs our approval: an operator asks first, and one of our admins approves or denies"</label>
                        <button type="submit" class="secondary">"Save"</button>
                    </ActionForm>
                    <h2>"Requests waiting for a decision"</h2>
                    {pending.is_empty().then(|| view! { <p class="empty" id="support-requests-empty">"None."</p> })}
                    <ul id="pending-support-requests" class="requests">
                        {pending.into_iter().map(|r| view! { <PendingRequest request=r decide/> }).collect_view()}
                    </ul>
                    <h2>"Decided requests and break-glass accesses"</h2>
                    {decided.is_empty().then(|| view! { <p class="empty">"None."</p> })}
                    <table id="support-requests">
                        <thead><tr><th scope="col">"Operator"</th><th scope="col">"User"</th><th scope="col">"Ticket"</th><th scope="col">"Asked"</th><th scope="col">"Status"</th><th scope="col">"Note"</th></tr></thead>
                        <tbody>
                            {decided.into_iter().map(|r| view! {
                                <tr>
                                    <td>{r.operator_email}</td>
                                    <td>{r.target_email}</td>
                                    <td>{r.ticket}</td>
                                    <td>{r.requested}</td>
                                    <td>{r.status}</td>
                                    <td>{if r.break_glass.is_empty() {
                                        if r.decided_by.is_empty() { String::new() } else { format!("{}: {}", r.decided_by, r.note) }
                                    } else {
                                        format!("Why it could not wait: {}", r.break_glass)
                                    }}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            })}
        </Suspense>
    }
}

/// One request waiting for a decision: what is asked, and Approve or Deny with a note.
#[component]
fn PendingRequest(
    request: SupportRequestLine,
    decide: ServerAction<AdminDecideSupportRequest>,
) -> impl IntoView {
    let note_id = format!("note-{}", request.id);
    view! {
        <li class="request">
            <p><strong>{request.operator_email}</strong>" asks to work as "<strong>{request.target_email}</strong>
                {format!(" for up to {} minutes, for ticket {}.", request.minutes, request.ticket)}</p>
            <p>"Reason: "{request.reason}</p>
            <p class="muted">{format!("Asked {}; {}.", request.requested, request.status)}</p>
            <ActionForm action=decide>
                <NamespaceInput/>
                <input type="hidden" name="request_id" value=request.id/>
                <div class="field">
                    <label for=note_id.clone()>"Note for the operator and the audit log (optional)"</label>
                    <input id=note_id name="note" maxlength="500" autocomplete="off"/>
                </div>
                <button type="submit" name="decision" value=vocabulary::SupportDecision::Approve.as_str()>"Approve"</button>
                " "
                <button type="submit" name="decision" value=vocabulary::SupportDecision::Deny.as_str() class="danger">"Deny"</button>
            </ActionForm>
        </li>
    }
}
