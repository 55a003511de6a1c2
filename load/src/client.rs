//! A lean keep-alive HTTP/1.1 client: one connection per worker, one write and
//! usually one read per request. The load generator shares the server's cores,
//! so every microsecond it spends is one the server does not get; a pooled
//! general-purpose client cost about as much CPU per request as the server.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longer than any request takes unless the server is stuck.
const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Answer {
    pub status: u16,
    body: Vec<u8>,
}

impl Answer {
    /// The body as JSON (Null if it is not). Parsed only when asked: the timed
    /// phase looks at statuses, so the client spends its CPU on sending.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request, borrowed from the caller: the hot loop formats no request strings.
pub struct Call<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub token: Option<&'a str>,
    pub body: Option<&'a [u8]>,
    pub key: Option<&'a str>,
}

impl<'a> Call<'a> {
    pub fn get(path: &'a str) -> Self {
        Self {
            method: "GET",
            path,
            token: None,
            body: None,
            key: None,
        }
    }

    pub fn post(path: &'a str, body: &'a [u8]) -> Self {
        Self {
            method: "POST",
            body: Some(body),
            ..Self::get(path)
        }
    }

    pub fn token(self, token: &'a str) -> Self {
        Self {
            token: Some(token),
            ..self
        }
    }

    pub fn key(self, key: &'a str) -> Self {
        Self {
            key: Some(key),
            ..self
        }
    }
}

/// A keep-alive connection that reconnects after an error or a close.
pub struct Conn {
    addr: String,
    stream: Option<TcpStream>,
    out: Vec<u8>,
    buf: Vec<u8>,
}

impl Conn {
    pub fn new(addr: &str) -> Self {
        Self {
            addr: addr.to_string(),
            stream: None,
            out: Vec::with_capacity(1024),
            buf: Vec::with_capacity(16 * 1024),
        }
    }

    /// Sends `call` and reads its answer. A GET that fails on a connection
    /// kept from before is sent once more on a fresh one (the server may have
    /// closed it while idle); nothing else is retried.
    pub async fn send(&mut self, call: &Call<'_>) -> anyhow::Result<Answer> {
        let reused = self.stream.is_some();
        match self.send_once(call).await {
            Err(_) if reused && call.method == "GET" => self.send_once(call).await,
            result => result,
        }
    }

    async fn send_once(&mut self, call: &Call<'_>) -> anyhow::Result<Answer> {
        let result = tokio::time::timeout(TIMEOUT, self.exchange(call))
            .await
            .unwrap_or_else(|_| Err(anyhow::anyhow!("no answer within {TIMEOUT:?}")));
        if result.is_err() {
            self.stream = None;
        }
        result
    }

    async fn exchange(&mut self, call: &Call<'_>) -> anyhow::Result<Answer> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(&self.addr).await?;
            stream.set_nodelay(true)?;
            self.stream = Some(stream);
            self.buf.clear();
        }
        self.encode(call);
        let stream = self.stream.as_mut().expect("connected above");
        stream.write_all(&self.out).await?;
        let (status, head_len, len, close) = loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut res = httparse::Response::new(&mut headers);
            if let httparse::Status::Complete(n) = res.parse(&self.buf)? {
                break (
                    res.code.context("no status")?,
                    n,
                    body_length(res.code, res.headers)?,
                    res.headers.iter().any(|h| {
                        h.name.eq_ignore_ascii_case("connection")
                            && h.value.eq_ignore_ascii_case(b"close")
                    }),
                );
            }
            read_more(stream, &mut self.buf).await?;
        };
        self.buf.drain(..head_len);
        while self.buf.len() < len {
            read_more(stream, &mut self.buf).await?;
        }
        let body = self.buf.drain(..len).collect();
        if close {
            self.stream = None;
        }
        Ok(Answer { status, body })
    }

    fn encode(&mut self, call: &Call<'_>) {
        let out = &mut self.out;
        out.clear();
        for part in [
            call.method,
            " ",
            call.path,
            " HTTP/1.1\r\nhost: ",
            &self.addr,
        ] {
            out.extend_from_slice(part.as_bytes());
        }
        if let Some(t) = call.token {
            out.extend_from_slice(b"\r\nauthorization: Bearer ");
            out.extend_from_slice(t.as_bytes());
        }
        if let Some(k) = call.key {
            out.extend_from_slice(b"\r\nidempotency-key: ");
            out.extend_from_slice(k.as_bytes());
        }
        let body = call.body.unwrap_or_default();
        if call.body.is_some() {
            out.extend_from_slice(b"\r\ncontent-type: application/json");
        }
        let _ = write!(out, "\r\ncontent-length: {}\r\n\r\n", body.len());
        out.extend_from_slice(body);
    }
}

/// bankbox sizes every API answer, so a body without a length (chunked) is
/// refused rather than decoded. 1xx, 204 and 304 answers have no body.
fn body_length(status: Option<u16>, headers: &[httparse::Header<'_>]) -> anyhow::Result<usize> {
    if matches!(status, Some(100..=199 | 204 | 304)) {
        return Ok(0);
    }
    let value = headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .context("a response without content-length")?
        .value;
    Ok(std::str::from_utf8(value)?.parse()?)
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<()> {
    buf.reserve(8 * 1024);
    if stream.read_buf(buf).await? == 0 {
        bail!("the server closed the connection");
    }
    Ok(())
}
