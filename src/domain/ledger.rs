//! Double entry: every movement debits one account and credits another by the same
//! amount. The rule that decides whether a posting may happen lives here, so every
//! store adapter applies exactly the same one.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

use super::{Account, AccountId, AccountNumber, Amount, Currency, Millis, Refusal, UserId};

/// Journal entry id: UUIDv7, so ids sort by creation time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EntryId(pub Uuid);

impl EntryId {
    pub fn at(millis: Millis) -> Self {
        let secs = millis.div_euclid(1000) as u64;
        let nanos = (millis.rem_euclid(1000) * 1_000_000) as u32;
        let ts = uuid::Timestamp::from_unix(uuid::NoContext, secs, nanos);
        Self(Uuid::new_v7(ts))
    }

    /// This id if it sorts after `last`, else the id just after `last`. Ids
    /// are made when requests arrive, but history lists entries by id, so
    /// the writer puts them in the order it applies the postings; the time an
    /// id carries moves forward by at most the wait.
    pub fn after(self, last: EntryId) -> Self {
        if self > last {
            self
        } else {
            Self(Uuid::from_u128(last.0.as_u128() + 1))
        }
    }

    /// Creation time encoded in the id.
    pub fn millis(&self) -> Millis {
        let (secs, nanos) = self.0.get_timestamp().map_or((0, 0), |t| t.to_unix());
        secs as i64 * 1000 + i64::from(nanos / 1_000_000)
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    Transfer,
    Deposit,
    Withdrawal,
}

/// One side of an entry as it was when the entry was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Side {
    pub account: AccountId,
    pub number: AccountNumber,
    pub holder: String,
    pub owner: Option<UserId>,
    /// The account's balance right after this entry.
    pub balance_after: i64,
}

/// A committed journal entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: EntryId,
    pub kind: EntryKind,
    pub debit: Side,
    pub credit: Side,
    pub amount: Amount,
    pub currency: Currency,
    pub description: String,
    pub created_at: Millis,
    pub created_by: Option<UserId>,
}

impl Entry {
    /// The side belonging to `account`, and whether money went out of it.
    pub fn side_of(&self, account: AccountId) -> Option<(&Side, &Side, bool)> {
        if self.debit.account == account {
            Some((&self.debit, &self.credit, true))
        } else if self.credit.account == account {
            Some((&self.credit, &self.debit, false))
        } else {
            None
        }
    }
}

/// A requested movement, not yet checked against balances.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    pub kind: EntryKind,
    pub debit: AccountId,
    pub credit: AccountId,
    pub amount: Amount,
    pub description: String,
    pub created_by: Option<UserId>,
    /// When the entry happened; `None` means now. Only seeding sets it.
    pub at: Option<Millis>,
}

/// A client-chosen key that makes a posting safe to retry, scoped to its user.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IdempotencyKey {
    pub user: UserId,
    pub key: String,
}

impl IdempotencyKey {
    pub const MAX_LEN: usize = 255;

    pub fn new(user: UserId, key: &str) -> Result<Self, super::ValidationError> {
        if key.is_empty() || key.len() > Self::MAX_LEN || !key.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(super::ValidationError::TooLong(
                "Idempotency-Key",
                Self::MAX_LEN,
            ));
        }
        Ok(Self {
            user,
            key: key.to_string(),
        })
    }
}

/// What a stored idempotency key answers on replay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// Digest of the request the key was first used with.
    pub fingerprint: [u8; 32],
    pub outcome: Result<EntryId, Refusal>,
    pub created_at: Millis,
}

/// The entry a posting makes against its two accounts as they are now (`None`
/// for one that does not exist), or why it may not happen. Nothing is changed:
/// the caller writes the entry and each side's `balance_after` as the balance.
pub fn enter(
    posting: &Posting,
    debit: Option<&Account>,
    credit: Option<&Account>,
    id: EntryId,
    now: Millis,
) -> Result<Entry, Refusal> {
    let (Some(debit), Some(credit)) = (debit, credit) else {
        return Err(Refusal::AccountNotFound);
    };
    let (debit_after, credit_after) = check_posting(posting, debit, credit)?;
    let side = |a: &Account, balance_after| Side {
        account: a.id,
        number: a.number.clone(),
        holder: a.holder.clone(),
        owner: a.owner,
        balance_after,
    };
    Ok(Entry {
        id,
        kind: posting.kind,
        debit: side(debit, debit_after),
        credit: side(credit, credit_after),
        amount: posting.amount,
        currency: debit.currency,
        description: posting.description.clone(),
        created_at: posting.at.unwrap_or(now),
        created_by: posting.created_by,
    })
}

