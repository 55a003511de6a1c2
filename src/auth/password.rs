//! argon2id at OWASP's parameters (19 MiB, 2 passes, 1 lane). Each hash costs tens
//! of milliseconds and ~19 MiB, so hashing runs on blocking threads behind a
//! small semaphore: a login flood waits its turn instead of starving transfers
//! or memory.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{OnceCell, Semaphore};

use super::AuthError;
use crate::domain::Password;

pub struct Hasher {
    permits: Semaphore,
    /// Hash checked for unknown users, so they cost the same time as known ones.
    decoy: OnceCell<Arc<String>>,
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

impl Hasher {
    pub fn new(parallel: usize) -> Self {
        Self {
            permits: Semaphore::new(parallel.max(1)),
            decoy: OnceCell::new(),
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AuthError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AuthError::Hashing(e.to_string()))?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| AuthError::Hashing(e.to_string()))
    }

    pub async fn hash(&self, password: &Password) -> Result<String, AuthError> {
        let plain = password.expose().to_string();
        self.blocking(move || {
            let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
            argon2()
                .hash_password(plain.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| AuthError::Hashing(e.to_string()))
        })
        .await?
    }

    /// Checks `candidate` against `hash`; with no hash, against a decoy that
    /// never matches.
    pub async fn verify(&self, candidate: String, hash: Option<String>) -> Result<bool, AuthError> {
        let (hash, real) = match hash {
            Some(h) => (Arc::new(h), true),
            None => (self.decoy().await?, false),
        };
        let matches = self
            .blocking(move || {
                PasswordHash::new(&hash).is_ok_and(|parsed| {
                    argon2()
                        .verify_password(candidate.as_bytes(), &parsed)
                        .is_ok()
                })
            })
            .await?;
        Ok(matches && real)
    }

    async fn decoy(&self) -> Result<Arc<String>, AuthError> {
        self.decoy
            .get_or_try_init(|| async {
                let random: String = (0..24)
                    .map(|_| char::from(b'a' + rand::random::<u8>() % 26))
                    .collect();
                let decoy = Password::parse(&random).expect("24 letters meet the policy");
                Ok(Arc::new(self.hash(&decoy).await?))
            })
            .await
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_are_argon2id() {
        let h = Hasher::new(1);
        let pw = Password::parse("correct horse").unwrap();
        let hash = h.hash(&pw).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            h.verify("correct horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!h.verify("wrong horse!".into(), Some(hash)).await.unwrap());
        assert!(!h.verify("correct horse".into(), None).await.unwrap());
    }
}
