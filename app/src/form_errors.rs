//! Forms that work before (or without) the WebAssembly bundle. A form posted natively is
//! answered by a redirect back to its page with the server function's error in the query
//! (`__path`, `__err`), and the router hands that error to the page's `ServerAction`, so the
//! same message shows as after a script-driven post.
//!
//! Anyone can craft such a URL, so the error type must never carry text: every `AppError`
//! variant's wording is ours (field errors are enums too), and anything else fails to decode
//! and shows as `FormRejected`. A link cannot make our page say an attacker's words.
//!
//! A page rendered anew would also come back empty where a script-driven form keeps what was
//! typed. So after a native post fails, the fields a person typed that are not secrets
//! ([`KEPT_FIELDS`]) ride back in a short-lived cookie that the server answers with the
//! failure and drops on the page view that shows it ([`ssr`]); the fields read it back with
//! [`kept_value`].

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::error::{AppError, FormField};

/// A `ServerAction` for a page's form, seeded with the error a native post carried back.
pub fn form_action<S>() -> ServerAction<S>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    // The router hands the error over (pages render on the server only; islands, which run
    // without a router in the browser, read it with `calls::error_in_address`).
    ServerAction::<S>::new()
}

/// The form fields whose value comes back after a failed native post: words a person typed,
/// never a secret (no password, code or token is ever listed, nor stored in the cookie).
pub const KEPT_FIELDS: &[FormField] = &[
    FormField::Email,
    FormField::Name,
    FormField::Reason,
    FormField::Note,
    FormField::Ticket,
    FormField::Duration,
    FormField::TargetNamespace,
    FormField::ConfirmEmail,
    FormField::BreakGlass,
    FormField::Mode,
    FormField::Method,
];

/// What the person typed into the field `name` before a native post of its form failed, on
/// the page that shows the failure; `None` otherwise (and always in the browser, where the
/// form kept its values itself).
pub fn kept_value(name: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        ssr::kept_value(name)
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = name;
        None
    }
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use cookie::{Cookie, SameSite};
    use http::HeaderValue;
    use leptos::prelude::use_context;

    use super::KEPT_FIELDS;
    use crate::state::{AppState, CookieSettings};

    /// Whether the input `name` is one of [`KEPT_FIELDS`].
    fn is_kept(name: &str) -> bool {
        KEPT_FIELDS.iter().any(|field| field.name() == name)
    }

    /// Browsers keep cookies of about 4 KB; what does not fit is not kept (the person types it
    /// again, as they would have without this).
    const MAX_KEPT_BYTES: usize = 2048;

    /// The cookie that carries a failed native post's kept fields back to its page: `None`
    /// when there is nothing to keep. It lives a minute at most (the redirect follows at once).
    pub fn kept_cookie(settings: &CookieSettings, form_body: &[u8]) -> Option<HeaderValue> {
        let mut kept = form_urlencoded::Serializer::new(String::new());
        let mut any = false;
        for (name, value) in form_urlencoded::parse(form_body) {
            if is_kept(&name) && !value.is_empty() {
                kept.append_pair(&name, &value);
                any = true;
            }
        }
        let kept = kept.finish();
        if !any || kept.len() > MAX_KEPT_BYTES {
            return None;
        }
        let mut cookie = base(settings, kept);
        cookie.set_max_age(cookie::time::Duration::minutes(1));
        HeaderValue::from_str(&cookie.to_string()).ok()
    }

    /// The header that drops the cookie once a page has shown what it kept.
    pub fn removal(settings: &CookieSettings) -> Option<HeaderValue> {
        let mut cookie = base(settings, String::new());
        cookie.make_removal();
        HeaderValue::from_str(&cookie.to_string()).ok()
    }

    fn base(settings: &CookieSettings, value: String) -> Cookie<'static> {
        Cookie::build((settings.form_name.clone(), value))
            .path("/")
            .http_only(true)
            .secure(settings.secure)
            .same_site(SameSite::Lax)
            .build()
    }

    /// The kept value of `name` from the request being rendered: from the cookie after a
    /// server function's native post failed, or from the body of a form posted to this page
    /// whose action failed (`page_posts`).
    pub(super) fn kept_value(name: &str) -> Option<String> {
        if !is_kept(name) {
            return None;
        }
        let state = use_context::<AppState>()?;
        let parts = use_context::<http::request::Parts>()?;
        if let Some(posted) = parts.extensions.get::<crate::page_posts::PostedForm>() {
            if let Some(value) = posted.failed_value(name) {
                return Some(value);
            }
        }
        let kept = crate::session::ssr::cookie_in(&parts.headers, &state.cookie.form_name)?;
        form_urlencoded::parse(kept.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn settings() -> CookieSettings {
            CookieSettings {
                name: "s".into(),
                pending_name: "p".into(),
                aside_name: "a".into(),
                return_name: "r".into(),
                form_name: "__Host-f".into(),
                secure: true,
            }
        }

        #[test]
        fn only_listed_fields_are_kept_never_secrets() {
            let body = b"namespace=demo&email=a%40example.com&password=hunter2&code=123456&reason=Ticket+4711%3B+urgent";
            let header = kept_cookie(&settings(), body).expect("something to keep");
            let text = header.to_str().expect("ascii");
            assert!(
                text.starts_with("__Host-f=email=a%40example.com&reason=Ticket+4711%3B+urgent;"),
                "{text}"
            );
            assert!(
                !text.contains("hunter2") && !text.contains("123456") && !text.contains("demo")
            );
            for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=60"] {
                assert!(text.contains(attribute), "{attribute} in {text}");
            }
        }

        #[test]
        fn nothing_to_keep_or_too_much_sets_no_cookie() {
            assert!(kept_cookie(&settings(), b"password=x&code=1").is_none());
            let long = format!("reason={}", "a".repeat(MAX_KEPT_BYTES + 1));
            assert!(kept_cookie(&settings(), long.as_bytes()).is_none());
        }
    }
}
