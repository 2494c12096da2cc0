//! The written justification an admin gives for unlocking an account or impersonating one. It
//! ends up in the audit trail and in the banner, so it must say something.

use super::AdminError;

pub const MIN_CHARS: usize = 10;
pub const MAX_CHARS: usize = 500;

/// A checked justification: trimmed, 10 to 500 characters, one line of printable text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    pub fn parse(input: &str) -> Result<Reason, AdminError> {
        let text = input.trim();
        let chars = text.chars().count();
        if !(MIN_CHARS..=MAX_CHARS).contains(&chars) || text.chars().any(char::is_control) {
            return Err(AdminError::InvalidReason {
                min: MIN_CHARS,
                max: MAX_CHARS,
            });
        }
        Ok(Reason(text.to_owned()))
    }

    /// A note an admin may add to a routine action: empty means none; otherwise one line of at
    /// most 500 printable characters.
    pub fn optional(input: &str) -> Result<Option<Reason>, AdminError> {
        let text = input.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.chars().count() > MAX_CHARS || text.chars().any(char::is_control) {
            return Err(AdminError::InvalidReason {
                min: 1,
                max: MAX_CHARS,
            });
        }
        Ok(Some(Reason(text.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_trimmed_and_needs_ten_printable_characters() {
        assert_eq!(
            Reason::parse("  Ticket 4711: cannot sign in  ")
                .unwrap()
                .as_str(),
            "Ticket 4711: cannot sign in"
        );
        assert!(Reason::parse("too short").is_err());
        assert!(Reason::parse("          x         ").is_err());
        assert!(Reason::parse("line one\nline two").is_err());
        assert!(Reason::parse(&"x".repeat(501)).is_err());
        assert!(Reason::parse(&"é".repeat(10)).is_ok());
        assert_eq!(Reason::optional("  ").unwrap(), None);
        assert_eq!(
            Reason::optional(" left ").unwrap().unwrap().as_str(),
            "left"
        );
        assert!(Reason::optional("a\tb").is_err());
        assert!(Reason::optional(&"x".repeat(501)).is_err());
    }
}
