//! The embedded UI: files of `web/` compiled into the binary. Correct content
//! types, ETags, revalidation, compression of static assets only, and an SPA
//! fallback that never answers for `/api/*`.

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;
use tower_http::compression::CompressionLayer;

use crate::api::error::problem;

#[derive(RustEmbed)]
#[folder = "web/"]
struct Assets;

const INDEX: &str = "index.html";

/// Serves every path the API does not own.
pub fn router() -> Router {
    Router::new().fallback(asset).layer(CompressionLayer::new())
}

async fn asset(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path == "api" || path.starts_with("api/") {
        return problem(StatusCode::NOT_FOUND, "not_found", "no such route");
    }
    if method != Method::GET && method != Method::HEAD {
        return problem(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "the UI is read-only",
        );
    }
    let path = if path.is_empty() { INDEX } else { path };
    match Assets::get(path) {
        Some(file) => respond(path, file, &headers),
        // A missing file is a real 404; anything else is a client route.
        None if path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.')) =>
        {
            (StatusCode::NOT_FOUND, "not found").into_response()
        }
        None => match Assets::get(INDEX) {
            Some(index) => respond(INDEX, index, &headers),
            None => (StatusCode::NOT_FOUND, "not found").into_response(),
        },
    }
}

fn respond(path: &str, file: rust_embed::EmbeddedFile, headers: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    // index.html names the other assets, so it is never cached; they are
    // revalidated by ETag, cheap since an unchanged file is a bodiless 304.
    let cache = if path == INDEX {
        "no-store"
    } else {
        "no-cache"
    };
    let etag_value = HeaderValue::from_str(&etag).expect("hex is a valid header");
    let cache_value = HeaderValue::from_static(cache);
    let matches = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches && path != INDEX {
        return (
            StatusCode::NOT_MODIFIED,
            [(ETAG, etag_value), (CACHE_CONTROL, cache_value)],
        )
            .into_response();
    }
    let mime = file.metadata.mimetype();
    let content_type =
        if mime.starts_with("text/") || mime.ends_with("javascript") || mime.ends_with("json") {
            format!("{mime}; charset=utf-8")
        } else {
            mime.to_string()
        };
    let content_type = HeaderValue::from_str(&content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        [
            (CONTENT_TYPE, content_type),
            (ETAG, etag_value),
            (CACHE_CONTROL, cache_value),
        ],
        file.data.into_owned(),
    )
        .into_response()
}
