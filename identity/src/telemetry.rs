//! What identity counts for operators, as Prometheus series through the `metrics` facade: the
//! server installs an exporter when `/metrics` is on (`GATEHOUSE_METRICS_BIND`); without one,
//! recording does nothing. Label values come from the fixed sets named here, never from input,
//! so a series cannot be multiplied by what a client sends.

use crate::session::SignInStep;

/// Sign-in attempts by first-step method and outcome.
pub const SIGN_INS: &str = "gatehouse_sign_ins_total";
/// Second steps (two-step verification) by method and outcome.
pub const MFA_STEPS: &str = "gatehouse_mfa_steps_total";
/// Attempts refused because the address is locked out, by method.
pub const LOCKOUTS: &str = "gatehouse_lockouts_total";
/// Mail the outbox could not hand to the SMTP server (each failed attempt).
pub const MAIL_DELIVERY_FAILURES: &str = "gatehouse_mail_delivery_failures_total";

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Signed in.
    Success,
    /// The first step passed; a second step (or a new password) is owed.
    SecondStep,
    /// Wrong or unusable credentials.
    Failure,
    LockedOut,
    /// Something below the rules failed.
    Error,
}

impl Outcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::SecondStep => "second_step",
            Outcome::Failure => "failure",
            Outcome::LockedOut => "locked_out",
            Outcome::Error => "error",
        }
    }

    /// The outcome of a first step, its errors judged by `error`.
    pub(crate) fn of_first_step<E>(
        result: &Result<SignInStep, E>,
        error: impl Fn(&E) -> Outcome,
    ) -> Outcome {
        match result {
            Ok(SignInStep::SignedIn(_)) => Outcome::Success,
            Ok(_) => Outcome::SecondStep,
            Err(e) => error(e),
        }
    }
}

/// Counts a first sign-in step (`password`, `email_code`, `magic_link`, `passkey`).
pub fn sign_in(method: &'static str, outcome: Outcome) {
    metrics::counter!(SIGN_INS, "method" => method, "outcome" => outcome.as_str()).increment(1);
    if outcome == Outcome::LockedOut {
        metrics::counter!(LOCKOUTS, "method" => method).increment(1);
    }
}

/// Counts a second step (`totp`, `recovery_code`, `passkey`).
pub fn mfa_step(method: &'static str, outcome: Outcome) {
    metrics::counter!(MFA_STEPS, "method" => method, "outcome" => outcome.as_str()).increment(1);
    if outcome == Outcome::LockedOut {
        metrics::counter!(LOCKOUTS, "method" => method).increment(1);
    }
}

/// Counts one failed delivery attempt of the outbox.
pub fn mail_delivery_failed() {
    metrics::counter!(MAIL_DELIVERY_FAILURES).increment(1);
}
