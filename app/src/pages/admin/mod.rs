//! The admin console's pages beyond the dashboard. Lists keep their filters, sort and page in
//! the URL query (plain GET forms and links), so a view can be linked and reloaded.

pub(crate) mod audit;

mod impersonation;
mod lockouts;
mod support_access;
mod user;
mod users;

pub use audit::{AuditEventPage, AuditPage};
pub use impersonation::ImpersonationsPage;
pub use lockouts::LockoutsPage;
pub use support_access::SupportAccessPage;
pub use user::UserPage;
pub use users::{NewUserPage, UsersPage};

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The value of `name` in the URL query ("" when absent).
pub(crate) fn query_value(name: &'static str) -> Signal<String> {
    let query = use_query_map();
    Signal::derive(move || query.read().get(name).unwrap_or_default())
}

/// A select of `options` (value, label) with `selected` chosen.
#[component]
pub(crate) fn Choice(
    label: &'static str,
    name: &'static str,
    options: &'static [(&'static str, &'static str)],
    selected: String,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=name>{label}</label>
            <select id=name name=name>
                {options.iter().map(|(value, text)| view! {
                    <option value=*value selected=selected == *value>{*text}</option>
                }).collect_view()}
            </select>
        </div>
    }
}
