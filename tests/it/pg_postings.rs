//! Postings on PostgreSQL staged behind a row lock, for what the store
//! conformance suite cannot stage: replicas racing for one idempotency key,
//! and postings queued in one process going to the database as one batch.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bankbox::domain::ledger::IdempotencyKey;
use bankbox::domain::{Account, EntryKind, Refusal, UserId};
use bankbox::store::postgres::{POSTING_LANES, PgStore};
use bankbox::store::{HistoryQuery, Posted, Store, StoreError};
use futures_util::future::{BoxFuture, join_all};

use crate::backends::Database;
use crate::conformance::store::{balance, funded, posting};

const RACERS: usize = 6;

async fn store(url: &str) -> Arc<dyn Store> {
    let pg = PgStore::new(url, 4).unwrap();
    pg.migrate().await.unwrap();
    Arc::new(pg)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_racing_for_one_key_post_once() {
    let Some(db) = Database::fresh().await else {
        return;
    };
    let first = store(&db.url).await;
    let (u, a) = funded(&first, "kim", 1_000).await;
    let (_, b) = funded(&first, "lou", 0).await;
    let mut replicas = vec![first];
    for _ in 1..RACERS {
        replicas.push(store(&db.url).await);
    }

    // Another session holds the payer's row, so every racer queues on the
    // lock; the first to get it posts, and the others then find its key.
    let blocker = lock_account(&db.url, &a).await;
    let racers: Vec<_> = replicas
        .iter()
        .map(|s| {
            let (s, a, b) = (s.clone(), a.clone(), b.clone());
            let key = IdempotencyKey::new(u.id, "race").unwrap();
            tokio::spawn(async move {
                s.post(
                    posting(&a, &b, 10, EntryKind::Transfer),
                    Some((key, [7; 32])),
                )
                .await
            })
        })
        .collect();
    wait_for_lock_waiters(&db.url, RACERS).await;
    blocker.batch_execute("COMMIT").await.unwrap();

    let mut posted = Vec::new();
    for r in racers {
        posted.push(r.await.unwrap().expect("every racer gets an answer"));
    }
    let fresh = posted.iter().filter(|p| !p.replayed).count();
    assert_eq!(fresh, 1, "exactly one racer posted");
    let ids: Vec<_> = posted
        .into_iter()
        .map(|p| p.result.expect("the winner's entry").id)
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let store = &replicas[0];
    assert_eq!(
        (balance(store, &a).await, balance(store, &b).await),
        (990, 10)
    );
    assert_ledger_ok(store).await;
    drop(replicas);
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_first_used_elsewhere_while_posting_is_replayed() {
    let Some(db) = Database::fresh().await else {
        return;
    };
    let store = store(&db.url).await;
    let (u, a) = funded(&store, "kim", 1_000).await;
    let (_, b) = funded(&store, "lou", 0).await;
    // Another replica's first use of the key, written but not committed: the
    // posting does not see it when it reads its keys, and its own insert of
    // the key then waits for that transaction.
    let other = connect(&db.url).await;
    other
        .batch_execute(&format!(
            "BEGIN; INSERT INTO idempotency (user_id, key, fingerprint, entry, refusal, created_at) \
             VALUES ('{}', 'race', '\\x{}', NULL, 'InsufficientFunds', 0)",
            u.id.0,
            "07".repeat(32)
        ))
        .await
        .unwrap();
    let (s, p) = (store.clone(), posting(&a, &b, 10, EntryKind::Transfer));
    let key = IdempotencyKey::new(u.id, "race").unwrap();
    let racer = tokio::spawn(async move { s.post(p, Some((key, [7; 32]))).await });
    wait_for_lock_waiters(&db.url, 1).await;
    other.batch_execute("COMMIT").await.unwrap();

    let posted = racer.await.unwrap().unwrap();
    assert!(posted.replayed, "{posted:?}");
    assert_eq!(posted.result.unwrap_err(), Refusal::InsufficientFunds);
    assert_eq!(
        (balance(&store, &a).await, balance(&store, &b).await),
        (1_000, 0)
    );
    assert_ledger_ok(&store).await;
    drop(store);
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postings_queued_together_commit_as_one_batch_in_order() {
    let Some(db) = Database::fresh().await else {
        return;
    };
    let store = store(&db.url).await;
    let (_, a) = funded(&store, "ann", 100).await;
    let (kim, k) = funded(&store, "kim", 50).await;
    let (_, b) = funded(&store, "bob", 0).await;
    let key = |fingerprint| {
        let key = IdempotencyKey::new(kim.id, "twice").unwrap();
        Some((key, [fingerprint; 32]))
    };
    let mut postings: Vec<BoxFuture<_>> = (0..12)
        .map(|_| store.post(posting(&a, &b, 10, EntryKind::Transfer), None))
        .collect();
    for fingerprint in [1, 1, 2] {
        postings.push(store.post(posting(&k, &b, 5, EntryKind::Transfer), key(fingerprint)));
    }
    let out = behind_busy_lanes(&db.url, &store, postings).await;

    // In queue order: the first ten drain ann's 100, the last two find it empty.
    let (drains, keyed) = out.split_at(12);
    for (i, o) in drains.iter().enumerate() {
        let o = o.as_ref().unwrap();
        assert!(!o.replayed);
        match i {
            0..10 => assert!(o.result.is_ok(), "{i}: {o:?}"),
            _ => assert_eq!(o.result.as_ref().unwrap_err(), &Refusal::InsufficientFunds),
        }
    }
    let (new, again) = (keyed[0].as_ref().unwrap(), keyed[1].as_ref().unwrap());
    assert!(!new.replayed && again.replayed);
    let entry = new.result.as_ref().unwrap().id;
    assert_eq!(again.result.as_ref().unwrap().id, entry);
    assert!(matches!(keyed[2], Err(StoreError::IdempotencyKeyReused)));

    // One transaction wrote every entry: they share its id.
    let mut ids: Vec<_> = drains[..10]
        .iter()
        .map(|o| o.as_ref().unwrap().result.as_ref().unwrap().id.0)
        .collect();
    ids.push(entry.0);
    let client = connect(&db.url).await;
    let transactions: i64 = client
        .query_one(
            "SELECT count(DISTINCT xmin::text) FROM entries WHERE id = ANY($1)",
            &[&ids],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(transactions, 1);
    // History lists by entry id: ann's statement runs in posting order.
    let q = HistoryQuery {
        limit: 50,
        ..Default::default()
    };
    let after: Vec<i64> = store
        .history(&[a.id], &q)
        .await
        .unwrap()
        .iter()
        .map(|l| match l.entry.debit.account == a.id {
            true => l.entry.debit.balance_after,
            false => l.entry.credit.balance_after,
        })
        .collect();
    assert_eq!(after, (0..=10).map(|i| i * 10).collect::<Vec<i64>>());
    assert_eq!(
        (balance(&store, &a).await, balance(&store, &k).await),
        (0, 45)
    );
    assert_eq!(balance(&store, &b).await, 105);
    assert_ledger_ok(&store).await;
    drop(store);
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_the_server_refuses_is_posted_one_by_one() {
    let Some(db) = Database::fresh().await else {
        return;
    };
    let store = store(&db.url).await;
    let (_, a) = funded(&store, "ann", 100).await;
    let (_, b) = funded(&store, "bob", 0).await;
    // A creator who is not a user: the entry's foreign key refuses it, which
    // rolls back the whole batch it came in.
    let mut orphan = posting(&a, &b, 7, EntryKind::Transfer);
    orphan.created_by = Some(UserId::new());
    let postings: Vec<BoxFuture<_>> = vec![
        store.post(posting(&a, &b, 10, EntryKind::Transfer), None),
        store.post(orphan, None),
        store.post(posting(&a, &b, 20, EntryKind::Transfer), None),
    ];
    let out = behind_busy_lanes(&db.url, &store, postings).await;

    assert!(out[0].as_ref().unwrap().result.is_ok());
    assert!(
        matches!(&out[1], Err(StoreError::Corrupt(m)) if m.contains("created_by")),
        "{:?}",
        out[1]
    );
    assert!(out[2].as_ref().unwrap().result.is_ok());
    assert_eq!(balance(&store, &a).await, 70);
    assert_eq!(balance(&store, &b).await, 30);
    assert_ledger_ok(&store).await;
    drop(store);
    db.drop().await;
}

/// Runs `postings` so that they queue together: a row lock stalls a posting in
/// each of the store's lanes, `postings` are queued, and then the lock goes.
async fn behind_busy_lanes(
    url: &str,
    store: &Arc<dyn Store>,
    postings: Vec<BoxFuture<'_, Result<Posted, StoreError>>>,
) -> Vec<Result<Posted, StoreError>> {
    let (_, x) = funded(store, "xavier", 100).await;
    let (_, y) = funded(store, "yves", 0).await;
    let blocker = lock_account(url, &x).await;
    let mut stalled = Vec::new();
    for n in 1..=POSTING_LANES {
        let s = store.clone();
        let p = posting(&x, &y, 1, EntryKind::Transfer);
        stalled.push(tokio::spawn(async move { s.post(p, None).await }));
        wait_for_lock_waiters(url, n).await;
    }
    let mut all = std::pin::pin!(join_all(postings));
    // One poll queues every posting; none can finish while the lanes are stalled.
    assert!(futures_util::poll!(&mut all).is_pending());
    blocker.batch_execute("COMMIT").await.unwrap();
    for s in stalled {
        assert!(s.await.unwrap().unwrap().result.is_ok());
    }
    all.await
}

/// A session holding `account`'s row lock until it commits.
async fn lock_account(url: &str, account: &Account) -> tokio_postgres::Client {
    let blocker = connect(url).await;
    blocker
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM accounts WHERE id = '{}' FOR UPDATE",
            account.id.0
        ))
        .await
        .unwrap();
    blocker
}

async fn wait_for_lock_waiters(url: &str, n: usize) {
    // A session's view of pg_stat_activity is fixed for its transaction, so
    // another session watches the queue.
    let watcher = connect(url).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let waiting: i64 = watcher
            .query_one(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if waiting as usize == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{waiting} of {n} queued on the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn assert_ledger_ok(store: &Arc<dyn Store>) {
    let report = store.verify().await.unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
}
