//! The HTTP surface: routes, middleware, and the handlers by resource.

mod accounts;
mod admin;
mod auth;
pub mod error;
mod health;
mod history;
pub mod json;
mod meta;
mod metrics;
mod openapi;
mod payees;
mod transactions;
mod users;
mod views;

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::app::AppState;
use error::problem;

pub use openapi::ROUTES;

pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/api/auth/register", post(auth::register))
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/logout", post(auth::logout))
        .route("/api/users/me", get(users::me))
        .route("/api/users/me/password", post(users::change_password))
        .route("/api/payees/{number}", get(payees::lookup))
        .route("/api/accounts", get(accounts::list).post(accounts::open))
        .route("/api/accounts/{id}", get(accounts::get))
        .route("/api/accounts/{id}/close", post(accounts::close))
        .route("/api/accounts/{id}/transactions", get(accounts::history))
        .route(
            "/api/transactions",
            get(transactions::list).post(transactions::create),
        )
        .route("/api/transactions/{id}", get(transactions::get))
        .route(
            "/api/admin/users",
            get(admin::users).post(admin::create_user),
        )
        .route("/api/admin/deposits", post(admin::deposit))
        .route("/api/admin/withdrawals", post(admin::withdraw))
        .route("/api/admin/accounts/{id}/freeze", post(admin::freeze))
        .route("/api/admin/accounts/{id}/unfreeze", post(admin::unfreeze))
        .route("/api/openapi.json", get(openapi::document))
        .route("/api/meta", get(meta::meta))
        .route("/metrics", get(metrics::metrics))
        .route("/ping", get(health::ping))
        .route("/livez", get(health::ping))
        .route("/ready", get(health::ready))
        .route("/readyz", get(health::ready))
        .route("/health", get(health::health))
        .route("/healthz", get(health::health))
        .fallback_service(crate::web::router())
        .method_not_allowed_fallback(method_not_allowed);
    middleware(routes).with_state(state)
}

/// What wraps every route: body limit, request logs, panic recovery, security
/// headers and request ids. One composed layer, so each route is wrapped (and
/// each request's service cloned and its response moved) once rather than per
/// layer.
fn middleware<S: Clone + Send + Sync + 'static>(routes: Router<S>) -> Router<S> {
    let request_id = HeaderName::from_static("x-request-id");
    let stack = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(security_header(header::REFERRER_POLICY, "no-referrer"))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        ))
        .layer(CatchPanicLayer::custom(|_| {
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the server hit a bug; it has been logged",
            )
        }))
        .layer(middleware::from_fn(log_request))
        .layer(DefaultBodyLimit::max(json::BODY_LIMIT));
    routes.layer(stack)
}

fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

async fn method_not_allowed() -> Response {
    problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not accept that method",
    )
}

/// One line per request: method, route, status, latency and request id.
async fn log_request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let request_id = req.headers().get("x-request-id").cloned();
    let res = next.run(req).await;
    let status = res.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let route = route.as_ref().map_or("(unmatched)", MatchedPath::as_str);
    let request_id = request_id
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if res.status().is_server_error() {
        tracing::warn!(target: "bankbox::http", %method, route, status, latency_ms, request_id, "request");
    } else {
        tracing::info!(target: "bankbox::http", %method, route, status, latency_ms, request_id, "request");
    }
    res.into_response()
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_becomes_a_500_problem() {
        async fn boom() -> &'static str {
            panic!("a bug")
        }
        let app: Router = middleware(Router::new().route("/boom", get(boom)));
        let res = app
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        assert_eq!(res.headers()[header::X_FRAME_OPTIONS], "DENY");
    }
}
