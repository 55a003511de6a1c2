//! bankbox's HTTP load harness. Builds the release binary, starts it on a fresh
//! data dir (or against PostgreSQL and Redis), creates funded users and logs
//! them in before the clock starts, then drives a fixed-duration,
//! fixed-concurrency mix of account reads, history reads and idempotent
//! transfers over real sockets. Reports throughput, latency percentiles, errors
//! by status, the server's RSS, the store's commits, then audits the ledger.

mod client;
mod pgbench;
mod report;
mod server;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use rand::Rng;
use serde_json::json;

use client::{Call, Conn};
use report::Stats;
use server::{ADMIN_PASSWORD, Config, Server};

#[derive(Parser)]
#[command(about = "Load-test bankbox over real sockets and report")]
struct Args {
    /// bankbox binary to run. Default: `cargo build --release` it and use target/release/bankbox.
    #[arg(long)]
    bin: Option<PathBuf>,
    /// Customers created and logged in before the timed phase.
    #[arg(long, default_value_t = 64)]
    users: usize,
    /// Concurrent connections during the timed phase.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Seconds of load.
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Request mix as weights TRANSFERS,ACCOUNTS,HISTORY: "100,0,0" is
    /// transfers only, "0,1,0" account lists only.
    #[arg(long, default_value = "50,25,25", value_parser = Mix::parse)]
    mix: Mix,
    /// Run against PostgreSQL (an empty database, or one this harness used before).
    #[arg(long)]
    database_url: Option<String>,
    /// Run against Redis.
    #[arg(long)]
    redis_url: Option<String>,
}

#[derive(Clone, Copy)]
struct Mix {
    transfers: u32,
    accounts: u32,
    history: u32,
}

impl Mix {
    fn parse(s: &str) -> Result<Mix, String> {
        let w: Vec<u32> = s
            .split(',')
            .map(|p| p.trim().parse::<u32>().map_err(|e| format!("{p}: {e}")))
            .collect::<Result<_, _>>()?;
        match w[..] {
            [transfers, accounts, history] if transfers + accounts + history > 0 => Ok(Mix {
                transfers,
                accounts,
                history,
            }),
            _ => Err("expected three weights TRANSFERS,ACCOUNTS,HISTORY, not all 0".into()),
        }
    }
}

struct Customer {
    token: String,
    account: String,
    number: String,
}

fn release_binary() -> anyhow::Result<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--bin", "bankbox", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .status()?;
    if !status.success() {
        bail!("cargo build --release failed");
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    Ok(target.join("release").join("bankbox"))
}

/// One setup call whose JSON answer must carry a string at `pointer`.
async fn field(conn: &mut Conn, call: Call<'_>, pointer: &str) -> anyhow::Result<String> {
    let answer = conn.send(&call).await?;
    let body = answer.json();
    match body.pointer(pointer).and_then(|v| v.as_str()) {
        Some(v) if (200..300).contains(&answer.status) => Ok(v.to_string()),
        _ => bail!(
            "{} {}: {} {}",
            call.method,
            call.path,
            answer.status,
            answer.text()
        ),
    }
}

async fn setup(conn: &mut Conn, users: usize) -> anyhow::Result<Vec<Customer>> {
    let run = rand::random::<u32>();
    let password = "load-test-password";
    let body = json!({"username": "admin", "password": ADMIN_PASSWORD}).to_string();
    let admin = field(
        conn,
        Call::post("/api/auth/login", body.as_bytes()),
        "/token",
    )
    .await?;
    let mut customers = Vec::new();
    for i in 0..users {
        let name = format!("load{run:x}u{i}");
        let body =
            json!({"username": name, "password": password, "email": format!("{name}@example.com")})
                .to_string();
        let reg = conn
            .send(&Call::post("/api/auth/register", body.as_bytes()))
            .await?;
        let reg_body = reg.json();
        if reg.status != 201 {
            bail!("register {name}: {} {reg_body}", reg.status);
        }
        let account = reg_body["accounts"][0]["id"]
            .as_str()
            .context("no account")?
            .to_string();
        let number = reg_body["accounts"][0]["number"]
            .as_str()
            .context("no number")?
            .to_string();
        let body = json!({"account": account, "amount": 100_000_000}).to_string();
        let deposit = Call::post("/api/admin/deposits", body.as_bytes()).token(&admin);
        field(conn, deposit, "/id").await?;
        let body = json!({"username": name, "password": password}).to_string();
        let token = field(
            conn,
            Call::post("/api/auth/login", body.as_bytes()),
            "/token",
        )
        .await?;
        customers.push(Customer {
            token,
            account,
            number,
        });
    }
    Ok(customers)
}

#[derive(Default)]
struct Results {
    transfer: Stats,
    accounts: Stats,
    history: Stats,
}

