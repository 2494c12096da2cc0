//! Gatehouse's identity services: the rules and the cryptography the authn core leaves to its
//! callers (it stores, it never hashes). Plain Rust over the `authn` client, no web framework,
//! so the web app's server functions, the JSON API and the CLI share one implementation.

pub mod activity;
pub mod admin;
pub mod api_keys;
pub mod caller;
mod client_info;
pub mod clock;
pub mod dashboard;
pub mod devices;
pub mod email;
pub mod email_change;
pub mod email_code;
pub mod flows;
mod internal;
pub mod lockout;
pub mod mail;
pub mod mail_requests;
pub mod passkeys;
pub mod password;
pub mod pending;
pub mod policy;
pub mod provisioning;
pub mod rate_limit;
pub mod reauth;
pub mod recovery;
pub mod required_password_change;
pub mod roles;
pub mod second_factor;
pub mod secret_box;
pub mod security;
pub mod session;
pub mod session_policy;
pub mod signin;
pub mod support_access;
pub mod support_requests;
pub mod token;
pub mod totp;

pub use clock::{Clock, SystemClock};
pub use email::{EmailAddress, InvalidEmail};
pub use flows::{AccountFlows, FlowError, NewPassword, PasswordChange, TypedPassword};
pub use internal::Internal;
pub use lockout::{LockoutPolicy, LockoutState};
pub use mail::MailDelivery;
pub use password::PasswordHasher;
pub use policy::{PasswordPolicy, PolicyViolation};
pub use rate_limit::{RateLimiter, RateRule};
pub use roles::{Roles, SignUpMode};
pub use second_factor::{AvailableMethods, SecondFactor, SecondFactorError};
pub use secret_box::SecretBox;
pub use security::{Owner, SecuritySettings};
pub use session::{ClientInfo, SignInStep, SignedIn};
pub use session_policy::{SessionKeeper, SessionPolicy};
pub use signin::{SignInError, SignInRequest, SignInService};
pub use token::OpaqueToken;
pub use totp::TotpService;
