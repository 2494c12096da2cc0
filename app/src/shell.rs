//! The frame around every page: the top bar with navigation for the signed-in person's roles,
//! and the impersonation banner whenever the session is an impersonation.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_location;

use crate::admin::impersonation::{impersonation_left_over, EndImpersonation};
use crate::caller::{current_viewer, Impersonation, MfaDue};

/// The namespace of a path (`/{ns}/...`), decoded; `None` for pages outside namespaces.
fn namespace_of(path: &str) -> Option<String> {
    let first = path.trim_start_matches('/').split('/').next()?;
    if first.is_empty() || first == "dev" {
        return None;
    }
    Some(percent_decode(first))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            if let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `path` is a page of the admin or operator console of `namespace`.
fn is_console_path(path: &str, namespace: &str) -> bool {
    namespace_of(path).as_deref() == Some(namespace)
        && path
            .trim_start_matches('/')
            .split('/')
            .nth(1)
            .is_some_and(|section| section == "admin" || section == "operator")
}

/// Whether `path` is the two-step verification page of `namespace` (where someone who owes a
/// second factor sets it up).
fn is_mfa_path(path: &str, namespace: &str) -> bool {
    namespace_of(path).as_deref() == Some(namespace)
        && path
            .trim_start_matches('/')
            .split('/')
            .skip(1)
            .collect::<Vec<_>>()
            == ["security", "mfa"]
}

#[component]
pub fn TopBar() -> impl IntoView {
    let location = use_location();
    // Signing out is on every page of a signed-in person.
    let sign_out = ServerAction::<crate::session::SignOut>::new();
    // Keyed on the path: signing in or out navigates, and the bar follows.
    let viewer = Resource::new(
        move || location.pathname.get(),
        |path| async move {
            match namespace_of(&path) {
                Some(ns) => current_viewer(ns).await.ok().flatten(),
                None => None,
            }
        },
    );
    let left_over = Resource::new(
        move || location.pathname.get(),
        |path| async move {
            match namespace_of(&path) {
                Some(ns) => impersonation_left_over(ns.clone())
                    .await
                    .ok()
                    .filter(|left| *left)
                    .map(|_| ns),
                None => None,
            }
        },
    );
    view! {
        <a class="skip" href="#main">"Skip to content"</a>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                left_over.await.map(|ns| {
                    let back = ServerAction::<EndImpersonation>::new();
                    view! {
                    <div class="impersonation-banner" role="status" id="impersonation-over">
                        <p>"The impersonation has ended."</p>
                        <ActionForm action=back>
                            <input type="hidden" name="namespace" value=ns/>
                            <button type="submit">"Back to your own session"</button>
                        </ActionForm>
                    </div>
                    }
                })
            })}
        </Suspense>
        <header class="topbar">
            <span class="brand">"Gatehouse"</span>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    viewer.await.map(|v| {
                        let ns = v.namespace.clone();
                        let sign_out_ns = ns.clone();
                        // The console is for admins and operators with two-step verification
                        // where their namespace asks for it: walk them to setting it up.
                        let path = location.pathname.get_untracked();
                        let enrol_first = v.mfa_due.filter(|due| match due {
                            MfaDue::Account => !is_mfa_path(&path, &ns),
                            MfaDue::Console => is_console_path(&path, &ns),
                        });
                        view! {
                            {enrol_first.map(|due| view! {
                                <crate::components::GoTo path=due.path(&ns)/>
                            })}
                            <nav aria-label="Main">
                                <a href=vocabulary::Page::Account.path(&ns)>"Account"</a>
                                <a href=vocabulary::Page::Security.path(&ns)>"Security"</a>
                                <a href=vocabulary::Page::Devices.path(&ns)>"Devices"</a>
                                <a href=vocabulary::Page::Password.path(&ns)>"Password"</a>
                                <a href=vocabulary::Page::Mfa.path(&ns)>"Two-step verification"</a>
                                <a href=vocabulary::Page::ApiKeys.path(&ns)>"API keys"</a>
                                {v.admin.then(|| view! { <a href=vocabulary::Page::Admin.path(&ns)>"Admin"</a> })}
                                {v.operator.then(|| view! { <a href=vocabulary::Page::Operator.path(&ns)>"Operator"</a> })}
                            </nav>
                            <span class="who">{v.email.clone()}</span>
                            <ActionForm action=sign_out attr:class="topbar-sign-out">
                                <input type="hidden" name="namespace" value=sign_out_ns/>
                                <button type="submit" class="secondary">"Sign out"</button>
                            </ActionForm>
                            {v.impersonation.clone().map(|imp| view! {
                                <ImpersonationBanner namespace=ns.clone() target=v.email.clone() imp/>
                            })}
                        }
                    })
                })}
            </Suspense>
        </header>
    }
}

/// Shown on every page while the session is an impersonation: who acts as whom, why, the time
/// left, and the way out. It has no close button. When the countdown reaches zero the page
/// ends the impersonation itself (without the bundle the server refuses the expired session
/// anyway and the shell offers the way back). An island: the countdown runs in the browser.
#[island]
fn ImpersonationBanner(namespace: String, target: String, imp: Impersonation) -> impl IntoView {
    let expires_at = imp.expires_at;
    let left = RwSignal::new(expires_at.map(|at| at - now_seconds()));
    #[cfg(feature = "hydrate")]
    {
        let ns = namespace.clone();
        let ended = StoredValue::new(false);
        if let Ok(handle) = set_interval_with_handle(
            move || {
                let remaining = expires_at.map(|at| at - now_seconds());
                left.set(remaining);
                if remaining.is_some_and(|r| r <= 0) && !ended.get_value() {
                    ended.set_value(true);
                    let ns = ns.clone();
                    // Its answer redirects to the admin's page, which the call follows.
                    leptos::task::spawn_local(async move {
                        let _ = crate::calls::call::<EndImpersonation>(&[("namespace", &ns)]).await;
                    });
                }
            },
            std::time::Duration::from_secs(1),
        ) {
            on_cleanup(move || handle.clear());
        }
    }
    let countdown = move || match left.get() {
        Some(s) if s > 0 => format!("{}:{:02} left", s / 60, s % 60),
        Some(_) => "time is up".to_owned(),
        None => String::new(),
    };
    let admin = imp
        .impersonator_email
        .unwrap_or_else(|| "An administrator".into());
    view! {
        <div class="impersonation-banner" role="region" aria-label="Impersonation" id="impersonation-banner">
            <p>
                <strong>{admin}</strong>" is signed in as "<strong>{target}</strong>". "
                {imp.ticket.map(|t| view! { "Support ticket " <span class="ticket">{t}</span>". " })}
                {imp.reason.map(|r| view! { "Reason: " <q class="reason">{r}</q>". " })}
                <span class="countdown" aria-live="off" id="impersonation-countdown">{countdown}</span>
            </p>
            // A plain post: ending is a full page change anyway.
            <form method="post" action=EndImpersonation::url()>
                <input type="hidden" name="namespace" value=namespace/>
                <button type="submit" class="danger">"End impersonation"</button>
            </form>
        </div>
    }
}

fn now_seconds() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        (leptos::web_sys::js_sys::Date::now() / 1000.0) as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_namespace_is_the_first_segment_decoded() {
        assert_eq!(namespace_of("/demo/account").as_deref(), Some("demo"));
        assert_eq!(namespace_of("/a%20b/sign-in").as_deref(), Some("a b"));
        assert_eq!(namespace_of("/dev/mailbox"), None);
        assert_eq!(namespace_of("/"), None);
    }
}
