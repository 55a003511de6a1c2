use std::time::{Duration, Instant};

use bankbox::bank::Movement;
use bankbox::domain::{AccountId, Amount, EntryKind};
use serde_json::json;

use crate::harness::{Customer, TestApp};

async fn funded_pair(app: &TestApp, a: &str, b: &str, amount: i64) -> (Customer, Customer) {
    let admin = app.admin_token().await;
    let a = app.customer(a).await;
    let b = app.customer(b).await;
    app.deposit(&admin, a.account_id(), amount).await;
    (a, b)
}

#[tokio::test]
async fn transfer_by_number_moves_money_both_ways_exactly() {
    let app = TestApp::start().await;
    let (a, b) = funded_pair(&app, "abby", "bart", 10_000).await;
    let r = app
        .transfer(
            &a.token,
            a.account_id(),
            b.account_number(),
            json!(1_234),
            None,
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["direction"], "out");
    assert_eq!(r.body["amount"], 1_234);
    assert_eq!(r.body["balance_after"], 8_766);
    assert_eq!(r.body["counterparty"]["account_number"], b.account_number());
    assert_eq!(app.balance(&a.token, a.account_id()).await, 8_766);
    assert_eq!(app.balance(&b.token, b.account_id()).await, 1_234);

    let id = r.body["id"].as_str().unwrap();
    let mine = app.get(&format!("/api/transactions/{id}"), &a.token).await;
    assert_eq!(mine.body["direction"], "out");
    let theirs = app.get(&format!("/api/transactions/{id}"), &b.token).await;
    assert_eq!(theirs.body["direction"], "in");
    assert_eq!(theirs.body["counterparty"]["name"], "abby");
    let stranger = app.customer("carl").await;
    assert_eq!(
        app.get(&format!("/api/transactions/{id}"), &stranger.token)
            .await
            .status,
        404
    );
    // Spaces in a typed number are fine.
    let n = b.account_number();
    let spaced = format!("{} {} {}", &n[..4], &n[4..8], &n[8..]);
    assert_eq!(
        app.transfer(&a.token, a.account_id(), &spaced, json!(1), None)
            .await
            .status,
        201
    );
    app.assert_ledger_ok().await;
}

