//! Gatehouse's identity services: the rules and the cryptography the authn core leaves to its
//! callers (it stores, it never hashes). Plain Rust over the `authn` client, no web framework,
//! so the web app's server functions, the JSON API and the CLI share one implementation.

pub mod clock;
pub mod lockout;
pub mod password;
pub mod policy;
pub mod signin;
pub mod token;

pub use clock::{Clock, SystemClock};
pub use lockout::{LockoutPolicy, LockoutState};
pub use password::PasswordHasher;
pub use policy::{PasswordPolicy, PolicyViolation};
pub use signin::{SignInError, SignInRequest, SignInService, SignedIn};
pub use token::OpaqueToken;
