//! Page paths. Every page of a namespace lives at `/{namespace}/{segments...}`; the router's
//! routes are declared from [`segment`] and every link, redirect and mail link is built by
//! [`Page::path`], so a renamed segment moves them all.

/// The path segments, one constant each (the router's `StaticSegment`s use them).
pub mod segment {
    pub const SIGN_IN: &str = "sign-in";
    pub const SECOND_FACTOR: &str = "second-factor";
    pub const NEW_PASSWORD: &str = "new-password";
    pub const SIGN_UP: &str = "sign-up";
    pub const VERIFY_EMAIL: &str = "verify-email";
    pub const MAGIC_LINK: &str = "magic-link";
    pub const CONFIRM: &str = "confirm";
    pub const EMAIL_CODE: &str = "email-code";
    pub const VERIFY: &str = "verify";
    pub const FORGOT_PASSWORD: &str = "forgot-password";
    pub const RESET_PASSWORD: &str = "reset-password";
    pub const ACCOUNT: &str = "account";
    pub const DEVICES: &str = "devices";
    pub const SECURITY: &str = "security";
    pub const MFA: &str = "mfa";
    pub const EMAIL: &str = "email";
    pub const PASSWORD: &str = "password";
    pub const API_KEYS: &str = "api-keys";
    pub const ADMIN: &str = "admin";
    pub const USERS: &str = "users";
    pub const NEW: &str = "new";
    pub const LOCKOUTS: &str = "lockouts";
    pub const IMPERSONATIONS: &str = "impersonations";
    pub const AUDIT: &str = "audit";
    pub const AUDIT_EXPORT: &str = "audit-export";
    pub const OPERATOR: &str = "operator";
    pub const SUPPORT_ACCESS: &str = "support-access";
    pub const USER: &str = "user";
}

use segment::*;