/// Each refusal has its own code and changes nothing.
#[tokio::test]
async fn refusals_change_nothing() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let (a, b) = funded_pair(&app, "dora", "eddy", 5_000).await;
    let usd = app
        .post(
            "/api/accounts",
            &b.token,
            json!({ "kind": "checking", "currency": "USD" }),
        )
        .await;
    let usd_number = usd.body["number"].as_str().unwrap().to_string();
    let frozen = app.customer("fran").await;
    app.deposit(&admin, frozen.account_id(), 100).await;
    app.post(
        &format!("/api/admin/accounts/{}/freeze", frozen.account_id()),
        &admin,
        json!({}),
    )
    .await;
    let mut bad_digits = b.account_number().to_string().into_bytes();
    bad_digits[0] = if bad_digits[0] == b'9' {
        b'1'
    } else {
        bad_digits[0] + 1
    };
    let bad_digits = String::from_utf8(bad_digits).unwrap();
    let unknown = bankbox::domain::AccountNumber::from_body(1).to_string();
    let system = app
        .state
        .bank
        .store
        .system_account(bankbox::domain::Currency::EUR)
        .await
        .unwrap();

    let cases = [
        (b.account_number(), json!(5_001), 422, "insufficient_funds"),
        (frozen.account_number(), json!(1), 422, "account_frozen"),
        (a.account_id(), json!(1), 422, "same_account"),
        (usd_number.as_str(), json!(1), 422, "currency_mismatch"),
        (b.account_number(), json!(0), 422, "amount_not_positive"),
        (b.account_number(), json!(-100), 422, "amount_not_positive"),
        (b.account_number(), json!(1.5), 422, "amount_not_integer"),
        (
            b.account_number(),
            json!(9_223_372_036_854_775_808u64),
            422,
            "amount_too_large",
        ),
        (b.account_number(), json!(1e30), 422, "amount_too_large"),
        (b.account_number(), json!("100"), 400, "invalid_request"),
        (
            bad_digits.as_str(),
            json!(1),
            422,
            "account_number_checksum",
        ),
        ("12345", json!(1), 422, "invalid_account_number"),
        (unknown.as_str(), json!(1), 404, "not_found"),
        (system.number.as_str(), json!(1), 404, "not_found"),
        (b.account_id(), json!(1), 404, "not_found"),
    ];
    for (to, amount, status, code) in cases {
        let r = app
            .transfer(&a.token, a.account_id(), to, amount.clone(), None)
            .await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (status, code),
            "to {to} amount {amount}: {:?}",
            r.body
        );
    }
    // Moving someone else's money: their account is not found.
    let r = app
        .transfer(&a.token, b.account_id(), a.account_number(), json!(1), None)
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .transfer(
            &a.token,
            b.account_number(),
            a.account_number(),
            json!(1),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    // From a frozen account.
    let r = app
        .transfer(
            &frozen.token,
            frozen.account_id(),
            a.account_number(),
            json!(1),
            None,
        )
        .await;
    assert_eq!(r.code(), "account_frozen");
    // A description that is not one line of text (PostgreSQL cannot even
    // store a NUL): refused the same way on every store.
    for description in ["rent\u{0}", "two\nlines"] {
        let body = json!({ "from_account": a.account_id(), "to_account": b.account_number(),
                           "amount": 1, "description": description });
        let r = app.post("/api/transactions", &a.token, body).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (422, "control_character"),
            "{description:?}"
        );
    }

    assert_eq!(app.balance(&a.token, a.account_id()).await, 5_000);
    assert_eq!(app.balance(&b.token, b.account_id()).await, 0);
    let history = app
        .get(
            &format!("/api/accounts/{}/transactions", a.account_id()),
            &a.token,
        )
        .await;
    assert_eq!(
        history.body["items"].as_array().unwrap().len(),
        1,
        "only the deposit"
    );
    app.assert_ledger_ok().await;
}

#[tokio::test]
async fn balances_cannot_overflow() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let a = app.customer("gabe").await;
    app.deposit(&admin, a.account_id(), i64::MAX).await;
    let r = app
        .post(
            "/api/admin/deposits",
            &admin,
            json!({ "account": a.account_id(), "amount": 1 }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "balance_overflow"));
    assert_eq!(app.balance(&a.token, a.account_id()).await, i64::MAX);
    app.assert_ledger_ok().await;
}

#[tokio::test]
async fn idempotency_key_replays_success_once() {
    let app = TestApp::start().await;
    let (a, b) = funded_pair(&app, "hope", "ivor", 1_000).await;
    let first = app
        .transfer(
            &a.token,
            a.account_id(),
            b.account_number(),
            json!(300),
            Some("k-1"),
        )
        .await;
    assert_eq!(first.status, 201);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let replays = futures_like_join(&app, &a, b.account_number(), "k-1", 300).await;
    for r in &replays {
        assert_eq!(r.status, 201);
        assert_eq!(r.body["id"], first.body["id"]);
        assert_eq!(r.headers["idempotent-replayed"], "true");
    }
    assert_eq!(
        app.balance(&a.token, a.account_id()).await,
        700,
        "paid once"
    );
    // Same key, other body: conflict, nothing moves.
    let other = app
        .transfer(
            &a.token,
            a.account_id(),
            b.account_number(),
            json!(301),
            Some("k-1"),
        )
        .await;
    assert_eq!(
        (other.status.as_u16(), other.code()),
        (409, "idempotency_key_reused")
    );
    // Keys belong to their user: b may use "k-1" too.
    app.deposit(&app.admin_token().await, b.account_id(), 50)
        .await;
    let theirs = app
        .transfer(
            &b.token,
            b.account_id(),
            a.account_number(),
            json!(50),
            Some("k-1"),
        )
        .await;
    assert_eq!(theirs.status, 201);
    assert_ne!(theirs.body["id"], first.body["id"]);
    app.assert_ledger_ok().await;
}

