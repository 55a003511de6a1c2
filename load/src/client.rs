//! A small keep-alive HTTP/1.1 JSON client over hyper.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::client::legacy::Client as Hyper;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

#[derive(Clone)]
pub struct Client {
    base: String,
    http: Hyper<HttpConnector, Full<Bytes>>,
}

pub struct Answer {
    pub status: u16,
    bytes: Bytes,
}

impl Answer {
    /// The body as JSON (Null if it is not). Parsed only when asked: the timed
    /// phase looks at statuses, so the client spends its CPU on sending.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }
}

impl Client {
    pub fn new(addr: &str) -> Self {
        let http = Hyper::builder(TokioExecutor::new())
            .pool_max_idle_per_host(1024)
            .build_http();
        Self {
            base: format!("http://{addr}"),
            http,
        }
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> anyhow::Result<Answer> {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        let payload = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Bytes::from(serde_json::to_vec(b)?)
            }
            None => Bytes::new(),
        };
        let res = self.http.request(req.body(Full::new(payload))?).await?;
        let status = res.status().as_u16();
        let bytes = res.into_body().collect().await?.to_bytes();
        Ok(Answer { status, bytes })
    }

    pub async fn status(&self, path: &str) -> Option<u16> {
        self.send("GET", path, None, None, None)
            .await
            .ok()
            .map(|a| a.status)
    }

    /// The raw text of a GET (for /metrics).
    pub async fn text(&self, path: &str) -> anyhow::Result<String> {
        let answer = self.send("GET", path, None, None, None).await?;
        Ok(String::from_utf8_lossy(&answer.bytes).into_owned())
    }
}
