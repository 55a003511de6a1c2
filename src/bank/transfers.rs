use futures_util::future::try_join_all;
use sha2::{Digest, Sha256};

use super::{Bank, BankError};
use crate::domain::ledger::IdempotencyKey;
use crate::domain::{AccountId, Amount, EntryKind, Posting, UserId, ValidationError, text};
use crate::store::{Posted, StoreError};

pub const DESCRIPTION_MAX: usize = 140;

/// A money movement whose parties the caller was allowed to name.
pub struct Movement {
    pub kind: EntryKind,
    pub from: AccountId,
    pub to: AccountId,
    pub amount: Amount,
    pub description: String,
}

impl Movement {
    pub fn new(
        kind: EntryKind,
        from: AccountId,
        to: AccountId,
        amount: Amount,
        description: &str,
    ) -> Result<Self, ValidationError> {
        let description = text::line("description", description, DESCRIPTION_MAX)?;
        Ok(Self {
            kind,
            from,
            to,
            amount,
            description,
        })
    }

    /// What an idempotency key is bound to: the same key with another request
    /// is a conflict, not a replay.
    fn fingerprint(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(format!("{:?}", self.kind));
        h.update(self.from.0.as_bytes());
        h.update(self.to.0.as_bytes());
        h.update(self.amount.minor().to_be_bytes());
        h.update(self.description.as_bytes());
        h.finalize().into()
    }
}

impl Bank {
    /// Moves money, durably, once per idempotency key.
    pub async fn post(
        &self,
        by: Option<UserId>,
        movement: Movement,
        idempotency_key: Option<&str>,
    ) -> Result<Posted, BankError> {
        let key = match (by, idempotency_key) {
            (Some(user), Some(k)) => Some((IdempotencyKey::new(user, k)?, movement.fingerprint())),
            _ => None,
        };
        let posting = Posting {
            kind: movement.kind,
            debit: movement.from,
            credit: movement.to,
            amount: movement.amount,
            description: movement.description,
            created_by: by,
            at: None,
        };
        let (store, cache) = (self.store.clone(), self.cache.clone());
        // Its own task: a caller that goes away (a client that hung up) does
        // not stop a queued posting, so it must not stop the invalidation of
        // the answers that posting makes stale either.
        let task = tokio::spawn(async move {
            let posted = store.post(posting, key).await?;
            // Replays invalidate too: a retry after a failed invalidation repairs it.
            if let Ok(entry) = &posted.result {
                let mut owners: Vec<UserId> = [entry.debit.owner, entry.credit.owner]
                    .into_iter()
                    .flatten()
                    .collect();
                owners.dedup();
                try_join_all(owners.into_iter().map(|o| cache.invalidate_responses(o))).await?;
            }
            Ok(posted)
        });
        match task.await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(StoreError::Unavailable("shutting down".into()).into()),
        }
    }
}
