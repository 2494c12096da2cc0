//! Password rules after NIST SP 800-63B: length, not composition; not a known common or
//! breached password (a bundled list, checked offline); not the e-mail address.

use std::collections::HashSet;
use std::sync::OnceLock;

/// The 100,000 most common passwords of 8 or more characters (see `data/README.md`).
const COMMON: &str = include_str!("../data/common-passwords.txt");

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON.lines().filter(|l| !l.is_empty()).collect())
}

/// Whether `password` is on the bundled list (compared in lower case, as the list is).
pub fn is_common(password: &str) -> bool {
    common_passwords().contains(password.to_lowercase().as_str())
}

/// Why a password was refused; the `Display` text is meant for the person choosing it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyViolation {
    #[error("Use at least {0} characters.")]
    TooShort(usize),
    #[error("Use at most {0} characters.")]
    TooLong(usize),
    #[error("Don't use your email address in your password.")]
    ContainsEmail,
    #[error(
        "This password is too common: it appears in lists of leaked passwords. Choose another."
    )]
    Common,
    /// The strength meter rates it below the policy's score; the weakness is what the meter
    /// tells the person, so the refusal and the meter agree.
    #[error("the password is easy to guess ({0:?})")]
    Guessable(Weakness),
}

/// Why zxcvbn finds a password easy to guess, in the few kinds its feedback distinguishes
/// (the app words them, for the meter and for the refusal alike).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weakness {
    KeyboardPattern,
    Repeats,
    Sequence,
    Dates,
    CommonPassword,
    SingleWord,
    Names,
    /// Low score without a specific pattern: simply too little to guess.
    Predictable,
}

impl Weakness {
    fn of(warning: Option<zxcvbn::feedback::Warning>) -> Weakness {
        use zxcvbn::feedback::Warning as W;
        match warning {
            Some(W::StraightRowsOfKeysAreEasyToGuess | W::ShortKeyboardPatternsAreEasyToGuess) => {
                Weakness::KeyboardPattern
            }
            Some(
                W::RepeatsLikeAaaAreEasyToGuess | W::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess,
            ) => Weakness::Repeats,
            Some(W::SequencesLikeAbcAreEasyToGuess) => Weakness::Sequence,
            Some(W::RecentYearsAreEasyToGuess | W::DatesAreOftenEasyToGuess) => Weakness::Dates,
            Some(
                W::ThisIsATop10Password
                | W::ThisIsATop100Password
                | W::ThisIsACommonPassword
                | W::ThisIsSimilarToACommonlyUsedPassword,
            ) => Weakness::CommonPassword,
            Some(W::AWordByItselfIsEasyToGuess) => Weakness::SingleWord,
            Some(
                W::NamesAndSurnamesByThemselvesAreEasyToGuess
                | W::CommonNamesAndSurnamesAreEasyToGuess,
            ) => Weakness::Names,
            None => Weakness::Predictable,
        }
    }
}

/// The lowest zxcvbn score accepted by default: 3 is "safely unguessable" (about 10^8
/// guesses and more), what the meter calls "good".
pub const DEFAULT_MIN_SCORE: u8 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_chars: usize,
    pub max_chars: usize,
    /// The lowest strength-meter score (0–4) accepted.
    pub min_score: u8,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_chars: 12,
            max_chars: 128,
            min_score: DEFAULT_MIN_SCORE,
        }
    }
}

/// The shortest password a namespace without two-step verification for every account takes,
/// whatever is configured (ASVS 2.1.1; 8 is enough only with a second factor).
pub const MIN_CHARS_WITHOUT_MFA: usize = 12;

impl PasswordPolicy {
    /// The policy of a namespace: the configured minimum length holds only where every
    /// account has two-step verification; elsewhere it is at least [`MIN_CHARS_WITHOUT_MFA`].
    pub fn for_namespace(&self, accounts_require_mfa: bool) -> PasswordPolicy {
        PasswordPolicy {
            min_chars: if accounts_require_mfa {
                self.min_chars
            } else {
                self.min_chars.max(MIN_CHARS_WITHOUT_MFA)
            },
            ..*self
        }
    }

    /// Checks a new password for the account `email`. Characters, not bytes, are counted, so
    /// every script is treated alike.
    pub fn check(&self, password: &str, email: &str) -> Result<(), PolicyViolation> {
        let chars = password.chars().count();
        if chars < self.min_chars {
            return Err(PolicyViolation::TooShort(self.min_chars));
        }
        if chars > self.max_chars {
            return Err(PolicyViolation::TooLong(self.max_chars));
        }
        let local = email
            .trim()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_lowercase();
        if local.chars().count() >= 3 && password.to_lowercase().contains(&local) {
            return Err(PolicyViolation::ContainsEmail);
        }
        if is_common(password) {
            return Err(PolicyViolation::Common);
        }
        let strength = strength(password, email);
        if strength.score < self.min_score {
            return Err(PolicyViolation::Guessable(
                strength.weakness.unwrap_or(Weakness::Predictable),
            ));
        }
        Ok(())
    }
}

/// How guessable a password is, for the meter beside the field (zxcvbn), with its advice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Strength {
    /// 0 (guessed at once) to 4 (very hard to guess).
    pub score: u8,
    pub warning: Option<String>,
    pub suggestions: Vec<String>,
    /// What makes it guessable, when the score is below the default minimum.
    pub weakness: Option<Weakness>,
}

