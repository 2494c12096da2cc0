//! The frame of the admin and operator consoles: who may see them, and their layout. Every
//! console page is a child of one of the two frames below, so no console markup is rendered
//! for anyone the frame turns away: a visitor who is not signed in is sent to the sign-in page
//! and brought back afterwards; a signed-in person without the role gets a 403 page that says
//! what they can do instead. (The server functions behind the pages check the role again on
//! every call; the frame only decides what is shown.)

use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_location;

use crate::caller::{current_viewer, MfaDue, Viewer};
use crate::components::GoTo;
use crate::pages::use_namespace;
use vocabulary::Page;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Console {
    Admin,
    Operator,
}

impl Console {
    fn admits(self, viewer: &Viewer) -> bool {
        match self {
            Console::Admin => viewer.admin,
            Console::Operator => viewer.operator,
        }
    }

    /// The side navigation: each section's page and its label.
    fn sections(self) -> &'static [(Page<'static>, &'static str)] {
        match self {
            Console::Admin => &[
                (Page::Admin, "Dashboard"),
                (Page::AdminUsers, "Users"),
                (Page::AdminLockouts, "Lockouts"),
                (Page::AdminImpersonations, "Impersonations"),
                (Page::AdminAudit, "Audit log"),
                (Page::AdminSupportAccess, "Support access"),
            ],
            Console::Operator => &[
                (Page::Operator, "Support access"),
                (Page::OperatorUsers, "Find a user"),
                (Page::OperatorAudit, "Audit log"),
            ],
        }
    }

    fn label(self) -> &'static str {
        match self {
            Console::Admin => "Administration",
            Console::Operator => "Platform operations",
        }
    }
}

/// `/{ns}/admin/…`: the admin console, for the namespace's admins.
#[component]
pub fn AdminConsole() -> impl IntoView {
    frame(Console::Admin)
}

/// `/{ns}/operator/…`: the operator console, for platform operators.
#[component]
pub fn OperatorConsole() -> impl IntoView {
    frame(Console::Operator)
}

fn frame(console: Console) -> impl IntoView {
    let namespace = use_namespace();
    let location = use_location();
    let (pathname, search) = (location.pathname, location.search);
    let viewer = Resource::new(move || namespace.get(), current_viewer);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let ns = namespace.get_untracked();
                match viewer.await {
                    // The shell is already sending them to set up two-step verification,
                    // which their namespace requires before anything else.
                    Ok(Some(v)) if v.mfa_due == Some(MfaDue::Account) => ().into_any(),
                    Ok(Some(v)) if console.admits(&v) => view! {
                        <div class="console">
                            <ConsoleNav console namespace=ns/>
                            <div class="console-body"><Outlet/></div>
                        </div>
                    }
                    .into_any(),
                    Ok(Some(v)) => view! { <Forbidden console namespace=ns email=v.email/> }.into_any(),
                    Ok(None) => {
                        let here = match search.get_untracked() {
                            q if q.is_empty() => pathname.get_untracked(),
                            q => format!("{}?{q}", pathname.get_untracked()),
                        };
                        let sign_in = Page::SignIn.path_with(&ns, &[(vocabulary::RETURN_QUERY, &here)]);
                        view! {
                            <GoTo path=sign_in.clone()/>
                            <section class="card narrow">
                                <h1>"Sign in to continue"</h1>
                                <p><a href=sign_in>"Sign in"</a>" to open this page."</p>
                            </section>
                        }
                        .into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The console's side navigation; the section holding the current page is marked.
#[component]
fn ConsoleNav(console: Console, namespace: String) -> impl IntoView {
    let pathname = use_location().pathname;
    let links = console
        .sections()
        .iter()
        .map(|(page, label)| {
            let href = page.path(&namespace);
            let mine = href.clone();
            // A section holds its own pages below it (a user's page under Users), except
            // the dashboard, which is the console's root.
            let nested = *page != Page::Admin && *page != Page::Operator;
            let current = move || {
                let path = pathname.get();
                (path == mine || (nested && path.starts_with(&format!("{mine}/"))))
                    .then_some("page")
            };
            view! { <a href=href aria-current=current>{*label}</a> }
        })
        .collect_view();
    view! {
        <nav class="console-nav" aria-label=console.label()>
            <p class="console-title">{console.label()}</p>
            {links}
        </nav>
    }
}

/// The refusal of a signed-in person without the console's role: status 403, and the ways on
/// that they do have.
#[component]
fn Forbidden(console: Console, namespace: String, email: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::FORBIDDEN);
    }
    let (what, who) = match console {
        Console::Admin => ("administration pages", "its administrators"),
        Console::Operator => ("platform operations pages", "platform support operators"),
    };
    view! {
        <section class="card narrow" id="forbidden">
            <h1>"You can't open this page"</h1>
            <p>
                {format!("The {what} of {namespace} are for {who}. You are signed in as ")}
                <strong>{email}</strong>", which does not have that role."
            </p>
            <h2>"What you can do"</h2>
            <ul>
                <li>"Manage your own account: "<a href=Page::Security.path(&namespace)>"your security overview"</a>"."</li>
                <li>"If you need this page for your work, ask an administrator of your organisation for the role."</li>
                <li>"If you meant to use another account, sign out (top right) and sign in with it."</li>
            </ul>
        </section>
    }
}
