//! The ledger on redb: durable transfers one commit each vs group-committed,
//! and the reads behind balances and statements.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures_util::future::join_all;

use bankbox::store::HistoryQuery;

fn ledger(c: &mut Criterion) {
    let rt = common::runtime();
    let (store, _dir) = common::store();
    let accounts = rt.block_on(common::accounts(&store, 64, i64::MAX / 128));
    let mut group = c.benchmark_group("ledger");

    group.throughput(Throughput::Elements(1));
    group.bench_function("transfer, one durable commit per transfer", |b| {
        b.to_async(&rt).iter(|| async {
            store
                .post(common::posting(&accounts[0], &accounts[1], 1), None)
                .await
                .unwrap()
                .result
                .unwrap();
        })
    });

    group.throughput(Throughput::Elements(64));
    group.bench_function(
        "64 concurrent transfers, group-committed (per batch)",
        |b| {
            b.to_async(&rt).iter(|| async {
                let posts = (0..64).map(|i| {
                    store.post(
                        common::posting(&accounts[i], &accounts[(i + 1) % 64], 1),
                        None,
                    )
                });
                for r in join_all(posts).await {
                    r.unwrap().result.unwrap();
                }
            })
        },
    );

    group.throughput(Throughput::Elements(1));
    let q = HistoryQuery {
        limit: 50,
        ..Default::default()
    };
    group.bench_function("history page of 50 lines", |b| {
        b.to_async(&rt).iter(|| async {
            assert_eq!(
                store.history(&[accounts[0].id], &q).await.unwrap().len(),
                50
            )
        })
    });
    group.bench_function("balance read (one account)", |b| {
        b.to_async(&rt).iter(|| async {
            store
                .account(accounts[3].id)
                .await
                .unwrap()
                .unwrap()
                .balance
        })
    });
    group.finish();
}

criterion_group! { name = benches; config = common::config(); targets = ledger }
criterion_main!(benches);
