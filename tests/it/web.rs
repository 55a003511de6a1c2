//! The embedded UI is served right.

use reqwest::Method;

use crate::harness::TestApp;

#[tokio::test]
async fn index_assets_and_spa_fallback() {
    let app = TestApp::start().await;
    let index = app.send(Method::GET, "/", None, None, &[]).await;
    assert_eq!(index.status, 200);
    assert_eq!(index.headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(index.headers["cache-control"], "no-store");
    assert!(
        index
            .body
            .as_str()
            .unwrap()
            .contains("<script type=\"module\"")
    );

    let css = app.send(Method::GET, "/app.css", None, None, &[]).await;
    assert_eq!(css.headers["content-type"], "text/css; charset=utf-8");
    assert_eq!(css.headers["cache-control"], "no-cache");
    let etag = css.headers["etag"].to_str().unwrap().to_string();
    let js = app.send(Method::GET, "/app.js", None, None, &[]).await;
    assert!(
        js.headers["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );

    let again = app
        .send(
            Method::GET,
            "/app.css",
            None,
            None,
            &[("if-none-match", &etag)],
        )
        .await;
    assert_eq!(again.status, 304);

    let client_route = app
        .send(Method::GET, "/accounts/123", None, None, &[])
        .await;
    assert_eq!(client_route.status, 200);
    assert_eq!(client_route.body, index.body, "client routes get the app");
    let missing = app.send(Method::GET, "/missing.js", None, None, &[]).await;
    assert_eq!(missing.status, 404, "a missing asset is a real 404");
    let api = app
        .send(Method::GET, "/api/no-such-thing", None, None, &[])
        .await;
    assert_eq!(api.status, 404);
    assert_eq!(api.headers["content-type"], "application/problem+json");
    assert_eq!(index.headers["x-frame-options"], "DENY");
}

#[tokio::test]
async fn static_assets_are_compressed_and_api_answers_are_not() {
    let app = TestApp::start().await;
    let res = app
        .client
        .get(app.url("/"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
    assert!(
        res.headers()["vary"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("accept-encoding")
    );
    let res = app
        .client
        .get(app.url("/api/openapi.json"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("content-encoding").is_none());
}
