//! The wording of every mail Gatehouse sends, as text and as HTML. Values are escaped for
//! HTML; links are built from the public base URL so they work wherever the console is hosted.

use std::fmt::Write as _;

use chrono::TimeDelta;
use vocabulary::Page;

use super::{Mail, MailKind};

/// Builds the links mail points to, from the same [`Page`] paths the router serves: a renamed
/// page moves its mail links with it. The namespace is percent-encoded; tokens are base64url.
#[derive(Clone, Debug)]
pub struct Links {
    base_url: String,
}

impl Links {
    pub fn new(base_url: &str) -> Links {
        Links {
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    pub fn page(&self, namespace: &str, page: Page<'_>) -> String {
        format!("{}{}", self.base_url, page.path(namespace))
    }

    fn with_token(&self, namespace: &str, page: Page<'_>, token: &str) -> String {
        format!(
            "{}{}",
            self.base_url,
            page.path_with(namespace, &[("token", token)])
        )
    }

    pub fn verify_email(&self, namespace: &str, token: &str) -> String {
        self.with_token(namespace, Page::VerifyEmail, token)
    }

    pub fn magic_link(&self, namespace: &str, token: &str) -> String {
        self.with_token(namespace, Page::MagicLinkConfirm, token)
    }

    pub fn reset_password(&self, namespace: &str, token: &str) -> String {
        self.with_token(namespace, Page::ResetPassword, token)
    }

    pub fn confirm_email_change(&self, namespace: &str, token: &str) -> String {
        self.with_token(namespace, Page::EmailChangeConfirm, token)
    }
}

/// Text made safe inside HTML (mail bodies, and the few pages the server writes by hand).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One message: paragraphs of text, an optional call to action (a link or a code), and the
/// closing line every mail has.
struct Message<'a> {
    kind: MailKind,
    to: &'a str,
    subject: String,
    intro: Vec<String>,
    action: Option<Action>,
    outro: Vec<String>,
}

enum Action {
    Link { label: &'static str, url: String },
    Code(String),
}

const FOOTER: &str =
    "If you did not ask for this, you can ignore this message; nothing changes unless the \
     link or code is used.";

impl Message<'_> {
    fn render(self) -> Mail {
        let mut text = String::new();
        let mut html = String::from(
            "<!DOCTYPE html><html><body style=\"font-family:system-ui,sans-serif;line-height:1.5\">",
        );
        for p in &self.intro {
            let _ = writeln!(text, "{p}\n");
            let _ = write!(html, "<p>{}</p>", escape_html(p));
        }
        match &self.action {
            Some(Action::Link { label, url }) => {
                let _ = writeln!(text, "{label}: {url}\n");
                let _ = write!(
                    html,
                    "<p><a href=\"{url}\">{}</a></p><p style=\"color:#555\">{}</p>",
                    escape_html(label),
                    escape_html(url),
                    url = escape_html(url)
                );
            }
            Some(Action::Code(code)) => {
                let _ = writeln!(text, "{code}\n");
                let _ = write!(
                    html,
                    "<p style=\"font-size:1.6em;letter-spacing:0.2em\"><strong>{}</strong></p>",
                    escape_html(code)
                );
            }
            None => {}
        }
        for p in &self.outro {
            let _ = writeln!(text, "{p}\n");
            let _ = write!(html, "<p>{}</p>", escape_html(p));
        }
        let _ = writeln!(text, "— Gatehouse");
        html.push_str("<p style=\"color:#555\">— Gatehouse</p></body></html>");
        Mail {
            kind: self.kind,
            to: self.to.to_owned(),
            subject: self.subject,
            text,
            html,
            valid_for: None,
        }
    }
}

/// How long something mailed stays usable, in words ("15 minutes", "1 hour", "24 hours").
pub fn expires_in(lifetime: TimeDelta) -> String {
    let minutes = lifetime.num_minutes().max(1);
    match (minutes % 60, minutes / 60) {
        (0, 1) => "1 hour".into(),
        (0, hours) => format!("{hours} hours"),
        (_, _) if minutes == 1 => "1 minute".into(),
        _ => format!("{minutes} minutes"),
    }
}

pub fn verify_email(to: &str, namespace: &str, link: String, lifetime: TimeDelta) -> Mail {
    Message {
        kind: MailKind::VerifyEmail,
        to,
        subject: "Confirm your email address".into(),
        intro: vec![format!(
            "Someone, hopefully you, created a Gatehouse account for {to} in {namespace}."
        )],
        action: Some(Action::Link {
            label: "Confirm your email address",
            url: link,
        }),
        outro: vec![
            format!(
                "The link works once and expires in {}.",
                expires_in(lifetime)
            ),
            FOOTER.into(),
        ],
    }
    .render()
    .valid_for(lifetime)
}

pub fn sign_up_existing_account(to: &str, namespace: &str, sign_in: String) -> Mail {
    Message {
        kind: MailKind::SignUpExistingAccount,
        to,
        subject: "You already have an account".into(),
        intro: vec![format!(
            "Someone tried to create an account for {to} in {namespace}, but you already \
             have one. You can sign in, or reset your password from the sign-in page."
        )],
        action: Some(Action::Link {
            label: "Sign in",
            url: sign_in,
        }),
        outro: vec![FOOTER.into()],
    }
    .render()
}

pub fn magic_link(to: &str, namespace: &str, link: String, lifetime: TimeDelta) -> Mail {
    Message {
        kind: MailKind::MagicLink,
        to,
        subject: "Your sign-in link".into(),
        intro: vec![format!("Use this link to sign in to {namespace}.")],
        action: Some(Action::Link {
            label: "Sign in",
            url: link,
        }),
        outro: vec![
            format!(
                "The link works once and expires in {}.",
                expires_in(lifetime)
            ),
            FOOTER.into(),
        ],
    }
    .render()
    .valid_for(lifetime)
}

pub fn email_code(to: &str, namespace: &str, code: &str, lifetime: TimeDelta) -> Mail {
    Message {
        kind: MailKind::EmailCode,
        to,
        // Not in the subject: subjects show on lock screens and in logs.
        subject: "Your sign-in code".into(),
        intro: vec![format!("Enter this code to sign in to {namespace}:")],
        action: Some(Action::Code(code.to_owned())),
        outro: vec![
            format!("The code expires in {}.", expires_in(lifetime)),
            FOOTER.into(),
        ],
    }
    .render()
    .valid_for(lifetime)
}

pub fn password_reset(to: &str, namespace: &str, link: String, lifetime: TimeDelta) -> Mail {
    Message {
        kind: MailKind::PasswordReset,
        to,
        subject: "Reset your password".into(),
        intro: vec![format!(
            "Someone asked to reset the password of {to} in {namespace}."
        )],
        action: Some(Action::Link {
            label: "Choose a new password",
            url: link,
        }),
        outro: vec![
            format!(
                "The link works once and expires in {}.",
                expires_in(lifetime)
            ),
            FOOTER.into(),
        ],
    }
    .render()
    .valid_for(lifetime)
}

pub fn password_changed(to: &str, namespace: &str, reset: String, api_keys_revoked: u32) -> Mail {
    let keys = match api_keys_revoked {
        0 => String::new(),
        1 => " Its API key was revoked.".into(),
        n => format!(" Its {n} API keys were revoked."),
    };
    Message {
        kind: MailKind::PasswordChanged,
        to,
        subject: "Your password was changed".into(),
        intro: vec![
            format!("The password of {to} in {namespace} was just reset, and every device was signed out.{keys}"),
            "If this was not you, reset your password now and tell your administrator.".into(),
        ],
        action: Some(Action::Link {
            label: "Reset your password",
            url: reset,
        }),
        outro: vec![],
    }
    .render()
}

/// The link that moves an account to a new address, sent to that address.
pub fn email_change_confirm(to: &str, namespace: &str, link: String, lifetime: TimeDelta) -> Mail {
    Message {
        kind: MailKind::VerifyEmail,
        to,
        subject: "Confirm your new email address".into(),
        intro: vec![format!(
            "Someone signed in to {namespace} asked to use {to} as their account's email address. If that was you, confirm it:"
        )],
        action: Some(Action::Link {
            label: "Use this address",
            url: link,
        }),
        outro: vec![
            format!(
                "The link works once and expires in {}. Until it is used, nothing changes.",
                expires_in(lifetime)
            ),
            FOOTER.into(),
        ],
    }
    .render()
    .valid_for(lifetime)
}

/// Sent instead when the requested address already has an account (the requester is not told).
pub fn email_change_address_taken(to: &str, namespace: &str) -> Mail {
    Message {
        kind: MailKind::SecurityNotice,
        to,
        subject: "Someone tried to use your email address".into(),
        intro: vec![
            format!("Someone signed in to {namespace} asked to move their account to {to}, which already belongs to your account. Nothing was changed."),
        ],
        action: None,
        outro: vec![FOOTER.into()],
    }
    .render()
}

/// To the old address once the change is done.
pub fn email_changed(to: &str, namespace: &str, new_address: &str, reset: String) -> Mail {
    Message {
        kind: MailKind::SecurityNotice,
        to,
        subject: "Your email address was changed".into(),
        intro: vec![
            format!("The email address of your account in {namespace} was changed from {to} to {new_address}. Mail about the account now goes there."),
            "If this was not you, reset your password and tell your administrator right away.".into(),
        ],
        action: Some(Action::Link {
            label: "Reset your password",
            url: reset,
        }),
        outro: vec![],
    }
    .render()
}

/// A change to how the account signs in, told to its owner with a way to react.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecurityChange {
    AuthenticatorAdded,
    AuthenticatorRemoved,
    PasskeyAdded,
    PasskeyRemoved,
    RecoveryCodesRegenerated,
    ApiKeyCreated,
}

