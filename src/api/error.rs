//! The one place errors become HTTP: RFC 9457 problem+json with a stable `code`.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::AuthError;
use crate::bank::BankError;
use crate::cache::CacheError;
use crate::domain::{Refusal, ValidationError};
use crate::store::StoreError;

#[derive(Debug)]
pub enum ApiError {
    Invalid(ValidationError),
    BadRequest { code: &'static str, detail: String },
    UnsupportedMediaType,
    PayloadTooLarge,
    NotFound(&'static str),
    Refused(Refusal),
    Conflict(&'static str, String),
    Forbidden(&'static str, String),
    Auth(AuthError),
    Unavailable(String),
    Internal(String),
}

impl ApiError {
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    fn parts(&self) -> (StatusCode, &'static str, String) {
        use ApiError::*;
        match self {
            Invalid(e) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                validation_code(e),
                e.to_string(),
            ),
            BadRequest { code, detail } => (StatusCode::BAD_REQUEST, code, detail.clone()),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json".into(),
            ),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is larger than 1 MiB".into(),
            ),
            NotFound(what) => (
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            Refused(Refusal::AccountNotFound) => (
                StatusCode::NOT_FOUND,
                "account_not_found",
                "account not found".into(),
            ),
            Refused(r) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                refusal_code(r),
                r.to_string(),
            ),
            Conflict(code, detail) => (StatusCode::CONFLICT, code, detail.clone()),
            Forbidden(code, detail) => (StatusCode::FORBIDDEN, code, detail.clone()),
            Auth(e) => auth_parts(e),
            Unavailable(d) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", d.clone()),
            Internal(d) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", d.clone()),
        }
    }
}

fn validation_code(e: &ValidationError) -> &'static str {
    use ValidationError::*;
    match e {
        AmountNotPositive => "amount_not_positive",
        AmountNotInteger => "amount_not_integer",
        AmountTooLarge => "amount_too_large",
        UnknownCurrency(_) => "unknown_currency",
        AccountNumberFormat => "invalid_account_number",
        AccountNumberChecksum => "account_number_checksum",
        Username => "invalid_username",
        Email => "invalid_email",
        Password => "invalid_password",
        TooLong(..) => "too_long",
        ControlCharacter(_) => "control_character",
        AccountKind(_) => "invalid_account_kind",
    }
}

fn refusal_code(r: &Refusal) -> &'static str {
    match r {
        Refusal::InsufficientFunds => "insufficient_funds",
        Refusal::AccountFrozen => "account_frozen",
        Refusal::AccountClosed => "account_closed",
        Refusal::SameAccount => "same_account",
        Refusal::CurrencyMismatch => "currency_mismatch",
        Refusal::BalanceOverflow => "balance_overflow",
        Refusal::AccountNotFound => "account_not_found",
    }
}

fn auth_parts(e: &AuthError) -> (StatusCode, &'static str, String) {
    let (status, code) = match e {
        AuthError::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
        AuthError::Throttled(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
        AuthError::MissingToken => (StatusCode::UNAUTHORIZED, "unauthenticated"),
        AuthError::InvalidToken => (StatusCode::UNAUTHORIZED, "invalid_token"),
        AuthError::SessionEnded => (StatusCode::UNAUTHORIZED, "session_ended"),
        AuthError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
        AuthError::Csrf => (StatusCode::FORBIDDEN, "csrf_failed"),
        AuthError::Store(s) => return store_parts(s),
        AuthError::Cache(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        AuthError::Hashing(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    };
    (status, code, e.to_string())
}

fn store_parts(e: &StoreError) -> (StatusCode, &'static str, String) {
    let (status, code) = match e {
        StoreError::UsernameTaken => (StatusCode::CONFLICT, "username_taken"),
        StoreError::AccountNumberTaken => (StatusCode::CONFLICT, "account_number_taken"),
        StoreError::IdempotencyKeyReused => (StatusCode::CONFLICT, "idempotency_key_reused"),
        StoreError::AccountNotEmpty => (StatusCode::CONFLICT, "account_not_empty"),
        StoreError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        StoreError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        StoreError::Corrupt(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    };
    (status, code, e.to_string())
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        Self::Invalid(e)
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        Self::Auth(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Self::Auth(AuthError::Store(e))
    }
}

impl From<CacheError> for ApiError {
    fn from(e: CacheError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<BankError> for ApiError {
    fn from(e: BankError) -> Self {
        match e {
            BankError::Invalid(v) => v.into(),
            BankError::Store(s) => s.into(),
            BankError::Cache(c) => c.into(),
            BankError::Auth(a) => a.into(),
            BankError::AccountNotFound => Self::NotFound("account"),
            BankError::UserNotFound => Self::NotFound("user"),
        }
    }
}

/// Builds a problem+json response.
pub fn problem(status: StatusCode, code: &str, detail: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let body = json!({
        "type": format!("urn:bankbox:problem:{code}"),
        "title": title,
        "status": status.as_u16(),
        "code": code,
        "detail": detail,
    });
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, detail) = self.parts();
        if status.is_server_error() {
            tracing::error!(code, %detail, "request failed");
        }
        let mut res = problem(status, code, &detail);
        if let ApiError::Auth(AuthError::Throttled(wait)) = &self {
            res.headers_mut()
                .insert(header::RETRY_AFTER, retry_after(*wait));
        }
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        ApiError::Auth(self).into_response()
    }
}

fn retry_after(wait: Duration) -> HeaderValue {
    HeaderValue::from(wait.as_secs().max(1))
}
