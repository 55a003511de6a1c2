//! Driving the compiled `bankbox` binary as a child process: a clean
//! environment, a guard that kills it, a JSON client, bounded waits.

use std::fs::File;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_bankbox");
pub(crate) const ADMIN_PASSWORD: &str = "process-admin-password";
/// How long a server may take to answer /ready, a command to finish.
pub(crate) const START_DEADLINE: Duration = Duration::from_secs(20);
pub(crate) const COMMAND_DEADLINE: Duration = Duration::from_secs(20);

/// Variables of the test's own environment that would change what the child does.
pub(crate) const INHERITED: &[&str] = &[
    "DATABASE_URL",
    "DATABASE_URL_FILE",
    "REDIS_URL",
    "REDIS_URL_FILE",
    "JWT_SECRET",
    "JWT_SECRET_FILE",
    "LOG_LEVEL",
    "ENVIRONMENT",
    "KUBERNETES_SERVICE_HOST",
];

/// A `bankbox` command with a clean, known environment: no inherited bankbox
/// settings, warnings only, and backtraces on so a panic could not hide.
pub(crate) fn bankbox() -> Command {
    let mut cmd = Command::new(BIN);
    for (name, _) in std::env::vars_os() {
        let n = name.to_string_lossy();
        if n.starts_with("BANKBOX_") || INHERITED.contains(&n.as_ref()) {
            cmd.env_remove(&name);
        }
    }
    cmd.env("LOG_LEVEL", "warn").env("RUST_BACKTRACE", "1");
    cmd
}

/// A `bankbox` command set up as the server of these tests.
pub(crate) fn server_command(data_dir: &Path, listen: SocketAddr) -> Command {
    let mut cmd = bankbox();
    cmd.env("ENVIRONMENT", "production")
        .env("BANKBOX_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("BANKBOX_OPEN_REGISTRATION", "true")
        .arg("serve")
        .arg("--listen")
        .arg(listen.to_string())
        .arg("--data-dir")
        .arg(data_dir);
    cmd
}

/// A port nobody listens on right now.
pub(crate) fn free_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

/// What a finished command said.
pub(crate) struct Run {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn describe(&self) -> String {
        format!(
            "status {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        )
    }

    pub(crate) fn assert_success(&self) -> &Self {
        assert!(self.status.success(), "{}", self.describe());
        self
    }

    /// Failed with a clean error: non-zero, no panic, no backtrace.
    pub(crate) fn assert_clean_failure(&self) -> &Self {
        assert!(!self.status.success(), "{}", self.describe());
        assert!(
            self.status.code().is_some(),
            "killed by a signal: {}",
            self.describe()
        );
        let lower = self.stderr.to_lowercase();
        assert!(!lower.contains("panicked"), "{}", self.describe());
        assert!(!lower.contains("backtrace"), "{}", self.describe());
        self
    }

    /// The non-empty lines of stderr.
    pub(crate) fn stderr_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }
}

/// Kills the child when dropped, so a failing test leaves no server behind.
pub(crate) struct Guard(pub(crate) Child);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// Runs `cmd` to completion with `input` on its standard input, within a
/// deadline (killed and reported if it hangs).
pub(crate) fn run(mut cmd: Command, input: Option<&str>) -> Run {
    let out_dir = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (out_dir.path().join("out"), out_dir.path().join("err"));
    cmd.stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap())
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = Guard(cmd.spawn().unwrap());
    if let Some(input) = input {
        let mut stdin = child.0.stdin.take().unwrap();
        // The command may exit without reading: a broken pipe is its answer.
        let _ = stdin.write_all(input.as_bytes());
    }
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > COMMAND_DEADLINE {
            let _ = child.0.kill();
            let _ = child.0.wait();
            panic!(
                "{cmd:?} did not finish within {COMMAND_DEADLINE:?}; stderr:\n{}",
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        status,
        stdout: std::fs::read_to_string(&out_path).unwrap(),
        stderr: std::fs::read_to_string(&err_path).unwrap(),
    }
}

/// `bankbox verify` on a stopped server's data dir passes.
pub(crate) fn assert_ledger_ok(data_dir: &Path) {
    let mut verify = bankbox();
    verify.arg("verify").arg("--data-dir").arg(data_dir);
    let report = run(verify, None);
    report.assert_success();
    assert!(report.stdout.contains("ledger OK"), "{}", report.describe());
}

/// A running `bankbox serve`, its stderr kept in a file.
pub(crate) struct Server {
    pub(crate) child: Guard,
    pub(crate) addr: SocketAddr,
    pub(crate) log: PathBuf,
    _logs: TempDir,
}

impl Server {
    /// Starts a server on `data_dir` and waits until /ready answers 200.
    pub(crate) async fn start(data_dir: &Path) -> Server {
        Self::start_env(data_dir, &[]).await
    }

    /// Like `start`, with extra environment variables (DATABASE_URL, ...).
    pub(crate) async fn start_env(data_dir: &Path, env: &[(&str, &str)]) -> Server {
        // Another process may grab the free port before the child binds it:
        // retry a few times on "cannot listen", never on anything else.
        for attempt in 1..=3 {
            let mut server = Self::spawn(data_dir, free_addr(), env, &[]);
            match server.wait_ready().await {
                Ok(()) => return server,
                Err(stderr) if attempt < 3 && stderr.contains("cannot listen") => continue,
                Err(stderr) => panic!("bankbox did not become ready:\n{stderr}"),
            }
        }
        unreachable!()
    }

    /// Starts a server on `addr` with extra environment and arguments, without
    /// waiting for it.
    pub(crate) fn spawn(
        data_dir: &Path,
        addr: SocketAddr,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Server {
        let logs = tempfile::tempdir().unwrap();
        let log = logs.path().join("stderr.log");
        let mut cmd = server_command(data_dir, addr);
        cmd.envs(env.iter().copied()).args(args);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap());
        Server {
            child: Guard(cmd.spawn().unwrap()),
            addr,
            log,
            _logs: logs,
        }
    }

    pub(crate) async fn wait_ready(&mut self) -> Result<(), String> {
        let client = client();
        let url = self.url("/ready");
        let started = Instant::now();
        while started.elapsed() < START_DEADLINE {
            if let Some(status) = self.child.0.try_wait().unwrap() {
                return Err(format!("exited with {status:?}\n{}", self.stderr()));
            }
            let answer = client
                .get(&url)
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if answer.is_ok_and(|r| r.status() == StatusCode::OK) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!(
            "no 200 from /ready within {START_DEADLINE:?}\n{}",
            self.stderr()
        ))
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub(crate) fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.0.id().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} failed: {status:?}");
    }

    /// SIGKILL: no chance to flush or clean up anything.
    pub(crate) fn kill_9(&mut self) {
        self.child.0.kill().unwrap();
        self.child.0.wait().unwrap();
    }

    /// SIGTERM, then the exit status, which must come within `within`.
    pub(crate) async fn terminate(&mut self, within: Duration) -> ExitStatus {
        self.signal("TERM");
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.0.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < within,
                "bankbox still running {within:?} after SIGTERM; stderr:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGTERM and a clean exit 0.
    pub(crate) async fn stop(&mut self) {
        let status = self.terminate(Duration::from_secs(10)).await;
        assert!(
            status.success(),
            "bankbox exited with {status:?} after SIGTERM; stderr:\n{}",
            self.stderr()
        );
    }
}

/// A JSON client of one server.
#[derive(Clone)]
pub(crate) struct Api {
    pub(crate) base: String,
    pub(crate) client: reqwest::Client,
}

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Value,
}

