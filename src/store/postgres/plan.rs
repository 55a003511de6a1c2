//! What a batch of postings does, worked out in memory from the rows it
//! locked: every posting goes through `domain::ledger::enter`, the rule the
//! embedded store applies too, in order, each seeing the ones before it. The
//! plan is then written with one statement per table.

use std::collections::{BTreeSet, HashMap};

use super::posting::Request;
use crate::domain::ledger::enter;
use crate::domain::{Account, AccountId, Entry, EntryId, Millis, Refusal, UserId};
use crate::store::{Posted, StoreError};

/// A key's first use, stored or made earlier in this batch.
#[derive(Clone, Debug)]
pub struct KeyUse {
    pub fingerprint: [u8; 32],
    pub outcome: Result<Entry, Refusal>,
}

/// A key to store with the outcome of its posting.
#[derive(Debug)]
pub struct NewKey {
    pub user: UserId,
    pub key: String,
    pub fingerprint: [u8; 32],
    pub outcome: Result<EntryId, Refusal>,
}

#[derive(Debug)]
pub struct Plan {
    /// One per request, in order.
    pub outcomes: Vec<Result<Posted, StoreError>>,
    /// New entries, in posting order.
    pub entries: Vec<Entry>,
    /// Each changed account's balance after the batch.
    pub balances: Vec<(AccountId, i64)>,
    /// Keys used for the first time, sorted, so two batches that share keys
    /// insert them in the same order and cannot deadlock on them.
    pub keys: Vec<NewKey>,
    /// When the batch was posted.
    pub now: Millis,
    /// The last new entry id given out, to start the next batch from.
    pub last: EntryId,
}

