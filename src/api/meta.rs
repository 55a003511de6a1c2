//! /api/meta: what the UI needs to know before anyone logs in.

use axum::extract::State;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::bank::seed::DEMO_LOGINS;
use crate::cli::Environment;

pub async fn meta(State(state): State<AppState>) -> axum::Json<Value> {
    let development = state.settings.environment == Environment::Development;
    let demo: Vec<Value> = if development {
        DEMO_LOGINS
            .iter()
            .map(|(u, p)| json!({ "username": u, "password": p }))
            .collect()
    } else {
        Vec::new()
    };
    axum::Json(json!({
        "environment": if development { "development" } else { "production" },
        "open_registration": state.settings.open_registration,
        "version": env!("CARGO_PKG_VERSION"),
        "demo_logins": demo,
    }))
}
