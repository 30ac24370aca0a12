//! Signed tokens of sign-in: the magic link's, the session cookie's and the forms' CSRF tokens. Pure:
//! each is a purpose, a person, an expiry and a random nonce, signed with HMAC-SHA256 under the
//! deployment's signing key, so a forged or tampered token is refused before the table is read.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use sha2::{Digest as _, Sha256};

use crate::secret::Secret;

/// A magic link is good for this long after it is mailed.
pub const LINK_LIFETIME: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);
/// A session lasts a working day; then the person asks for a new link.
pub const SESSION_LIFETIME: jiff::SignedDuration = jiff::SignedDuration::from_hours(12);
/// Longer input is refused unread (a token is about 130 characters).
pub const MAX_TOKEN_BYTES: usize = 512;
/// The signing key's least length, in bytes.
pub const MIN_KEY_BYTES: usize = 32;

const VERSION: &str = "v1";

/// What a token is for: a token of one purpose never passes as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Link,
    Session,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Purpose::Link => "clinic-signin-link",
            Purpose::Session => "clinic-session",
        }
    }
}

/// The deployment's key for sign-in tokens (`CLINIC_WEB_SIGNING_KEY`), at least [`MIN_KEY_BYTES`].
#[derive(Clone, Debug)]
pub struct SigningKey(Secret);

impl SigningKey {
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value.len() < MIN_KEY_BYTES {
            return Err(format!(
                "must be at least {MIN_KEY_BYTES} characters (e.g. 64 hex digits from openssl rand -hex 32)"
            ));
        }
        Ok(Self(Secret::new(value)))
    }

    fn mac(&self, purpose: &str, message: &str) -> Hmac<Sha256> {
        // A fixed key length cannot fail: HMAC takes any.
        let mut mac = <Hmac<Sha256> as hmac::Mac>::new_from_slice(self.0.expose().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(purpose.as_bytes());
        mac.update(b"\n");
        mac.update(message.as_bytes());
        mac
    }
}

/// A token's contents once its signature and expiry were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub purpose: Purpose,
    pub person: String,
    pub expires: jiff::Timestamp,
    /// 64 hex digits: what the table knows the token by, hashed.
    pub nonce: String,
}

/// Why a token was refused; none of these reads the table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is not one Clinic issues")]
    Malformed,
    #[error("the token's signature does not match")]
    BadSignature,
    #[error("the token expired at {0}")]
    Expired(jiff::Timestamp),
}

