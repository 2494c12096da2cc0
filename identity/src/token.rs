//! Opaque bearer tokens (session cookies, reset and magic links, API keys): 256 random bits,
//! shown to their holder once, stored by the core only as the SHA-256 of the text.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A freshly generated token. Its text is the secret; `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct OpaqueToken(String);

impl OpaqueToken {
    /// 32 bytes from the operating system's CSPRNG, base64url without padding (43 chars).
    pub fn generate() -> Self {
        Self::generate_with_prefix("")
    }

    /// The same with a recognisable prefix (e.g. `gh_` for API keys, so that secret scanners
    /// and people can tell what leaked).
    pub fn generate_with_prefix(prefix: &str) -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        OpaqueToken(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Wraps a token presented by a client (cookie, link, header) to hash it.
    pub fn from_presented(text: &str) -> Self {
        OpaqueToken(text.to_owned())
    }

    /// The secret text, to hand to its holder.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the core stores and looks up: lower-case hex SHA-256 of the text.
    pub fn hash(&self) -> String {
        hash_token(&self.0)
    }
}

impl std::fmt::Debug for OpaqueToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OpaqueToken(<redacted>)")
    }
}

/// SHA-256 hex of a token's text.
pub fn hash_token(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Length of a generated token's text without a prefix: 32 bytes in base64url, unpadded.
const TOKEN_CHARS: usize = 43;

/// The hash to look up for a token presented in a link (magic link, reset, verification,
/// e-mail change), or `None` when the text is not exactly what [`OpaqueToken::generate`] makes.
/// Anything else is refused without a lookup: the hash of an arbitrary string must never be
/// able to match a stored hash made some other way (e-mail codes once were, see
/// `crate::email_code`).
pub fn link_token_hash(text: &str) -> Option<String> {
    let text = text.trim();
    let well_formed = text.len() == TOKEN_CHARS
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && URL_SAFE_NO_PAD
            .decode(text)
            .is_ok_and(|bytes| bytes.len() == 32);
    well_formed.then(|| hash_token(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_unique_and_hashed_as_sha256_hex() {
        let a = OpaqueToken::generate();
        let b = OpaqueToken::generate();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43);
        assert_eq!(URL_SAFE_NO_PAD.decode(a.expose()).unwrap().len(), 32);
        assert_eq!(a.hash().len(), 64);
        assert_eq!(OpaqueToken::from_presented(a.expose()).hash(), a.hash());
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(!format!("{a:?}").contains(a.expose()));
        assert!(OpaqueToken::generate_with_prefix("gh_")
            .expose()
            .starts_with("gh_"));
    }

    #[test]
    fn only_generated_tokens_are_looked_up_from_links() {
        let token = OpaqueToken::generate();
        assert_eq!(link_token_hash(token.expose()), Some(token.hash()));
        assert_eq!(
            link_token_hash(&format!(" {}\n", token.expose())),
            Some(token.hash())
        );
        let id = "4b3b0c2e-1111-4222-8333-444455556666";
        for bad in [
            String::new(),
            format!("email-code:{id}:123456"),
            token.expose()[..42].to_owned(),
            format!("{}A", token.expose()),
            token
                .expose()
                .replacen(|c: char| c.is_alphanumeric(), "+", 1),
        ] {
            assert_eq!(link_token_hash(&bad), None, "{bad}");
        }
    }
}