/// Concurrent retries of one request: all answer with the same entry.
async fn futures_like_join(
    app: &TestApp,
    a: &Customer,
    to: &str,
    key: &str,
    amount: i64,
) -> Vec<crate::harness::Reply> {
    let mut out = Vec::new();
    let (r1, r2, r3) = tokio::join!(
        app.transfer(&a.token, a.account_id(), to, json!(amount), Some(key)),
        app.transfer(&a.token, a.account_id(), to, json!(amount), Some(key)),
        app.transfer(&a.token, a.account_id(), to, json!(amount), Some(key)),
    );
    out.extend([r1, r2, r3]);
    out
}

#[tokio::test]
async fn idempotency_key_replays_a_refusal_even_after_funding() {
    let app = TestApp::start().await;
    let (a, b) = funded_pair(&app, "jane", "kyle", 100).await;
    let refused = app
        .transfer(
            &a.token,
            a.account_id(),
            b.account_number(),
            json!(500),
            Some("r-1"),
        )
        .await;
    assert_eq!(refused.code(), "insufficient_funds");
    app.deposit(&app.admin_token().await, a.account_id(), 1_000)
        .await;
    let replay = app
        .transfer(
            &a.token,
            a.account_id(),
            b.account_number(),
            json!(500),
            Some("r-1"),
        )
        .await;
    assert_eq!(
        (replay.status.as_u16(), replay.code()),
        (422, "insufficient_funds")
    );
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    let fresh = app
        .transfer(
            &a.token,
            a.account_id(),
            b.account_number(),
            json!(500),
            Some("r-2"),
        )
        .await;
    assert_eq!(fresh.status, 201);
    let long_key = "x".repeat(256);
    let r = app
        .transfer(
            &a.token,
            a.account_id(),
            b.account_number(),
            json!(1),
            Some(&long_key),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(app.balance(&a.token, a.account_id()).await, 600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_lists_transfers_made_at_once_in_the_order_they_happened() {
    let app = TestApp::start().await;
    let (a, b) = funded_pair(&app, "abby", "bart", 1_000).await;
    // Requests that arrive together are applied in batches, several of them
    // within one millisecond.
    let sent = futures_util::future::join_all(
        (0..64).map(|_| app.transfer(&a.token, a.account_id(), b.account_number(), json!(1), None)),
    )
    .await;
    assert!(sent.iter().all(|r| r.status == 201));
    let page = app
        .get(
            &format!("/api/accounts/{}/transactions?limit=100", a.account_id()),
            &a.token,
        )
        .await;
    let after: Vec<i64> = page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["balance_after"].as_i64().unwrap())
        .collect();
    // Newest first: each line's balance is one more than the line above.
    assert_eq!(after, (936..=1_000).collect::<Vec<i64>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_whose_caller_hung_up_still_refreshes_cached_answers() {
    let app = TestApp::start().await;
    let (a, b) = funded_pair(&app, "abby", "bart", 1_000).await;
    let bank = app.state.bank.clone();
    let from = AccountId(a.account_id().parse().unwrap());
    let to = AccountId(b.account_id().parse().unwrap());
    let owner = bank
        .store
        .account(from)
        .await
        .unwrap()
        .unwrap()
        .owner
        .unwrap();
    let version = bank.cache.response_version(owner).await.unwrap();
    let amount = Amount::new(5).unwrap();
    let movement = Movement::new(EntryKind::Transfer, from, to, amount, "gone").unwrap();

    // The caller goes away once its transfer is queued, as a request does
    // when its client hangs up.
    let mut post = Box::pin(bank.post(Some(owner), movement, None));
    assert!(futures_util::poll!(&mut post).is_pending());
    drop(post);

    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let balance = bank.store.account(from).await.unwrap().unwrap().balance;
        let now = bank.cache.response_version(owner).await.unwrap();
        if balance == 995 && now > version {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "balance {balance}, cached answers version {now} (was {version})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
