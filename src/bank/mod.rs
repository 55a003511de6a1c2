//! The bank's use cases, shared by the HTTP API, the CLI and the demo seed:
//! opening users and accounts, moving money, keeping the response cache honest.

mod accounts;
mod directory;
pub mod seed;
mod transfers;
mod users;

use std::sync::Arc;

use thiserror::Error;

use crate::auth::{AuthError, Hasher};
use crate::cache::{Cache, CacheError};
use crate::domain::ValidationError;
use crate::store::{Store, StoreError};

pub use directory::Address;
pub use transfers::Movement;
pub use users::NewUser;

#[derive(Debug, Error)]
pub enum BankError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("account not found")]
    AccountNotFound,
    #[error("user not found")]
    UserNotFound,
}

impl BankError {
    /// Whether waiting may help: a store or cache that is not reachable.
    pub fn is_outage(&self) -> bool {
        matches!(
            self,
            Self::Store(StoreError::Unavailable(_))
                | Self::Auth(AuthError::Store(StoreError::Unavailable(_)))
                | Self::Cache(_)
                | Self::Auth(AuthError::Cache(_))
        )
    }
}

pub struct Bank {
    pub store: Arc<dyn Store>,
    pub cache: Arc<dyn Cache>,
    pub hasher: Arc<Hasher>,
    directory: directory::Directory,
}

impl Bank {
    pub fn new(store: Arc<dyn Store>, cache: Arc<dyn Cache>, hasher: Arc<Hasher>) -> Self {
        Self {
            store,
            cache,
            hasher,
            directory: directory::Directory::default(),
        }
    }
}

/// Retries `attempt` with a fresh random account number while numbers collide.
async fn with_fresh_number<T, F, Fut>(mut attempt: F) -> Result<T, BankError>
where
    F: FnMut(crate::domain::AccountNumber) -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut tries = 0;
    loop {
        let number = crate::domain::AccountNumber::from_body(rand::random());
        match attempt(number).await {
            Err(StoreError::AccountNumberTaken) if tries < 8 => tries += 1,
            other => return Ok(other?),
        }
    }
}