impl Plan {
    /// `accounts` holds the locked accounts the requests name; `stored`, the
    /// stored first uses of their keys; new entry ids sort after `last`.
    pub fn of(
        requests: &[Request],
        mut accounts: HashMap<AccountId, Account>,
        mut stored: HashMap<(UserId, String), KeyUse>,
        now: Millis,
        last: EntryId,
    ) -> Self {
        let mut plan = Plan {
            outcomes: Vec::with_capacity(requests.len()),
            entries: Vec::new(),
            balances: Vec::new(),
            keys: Vec::new(),
            now,
            last,
        };
        for (posting, key) in requests {
            if let Some((k, fingerprint)) = key {
                if let Some(first) = stored.get(&(k.user, k.key.clone())) {
                    plan.outcomes.push(if &first.fingerprint == fingerprint {
                        Ok(Posted {
                            result: first.outcome.clone(),
                            replayed: true,
                        })
                    } else {
                        Err(StoreError::IdempotencyKeyReused)
                    });
                    continue;
                }
            }
            // Seeded postings keep the past time they were given; new ones
            // get ids that sort in posting order (see `EntryId::after`).
            let id = match posting.at {
                Some(at) => EntryId::at(at),
                None => {
                    plan.last = EntryId::at(now).after(plan.last);
                    plan.last
                }
            };
            let result = enter(
                posting,
                accounts.get(&posting.debit),
                accounts.get(&posting.credit),
                id,
                now,
            );
            if let Ok(e) = &result {
                for side in [&e.debit, &e.credit] {
                    if let Some(a) = accounts.get_mut(&side.account) {
                        a.balance = side.balance_after;
                    }
                }
                plan.entries.push(e.clone());
            }
            if let Some((k, fingerprint)) = key {
                plan.keys.push(NewKey {
                    user: k.user,
                    key: k.key.clone(),
                    fingerprint: *fingerprint,
                    outcome: result.as_ref().map(|e| e.id).map_err(|r| *r),
                });
                let first = KeyUse {
                    fingerprint: *fingerprint,
                    outcome: result.clone(),
                };
                stored.insert((k.user, k.key.clone()), first);
            }
            plan.outcomes.push(Ok(Posted {
                result,
                replayed: false,
            }));
        }
        let changed: BTreeSet<_> = plan
            .entries
            .iter()
            .flat_map(|e| [e.debit.account, e.credit.account])
            .collect();
        plan.balances = changed
            .into_iter()
            .filter_map(|id| accounts.get(&id).map(|a| (id, a.balance)))
            .collect();
        plan.keys
            .sort_by(|a, b| (a.user, &a.key).cmp(&(b.user, &b.key)));
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::IdempotencyKey;
    use crate::domain::{AccountKind, AccountNumber, Amount, Currency, EntryKind, Posting};
    use uuid::Uuid;

    fn account(balance: i64) -> Account {
        let mut a = Account::new(
            Some(UserId(Uuid::now_v7())),
            "x",
            AccountNumber::from_body(rand::random::<u64>()),
            AccountKind::Checking,
            Currency::EUR,
            "a",
            0,
        );
        a.balance = balance;
        a
    }

    fn request(from: &Account, to: &Account, amount: i64, key: Option<(&str, u8)>) -> Request {
        let posting = Posting {
            kind: EntryKind::Transfer,
            debit: from.id,
            credit: to.id,
            amount: Amount::new(amount).unwrap(),
            description: String::new(),
            created_by: from.owner,
            at: None,
        };
        let user = from.owner.unwrap();
        (
            posting,
            key.map(|(k, f)| (IdempotencyKey::new(user, k).unwrap(), [f; 32])),
        )
    }

    /// Per outcome: whether it replayed, and the payer's balance after it or
    /// the refusal; or the error.
    type Seen = Result<(bool, Result<i64, Refusal>), String>;

    fn results(plan: &Plan) -> Vec<Seen> {
        plan.outcomes
            .iter()
            .map(|o| match o {
                Ok(p) => Ok((
                    p.replayed,
                    p.result
                        .as_ref()
                        .map(|e| e.debit.balance_after)
                        .map_err(|r| *r),
                )),
                Err(e) => Err(e.to_string()),
            })
            .collect()
    }

    #[test]
    fn each_posting_sees_the_ones_before_it_and_balances_are_written_once() {
        let (a, b) = (account(100), account(0));
        let requests = [
            request(&a, &b, 60, None),
            request(&a, &b, 60, None),
            request(&b, &a, 10, None),
            request(&a, &b, 50, None),
        ];
        let accounts = HashMap::from([(a.id, a.clone()), (b.id, b.clone())]);
        // The batch before it gave out an id from later than `now`.
        let earlier = EntryId::at(9);
        let plan = Plan::of(&requests, accounts, HashMap::new(), 5, earlier);
        assert_eq!(
            results(&plan),
            [
                Ok((false, Ok(40))),
                Ok((false, Err(Refusal::InsufficientFunds))),
                Ok((false, Ok(50))),
                Ok((false, Ok(0))),
            ]
        );
        let mut expected = vec![(a.id, 0), (b.id, 100)];
        expected.sort();
        assert_eq!(plan.balances, expected);
        let ids: Vec<_> = plan.entries.iter().map(|e| e.id).collect();
        assert_eq!(ids.len(), 3);
        assert!(ids[0] > earlier, "{ids:?}");
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        assert_eq!(plan.last, ids[2]);
    }

    #[test]
    fn keys_replay_within_the_batch_and_from_the_store() {
        let (a, b) = (account(100), account(0));
        let accounts = HashMap::from([(a.id, a.clone()), (b.id, b.clone())]);
        let stored_entry = enter(
            &request(&a, &b, 1, None).0,
            Some(&a),
            Some(&b),
            EntryId::at(1),
            1,
        );
        let stored = HashMap::from([(
            (a.owner.unwrap(), "old".to_string()),
            KeyUse {
                fingerprint: [9; 32],
                outcome: stored_entry,
            },
        )]);
        let requests = [
            request(&a, &b, 10, Some(("new", 1))),
            request(&a, &b, 10, Some(("new", 1))),
            request(&a, &b, 10, Some(("new", 2))),
            request(&a, &b, 10, Some(("old", 9))),
            request(&a, &b, 10, Some(("old", 8))),
            request(&a, &b, 500, Some(("broke", 1))),
            request(&a, &b, 5, Some(("broke", 1))),
        ];
        let plan = Plan::of(&requests, accounts, stored, 5, EntryId(Uuid::nil()));
        let reused = Err(StoreError::IdempotencyKeyReused.to_string());
        assert_eq!(
            results(&plan),
            [
                Ok((false, Ok(90))),
                Ok((true, Ok(90))),
                reused.clone(),
                Ok((true, Ok(99))),
                reused,
                Ok((false, Err(Refusal::InsufficientFunds))),
                Ok((true, Err(Refusal::InsufficientFunds))),
            ]
        );
        assert_eq!(plan.entries.len(), 1);
        let keys: Vec<_> = plan.keys.iter().map(|k| k.key.as_str()).collect();
        assert_eq!(keys, ["broke", "new"]);
        assert_eq!(plan.keys[1].outcome, Ok(plan.entries[0].id));
        assert_eq!(plan.keys[0].outcome, Err(Refusal::InsufficientFunds));
    }

    #[test]
    fn an_unknown_account_is_refused_and_changes_nothing() {
        let (a, b) = (account(100), account(0));
        let accounts = HashMap::from([(a.id, a.clone())]);
        let plan = Plan::of(
            &[request(&a, &b, 10, None)],
            accounts,
            HashMap::new(),
            5,
            EntryId(Uuid::nil()),
        );
        assert_eq!(results(&plan), [Ok((false, Err(Refusal::AccountNotFound)))]);
        assert!(plan.entries.is_empty() && plan.balances.is_empty());
    }
}
