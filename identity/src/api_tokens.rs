//! Access tokens for programs: short-lived JWTs signed with Ed25519 (`alg` `EdDSA`), whose
//! public keys are published as a JWK set. A token names the core session it was issued for
//! (`sid`). Gatehouse's own API also checks that session is still live (caller resolution does),
//! so there signing out, revocation and a password change take effect at once; a relying party
//! that checks only the signature accepts a token until its `exp`, which is why tokens live
//! an hour at most (15 minutes by default) and name their namespace (`ns`) for it to check.
//!
//! The signature is `ring`'s (already linked for TLS). Only this module makes or reads the
//! compact form, and it accepts exactly one header: `{"alg":"EdDSA","typ":"JWT","kid":…}` with a
//! key id it knows — never `none`, never a key named by the token itself.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Why a presented access token was refused. Developer text only.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("not a token of ours (form, header, key or signature)")]
    Invalid,
    #[error("the token has expired")]
    Expired,
}

/// What an access token says (RFC 7519 names where there is one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// The user's id.
    pub sub: Uuid,
    /// The core session the token belongs to.
    pub sid: Uuid,
    /// The user's namespace.
    pub ns: String,
    pub roles: Vec<String>,
    pub iat: i64,
    pub exp: i64,
    /// What the seed's client reads (`http-auth-client.md`).
    pub hasura: HasuraClaims,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HasuraClaims {
    #[serde(rename = "x-hasura-user-id")]
    pub user_id: Uuid,
    pub allowed_roles: Vec<String>,
    pub default_role: String,
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    typ: String,
    kid: String,
}

/// A public key and its id (the first 16 hex digits of the key's SHA-256).
#[derive(Clone)]
struct PublicKey {
    kid: String,
    bytes: Vec<u8>,
}

impl PublicKey {
    fn new(bytes: &[u8]) -> PublicKey {
        PublicKey {
            kid: hex::encode(&Sha256::digest(bytes)[..8]),
            bytes: bytes.to_vec(),
        }
    }
}

/// The deployment's signing key, the previous one (still accepted while tokens it signed may
/// live), and the tokens' issuer and lifetimes.
pub struct TokenKeys {
    signing: Ed25519KeyPair,
    current: PublicKey,
    previous: Option<PublicKey>,
    issuer: String,
    access_lifetime: TimeDelta,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the private key.
        f.debug_struct("TokenKeys")
            .field("kid", &self.current.kid)
            .field("previous", &self.previous.as_ref().map(|p| &p.kid))
            .field("issuer", &self.issuer)
            .finish()
    }
}

impl TokenKeys {
    /// A new Ed25519 private key as PKCS#8 (what `gatehouse token-key` writes).
    pub fn generate_pkcs8() -> Result<Vec<u8>, String> {
        let rng = ring::rand::SystemRandom::new();
        Ed25519KeyPair::generate_pkcs8(&rng)
            .map(|doc| doc.as_ref().to_vec())
            .map_err(|_| "the system random generator failed".to_owned())
    }

    /// `current`: the PKCS#8 private key that signs; `previous`: a former key's PKCS#8, whose
    /// tokens are still accepted (rotation). `access_lifetime`: 1 to 60 minutes.
    pub fn new(
        current: &[u8],
        previous: Option<&[u8]>,
        issuer: &str,
        access_lifetime: TimeDelta,
    ) -> Result<TokenKeys, String> {
        let signing = Ed25519KeyPair::from_pkcs8_maybe_unchecked(current)
            .map_err(|_| "the token signing key is not an Ed25519 PKCS#8 key".to_owned())?;
        let previous = match previous {
            Some(bytes) => Some(PublicKey::new(
                Ed25519KeyPair::from_pkcs8_maybe_unchecked(bytes)
                    .map_err(|_| "the previous token key is not an Ed25519 PKCS#8 key".to_owned())?
                    .public_key()
                    .as_ref(),
            )),
            None => None,
        };
        if access_lifetime < TimeDelta::minutes(1) || access_lifetime > TimeDelta::hours(1) {
            return Err("the access token lifetime must be 1 to 60 minutes".into());
        }
        let current = PublicKey::new(signing.public_key().as_ref());
        Ok(TokenKeys {
            signing,
            current,
            previous,
            issuer: issuer.to_owned(),
            access_lifetime,
        })
    }

    pub fn access_lifetime(&self) -> TimeDelta {
        self.access_lifetime
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The public keys as a JWK set (RFC 8037), current first.
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<_> = std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .map(|k| {
                serde_json::json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "alg": "EdDSA",
                    "use": "sig",
                    "kid": k.kid,
                    "x": B64.encode(&k.bytes),
                })
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }

