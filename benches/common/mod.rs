//! Shared set-up for the benchmarks: a redb store on a real disk (not tmpfs, so
//! commits pay for their fsync), funded accounts, a logged-in caller.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use bankbox::domain::{
    Account, AccountKind, AccountNumber, Amount, Currency, Email, EntryKind, Posting, Role, User,
    UserId, Username,
};
use bankbox::store::Store;
use bankbox::store::redb::RedbStore;
use criterion::Criterion;

pub fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

pub fn store() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let store: Arc<dyn Store> = Arc::new(RedbStore::open(dir.path(), &Default::default()).unwrap());
    (store, dir)
}

pub fn posting(from: &Account, to: &Account, amount: i64) -> Posting {
    Posting {
        kind: EntryKind::Transfer,
        debit: from.id,
        credit: to.id,
        amount: Amount::new(amount).unwrap(),
        description: "bench".into(),
        created_by: None,
        at: None,
    }
}

/// `n` users with one account each holding `funds`.
pub async fn accounts(store: &Arc<dyn Store>, n: usize, funds: i64) -> Vec<Account> {
    let cash = store.system_account(Currency::EUR).await.unwrap();
    let mut out = Vec::new();
    for i in 0..n {
        let user = User {
            id: UserId::new(),
            username: Username::parse(&format!("bench{i}")).unwrap(),
            email: Email::parse("bench@example.com").unwrap(),
            password_hash: String::new(),
            role: Role::User,
            created_at: 0,
            disabled: false,
        };
        let account = Account::new(
            Some(user.id),
            "bench",
            AccountNumber::from_body(rand::random()),
            AccountKind::Checking,
            Currency::EUR,
            "Checking",
            0,
        );
        store
            .create_user(user, vec![account.clone()])
            .await
            .unwrap();
        store
            .post(
                Posting {
                    kind: EntryKind::Deposit,
                    ..posting(&cash, &account, funds)
                },
                None,
            )
            .await
            .unwrap()
            .result
            .unwrap();
        out.push(store.account(account.id).await.unwrap().unwrap());
    }
    out
}

/// A full application state over a fresh store, with `admin` logged in and a
/// second customer to pay.
pub struct App {
    pub state: bankbox::app::AppState,
    pub token: String,
    pub session: String,
    pub from: Account,
    pub to: Account,
    pub _dir: tempfile::TempDir,
}

pub async fn app() -> App {
    let (store, dir) = store();
    let cache = bankbox::app::open_cache(
        &bankbox::config::CacheConfig::Embedded { max_bytes: 8 << 20 },
        Duration::from_secs(1800),
    )
    .unwrap();
    let settings = bankbox::config::ServeSettings {
        environment: bankbox::cli::Environment::Production,
        jwt_secret: None,
        open_registration: true,
        admin_password: Some("bench-admin-password".into()),
        session_idle: Duration::from_secs(1800),
        session_max: Duration::from_secs(12 * 3600),
        default_currency: Currency::EUR,
        hash_threads: 2,
        shutdown_timeout: Duration::from_secs(5),
        cache_bytes: 8 << 20,
        secure_cookies: false,
    };
    let state = bankbox::app::build(store.clone(), cache, settings)
        .await
        .unwrap();
    let login = state
        .auth
        .login("admin", "bench-admin-password")
        .await
        .unwrap();
    let from = store.accounts_of(login.user.id).await.unwrap().remove(0);
    let cash = store.system_account(Currency::EUR).await.unwrap();
    store
        .post(
            Posting {
                kind: EntryKind::Deposit,
                ..posting(&cash, &from, i64::MAX / 2)
            },
            None,
        )
        .await
        .unwrap()
        .result
        .unwrap();
    let to = accounts(&store, 1, 1).await.remove(0);
    App {
        token: login.token,
        session: login.session.id,
        state,
        from,
        to,
        _dir: dir,
    }
}
