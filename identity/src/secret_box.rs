//! Authenticated encryption for secrets the app must read back (TOTP secrets): the core
//! stores them verbatim, so they are sealed here with the deployment's key before they leave.
//!
//! XChaCha20-Poly1305 with a random 192-bit nonce per seal (no nonce bookkeeping needed).
//! Every seal names its purpose and owner as associated data, so a sealed value copied to
//! another user or another use does not open.
//!
//! The same key also makes keyed hashes (HMAC-SHA256) for short secrets that must be looked up
//! but never read back, such as mailed sign-in codes: a million values are no work to hash
//! through unkeyed, so a leaked table must not be enough to recover them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::digest::generic_array::GenericArray;
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256, Sha512};

/// Sealed values start with this, so a future key or algorithm can be told apart.
const VERSION: &str = "v1.";
const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretBoxError {
    #[error("the secret key must be 64 hex characters (32 bytes)")]
    BadKey,
    /// Wrong key, wrong associated data, or a damaged value; deliberately one case.
    #[error("the sealed value does not open with this key")]
    Unreadable,
}

/// The deployment's key. `Debug` never prints it.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
    /// Derived from the key with its own label, so the cipher key is never used as a MAC key.
    /// 64 bytes: HMAC-SHA256's block size, so the key is used as is.
    mac_key: [u8; 64],
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(<key>)")
    }
}

impl SecretBox {
    /// From the configured key: 64 hex characters.
    pub fn from_hex(key: &str) -> Result<SecretBox, SecretBoxError> {
        let bytes = hex::decode(key.trim()).map_err(|_| SecretBoxError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| SecretBoxError::BadKey)?;
        let mac_key = Sha512::new()
            .chain_update(b"gatehouse keyed hash v1\0")
            .chain_update(key)
            .finalize()
            .into();
        Ok(SecretBox {
            cipher: XChaCha20Poly1305::new(&key.into()),
            mac_key,
        })
    }

    /// HMAC-SHA256 of `value` for `context` (e.g. "email-code:<user id>"), as lower-case hex:
    /// the same inputs always give the same 64 characters, and nobody without the key can
    /// compute or invert it.
    pub fn keyed_hash(&self, context: &str, value: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as hmac::digest::KeyInit>::new(GenericArray::from_slice(&self.mac_key));
        mac.update(context.as_bytes());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Encrypts `plaintext` bound to `context` (e.g. "totp:<namespace>:<user id>").
    pub fn seal(&self, plaintext: &[u8], context: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            // Encryption fails only for inputs beyond 256 GiB.
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        format!("{VERSION}{}", URL_SAFE_NO_PAD.encode(out))
    }

    /// Decrypts a value sealed for the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, SecretBoxError> {
        let body = sealed
            .strip_prefix(VERSION)
            .ok_or(SecretBoxError::Unreadable)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| SecretBoxError::Unreadable)?;
        if bytes.len() < NONCE_LEN {
            return Err(SecretBoxError::Unreadable);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SecretBoxError::Unreadable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_context() {
        let sb = SecretBox::from_hex(KEY).unwrap();
        let a = sb.seal(b"top secret", "totp:ns:1");
        let b = sb.seal(b"top secret", "totp:ns:1");
        assert_ne!(a, b, "a fresh nonce per seal");
        assert!(!a.contains("top secret"));
        assert_eq!(sb.open(&a, "totp:ns:1").unwrap(), b"top secret");
        assert_eq!(sb.open(&a, "totp:ns:2"), Err(SecretBoxError::Unreadable));
        let other = SecretBox::from_hex(&KEY.replace("00", "ff")).unwrap();
        assert_eq!(other.open(&a, "totp:ns:1"), Err(SecretBoxError::Unreadable));
        let mut damaged = a.clone();
        damaged.pop();
        damaged.push(if a.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(
            sb.open(&damaged, "totp:ns:1"),
            Err(SecretBoxError::Unreadable)
        );
        assert_eq!(sb.open("v1.", "totp:ns:1"), Err(SecretBoxError::Unreadable));
        assert_eq!(
            sb.open("plain", "totp:ns:1"),
            Err(SecretBoxError::Unreadable)
        );
    }

    #[test]
    fn keys_must_be_32_bytes_of_hex() {
        assert!(SecretBox::from_hex("abcd").is_err());
        assert!(SecretBox::from_hex(&"zz".repeat(32)).is_err());
        assert!(!format!("{:?}", SecretBox::from_hex(KEY).unwrap()).contains("0001"));
    }

    #[test]
    fn keyed_hashes_depend_on_key_context_and_value() {
        let sb = SecretBox::from_hex(KEY).unwrap();
        let other = SecretBox::from_hex(&KEY.replace("00", "ff")).unwrap();
        let h = sb.keyed_hash("email-code:a", "123456");
        assert_eq!(h.len(), 64);
        assert!(h
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(h, sb.keyed_hash("email-code:a", "123456"));
        assert_ne!(h, sb.keyed_hash("email-code:b", "123456"));
        assert_ne!(h, sb.keyed_hash("email-code:a", "123457"));
        assert_ne!(h, other.keyed_hash("email-code:a", "123456"));
        // Not the unkeyed SHA-256 the codes used to be stored as.
        assert_ne!(h, crate::token::hash_token("email-code:a:123456"));
    }
}