/// Checks a posting against the two accounts as they are now and returns their
/// balances after it.
fn check_posting(
    posting: &Posting,
    debit: &Account,
    credit: &Account,
) -> Result<(i64, i64), Refusal> {
    if debit.id == credit.id {
        return Err(Refusal::SameAccount);
    }
    if debit.closed || credit.closed {
        return Err(Refusal::AccountClosed);
    }
    if debit.frozen || credit.frozen {
        return Err(Refusal::AccountFrozen);
    }
    if debit.currency != credit.currency {
        return Err(Refusal::CurrencyMismatch);
    }
    let amount = posting.amount.minor();
    let debit_after = debit
        .balance
        .checked_sub(amount)
        .ok_or(Refusal::BalanceOverflow)?;
    if debit_after < 0 && !debit.may_overdraw() {
        return Err(Refusal::InsufficientFunds);
    }
    let credit_after = credit
        .balance
        .checked_add(amount)
        .ok_or(Refusal::BalanceOverflow)?;
    Ok((debit_after, credit_after))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountKind, AccountNumber};

    fn account(kind: AccountKind, balance: i64) -> Account {
        let mut a = Account::new(
            None,
            "x",
            AccountNumber::from_body(rand::random::<u64>()),
            kind,
            Currency::EUR,
            "a",
            0,
        );
        a.balance = balance;
        a
    }

    fn posting(from: &Account, to: &Account, amount: i64) -> Posting {
        Posting {
            kind: EntryKind::Transfer,
            debit: from.id,
            credit: to.id,
            amount: Amount::new(amount).unwrap(),
            description: String::new(),
            created_by: None,
            at: None,
        }
    }

    #[test]
    fn moves_money_exactly() {
        let (a, b) = (
            account(AccountKind::Checking, 100),
            account(AccountKind::Savings, 5),
        );
        assert_eq!(check_posting(&posting(&a, &b, 100), &a, &b), Ok((0, 105)));
    }

    #[test]
    fn refusals() {
        let a = account(AccountKind::Checking, 100);
        let b = account(AccountKind::Checking, 0);
        assert_eq!(
            check_posting(&posting(&a, &b, 101), &a, &b),
            Err(Refusal::InsufficientFunds)
        );
        assert_eq!(
            check_posting(&posting(&a, &a, 1), &a, &a),
            Err(Refusal::SameAccount)
        );
        let mut frozen = b.clone();
        frozen.frozen = true;
        assert_eq!(
            check_posting(&posting(&a, &frozen, 1), &a, &frozen),
            Err(Refusal::AccountFrozen)
        );
        let mut closed = b.clone();
        closed.closed = true;
        assert_eq!(
            check_posting(&posting(&a, &closed, 1), &a, &closed),
            Err(Refusal::AccountClosed)
        );
        let mut usd = b.clone();
        usd.currency = Currency::parse("USD").unwrap();
        assert_eq!(
            check_posting(&posting(&a, &usd, 1), &a, &usd),
            Err(Refusal::CurrencyMismatch)
        );
        let mut full = b.clone();
        full.balance = i64::MAX;
        assert_eq!(
            check_posting(&posting(&a, &full, 1), &a, &full),
            Err(Refusal::BalanceOverflow)
        );
    }

    #[test]
    fn an_entry_records_both_sides_as_they_are_after_it() {
        let (a, b) = (
            account(AccountKind::Checking, 100),
            account(AccountKind::Savings, 5),
        );
        let id = EntryId::at(7);
        let e = enter(&posting(&a, &b, 30), Some(&a), Some(&b), id, 9).unwrap();
        assert_eq!((e.id, e.created_at, e.currency), (id, 9, a.currency));
        assert_eq!((e.debit.account, e.debit.balance_after), (a.id, 70));
        assert_eq!((e.credit.account, e.credit.balance_after), (b.id, 35));
        assert_eq!(e.debit.number, a.number);
        assert_eq!(
            enter(&posting(&a, &b, 1), Some(&a), None, id, 9),
            Err(Refusal::AccountNotFound)
        );
    }

    #[test]
    fn system_accounts_may_go_negative_but_not_overflow() {
        let sys = account(AccountKind::System, 0);
        let b = account(AccountKind::Checking, 0);
        assert_eq!(
            check_posting(&posting(&sys, &b, 50), &sys, &b),
            Ok((-50, 50))
        );
        let mut deep = sys.clone();
        deep.balance = i64::MIN + 1;
        assert_eq!(
            check_posting(&posting(&deep, &b, 2), &deep, &b),
            Err(Refusal::BalanceOverflow)
        );
    }

    #[test]
    fn entry_ids_carry_their_time() {
        let id = EntryId::at(1_700_000_000_123);
        assert_eq!(id.millis(), 1_700_000_000_123);
        assert!(EntryId::at(1) < EntryId::at(2));
    }

    #[test]
    fn entry_ids_follow_the_order_they_are_applied_in() {
        let (early, late) = (EntryId::at(1_000), EntryId::at(2_000));
        assert_eq!(late.after(early), late);
        let moved = early.after(late);
        assert!(moved > late);
        assert_eq!(moved.millis(), 2_000);
        assert!(late.after(late) > late);
    }
}
