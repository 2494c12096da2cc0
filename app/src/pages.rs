//! The pages.

mod account;
pub(crate) mod admin;
mod api_keys;
mod console;
mod console_frame;
mod dev_mailbox;
mod devices;
mod email_change;
mod flows;
mod mfa;
mod overview;
mod passkey_buttons;
mod password;
mod second_factor;
mod sign_in;
pub(crate) mod support_access;

pub use account::AccountPage;
pub use admin::{
    AuditEventPage, AuditPage, ImpersonationsPage, LockoutsPage, NewUserPage, SupportAccessPage,
    UserPage, UsersPage,
};
pub use api_keys::ApiKeysPage;
pub use console::{AdminPage, OperatorPage};
pub use console_frame::{AdminConsole, OperatorConsole};
pub use dev_mailbox::DevMailboxPage;
pub use devices::DevicesPage;
pub use email_change::{EmailChangeConfirmPage, EmailChangePage};
pub use flows::{
    EmailCodePage, EmailCodeVerifyPage, ForgotPasswordPage, MagicLinkConfirmPage, MagicLinkPage,
    NewPasswordPage, ResetPasswordPage, SignUpPage, VerifyEmailPage,
};
pub use mfa::MfaPage;
pub use overview::SecurityPage;
pub use password::PasswordPage;
pub use second_factor::SecondFactorPage;
pub use sign_in::SignInPage;
pub use support_access::{OperatorAuditPage, OperatorUserPage, OperatorUsersPage};

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// The namespace an island was rendered for. Islands run without the router in the browser,
/// so each hands its namespace (a prop) down to the components inside it this way.
#[derive(Clone, Debug)]
struct IslandNamespace(String);

/// Hands an island's `namespace` prop down to the components inside it, and answers it as
/// [`use_namespace`] would.
pub(crate) fn provide_island_namespace(namespace: String) -> Signal<String> {
    provide_context(IslandNamespace(namespace));
    use_namespace()
}

/// The namespace of the current URL (`/{ns}/...`), or of the island around the caller.
pub(crate) fn use_namespace() -> Signal<String> {
    if let Some(IslandNamespace(namespace)) = use_context::<IslandNamespace>() {
        return Signal::stored(namespace);
    }
    let params = use_params_map();
    Signal::derive(move || params.read().get("ns").unwrap_or_default())
}

/// What a finished action says: the server redirects with `?done=<word>` and the page words
/// it here (never echoing the query).
fn done_words(done: &str) -> Option<&'static str> {
    use vocabulary::Done;
    Some(match Done::parse(done)? {
        Done::CreatedInvite => "The user was created and the invitation mailed.",
        Done::CreatedPassword => "The user was created. A link to confirm the address was mailed.",
        Done::Disabled => "The account is disabled and signed out everywhere.",
        Done::Enabled => "The account is enabled.",
        Done::SessionRevoked => "The session was signed out.",
        Done::SessionsRevoked => "Every session was signed out.",
        Done::MethodRemoved => "The sign-in method was removed.",
        Done::MethodsReset => "Every two-step method was removed.",
        Done::KeyRevoked => "The API key was revoked.",
        Done::ResetSent => "A password-reset link was mailed.",
        Done::VerificationSent => "A new confirmation link was mailed.",
        Done::Verified => "The address is marked as confirmed.",
        Done::Unlocked => "The account was unlocked.",
        Done::SupportRequested => {
            "The organisation requires its admins' approval: they were asked. Once one approves, start the access from Your requests below within an hour."
        }
        Done::SupportApproved => "Approved. The operator may start this access once, within an hour.",
        Done::SupportDenied => "Denied. The operator sees it, with your note, among their requests.",
    })
}

/// The notice of a finished action (`?done=<word>`), if the URL carries one.
#[component]
pub(crate) fn DoneNotice() -> impl IntoView {
    let done = admin::query_value(vocabulary::Done::QUERY);
    move || done_words(&done.get()).map(|text| view! { <p class="notice" role="status">{text}</p> })
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="card">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
        </section>
    }
}
