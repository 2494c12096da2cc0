//! The pages.

mod account;
pub(crate) mod admin;
mod api_keys;
mod console;
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
mod support_access;

pub use account::AccountPage;
pub use admin::{
    AuditEventPage, AuditPage, ImpersonationsPage, LockoutsPage, NewUserPage, SupportAccessPage,
    UserPage, UsersPage,
};
pub use api_keys::ApiKeysPage;
pub use console::{AdminPage, OperatorPage};
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

/// The namespace of the current URL (`/{ns}/...`).
pub(crate) fn use_namespace() -> Signal<String> {
    let params = use_params_map();
    Signal::derive(move || params.read().get("ns").unwrap_or_default())
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
        </section>
    }
}
