//! Password rules after NIST SP 800-63B: length, not composition. (The check against a list of
//! breached passwords comes with the portal work.)

/// Why a password was refused; the `Display` text is meant for the person choosing it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyViolation {
    #[error("Use at least {0} characters.")]
    TooShort(usize),
    #[error("Use at most {0} characters.")]
    TooLong(usize),
    #[error("Don't use your email address in your password.")]
    ContainsEmail,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_chars: usize,
    pub max_chars: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_chars: 12,
            max_chars: 128,
        }
    }
}

impl PasswordPolicy {
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
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_rules_count_characters() {
        let p = PasswordPolicy::default();
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
            p8.check("abcdefgh", "jo@example.com").is_ok(),
            "very short local parts are ignored"
        );
    }
}
