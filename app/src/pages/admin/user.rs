use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::query_value;
use crate::admin::impersonation::AdminImpersonate;
use crate::admin::user::*;
use crate::error::{AppError, FormField};
use crate::form_errors::{form_action, kept_value};
use crate::pages::use_namespace;
use vocabulary::{Done, Page};

/// The optional note an action records as its reason in the audit log.
#[component]
fn Note(id: &'static str) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>"Note for the audit log (optional)"</label>
            <input id=id name="reason" maxlength="500" autocomplete="off"/>
        </div>
    }
}

/// The audit log filtered to one resource.
fn history(namespace: &str, resource_type: &str, resource_id: &str) -> String {
    Page::AdminAudit.path_with(
        namespace,
        &[
            ("resource_type", resource_type),
            ("resource_id", resource_id),
        ],
    )
}

#[component]
pub fn UserPage() -> impl IntoView {
    let namespace = use_namespace();
    let params = use_params_map();
    let user_id = Signal::derive(move || params.read().get("id").unwrap_or_default());
    let done = query_value(Done::QUERY);

    let disable = form_action::<AdminDisableUser>();
    let enable = form_action::<AdminEnableUser>();
    let delete = form_action::<AdminDeleteUser>();
    let revoke_session = form_action::<AdminRevokeSession>();
    let revoke_sessions = form_action::<AdminRevokeSessions>();
    let remove_method = form_action::<AdminRemoveMethod>();
    let reset_methods = form_action::<AdminResetMethods>();
    let revoke_key = form_action::<AdminRevokeKey>();
    let send_reset = form_action::<AdminSendReset>();
    let resend = form_action::<AdminResendVerification>();
    let mark = form_action::<AdminMarkVerified>();
    let unlock = form_action::<AdminUnlockUser>();
    let impersonate = form_action::<AdminImpersonate>();

    // The page is rendered on the server only and anew after each post: the error, if any, is
    // the one a form's native post brought back in the URL, and only one action has it.
    macro_rules! outcome_of {
        ($($a:ident),*) => {
            Signal::derive(move || None::<AppError>$(.or_else(|| $a.value().get().and_then(Result::err)))*)
        };
    }
    let error = outcome_of!(
        disable,
        enable,
        delete,
        revoke_session,
        revoke_sessions,
        remove_method,
        reset_methods,
        revoke_key,
        send_reset,
        resend,
        mark,
        unlock,
        impersonate
    );
    let all_sessions = query_value("sessions");
    let account = Resource::new(
        move || {
            (
                namespace.get(),
                user_id.get(),
                done.get(),
                all_sessions.get(),
            )
        },
        |(ns, id, _, all)| admin_user(ns, id, all == "all"),
    );

    // The two hidden fields every action form posts.
    let ids = move || {
        view! {
            <input type="hidden" name="namespace" value=namespace/>
            <input type="hidden" name="user_id" value=user_id/>
        }
    };

    view! {
        <section class="card wide">
            {move || error.get().map(|e| view! { <p class="error" role="alert" tabindex="-1" id="action-error">{e.to_string()}</p> })}
            <crate::components::SudoPrompt needed=Signal::derive(move || crate::components::needs_sudo(error))/>
            <crate::pages::DoneNotice/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let a = match account.await {
                        Ok(a) => a,
                        Err(e) => return view! {
                            <h1>"User"</h1>
                            <p class="error" role="alert">{e.to_string()}</p>
                        }.into_any(),
                    };
                    let ns = namespace.get_untracked();
                    let audit_link = history(&ns, "user", &a.user_id);
                    let protected = a.admin || a.operator;
                    let (default_minutes, max_minutes) = a.impersonation_minutes;
                    // Actions with nothing to act on are not offered.
                    let signed_in_somewhere = !a.sessions.is_empty();
                    let has_methods = !a.methods.is_empty();
                    view! {
                        <h1 id="user-email">{a.email.clone()}</h1>
                        <dl class="facts" id="profile">
                            <dt>"Status"</dt>
                            <dd id="user-status">{match &a.disabled { Some(t) => format!("Disabled since {t}"), None => "Active".into() }}</dd>
                            <dt>"Email confirmed"</dt>
                            <dd id="user-verified">{a.verified.clone().unwrap_or_else(|| "Not yet".into())}</dd>
                            <dt>"Created"</dt><dd>{a.created.clone()}</dd>
                            <dt>"Roles"</dt>
                            <dd>{match (a.admin, a.operator) { (true, true) => "Admin, operator", (true, false) => "Admin", (false, true) => "Operator", _ => "User" }}</dd>
                            <dt>"Locked out"</dt>
                            <dd id="user-locked">{if a.locked_out { "Yes" } else { "No" }}</dd>
                        </dl>
                        <p><a href=audit_link.clone()>"Full audit history of this user"</a></p>

                        <h2>"Actions"</h2>
                        <div class="actions">
                            {if a.disabled.is_some() {
                                view! {
                                    <ActionForm action=enable>{ids()}<button type="submit">"Enable account"</button></ActionForm>
                                }.into_any()
                            } else {
                                view! {
                                    <details class="confirm" open=move || matches!(disable.value().get(), Some(Err(_)))>
                                        <summary>"Disable account…"</summary>
                                        <p>"They are signed out everywhere and cannot sign in until enabled again."</p>
                                        <ActionForm action=disable>{ids()}<Note id="disable-note"/><button type="submit" class="danger">"Disable account"</button></ActionForm>
                                    </details>
                                }.into_any()
                            }}
                            <ActionForm action=send_reset>{ids()}<button type="submit" class="secondary">"Send password-reset mail"</button></ActionForm>
                            {a.verified.is_none().then(|| view! {
                                <ActionForm action=resend>{ids()}<button type="submit" class="secondary">"Resend confirmation mail"</button></ActionForm>
                                <ActionForm action=mark>{ids()}<button type="submit" class="secondary">"Mark email as confirmed"</button></ActionForm>
                            })}
                            {a.locked_out.then(|| view! {
                                <ActionForm action=unlock attr:class="inline-form">
                                    {ids()}
                                    <label for="unlock-reason">"Reason for unlocking"</label>
                                    <input id="unlock-reason" name="reason" required minlength="10" maxlength="500"/>
                                    <button type="submit">"Unlock"</button>
                                </ActionForm>
                            })}
                            // Open again after a failed attempt (a form posted without JavaScript
                            // comes back on a page rendered anew).
                            <details class="confirm" open=move || matches!(delete.value().get(), Some(Err(_)))>
                                <summary>"Delete user…"</summary>
                                <ActionForm action=delete>
                                    {ids()}
                                    <label for="confirm_email">"Type " <strong>{a.email.clone()}</strong> " to delete this user and everything they hold. This cannot be undone."</label>
                                    <input id="confirm_email" name="confirm_email" autocomplete="off" required value=kept_value(FormField::ConfirmEmail.name())/>
                                    <Note id="delete-note"/>
                                    <button type="submit" class="danger">"Delete user"</button>
                                </ActionForm>
                            </details>
                        </div>

                        <h2>"Impersonate"</h2>
                        {if a.is_self {
                            view! { <p class="muted">"This is your own account."</p> }.into_any()
                        } else if protected {
                            view! { <p class="muted">"Admins and operators cannot be impersonated."</p> }.into_any()
                        } else if a.disabled.is_some() {
                            view! { <p class="muted">"Enable the account to impersonate it."</p> }.into_any()
                        } else {
                            view! {
                                <ActionForm action=impersonate attr:id="impersonate-form">
                                    {ids()}
                                    <div class="field">
                                        <label for="reason">"Justification (at least 10 characters; shown to the user and kept in the audit log)"</label>
                                        <input id="reason" name="reason" required minlength="10" maxlength="500" value=kept_value(FormField::Reason.name())/>
                                    </div>
                                    <div class="field">
                                        <label for="minutes">{format!("Duration in minutes (at most {max_minutes})")}</label>
                                        <input id="minutes" name="minutes" type="number" min="1" max=max_minutes value=kept_value(FormField::Duration.name()).unwrap_or_else(|| default_minutes.to_string())/>
                                    </div>
                                    <button type="submit">"Start impersonation"</button>
                                </ActionForm>
                            }.into_any()
                        }}

                        <h2>"Sessions"</h2>
                        {a.sessions.is_empty().then(|| view! { <p class="empty">"Not signed in anywhere."</p> })}
                        {(a.sessions_total > a.sessions.len() && all_sessions.get_untracked() != "all").then(|| view! {
                            <p class="muted" id="sessions-shown">
                                {format!("The newest {} of {} sessions. ", a.sessions.len(), a.sessions_total)}
                                <a href=Page::AdminUser(&a.user_id).path_with(&ns, &[("sessions", "all")])>{format!("Show up to {SESSIONS_ALL}")}</a>
                            </p>
                        })}
                        <table id="sessions"><tbody>
                            {a.sessions.into_iter().map(|s| view! {
                                <tr>
                                    <td><a href=history(&ns, "session", &s.session_id) title=s.user_agent.unwrap_or_default()>{s.device}</a></td>
                                    <td>{s.ip_address.unwrap_or_default()}</td>
                                    <td>{format!("since {}", s.created)}</td>
                                    <td><ActionForm action=revoke_session>{ids()}
                                        <input type="hidden" name="session_id" value=s.session_id/>
                                        <button type="submit" class="secondary">"Sign out"</button>
                                    </ActionForm></td>
                                </tr>
                            }).collect_view()}
                        </tbody></table>
                        {signed_in_somewhere.then(|| view! {
                            <ActionForm action=revoke_sessions>{ids()}<button type="submit" class="secondary">"Sign out everywhere"</button></ActionForm>
                        })}

                        <h2>"Two-step verification"</h2>
                        {a.methods.is_empty().then(|| view! { <p class="empty">"No second factor."</p> })}
                        <table id="methods"><tbody>
                            {a.methods.into_iter().map(|m| view! {
                                <tr>
                                    <td>{m.kind}{m.name.map(|n| format!(" — {n}"))}</td>
                                    <td>{format!("added {}", m.created)}</td>
                                    <td>{m.last_used.map(|t| format!("last used {t}")).unwrap_or_else(|| "never used".into())}</td>
                                    <td><ActionForm action=remove_method>{ids()}
                                        <input type="hidden" name="mfa_id" value=m.mfa_id/>
                                        <button type="submit" class="secondary">"Remove"</button>
                                    </ActionForm></td>
                                </tr>
                            }).collect_view()}
                        </tbody></table>
                        {has_methods.then(|| view! {
                            <details class="confirm">
                                <summary>"Reset two-step verification…"</summary>
                                <p>"Removes every authenticator app, passkey and recovery code of this user."</p>
                                <ActionForm action=reset_methods>{ids()}<Note id="reset-methods-note"/><button type="submit" class="danger">"Remove all methods"</button></ActionForm>
                            </details>
                        })}

                        <h2>"API keys"</h2>
                        {a.api_keys.is_empty().then(|| view! { <p class="empty">"No active key."</p> })}
                        <table id="api-keys"><tbody>
                            {a.api_keys.into_iter().map(|k| view! {
                                <tr>
                                    <td><a href=history(&ns, "api_key", &k.key_id) title="Audit history of this key">{k.name.unwrap_or_else(|| "unnamed".into())}</a></td>
                                    <td>{format!("created {}", k.created)}</td>
                                    <td>{k.expires.map(|t| format!("expires {t}")).unwrap_or_else(|| "never expires".into())}</td>
                                    <td><ActionForm action=revoke_key>{ids()}
                                        <input type="hidden" name="key_id" value=k.key_id/>
                                        <button type="submit" class="secondary">"Revoke"</button>
                                    </ActionForm></td>
                                </tr>
                            }).collect_view()}
                        </tbody></table>

                        <h2>"Recent sign-in attempts"</h2>
                        {a.attempts.is_empty().then(|| view! { <p class="empty">"None recorded."</p> })}
                        <table id="attempts"><tbody>
                            {a.attempts.into_iter().map(|t| view! {
                                <tr><td>{t.at}</td><td>{if t.success { "succeeded" } else { "failed" }}</td><td>{t.ip_address.unwrap_or_default()}</td></tr>
                            }).collect_view()}
                        </tbody></table>

                        <h2>"Audit timeline"</h2>
                        <p class="muted">"The most recent events. "<a href=audit_link>"Everything in the audit log"</a></p>
                        <crate::pages::admin::audit::AuditTable id="timeline" lines=a.timeline namespace=ns.clone()/>

                        <h2>"Platform support access to this user"</h2>
                        {a.support_accesses.is_empty().then(|| view! { <p class="empty">"Never."</p> })}
                        <table id="user-support-accesses"><tbody>
                            {a.support_accesses.into_iter().map(|l| view! {
                                <tr><td>{l.started}</td><td>{l.operator_email}</td><td>{l.ticket}</td><td>{l.reason}</td>
                                <td>{if l.active { format!("until {} (running)", l.until) } else { format!("until {}", l.until) }}</td></tr>
                            }).collect_view()}
                        </tbody></table>

                        <h2>"Impersonations of this user"</h2>
                        {a.impersonations.is_empty().then(|| view! { <p class="empty">"Never impersonated."</p> })}
                        <table id="user-impersonations"><tbody>
                            {a.impersonations.into_iter().map(|i| view! {
                                <tr><td>{i.started}</td><td>{i.admin_email}</td><td>{i.reason}</td>
                                <td>{if i.active { "running".to_owned() } else { i.ended.map(|t| format!("ended {t}")).unwrap_or_else(|| "expired".into()) }}</td></tr>
                            }).collect_view()}
                        </tbody></table>
                    }.into_any()
                })}
            </Suspense>
        </section>
    }
}
