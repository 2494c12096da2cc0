//! Gatehouse's web pages and their server functions. Built with `ssr` into the server binary
//! and with `hydrate` into the browser bundle; server-only code sits behind `ssr`. The pages
//! are server components; only `#[island]`s reach the bundle, and they run there without the
//! router, so what they need of the URL comes in through their props.

pub mod admin;
pub mod api_keys;
pub mod caller;
pub mod calls;
pub mod ceremony;
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
pub mod page_posts;
pub mod pages;
pub mod passkeys;
pub mod password;
pub mod reauth;
pub mod second_factor;
pub mod session;
pub mod shell;
#[cfg(feature = "ssr")]
pub mod state;
pub mod support_access;
pub mod support_requests;
pub mod webauthn;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

use vocabulary::segment;

use crate::pages::*;
use crate::shell::TopBar;

/// The site's stylesheet by its plain name (cargo-leptos writes `style/main.css` there), for
/// the pages the server renders outside the app (the API reference, the outage page): the
/// server answers it with the current build's file, revalidated on each use. The app's own
/// pages link the hashed name.
pub const STYLESHEET: &str = "/pkg/gatehouse.css";

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
                // Named by the build's hash where it hashes files (a year in every cache).
                <HashedStylesheet options=options.clone() id="gatehouse"/>
                // Islands: the pages are rendered on the server only, and the bundle brings
                // to life just the parts marked `#[island]` (see the README).
                <HydrationScripts options islands=true/>
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
    // Every page is rendered whole on the server before it is sent (SsrMode::Async): it works
    // before the bundle loads, or without JavaScript at all, and nothing jumps while loading.
    let ns = || ParamSegment("ns");
    view! {
        <Title text="Gatehouse"/>
        <Router>
            <TopBar/>
            <main class="page" id="main">
                <Routes fallback=NotFound>
                    <Route path=(StaticSegment("dev"), StaticSegment("mailbox")) view=DevMailboxPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment(segment::SIGN_IN)) view=SignInPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment(segment::SIGN_IN), StaticSegment(segment::SECOND_FACTOR)) view=SecondFactorPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment(segment::SIGN_IN), StaticSegment(segment::NEW_PASSWORD)) view=NewPasswordPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment(segment::SIGN_UP)) view=SignUpPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment(segment::VERIFY_EMAIL)) view=VerifyEmailPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment(segment::MAGIC_LINK)) view=MagicLinkPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment(segment::MAGIC_LINK), StaticSegment(segment::CONFIRM)) view=MagicLinkConfirmPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment(segment::EMAIL_CODE)) view=EmailCodePage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment(segment::EMAIL_CODE), StaticSegment(segment::VERIFY)) view=EmailCodeVerifyPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment(segment::FORGOT_PASSWORD)) view=ForgotPasswordPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment(segment::RESET_PASSWORD)) view=ResetPasswordPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment(segment::ACCOUNT)) view=AccountPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment(segment::DEVICES)) view=DevicesPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment(segment::SECURITY), StaticSegment(segment::MFA)) view=MfaPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment(segment::SECURITY)) view=SecurityPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment(segment::SECURITY), StaticSegment(segment::EMAIL)) view=EmailChangePage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment(segment::SECURITY), StaticSegment(segment::EMAIL), StaticSegment(segment::CONFIRM)) view=EmailChangeConfirmPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment(segment::SECURITY), StaticSegment(segment::PASSWORD)) view=PasswordPage ssr=SsrMode::Async/>
                    <Route path=(ns(), StaticSegment(segment::API_KEYS)) view=ApiKeysPage ssr=SsrMode::Async/>
                    <ParentRoute path=(ns(), StaticSegment(segment::ADMIN)) view=AdminConsole ssr=SsrMode::Async>
                        <Route path=StaticSegment("") view=AdminPage ssr=SsrMode::Async/>
                        <Route path=StaticSegment(segment::USERS) view=UsersPage ssr=SsrMode::Async/>
                        <Route path=(StaticSegment(segment::USERS), StaticSegment(segment::NEW)) view=NewUserPage ssr=SsrMode::Async/>
                        <Route path=(StaticSegment(segment::USERS), ParamSegment("id")) view=UserPage ssr=SsrMode::Async/>
                        <Route path=StaticSegment(segment::LOCKOUTS) view=LockoutsPage ssr=SsrMode::Async/>
                        <Route path=StaticSegment(segment::IMPERSONATIONS) view=ImpersonationsPage ssr=SsrMode::Async/>
                        <Route path=StaticSegment(segment::AUDIT) view=AuditPage ssr=SsrMode::Async/>
                        <Route path=StaticSegment(segment::SUPPORT_ACCESS) view=SupportAccessPage ssr=SsrMode::Async/>
                        <Route path=(StaticSegment(segment::AUDIT), ParamSegment("event")) view=AuditEventPage ssr=SsrMode::Async/>
                    </ParentRoute>
                    <ParentRoute path=(ns(), StaticSegment(segment::OPERATOR)) view=OperatorConsole ssr=SsrMode::Async>
                        <Route path=StaticSegment("") view=OperatorPage ssr=SsrMode::Async/>
                        <Route path=StaticSegment(segment::USERS) view=OperatorUsersPage ssr=SsrMode::Async/>
                        <Route path=StaticSegment(segment::USER) view=OperatorUserPage ssr=SsrMode::Async/>
                        <Route path=StaticSegment(segment::AUDIT) view=OperatorAuditPage ssr=SsrMode::Async/>
                    </ParentRoute>
                </Routes>
            </main>
        </Router>
    }
}
