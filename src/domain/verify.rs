//! The ledger audit behind `bankbox verify`: recompute every balance from the
//! journal and check the invariants. Adapters stream their data through a
//! [`Verifier`], so every store is audited by the same rules.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{Account, AccountId, Currency, Entry, EntryId};

#[derive(Default)]
pub struct Verifier {
    accounts: HashMap<AccountId, Account>,
    computed: HashMap<AccountId, i64>,
    seen: HashSet<EntryId>,
    entries: u64,
    problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub accounts: usize,
    pub entries: u64,
    /// Per currency, the sum of all balances; zero when the books balance.
    pub sums: BTreeMap<Currency, i128>,
    pub problems: Vec<String>,
}

impl Report {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Verifier {
    pub fn account(&mut self, account: Account) {
        self.accounts.insert(account.id, account);
    }

    pub fn entry(&mut self, entry: &Entry) {
        self.entries += 1;
        if !self.seen.insert(entry.id) {
            self.problems
                .push(format!("entry {} appears twice in the journal", entry.id));
        }
        if entry.debit.account == entry.credit.account {
            self.problems
                .push(format!("entry {} debits and credits one account", entry.id));
        }
        for (side, sign) in [(&entry.debit, -1i64), (&entry.credit, 1)] {
            let acct = self.accounts.get(&side.account);
            match acct {
                None => self.problems.push(format!(
                    "entry {} refers to unknown account {}",
                    entry.id, side.account
                )),
                Some(a) if a.currency != entry.currency => self.problems.push(format!(
                    "entry {} is in {} but account {} holds {}",
                    entry.id, entry.currency, a.number, a.currency
                )),
                Some(_) => {}
            }
            let bal = self.computed.entry(side.account).or_default();
            match bal.checked_add(sign * entry.amount.minor()) {
                Some(b) => *bal = b,
                None => self.problems.push(format!(
                    "entry {} overflows account {}",
                    entry.id, side.account
                )),
            }
        }
    }

    pub fn finish(mut self) -> Report {
        let mut sums: BTreeMap<Currency, i128> = BTreeMap::new();
        let mut accounts: Vec<&Account> = self.accounts.values().collect();
        accounts.sort_by_key(|a| a.id);
        for a in accounts {
            let computed = self.computed.get(&a.id).copied().unwrap_or(0);
            if computed != a.balance {
                self.problems.push(format!(
                    "account {} ({}) holds {} but its journal sums to {}",
                    a.number, a.id, a.balance, computed
                ));
            }
            if a.balance < 0 && !a.may_overdraw() {
                self.problems.push(format!(
                    "account {} ({}) is negative: {}",
                    a.number, a.id, a.balance
                ));
            }
            *sums.entry(a.currency).or_default() += i128::from(a.balance);
        }
        for (currency, sum) in &sums {
            if *sum != 0 {
                self.problems
                    .push(format!("{currency} balances sum to {sum}, not zero"));
            }
        }
        Report {
            accounts: self.accounts.len(),
            entries: self.entries,
            sums,
            problems: self.problems,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountKind, AccountNumber, Amount, EntryKind, Side};

    fn acct(kind: AccountKind, balance: i64) -> Account {
        let mut a = Account::new(
            None,
            "h",
            AccountNumber::from_body(rand::random::<u64>()),
            kind,
            Currency::EUR,
            "n",
            0,
        );
        a.balance = balance;
        a
    }

    fn entry(from: &Account, to: &Account, amount: i64) -> Entry {
        let side = |a: &Account| Side {
            account: a.id,
            number: a.number.clone(),
            holder: a.holder.clone(),
            owner: a.owner,
            balance_after: 0,
        };
        Entry {
            id: EntryId::at(1),
            kind: EntryKind::Deposit,
            debit: side(from),
            credit: side(to),
            amount: Amount::new(amount).unwrap(),
            currency: Currency::EUR,
            description: String::new(),
            created_at: 1,
            created_by: None,
        }
    }

    #[test]
    fn balanced_books_pass() {
        let sys = acct(AccountKind::System, -70);
        let user = acct(AccountKind::Checking, 70);
        let mut v = Verifier::default();
        v.account(sys.clone());
        v.account(user.clone());
        v.entry(&entry(&sys, &user, 70));
        let r = v.finish();
        assert!(r.is_ok(), "{:?}", r.problems);
        assert_eq!(r.sums[&Currency::EUR], 0);
    }

    #[test]
    fn tampered_balance_is_reported() {
        let sys = acct(AccountKind::System, -70);
        let user = acct(AccountKind::Checking, 80);
        let mut v = Verifier::default();
        v.account(sys.clone());
        v.account(user.clone());
        v.entry(&entry(&sys, &user, 70));
        let r = v.finish();
        assert!(!r.is_ok());
        assert!(r.problems.iter().any(|p| p.contains("journal sums to 70")));
        assert!(r.problems.iter().any(|p| p.contains("sum to 10")));
    }

    #[test]
    fn negative_customer_balance_is_reported() {
        let sys = acct(AccountKind::System, 5);
        let user = acct(AccountKind::Checking, -5);
        let mut v = Verifier::default();
        v.account(sys.clone());
        v.account(user.clone());
        v.entry(&entry(&user, &sys, 5));
        let r = v.finish();
        assert!(r.problems.iter().any(|p| p.contains("is negative")));
    }
}
