//! The one error type server functions return. What a person sees is its `Display` text;
//! internal causes are logged on the server with the request and never serialized.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("The email or password is incorrect.")]
    InvalidCredentials,
    /// `minutes`: about how long until the address opens again, when known.
    #[error("{}", locked_out(*minutes))]
    LockedOut { minutes: Option<i64> },
    #[error("Please sign in.")]
    NotSignedIn,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error(
        "While impersonating you can look at this account's security settings, not change them."
    )]
    ReadOnlyWhileImpersonating,
    #[error("This organisation does not exist.")]
    UnknownNamespace,
    /// `seconds`: how long until the network's requests count from zero again.
    #[error("{}", rate_limited(*seconds))]
    RateLimited { seconds: Option<i64> },
    #[error("Confirm your email address first: use the link we sent you.")]
    EmailNotVerified,
    /// Sudo mode: a sensitive change needs a fresh confirmation of who is at the keyboard.
    #[error("Confirm your password to continue.")]
    ReauthenticationRequired,
    #[error("This sign-in has expired. Sign in again.")]
    SignInExpired,
    #[error("Too many incorrect codes. Sign in again.")]
    TooManyCodes,
    #[error("This setup has expired. Start again.")]
    SetupExpired,
    #[error("An authenticator app is already set up.")]
    AlreadyEnrolled,
    #[error("Set up an authenticator app first.")]
    NoSecondFactor,
    #[error("That address now belongs to another account. Ask to change to a different one.")]
    EmailTaken,
    #[error("The passkey could not be verified. Try again, or use another way to sign in.")]
    PasskeyNotVerified,
    #[error("Passkeys are not available on this server.")]
    PasskeysUnavailable,
    #[error("You have no passkey yet: confirm with your password.")]
    NoPasskey,
    #[error("Sign-up is by invitation only. Ask an administrator to invite you.")]
    SignUpClosed,
    #[error("This link is invalid, already used or expired. Ask for a new one.")]
    InvalidLink,
    #[error("The form could not be submitted. Please check it and try again.")]
    FormRejected,
    #[error("That user does not exist in this organisation.")]
    UnknownUser,
    #[error("You cannot do that to your own account.")]
    OwnAccount,
    #[error("Admins and operators cannot be impersonated.")]
    ProtectedAccount,
    #[error("This account is an administrator or operator: only the gatehouse command line can disable, enable, delete, unlock it or remove its sign-in methods.")]
    PrivilegedAccount,
    #[error("This person chose their password when signing up, so only the link mailed to them can confirm the address. Send the confirmation mail again instead.")]
    OwnerMustConfirm,
    #[error("Administrators here must use two-step verification. Set it up under Two-step verification, then come back.")]
    TwoStepRequiredForConsole,
    #[error("This organisation requires two-step verification. Set it up under Two-step verification first.")]
    TwoStepRequired,
    #[error("End the impersonation first: an impersonation cannot start another.")]
    NoChainedImpersonation,
    #[error("The account is disabled. Enable it first.")]
    AccountDisabled,
    #[error("That address is not locked out (any more).")]
    NotLockedOut,
    #[error("That impersonation is not running in this organisation.")]
    UnknownImpersonation,
    #[error("The address is already confirmed.")]
    AlreadyVerified,
    #[error("That audit event does not exist in this organisation.")]
    UnknownEvent,
    #[error("Support access is not available on this server.")]
    SupportAccessUnavailable,
    #[error("Admins and operators cannot be reached by support access.")]
    SupportProtectedAccount,
    #[error("That support access request is not in the list.")]
    UnknownSupportRequest,
    #[error("That request is not approved.")]
    SupportNotApproved,
    #[error("That approval was used already. Ask again for another access.")]
    SupportApprovalUsed,
    #[error("That approval lapsed: an approval must be used within an hour. Ask again.")]
    SupportApprovalExpired,
    #[error("You cannot decide a support access request of your own.")]
    SupportOwnRequest,
    #[error("That request was decided already.")]
    SupportAlreadyDecided,
    #[error("That request lapsed: nobody decided on it within 24 hours.")]
    SupportRequestLapsed,
    #[error("This organisation now requires its admins' approval. Start again to ask them.")]
    SupportApprovalRequired,
    /// A field's value was refused. Both parts are ours (enums, no free text), so the error
    /// can travel in a URL after a form posted without JavaScript.
    #[error("{problem}")]
    Field {
        field: FormField,
        problem: FieldProblem,
    },
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
}

