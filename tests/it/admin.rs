use reqwest::Method;
use serde_json::json;

use crate::harness::{TestApp, settings};

#[tokio::test]
async fn an_admin_makes_users_while_registration_is_closed() {
    let closed = bankbox::config::ServeSettings {
        open_registration: false,
        ..settings()
    };
    let app = TestApp::start_with(closed, std::sync::Arc::new(tempfile::tempdir().unwrap())).await;
    let body =
        json!({ "username": "nina", "password": "nina-password", "email": "nina@example.com" });
    let refused = app
        .send(
            Method::POST,
            "/api/auth/register",
            None,
            Some(body.clone()),
            &[],
        )
        .await;
    assert_eq!(refused.code(), "registration_closed");

    let admin = app.admin_token().await;
    let made = app.post("/api/admin/users", &admin, body.clone()).await;
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(made.body["user"]["role"], "user");
    assert_eq!(made.body["accounts"][0]["kind"], "checking");
    assert_eq!(app.login("nina", "nina-password").await.status, 200);

    let again = app.post("/api/admin/users", &admin, body).await;
    assert_eq!(again.status, 409, "{}", again.body);
    let typo = app
        .post(
            "/api/admin/users",
            &admin,
            json!({ "username": "otto", "password": "otto-password", "email": "otto@example.com", "role": "admin" }),
        )
        .await;
    assert_eq!(typo.status, 400, "unknown fields are refused");
    let boss = app
        .post(
            "/api/admin/users",
            &admin,
            json!({ "username": "otto", "password": "otto-password", "email": "otto@example.com", "admin": true }),
        )
        .await;
    assert_eq!(boss.body["user"]["role"], "admin");
    let token = app.login("otto", "otto-password").await.body["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.get("/api/admin/users", &token).await.status, 200);
}

#[tokio::test]
async fn admin_routes_need_the_admin_role() {
    let app = TestApp::start().await;
    let c = app.customer("lily").await;
    let id = c.account_id().to_string();
    for (method, path) in [
        (Method::GET, "/api/admin/users".to_string()),
        (Method::POST, "/api/admin/users".to_string()),
        (Method::POST, "/api/admin/deposits".to_string()),
        (Method::POST, "/api/admin/withdrawals".to_string()),
        (Method::POST, format!("/api/admin/accounts/{id}/freeze")),
        (Method::POST, format!("/api/admin/accounts/{id}/unfreeze")),
    ] {
        let body = json!({ "account": id, "amount": 1_000_000 });
        let r = app
            .send(method, &path, Some(&c.token), Some(body), &[])
            .await;
        assert_eq!((r.status.as_u16(), r.code()), (403, "forbidden"), "{path}");
    }
    assert_eq!(app.balance(&c.token, &id).await, 0);
}

#[tokio::test]
async fn deposits_withdrawals_and_freezing() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let c = app.customer("mike").await;
    let users = app.get("/api/admin/users", &admin).await;
    let names: Vec<&str> = users.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"admin") && names.contains(&"mike"));

    let dep = app
        .post(
            "/api/admin/deposits",
            &admin,
            json!({ "account": c.account_number(), "amount": 900, "description": "cash in" }),
        )
        .await;
    assert_eq!(dep.status, 201);
    assert_eq!(dep.body["direction"], "in");
    assert_eq!(dep.body["kind"], "deposit");
    let too_much = app
        .post(
            "/api/admin/withdrawals",
            &admin,
            json!({ "account": c.account_id(), "amount": 901 }),
        )
        .await;
    assert_eq!(too_much.code(), "insufficient_funds");
    let wd = app
        .post(
            "/api/admin/withdrawals",
            &admin,
            json!({ "account": c.account_id(), "amount": 400 }),
        )
        .await;
    assert_eq!(wd.status, 201);
    assert_eq!(wd.body["direction"], "out");
    assert_eq!(app.balance(&c.token, c.account_id()).await, 500);

    let path = format!("/api/admin/accounts/{}/freeze", c.account_id());
    assert_eq!(
        app.post(&path, &admin, json!({})).await.body["frozen"],
        true
    );
    let blocked = app
        .post(
            "/api/admin/withdrawals",
            &admin,
            json!({ "account": c.account_id(), "amount": 1 }),
        )
        .await;
    assert_eq!(blocked.code(), "account_frozen");
    let path = format!("/api/admin/accounts/{}/unfreeze", c.account_id());
    assert_eq!(
        app.post(&path, &admin, json!({})).await.body["frozen"],
        false
    );
    let missing = app
        .post(
            "/api/admin/accounts/01936f0e-0000-7000-8000-000000000000/freeze",
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(missing.status, 404);
    app.assert_ledger_ok().await;
}

#[tokio::test]
async fn deposits_honour_idempotency_keys() {
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let c = app.customer("nell").await;
    let body = json!({ "account": c.account_id(), "amount": 250 });
    let headers = [("idempotency-key", "dep-1")];
    let first = app
        .send(
            Method::POST,
            "/api/admin/deposits",
            Some(&admin),
            Some(body.clone()),
            &headers,
        )
        .await;
    let again = app
        .send(
            Method::POST,
            "/api/admin/deposits",
            Some(&admin),
            Some(body),
            &headers,
        )
        .await;
    assert_eq!(first.body["id"], again.body["id"]);
    assert_eq!(app.balance(&c.token, c.account_id()).await, 250);
}