impl SecurityChange {
    fn subject(self) -> &'static str {
        match self {
            SecurityChange::AuthenticatorAdded => "An authenticator app was added to your account",
            SecurityChange::AuthenticatorRemoved => {
                "An authenticator app was removed from your account"
            }
            SecurityChange::RecoveryCodesRegenerated => {
                "New recovery codes were made for your account"
            }
            SecurityChange::ApiKeyCreated => "A new API key was created for your account",
            SecurityChange::PasskeyAdded => "A passkey was added to your account",
            SecurityChange::PasskeyRemoved => "A passkey was removed from your account",
        }
    }
}

pub fn security_notice(
    to: &str,
    namespace: &str,
    change: SecurityChange,
    detail: Option<&str>,
    devices: String,
) -> Mail {
    let mut intro = vec![format!(
        "{} ({to} in {namespace}).",
        change.subject().trim_end_matches('.')
    )];
    if let Some(detail) = detail {
        intro.push(detail.to_owned());
    }
    intro.push(
        "If this was not you, sign out every other device, change your password and tell your \
         administrator."
            .into(),
    );
    Message {
        kind: MailKind::SecurityNotice,
        to,
        subject: change.subject().into(),
        intro,
        action: Some(Action::Link {
            label: "Review your devices",
            url: devices,
        }),
        outro: vec![],
    }
    .render()
}

