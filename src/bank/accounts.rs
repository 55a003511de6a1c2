use bytes::Bytes;

use super::{Bank, BankError, with_fresh_number};
use crate::domain::{Account, AccountId, AccountKind, AccountRef, Currency, UserId, text};

const NAME_MAX: usize = 64;

impl Bank {
    pub async fn open_account(
        &self,
        owner: UserId,
        holder: &str,
        kind: AccountKind,
        currency: Currency,
        name: Option<&str>,
    ) -> Result<Account, BankError> {
        let name = text::line("name", name.unwrap_or_default(), NAME_MAX)?;
        let name = match (name.is_empty(), kind) {
            (false, _) => name.as_str(),
            (true, AccountKind::Savings) => "Savings",
            (true, _) => "Checking",
        };
        let now = crate::clock::now_millis();
        let account = with_fresh_number(|number| {
            let a = Account::new(Some(owner), holder, number, kind, currency, name, now);
            async move { self.store.open_account(a.clone()).await.map(|()| a) }
        })
        .await?;
        self.cache.invalidate_responses(owner).await?;
        Ok(account)
    }

    /// The caller's own account; anyone else's is "not found", never "forbidden".
    pub async fn own_account(&self, owner: UserId, id: AccountId) -> Result<Account, BankError> {
        match self.store.account(id).await? {
            Some(a) if a.owner == Some(owner) => Ok(a),
            _ => Err(BankError::AccountNotFound),
        }
    }

    /// A user's rendered account list, from the response cache when it is fresh.
    pub async fn accounts_view(
        &self,
        owner: UserId,
        render: impl FnOnce(&[Account]) -> Bytes,
    ) -> Result<Bytes, BankError> {
        const NAME: &str = "accounts";
        let version = self.cache.response_version(owner).await?;
        if let Some(hit) = self.cache.cached_response(owner, NAME, version).await? {
            return Ok(hit);
        }
        let body = render(&self.store.accounts_of(owner).await?);
        self.cache
            .cache_response(owner, NAME, version, body.clone())
            .await?;
        Ok(body)
    }

    /// Closes one of the owner's accounts; it must be empty.
    pub async fn close_account(&self, owner: UserId, id: AccountId) -> Result<Account, BankError> {
        self.own_account(owner, id).await?;
        let account = self.store.close_account(id).await?;
        self.cache.invalidate_responses(owner).await?;
        Ok(account)
    }

    pub async fn set_frozen(&self, id: AccountId, frozen: bool) -> Result<Account, BankError> {
        let account = self.store.set_frozen(id, frozen).await?;
        if let Some(owner) = account.owner {
            self.cache.invalidate_responses(owner).await?;
        }
        Ok(account)
    }
}

impl Bank {
    /// Any customer's account by id or number; the bank's own accounts are not
    /// addressable.
    pub async fn customer_account(&self, r: &AccountRef) -> Result<Account, BankError> {
        let found = match r {
            AccountRef::Id(id) => self.store.account(*id).await?,
            AccountRef::Number(n) => self.store.account_by_number(n).await?,
        };
        found
            .filter(|a| a.owner.is_some())
            .ok_or(BankError::AccountNotFound)
    }
}
