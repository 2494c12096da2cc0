//! Gatehouse's web pages and their server functions. Built with `ssr` into the server binary
//! and with `hydrate` into the browser bundle; server-only code sits behind `ssr`.

pub mod csp;
pub mod error;
pub mod form_errors;
pub mod pages;
pub mod session;
#[cfg(feature = "ssr")]
pub mod state;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

use crate::pages::{AccountPage, NotFound, SignInPage};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    csp::apply_to_page();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="gatehouse" href="/pkg/gatehouse.css"/>
        <Title text="Gatehouse"/>
        <Router>
            <header class="topbar">
                <span class="brand">"Gatehouse"</span>
            </header>
            <main class="page">
                <Routes fallback=NotFound>
                    <Route path=(ParamSegment("ns"), StaticSegment("sign-in")) view=SignInPage ssr=SsrMode::Async/>
                    <Route path=(ParamSegment("ns"), StaticSegment("account")) view=AccountPage ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}