async fn worker(
    mut conn: Conn,
    customers: Arc<Vec<Customer>>,
    deadline: Instant,
    mix: Mix,
    id: usize,
) -> Results {
    use std::fmt::Write;
    let mut out = Results::default();
    let (mut body, mut key, mut path) = (String::new(), String::new(), String::new());
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        let (roll, me, other, amount) = {
            let mut rng = rand::rng();
            (
                rng.random_range(0..mix.transfers + mix.accounts + mix.history),
                rng.random_range(0..customers.len()),
                rng.random_range(0..customers.len()),
                rng.random_range(1..100),
            )
        };
        let c = &customers[me];
        let (stats, call) = if roll < mix.transfers {
            let to = &customers[if other == me {
                (me + 1) % customers.len()
            } else {
                other
            }];
            body.clear();
            key.clear();
            let _ = write!(
                body,
                r#"{{"from_account":"{}","to_account":"{}","amount":{amount}}}"#,
                c.account, to.number
            );
            let _ = write!(key, "w{id}-{n}");
            let call = Call::post("/api/transactions", body.as_bytes());
            (&mut out.transfer, call.token(&c.token).key(&key))
        } else if roll < mix.transfers + mix.accounts {
            (
                &mut out.accounts,
                Call::get("/api/accounts").token(&c.token),
            )
        } else {
            path.clear();
            let _ = write!(path, "/api/accounts/{}/transactions?limit=20", c.account);
            (&mut out.history, Call::get(&path).token(&c.token))
        };
        let started = Instant::now();
        match conn.send(&call).await {
            Ok(a) if (200..300).contains(&a.status) => stats.ok(started.elapsed()),
            Ok(a) => stats.error(format!(
                "{} {}",
                a.status,
                a.json()["code"].as_str().unwrap_or("")
            )),
            Err(e) => stats.error(format!("io: {e}")),
        }
    }
    out
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bin = match &args.bin {
        Some(b) => b.clone(),
        None => release_binary()?,
    };
    let dir = tempfile::tempdir()?;
    let cfg = Config {
        bin: &bin,
        data_dir: dir.path(),
        database_url: args.database_url.as_deref(),
        redis_url: args.redis_url.as_deref(),
    };
    let server = Server::start(&cfg).await?;
    let (fresh_rss, _) = server.rss_kib();
    println!(
        "started in {:.1} ms; RSS at start {} KiB",
        server.startup.as_secs_f64() * 1000.0,
        fresh_rss
    );
    let mut conn = Conn::new(&server.addr);
    let setup_started = Instant::now();
    let customers = Arc::new(setup(&mut conn, args.users).await?);
    let (idle_rss, _) = server.rss_kib();
    println!(
        "{} users funded and logged in in {:.1} s; idle RSS {} KiB",
        args.users,
        setup_started.elapsed().as_secs_f64(),
        idle_rss
    );

    let metrics = Call::get("/metrics");
    let before = conn
        .send(&metrics)
        .await
        .map(|a| a.text())
        .unwrap_or_default();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.duration);
    let tasks: Vec<_> = (0..args.concurrency)
        .map(|id| {
            tokio::spawn(worker(
                Conn::new(&server.addr),
                customers.clone(),
                deadline,
                args.mix,
                id,
            ))
        })
        .collect();
    let mut total = Results::default();
    for t in tasks {
        let r = t.await?;
        total.transfer.merge(r.transfer);
        total.accounts.merge(r.accounts);
        total.history.merge(r.history);
    }
    let seconds = started.elapsed().as_secs_f64();
    let after = conn
        .send(&metrics)
        .await
        .map(|a| a.text())
        .unwrap_or_default();
    let (_, peak_rss) = server.rss_kib();
    let mode = if args.database_url.is_some() {
        "external (PostgreSQL)"
    } else {
        "embedded (redb + moka)"
    };
    println!(
        "\n{mode}: {} connections for {seconds:.1} s",
        args.concurrency
    );
    println!("{}", total.transfer.line("transfers", seconds));
    println!("{}", total.accounts.line("accounts", seconds));
    println!("{}", total.history.line("history", seconds));
    let commits = metric(&after, "bankbox_store_commits_total")
        .saturating_sub(metric(&before, "bankbox_store_commits_total"));
    let writes = metric(&after, "bankbox_store_writes_total")
        .saturating_sub(metric(&before, "bankbox_store_writes_total"));
    if commits > 0 {
        println!(
            "group commit: {:.0} commits/s carrying {:.0} writes/s ({:.1} writes per durable commit)",
            commits as f64 / seconds,
            writes as f64 / seconds,
            writes as f64 / commits as f64
        );
    }
    println!(
        "server peak RSS {} KiB ({:.1} MiB)",
        peak_rss,
        peak_rss as f64 / 1024.0
    );
    server.stop()?;

    let mut verify = Command::new(&bin);
    verify
        .args(["verify", "--data-dir"])
        .arg(dir.path())
        .env("LOG_LEVEL", "warn");
    if let Some(u) = &args.database_url {
        verify.env("DATABASE_URL", u);
    }
    let audit = verify.output()?;
    print!("{}", String::from_utf8_lossy(&audit.stdout));
    if !audit.status.success() {
        bail!("bankbox verify failed: the ledger is not intact");
    }
    if args.database_url.is_none() {
        let size = std::fs::metadata(dir.path().join("bankbox.redb"))
            .map(|m| m.len())
            .unwrap_or(0);
        let again = Server::start(&cfg).await?;
        println!(
            "restart on the {:.1} MiB data file: ready in {:.1} ms",
            size as f64 / 1048576.0,
            again.startup.as_secs_f64() * 1000.0
        );
        again.stop()?;
    }
    // pgbench's script is a write: it compares with transfers only.
    if let Some(url) = args
        .database_url
        .as_ref()
        .filter(|_| args.mix.transfers > 0)
    {
        match pgbench::tps(url, args.concurrency, args.duration) {
            Ok(tps) => println!(
                "pgbench -M prepared -N, {} clients: {tps:.0} tps; bankbox transfers are {:.0}% of that",
                args.concurrency,
                100.0 * total.transfer.count() as f64 / seconds / tps
            ),
            Err(e) => println!("pgbench comparison skipped: {e:#}"),
        }
    }
    let errors: u64 = [&total.transfer, &total.accounts, &total.history]
        .iter()
        .map(|s| s.errors.values().sum::<u64>())
        .sum();
    // A run with failures measured something other than the bank working.
    if errors > 0 {
        bail!("{errors} requests failed (see the error counts above)");
    }
    Ok(())
}