/// The named inputs of the forms (errors are bound to them, and a failed native post keeps
/// some of them); `name()` is the input's `name`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FormField {
    Email,
    Password,
    PasswordConfirm,
    Code,
    SessionId,
    Name,
    Expiry,
    KeyId,
    CurrentPassword,
    PasskeyId,
    Reason,
    Duration,
    ConfirmEmail,
    MfaId,
    Filter,
    Cursor,
    Since,
    Until,
    Ticket,
    TargetNamespace,
    BreakGlass,
    Note,
    /// How an admin lets a new user in (an invitation or a password).
    Mode,
    /// Which second step a sign-in form posts (authenticator or recovery code).
    Method,
}

impl FormField {
    pub fn name(self) -> &'static str {
        match self {
            FormField::Email => "email",
            FormField::Password => "password",
            FormField::PasswordConfirm => "password_confirm",
            FormField::Code => "code",
            FormField::SessionId => "session_id",
            FormField::Name => "name",
            FormField::Expiry => "expiry",
            FormField::KeyId => "key_id",
            FormField::PasskeyId => "passkey_id",
            FormField::CurrentPassword => "current_password",
            FormField::Reason => "reason",
            FormField::Duration => "minutes",
            FormField::ConfirmEmail => "confirm_email",
            FormField::MfaId => "mfa_id",
            FormField::Filter => "filter",
            FormField::Cursor => "after",
            FormField::Since => "since",
            FormField::Until => "until",
            FormField::Ticket => "ticket",
            FormField::TargetNamespace => "target_namespace",
            FormField::BreakGlass => "break_glass",
            FormField::Note => "note",
            FormField::Mode => "mode",
            FormField::Method => "method",
        }
    }
}

/// What is wrong with a field's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum FieldProblem {
    #[error("Enter a valid email address, like name@example.com.")]
    InvalidEmail,
    #[error("Use at least {0} characters.")]
    PasswordTooShort(u16),
    #[error("Use at most {0} characters.")]
    PasswordTooLong(u16),
    #[error("Don't use your email address in your password.")]
    PasswordContainsEmail,
    #[error(
        "This password is too common: it appears in lists of leaked passwords. Choose another."
    )]
    PasswordCommon,
    #[error("This password is easy to guess: {0}")]
    PasswordGuessable(Guessable),
    #[error("The passwords do not match.")]
    PasswordMismatch,
    #[error("The code is incorrect or has expired.")]
    InvalidCode,
    #[error("That device is not in the list.")]
    UnknownDevice,
    #[error("To sign this device out, use Sign out.")]
    CurrentDevice,
    #[error("That device is already signed out.")]
    DeviceAlreadySignedOut,
    #[error("That code is incorrect or was already used. Wait for the next one and try again.")]
    CodeNotAccepted,
    #[error("That is not one of your recovery codes. Check it and try again.")]
    RecoveryCodeNotAccepted,
    #[error(
        "That recovery code was already used: each works once. Use another one from your list."
    )]
    RecoveryCodeUsed,
    #[error("That is not your current password.")]
    WrongPassword,
    #[error("That is already your address.")]
    SameEmail,
    #[error("Give the key a name of at most 60 characters.")]
    InvalidKeyName,
    #[error("Choose when the key expires.")]
    InvalidExpiry,
    #[error("That key is not in the list.")]
    UnknownKey,
    #[error("Give the passkey a name of at most 60 characters.")]
    InvalidPasskeyName,
    #[error("That passkey is not in the list.")]
    UnknownPasskey,
    #[error("Write a reason of {0} to {1} characters.")]
    InvalidReason(u16, u16),
    #[error("Choose 1 to {0} minutes.")]
    InvalidDuration(u16),
    #[error("Type the account's email address exactly to confirm.")]
    ConfirmationMismatch,
    #[error("That sign-in method is not in the list.")]
    UnknownMethod,
    #[error("That address already has an account.")]
    AddressTaken,
    #[error("One of the filters has a value this page does not know. Reset the filters.")]
    InvalidFilter,
    #[error("This page link is no longer valid. Start again from the first page.")]
    InvalidCursor,
    #[error("Enter a date and time like 2026-11-23 14:00 (UTC).")]
    InvalidDate,
    #[error("The start must be before the end.")]
    InvertedRange,
    #[error("Enter the ticket reference in its usual form, like SUP-1234.")]
    InvalidTicket,
    #[error("No such organisation.")]
    UnknownNamespace,
    #[error("No such user in that organisation.")]
    UnknownUser,
    #[error("Write why this cannot wait for an admin's approval, in 10 to 500 characters.")]
    BreakGlassReason,
}