/// Estimates `password`'s strength, counting the e-mail address as something an attacker knows.
pub fn strength(password: &str, email: &str) -> Strength {
    if password.is_empty() {
        return Strength {
            score: 0,
            warning: None,
            suggestions: vec![],
            weakness: Some(Weakness::Predictable),
        };
    }
    let local = email.split('@').next().unwrap_or_default();
    // zxcvbn's cost grows with length; past 100 characters the score is the maximum anyway.
    let sample: String = password.chars().take(100).collect();
    let estimate = zxcvbn::zxcvbn(&sample, &[local, email]);
    let mut score = u8::from(estimate.score());
    if is_common(password) {
        score = 0;
    }
    let feedback = estimate.feedback();
    let warning = feedback.and_then(|f| f.warning());
    Strength {
        score,
        weakness: (score < DEFAULT_MIN_SCORE).then(|| {
            if is_common(password) {
                Weakness::CommonPassword
            } else {
                Weakness::of(warning)
            }
        }),
        warning: warning.map(|w| w.to_string()),
        suggestions: feedback
            .map(|f| f.suggestions().iter().map(ToString::to_string).collect())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_rules_count_characters() {
        // Length alone: the strength score has its own test.
        let p = PasswordPolicy {
            min_score: 0,
            ..PasswordPolicy::default()
        };
        assert_eq!(
            p.check("short", "a@b.c"),
            Err(PolicyViolation::TooShort(12))
        );
        assert!(p.check("twelve chars", "a@b.c").is_ok());
        assert!(
            p.check("ééééééééééé", "a@b.c").is_err(),
            "11 characters, 22 bytes"
        );
        assert!(p.check(&"x".repeat(128), "a@b.c").is_ok());
        assert_eq!(
            p.check(&"x".repeat(129), "a@b.c"),
            Err(PolicyViolation::TooLong(128))
        );
        assert!(p.check("no digits or symbols needed", "a@b.c").is_ok());
    }

    /// Issue 10.10: these passed the length and list checks while the meter called them weak.
    #[test]
    fn refuses_what_the_meter_calls_weak() {
        let p = PasswordPolicy::default();
        for weak in [
            "password123456",
            "Password1234!",
            "aaaaaaaaaaaaaaaa",
            "abcdefghijklmnop",
        ] {
            let score = strength(weak, "a@b.c").score;
            assert!(score < 3, "{weak}: {score}");
            assert!(
                matches!(
                    p.check(weak, "a@b.c"),
                    Err(PolicyViolation::Guessable(_) | PolicyViolation::Common)
                ),
                "{weak}"
            );
        }
        assert!(matches!(
            p.check("Password1234!", "a@b.c"),
            Err(PolicyViolation::Guessable(_))
        ));
        // The passwords the tests and the demo use are strong enough.
        for fine in [
            "correct horse battery staple",
            "lantern orbit velvet canyon",
            "a brand new passphrase",
            "an impostor's passphrase",
            "yet another passphrase",
            "a sturdy initial passphrase",
            "a long new passphrase",
            "demo-password-123",
        ] {
            assert_eq!(p.check(fine, "someone@example.com"), Ok(()), "{fine}");
        }
        let lenient = PasswordPolicy { min_score: 0, ..p };
        assert!(lenient.check("abcdefghijklmnop", "a@b.c").is_ok());
    }

    /// Issue 10.9: 8 characters only where every account has a second factor.
    #[test]
    fn short_minimums_hold_only_where_every_account_has_two_step_verification() {
        let configured = PasswordPolicy {
            min_chars: 8,
            ..PasswordPolicy::default()
        };
        assert_eq!(configured.for_namespace(false).min_chars, 12);
        assert_eq!(configured.for_namespace(true).min_chars, 8);
        assert_eq!(
            configured
                .for_namespace(false)
                .check("violin cargo", "a@b.c"),
            Ok(()),
            "twelve characters"
        );
        assert_eq!(
            configured.for_namespace(false).check("quokkazebu", "a@b.c"),
            Err(PolicyViolation::TooShort(12))
        );
        let fifteen = PasswordPolicy {
            min_chars: 15,
            ..PasswordPolicy::default()
        };
        assert_eq!(fifteen.for_namespace(false).min_chars, 15);
        assert_eq!(fifteen.for_namespace(true).min_chars, 15);
    }

    #[test]
    fn refuses_common_and_breached_passwords_whatever_their_case() {
        assert!(common_passwords().len() >= 100_000);
        let p = PasswordPolicy::default();
        assert_eq!(
            p.check("password1234", "a@b.c"),
            Err(PolicyViolation::Common)
        );
        assert_eq!(
            p.check("PassWord1234", "a@b.c"),
            Err(PolicyViolation::Common)
        );
        assert_eq!(
            p.check("qwertyuiop123", "a@b.c"),
            Err(PolicyViolation::Common)
        );
        assert!(p.check("correct horse battery staple", "a@b.c").is_ok());
        assert!(!is_common(""));
    }

    #[test]
    fn strength_grows_with_guessing_cost() {
        assert_eq!(strength("password1234", "a@b.c").score, 0);
        let weak = strength("alicealice12", "alice@example.com");
        assert!(weak.score <= 1, "{weak:?}");
        assert_eq!(strength("correct horse battery staple", "a@b.c").score, 4);
        assert_eq!(strength("", "a@b.c").score, 0);
    }

    #[test]
    fn refuses_the_local_part_of_the_email() {
        let p = PasswordPolicy::default();
        assert_eq!(
            p.check("my name is Alice.Smith!", "alice.smith@example.com"),
            Err(PolicyViolation::ContainsEmail)
        );
        assert!(p
            .check("completely different", "alice.smith@example.com")
            .is_ok());
        let p8 = PasswordPolicy { min_chars: 8, ..p };
        assert!(
            p8.check("banjo tuba!", "jo@example.com").is_ok(),
            "very short local parts are ignored"
        );
    }
}
