//! Probes: /ping (alive, touches nothing), /ready (accepting traffic, and the
//! store taking writes), /health
//! (store and cache, with latency).

use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::problem;
use crate::app::AppState;

pub async fn ping() -> impl IntoResponse {
    axum::Json(json!({ "status": "ok" }))
}

pub async fn ready(State(state): State<AppState>) -> Response {
    if !state.lifecycle.is_ready() {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "starting up or shutting down",
        );
    }
    match state.bank.store.stopped() {
        None => axum::Json(json!({ "status": "ready" })).into_response(),
        Some(why) => problem(StatusCode::SERVICE_UNAVAILABLE, "store_stopped", &why),
    }
}

async fn probe<E: std::fmt::Display>(
    check: impl Future<Output = Result<(), E>>,
) -> (bool, serde_json::Value) {
    let started = Instant::now();
    let result = check.await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(()) => (true, json!({ "status": "up", "latency_ms": latency_ms })),
        Err(e) => (
            false,
            json!({ "status": "down", "latency_ms": latency_ms, "error": e.to_string() }),
        ),
    }
}

pub async fn health(State(state): State<AppState>) -> Response {
    let (store_ok, store) = probe(state.bank.store.ping()).await;
    let (cache_ok, cache) = probe(state.bank.cache.ping()).await;
    let ok = store_ok && cache_ok;
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if ok { "up" } else { "down" },
        "version": env!("CARGO_PKG_VERSION"),
        "components": { "store": store, "cache": cache },
    });
    (status, axum::Json(body)).into_response()
}
