//! Every adapter a conformance test runs against. redb and moka always;
//! PostgreSQL and Redis when TEST_DATABASE_URL / TEST_REDIS_URL are set. In CI
//! (CI=true) a missing variable fails the test instead of skipping it.

use std::sync::Arc;
use std::time::Duration;

use bankbox::cache::Cache;
use bankbox::cache::moka::MokaCache;
use bankbox::cache::redis::RedisCache;
use bankbox::store::postgres::PgStore;
use bankbox::store::redb::{FILE_NAME, REDO_FILE_NAME, RedbOptions, RedbStore};
use bankbox::store::{Record, Store};
use tempfile::TempDir;

/// The external server's URL, or None to skip locally. Panics in CI.
pub fn external(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{var} is not set: CI must run the external-adapter suites")
        }
        _ => {
            eprintln!("SKIPPED: {var} is not set");
            None
        }
    }
}

pub struct TestStore {
    pub store: Arc<dyn Store>,
    _dir: Option<TempDir>,
    database: Option<Database>,
}

impl TestStore {
    pub fn redb() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(RedbStore::open(dir.path(), &small_store()).unwrap());
        Self {
            store,
            _dir: Some(dir),
            database: None,
        }
    }

    /// redb that checkpoints only when it closes: every write lives in its
    /// redo log alone.
    pub fn redb_without_checkpoints() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let options = RedbOptions {
            checkpoint_every: Duration::from_secs(3600),
            ..small_store()
        };
        let store = Arc::new(RedbStore::open(dir.path(), &options).unwrap());
        Self {
            store,
            _dir: Some(dir),
            database: None,
        }
    }

    /// Opens a copy of the redb store's files as they are on disk now, as a
    /// crash would leave them, and checks it holds what the running store holds.
    pub async fn assert_crash_image_matches(&self) {
        let dir = self._dir.as_ref().expect("a redb store");
        let image = tempfile::tempdir().unwrap();
        for name in [FILE_NAME, REDO_FILE_NAME] {
            std::fs::copy(dir.path().join(name), image.path().join(name)).unwrap();
        }
        let copy: Arc<dyn Store> = Arc::new(RedbStore::open(image.path(), &small_store()).unwrap());
        assert_eq!(everything(&copy).await, everything(&self.store).await);
        let report = copy.verify().await.unwrap();
        assert!(report.is_ok(), "{:?}", report.problems);
    }

    /// A fresh, migrated database of its own on the test server.
    pub async fn postgres() -> Option<Self> {
        let db = Database::fresh().await?;
        let store = PgStore::new(&db.url, 8).unwrap();
        store.migrate().await.unwrap();
        Some(Self {
            store: Arc::new(store),
            _dir: None,
            database: Some(db),
        })
    }

    /// Drops the test database (a failed test leaves it for inspection).
    pub async fn cleanup(self) {
        let Self {
            store, database, ..
        } = self;
        drop(store);
        if let Some(db) = database {
            db.drop().await;
        }
    }
}

async fn everything(store: &Arc<dyn Store>) -> Vec<Record> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let export = store.export(tx);
    let collect = async {
        let mut records = Vec::new();
        while let Some(r) = rx.recv().await {
            records.push(r);
        }
        records
    };
    let (done, records) = tokio::join!(export, collect);
    done.unwrap();
    records
}

/// An empty database of one test's own on the test server.
pub struct Database {
    pub url: String,
    admin_url: String,
    name: String,
}

impl Database {
    pub async fn fresh() -> Option<Self> {
        let admin_url = external("TEST_DATABASE_URL")?;
        let name = format!("bankbox_test_{}", hex::encode(rand::random::<[u8; 6]>()));
        admin(&admin_url, &format!("CREATE DATABASE {name}")).await;
        Some(Self {
            url: with_database(&admin_url, &name),
            admin_url,
            name,
        })
    }

    pub async fn drop(self) {
        admin(
            &self.admin_url,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        )
        .await;
    }
}

/// A redb store with a small page cache, as tests open many at once.
pub fn small_store() -> RedbOptions {
    RedbOptions {
        cache_bytes: 8 << 20,
        ..Default::default()
    }
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

pub async fn admin(url: &str, sql: &str) {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let task = tokio::spawn(conn);
    client.batch_execute(sql).await.unwrap();
    drop(client);
    let _ = task.await;
}

pub fn moka(idle: Duration) -> Arc<dyn Cache> {
    Arc::new(MokaCache::new(idle, 1 << 20))
}

/// A Redis cache under a key prefix of its own.
pub fn redis(idle: Duration) -> Option<Arc<dyn Cache>> {
    let url = external("TEST_REDIS_URL")?;
    let prefix = format!("bankbox-test:{}:", hex::encode(rand::random::<[u8; 6]>()));
    Some(Arc::new(RedisCache::new(&url, &prefix, idle).unwrap()))
}

/// Expands test bodies `async fn name(store: Arc<dyn Store>)` into one test per
/// store adapter, so a new test cannot forget one.
#[macro_export]
macro_rules! store_tests {
    ($($name:ident),* $(,)?) => {
        mod redb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let t = $crate::backends::TestStore::redb();
                    super::$name(t.store.clone()).await;
                }
            )*
        }
        /// The same, then a crash image must reopen to the same state.
        mod redb_crash {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let t = $crate::backends::TestStore::redb_without_checkpoints();
                    super::$name(t.store.clone()).await;
                    t.assert_crash_image_matches().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(t) = $crate::backends::TestStore::postgres().await else { return };
                    super::$name(t.store.clone()).await;
                    t.cleanup().await;
                }
            )*
        }
    };
}

/// Expands `async fn name(make: fn(Duration) -> Arc<dyn Cache>)`-style bodies
/// into one test per cache adapter.
#[macro_export]
macro_rules! cache_tests {
    ($($name:ident),* $(,)?) => {
        mod moka {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(&|idle| Some($crate::backends::moka(idle))).await;
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::backends::redis(std::time::Duration::from_secs(1)).is_none() {
                        return;
                    }
                    super::$name(&$crate::backends::redis).await;
                }
            )*
        }
    };
}

#[test]
fn database_names_are_replaced() {
    assert_eq!(
        with_database("postgres://u:p@h:5/postgres", "x"),
        "postgres://u:p@h:5/x"
    );
    assert_eq!(
        with_database("postgres://h/db?sslmode=disable", "x"),
        "postgres://h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
}
