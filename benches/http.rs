//! Whole requests through the router in process (no socket): routing,
//! middleware, auth, JSON, store and cache.

mod common;

use axum::body::Body;
use axum::http::Request;
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;

fn http(c: &mut Criterion) {
    let rt = common::runtime();
    let app = rt.block_on(common::app());
    let router = bankbox::api::router(app.state.clone());
    let auth = format!("Bearer {}", app.token);
    let mut group = c.benchmark_group("http");
    let get = |path: String| {
        let (router, auth) = (router.clone(), auth.clone());
        move || {
            let req = Request::get(path.as_str())
                .header("authorization", &auth)
                .body(Body::empty())
                .unwrap();
            let router = router.clone();
            async move { assert_eq!(router.oneshot(req).await.unwrap().status(), 200) }
        }
    };
    group.bench_function("GET /api/accounts (one request)", |b| {
        b.to_async(&rt).iter(get("/api/accounts".into()))
    });
    let history = format!("/api/accounts/{}/transactions?limit=20", app.from.id);
    group.bench_function(
        "GET /api/accounts/{id}/transactions?limit=20 (one request)",
        |b| b.to_async(&rt).iter(get(history.clone())),
    );
    let body = serde_json::json!({ "from_account": app.from.id, "to_account": app.to.number, "amount": 1 }).to_string();
    group.bench_function("POST /api/transactions (one durable transfer)", |b| {
        b.to_async(&rt).iter(|| {
            let req = Request::post("/api/transactions")
                .header("authorization", &auth)
                .header("content-type", "application/json")
                .body(Body::from(body.clone()))
                .unwrap();
            let router = router.clone();
            async move { assert_eq!(router.oneshot(req).await.unwrap().status(), 201) }
        })
    });
    group.finish();
}

criterion_group! { name = benches; config = common::config(); targets = http }
criterion_main!(benches);