/// An account an admin created: the link sets its first password (and confirms the address).
pub fn invitation(to: &str, namespace: &str, link: String, lifetime: TimeDelta) -> Mail {
    Message {
        kind: MailKind::Invitation,
        to,
        subject: format!("You are invited to {namespace}"),
        intro: vec![format!(
            "An administrator of {namespace} created an account for {to}. Choose a password to start using it."
        )],
        action: Some(Action::Link {
            label: "Choose your password",
            url: link,
        }),
        outro: vec![
            format!("The link works once and expires in {}.", expires_in(lifetime)),
            "If you did not expect this, you can ignore this message.".into(),
        ],
    }
    .render()
    .valid_for(lifetime)
}

/// Told to a person when an admin starts acting as them.
pub fn impersonation_started(
    to: &str,
    namespace: &str,
    admin: &str,
    reason: &str,
    minutes: i64,
    security: String,
) -> Mail {
    Message {
        kind: MailKind::ImpersonationNotice,
        to,
        subject: "An administrator is signed in as you".into(),
        intro: vec![
            format!("{admin}, an administrator of {namespace}, is signed in as {to} for up to {minutes} minutes."),
            format!("The reason they gave: {reason}"),
            "They can look at your account but cannot change your password, e-mail address or sign-in methods. Everything they do is recorded.".into(),
        ],
        action: Some(Action::Link {
            label: "See your security activity",
            url: security,
        }),
        outro: vec!["If you did not expect this, contact your administrator.".into()],
    }
    .render()
}

/// Told to a person when a platform support agent starts working as them, for a ticket.
pub fn support_access_started(
    to: &str,
    namespace: &str,
    operator: &str,
    reason: &str,
    ticket: &str,
    minutes: i64,
    security: String,
) -> Mail {
    Message {
        kind: MailKind::ImpersonationNotice,
        to,
        subject: "Platform support is signed in as you".into(),
        intro: vec![
            format!("{operator}, of the platform's support team, is signed in as {to} in {namespace} for up to {minutes} minutes, for ticket {ticket}."),
            format!("The reason they gave: {reason}"),
            "They can look at your account but cannot change your password, e-mail address or sign-in methods. Everything they do is recorded.".into(),
        ],
        action: Some(Action::Link {
            label: "See your security activity",
            url: security,
        }),
        outro: vec!["If you did not expect this, contact your administrator.".into()],
    }
    .render()
}

/// Told to every admin of a namespace that needs to approve support access: an operator asks.
#[allow(clippy::too_many_arguments)]
pub fn support_access_requested(
    to: &str,
    namespace: &str,
    operator: &str,
    target: &str,
    reason: &str,
    ticket: &str,
    minutes: i64,
    decide: String,
) -> Mail {
    Message {
        kind: MailKind::SecurityNotice,
        to,
        subject: "Platform support asks to sign in as one of your users".into(),
        intro: vec![
            format!("{operator}, of the platform's support team, asks to work as {target} in {namespace} for up to {minutes} minutes, for ticket {ticket}."),
            format!("The reason they gave: {reason}"),
            "Your organisation requires an admin's approval first. Nothing happens until one of you approves; the request lapses after 24 hours.".into(),
        ],
        action: Some(Action::Link {
            label: "Approve or deny",
            url: decide,
        }),
        outro: vec!["You cannot approve a request of your own.".into()],
    }
    .render()
}

