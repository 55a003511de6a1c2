//! Many concurrent transfers, opposite directions included: the books still
//! balance, and every 2xx is exactly one committed entry.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::Rng;
use serde_json::json;

use crate::harness::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_transfer_storm_keeps_the_invariants() {
    let app = Arc::new(TestApp::start().await);
    let admin = app.admin_token().await;
    let mut customers = Vec::new();
    for name in ["st-a", "st-b", "st-c", "st-d"] {
        let c = app.customer(name).await;
        app.deposit(&admin, c.account_id(), 1_000).await;
        customers.push(Arc::new(c));
    }
    let ok = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for worker in 0..16 {
        let (app, customers, ok, refused) =
            (app.clone(), customers.clone(), ok.clone(), refused.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..25 {
                let (from, to, amount) = {
                    let mut rng = rand::rng();
                    let from = rng.random_range(0..customers.len());
                    // Neighbours both ways: A->B and B->A race each other.
                    let to = if rng.random_bool(0.5) {
                        (from + 1) % 4
                    } else {
                        (from + 3) % 4
                    };
                    (from, to, rng.random_range(1..=400))
                };
                let (payer, payee) = (&customers[from], &customers[to]);
                let key = format!("storm-{worker}-{i}");
                let r = app
                    .transfer(
                        &payer.token,
                        payer.account_id(),
                        payee.account_number(),
                        json!(amount),
                        Some(&key),
                    )
                    .await;
                match (r.status.as_u16(), r.code()) {
                    (201, _) => ok.fetch_add(1, Ordering::Relaxed),
                    (422, "insufficient_funds") => refused.fetch_add(1, Ordering::Relaxed),
                    other => panic!("unexpected answer {other:?}: {:?}", r.body),
                };
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let ok = ok.load(Ordering::Relaxed);
    assert_eq!(ok + refused.load(Ordering::Relaxed), 16 * 25);
    assert!(ok > 100, "most transfers should succeed, got {ok}");

    let mut total = 0;
    let mut transfers = 0;
    for c in &customers {
        let balance = app.balance(&c.token, c.account_id()).await;
        assert!(balance >= 0);
        total += balance;
        let h = app
            .get(
                &format!("/api/accounts/{}/transactions?limit=200", c.account_id()),
                &c.token,
            )
            .await;
        let mut items = h.body["items"].as_array().unwrap().clone();
        let mut cursor = h.body["next_cursor"].as_str().map(String::from);
        while let Some(cur) = cursor {
            let more = app
                .get(
                    &format!(
                        "/api/accounts/{}/transactions?limit=200&cursor={cur}",
                        c.account_id()
                    ),
                    &c.token,
                )
                .await;
            items.extend(more.body["items"].as_array().unwrap().iter().cloned());
            cursor = more.body["next_cursor"].as_str().map(String::from);
        }
        transfers += items.iter().filter(|i| i["direction"] == "out").count();
    }
    assert_eq!(total, 4_000, "money is neither made nor lost");
    assert_eq!(
        transfers, ok,
        "every 2xx is one committed entry, and only those"
    );
    app.assert_ledger_ok().await;

    // The command-line audit agrees, on the file the server wrote.
    let app = Arc::try_unwrap(app)
        .ok()
        .expect("no other handle to the app");
    let dir = app.stop().await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bankbox"))
        .args(["verify", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("ledger OK"), "{stdout}");
}
