//! A race the store conformance suite cannot stage on PostgreSQL: first uses
//! of one idempotency key that all pass the key check before any of them
//! commits. `bankbox_post` lets one win; the others must come back with its
//! outcome, not an error and not a second entry.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bankbox::domain::EntryKind;
use bankbox::domain::ledger::IdempotencyKey;
use bankbox::store::Store;
use bankbox::store::postgres::PgStore;

use crate::backends::Database;
use crate::conformance::store::{balance, funded, posting};

const RACERS: usize = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racers_for_one_key_behind_a_lock_post_once() {
    let Some(db) = Database::fresh().await else {
        return;
    };
    let pg = PgStore::new(&db.url, RACERS + 2).unwrap();
    pg.migrate().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(pg);
    let (u, a) = funded(&store, "kim", 1_000).await;
    let (_, b) = funded(&store, "lou", 0).await;

    // Another session holds the payer's row, so every racer gets past the
    // key check and then queues on the lock.
    let blocker = connect(&db.url).await;
    blocker
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM accounts WHERE id = '{}' FOR UPDATE",
            a.id.0
        ))
        .await
        .unwrap();
    let racers: Vec<_> = (0..RACERS)
        .map(|_| {
            let (s, a, b) = (store.clone(), a.clone(), b.clone());
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
    // A session's view of pg_stat_activity is fixed for its transaction, so
    // another session watches the queue.
    let watcher = connect(&db.url).await;
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
        if waiting as usize == RACERS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{waiting} of {RACERS} racers queued"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
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
    assert_eq!(
        (balance(&store, &a).await, balance(&store, &b).await),
        (990, 10)
    );
    let report = store.verify().await.unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    drop(store);
    db.drop().await;
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
}
