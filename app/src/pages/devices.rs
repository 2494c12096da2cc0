use leptos::prelude::*;

use crate::components::{action_error, use_query_count, FormAlert};
use crate::devices::{
    my_devices, new_device_mail, SetNewDeviceMail, SignOutDevice, SignOutOtherDevices,
};
use crate::form_errors::form_action;
use crate::pages::use_namespace;

#[component]
pub fn DevicesPage() -> impl IntoView {
    let namespace = use_namespace();
    let sign_out_one = form_action::<SignOutDevice>();
    let sign_out_others = form_action::<SignOutOtherDevices>();
    // The list reloads after either action.
    let devices = Resource::new(move || namespace.get(), my_devices);
    let one_error = action_error(sign_out_one);
    let others_error = action_error(sign_out_others);
    let error = Signal::derive(move || one_error.get().or(others_error.get()));
    let others_done = use_query_count(
        "signed_out",
        "No other device was signed in.",
        "1 other device was signed out.",
        "{n} other devices were signed out.",
    );

    view! {
        <section class="card">
            <h1>"Devices"</h1>
            <p class="muted">"Where your account is signed in. Sign out anything you do not recognise, then change your password."</p>
            <FormAlert error id="devices-error"/>
            <p class="notice" role="status" hidden=move || others_done.get().is_none()>{others_done}</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match devices.await {
                        Ok(list) => view! {
                            <table class="devices">
                                <thead>
                                    <tr>
                                        <th scope="col">"Device"</th>
                                        <th scope="col">"IP address"</th>
                                        <th scope="col">"Signed in"</th>
                                        <th scope="col">"Last active"</th>
                                        <th scope="col"><span class="visually-hidden">"Action"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|d| {
                                        let label = format!("{} on {} ({})", d.browser, d.system, d.kind);
                                        view! {
                                            <tr class:current=d.current>
                                                <td>{label.clone()}
                                                    {d.current.then(|| view! { <span class="badge ok">"this device"</span> })}
                                                </td>
                                                <td>{d.ip_address.unwrap_or_else(|| "unknown".into())}</td>
                                                <td>{d.signed_in}</td>
                                                <td>{d.last_active}</td>
                                                <td>
                                                    {(!d.current).then(|| view! {
                                                        <ActionForm action=sign_out_one>
                                                            <input type="hidden" name="namespace" value=namespace/>
                                                            <input type="hidden" name="session_id" value=d.session_id.clone()/>
                                                            <button type="submit" class="secondary"
                                                                aria-label=format!("Sign out {label}")>"Sign out"</button>
                                                        </ActionForm>
                                                    })}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <ActionForm action=sign_out_others attr:class="inline">
                                <input type="hidden" name="namespace" value=namespace/>
                                <button type="submit">
                                    "Sign out all other devices"
                                </button>
                            </ActionForm>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <NewDeviceMail/>
        </section>
    }
}

/// The owner's choice of the "was this you?" mail.
#[component]
fn NewDeviceMail() -> impl IntoView {
    let namespace = use_namespace();
    let save = form_action::<SetNewDeviceMail>();
    let error = action_error(save);
    let saved = crate::pages::admin::query_value("alerts");
    let setting = Resource::new(move || namespace.get(), new_device_mail);
    view! {
        <h2 id="sign-in-alerts">"Sign-in alerts"</h2>
        <crate::components::SudoPrompt needed=Signal::derive(move || crate::components::needs_sudo(error))/>
        <p class="notice" role="status" hidden=move || saved.get().is_empty()>
            {move || if saved.get() == "off" { "Sign-in alerts are off." } else { "Sign-in alerts are on." }}
        </p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                setting.await.ok().map(|on| view! {
                    <ActionForm action=save attr:class="form" attr:id="new-device-mail-form">
                        <input type="hidden" name="namespace" value=namespace/>
                        <label class="check">
                            <input type="checkbox" name="on" value="1" checked=on/>
                            " Email me when my account is signed in to from a browser or device it has not used in the last 90 days"
                        </label>
                        <FormAlert error id="new-device-mail-error"/>
                        <button type="submit" class="secondary">"Save"</button>
                    </ActionForm>
                })
            })}
        </Suspense>
    }
}
