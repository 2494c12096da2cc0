//! The admin console's pages beyond the dashboard. Lists keep their filters, sort and page in
//! the URL query (plain GET forms and links), so a view can be linked and reloaded.

mod audit;

mod impersonations;
mod lockouts;
mod user;
mod users;

pub use audit::{AuditEventPage, AuditPage};
pub use impersonations::ImpersonationsPage;
pub use lockouts::LockoutsPage;
pub use user::UserPage;
pub use users::{NewUserPage, UsersPage};

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::pages::page_path;

/// The console's own navigation, on each of its pages.
#[component]
pub fn AdminNav(namespace: Signal<String>, current: &'static str) -> impl IntoView {
    let link = move |page: &'static str, label: &'static str| {
        view! {
            <a href=move || page_path(&namespace.get(), page)
                aria-current=move || (page == current).then_some("page")>{label}</a>
        }
    };
    view! {
        <nav class="subnav" aria-label="Administration">
            {link("admin", "Dashboard")}
            {link("admin/users", "Users")}
            {link("admin/lockouts", "Lockouts")}
            {link("admin/impersonations", "Impersonations")}
            {link("admin/audit", "Audit log")}
        </nav>
    }
}

/// The value of `name` in the URL query ("" when absent).
pub(crate) fn query_value(name: &'static str) -> Signal<String> {
    let query = use_query_map();
    Signal::derive(move || query.read().get(name).unwrap_or_default())
}

/// `?a=1&b=2` from the non-empty pairs, percent-encoded.
pub(crate) fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        out.push(if out.is_empty() { '?' } else { '&' });
        out.push_str(k);
        out.push('=');
        out.push_str(&crate::pages::percent_encode(v));
    }
    out
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

#[cfg(test)]
mod tests {
    #[test]
    fn query_strings_skip_empty_values_and_encode_the_rest() {
        assert_eq!(
            super::query_string(&[("email", "a b&c"), ("sort", ""), ("after", "x_y")]),
            "?email=a%20b%26c&after=x_y"
        );
        assert_eq!(super::query_string(&[("a", "")]), "");
    }
}
