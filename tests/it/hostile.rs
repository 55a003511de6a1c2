//! Bad input gets a clear 4xx problem and changes nothing.

use reqwest::Method;

use crate::harness::TestApp;

async fn raw(
    app: &TestApp,
    token: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (u16, serde_json::Value, String) {
    let mut req = app
        .client
        .post(app.url("/api/transactions"))
        .bearer_auth(token)
        .body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    let body = res.json().await.unwrap();
    (status, body, ct)
}

#[tokio::test]
async fn malformed_bodies_get_problem_json() {
    let app = TestApp::start().await;
    let c = app.customer("olly").await;
    let json = Some("application/json");
    let cases: Vec<(Option<&str>, Vec<u8>, u16, &str)> = vec![
        (json, b"{not json".to_vec(), 400, "invalid_json"),
        (json, b"".to_vec(), 400, "invalid_json"),
        (
            json,
            br#"{"from_account":"a","to_account":"b","amount":1,"sneaky":true}"#.to_vec(),
            400,
            "invalid_request",
        ),
        (
            json,
            br#"{"from_account":"a"}"#.to_vec(),
            400,
            "invalid_request",
        ),
        (json, br#"[1,2,3]"#.to_vec(), 400, "invalid_request"),
        (
            Some("text/plain"),
            br#"{}"#.to_vec(),
            415,
            "unsupported_media_type",
        ),
        (None, br#"{}"#.to_vec(), 415, "unsupported_media_type"),
        (json, vec![b' '; 2 * 1024 * 1024], 413, "payload_too_large"),
    ];
    for (ct, body, status, code) in cases {
        let (got, problem, content_type) = raw(&app, &c.token, ct, body).await;
        assert_eq!(
            (got, problem["code"].as_str().unwrap()),
            (status, code),
            "{ct:?}: {problem}"
        );
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(problem["status"], status);
        assert!(problem["type"].as_str().unwrap().ends_with(code));
        assert!(!problem["detail"].as_str().unwrap().is_empty());
    }
    let history = app.get("/api/transactions", &c.token).await;
    assert_eq!(history.body["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn every_response_carries_security_headers_and_a_request_id() {
    let app = TestApp::start().await;
    for path in ["/ping", "/api/accounts", "/no/such/route"] {
        let r = app.send(Method::GET, path, None, None, &[]).await;
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(r.headers["x-frame-options"], "DENY");
        assert_eq!(r.headers["referrer-policy"], "no-referrer");
        assert!(
            r.headers["content-security-policy"]
                .to_str()
                .unwrap()
                .starts_with("default-src 'self'")
        );
        assert_eq!(r.headers["x-request-id"].len(), 36);
    }
    let r = app
        .send(
            Method::GET,
            "/ping",
            None,
            None,
            &[("x-request-id", "trace-me-42")],
        )
        .await;
    assert_eq!(r.headers["x-request-id"], "trace-me-42");
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let app = TestApp::start().await;
    let r = app
        .send(Method::GET, "/api/nothing-here", None, None, &[])
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "not_found"));
    let r = app
        .send(Method::DELETE, "/api/accounts", None, None, &[])
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (405, "method_not_allowed"));
}
