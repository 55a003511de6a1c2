//! redb allows one writer at a time, so every write goes through one thread that
//! drains its queue and applies many operations in one write transaction with
//! one durable commit (group commit). Each caller is answered only after that
//! commit, with its own result: a refused transfer fails alone, not its batch.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use redb::{Database, WriteTransaction};
use tokio::sync::{mpsc, oneshot};

use super::tables::db;
use crate::store::StoreError;

/// How many queued operations may share one commit. Bounds the latency a single
/// batch adds and the size of one transaction.
const MAX_BATCH: usize = 1024;

type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
/// An operation run inside the shared transaction. It returns whether it failed
/// in a way that poisons the transaction (storage errors) and how to answer its
/// caller once the commit's outcome is known.
type Job = Box<dyn FnOnce(&WriteTransaction) -> (bool, Completion) + Send>;

pub struct Writer {
    sender: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    pub counters: Arc<Counters>,
}

/// What group commit achieves: durable commits, and the writes they carried.
#[derive(Default)]
pub struct Counters {
    pub commits: AtomicU64,
    pub writes: AtomicU64,
}

impl Writer {
    pub fn start(database: Arc<Database>) -> Self {
        let (sender, receiver) = mpsc::channel(MAX_BATCH * 4);
        let counters = Arc::new(Counters::default());
        let shared = counters.clone();
        let thread = std::thread::Builder::new()
            .name("redb-writer".into())
            .spawn(move || run(&database, receiver, &shared))
            .expect("spawning the writer thread");
        Self {
            sender: Some(sender),
            thread: Some(thread),
            counters,
        }
    }

    /// Runs `op` in the next group commit and returns its result once durable.
    pub async fn run<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |txn| {
            let result = op(txn);
            let poisoned = matches!(
                result,
                Err(StoreError::Unavailable(_) | StoreError::Corrupt(_))
            );
            let complete: Completion = Box::new(move |commit| {
                let _ = reply.send(commit.and(result));
            });
            (poisoned, complete)
        });
        let not_applied = || StoreError::Unavailable("the write was not applied".into());
        let sender = self.sender.as_ref().ok_or_else(not_applied)?;
        sender.send(job).await.map_err(|_| not_applied())?;
        answer.await.map_err(|_| not_applied())?
    }
}

impl Drop for Writer {
    /// Lets the thread finish what is queued, then waits for it, so the database
    /// closes cleanly.
    fn drop(&mut self) {
        self.sender.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(database: &Database, mut queue: mpsc::Receiver<Job>, counters: &Counters) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.blocking_recv_many(&mut batch, MAX_BATCH) > 0 {
        let writes = batch.len() as u64;
        if commit_batch(database, batch.drain(..)) {
            counters.commits.fetch_add(1, Ordering::Relaxed);
            counters.writes.fetch_add(writes, Ordering::Relaxed);
        }
    }
}

/// Applies and commits one batch; returns whether it committed.
fn commit_batch(database: &Database, jobs: impl Iterator<Item = Job>) -> bool {
    let txn = match database.begin_write() {
        Ok(t) => t,
        Err(e) => {
            // Dropping the jobs answers each caller that its write was not applied.
            tracing::error!(error = %e, "cannot start a write transaction");
            return false;
        }
    };
    let mut completions = Vec::with_capacity(MAX_BATCH);
    let mut poisoned = false;
    for job in jobs {
        let (bad, complete) = job(&txn);
        poisoned |= bad;
        completions.push(complete);
    }
    let outcome = if poisoned {
        let _ = txn.abort();
        Err("a storage error aborted the batch".to_string())
    } else {
        txn.commit().map_err(|e| db(e).to_string())
    };
    if let Err(e) = &outcome {
        tracing::error!(error = %e, ops = completions.len(), "group commit failed");
    }
    let committed = outcome.is_ok();
    for complete in completions {
        complete(outcome.clone().map_err(StoreError::Unavailable));
    }
    committed
}
