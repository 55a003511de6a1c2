//! The optional plain-HTTP listener: it serves nothing but a permanent
//! redirect to the same path on HTTPS, so the app and the API are never
//! reachable unencrypted.

use axum::Router;
use axum::http::header::HOST;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};

/// Answers every request with 308 to `https://<its host>:<https_port><path?query>`.
pub fn router(https_port: u16) -> Router {
    Router::new().fallback(move |headers: HeaderMap, uri: Uri| async move {
        redirect(https_port, &headers, &uri)
    })
}

fn redirect(https_port: u16, headers: &HeaderMap, uri: &Uri) -> Response {
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.host());
    let Some(host) = host.and_then(host_without_port) else {
        return (StatusCode::BAD_REQUEST, "a Host header is needed\n").into_response();
    };
    let port = match https_port {
        443 => String::new(),
        port => format!(":{port}"),
    };
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    // 308, not 301: a POST stays a POST.
    Redirect::permanent(&format!("https://{host}{port}{path}")).into_response()
}

/// The host of a Host header, without its port; `None` unless it is a plain
/// name, an IPv4 address or a bracketed IPv6 address, so nothing odd is
/// echoed into the Location.
fn host_without_port(header: &str) -> Option<&str> {
    let host = match header.strip_prefix('[') {
        Some(rest) => {
            let end = rest.find(']')?;
            let ip = &rest[..end];
            ip.parse::<std::net::Ipv6Addr>().ok()?;
            &header[..end + 2]
        }
        None => header.split(':').next()?,
    };
    let plain = host.starts_with('[')
        || host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    (!host.is_empty() && plain).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(host: Option<&str>, uri: &str, port: u16) -> Option<String> {
        let mut headers = HeaderMap::new();
        if let Some(h) = host {
            headers.insert(HOST, h.parse().unwrap());
        }
        let res = redirect(port, &headers, &uri.parse().unwrap());
        match res.status() {
            StatusCode::PERMANENT_REDIRECT => {
                Some(res.headers()["location"].to_str().unwrap().to_string())
            }
            _ => None,
        }
    }

    #[test]
    fn redirects_to_the_same_host_path_and_query() {
        assert_eq!(
            location(Some("bank.example:8081"), "/api/accounts?x=1", 8443).as_deref(),
            Some("https://bank.example:8443/api/accounts?x=1")
        );
        assert_eq!(
            location(Some("[::1]:8081"), "/", 9000).as_deref(),
            Some("https://[::1]:9000/")
        );
        assert_eq!(
            location(Some("bank.example"), "/login", 443).as_deref(),
            Some("https://bank.example/login")
        );
        assert_eq!(
            location(None, "http://10.1.2.3:80/x", 8443).as_deref(),
            Some("https://10.1.2.3:8443/x")
        );
    }

    #[test]
    fn odd_hosts_are_refused() {
        for host in ["", "evil.example/x", "a@b", "[zz]:1", "[::1"] {
            assert_eq!(location(Some(host), "/", 8443), None, "{host:?}");
        }
        assert_eq!(location(None, "/", 8443), None);
    }
}