/// A page of a namespace (the pages with an id in their path are [`Page::AdminUser`] and
/// [`Page::AuditEvent`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page<'a> {
    SignIn,
    SecondFactor,
    NewPassword,
    SignUp,
    VerifyEmail,
    MagicLink,
    MagicLinkConfirm,
    EmailCode,
    EmailCodeVerify,
    ForgotPassword,
    ResetPassword,
    Account,
    Devices,
    Security,
    Mfa,
    EmailChange,
    EmailChangeConfirm,
    Password,
    ApiKeys,
    Admin,
    AdminUsers,
    AdminNewUser,
    AdminUser(&'a str),
    AdminLockouts,
    AdminImpersonations,
    AdminAudit,
    AuditEvent(&'a str),
    /// Every platform support access into the namespace (the customer's view).
    AdminSupportAccess,
    /// The audit log as a CSV or JSON download (served by the server, not a page of the app).
    AuditExport,
    Operator,
    /// The operator console's user search (query: namespace, email, after).
    OperatorUsers,
    /// One user's support view (query: namespace, id).
    OperatorUser,
    /// The operator audit log (query: its filters).
    OperatorAudit,
    /// The operator audit log as a CSV or JSON download (served by the server).
    OperatorAuditExport,
}

impl<'a> Page<'a> {
    /// The fixed segments after the namespace, and the id segment if the page has one.
    fn segments(self) -> (&'static [&'static str], Option<&'a str>) {
        let fixed: &'static [&'static str] = match self {
            Page::SignIn => &[SIGN_IN],
            Page::SecondFactor => &[SIGN_IN, SECOND_FACTOR],
            Page::NewPassword => &[SIGN_IN, NEW_PASSWORD],
            Page::SignUp => &[SIGN_UP],
            Page::VerifyEmail => &[VERIFY_EMAIL],
            Page::MagicLink => &[MAGIC_LINK],
            Page::MagicLinkConfirm => &[MAGIC_LINK, CONFIRM],
            Page::EmailCode => &[EMAIL_CODE],
            Page::EmailCodeVerify => &[EMAIL_CODE, VERIFY],
            Page::ForgotPassword => &[FORGOT_PASSWORD],
            Page::ResetPassword => &[RESET_PASSWORD],
            Page::Account => &[ACCOUNT],
            Page::Devices => &[DEVICES],
            Page::Security => &[SECURITY],
            Page::Mfa => &[SECURITY, MFA],
            Page::EmailChange => &[SECURITY, EMAIL],
            Page::EmailChangeConfirm => &[SECURITY, EMAIL, CONFIRM],
            Page::Password => &[SECURITY, PASSWORD],
            Page::ApiKeys => &[API_KEYS],
            Page::Admin => &[ADMIN],
            Page::AdminUsers | Page::AdminUser(_) => &[ADMIN, USERS],
            Page::AdminNewUser => &[ADMIN, USERS, NEW],
            Page::AdminLockouts => &[ADMIN, LOCKOUTS],
            Page::AdminImpersonations => &[ADMIN, IMPERSONATIONS],
            Page::AdminAudit | Page::AuditEvent(_) => &[ADMIN, AUDIT],
            Page::AuditExport => &[ADMIN, AUDIT_EXPORT],
            Page::AdminSupportAccess => &[ADMIN, SUPPORT_ACCESS],
            Page::Operator => &[OPERATOR],
            Page::OperatorUsers => &[OPERATOR, USERS],
            Page::OperatorUser => &[OPERATOR, USER],
            Page::OperatorAudit => &[OPERATOR, AUDIT],
            Page::OperatorAuditExport => &[OPERATOR, AUDIT_EXPORT],
        };
        let id = match self {
            Page::AdminUser(id) | Page::AuditEvent(id) => Some(id),
            _ => None,
        };
        (fixed, id)
    }

    /// `/{namespace}/...`, the namespace and any id percent-encoded.
    pub fn path(self, namespace: &str) -> String {
        let (fixed, id) = self.segments();
        let mut out = String::with_capacity(64);
        out.push('/');
        out.push_str(&percent_encode(namespace));
        for s in fixed {
            out.push('/');
            out.push_str(s);
        }
        if let Some(id) = id {
            out.push('/');
            out.push_str(&percent_encode(id));
        }
        out
    }

    /// The page's route as the server's router writes it, the namespace as the `{ns}`
    /// parameter (`/{ns}/api-keys`); `None` for a page with an id segment.
    pub fn route(self) -> Option<String> {
        let (fixed, id) = self.segments();
        if id.is_some() {
            return None;
        }
        let mut out = String::from("/{ns}");
        for s in fixed {
            out.push('/');
            out.push_str(s);
        }
        Some(out)
    }

    /// [`Page::path`] with a query of the non-empty `pairs` (see [`query_string`]).
    pub fn path_with(self, namespace: &str, pairs: &[(&str, &str)]) -> String {
        let mut out = self.path(namespace);
        out.push_str(&query_string(pairs));
        out
    }
}

/// Where the server functions (Leptos's default prefix) and the JSON API live: requests under
/// it are calls answered with data, never pages.
pub const API_PREFIX: &str = "/api/";

/// The query parameter that carries where to go after signing in.
pub const RETURN_QUERY: &str = "next";

/// `raw` if it is a safe place to come back to after signing in to `namespace`: a path (with
/// its query) of that namespace on this site. Anything else is ignored, so a link cannot send a
/// person who just signed in to another site (`//evil.example`, `/\evil`, `https:…`), out of
/// their namespace (`/demo/../other`), or back to the sign-in pages.
pub fn return_path<'r>(namespace: &str, raw: &'r str) -> Option<&'r str> {
    let prefix = format!("/{}/", percent_encode(namespace));
    let rest = raw.strip_prefix(prefix.as_str())?;
    let safe_char =
        |c: char| c.is_ascii_graphic() && !matches!(c, '\\' | '"' | '<' | '>' | '`' | ';' | ',');
    let path = rest.split(['?', '#']).next().unwrap_or_default();
    let ok = raw.len() <= 2048
        && raw.chars().all(safe_char)
        && !raw.contains("//")
        // No dot segments, written or encoded: the browser would resolve them elsewhere.
        && !path.split('/').any(|s| s.starts_with('.') || s.to_ascii_lowercase().starts_with("%2e"))
        && !rest.starts_with(SIGN_IN);
    ok.then_some(raw)
}

