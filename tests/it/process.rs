//! The compiled `bankbox` binary as a child process: crash safety under
//! SIGKILL, graceful SIGTERM, configuration errors, help texts and the
//! `user`, `verify` and `healthcheck` commands.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::child::*;

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
    crash_kill_9(&[]).await;
}

/// With no checkpoint before the kill, every write since the start lives in
/// the redo log alone, and the restart must replay all of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_kill_9_before_any_checkpoint_replays_the_redo_log() {
    let stderr = crash_kill_9(&[("BANKBOX_DB_CHECKPOINT_MS", "3600000")]).await;
    assert!(
        stderr.contains("replayed the redo log"),
        "the restart did not replay the log:\n{stderr}"
    );
}

/// Registers, funds and transfers until a SIGKILL, restarts, and checks every
/// acknowledged transfer is there exactly once. Returns the restart's stderr.
async fn crash_kill_9(env: &[(&str, &str)]) -> String {
    const START_BALANCE: i64 = 10_000;
    const TASKS: usize = 6;
    let data = tempfile::tempdir().unwrap();
    let mut server = Server::start_env(data.path(), env).await;
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
    let mut server = Server::start_env(data.path(), env).await;
    let restart_log = server.stderr();
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
    assert_ledger_ok(data.path());
    restart_log
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
                "gen-cert",
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
                "--tls-cert",
                "BANKBOX_TLS_CERT",
                "--tls-key",
                "BANKBOX_TLS_KEY",
                "--tls-self-signed",
                "BANKBOX_TLS_SELF_SIGNED",
                "--tls-hostname",
                "BANKBOX_TLS_HOSTNAMES",
                "--redirect-http",
                "BANKBOX_REDIRECT_HTTP",
            ],
        ),
        (
            &["gen-cert", "--help"],
            &["--cert", "--key", "--hostname", "--days", "--force"],
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
            &[
                "--timeout",
                "--listen",
                "URL",
                "/ready",
                "--ca",
                "BANKBOX_TLS_CERT",
                "BANKBOX_TLS_SELF_SIGNED",
            ],
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