/// Why a password is easy to guess: the strength meter's advice and the refusal's reason, in
/// the same words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Guessable {
    KeyboardPattern,
    Repeats,
    Sequence,
    Dates,
    CommonPassword,
    SingleWord,
    Names,
    Predictable,
}

impl Guessable {
    pub fn advice(self) -> &'static str {
        match self {
            Guessable::KeyboardPattern => {
                "keyboard patterns like qwerty are among the first guesses. Use a few unrelated words."
            }
            Guessable::Repeats => {
                "repeated characters or words add little. Use a few unrelated words."
            }
            Guessable::Sequence => {
                "sequences like abc or 6543 are among the first guesses. Use a few unrelated words."
            }
            Guessable::Dates => "dates and years are easy to guess. Leave them out.",
            Guessable::CommonPassword => {
                "it is close to a commonly used password. Use a few unrelated words."
            }
            Guessable::SingleWord => "a word by itself is easy to guess. Add another word or two.",
            Guessable::Names => "names are easy to guess. Add a few unrelated words.",
            Guessable::Predictable => "make it longer, with a few unrelated words.",
        }
    }
}

impl std::fmt::Display for Guessable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.advice())
    }
}

#[cfg(feature = "ssr")]
impl From<identity::policy::Weakness> for Guessable {
    fn from(w: identity::policy::Weakness) -> Self {
        use identity::policy::Weakness as W;
        match w {
            W::KeyboardPattern => Guessable::KeyboardPattern,
            W::Repeats => Guessable::Repeats,
            W::Sequence => Guessable::Sequence,
            W::Dates => Guessable::Dates,
            W::CommonPassword => Guessable::CommonPassword,
            W::SingleWord => Guessable::SingleWord,
            W::Names => Guessable::Names,
            W::Predictable => Guessable::Predictable,
        }
    }
}

/// The rate limit's message, with the wait rounded up to what a person would say.
fn rate_limited(seconds: Option<i64>) -> String {
    let wait = match seconds {
        Some(s) if s <= 60 => "a minute".to_owned(),
        Some(s) => format!("about {} minutes", (s + 59) / 60),
        None => "a few minutes".to_owned(),
    };
    format!("Too many requests from your network. Wait {wait} and try again.")
}

/// The lockout message: how long, when known, and the ways in that do not need the password.
fn locked_out(minutes: Option<i64>) -> String {
    let wait = match minutes {
        Some(1) => "Try again in about a minute".to_owned(),
        Some(n) => format!("Try again in about {n} minutes"),
        None => "Try again later".to_owned(),
    };
    format!(
        "Too many attempts: this address is locked for now. {wait}, or reset your password or \
         sign in with a link by email meanwhile."
    )
}

impl AppError {
    pub fn field(field: FormField, problem: FieldProblem) -> AppError {
        AppError::Field { field, problem }
    }

