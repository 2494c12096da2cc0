//! Gatehouse's web pages and their server functions. Built with `ssr` into the server binary
//! and with `hydrate` into the browser bundle; server-only code sits behind `ssr`.

pub mod admin;
pub mod api_keys;
pub mod caller;
#[cfg(feature = "ssr")]
pub mod client_address;
pub mod components;
pub mod console;
pub mod dev;
pub mod devices;
pub mod email_change;
pub mod error;
pub mod flows;
pub mod form_errors;
pub mod mfa;
pub mod overview;
pub mod pages;
pub mod passkeys;
pub mod password;
pub mod session;
pub mod shell;
#[cfg(feature = "ssr")]
pub mod state;
pub mod webauthn;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

use crate::pages::*;
use crate::shell::TopBar;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
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
    // Marks the document once the bundle has taken over, so tests (and anyone debugging) can
    // tell a server-rendered page from an interactive one.
    #[cfg(feature = "hydrate")]
    Effect::new(|_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
    // Every page is rendered whole on the server before it is sent (SsrMode::Async): it works
    // before the bundle loads, or without JavaScript at all, and nothing jumps while loading.
    let ns = || ParamSegment("ns");
    view! {
        <Stylesheet id="gatehouse" href="/pkg/gatehouse.css"/>
        <Title text="Gatehouse"/>
        <Router>
            <TopBar/>
            <main class="page" id="main">
                <Routes fallback=NotFound>
                    <Route path=(StaticSegment("dev"), StaticSegment("mailbox")) view=DevMailboxPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("sign-in")) view=SignInPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("sign-in"), StaticSegment("second-factor")) view=SecondFactorPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("sign-in"), StaticSegment("new-password")) view=NewPasswordPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("sign-up")) view=SignUpPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("verify-email")) view=VerifyEmailPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("magic-link")) view=MagicLinkPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("magic-link"), StaticSegment("confirm")) view=MagicLinkConfirmPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("email-code")) view=EmailCodePage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("email-code"), StaticSegment("verify")) view=EmailCodeVerifyPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("forgot-password")) view=ForgotPasswordPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("reset-password")) view=ResetPasswordPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("account")) view=AccountPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("devices")) view=DevicesPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("security"), StaticSegment("mfa")) view=MfaPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("security")) view=SecurityPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("security"), StaticSegment("email")) view=EmailChangePage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("security"), StaticSegment("email"), StaticSegment("confirm")) view=EmailChangeConfirmPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("security"), StaticSegment("password")) view=PasswordPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("api-keys")) view=ApiKeysPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("admin")) view=AdminPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("admin"), StaticSegment("users")) view=UsersPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("admin"), StaticSegment("users"), StaticSegment("new")) view=NewUserPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("admin"), StaticSegment("users"), ParamSegment("id")) view=UserPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("admin"), StaticSegment("lockouts")) view=LockoutsPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("admin"), StaticSegment("impersonations")) view=ImpersonationsPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("admin"), StaticSegment("audit")) view=AuditPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("admin"), StaticSegment("audit"), ParamSegment("event")) view=AuditEventPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment("operator")) view=OperatorPage ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}