/// Signs a token for `person`, good until `expires`, around 32 random bytes.
pub fn issue(
    key: &SigningKey,
    purpose: Purpose,
    person: &str,
    expires: jiff::Timestamp,
    nonce: &[u8; 32],
) -> String {
    let body = format!(
        "{VERSION}.{}.{}.{}",
        URL_SAFE_NO_PAD.encode(person.as_bytes()),
        expires.as_second(),
        hex::encode(nonce)
    );
    let signature = key.mac(purpose.label(), &body).finalize().into_bytes();
    format!("{body}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Checks `token`'s shape, then its signature (constant time), then its expiry at `now`.
pub fn verify(
    key: &SigningKey,
    purpose: Purpose,
    token: &str,
    now: jiff::Timestamp,
) -> Result<Claims, TokenError> {
    if token.len() > MAX_TOKEN_BYTES || !token.is_ascii() {
        return Err(TokenError::Malformed);
    }
    let (body, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let parts: Vec<&str> = body.split('.').collect();
    let [version, person, expires, nonce] = parts[..] else {
        return Err(TokenError::Malformed);
    };
    if version != VERSION {
        return Err(TokenError::Malformed);
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Malformed)?;
    key.mac(purpose.label(), body)
        .verify_slice(&signature)
        .map_err(|_| TokenError::BadSignature)?;
    // Signed by us: what follows is our own writing, checked anyway.
    let person = URL_SAFE_NO_PAD
        .decode(person)
        .ok()
        .and_then(|p| String::from_utf8(p).ok())
        .filter(|p| !p.is_empty())
        .ok_or(TokenError::Malformed)?;
    let expires = expires
        .parse::<i64>()
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .ok_or(TokenError::Malformed)?;
    if nonce.len() != 64 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(TokenError::Malformed);
    }
    if now >= expires {
        return Err(TokenError::Expired(expires));
    }
    Ok(Claims {
        purpose,
        person,
        expires,
        nonce: nonce.to_ascii_lowercase(),
    })
}

/// What the table keeps of a token: its SHA-256, never the token.
pub fn at_rest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The CSRF token of the forms shown under `binding` (the session's nonce, or before sign-in the
/// pre-session cookie's): a signature the page carries and the cookie's holder alone can match.
pub fn csrf_token(key: &SigningKey, binding: &str) -> String {
    URL_SAFE_NO_PAD.encode(key.mac("clinic-csrf", binding).finalize().into_bytes())
}

/// Whether `given` is the CSRF token of `binding`, compared in constant time.
pub fn csrf_matches(key: &SigningKey, binding: &str, given: &str) -> bool {
    if binding.is_empty() || given.len() > MAX_TOKEN_BYTES {
        return false;
    }
    match URL_SAFE_NO_PAD.decode(given) {
        Ok(signature) => key
            .mac("clinic-csrf", binding)
            .verify_slice(&signature)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn key() -> SigningKey {
        SigningKey::parse("0123456789abcdef0123456789abcdef-test-key").unwrap()
    }

    fn at(second: i64) -> jiff::Timestamp {
        jiff::Timestamp::from_second(second).unwrap()
    }

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_token_verifies_until_it_expires_and_names_its_person() {
        let expires = at(NOW) + LINK_LIFETIME;
        let token = issue(&key(), Purpose::Link, "akaur", expires, &[7; 32]);
        let claims = verify(&key(), Purpose::Link, &token, at(NOW)).unwrap();
        assert_eq!(claims.person, "akaur");
        assert_eq!(claims.expires, expires);
        assert_eq!(claims.nonce, "07".repeat(32));
        assert_eq!(
            verify(&key(), Purpose::Link, &token, expires),
            Err(TokenError::Expired(expires))
        );
    }

    #[test]
    fn a_link_token_is_no_session_token_and_another_key_signs_nothing_of_ours() {
        let token = issue(&key(), Purpose::Link, "akaur", at(NOW + 60), &[1; 32]);
        assert_eq!(
            verify(&key(), Purpose::Session, &token, at(NOW)),
            Err(TokenError::BadSignature)
        );
        let other = SigningKey::parse("another-key-another-key-another-key!").unwrap();
        assert_eq!(
            verify(&other, Purpose::Link, &token, at(NOW)),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn a_short_key_is_refused_and_never_printed() {
        assert!(SigningKey::parse("short").is_err());
        assert!(!format!("{:?}", key()).contains("0123"));
    }

    #[test]
    fn the_table_keeps_a_hash_not_the_token() {
        let token = issue(&key(), Purpose::Link, "akaur", at(NOW + 60), &[1; 32]);
        let hash = at_rest(&token);
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains(&hex::encode([1u8; 32])));
    }

    #[test]
    fn a_csrf_token_matches_its_binding_only() {
        let token = csrf_token(&key(), "session-a");
        assert!(csrf_matches(&key(), "session-a", &token));
        assert!(!csrf_matches(&key(), "session-b", &token));
        assert!(!csrf_matches(&key(), "", &token));
        assert!(!csrf_matches(&key(), "session-a", ""));
        assert!(!csrf_matches(&key(), "session-a", "not base64 !"));
    }

    proptest! {
        /// Any change to a token, anywhere, is refused: no tampered token names a person.
        #[test]
        fn a_tampered_token_is_refused(position in 0usize..200, byte in 0u8..128) {
            let token = issue(&key(), Purpose::Link, "akaur", at(NOW + 600), &[9; 32]);
            let mut bytes = token.clone().into_bytes();
            let position = position % bytes.len();
            prop_assume!(bytes[position] != byte);
            bytes[position] = byte;
            let tampered = String::from_utf8_lossy(&bytes).into_owned();
            // Base64's last character carries spare bits: a change there may decode alike.
            let same_signature = URL_SAFE_NO_PAD.decode(tampered.rsplit_once('.').map_or("", |p| p.1)).ok()
                == URL_SAFE_NO_PAD.decode(token.rsplit_once('.').map_or("", |p| p.1)).ok()
                && tampered.rsplit_once('.').map(|p| p.0) == token.rsplit_once('.').map(|p| p.0);
            prop_assume!(!same_signature);
            prop_assert!(verify(&key(), Purpose::Link, &tampered, at(NOW)).is_err());
        }

        /// Forged tokens (any text, any person and expiry signed with another key) never verify.
        #[test]
        fn a_forged_token_is_refused(text in ".{0,600}", person in "[a-z]{1,12}", ahead in 1i64..100_000) {
            prop_assert!(verify(&key(), Purpose::Link, &text, at(NOW)).is_err());
            let forger = SigningKey::parse("forger-forger-forger-forger-forger-00").unwrap();
            let forged = issue(&forger, Purpose::Link, &person, at(NOW + ahead), &[3; 32]);
            prop_assert_eq!(verify(&key(), Purpose::Link, &forged, at(NOW)), Err(TokenError::BadSignature));
        }
    }
}