    /// The input this error belongs to, if it is about one field.
    pub fn field_name(&self) -> Option<&'static str> {
        match self {
            AppError::Field { field, .. } => Some(field.name()),
            _ => None,
        }
    }

    /// The HTTP status the error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::InvalidCredentials | AppError::NotSignedIn => 401,
            AppError::Forbidden
            | AppError::ReadOnlyWhileImpersonating
            | AppError::EmailNotVerified
            | AppError::SignUpClosed
            | AppError::ReauthenticationRequired => 403,
            AppError::InvalidLink
            | AppError::SignInExpired
            | AppError::SetupExpired
            | AppError::AlreadyEnrolled
            | AppError::NoSecondFactor => 400,
            AppError::EmailTaken => 409,
            AppError::PasskeyNotVerified => 400,
            AppError::PasskeysUnavailable => 404,
            AppError::NoPasskey => 400,
            AppError::TooManyCodes => 429,
            AppError::UnknownNamespace => 404,
            AppError::LockedOut { .. } | AppError::RateLimited { .. } => 429,
            AppError::FormRejected | AppError::Field { .. } => 400,
            AppError::UnknownUser
            | AppError::UnknownImpersonation
            | AppError::UnknownEvent
            | AppError::UnknownSupportRequest => 404,
            AppError::OwnAccount
            | AppError::ProtectedAccount
            | AppError::PrivilegedAccount
            | AppError::TwoStepRequiredForConsole
            | AppError::TwoStepRequired
            | AppError::NoChainedImpersonation
            | AppError::SupportProtectedAccount
            | AppError::SupportOwnRequest => 403,
            AppError::SupportNotApproved
            | AppError::SupportApprovalUsed
            | AppError::SupportApprovalExpired
            | AppError::SupportAlreadyDecided
            | AppError::SupportRequestLapsed
            | AppError::SupportApprovalRequired => 409,
            AppError::SupportAccessUnavailable => 404,
            AppError::AccountDisabled
            | AppError::NotLockedOut
            | AppError::AlreadyVerified
            | AppError::OwnerMustConfirm => 409,
            AppError::Internal => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::Deserialization(_) => {
                AppError::FormRejected
            }
            _ => AppError::Internal,
        }
    }
}

#[cfg(feature = "ssr")]
mod from_services {
    use super::{AppError, FieldProblem, FormField};

    impl From<identity::SignInError> for AppError {
        fn from(err: identity::SignInError) -> Self {
            match err {
                identity::SignInError::InvalidCredentials => AppError::InvalidCredentials,
                identity::SignInError::LockedOut { until } => AppError::LockedOut {
                    // Rounded up: "about 1 minute" rather than "0".
                    minutes: until
                        .map(|t| ((t - chrono::Utc::now()).num_seconds() + 59).max(60) / 60),
                },
                identity::SignInError::EmailNotVerified => AppError::EmailNotVerified,
                other => {
                    tracing::error!(error = ?other, "sign-in failed");
                    AppError::Internal
                }
            }
        }
    }

    impl From<identity::caller::AccessError> for AppError {
        fn from(err: identity::caller::AccessError) -> Self {
            use identity::caller::AccessError as A;
            match err {
                A::Forbidden => AppError::Forbidden,
                A::ReadOnlyWhileImpersonating => AppError::ReadOnlyWhileImpersonating,
                A::ConsoleNeedsTwoStep => AppError::TwoStepRequiredForConsole,
                A::AccountNeedsTwoStep => AppError::TwoStepRequired,
                A::ReauthenticationRequired => AppError::ReauthenticationRequired,
                other => {
                    tracing::error!(error = ?other, "resolving the caller failed");
                    AppError::Internal
                }
            }
        }
    }

    impl From<identity::FlowError> for AppError {
        fn from(err: identity::FlowError) -> Self {
            use identity::FlowError as F;
            use identity::PolicyViolation as P;
            let short = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
            match err {
                F::InvalidEmail(_) => AppError::field(FormField::Email, FieldProblem::InvalidEmail),
                F::WeakPassword(P::TooShort(n)) => AppError::field(
                    FormField::Password,
                    FieldProblem::PasswordTooShort(short(n)),
                ),
                F::WeakPassword(P::TooLong(n)) => {
                    AppError::field(FormField::Password, FieldProblem::PasswordTooLong(short(n)))
                }
                F::WeakPassword(P::ContainsEmail) => {
                    AppError::field(FormField::Password, FieldProblem::PasswordContainsEmail)
                }
                F::WeakPassword(P::Common) => {
                    AppError::field(FormField::Password, FieldProblem::PasswordCommon)
                }
                F::WeakPassword(P::Guessable(w)) => AppError::field(
                    FormField::Password,
                    FieldProblem::PasswordGuessable(w.into()),
                ),
                F::WrongCurrentPassword => {
                    AppError::field(FormField::CurrentPassword, FieldProblem::WrongPassword)
                }
                F::PasswordMismatch => {
                    AppError::field(FormField::PasswordConfirm, FieldProblem::PasswordMismatch)
                }
                F::InvalidCode => AppError::field(FormField::Code, FieldProblem::InvalidCode),
                F::SignUpClosed => AppError::SignUpClosed,
                F::InvalidLink => AppError::InvalidLink,
                F::LockedOut => AppError::LockedOut { minutes: None },
                F::AddressTaken => AppError::field(FormField::Email, FieldProblem::AddressTaken),
                F::AlreadyVerified => AppError::AlreadyVerified,
                F::AccountDisabled => AppError::AccountDisabled,
                other => {
                    tracing::error!(error = ?other, "account flow failed");
                    AppError::Internal
                }
            }
        }
    }

