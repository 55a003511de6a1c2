//! JWT (HS256) carrying a session id. The token proves who issued it; the
//! session in the cache decides whether it is still alive, so logout kills it.
//! A token whose signature checked out is remembered by its exact text: the
//! next request with it skips the HMAC and the JSON, and only its expiry is
//! checked again. A forged or altered token is never the same text.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::AuthError;
use crate::cache::Session;

pub const ISSUER: &str = "bankbox";
pub const AUDIENCE: &str = "bankbox-api";

/// How many verified tokens are remembered; a few hundred bytes each.
const VERIFIED_CAPACITY: u64 = 10_000;
const LEEWAY_S: u64 = 5;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub sid: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    verified: moka::sync::Cache<String, Claims>,
}

impl Tokens {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_S;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            verified: moka::sync::Cache::builder()
                .max_capacity(VERIFIED_CAPACITY)
                .time_to_idle(Duration::from_secs(300))
                .build(),
        }
    }

    pub fn issue(&self, session: &Session) -> Result<String, AuthError> {
        let claims = Claims {
            sub: session.user.to_string(),
            sid: session.id.clone(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: session.created_at / 1000,
            nbf: session.created_at / 1000,
            exp: session.expires_at / 1000,
        };
        self.sign(&claims)
    }

    /// Signs arbitrary claims; also how tests forge tokens with known secrets.
    pub fn sign(&self, claims: &Claims) -> Result<String, AuthError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| AuthError::Hashing(e.to_string()))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        self.verify_at(token, crate::clock::now_millis() / 1000)
    }

    /// `verify` as of `now` (seconds) for remembered tokens; a new one is
    /// checked against the system clock.
    fn verify_at(&self, token: &str, now: i64) -> Result<Claims, AuthError> {
        if let Some(claims) = self.verified.get(token) {
            if claims.exp < now - LEEWAY_S as i64 {
                self.verified.invalidate(token);
                return Err(AuthError::InvalidToken);
            }
            return Ok(claims);
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|_| AuthError::InvalidToken)?;
        self.verified.insert(token.to_string(), claims.clone());
        Ok(claims)
    }
}

/// 128 random bits, hex: unguessable and safe in a cache key.
pub fn new_session_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Role, UserId};

    fn session(offset_s: i64, life_s: i64) -> Session {
        let now = crate::clock::now_millis() + offset_s * 1000;
        Session {
            id: new_session_id(),
            user: UserId::new(),
            role: Role::User,
            created_at: now,
            expires_at: now + life_s * 1000,
            csrf: String::new(),
        }
    }

    #[test]
    fn round_trip() {
        let t = Tokens::new(b"0123456789abcdef0123456789abcdef");
        let s = session(0, 60);
        let c = t.verify(&t.issue(&s).unwrap()).unwrap();
        assert_eq!(c.sid, s.id);
        assert_eq!(c.sub, s.user.to_string());
    }

    #[test]
    fn rejects_forged_expired_premature_and_unsigned() {
        let t = Tokens::new(b"0123456789abcdef0123456789abcdef");
        let other = Tokens::new(b"another secret entirely, 32 bytes");
        assert!(
            t.verify(&other.issue(&session(0, 60)).unwrap()).is_err(),
            "wrong key"
        );
        assert!(
            t.verify(&t.issue(&session(-120, 60)).unwrap()).is_err(),
            "expired"
        );
        assert!(
            t.verify(&t.issue(&session(120, 60)).unwrap()).is_err(),
            "not yet valid"
        );
        let good = t.issue(&session(0, 60)).unwrap();
        let payload = good.split('.').nth(1).unwrap();
        // {"alg":"none"} header, no signature.
        let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
        assert!(t.verify(&none).is_err(), "alg none");
        let mut wrong_aud = t.verify(&good).unwrap();
        wrong_aud.aud = "someone-else".into();
        assert!(t.verify(&t.sign(&wrong_aud).unwrap()).is_err(), "audience");
        let mut wrong_iss = t.verify(&good).unwrap();
        wrong_iss.iss = "evil".into();
        assert!(t.verify(&t.sign(&wrong_iss).unwrap()).is_err(), "issuer");
        // Remembered as valid, yet still refused once the clock passes its expiry.
        let s = session(0, 60);
        let token = t.issue(&s).unwrap();
        let exp = s.expires_at / 1000;
        assert!(t.verify(&token).is_ok());
        assert!(t.verify_at(&token, exp + LEEWAY_S as i64).is_ok());
        assert!(
            t.verify_at(&token, exp + LEEWAY_S as i64 + 1).is_err(),
            "expired"
        );
        // An altered copy of a remembered token is checked afresh.
        let at = token.len() - 10;
        let swapped = if &token[at..=at] == "A" { "B" } else { "A" };
        let altered = format!("{}{swapped}{}", &token[..at], &token[at + 1..]);
        assert!(t.verify(&altered).is_err(), "altered signature");
    }
}
