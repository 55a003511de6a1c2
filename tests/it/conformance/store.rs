//! The Store contract. Each body runs on redb and on PostgreSQL.

use std::collections::HashSet;
use std::sync::Arc;

use bankbox::domain::ledger::IdempotencyKey;
use bankbox::domain::{
    Account, AccountKind, AccountNumber, Amount, Currency, Email, EntryKind, Posting, Refusal,
    Role, User, UserId, Username,
};
use bankbox::store::{HistoryQuery, Store, StoreError};

pub fn user(name: &str) -> User {
    User {
        id: UserId::new(),
        username: Username::parse(name).unwrap(),
        email: Email::parse(&format!("{name}@example.com")).unwrap(),
        password_hash: "$argon2id$placeholder".into(),
        role: Role::User,
        created_at: 1,
        disabled: false,
    }
}

pub fn account(owner: &User, currency: Currency) -> Account {
    Account::new(
        Some(owner.id),
        owner.username.as_str(),
        AccountNumber::from_body(rand::random()),
        AccountKind::Checking,
        currency,
        "Checking",
        1,
    )
}

pub fn posting(from: &Account, to: &Account, amount: i64, kind: EntryKind) -> Posting {
    Posting {
        kind,
        debit: from.id,
        credit: to.id,
        amount: Amount::new(amount).unwrap(),
        description: format!("{amount}"),
        created_by: None,
        at: None,
    }
}

/// A user with one funded EUR account.
pub async fn funded(store: &Arc<dyn Store>, name: &str, amount: i64) -> (User, Account) {
    let u = user(name);
    let a = account(&u, Currency::EUR);
    store.create_user(u.clone(), vec![a.clone()]).await.unwrap();
    if amount > 0 {
        let cash = store.system_account(Currency::EUR).await.unwrap();
        store
            .post(posting(&cash, &a, amount, EntryKind::Deposit), None)
            .await
            .unwrap()
            .result
            .unwrap();
    }
    (u, store.account(a.id).await.unwrap().unwrap())
}

pub async fn balance(store: &Arc<dyn Store>, a: &Account) -> i64 {
    store.account(a.id).await.unwrap().unwrap().balance
}

