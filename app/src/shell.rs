//! The frame around every page: the top bar with navigation for the signed-in person's roles,
//! and the impersonation banner whenever the session is an impersonation.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::caller::current_viewer;
use crate::pages::page_path;

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

#[component]
pub fn TopBar() -> impl IntoView {
    let location = use_location();
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
    view! {
        <a class="skip" href="#main">"Skip to content"</a>
        <header class="topbar">
            <span class="brand">"Gatehouse"</span>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    viewer.await.map(|v| {
                        let ns = v.namespace.clone();
                        view! {
                            <nav aria-label="Main">
                                <a href=page_path(&ns, "account")>"Account"</a>
                                <a href=page_path(&ns, "security")>"Security"</a>
                                <a href=page_path(&ns, "devices")>"Devices"</a>
                                <a href=page_path(&ns, "security/password")>"Password"</a>
                                <a href=page_path(&ns, "security/mfa")>"Two-step verification"</a>
                                <a href=page_path(&ns, "api-keys")>"API keys"</a>
                                {v.admin.then(|| view! { <a href=page_path(&ns, "admin")>"Admin"</a> })}
                                {v.operator.then(|| view! { <a href=page_path(&ns, "operator")>"Operator"</a> })}
                            </nav>
                            <span class="who">{v.email.clone()}</span>
                            {v.impersonation.clone().map(|imp| view! {
                                <div class="impersonation-banner" role="status">
                                    <strong>"Impersonation: "</strong>
                                    "you are acting as " {v.email.clone()}
                                    {imp.impersonator_email.map(|e| format!(" on behalf of {e}"))}
                                    {imp.reason.map(|r| format!(" — reason: {r}"))}
                                </div>
                            })}
                        }
                    })
                })}
            </Suspense>
        </header>
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
