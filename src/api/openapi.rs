//! The OpenAPI 3.1 document, built from one table of routes. A test walks the
//! router against this table, so an undocumented route cannot slip in.

use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    User,
    Admin,
}

pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub access: Access,
    pub request: Option<&'static str>,
    pub status: u16,
    pub response: Option<&'static str>,
}

const fn r(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    access: Access,
    request: Option<&'static str>,
    status: u16,
    response: Option<&'static str>,
) -> Route {
    Route {
        method,
        path,
        summary,
        access,
        request,
        status,
        response,
    }
}

use Access::*;

#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    r("post", "/api/auth/register", "Register (when registration is open)", Public, Some("RegisterRequest"), 201, Some("Registered")),
    r("post", "/api/auth/login", "Log in; returns a bearer token", Public, Some("LoginRequest"), 200, Some("LoginResponse")),
    r("post", "/api/auth/logout", "End the current session", User, None, 204, None),
    r("get", "/api/users/me", "The caller", User, None, 200, Some("User")),
    r("post", "/api/users/me/password", "Change my password; ends my other sessions' use of the old one", User, Some("PasswordChange"), 204, None),
    r("get", "/api/payees/{number}", "Whose account a number is (confirmation of payee)", User, None, 200, Some("Payee")),
    r("get", "/api/accounts", "The caller's accounts", User, None, 200, Some("AccountPage")),
    r("post", "/api/accounts", "Open a checking or savings account", User, Some("OpenAccountRequest"), 201, Some("Account")),
    r("get", "/api/accounts/{id}", "One of the caller's accounts", User, None, 200, Some("Account")),
    r("post", "/api/accounts/{id}/close", "Close an empty account", User, None, 200, Some("Account")),
    r("get", "/api/accounts/{id}/transactions", "An account's history, newest first", User, None, 200, Some("TransactionPage")),
    r("get", "/api/transactions", "History across the caller's accounts, newest first", User, None, 200, Some("TransactionPage")),
    r("post", "/api/transactions", "Transfer money (honours Idempotency-Key)", User, Some("TransferRequest"), 201, Some("Transaction")),
    r("get", "/api/transactions/{id}", "One transaction as the caller sees it", User, None, 200, Some("Transaction")),
    r("get", "/api/admin/users", "All users", Admin, None, 200, Some("UserPage")),
    r("post", "/api/admin/users", "Make a user with a checking account (registration open or not)", Admin, Some("NewUserRequest"), 201, Some("Registered")),
    r("post", "/api/admin/deposits", "Cash in from the bank's system account (honours Idempotency-Key)", Admin, Some("CashRequest"), 201, Some("Transaction")),
    r("post", "/api/admin/withdrawals", "Cash out to the bank's system account (honours Idempotency-Key)", Admin, Some("CashRequest"), 201, Some("Transaction")),
    r("post", "/api/admin/accounts/{id}/freeze", "Freeze an account", Admin, None, 200, Some("Account")),
    r("post", "/api/admin/accounts/{id}/unfreeze", "Unfreeze an account", Admin, None, 200, Some("Account")),
    r("get", "/api/openapi.json", "This document", Public, None, 200, None),
    r("get", "/api/meta", "Environment, registration and demo logins (development only), for the UI", Public, None, 200, None),
    r("get", "/metrics", "Prometheus metrics: group commits and the writes they carried, readiness", Public, None, 200, None),
    r("get", "/ping", "Liveness; touches nothing", Public, None, 200, None),
    r("get", "/livez", "Alias of /ping", Public, None, 200, None),
    r("get", "/ready", "Readiness; 503 while starting or draining", Public, None, 200, None),
    r("get", "/readyz", "Alias of /ready", Public, None, 200, None),
    r("get", "/health", "Store and cache status with latency; 503 if one is down", Public, None, 200, None),
    r("get", "/healthz", "Alias of /health", Public, None, 200, None),
];

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn operation(route: &Route) -> Value {
    let mut op = json!({ "summary": route.summary, "responses": {} });
    let mut ok = json!({ "description": "Success" });
    if let Some(resp) = route.response {
        ok["content"] = json!({ "application/json": { "schema": schema(resp) } });
    }
    let responses = &mut op["responses"];
    responses[route.status.to_string()] = ok;
    let problem = json!({ "description": "Problem", "content": { "application/problem+json": { "schema": schema("Problem") } } });
    responses["default"] = problem;
    if let Some(req) = route.request {
        op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": schema(req) } } });
    }
    let mut params = Vec::new();
    if route.path.contains("{id}") {
        params.push(json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }));
    }
    if route.path.contains("{number}") {
        params.push(json!({ "name": "number", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[0-9]{12}$" } }));
    }
    if route.path.ends_with("/transactions") && route.method == "get" {
        for (name, desc) in [
            ("limit", "Items per page, 1-200 (default 50)"),
            ("cursor", "next_cursor of the previous page"),
            ("from", "Inclusive start: date or RFC 3339 time"),
            ("to", "Inclusive end: date (whole day) or RFC 3339 time"),
        ] {
            params.push(json!({ "name": name, "in": "query", "required": false, "description": desc, "schema": { "type": "string" } }));
        }
    }
    if route.request == Some("TransferRequest") || route.request == Some("CashRequest") {
        params.push(json!({ "name": "Idempotency-Key", "in": "header", "required": false, "schema": { "type": "string", "maxLength": 255 } }));
    }
    if !params.is_empty() {
        op["parameters"] = Value::Array(params);
    }
    if route.access != Public {
        op["security"] = json!([{ "bearer": [] }]);
    }
    op
}

pub fn build() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let entry = paths.entry(route.path).or_insert_with(|| json!({}));
        entry[route.method] = operation(route);
    }
    let money =
        json!({ "type": "integer", "format": "int64", "description": "Minor units (cents)" });
    json!({
        "openapi": "3.1.0",
        "info": { "title": "bankbox", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Accounts, double-entry transfers and history. Errors are RFC 9457 problem+json with a stable `code`." },
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" } },
            "schemas": {
                "Problem": { "type": "object", "properties": {
                    "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" },
                    "code": { "type": "string" }, "detail": { "type": "string" } } },
                "User": { "type": "object", "properties": {
                    "id": { "type": "string" }, "username": { "type": "string" }, "email": { "type": "string" },
                    "role": { "enum": ["user", "admin"] }, "disabled": { "type": "boolean" }, "created_at": { "type": "string" } } },
                "Account": { "type": "object", "properties": {
                    "id": { "type": "string" }, "number": { "type": "string" }, "kind": { "enum": ["checking", "savings"] },
                    "currency": { "type": "string" }, "balance": money, "name": { "type": "string" }, "holder": { "type": "string" },
                    "frozen": { "type": "boolean" }, "closed": { "type": "boolean" }, "created_at": { "type": "string" } } },
                "Transaction": { "type": "object", "properties": {
                    "id": { "type": "string" }, "account": { "type": "string" }, "kind": { "enum": ["transfer", "deposit", "withdrawal"] },
                    "amount": money, "currency": { "type": "string" }, "direction": { "enum": ["in", "out"] },
                    "counterparty": { "type": "object", "properties": { "account_number": { "type": "string" }, "name": { "type": "string" } } },
                    "description": { "type": "string" }, "balance_after": money, "created_at": { "type": "string" } } },
                "AccountPage": { "type": "object", "properties": { "items": { "type": "array", "items": schema("Account") }, "next_cursor": { "type": ["string", "null"] } } },
                "TransactionPage": { "type": "object", "properties": { "items": { "type": "array", "items": schema("Transaction") }, "next_cursor": { "type": ["string", "null"] } } },
                "UserPage": { "type": "object", "properties": { "items": { "type": "array", "items": schema("User") }, "next_cursor": { "type": ["string", "null"] } } },
                "RegisterRequest": { "type": "object", "required": ["username", "password", "email"], "additionalProperties": false, "properties": {
                    "username": { "type": "string" }, "password": { "type": "string", "minLength": 8 }, "email": { "type": "string" } } },
                "NewUserRequest": { "type": "object", "required": ["username", "password", "email"], "additionalProperties": false, "properties": {
                    "username": { "type": "string" }, "password": { "type": "string", "minLength": 8 }, "email": { "type": "string" }, "admin": { "type": "boolean", "default": false } } },
                "Registered": { "type": "object", "properties": { "user": schema("User"), "accounts": { "type": "array", "items": schema("Account") } } },
                "LoginRequest": { "type": "object", "required": ["username", "password"], "additionalProperties": false, "properties": {
                    "username": { "type": "string" }, "password": { "type": "string" },
                    "session": { "enum": ["bearer", "cookie"], "description": "bearer (default): token in the body; cookie: HttpOnly cookie plus csrf_token, for browsers" } } },
                "LoginResponse": { "type": "object", "properties": {
                    "token": { "type": "string" }, "token_type": { "type": "string" }, "csrf_token": { "type": "string" }, "expires_at": { "type": "string" }, "user": schema("User") } },
                "OpenAccountRequest": { "type": "object", "required": ["kind"], "additionalProperties": false, "properties": {
                    "kind": { "enum": ["checking", "savings"] }, "currency": { "type": "string" }, "name": { "type": "string" } } },
                "TransferRequest": { "type": "object", "required": ["from_account", "to_account", "amount"], "additionalProperties": false, "properties": {
                    "from_account": { "type": "string", "description": "Your account's id or number" },
                    "to_account": { "type": "string", "description": "Your account's id or number, or anyone's account number" },
                    "amount": money, "description": { "type": "string", "maxLength": 140 } } },
                "PasswordChange": { "type": "object", "required": ["current_password", "new_password"], "additionalProperties": false, "properties": {
                    "current_password": { "type": "string" }, "new_password": { "type": "string", "minLength": 8 } } },
                "Payee": { "type": "object", "properties": {
                    "account_number": { "type": "string" }, "name": { "type": "string" }, "currency": { "type": "string" } } },
                "CashRequest": { "type": "object", "required": ["account", "amount"], "additionalProperties": false, "properties": {
                    "account": { "type": "string", "description": "Account id or number" }, "amount": money,
                    "description": { "type": "string", "maxLength": 140 } } }
            }
        }
    })
}

pub async fn document() -> impl IntoResponse {
    axum::Json(build())
}
