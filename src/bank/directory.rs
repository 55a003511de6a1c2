//! Where a transfer may take money from and send it to: an account reference
//! resolved to the account's id and owner. Both are fixed when an account opens
//! and never change, so each process keeps the answers without invalidation, in
//! embedded and external mode alike. Whether the account may move money now
//! (frozen, closed) is decided by the posting, under its lock.

use super::{Bank, BankError};
use crate::domain::{AccountId, AccountRef, UserId};

/// Enough to resolve the references of a busy bank's customers; an entry is
/// about a hundred bytes.
const CAPACITY: u64 = 50_000;

/// A customer account as a transfer addresses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Address {
    pub id: AccountId,
    pub owner: UserId,
}

pub struct Directory(moka::sync::Cache<AccountRef, Address>);

impl Default for Directory {
    fn default() -> Self {
        Self(moka::sync::Cache::new(CAPACITY))
    }
}

impl Bank {
    /// A customer account's address by id or number; the bank's own accounts
    /// are not addressable.
    pub async fn address(&self, r: &AccountRef) -> Result<Address, BankError> {
        if let Some(found) = self.directory.0.get(r) {
            return Ok(found);
        }
        let a = self.customer_account(r).await?;
        let owner = a.owner.ok_or(BankError::AccountNotFound)?;
        let address = Address { id: a.id, owner };
        self.directory.0.insert(AccountRef::Id(a.id), address);
        self.directory
            .0
            .insert(AccountRef::Number(a.number), address);
        Ok(address)
    }

    /// The caller's own account by id or number.
    pub async fn own_address(&self, owner: UserId, r: &AccountRef) -> Result<Address, BankError> {
        let a = self.address(r).await?;
        if a.owner == owner {
            Ok(a)
        } else {
            Err(BankError::AccountNotFound)
        }
    }

    /// Where a customer may send money: their own accounts by id or number,
    /// anyone else's by number only, so ids never leak into a usable address.
    pub async fn payee_address(&self, payer: UserId, r: &AccountRef) -> Result<Address, BankError> {
        match r {
            AccountRef::Id(_) => self.own_address(payer, r).await,
            AccountRef::Number(_) => self.address(r).await,
        }
    }
}
