//! A real server on port 0 over a fresh data dir, and a client that speaks to it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bankbox::app::{self, AppState};
use bankbox::cli::Environment;
use bankbox::config::ServeSettings;
use bankbox::domain::Currency;
use bankbox::store::Store;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const ADMIN_PASSWORD: &str = "admin-test-password";

pub fn settings() -> ServeSettings {
    ServeSettings {
        environment: Environment::Production,
        jwt_secret: None,
        open_registration: true,
        admin_password: Some(ADMIN_PASSWORD.into()),
        session_idle: Duration::from_secs(30 * 60),
        session_max: Duration::from_secs(12 * 3600),
        default_currency: Currency::EUR,
        hash_threads: 2,
        shutdown_timeout: Duration::from_secs(5),
        cache_bytes: 8 << 20,
        secure_cookies: false,
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub state: AppState,
    pub dir: Arc<TempDir>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

/// A logged-in customer.
pub struct Customer {
    pub token: String,
    /// The checking account opened at registration.
    pub account: Value,
}

impl Customer {
    pub fn account_id(&self) -> &str {
        self.account["id"].as_str().unwrap()
    }

    pub fn account_number(&self) -> &str {
        self.account["number"].as_str().unwrap()
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The problem's stable `code`.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

impl TestApp {
    pub async fn start() -> Self {
        Self::start_with(settings(), Arc::new(tempfile::tempdir().unwrap())).await
    }

    pub async fn start_with(settings: ServeSettings, dir: Arc<TempDir>) -> Self {
        let store: Arc<dyn Store> = Arc::new(
            bankbox::store::redb::RedbStore::open(dir.path(), &crate::backends::small_store())
                .unwrap(),
        );
        let cache = app::open_cache(
            &bankbox::config::CacheConfig::Embedded {
                max_bytes: settings.cache_bytes,
            },
            settings.session_idle,
        )
        .unwrap();
        let state = app::build(store, cache, settings).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app::serve(listener, state.clone(), async {
            let _ = stopped.await;
        }));
        let app = Self {
            addr,
            client: reqwest::Client::new(),
            state,
            dir,
            stop: Some(stop),
            server: Some(server),
        };
        for _ in 0..200 {
            if app
                .client
                .get(app.url("/ready"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return app;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the test server never became ready");
    }

    /// Stops the server and waits for it, so the data file is released.
    pub async fn stop(mut self) -> Arc<TempDir> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.server.take() {
            h.await.unwrap().unwrap();
        }
        self.dir.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), None, &[]).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(token), Some(body), &[])
            .await
    }

    pub async fn login(&self, username: &str, password: &str) -> Reply {
        let body = json!({ "username": username, "password": password });
        self.send(Method::POST, "/api/auth/login", None, Some(body), &[])
            .await
    }

    pub async fn admin_token(&self) -> String {
        let r = self.login("admin", ADMIN_PASSWORD).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.body["token"].as_str().unwrap().to_string()
    }

    /// Registers and logs in a customer.
    pub async fn customer(&self, username: &str) -> Customer {
        let password = format!("{username}-password");
        let body = json!({ "username": username, "password": password, "email": format!("{username}@example.com") });
        let r = self
            .send(Method::POST, "/api/auth/register", None, Some(body), &[])
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let account = r.body["accounts"][0].clone();
        let login = self.login(username, &password).await;
        assert_eq!(login.status, 200, "{:?}", login.body);
        Customer {
            token: login.body["token"].as_str().unwrap().to_string(),
            account,
        }
    }

    /// Cash in through the admin API.
    pub async fn deposit(&self, admin: &str, account: &str, amount: i64) {
        let r = self
            .post(
                "/api/admin/deposits",
                admin,
                json!({ "account": account, "amount": amount, "description": "cash" }),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    }

    pub async fn balance(&self, token: &str, account: &str) -> i64 {
        let r = self.get(&format!("/api/accounts/{account}"), token).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.body["balance"].as_i64().unwrap()
    }

    /// Transfers and returns the reply.
    pub async fn transfer(
        &self,
        token: &str,
        from: &str,
        to: &str,
        amount: Value,
        key: Option<&str>,
    ) -> Reply {
        let body = json!({ "from_account": from, "to_account": to, "amount": amount, "description": "test" });
        let headers: Vec<(&str, &str)> = key
            .map(|k| vec![("idempotency-key", k)])
            .unwrap_or_default();
        self.send(
            Method::POST,
            "/api/transactions",
            Some(token),
            Some(body),
            &headers,
        )
        .await
    }

    /// The store's own audit of the ledger.
    pub async fn assert_ledger_ok(&self) {
        let report = self.state.bank.store.verify().await.unwrap();
        assert!(report.is_ok(), "ledger problems: {:?}", report.problems);
    }
}
