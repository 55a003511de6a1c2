use serde_json::{Value, json};

use crate::harness::TestApp;

#[tokio::test]
async fn new_users_get_a_checking_account_and_can_open_more() {
    let app = TestApp::start().await;
    let c = app.customer("olga").await;
    assert_eq!(c.account["kind"], "checking");
    assert_eq!(c.account["currency"], "EUR");
    assert_eq!(c.account["balance"], 0);
    bankbox::domain::AccountNumber::parse(c.account_number()).expect("valid check digits");

    let opened = app
        .post(
            "/api/accounts",
            &c.token,
            json!({ "kind": "savings", "currency": "usd", "name": "Rainy day" }),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.body);
    assert_eq!(opened.body["currency"], "USD");
    assert_eq!(opened.body["name"], "Rainy day");

    let list = app.get("/api/accounts", &c.token).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
    assert!(list.body["next_cursor"].is_null());
    for a in list.body["items"].as_array().unwrap() {
        for field in ["id", "number", "kind", "currency", "balance", "name"] {
            assert!(a.get(field).is_some(), "{field}");
        }
    }
}

#[tokio::test]
async fn opening_refuses_bad_kinds_and_currencies() {
    let app = TestApp::start().await;
    let c = app.customer("pete").await;
    let r = app
        .post("/api/accounts", &c.token, json!({ "kind": "system" }))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "invalid_account_kind"));
    let r = app
        .post(
            "/api/accounts",
            &c.token,
            json!({ "kind": "savings", "currency": "XYZ" }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "unknown_currency"));
    let r = app
        .post(
            "/api/accounts",
            &c.token,
            json!({ "kind": "savings", "name": "x".repeat(65) }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "too_long"));
    let r = app
        .post(
            "/api/accounts",
            &c.token,
            json!({ "kind": "savings", "name": "Holiday\u{0}" }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "control_character"));
    assert_eq!(
        app.get("/api/accounts", &c.token).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn strangers_accounts_are_not_found() {
    let app = TestApp::start().await;
    let a = app.customer("quin").await;
    let b = app.customer("rita").await;
    let path = format!("/api/accounts/{}", b.account_id());
    let r = app.get(&path, &a.token).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "not_found"));
    let r = app.get(&format!("{path}/transactions"), &a.token).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        app.get("/api/accounts/not-a-uuid", &a.token).await.status,
        404
    );
    assert_eq!(app.get(&path, &b.token).await.status, 200);
}