    impl From<identity::SecondFactorError> for AppError {
        fn from(err: identity::SecondFactorError) -> Self {
            use identity::SecondFactorError as E;
            match err {
                E::Expired => AppError::SignInExpired,
                E::Passkey(identity::passkeys::PasskeyError::Unavailable) => {
                    AppError::PasskeysUnavailable
                }
                E::WrongCode => AppError::field(FormField::Code, FieldProblem::CodeNotAccepted),
                E::WrongRecoveryCode => {
                    AppError::field(FormField::Code, FieldProblem::RecoveryCodeNotAccepted)
                }
                E::RecoveryCodeUsed => {
                    AppError::field(FormField::Code, FieldProblem::RecoveryCodeUsed)
                }
                E::TooManyAttempts => AppError::TooManyCodes,
                E::LockedOut => AppError::LockedOut { minutes: None },
                other => {
                    tracing::error!(error = ?other, "second factor failed");
                    AppError::Internal
                }
            }
        }
    }

    impl From<identity::security::SecurityError> for AppError {
        fn from(err: identity::security::SecurityError) -> Self {
            use identity::api_keys::ApiKeyError as K;
            use identity::passkeys::PasskeyError as P;
            use identity::security::SecurityError as E;
            use identity::totp::TotpError as T;
            match err {
                E::Totp(T::WrongCode) => {
                    AppError::field(FormField::Code, FieldProblem::CodeNotAccepted)
                }
                E::Totp(T::EnrollmentInvalid) => AppError::SetupExpired,
                E::Totp(T::AlreadyEnrolled) => AppError::AlreadyEnrolled,
                E::Totp(T::NotEnrolled) | E::NoSecondFactor => AppError::NoSecondFactor,
                E::ApiKey(K::InvalidName) => {
                    AppError::field(FormField::Name, FieldProblem::InvalidKeyName)
                }
                E::ApiKey(K::UnknownKey) => {
                    AppError::field(FormField::KeyId, FieldProblem::UnknownKey)
                }
                E::Passkey(P::NotVerified) => AppError::PasskeyNotVerified,
                E::Passkey(P::Unavailable) => AppError::PasskeysUnavailable,
                E::Passkey(P::InvalidName) => {
                    AppError::field(FormField::Name, FieldProblem::InvalidPasskeyName)
                }
                E::Passkey(P::UnknownPasskey) => {
                    AppError::field(FormField::PasskeyId, FieldProblem::UnknownPasskey)
                }
                other => {
                    tracing::error!(error = ?other, "security change failed");
                    AppError::Internal
                }
            }
        }
    }

    impl From<identity::api_keys::ApiKeyError> for AppError {
        fn from(err: identity::api_keys::ApiKeyError) -> Self {
            identity::security::SecurityError::from(err).into()
        }
    }

    impl From<identity::email_change::EmailChangeError> for AppError {
        fn from(err: identity::email_change::EmailChangeError) -> Self {
            use identity::email_change::EmailChangeError as E;
            match err {
                E::InvalidEmail(_) => AppError::field(FormField::Email, FieldProblem::InvalidEmail),
                E::SameAddress => AppError::field(FormField::Email, FieldProblem::SameEmail),
                E::InvalidLink => AppError::InvalidLink,
                E::AddressTaken => AppError::EmailTaken,
                other => {
                    tracing::error!(error = ?other, "email change failed");
                    AppError::Internal
                }
            }
        }
    }

