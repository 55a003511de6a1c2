//! Authentication costs on every request: the JWT, the session, the extractor.

mod common;

use axum::extract::FromRequestParts;
use axum::http::Request;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

use bankbox::auth::Caller;
use bankbox::auth::token::Tokens;

fn auth(c: &mut Criterion) {
    let rt = common::runtime();
    let app = rt.block_on(common::app());
    let mut group = c.benchmark_group("auth");
    // A fresh verifier per iteration, so each one checks the signature and the
    // claims instead of finding the token in the verified-token cache.
    let session = rt
        .block_on(app.state.auth.cache.session(&app.session))
        .unwrap()
        .unwrap();
    let secret = b"bench-secret-bench-secret-bench-secret";
    let token = Tokens::new(secret).issue(&session).unwrap();
    group.bench_function("JWT verify, first sight (HS256, iss/aud/exp/nbf)", |b| {
        b.iter_batched(
            || Tokens::new(secret),
            |tokens| {
                let claims = tokens.verify(&token).unwrap();
                (tokens, claims)
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("JWT verify, repeat (verified-token cache)", |b| {
        b.iter(|| app.state.auth.tokens.verify(&app.token).unwrap())
    });
    group.bench_function("session lookup (moka)", |b| {
        b.to_async(&rt).iter(|| async {
            app.state
                .auth
                .cache
                .session(&app.session)
                .await
                .unwrap()
                .unwrap()
        })
    });
    let header = format!("Bearer {}", app.token);
    group.bench_function("auth extractor (token, session, user)", |b| {
        b.to_async(&rt).iter(|| async {
            let (mut parts, ()) = Request::get("/api/accounts")
                .header("authorization", &header)
                .body(())
                .unwrap()
                .into_parts();
            Caller::from_request_parts(&mut parts, &app.state)
                .await
                .ok()
                .unwrap()
        })
    });
    group.finish();
}

criterion_group! { name = benches; config = common::config(); targets = auth }
criterion_main!(benches);