/// Percent-encodes everything but RFC 3986's unreserved characters (a path segment or a query
/// value).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// `?a=1&b=2` from the pairs whose value is not empty, values percent-encoded ("" for none).
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        out.push(if out.is_empty() { '?' } else { '&' });
        out.push_str(k);
        out.push('=');
        out.push_str(&percent_encode(v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_name_the_namespace_parameter() {
        assert_eq!(Page::ApiKeys.route().as_deref(), Some("/{ns}/api-keys"));
        assert_eq!(Page::Mfa.route().as_deref(), Some("/{ns}/security/mfa"));
        assert_eq!(Page::AdminUser("x").route(), None);
    }

    #[test]
    fn paths_encode_the_namespace_and_ids() {
        assert_eq!(Page::SignIn.path("demo"), "/demo/sign-in");
        assert_eq!(Page::Account.path("a b/c?"), "/a%20b%2Fc%3F/account");
        assert_eq!(Page::Mfa.path("é"), "/%C3%A9/security/mfa");
        assert_eq!(
            Page::AdminUser("1/2").path("demo"),
            "/demo/admin/users/1%2F2"
        );
        assert_eq!(
            Page::MagicLinkConfirm.path_with("demo", &[("token", "t+k"), ("x", "")]),
            "/demo/magic-link/confirm?token=t%2Bk"
        );
    }

    #[test]
    fn return_paths_stay_on_this_site_and_in_the_namespace() {
        for good in [
            "/demo/admin",
            "/demo/admin/users?email=a%40b&sort=oldest",
            "/demo/account",
        ] {
            assert_eq!(return_path("demo", good), Some(good), "{good}");
        }
        assert_eq!(return_path("a b", "/a%20b/admin"), Some("/a%20b/admin"));
        for bad in [
            "",
            "https://evil.example/demo/admin",
            "//evil.example/demo/admin",
            "/demo//evil.example",
            "/\\evil.example/demo/",
            "/demo/\\\\evil.example",
            "/other/admin",
            "/demo",
            "/demo/../other/admin",
            "/demo/%2E%2E/other/admin",
            "/demo/./admin",
            "/demo/admin\nLocation: x",
            "/demo/admin users",
            "/demo/<script>",
            "/demo/admin;Domain=evil",
            "/demo/sign-in",
            "/demo/sign-in/second-factor",
            "javascript:alert(1)",
        ] {
            assert_eq!(return_path("demo", bad), None, "{bad}");
        }
        assert_eq!(
            return_path("demo", &format!("/demo/{}", "a".repeat(3000))),
            None
        );
    }

    #[test]
    fn query_strings_skip_empty_values_and_encode_the_rest() {
        assert_eq!(
            query_string(&[("email", "a b&c"), ("sort", ""), ("after", "x_y")]),
            "?email=a%20b%26c&after=x_y"
        );
        assert_eq!(query_string(&[("a", "")]), "");
    }

    #[test]
    fn words_read_back_and_refuse_strangers() {
        use crate::{Done, EventType, Notice, SupportDecision};
        for w in Done::ALL {
            assert_eq!(Done::parse(w.as_str()), Some(*w));
        }
        for w in Notice::ALL {
            assert_eq!(Notice::parse(w.flag().0), Some(*w));
        }
        for w in SupportDecision::ALL {
            assert_eq!(SupportDecision::parse(w.as_str()), Some(*w));
        }
        assert_eq!(
            EventType::parse("lockout_cleared"),
            Some(EventType::LockoutCleared)
        );
        assert_eq!(EventType::parse("nope"), None);
        // The core's 30, `lockout_cleared`, `namespace_settings_updated`, consent's four,
        // `role_granted` and `support_user_viewed` (migration 42's CHECK lists the same).
        assert_eq!(EventType::ALL.len(), 38);
    }
}
