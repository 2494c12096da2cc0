//! Recovery codes: ten single-use codes of 80 random bits each, for when the authenticator is
//! lost. Each is one MFA record of type `recovery_codes` in the core holding only the code's
//! SHA-256 (80 bits of entropy make a slow hash unnecessary), so using a code is removing its
//! record: once, atomically, in the caller's transaction.

use authn::{AuthnError, AuthnTx, MfaType};
use rand::rngs::OsRng;
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

pub const CODES_PER_SET: usize = 10;
/// At or below this many left, the portal warns.
pub const LOW_WATERMARK: usize = 3;
const NAME: &str = "Recovery code";
/// RFC 4648 base32, lower case: 5 bits per character, 16 characters = 80 bits.
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
const CODE_CHARS: usize = 16;

/// A new set, shown to the person once. `Debug` does not print the codes.
pub struct RecoveryCodes(pub Vec<String>);

impl std::fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecoveryCodes(<{} codes>)", self.0.len())
    }
}

/// What presenting a recovery code did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// It was one of the user's unused codes, and is used up now.
    Used,
    /// One of the user's codes that was used before.
    AlreadyUsed,
    /// Not one of the user's codes.
    Unknown,
}

/// Replaces the user's codes with a new set.
pub async fn regenerate(tx: &mut AuthnTx<'_>, user_id: Uuid) -> Result<RecoveryCodes, AuthnError> {
    remove_all(tx, user_id).await?;
    let codes: Vec<String> = (0..CODES_PER_SET).map(|_| generate_code()).collect();
    for code in &codes {
        tx.add_mfa(
            user_id,
            MfaType::RecoveryCodes,
            &hash_code(code),
            Some(NAME),
        )
        .await?;
    }
    Ok(RecoveryCodes(codes))
}

/// Uses up `code` if it is one of the user's unused codes; says whether it was used before.
pub async fn consume(tx: &mut AuthnTx<'_>, user_id: Uuid, code: &str) -> Result<Use, AuthnError> {
    let Some(normalized) = normalize(code) else {
        return Ok(Use::Unknown);
    };
    let presented = hash_code(&normalized);
    let mut matching = None;
    for stored in tx.get_mfa(user_id, MfaType::RecoveryCodes).await? {
        if bool::from(stored.secret.as_bytes().ct_eq(presented.as_bytes())) {
            matching = Some(stored.mfa_id);
        }
    }
    // The removal is the use: of two requests racing with one code, one removes it.
    if let Some(id) = matching {
        if tx.remove_mfa(id).await? {
            spend(tx, user_id, &presented).await?;
            return Ok(Use::Used);
        }
    }
    Ok(if is_spent(tx, user_id, &presented).await? {
        Use::AlreadyUsed
    } else {
        Use::Unknown
    })
}

async fn spend(tx: &mut AuthnTx<'_>, user_id: Uuid, hash: &str) -> Result<(), AuthnError> {
    let (conn, namespace) = tx.parts();
    sqlx::query(
        "INSERT INTO gatehouse.spent_recovery_codes (namespace, user_id, code_hash) \
         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(namespace)
    .bind(user_id)
    .bind(hash)
    .execute(conn)
    .await?;
    Ok(())
}

async fn is_spent(tx: &mut AuthnTx<'_>, user_id: Uuid, hash: &str) -> Result<bool, AuthnError> {
    let (conn, namespace) = tx.parts();
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM gatehouse.spent_recovery_codes \
                         WHERE namespace = $1 AND user_id = $2 AND code_hash = $3)",
    )
    .bind(namespace)
    .bind(user_id)
    .bind(hash)
    .fetch_one(conn)
    .await?)
}

/// How many unused codes the user has.
pub async fn remaining(tx: &mut AuthnTx<'_>, user_id: Uuid) -> Result<usize, AuthnError> {
    Ok(tx.get_mfa(user_id, MfaType::RecoveryCodes).await?.len())
}

/// Drops every code (when the last real second factor goes, codes alone are not MFA), and
/// forgets the spent ones: a code of a replaced set is just not a code any more.
pub async fn remove_all(tx: &mut AuthnTx<'_>, user_id: Uuid) -> Result<usize, AuthnError> {
    let existing = tx.get_mfa(user_id, MfaType::RecoveryCodes).await?;
    for stored in &existing {
        tx.remove_mfa(stored.mfa_id).await?;
    }
    let (conn, namespace) = tx.parts();
    sqlx::query("DELETE FROM gatehouse.spent_recovery_codes WHERE namespace = $1 AND user_id = $2")
        .bind(namespace)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(existing.len())
}

fn generate_code() -> String {
    let chars: Vec<char> = (0..CODE_CHARS)
        .map(|_| char::from(ALPHABET[OsRng.gen_range(0..ALPHABET.len())]))
        .collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Lower case, without the dashes and spaces people type or copy along.
fn normalize(code: &str) -> Option<String> {
    let code: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    (code.len() == CODE_CHARS && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

fn hash_code(code: &str) -> String {
    let normalized = normalize(code).unwrap_or_default();
    hex::encode(Sha256::digest(normalized.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_carry_80_bits_and_read_back_however_typed() {
        let code = generate_code();
        assert_eq!(code.len(), 19);
        assert_eq!(code.matches('-').count(), 3);
        assert_eq!(normalize(&code).unwrap().len(), CODE_CHARS);
        // 16 characters of a 32-letter alphabet: 16 × 5 = 80 bits.
        assert_eq!(ALPHABET.len(), 32);
        let shouted = format!("  {} ", code.to_uppercase().replace('-', " "));
        assert_eq!(hash_code(&shouted), hash_code(&code));
        assert_eq!(normalize("too-short"), None);
        assert_eq!(
            normalize("abcd-efgh-ijkl-mno1"),
            None,
            "1 is not in the alphabet"
        );
        let set: std::collections::HashSet<String> = (0..200).map(|_| generate_code()).collect();
        assert_eq!(set.len(), 200);
    }
}