    impl From<identity::admin::AdminError> for AppError {
        fn from(err: identity::admin::AdminError) -> Self {
            use identity::admin::AdminError as E;
            let small = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
            match err {
                E::UnknownUser => AppError::UnknownUser,
                E::UnknownSession => {
                    AppError::field(FormField::SessionId, FieldProblem::UnknownDevice)
                }
                E::UnknownMethod => AppError::field(FormField::MfaId, FieldProblem::UnknownMethod),
                E::UnknownKey => AppError::field(FormField::KeyId, FieldProblem::UnknownKey),
                E::ConfirmationMismatch => {
                    AppError::field(FormField::ConfirmEmail, FieldProblem::ConfirmationMismatch)
                }
                E::OwnAccount => AppError::OwnAccount,
                E::ProtectedAccount => AppError::ProtectedAccount,
                E::PrivilegedAccount => AppError::PrivilegedAccount,
                E::OwnerMustConfirm => AppError::OwnerMustConfirm,
                E::FromImpersonation => AppError::NoChainedImpersonation,
                E::Disabled => AppError::AccountDisabled,
                E::InvalidReason { min, max } => AppError::field(
                    FormField::Reason,
                    FieldProblem::InvalidReason(small(min), small(max)),
                ),
                E::InvalidDuration { max_minutes } => AppError::field(
                    FormField::Duration,
                    FieldProblem::InvalidDuration(u16::try_from(max_minutes).unwrap_or(u16::MAX)),
                ),
                E::InvalidFilter("email") => {
                    AppError::field(FormField::Email, FieldProblem::InvalidEmail)
                }
                E::InvalidFilter(_) => {
                    AppError::field(FormField::Filter, FieldProblem::InvalidFilter)
                }
                E::InvalidCursor => AppError::field(FormField::Cursor, FieldProblem::InvalidCursor),
                E::NotLockedOut => AppError::NotLockedOut,
                E::UnknownImpersonation => AppError::UnknownImpersonation,
                E::EmailTaken => AppError::field(FormField::Email, FieldProblem::AddressTaken),
                E::InvalidEmail(_) => AppError::field(FormField::Email, FieldProblem::InvalidEmail),
                E::WeakPassword(p) => AppError::from(identity::FlowError::WeakPassword(p)),
                other => {
                    tracing::error!(error = ?other, "admin action failed");
                    AppError::Internal
                }
            }
        }
    }

    impl From<identity::support_access::SupportError> for AppError {
        fn from(err: identity::support_access::SupportError) -> Self {
            use identity::support_access::SupportError as E;
            match err {
                E::Unavailable => AppError::SupportAccessUnavailable,
                E::InvalidTicket => AppError::field(FormField::Ticket, FieldProblem::InvalidTicket),
                E::InvalidDuration { max_minutes } => AppError::field(
                    FormField::Duration,
                    FieldProblem::InvalidDuration(u16::try_from(max_minutes).unwrap_or(u16::MAX)),
                ),
                E::UnknownNamespace => {
                    AppError::field(FormField::TargetNamespace, FieldProblem::UnknownNamespace)
                }
                E::UnknownUser => AppError::field(FormField::Email, FieldProblem::UnknownUser),
                E::Disabled => AppError::AccountDisabled,
                E::ProtectedAccount => AppError::SupportProtectedAccount,
                E::FromImpersonation => AppError::NoChainedImpersonation,
                E::OwnAccount => AppError::OwnAccount,
                E::RequestNotFound => AppError::UnknownSupportRequest,
                E::NotApproved => AppError::SupportNotApproved,
                E::ApprovalUsed => AppError::SupportApprovalUsed,
                E::ApprovalExpired => AppError::SupportApprovalExpired,
                E::OwnRequest => AppError::SupportOwnRequest,
                E::AlreadyDecided => AppError::SupportAlreadyDecided,
                E::RequestLapsed => AppError::SupportRequestLapsed,
                E::ApprovalRequired => AppError::SupportApprovalRequired,
                E::Access(a) => a.into(),
                E::Lookup(a) => a.into(),
                E::Internal(e) => {
                    tracing::error!(error = %e, "support access failed");
                    AppError::Internal
                }
            }
        }
    }

    impl From<authn::AuthnError> for AppError {
        fn from(err: authn::AuthnError) -> Self {
            tracing::error!(sqlstate = ?err.sqlstate(), message = %err.message(), "core call failed");
            AppError::Internal
        }
    }
}