impl Api {
    pub(crate) fn of(server: &Server) -> Api {
        Api {
            base: server.url(""),
            client: client(),
        }
    }

    pub(crate) async fn try_send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> reqwest::Result<Reply> {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        if let Some(k) = idempotency_key {
            req = req.header("idempotency-key", k);
        }
        let res = req.send().await?;
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    pub(crate) async fn get(&self, path: &str, token: &str) -> Reply {
        self.try_send(reqwest::Method::GET, path, Some(token), None, None)
            .await
            .unwrap()
    }

    pub(crate) async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.try_send(reqwest::Method::POST, path, token, Some(&body), None)
            .await
            .unwrap()
    }

    pub(crate) async fn login(&self, username: &str, password: &str) -> Reply {
        self.post(
            "/api/auth/login",
            None,
            json!({ "username": username, "password": password }),
        )
        .await
    }

    pub(crate) async fn token(&self, username: &str, password: &str) -> String {
        let r = self.login(username, password).await;
        assert_eq!(r.status, StatusCode::OK, "login {username}: {:?}", r.body);
        r.body["token"].as_str().unwrap().to_string()
    }

    /// Registers a customer; returns the id and number of their checking account.
    pub(crate) async fn register(&self, username: &str, password: &str) -> (String, String) {
        let body = json!({
            "username": username,
            "password": password,
            "email": format!("{username}@example.com"),
        });
        let r = self.post("/api/auth/register", None, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        let account = &r.body["accounts"][0];
        (
            account["id"].as_str().unwrap().to_string(),
            account["number"].as_str().unwrap().to_string(),
        )
    }

    /// Every line of an account's history, all pages.
    pub(crate) async fn full_history(&self, token: &str, account: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..1000 {
            let mut path = format!("/api/accounts/{account}/transactions?limit=200");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let r = self.get(&path, token).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
            items.extend(r.body["items"].as_array().unwrap().iter().cloned());
            match r.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return items,
            }
        }
        panic!("history of {account} did not end within 1000 pages");
    }
}
