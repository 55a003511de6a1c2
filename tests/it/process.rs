//! The compiled `bankbox` binary as a child process: crash safety under
//! SIGKILL, graceful SIGTERM, configuration errors, help texts and the
//! `user`, `verify` and `healthcheck` commands.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_bankbox");
const ADMIN_PASSWORD: &str = "process-admin-password";
/// How long a server may take to answer /ready, a command to finish.
const START_DEADLINE: Duration = Duration::from_secs(20);
const COMMAND_DEADLINE: Duration = Duration::from_secs(20);

/// Variables of the test's own environment that would change what the child does.
const INHERITED: &[&str] = &[
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
fn bankbox() -> Command {
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
fn server_command(data_dir: &Path, listen: SocketAddr) -> Command {
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
fn free_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

/// What a finished command said.
struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Run {
    fn describe(&self) -> String {
        format!(
            "status {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        )
    }

    fn assert_success(&self) -> &Self {
        assert!(self.status.success(), "{}", self.describe());
        self
    }

    /// Failed with a clean error: non-zero, no panic, no backtrace.
    fn assert_clean_failure(&self) -> &Self {
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
    fn stderr_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }
}

/// Kills the child when dropped, so a failing test leaves no server behind.
struct Guard(Child);

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
fn run(mut cmd: Command, input: Option<&str>) -> Run {
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

/// A running `bankbox serve`, its stderr kept in a file.
struct Server {
    child: Guard,
    addr: SocketAddr,
    log: PathBuf,
    _logs: TempDir,
}

impl Server {
    /// Starts a server on `data_dir` and waits until /ready answers 200.
    async fn start(data_dir: &Path) -> Server {
        // Another process may grab the free port before the child binds it:
        // retry a few times on "cannot listen", never on anything else.
        for attempt in 1..=3 {
            let logs = tempfile::tempdir().unwrap();
            let log = logs.path().join("stderr.log");
            let addr = free_addr();
            let mut cmd = server_command(data_dir, addr);
            cmd.stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(File::create(&log).unwrap());
            let mut server = Server {
                child: Guard(cmd.spawn().unwrap()),
                addr,
                log,
                _logs: logs,
            };
            match server.wait_ready().await {
                Ok(()) => return server,
                Err(stderr) if attempt < 3 && stderr.contains("cannot listen") => continue,
                Err(stderr) => panic!("bankbox did not become ready:\n{stderr}"),
            }
        }
        unreachable!()
    }

    async fn wait_ready(&mut self) -> Result<(), String> {
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

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.0.id().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} failed: {status:?}");
    }

    /// SIGKILL: no chance to flush or clean up anything.
    fn kill_9(&mut self) {
        self.child.0.kill().unwrap();
        self.child.0.wait().unwrap();
    }

    /// SIGTERM, then the exit status, which must come within `within`.
    async fn terminate(&mut self, within: Duration) -> ExitStatus {
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
    async fn stop(&mut self) {
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
struct Api {
    base: String,
    client: reqwest::Client,
}

struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Api {
    fn of(server: &Server) -> Api {
        Api {
            base: server.url(""),
            client: client(),
        }
    }

    async fn try_send(
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

    async fn get(&self, path: &str, token: &str) -> Reply {
        self.try_send(reqwest::Method::GET, path, Some(token), None, None)
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.try_send(reqwest::Method::POST, path, token, Some(&body), None)
            .await
            .unwrap()
    }

    async fn login(&self, username: &str, password: &str) -> Reply {
        self.post(
            "/api/auth/login",
            None,
            json!({ "username": username, "password": password }),
        )
        .await
    }

    async fn token(&self, username: &str, password: &str) -> String {
        let r = self.login(username, password).await;
        assert_eq!(r.status, StatusCode::OK, "login {username}: {:?}", r.body);
        r.body["token"].as_str().unwrap().to_string()
    }

    /// Registers a customer; returns the id and number of their checking account.
    async fn register(&self, username: &str, password: &str) -> (String, String) {
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
    async fn full_history(&self, token: &str, account: &str) -> Vec<Value> {
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

/// A registered customer of the crash test.
struct Party {
    username: String,
    password: String,
    account: String,
    /// How others name the account: ids are usable by their owner only.
    number: String,
    token: String,
}

/// A transfer the server acknowledged with 201.
struct Ack {
    payer: usize,
    payee: usize,
    key: String,
    body: Value,
    id: String,
    amount: i64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_kill_9_loses_no_acknowledged_transfer() {
    const START_BALANCE: i64 = 10_000;
    const TASKS: usize = 6;
    let data = tempfile::tempdir().unwrap();
    let mut server = Server::start(data.path()).await;
    let api = Api::of(&server);
    let admin = api.token("admin", ADMIN_PASSWORD).await;
    let mut parties = Vec::new();
    for i in 0..4 {
        let username = format!("crash{i}");
        let password = format!("{username}-password");
        let (account, number) = api.register(&username, &password).await;
        let token = api.token(&username, &password).await;
        let body = json!({ "account": account, "amount": START_BALANCE, "description": "cash" });
        let r = api.post("/api/admin/deposits", Some(&admin), body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        parties.push(Party {
            username,
            password,
            account,
            number,
            token,
        });
    }

    // Transfers from several tasks until the kill.
    let parties = Arc::new(parties);
    let acks = Arc::new(Mutex::new(Vec::<Ack>::new()));
    let unexpected = Arc::new(Mutex::new(Vec::<String>::new()));
    let killing = Arc::new(AtomicBool::new(false));
    let in_flight = Arc::new(Mutex::new(Vec::<Ack>::new()));
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let (api, parties, acks, unexpected, killing, in_flight) = (
            api.clone(),
            parties.clone(),
            acks.clone(),
            unexpected.clone(),
            killing.clone(),
            in_flight.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for _ in 0..5_000 {
                if killing.load(Ordering::SeqCst) {
                    return;
                }
                let payer = rand::random_range(0..parties.len());
                let payee = (payer + rand::random_range(1..parties.len())) % parties.len();
                let amount: i64 = rand::random_range(1..=4_000);
                let key = uuid::Uuid::new_v4().to_string();
                let body = json!({
                    "from_account": parties[payer].account,
                    "to_account": parties[payee].number,
                    "amount": amount,
                    "description": format!("crash test {key}"),
                });
                let sent = api
                    .try_send(
                        reqwest::Method::POST,
                        "/api/transactions",
                        Some(&parties[payer].token),
                        Some(&body),
                        Some(&key),
                    )
                    .await;
                // The flag is raised before the kill: whatever fails with it
                // down failed for another reason.
                let after_kill = killing.load(Ordering::SeqCst);
                match sent {
                    Ok(r) if r.status == StatusCode::CREATED => {
                        let id = r.body["id"].as_str().unwrap_or_default().to_string();
                        if id.is_empty() {
                            unexpected
                                .lock()
                                .unwrap()
                                .push(format!("201 without id: {:?}", r.body));
                            continue;
                        }
                        acks.lock().unwrap().push(Ack {
                            payer,
                            payee,
                            key,
                            body,
                            id,
                            amount,
                        });
                    }
                    Ok(r)
                        if r.status == StatusCode::UNPROCESSABLE_ENTITY
                            && r.body["code"] == "insufficient_funds" => {}
                    Ok(r) if !after_kill => unexpected
                        .lock()
                        .unwrap()
                        .push(format!("{}: {:?}", r.status, r.body)),
                    Ok(_) => {}
                    Err(e) if !after_kill => {
                        unexpected
                            .lock()
                            .unwrap()
                            .push(format!("before the kill: {e}"));
                        return;
                    }
                    // In flight when the server died.
                    Err(_) => {
                        in_flight.lock().unwrap().push(Ack {
                            payer,
                            payee,
                            key,
                            body,
                            id: String::new(),
                            amount,
                        });
                        return;
                    }
                }
            }
        }));
    }
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) && acks.lock().unwrap().len() < 300 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    killing.store(true, Ordering::SeqCst);
    server.kill_9();
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(30), task)
            .await
            .expect("a transfer task hung after the kill")
            .unwrap();
    }
    let unexpected = std::mem::take(&mut *unexpected.lock().unwrap());
    assert!(unexpected.is_empty(), "unexpected answers: {unexpected:#?}");
    let mut acks = std::mem::take(&mut *acks.lock().unwrap());
    let in_flight = std::mem::take(&mut *in_flight.lock().unwrap());
    assert!(
        !acks.is_empty(),
        "no transfer was acknowledged before the kill"
    );
    eprintln!(
        "kill -9 after {} acknowledged transfers, {} requests in flight",
        acks.len(),
        in_flight.len()
    );

    // Restart on the same data: sessions were in memory, so log in again.
    let mut server = Server::start(data.path()).await;
    let api = Api::of(&server);
    let mut tokens = Vec::new();
    for p in parties.iter() {
        tokens.push(api.token(&p.username, &p.password).await);
    }

    // Requests cut off by the kill may or may not have been applied; retried
    // with their keys, each is applied exactly once (checked with the rest).
    for mut pending in in_flight {
        let r = api
            .try_send(
                reqwest::Method::POST,
                "/api/transactions",
                Some(&tokens[pending.payer]),
                Some(&pending.body),
                Some(&pending.key),
            )
            .await
            .unwrap();
        match r.status {
            StatusCode::CREATED => {
                pending.id = r.body["id"].as_str().unwrap().to_string();
                acks.push(pending);
            }
            StatusCode::UNPROCESSABLE_ENTITY if r.body["code"] == "insufficient_funds" => {}
            other => panic!(
                "retry of a request cut off by the kill: {other}: {:?}",
                r.body
            ),
        }
    }

    // Every account's history: no line twice, and it adds up to the balance.
    let mut histories: Vec<HashMap<String, usize>> = Vec::new();
    let mut balances = Vec::new();
    for (p, token) in parties.iter().zip(&tokens) {
        let items = api.full_history(token, &p.account).await;
        let mut seen = HashMap::new();
        let mut descriptions = HashMap::new();
        let mut sum = 0;
        for item in &items {
            if item["direction"] == "out" {
                // Each request's description holds its idempotency key.
                *descriptions
                    .entry(item["description"].as_str().unwrap().to_string())
                    .or_insert(0) += 1;
            }
            *seen
                .entry(item["id"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
            let amount = item["amount"].as_i64().unwrap();
            sum += match item["direction"].as_str() {
                Some("in") => amount,
                Some("out") => -amount,
                other => panic!("direction {other:?} in {item}"),
            };
        }
        let twice: Vec<_> = descriptions.iter().filter(|(_, n)| **n > 1).collect();
        assert!(
            twice.is_empty(),
            "{}: a request applied more than once: {twice:?}",
            p.username
        );
        let duplicated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
        assert!(
            duplicated.is_empty(),
            "{}: lines listed more than once: {duplicated:?}",
            p.username
        );
        let account = api
            .get(&format!("/api/accounts/{}", p.account), token)
            .await;
        assert_eq!(account.status, StatusCode::OK, "{:?}", account.body);
        let balance = account.body["balance"].as_i64().unwrap();
        assert_eq!(
            balance, sum,
            "{}: balance is not its history's sum",
            p.username
        );
        assert!(balance >= 0, "{}: negative balance {balance}", p.username);
        histories.push(seen);
        balances.push(balance);
    }
    let total: i64 = balances.iter().sum();
    assert_eq!(
        total,
        START_BALANCE * parties.len() as i64,
        "money appeared or vanished: balances {balances:?}"
    );

    // Every acknowledged transfer survived, once, on both sides.
    for ack in &acks {
        let r = api
            .get(&format!("/api/transactions/{}", ack.id), &tokens[ack.payer])
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "acknowledged transfer {} lost after kill -9: {:?}",
            ack.id,
            r.body
        );
        assert_eq!(r.body["id"], ack.id.as_str());
        assert_eq!(r.body["amount"], ack.amount);
        assert_eq!(r.body["direction"], "out");
        for (side, who) in [("payer", ack.payer), ("payee", ack.payee)] {
            assert_eq!(
                histories[who].get(&ack.id).copied().unwrap_or(0),
                1,
                "transfer {} in the {side}'s history",
                ack.id
            );
        }
    }

    // Retrying an acknowledged request replays it instead of paying twice.
    let mut samples: Vec<&Ack> = acks.iter().take(3).collect();
    samples.extend(acks.iter().rev().take(3));
    for ack in samples {
        let r = api
            .try_send(
                reqwest::Method::POST,
                "/api/transactions",
                Some(&tokens[ack.payer]),
                Some(&ack.body),
                Some(&ack.key),
            )
            .await
            .unwrap();
        assert_eq!(r.status, StatusCode::CREATED, "replay: {:?}", r.body);
        assert_eq!(
            r.body["id"],
            ack.id.as_str(),
            "replay gave another transfer"
        );
        assert_eq!(
            r.headers
                .get("idempotent-replayed")
                .and_then(|v| v.to_str().ok()),
            Some("true"),
            "replay not marked"
        );
    }

    server.stop().await;
    let mut verify = bankbox();
    verify.arg("verify").arg("--data-dir").arg(data.path());
    let report = run(verify, None);
    report.assert_success();
    assert!(report.stdout.contains("ledger OK"), "{}", report.describe());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_and_exits_zero() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Server::start(data.path()).await;
    // An idle keep-alive connection must not hold the shutdown up.
    let api = Api::of(&server);
    let r = api
        .try_send(reqwest::Method::GET, "/ping", None, None, None)
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK);

    // Logins (a slow password hash each) in flight at the signal still get
    // their answer: draining finishes requests instead of cutting them.
    let logins: Vec<_> = (0..6)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move {
                let body = json!({ "username": "admin", "password": ADMIN_PASSWORD });
                api.try_send(
                    reqwest::Method::POST,
                    "/api/auth/login",
                    None,
                    Some(&body),
                    None,
                )
                .await
                .map(|r| r.status)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let status = server.terminate(Duration::from_secs(10)).await;
    assert!(
        status.success(),
        "exit {status:?} after SIGTERM; stderr:\n{}",
        server.stderr()
    );
    for login in logins {
        let answer = tokio::time::timeout(Duration::from_secs(10), login)
            .await
            .expect("a login hung")
            .unwrap();
        assert!(
            matches!(answer, Ok(StatusCode::OK)),
            "a request in flight at SIGTERM: {answer:?}"
        );
    }
    let stderr = server.stderr().to_lowercase();
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// `bankbox serve` expected to fail: on `data_dir` (default: a fresh one) and
/// `listen` (default: a free port), with extra environment.
fn failing_serve(data_dir: Option<&Path>, listen: Option<SocketAddr>, env: &[(&str, &str)]) -> Run {
    let fresh = tempfile::tempdir().unwrap();
    let mut cmd = server_command(
        data_dir.unwrap_or(fresh.path()),
        listen.unwrap_or_else(free_addr),
    );
    cmd.envs(env.iter().copied());
    let run = run(cmd, None);
    run.assert_clean_failure();
    run
}

#[test]
fn config_error_bad_database_url() {
    let run = failing_serve(None, None, &[("DATABASE_URL", "mysql://x")]);
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 1, "{}", run.describe());
    assert!(lines[0].contains("DATABASE_URL"), "{}", run.describe());

    // The password in a rejected URL is not echoed.
    let url = "mysql://bank:s3cret-pw@db:3306/bank";
    let run = failing_serve(None, None, &[("DATABASE_URL", url)]);
    assert_eq!(run.stderr_lines().len(), 1, "{}", run.describe());
    assert!(run.stderr.contains("DATABASE_URL"), "{}", run.describe());
    assert!(!run.stderr.contains("s3cret-pw"), "{}", run.describe());
}

#[test]
fn config_error_data_dir_is_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let run = failing_serve(Some(&file), None, &[]);
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 1, "{}", run.describe());
    assert!(lines[0].contains("data dir"), "{}", run.describe());
    assert!(
        lines[0].contains(&*file.to_string_lossy()),
        "{}",
        run.describe()
    );
}

#[test]
fn config_error_port_in_use() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let run = failing_serve(None, Some(addr), &[]);
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 1, "{}", run.describe());
    assert!(lines[0].contains("cannot listen"), "{}", run.describe());
    assert!(
        lines[0].contains(&addr.port().to_string()),
        "{}",
        run.describe()
    );
    drop(taken);
}

#[test]
fn help_is_complete() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--help"],
            &[
                "serve",
                "user",
                "verify",
                "healthcheck",
                "--data-dir",
                "BANKBOX_DATA_DIR",
                "DATABASE_URL",
                "LOG_LEVEL",
            ],
        ),
        (
            &["serve", "--help"],
            &[
                "--listen",
                "BANKBOX_LISTEN",
                "JWT_SECRET",
                "JWT_SECRET_FILE",
                "BANKBOX_ADMIN_PASSWORD",
                "BANKBOX_OPEN_REGISTRATION",
                "BANKBOX_SHUTDOWN_TIMEOUT",
                "--data-dir",
                "DATABASE_URL",
                "REDIS_URL",
                "ENVIRONMENT",
                "LOG_LEVEL",
            ],
        ),
        (
            &["user", "--help"],
            &["create", "list", "set-password", "disable"],
        ),
        (
            &["user", "create", "--help"],
            &[
                "--username",
                "--email",
                "--admin",
                "--currency",
                "BANKBOX_USER_PASSWORD",
            ],
        ),
        (&["verify", "--help"], &["--data-dir", "BANKBOX_DATA_DIR"]),
        (
            &["healthcheck", "--help"],
            &["--timeout", "--listen", "URL", "/ready"],
        ),
    ];
    for (args, wanted) in cases {
        let mut cmd = bankbox();
        cmd.args(*args);
        let run = run(cmd, None);
        run.assert_success();
        for w in *wanted {
            assert!(
                run.stdout.contains(w),
                "`bankbox {}` does not mention {w}:\n{}",
                args.join(" "),
                run.stdout
            );
        }
    }
    let mut cmd = bankbox();
    cmd.arg("--version");
    let run = run(cmd, None);
    run.assert_success();
    assert!(
        run.stdout.contains(env!("CARGO_PKG_VERSION")),
        "{}",
        run.describe()
    );
}

/// `bankbox user ARGS --data-dir DIR` with an optional password variable and stdin.
fn user_command(
    data_dir: &Path,
    args: &[&str],
    password: Option<&str>,
    input: Option<&str>,
) -> Run {
    let mut cmd = bankbox();
    cmd.arg("user").args(args).arg("--data-dir").arg(data_dir);
    if let Some(p) = password {
        cmd.env("BANKBOX_USER_PASSWORD", p);
    }
    run(cmd, input)
}

/// carol's row in `bankbox user list`.
fn listed(data_dir: &Path, username: &str) -> String {
    let run = user_command(data_dir, &["list"], None, None);
    run.assert_success();
    run.stdout
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(username))
        .unwrap_or_else(|| panic!("{username} not listed:\n{}", run.stdout))
        .to_string()
}