async fn users_are_unique_case_insensitively(store: Arc<dyn Store>) {
    let u = user("Alice");
    store
        .create_user(u.clone(), vec![account(&u, Currency::EUR)])
        .await
        .unwrap();
    let found = store
        .user_by_username(&Username::parse("ALICE").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, u);
    let dup = user("alice");
    let err = store
        .create_user(dup.clone(), vec![account(&dup, Currency::EUR)])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::UsernameTaken), "{err:?}");
    assert!(
        store.user(dup.id).await.unwrap().is_none(),
        "nothing of the refused user was written"
    );
    // Read it first, so a store that caches users must drop the old copy.
    assert_eq!(store.user(u.id).await.unwrap().unwrap(), u);
    let mut changed = u.clone();
    changed.disabled = true;
    changed.password_hash = "$argon2id$other".into();
    store.update_user(changed.clone()).await.unwrap();
    assert_eq!(store.user(u.id).await.unwrap().unwrap(), changed);
    assert_eq!(store.users().await.unwrap().len(), 1);
    assert_eq!(store.accounts_of(u.id).await.unwrap().len(), 1);
    assert!(matches!(
        store.update_user(user("ghost")).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn accounts_numbers_freezing_and_closing(store: Arc<dyn Store>) {
    let (u, first) = funded(&store, "bob", 0).await;
    let second = account(&u, Currency::parse("USD").unwrap());
    store.open_account(second.clone()).await.unwrap();
    let mut clash = account(&u, Currency::EUR);
    clash.number = second.number.clone();
    assert!(matches!(
        store.open_account(clash).await,
        Err(StoreError::AccountNumberTaken)
    ));
    let mut mine: Vec<_> = store
        .accounts_of(u.id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    mine.sort();
    let mut expected = vec![first.id, second.id];
    expected.sort();
    assert_eq!(mine, expected);
    assert_eq!(
        store
            .account_by_number(&second.number)
            .await
            .unwrap()
            .unwrap()
            .id,
        second.id
    );
    assert!(store.set_frozen(second.id, true).await.unwrap().frozen);
    assert!(!store.set_frozen(second.id, false).await.unwrap().frozen);
    assert!(store.close_account(second.id).await.unwrap().closed);
    let (_, rich) = funded(&store, "carol", 10).await;
    assert!(matches!(
        store.close_account(rich.id).await,
        Err(StoreError::AccountNotEmpty)
    ));
    let missing = bankbox::domain::AccountId::new();
    assert!(matches!(
        store.set_frozen(missing, true).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn one_system_account_per_currency(store: Arc<dyn Store>) {
    let calls = (0..8).map(|_| {
        let s = store.clone();
        tokio::spawn(async move { s.system_account(Currency::EUR).await.unwrap().id })
    });
    let mut ids = HashSet::new();
    for c in calls {
        ids.insert(c.await.unwrap());
    }
    assert_eq!(ids.len(), 1);
    let usd = store
        .system_account(Currency::parse("USD").unwrap())
        .await
        .unwrap();
    assert!(!ids.contains(&usd.id));
    assert_eq!(usd.kind, AccountKind::System);
}

async fn postings_move_money_or_change_nothing(store: Arc<dyn Store>) {
    let (_, a) = funded(&store, "dave", 1_000).await;
    let (_, b) = funded(&store, "erin", 0).await;
    let e = store
        .post(posting(&a, &b, 400, EntryKind::Transfer), None)
        .await
        .unwrap()
        .result
        .unwrap();
    assert_eq!((e.debit.balance_after, e.credit.balance_after), (600, 400));
    assert_eq!(e.debit.number, a.number);
    assert_eq!(store.entry(e.id).await.unwrap().unwrap(), e);
    let refused = store
        .post(posting(&a, &b, 601, EntryKind::Transfer), None)
        .await
        .unwrap();
    assert_eq!(refused.result.unwrap_err(), Refusal::InsufficientFunds);
    store.set_frozen(b.id, true).await.unwrap();
    let frozen = store
        .post(posting(&a, &b, 1, EntryKind::Transfer), None)
        .await
        .unwrap();
    assert_eq!(frozen.result.unwrap_err(), Refusal::AccountFrozen);
    let ghost = account(&user("ghost"), Currency::EUR);
    let missing = store
        .post(posting(&a, &ghost, 1, EntryKind::Transfer), None)
        .await
        .unwrap();
    assert_eq!(missing.result.unwrap_err(), Refusal::AccountNotFound);
    assert_eq!(
        (balance(&store, &a).await, balance(&store, &b).await),
        (600, 400)
    );
    let report = store.verify().await.unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.entries, 2);
}

/// Every refusal of the posting rule, on each side where it can arise. The
/// PostgreSQL adapter restates the rule in SQL; this keeps the two the same.
async fn every_refusal_changes_nothing(store: Arc<dyn Store>) {
    let (u, a) = funded(&store, "ivy", 1_000).await;
    let (_, b) = funded(&store, "jon", 0).await;
    let cash = store.system_account(Currency::EUR).await.unwrap();
    let usd = account(&u, Currency::parse("USD").unwrap());
    store.open_account(usd.clone()).await.unwrap();
    let shut = account(&u, Currency::EUR);
    store.open_account(shut.clone()).await.unwrap();
    store.close_account(shut.id).await.unwrap();
    // The bank's cash account may go negative, down to exactly i64::MIN here.
    store
        .post(posting(&cash, &b, i64::MAX - 999, EntryKind::Deposit), None)
        .await
        .unwrap()
        .result
        .unwrap();
    // Where two rules are broken, the first in check_posting's order answers.
    let cases = [
        (&a, &a, 1, Refusal::SameAccount),
        (&shut, &shut, 1, Refusal::SameAccount),
        (&a, &shut, 1, Refusal::AccountClosed),
        (&shut, &a, 1, Refusal::AccountClosed),
        (&a, &usd, 1, Refusal::CurrencyMismatch),
        (&a, &usd, 5_000, Refusal::CurrencyMismatch),
        (&a, &b, 1_001, Refusal::InsufficientFunds),
        (&a, &b, 1_000, Refusal::BalanceOverflow),
        (&cash, &a, 1, Refusal::BalanceOverflow),
    ];
    let before = (balance(&store, &a).await, balance(&store, &b).await);
    let refused = async |cases: &[(&Account, &Account, i64, Refusal)]| {
        for (from, to, amount, refusal) in cases {
            let posted = store
                .post(posting(from, to, *amount, EntryKind::Transfer), None)
                .await
                .unwrap();
            assert_eq!(posted.result.unwrap_err(), *refusal, "{amount}");
        }
    };
    refused(&cases).await;
    store.set_frozen(shut.id, true).await.unwrap();
    store.set_frozen(b.id, true).await.unwrap();
    refused(&[
        (&a, &shut, 1, Refusal::AccountClosed),
        (&a, &b, 1, Refusal::AccountFrozen),
    ])
    .await;
    store.set_frozen(b.id, false).await.unwrap();
    store.set_frozen(a.id, true).await.unwrap();
    refused(&[
        (&a, &b, 1, Refusal::AccountFrozen),
        (&a, &usd, 1, Refusal::AccountFrozen),
    ])
    .await;
    assert_eq!(
        (balance(&store, &a).await, balance(&store, &b).await),
        before
    );
    assert_eq!(balance(&store, &cash).await, i64::MIN);
    let report = store.verify().await.unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.entries, 2);
}

async fn idempotency_keys_replay_and_conflict(store: Arc<dyn Store>) {
    let (u, a) = funded(&store, "fay", 1_000).await;
    let (_, b) = funded(&store, "gus", 0).await;
    let key = |k: &str, fp: u8| Some((IdempotencyKey::new(u.id, k).unwrap(), [fp; 32]));
    let first = store
        .post(posting(&a, &b, 100, EntryKind::Transfer), key("k", 1))
        .await
        .unwrap();
    assert!(!first.replayed);
    let again = store
        .post(posting(&a, &b, 100, EntryKind::Transfer), key("k", 1))
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.result.unwrap().id, first.result.unwrap().id);
    let other = store
        .post(posting(&a, &b, 100, EntryKind::Transfer), key("k", 2))
        .await;
    assert!(matches!(other, Err(StoreError::IdempotencyKeyReused)));
    let refused = store
        .post(posting(&a, &b, 5_000, EntryKind::Transfer), key("r", 3))
        .await
        .unwrap();
    assert_eq!(refused.result.unwrap_err(), Refusal::InsufficientFunds);
    let replayed = store
        .post(posting(&a, &b, 5_000, EntryKind::Transfer), key("r", 3))
        .await
        .unwrap();
    assert!(replayed.replayed);
    assert_eq!(replayed.result.unwrap_err(), Refusal::InsufficientFunds);
    // Concurrent first uses of one key: exactly one entry.
    let racers = (0..8).map(|_| {
        let (s, a, b, k) = (store.clone(), a.clone(), b.clone(), key("race", 9));
        tokio::spawn(async move {
            s.post(posting(&a, &b, 10, EntryKind::Transfer), k)
                .await
                .unwrap()
        })
    });
    let mut ids = HashSet::new();
    for r in racers {
        ids.insert(r.await.unwrap().result.unwrap().id);
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(balance(&store, &a).await, 1_000 - 100 - 10);
    assert_eq!(store.purge_idempotency(i64::MAX).await.unwrap(), 3);
    assert!(
        !store
            .post(posting(&a, &b, 100, EntryKind::Transfer), key("k", 1))
            .await
            .unwrap()
            .replayed
    );
}

async fn history_pages_newest_first_across_accounts(store: Arc<dyn Store>) {
    let (u, a) = funded(&store, "hal", 1_000).await;
    let mut savings = account(&u, Currency::EUR);
    savings.kind = AccountKind::Savings;
    store.open_account(savings.clone()).await.unwrap();
    for i in 1..=5 {
        store
            .post(posting(&a, &savings, i, EntryKind::Transfer), None)
            .await
            .unwrap()
            .result
            .unwrap();
    }
    let both = [a.id, savings.id];
    let all = store
        .history(
            &both,
            &HistoryQuery {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        all.len(),
        11,
        "the deposit plus each transfer seen from both sides"
    );
    let keys: Vec<_> = all.iter().map(|l| (l.entry.id, l.account)).collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|x, y| y.cmp(x));
    assert_eq!(keys, sorted, "newest first, then by account");
    let mut paged = Vec::new();
    let mut q = HistoryQuery {
        limit: 3,
        ..Default::default()
    };
    loop {
        let page = store.history(&both, &q).await.unwrap();
        if page.is_empty() {
            break;
        }
        q.after = page.last().map(|l| (l.entry.id, l.account));
        paged.extend(page.into_iter().map(|l| (l.entry.id, l.account)));
    }
    assert_eq!(paged, keys, "pages join up with no gap or repeat");
    let future = HistoryQuery {
        from: Some(i64::MAX / 4),
        limit: 10,
        ..Default::default()
    };
    assert!(store.history(&both, &future).await.unwrap().is_empty());
    let past = HistoryQuery {
        until: Some(1),
        limit: 10,
        ..Default::default()
    };
    assert!(store.history(&both, &past).await.unwrap().is_empty());
    let one = store
        .history(
            &[savings.id],
            &HistoryQuery {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(one.len(), 5);
    assert!(one.iter().all(|l| l.account == savings.id));
}

async fn concurrent_storm_keeps_the_books(store: Arc<dyn Store>) {
    let mut accounts = Vec::new();
    for name in ["s-a", "s-b", "s-c", "s-d"] {
        accounts.push(funded(&store, name, 500).await.1);
    }
    let accounts = Arc::new(accounts);
    let tasks = (0..16).map(|w| {
        let (s, accounts) = (store.clone(), accounts.clone());
        tokio::spawn(async move {
            let mut ok = 0;
            for i in 0..25 {
                let from = (w + i) % 4;
                // Neighbours in both directions race each other.
                let to = if (w + i) % 2 == 0 {
                    (from + 1) % 4
                } else {
                    (from + 3) % 4
                };
                let p = posting(
                    &accounts[from],
                    &accounts[to],
                    1 + ((w * 7 + i * 13) % 90) as i64,
                    EntryKind::Transfer,
                );
                match s.post(p, None).await.unwrap().result {
                    Ok(_) => ok += 1,
                    Err(Refusal::InsufficientFunds) => {}
                    Err(other) => panic!("unexpected refusal {other:?}"),
                }
            }
            ok
        })
    });
    let mut ok = 0;
    for t in tasks {
        ok += t.await.unwrap();
    }
    let mut total = 0;
    for a in accounts.iter() {
        let b = balance(&store, a).await;
        assert!(b >= 0);
        total += b;
    }
    assert_eq!(total, 2_000);
    let report = store.verify().await.unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.entries, 4 + ok, "every success is one entry");
}

async fn secrets_are_kept_once(store: Arc<dyn Store>) {
    let first = store
        .secret_or_init("jwt", b"first".to_vec())
        .await
        .unwrap();
    let second = store
        .secret_or_init("jwt", b"second".to_vec())
        .await
        .unwrap();
    assert_eq!(
        (first.as_slice(), second.as_slice()),
        (&b"first"[..], &b"first"[..])
    );
    store.ping().await.unwrap();
}

crate::store_tests!(
    users_are_unique_case_insensitively,
    accounts_numbers_freezing_and_closing,
    one_system_account_per_currency,
    postings_move_money_or_change_nothing,
    every_refusal_changes_nothing,
    idempotency_keys_replay_and_conflict,
    history_pages_newest_first_across_accounts,
    concurrent_storm_keeps_the_books,
    secrets_are_kept_once,
);