#[tokio::test]
async fn cached_account_list_follows_every_write() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let a = app.customer("sara").await;
    let b = app.customer("tom").await;
    let balance_in_list = |list: &Value| list["items"][0]["balance"].as_i64().unwrap();
    // Prime the cache, then change the balance through each kind of write.
    assert_eq!(
        balance_in_list(&app.get("/api/accounts", &a.token).await.body),
        0
    );
    app.deposit(&admin, a.account_id(), 10_000).await;
    assert_eq!(
        balance_in_list(&app.get("/api/accounts", &a.token).await.body),
        10_000
    );
    assert_eq!(
        balance_in_list(&app.get("/api/accounts", &b.token).await.body),
        0
    );
    let t = app
        .transfer(
            &a.token,
            a.account_id(),
            b.account_number(),
            json!(2_500),
            None,
        )
        .await;
    assert_eq!(t.status, 201);
    assert_eq!(
        balance_in_list(&app.get("/api/accounts", &a.token).await.body),
        7_500
    );
    assert_eq!(
        balance_in_list(&app.get("/api/accounts", &b.token).await.body),
        2_500,
        "the payee's cache too"
    );
    app.post("/api/accounts", &a.token, json!({ "kind": "savings" }))
        .await;
    assert_eq!(
        app.get("/api/accounts", &a.token).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let frozen = app
        .post(
            &format!("/api/admin/accounts/{}/freeze", a.account_id()),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(frozen.status, 200);
    assert_eq!(
        app.get("/api/accounts", &a.token).await.body["items"][0]["frozen"],
        true
    );
}

#[tokio::test]
async fn history_pages_newest_first_and_filters_by_date() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let a = app.customer("ursa").await;
    let b = app.customer("vera").await;
    app.deposit(&admin, a.account_id(), 100_000).await;
    let mut ids = Vec::new();
    for amount in 1..=7 {
        let r = app
            .transfer(
                &a.token,
                a.account_id(),
                b.account_number(),
                json!(amount),
                None,
            )
            .await;
        assert_eq!(r.status, 201);
        ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    let path = format!("/api/accounts/{}/transactions", a.account_id());
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let q = match &cursor {
            Some(c) => format!("{path}?limit=3&cursor={c}"),
            None => format!("{path}?limit=3"),
        };
        let page = app.get(&q, &a.token).await;
        assert_eq!(page.status, 200, "{:?}", page.body);
        for item in page.body["items"].as_array().unwrap() {
            seen.push(item.clone());
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 8, "7 transfers and the deposit");
    let seen_ids: Vec<&str> = seen.iter().map(|i| i["id"].as_str().unwrap()).collect();
    let newest_first: Vec<&str> = ids.iter().rev().map(String::as_str).collect();
    assert_eq!(&seen_ids[..7], newest_first.as_slice());
    let first = &seen[0];
    assert_eq!(first["direction"], "out");
    assert_eq!(first["amount"], 7);
    assert_eq!(first["currency"], "EUR");
    assert_eq!(first["counterparty"]["account_number"], b.account_number());
    assert_eq!(first["counterparty"]["name"], "vera");
    assert_eq!(seen[7]["direction"], "in");
    assert_eq!(seen[7]["kind"], "deposit");

    let payee = app
        .get(
            &format!("/api/accounts/{}/transactions", b.account_id()),
            &b.token,
        )
        .await;
    assert_eq!(payee.body["items"][0]["direction"], "in");
    assert_eq!(payee.body["items"][0]["counterparty"]["name"], "ursa");

    let future = app.get(&format!("{path}?from=2999-01-01"), &a.token).await;
    assert_eq!(future.body["items"].as_array().unwrap().len(), 0);
    let past = app.get(&format!("{path}?to=2000-01-01"), &a.token).await;
    assert_eq!(past.body["items"].as_array().unwrap().len(), 0);
    let today = time::OffsetDateTime::now_utc().date();
    let around = format!(
        "{path}?from={}&to={}",
        today.previous_day().unwrap(),
        today.next_day().unwrap()
    );
    assert_eq!(
        app.get(&around, &a.token).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
    for bad in [
        "?limit=0",
        "?limit=201",
        "?cursor=zzz",
        "?from=yesterday",
        "?from=2025-02-01&to=2025-01-01",
        "?colour=red",
    ] {
        let r = app.get(&format!("{path}{bad}"), &a.token).await;
        assert_eq!(r.status, 400, "{bad}: {:?}", r.body);
    }
}

#[tokio::test]
async fn all_accounts_history_merges_both_sides_of_own_transfers() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let a = app.customer("wade").await;
    app.deposit(&admin, a.account_id(), 5_000).await;
    let savings = app
        .post("/api/accounts", &a.token, json!({ "kind": "savings" }))
        .await;
    let savings_id = savings.body["id"].as_str().unwrap();
    let t = app
        .transfer(&a.token, a.account_id(), savings_id, json!(1_000), None)
        .await;
    assert_eq!(t.status, 201, "own accounts are reachable by id");
    let all = app.get("/api/transactions?limit=2", &a.token).await;
    let items = all.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0]["id"], items[1]["id"],
        "one entry, seen from both accounts"
    );
    let mut directions: Vec<&str> = items
        .iter()
        .map(|i| i["direction"].as_str().unwrap())
        .collect();
    directions.sort();
    assert_eq!(directions, ["in", "out"]);
    let rest = app
        .get(
            &format!(
                "/api/transactions?limit=2&cursor={}",
                all.body["next_cursor"].as_str().unwrap()
            ),
            &a.token,
        )
        .await;
    let rest = rest.body["items"].as_array().unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["kind"], "deposit");
    assert_eq!(app.balance(&a.token, savings_id).await, 1_000);
}

#[tokio::test]
async fn only_empty_accounts_close_and_closed_ones_take_no_money() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let a = app.customer("xena").await;
    let b = app.customer("yuri").await;
    app.deposit(&admin, a.account_id(), 500).await;
    let close = |c: &crate::harness::Customer| format!("/api/accounts/{}/close", c.account_id());
    let full = app.post(&close(&a), &a.token, json!({})).await;
    assert_eq!(
        (full.status.as_u16(), full.code()),
        (409, "account_not_empty")
    );
    let stranger = app.post(&close(&a), &b.token, json!({})).await;
    assert_eq!(stranger.status, 404);
    let closed = app.post(&close(&b), &b.token, json!({})).await;
    assert_eq!(closed.status, 200);
    assert_eq!(closed.body["closed"], true);
    let r = app
        .transfer(&a.token, a.account_id(), b.account_number(), json!(1), None)
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "account_closed"));
    assert_eq!(app.balance(&a.token, a.account_id()).await, 500);
    assert_eq!(
        app.get(
            &format!("/api/accounts/{}/transactions", b.account_id()),
            &b.token
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn payee_lookup_names_the_holder_by_number_only() {
    let app = TestApp::start().await;
    let a = app.customer("zack").await;
    let b = app.customer("zoe").await;
    let r = app
        .get(&format!("/api/payees/{}", b.account_number()), &a.token)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["name"], "zoe");
    assert_eq!(r.body["currency"], "EUR");
    assert!(r.body.get("id").is_none(), "ids stay private");
    let bad = app.get("/api/payees/123456789012", &a.token).await;
    assert_eq!(
        (bad.status.as_u16(), bad.code()),
        (422, "account_number_checksum")
    );
    let unknown = bankbox::domain::AccountNumber::from_body(3);
    assert_eq!(
        app.get(&format!("/api/payees/{unknown}"), &a.token)
            .await
            .status,
        404
    );
    let system = app
        .state
        .bank
        .store
        .system_account(bankbox::domain::Currency::EUR)
        .await
        .unwrap();
    assert_eq!(
        app.get(&format!("/api/payees/{}", system.number), &a.token)
            .await
            .status,
        404
    );
}
