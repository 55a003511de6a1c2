//! A disk that refuses a write (here the file-size limit, which fails writes
//! with EFBIG as a full disk fails them with ENOSPC): the embedded store stops
//! taking writes, says so on /ready and /health, keeps serving reads, and after
//! a restart has every acknowledged transfer and no other.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::child::*;

const FUNDS: i64 = 1_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_disk_write_stops_writes_and_loses_nothing() {
    let data = tempfile::tempdir().unwrap();
    // No checkpoint, so the redo log only grows and soon meets the limit.
    let env = [
        ("BANKBOX_DB_CHECKPOINT_MS", "3600000"),
        ("LOG_LEVEL", "warn"),
    ];
    let mut server = Server::start_env(data.path(), &env).await;
    let api = Api::of(&server);
    let admin = api.token("admin", ADMIN_PASSWORD).await;
    let (from, _) = api.register("payer", "payer-password").await;
    let (to, to_number) = api.register("payee", "payee-password").await;
    let payer = api.token("payer", "payer-password").await;
    let r = api
        .post(
            "/api/admin/deposits",
            Some(&admin),
            json!({ "account": from, "amount": FUNDS }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    // Below the data file's size: redb cannot write its pages, the redo log
    // soon cannot grow.
    let size = |p: &std::path::Path| std::fs::metadata(p).unwrap().len();
    let redo = size(&data.path().join("bankbox.redo"));
    limit_file_size(
        server.child.0.id(),
        redo.max(size(&server.log)) + (16 << 10),
    );

    let transfer = |key: String| {
        let (api, payer, to_number) = (api.clone(), payer.clone(), to_number.clone());
        let body = json!({ "from_account": from, "to_account": to_number, "amount": 1 });
        async move {
            api.try_send(
                Method::POST,
                "/api/transactions",
                Some(&payer),
                Some(&body),
                Some(&key),
            )
            .await
            .unwrap()
        }
    };
    let ready = || async {
        api.try_send(Method::GET, "/ready", None, None, None)
            .await
            .unwrap()
    };
    // Until the store stops: a refused write may have been applied or not,
    // so its key is kept for a retry.
    let (mut acknowledged, mut unknown) = (0, Vec::new());
    for i in 0.. {
        assert!(i < 5_000, "the store never stopped");
        let key = format!("t{i}");
        let r = transfer(key.clone()).await;
        if r.status == StatusCode::CREATED {
            acknowledged += 1;
            continue;
        }
        if r.status != StatusCode::SERVICE_UNAVAILABLE {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            panic!("{:?}\n{}", r.body, server.stderr());
        }
        unknown.push(key);
        if ready().await.status != StatusCode::OK {
            break;
        }
    }

    // Stopped: said on the probes, refused for new writes, reads still served.
    let stopped = ready().await;
    assert_eq!(stopped.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(stopped.body["code"], "store_stopped", "{:?}", stopped.body);
    let health = api
        .try_send(Method::GET, "/health", None, None, None)
        .await
        .unwrap();
    assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(health.body["components"]["store"]["status"], "down");
    assert_eq!(
        transfer("after".into()).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let balance = |r: crate::child::Reply| r.body["balance"].as_i64().unwrap();
    let payer_account = api.get(&format!("/api/accounts/{from}"), &payer).await;
    assert_eq!(balance(payer_account), FUNDS - acknowledged);
    eprintln!("{acknowledged} acknowledged, {} refused", unknown.len());

    // A restart (without the limit) replays the log: the acknowledged
    // transfers are there, and a retry of each refused one with its key
    // settles it exactly once.
    server.stop().await;
    let mut server = Server::start_env(data.path(), &env).await;
    let api = Api::of(&server);
    let payer = api.token("payer", "payer-password").await;
    let payee = api.token("payee", "payee-password").await;
    for key in &unknown {
        let retried = api
            .try_send(
                Method::POST,
                "/api/transactions",
                Some(&payer),
                Some(&json!({ "from_account": from, "to_account": to_number, "amount": 1 })),
                Some(key),
            )
            .await
            .unwrap();
        assert_eq!(retried.status, StatusCode::CREATED, "{:?}", retried.body);
    }
    let settled = acknowledged + unknown.len() as i64;
    let payer_account = api.get(&format!("/api/accounts/{from}"), &payer).await;
    let payee_account = api.get(&format!("/api/accounts/{to}"), &payee).await;
    assert_eq!(
        (balance(payer_account), balance(payee_account)),
        (FUNDS - settled, settled)
    );
    let after = api
        .try_send(Method::GET, "/ready", None, None, None)
        .await
        .unwrap();
    assert_eq!(after.status, StatusCode::OK);
    server.stop().await;
    assert_ledger_ok(data.path());
}

/// Lowers a running process's file-size limit.
fn limit_file_size(pid: u32, bytes: u64) {
    let limit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: bytes,
    };
    // SAFETY: prlimit reads `limit` and writes nothing through the null pointer.
    let rc = unsafe {
        libc::prlimit(
            pid as libc::pid_t,
            libc::RLIMIT_FSIZE,
            &limit,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
}