    /// An access token for `session_id` of `user_id` in `namespace`, issued `now`.
    pub fn issue(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        namespace: &str,
        roles: Vec<String>,
        now: DateTime<Utc>,
    ) -> (String, DateTime<Utc>) {
        let expires_at = now + self.access_lifetime;
        let default_role = roles.first().cloned().unwrap_or_else(|| "user".into());
        let claims = Claims {
            iss: self.issuer.clone(),
            sub: user_id,
            sid: session_id,
            ns: namespace.to_owned(),
            roles: roles.clone(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            hasura: HasuraClaims {
                user_id,
                allowed_roles: roles,
                default_role,
            },
        };
        (self.sign(&claims), expires_at)
    }

    fn sign(&self, claims: &Claims) -> String {
        let header = Header {
            alg: "EdDSA".into(),
            typ: "JWT".into(),
            kid: self.current.kid.clone(),
        };
        // Both serialise infallibly: plain strings and numbers.
        let header = serde_json::to_vec(&header).unwrap_or_default();
        let claims = serde_json::to_vec(claims).unwrap_or_default();
        let signing_input = format!("{}.{}", B64.encode(header), B64.encode(claims));
        let signature = self.signing.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", B64.encode(signature.as_ref()))
    }

    /// The claims of `token` if we signed it (with the current or the previous key), it is for
    /// our issuer and it has not expired at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        if token.len() > 4096 {
            return Err(TokenError::Invalid);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Invalid);
        };
        let decode = |part: &str| B64.decode(part).map_err(|_| TokenError::Invalid);
        let parsed: Header =
            serde_json::from_slice(&decode(header)?).map_err(|_| TokenError::Invalid)?;
        if parsed.alg != "EdDSA" || parsed.typ != "JWT" {
            return Err(TokenError::Invalid);
        }
        let key = std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .find(|k| k.kid == parsed.kid)
            .ok_or(TokenError::Invalid)?;
        let signing_input = &token[..header.len() + 1 + claims.len()];
        UnparsedPublicKey::new(&ED25519, &key.bytes)
            .verify(signing_input.as_bytes(), &decode(signature)?)
            .map_err(|_| TokenError::Invalid)?;
        let claims: Claims =
            serde_json::from_slice(&decode(claims)?).map_err(|_| TokenError::Invalid)?;
        if claims.iss != self.issuer {
            return Err(TokenError::Invalid);
        }
        if claims.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(previous: Option<&[u8]>) -> (TokenKeys, Vec<u8>) {
        let pkcs8 = TokenKeys::generate_pkcs8().unwrap();
        (
            TokenKeys::new(&pkcs8, previous, "https://id.test", TimeDelta::minutes(15)).unwrap(),
            pkcs8,
        )
    }

    #[test]
    fn a_token_verifies_until_it_expires_and_only_with_our_keys() {
        let (keys, old) = keys(None);
        let now = Utc::now();
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let (token, expires) = keys.issue(user, session, "acme", vec!["user".into()], now);
        assert_eq!(expires - now, TimeDelta::minutes(15));
        let claims = keys.verify(&token, now).unwrap();
        assert_eq!(
            (claims.sub, claims.sid, claims.ns.as_str()),
            (user, session, "acme")
        );
        assert_eq!(claims.hasura.user_id, user);
        assert_eq!(claims.hasura.default_role, "user");
        assert_eq!(
            keys.verify(&token, expires),
            Err(TokenError::Expired),
            "expired at exp"
        );

        // Any change to any part is refused.
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let forged = Claims {
            sub: Uuid::new_v4(),
            ..claims.clone()
        };
        parts[1] = B64.encode(serde_json::to_vec(&forged).unwrap());
        assert_eq!(keys.verify(&parts.join("."), now), Err(TokenError::Invalid));
        let none = format!(
            "{}.{}.",
            B64.encode(br#"{"alg":"none","typ":"JWT","kid":"x"}"#),
            token.split('.').nth(1).unwrap()
        );
        assert_eq!(keys.verify(&none, now), Err(TokenError::Invalid));
        for bad in ["", "a.b", "a.b.c.d", "!!.!!.!!"] {
            assert_eq!(keys.verify(bad, now), Err(TokenError::Invalid), "{bad}");
        }
        // Another deployment's key is not ours.
        let (stranger, _) = self::keys(None);
        assert_eq!(stranger.verify(&token, now), Err(TokenError::Invalid));

        // After rotation the previous key's tokens are still accepted, and published.
        let rotated = TokenKeys::new(
            &TokenKeys::generate_pkcs8().unwrap(),
            Some(&old),
            "https://id.test",
            TimeDelta::minutes(15),
        )
        .unwrap();
        assert!(rotated.verify(&token, now).is_ok());
        assert_eq!(rotated.jwks()["keys"].as_array().unwrap().len(), 2);
        // A token of another issuer is not ours either.
        let elsewhere =
            TokenKeys::new(&old, None, "https://other.test", TimeDelta::minutes(15)).unwrap();
        assert_eq!(elsewhere.verify(&token, now), Err(TokenError::Invalid));
    }

    #[test]
    fn bad_configuration_is_refused() {
        assert!(TokenKeys::new(b"not a key", None, "i", TimeDelta::minutes(15)).is_err());
        let pkcs8 = TokenKeys::generate_pkcs8().unwrap();
        assert!(TokenKeys::new(&pkcs8, None, "i", TimeDelta::seconds(5)).is_err());
        assert!(TokenKeys::new(&pkcs8, None, "i", TimeDelta::minutes(61)).is_err());
        assert!(TokenKeys::new(&pkcs8, Some(b"junk"), "i", TimeDelta::minutes(5)).is_err());
    }
}
