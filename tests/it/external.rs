//! External mode with real servers: several replicas on one PostgreSQL and
//! Redis, a database that is late, lost or hard-restarted, and moving a bank
//! between stores.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};

use crate::backends::{Database, external};
use crate::child::*;

fn redis_prefix() -> String {
    format!(
        "bankbox-replicas-{}:",
        hex::encode(rand::random::<[u8; 4]>())
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_sessions_cache_and_ledger() {
    let (Some(db), Some(redis)) = (Database::fresh().await, external("TEST_REDIS_URL")) else {
        return;
    };
    let prefix = redis_prefix();
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("REDIS_URL", redis.as_str()),
        ("BANKBOX_REDIS_PREFIX", prefix.as_str()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut one = Server::start_env(dir.path(), &env).await;
    let mut two = Server::start_env(dir.path(), &env).await;
    let (a1, a2) = (Api::of(&one), Api::of(&two));

    let (alice_acct, _) = a1.register("alice", "alice-password").await;
    let (_, bob_number) = a2.register("bob", "bob-password").await;
    let admin = a1.token("admin", ADMIN_PASSWORD).await;
    let r = a2
        .post(
            "/api/admin/deposits",
            Some(&admin),
            json!({ "account": alice_acct, "amount": 10_000 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    // A session made on one replica works on the other.
    let alice = a1.token("alice", "alice-password").await;
    assert_eq!(a2.get("/api/users/me", &alice).await.status, StatusCode::OK);
    // A cached account list on one replica follows a write through the other.
    assert_eq!(
        a1.get("/api/accounts", &alice).await.body["items"][0]["balance"],
        10_000
    );
    let t = a2
        .post(
            "/api/transactions",
            Some(&alice),
            json!({ "from_account": alice_acct, "to_account": bob_number, "amount": 100 }),
        )
        .await;
    assert_eq!(t.status, StatusCode::CREATED);
    assert_eq!(
        a1.get("/api/accounts", &alice).await.body["items"][0]["balance"],
        9_900
    );

    // Transfers through both at once.
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (api, token, from, to) = (
            if i % 2 == 0 { a1.clone() } else { a2.clone() },
            alice.clone(),
            alice_acct.clone(),
            bob_number.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let body = json!({ "from_account": from, "to_account": to, "amount": 10 });
            api.try_send(
                reqwest::Method::POST,
                "/api/transactions",
                Some(&token),
                Some(&body),
                Some(&format!("both-{i}")),
            )
            .await
            .unwrap()
            .status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::CREATED);
    }
    assert_eq!(
        a2.get(&format!("/api/accounts/{alice_acct}"), &alice)
            .await
            .body["balance"],
        9_500
    );

    // Logout on one replica ends the session on both.
    let out = a2
        .try_send(
            reqwest::Method::POST,
            "/api/auth/logout",
            Some(&alice),
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(
        a1.get("/api/users/me", &alice).await.status,
        StatusCode::UNAUTHORIZED
    );

    one.stop().await;
    two.stop().await;
    let verify = run(
        {
            let mut c = bankbox();
            c.arg("verify").env("DATABASE_URL", &db.url);
            c
        },
        None,
    );
    verify.assert_success();
    assert!(verify.stdout.contains("ledger OK"), "{}", verify.describe());
    db.drop().await;
}

/// A loopback TCP proxy to PostgreSQL that can refuse connections and cut the
/// ones it carries: a database that is late, or lost while running.
struct Gate {
    addr: std::net::SocketAddr,
    open: Arc<AtomicBool>,
    epoch: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Gate {
    async fn to(target: &str) -> Gate {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let open = Arc::new(AtomicBool::new(false));
        let (epoch, _) = tokio::sync::watch::channel(0u64);
        let epoch = Arc::new(epoch);
        let (o, e, target) = (open.clone(), epoch.clone(), target.to_string());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !o.load(Ordering::SeqCst) {
                    continue;
                }
                let (target, mut cut) = (target.clone(), e.subscribe());
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Gate { addr, open, epoch }
    }

    fn set_open(&self, open: bool) {
        self.open.store(open, Ordering::SeqCst);
        if !open {
            self.epoch.send_modify(|e| *e += 1);
        }
    }
}

/// host:port of a postgres:// URL.
fn host_port(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap();
    let rest = rest.rsplit('@').next().unwrap();
    rest.split(['/', '?']).next().unwrap().to_string()
}

async fn status(client: &reqwest::Client, url: String) -> u16 {
    client
        .get(url)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waits_for_a_late_database_and_recovers_from_losing_it() {
    let Some(db) = Database::fresh().await else {
        return;
    };
    let gate = Gate::to(&host_port(&db.url)).await;
    let proxied = db
        .url
        .replacen(&host_port(&db.url), &gate.addr.to_string(), 1);
    let dir = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let mut cmd = server_command(dir.path(), addr);
    cmd.env("DATABASE_URL", &proxied)
        .stderr(std::process::Stdio::null());
    let _child = Guard(cmd.spawn().unwrap());
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let url = |p: &str| format!("http://{addr}{p}");

    // Not there yet: alive, not ready.
    let started = Instant::now();
    while status(&client, url("/ping")).await != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never answered /ping"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status(&client, url("/ready")).await, 503);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(status(&client, url("/ready")).await, 503, "still waiting");

    gate.set_open(true);
    let started = Instant::now();
    while status(&client, url("/ready")).await != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never became ready after the database came"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let api = Api {
        base: url(""),
        client: client.clone(),
    };
    let admin = api.token("admin", ADMIN_PASSWORD).await;

    // Lost while running: a clear 503 naming the store, then recovery.
    gate.set_open(false);
    let health = client.get(url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 503);
    let body: serde_json::Value = health.json().await.unwrap();
    assert_eq!(body["components"]["store"]["status"], "down");
    let users = api.get("/api/admin/users", &admin).await;
    assert_eq!(users.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(users.body["code"], "unavailable");
    gate.set_open(true);
    let started = Instant::now();
    while status(&client, url("/health")).await != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never recovered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        api.get("/api/admin/users", &admin).await.status,
        StatusCode::OK
    );
    drop(_child);
    db.drop().await;
}

/// A PostgreSQL cluster of this test's own, so a hard restart disturbs no
/// other test.
struct Cluster {
    bin: String,
    data: tempfile::TempDir,
    port: u16,
}

/// `program` run as the postgres user (PostgreSQL refuses to run as root).
fn as_postgres(program: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new("runuser");
    cmd.args(["-u", "postgres", "--", program])
        .stdout(std::process::Stdio::null());
    cmd
}

impl Cluster {
    fn pg_ctl_command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = as_postgres(&format!("{}/pg_ctl", self.bin));
        cmd.arg("-D").arg(self.data.path().join("pg")).args(args);
        cmd
    }

    fn pg_ctl(&self, args: &[&str]) {
        let status = self.pg_ctl_command(args).status().unwrap();
        assert!(status.success(), "pg_ctl {args:?}");
    }

    fn start() -> Option<Cluster> {
        let bin = external("TEST_PG_BIN")?;
        let data = tempfile::tempdir().unwrap();
        let pg = data.path().join("pg");
        let chown = |p: &Path| {
            assert!(
                std::process::Command::new("chown")
                    .args(["-R", "postgres"])
                    .arg(p)
                    .status()
                    .unwrap()
                    .success()
            );
        };
        std::fs::create_dir(&pg).unwrap();
        chown(data.path());
        let init = as_postgres(&format!("{bin}/initdb"))
            .args(["-U", "postgres", "--auth=trust", "-D"])
            .arg(&pg)
            .status()
            .unwrap();
        assert!(init.success());
        let port = free_addr().port();
        let cluster = Cluster { bin, data, port };
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {}",
            cluster.data.path().display()
        );
        let log = cluster.data.path().join("log");
        cluster.pg_ctl(&["-l", log.to_str().unwrap(), "-w", "-o", &opts, "start"]);
        Some(cluster)
    }

    fn url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl_command(&["-m", "immediate", "stop"]).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hard_postgres_restart_loses_no_acknowledged_transfer() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let url = cluster.url();
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start_env(dir.path(), &[("DATABASE_URL", url.as_str())]).await;
    let api = Api::of(&server);
    let (a_acct, a_number) = api.register("payer", "payer-password").await;
    let (b_acct, b_number) = api.register("payee", "payee-password").await;
    let admin = api.token("admin", ADMIN_PASSWORD).await;
    for acct in [&a_acct, &b_acct] {
        api.post(
            "/api/admin/deposits",
            Some(&admin),
            json!({ "account": acct, "amount": 1_000_000 }),
        )
        .await;
    }
    let a = api.token("payer", "payer-password").await;
    let b = api.token("payee", "payee-password").await;

    let acked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..4 {
        let (api, acked, stop) = (api.clone(), acked.clone(), stop.clone());
        let (token, from, to) = if w % 2 == 0 {
            (a.clone(), a_acct.clone(), b_number.clone())
        } else {
            (b.clone(), b_acct.clone(), a_number.clone())
        };
        workers.push(tokio::spawn(async move {
            for i in 0..2_000 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let body = json!({ "from_account": from, "to_account": to, "amount": 1 });
                let key = format!("restart-{w}-{i}");
                // A commit whose answer was lost is in doubt: a real client retries with
                // the same key until it hears a definite answer, and so does this one.
                let deadline = Instant::now() + Duration::from_secs(30);
                loop {
                    let r = api
                        .try_send(
                            reqwest::Method::POST,
                            "/api/transactions",
                            Some(&token),
                            Some(&body),
                            Some(&key),
                        )
                        .await;
                    match r {
                        Ok(r) if r.status == StatusCode::CREATED => {
                            acked
                                .lock()
                                .unwrap()
                                .push((token.clone(), r.body["id"].as_str().unwrap().to_string()));
                            break;
                        }
                        Ok(r) if r.status.is_client_error() => {
                            panic!("transfer refused: {} {}", r.status, r.body)
                        }
                        _ => {
                            assert!(Instant::now() < deadline, "no definite answer for {key}");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
            }
        }));
    }
    // Let the load run, pull the plug on PostgreSQL, bring it back.
    let started = Instant::now();
    while acked.lock().unwrap().len() < 50 && started.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cluster.pg_ctl(&["-m", "immediate", "-w", "restart"]);
    let before_restart = acked.lock().unwrap().len();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > before_restart,
        "transfers resumed after the restart"
    );

    let mut seen = std::collections::HashSet::new();
    for (token, id) in &acked {
        assert!(seen.insert(id.clone()), "one id acknowledged twice");
        let r = api.get(&format!("/api/transactions/{id}"), token).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "acknowledged transfer {id} is missing"
        );
    }
    let outs = api
        .full_history(&a, &a_acct)
        .await
        .iter()
        .filter(|i| i["direction"] == "out")
        .count()
        + api
            .full_history(&b, &b_acct)
            .await
            .iter()
            .filter(|i| i["direction"] == "out")
            .count();
    assert_eq!(
        outs,
        acked.len(),
        "every transfer exactly once, and nothing else"
    );
    server.stop().await;
    let verify = run(
        {
            let mut c = bankbox();
            c.arg("verify").env("DATABASE_URL", &url);
            c
        },
        None,
    );
    verify.assert_success();
}

fn export(env: &[(&str, &str)], data_dir: &Path, out: &Path) -> String {
    let mut cmd = bankbox();
    cmd.envs(env.iter().copied())
        .arg("export")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--output")
        .arg(out);
    run(cmd, None).assert_success();
    let text = std::fs::read_to_string(out).unwrap();
    // Everything but the header, which carries the export time.
    text.split_once('\n').unwrap().1.to_string()
}

fn import(env: &[(&str, &str)], data_dir: &Path, input: &Path) -> Run {
    let mut cmd = bankbox();
    cmd.envs(env.iter().copied())
        .arg("import")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--input")
        .arg(input);
    run(cmd, None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bank_moves_from_redb_to_postgres_and_back_unchanged() {
    let Some(db) = Database::fresh().await else {
        return;
    };
    // A development start seeds users, accounts and weeks of history.
    let source = tempfile::tempdir().unwrap();
    let mut server = Server::start_env(source.path(), &[("ENVIRONMENT", "development")]).await;
    server.stop().await;

    let files = tempfile::tempdir().unwrap();
    let none: [(&str, &str); 0] = [];
    let pg = [("DATABASE_URL", db.url.as_str())];
    let first = export(&none, source.path(), &files.path().join("1.jsonl"));
    assert!(
        first.lines().count() > 20,
        "users, accounts and history were exported"
    );
    import(&pg, source.path(), &files.path().join("1.jsonl")).assert_success();
    let second = export(&pg, source.path(), &files.path().join("2.jsonl"));
    let target = tempfile::tempdir().unwrap();
    let imported = import(&none, target.path(), &files.path().join("2.jsonl"));
    imported.assert_success();
    assert!(
        imported.stdout.contains("ledger OK"),
        "{}",
        imported.describe()
    );
    let third = export(&none, target.path(), &files.path().join("3.jsonl"));
    assert_eq!(first, second, "redb -> PostgreSQL changed nothing");
    assert_eq!(second, third, "PostgreSQL -> redb changed nothing");

    // An import refuses a store that is not empty, and a truncated file.
    let again = import(&pg, source.path(), &files.path().join("1.jsonl"));
    again.assert_clean_failure();
    assert!(again.stderr.contains("empty"), "{}", again.describe());
    let cut: String = first.lines().take(5).map(|l| format!("{l}\n")).collect();
    let header = std::fs::read_to_string(files.path().join("1.jsonl"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    std::fs::write(files.path().join("cut.jsonl"), format!("{header}\n{cut}")).unwrap();
    let fresh = tempfile::tempdir().unwrap();
    let truncated = import(&none, fresh.path(), &files.path().join("cut.jsonl"));
    truncated.assert_clean_failure();
    assert!(
        truncated.stderr.contains("truncated"),
        "{}",
        truncated.describe()
    );
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_is_idempotent_and_safe_to_run_concurrently() {
    let Some(db) = Database::fresh().await else {
        return;
    };
    let migrate = || {
        let mut c = bankbox();
        c.arg("migrate").env("DATABASE_URL", &db.url);
        c
    };
    let (x, y) = std::thread::scope(|s| {
        let x = s.spawn(|| run(migrate(), None));
        let y = s.spawn(|| run(migrate(), None));
        (x.join().unwrap(), y.join().unwrap())
    });
    x.assert_success();
    y.assert_success();
    let applied = [&x, &y]
        .iter()
        .filter(|r| r.stdout.contains("applied migrations [1, 2, 3]"))
        .count();
    assert_eq!(
        applied,
        1,
        "exactly one applied it:\n{}\n{}",
        x.describe(),
        y.describe()
    );
    let again = run(migrate(), None);
    assert!(again.stdout.contains("up to date"), "{}", again.describe());
    db.drop().await;
}