/// Told to every admin of a namespace that needs to approve support access, at once, when an
/// operator starts without approval ("break glass").
#[allow(clippy::too_many_arguments)]
pub fn support_access_break_glass(
    to: &str,
    namespace: &str,
    operator: &str,
    target: &str,
    reason: &str,
    ticket: &str,
    urgency: &str,
    minutes: i64,
    review: String,
) -> Mail {
    Message {
        kind: MailKind::SecurityNotice,
        to,
        subject: "Platform support started without your approval (break glass)".into(),
        intro: vec![
            format!("{operator}, of the platform's support team, is signed in as {target} in {namespace} for up to {minutes} minutes, for ticket {ticket}, without waiting for an admin's approval."),
            format!("Why it could not wait: {urgency}"),
            format!("The reason they gave for the access: {reason}"),
            "It is marked as break glass in your audit trail and in the platform's.".into(),
        ],
        action: Some(Action::Link {
            label: "See your organisation's support access",
            url: review,
        }),
        outro: vec!["If you did not expect this, contact the platform's support team.".into()],
    }
    .render()
}

/// After a signed-in person changed their own password (this device stays signed in).
pub fn password_changed_by_owner(to: &str, namespace: &str, reset: String) -> Mail {
    Message {
        kind: MailKind::PasswordChanged,
        to,
        subject: "Your password was changed".into(),
        intro: vec![
            format!("The password of {to} in {namespace} was just changed from a signed-in device. Every other device was signed out."),
            "If this was not you, reset your password now and tell your administrator.".into(),
        ],
        action: Some(Action::Link {
            label: "Reset your password",
            url: reset,
        }),
        outro: vec![],
    }
    .render()
}

/// "Was this you?": a sign-in from a browser and device the account had not used in 90 days.
pub fn new_device_sign_in(
    to: &str,
    namespace: &str,
    device: &str,
    ip_address: Option<&str>,
    at: &str,
    devices: String,
) -> Mail {
    let place = ip_address.map_or_else(String::new, |ip| format!(" from IP address {ip}"));
    Message {
        kind: MailKind::SecurityNotice,
        to,
        subject: "New sign-in to your account".into(),
        intro: vec![
            format!("Your account {to} in {namespace} was signed in to on {device}{place} at {at}. It had not been used on this browser and device in the last 90 days."),
            "If this was you, there is nothing to do. If not, sign that device out, change your password and tell your administrator.".into(),
        ],
        action: Some(Action::Link {
            label: "Review your devices",
            url: devices,
        }),
        outro: vec![
            "You can turn these messages off on the devices page.".into(),
            FOOTER.into(),
        ],
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_encode_the_namespace_and_carry_the_token() {
        let links = Links::new("https://id.example.com/");
        assert_eq!(
            links.magic_link("acme corp/é", "tok"),
            "https://id.example.com/acme%20corp%2F%C3%A9/magic-link/confirm?token=tok"
        );
        assert_eq!(
            links.page("demo", Page::SignIn),
            "https://id.example.com/demo/sign-in"
        );
    }

    #[test]
    fn lifetimes_are_worded_from_the_flows_own_values() {
        assert_eq!(expires_in(TimeDelta::minutes(10)), "10 minutes");
        assert_eq!(expires_in(TimeDelta::hours(1)), "1 hour");
        assert_eq!(expires_in(TimeDelta::hours(72)), "72 hours");
        assert_eq!(expires_in(TimeDelta::seconds(30)), "1 minute");
        let mail = magic_link(
            "a@b.example",
            "demo",
            "https://x".into(),
            TimeDelta::minutes(15),
        );
        assert!(mail.text.contains("expires in 15 minutes"));
        assert_eq!(mail.valid_for, Some(TimeDelta::minutes(15)));
    }

    #[test]
    fn html_is_escaped_and_both_bodies_carry_the_action() {
        let mail = verify_email(
            "a@example.com",
            "<b>ns</b>",
            "https://x/?token=t&u=1".into(),
            TimeDelta::hours(24),
        );
        assert!(mail.html.contains("&lt;b&gt;ns&lt;/b&gt;"));
        assert!(!mail.html.contains("<b>ns"));
        assert!(mail.html.contains("href=\"https://x/?token=t&amp;u=1\""));
        assert!(mail.text.contains("https://x/?token=t&u=1"));
        let code = email_code("a@example.com", "demo", "123456", TimeDelta::minutes(10));
        assert!(code.text.contains("123456") && code.html.contains("123456"));
        assert!(!format!("{code:?}").contains("123456"));
    }
}
