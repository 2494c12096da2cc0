//! Outgoing mail: what each message says ([`templates`]), the outbox it waits in
//! ([`outbox`]), and the worker that delivers it over SMTP ([`delivery`]).

pub mod delivery;
pub mod outbox;
pub mod templates;

pub use delivery::{DeliveryError, MailDelivery};
pub use templates::Links;

/// What a message is for; stored with it so the outbox can be read by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailKind {
    VerifyEmail,
    SignUpExistingAccount,
    MagicLink,
    EmailCode,
    PasswordReset,
    PasswordChanged,
    SecurityNotice,
    Invitation,
    ImpersonationNotice,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::VerifyEmail => "verify_email",
            MailKind::SignUpExistingAccount => "sign_up_existing_account",
            MailKind::MagicLink => "magic_link",
            MailKind::EmailCode => "email_code",
            MailKind::PasswordReset => "password_reset",
            MailKind::PasswordChanged => "password_changed",
            MailKind::SecurityNotice => "security_notice",
            MailKind::Invitation => "invitation",
            MailKind::ImpersonationNotice => "impersonation_notice",
        }
    }
}

/// A message ready for the outbox: one recipient, a text and an HTML body.
#[derive(Clone, PartialEq, Eq)]
pub struct Mail {
    pub kind: MailKind,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// How long the link or code it carries works: an undelivered mail is dropped, and any
    /// body kept is purged, once it no longer would.
    pub valid_for: Option<chrono::TimeDelta>,
}

impl Mail {
    /// The same mail, carrying a link or code that works for `lifetime`.
    pub fn valid_for(self, lifetime: chrono::TimeDelta) -> Mail {
        Mail {
            valid_for: Some(lifetime),
            ..self
        }
    }
}

impl std::fmt::Debug for Mail {
    // Bodies hold live links and codes; keep them out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail")
            .field("kind", &self.kind)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}
