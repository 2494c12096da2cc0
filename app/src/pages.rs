//! The pages.

mod account;
pub(crate) mod admin;
mod api_keys;
mod console;
mod dev_mailbox;
mod devices;
mod email_change;
mod email_flows;
mod mfa;
mod overview;
mod passkey_buttons;
mod password;
mod second_factor;
mod sign_in;

pub use account::AccountPage;
pub use admin::{
    AuditEventPage, AuditPage, ImpersonationsPage, LockoutsPage, NewUserPage, UserPage, UsersPage,
};
pub use api_keys::ApiKeysPage;
pub use console::{AdminPage, OperatorPage};
pub use dev_mailbox::DevMailboxPage;
pub use devices::DevicesPage;
pub use email_change::{EmailChangeConfirmPage, EmailChangePage};
pub use email_flows::{
    EmailCodePage, EmailCodeVerifyPage, ForgotPasswordPage, MagicLinkConfirmPage, MagicLinkPage,
    NewPasswordPage, ResetPasswordPage, SignUpPage, VerifyEmailPage,
};
pub use mfa::MfaPage;
pub use overview::SecurityPage;
pub use password::PasswordPage;
pub use second_factor::SecondFactorPage;
pub use sign_in::SignInPage;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// The namespace of the current URL (`/{ns}/...`).
pub(crate) fn use_namespace() -> Signal<String> {
    let params = use_params_map();
    Signal::derive(move || params.read().get("ns").unwrap_or_default())
}

/// `/{namespace}/{page}` with the namespace percent-encoded (namespaces may hold any
/// printable character, `/` and `?` included).
pub fn page_path(namespace: &str, page: &str) -> String {
    format!("/{}/{page}", percent_encode(namespace))
}

/// Percent-encodes everything but RFC 3986's unreserved characters (a path segment or a query
/// value).
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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

#[cfg(test)]
mod tests {
    #[test]
    fn page_paths_encode_the_namespace() {
        assert_eq!(super::page_path("demo", "sign-in"), "/demo/sign-in");
        assert_eq!(
            super::page_path("a b/c?", "account"),
            "/a%20b%2Fc%3F/account"
        );
    }
}