#[tokio::test]
async fn user_commands_manage_users() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    let (first, second) = ("carol-password-1", "carol-password-2");

    let created = user_command(
        dir,
        &[
            "create",
            "--username",
            "carol",
            "--email",
            "carol@example.com",
        ],
        Some(first),
        None,
    );
    created.assert_success();
    assert!(created.stdout.contains("carol"), "{}", created.describe());
    let row = listed(dir, "carol");
    assert!(
        row.contains("carol@example.com") && row.contains("active"),
        "{row}"
    );

    let changed = user_command(
        dir,
        &["set-password", "carol"],
        None,
        Some(&format!("{second}\n")),
    );
    changed.assert_success();

    user_command(dir, &["disable", "carol"], None, None).assert_success();
    assert!(listed(dir, "carol").contains("disabled"));

    let again = user_command(
        dir,
        &[
            "create",
            "--username",
            "carol",
            "--email",
            "carol2@example.com",
        ],
        Some(first),
        None,
    );
    again.assert_clean_failure();
    assert!(again.stderr.contains("taken"), "{}", again.describe());
    assert_eq!(again.stderr_lines().len(), 1, "{}", again.describe());

    // A password too short is refused, with no user created.
    let short = user_command(
        dir,
        &[
            "create",
            "--username",
            "dave",
            "--email",
            "dave@example.com",
        ],
        Some("short"),
        None,
    );
    short.assert_clean_failure();
    assert!(
        !user_command(dir, &["list"], None, None)
            .stdout
            .contains("dave")
    );

    // Disabled: the server refuses carol's login.
    let mut server = Server::start(dir).await;
    let api = Api::of(&server);
    let r = api.login("carol", second).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);

    // The data file is locked while the server runs: a clear error, at once.
    let busy = user_command(dir, &["list"], None, None);
    busy.assert_clean_failure();
    assert!(busy.stderr.contains("in use"), "{}", busy.describe());

    server.stop().await;
    user_command(dir, &["disable", "carol", "--enable"], None, None).assert_success();
    assert!(listed(dir, "carol").contains("active"));

    let mut server = Server::start(dir).await;
    let api = Api::of(&server);
    let r = api.login("carol", second).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = api.login("carol", first).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "old password: {:?}",
        r.body
    );
    server.stop().await;
}

#[tokio::test]
async fn healthcheck_command() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Server::start(data.path()).await;

    let mut cmd = bankbox();
    cmd.arg("healthcheck").arg(server.url("/ready"));
    run(cmd, None).assert_success();

    // Without a URL: /ready on the port of --listen.
    let mut cmd = bankbox();
    cmd.arg("healthcheck")
        .arg("--listen")
        .arg(server.addr.to_string());
    run(cmd, None).assert_success();

    // An answer other than 2xx (here 401) is not healthy.
    let mut cmd = bankbox();
    cmd.arg("healthcheck").arg(server.url("/api/users/me"));
    run(cmd, None).assert_clean_failure();

    server.stop().await;

    let closed = free_addr();
    let mut cmd = bankbox();
    cmd.arg("healthcheck")
        .arg(format!("http://{closed}/ready"))
        .arg("--timeout")
        .arg("2");
    let started = Instant::now();
    let run = run(cmd, None);
    run.assert_clean_failure();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(!run.stderr.trim().is_empty(), "{}", run.describe());
}
