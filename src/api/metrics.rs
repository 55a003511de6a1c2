//! /metrics: Prometheus text format.

use std::fmt::Write;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

use crate::app::AppState;

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut out = String::new();
    let ready = u64::from(state.lifecycle.is_ready());
    for (name, value) in state
        .bank
        .store
        .metrics()
        .into_iter()
        .chain([("bankbox_ready", ready)])
    {
        let kind = if name.ends_with("_total") {
            "counter"
        } else {
            "gauge"
        };
        let _ = writeln!(out, "# TYPE {name} {kind}\n{name} {value}");
    }
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
