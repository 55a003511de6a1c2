//! redb allows one writer at a time, so every write goes through one thread that
//! drains its queue and applies many operations in one write transaction
//! (group commit). A batch is durable once its operations are in the redo log;
//! redb commits it without syncing, and every checkpoint interval one commit is
//! durable, after which the log starts over. Each caller is answered only after
//! its batch is durable, with its own result: a refused transfer fails alone,
//! not its batch.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use redb::{Database, Durability, WriteTransaction};
use tokio::sync::{mpsc, oneshot};

use super::op::{Op, Outcome};
use super::redo::RedoLog;
use super::tables::{begin_durable, db, encode, set_redo_lsn};
use super::user_cache::UserCache;
use crate::domain::EntryId;
use crate::store::StoreError;

/// How many queued operations may share one commit. Bounds the latency a single
/// batch adds and the size of one transaction.
const MAX_BATCH: usize = 1024;
/// A checkpoint also comes when the log holds this much, which bounds what a
/// restart after a crash replays.
const LOG_LIMIT: u64 = 16 << 20;

struct Job {
    op: Op,
    reply: oneshot::Sender<Result<Outcome, StoreError>>,
}

pub struct Writer {
    sender: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    pub counters: Arc<Counters>,
    failed: Arc<OnceLock<String>>,
}

/// What group commit achieves: batches made durable, the writes they carried,
/// and the checkpoints behind them.
#[derive(Default)]
pub struct Counters {
    pub commits: AtomicU64,
    pub writes: AtomicU64,
    pub checkpoints: AtomicU64,
}

/// The writer thread's state.
struct Batcher {
    database: Arc<Database>,
    log: RedoLog,
    /// Sequence number of the last logged batch.
    lsn: u64,
    checkpoint_every: Duration,
    last_checkpoint: Instant,
    /// Set when the log could not be written or a logged batch not committed:
    /// from then on every write is refused until a restart.
    failed: Arc<OnceLock<String>>,
    counters: Arc<Counters>,
    /// Told of every user a commit changed, before the callers are answered.
    users: Arc<UserCache>,
    /// The newest entry id given out, which the next one must sort after.
    last_entry: EntryId,
}

impl Writer {
    /// Starts the writer on a database whose durable state already includes
    /// every record of `log` up to `lsn` (see `recovery`).
    pub fn start(
        database: Arc<Database>,
        log: RedoLog,
        lsn: u64,
        checkpoint_every: Duration,
        users: Arc<UserCache>,
    ) -> Self {
        let (sender, receiver) = mpsc::channel(MAX_BATCH * 4);
        let counters = Arc::new(Counters::default());
        let failed = Arc::new(OnceLock::new());
        let batcher = Batcher {
            database,
            log,
            lsn,
            checkpoint_every,
            last_checkpoint: Instant::now(),
            failed: failed.clone(),
            counters: counters.clone(),
            users,
            last_entry: EntryId(uuid::Uuid::nil()),
        };
        let thread = std::thread::Builder::new()
            .name("redb-writer".into())
            .spawn(move || batcher.run(receiver))
            .expect("spawning the writer thread");
        Self {
            sender: Some(sender),
            thread: Some(thread),
            counters,
            failed,
        }
    }

    /// Why the writer stopped taking writes, if it has.
    pub fn failure(&self) -> Option<&str> {
        self.failed.get().map(String::as_str)
    }

    /// Applies `op` in the next group commit and returns its outcome once durable.
    pub async fn run(&self, op: Op) -> Result<Outcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        let not_applied = || StoreError::Unavailable("the write was not applied".into());
        let sender = self.sender.as_ref().ok_or_else(not_applied)?;
        sender
            .send(Job { op, reply })
            .await
            .map_err(|_| not_applied())?;
        answer.await.map_err(|_| not_applied())?
    }
}

impl Drop for Writer {
    /// Lets the thread finish what is queued and checkpoint, then waits for it,
    /// so the database closes cleanly with an empty log.
    fn drop(&mut self) {
        self.sender.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Batcher {
    fn run(mut self, mut queue: mpsc::Receiver<Job>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while queue.blocking_recv_many(&mut batch, MAX_BATCH) > 0 {
            self.commit(&mut batch);
        }
        if self.failed.get().is_none() {
            let closed = begin_durable(&self.database)
                .map_err(|e| e.to_string())
                .and_then(|txn| self.commit_durably(txn))
                .and_then(|()| self.log.clear().map_err(|e| e.to_string()));
            if let Err(e) = closed {
                tracing::error!(error = %e, "final checkpoint failed; the redo log will be replayed");
            }
        }
    }

    /// Applies, logs and commits one batch, then answers its callers.
    fn commit(&mut self, jobs: &mut Vec<Job>) {
        if let Some(why) = self.failed.get() {
            return answer_all(jobs, why);
        }
        for entry in jobs.iter_mut().filter_map(|j| j.op.entry_made_now()) {
            *entry = entry.after(self.last_entry);
            self.last_entry = *entry;
        }
        let outcomes = match self.apply_and_commit(jobs) {
            Ok(outcomes) => outcomes,
            Err(e) => {
                tracing::error!(error = %e, ops = jobs.len(), "group commit failed");
                return answer_all(jobs, &e);
            }
        };
        self.counters.commits.fetch_add(1, Ordering::Relaxed);
        self.counters
            .writes
            .fetch_add(jobs.len() as u64, Ordering::Relaxed);
        for (job, _) in jobs.iter().zip(&outcomes).filter(|(_, o)| o.is_ok()) {
            for id in job.op.users_written() {
                self.users.changed(id);
            }
        }
        for (job, outcome) in jobs.drain(..).zip(outcomes) {
            let _ = job.reply.send(outcome);
        }
    }

    fn apply_and_commit(
        &mut self,
        jobs: &[Job],
    ) -> Result<Vec<Result<Outcome, StoreError>>, String> {
        let checkpoint =
            self.last_checkpoint.elapsed() >= self.checkpoint_every || self.log.len() >= LOG_LIMIT;
        // After an I/O error redb takes no more writes until it is reopened, so a
        // storage error stops the writer; a restart reopens it and replays the
        // log. A record that does not decode (`Corrupt`) fails its batch alone.
        let txn = if checkpoint {
            begin_durable(&self.database)
        } else {
            self.database.begin_write().map_err(db)
        }
        .map_err(|e| self.fail(format!("cannot begin a write: {e}")))?;
        let outcomes: Vec<_> = jobs.iter().map(|j| j.op.apply(&txn)).collect();
        if let Some(Err(e)) = outcomes
            .iter()
            .find(|o| matches!(o, Err(StoreError::Unavailable(_) | StoreError::Corrupt(_))))
        {
            let why = format!("a storage error aborted the batch: {e}");
            let _ = txn.abort();
            return Err(match e {
                StoreError::Unavailable(_) => self.fail(why),
                _ => why,
            });
        }
        // A refused operation wrote nothing (see `ops`), so only applied ones are logged.
        let applied: Vec<&Op> = jobs
            .iter()
            .zip(&outcomes)
            .filter(|(_, o)| o.is_ok())
            .map(|(j, _)| &j.op)
            .collect();
        if !applied.is_empty() {
            let payload = encode(&applied).map_err(|e| e.to_string())?;
            if let Err(e) = self.log.append(self.lsn + 1, &payload) {
                let _ = txn.abort();
                return Err(self.fail(format!("cannot write the redo log: {e}")));
            }
            self.lsn += 1;
        }
        let committed = if checkpoint {
            self.commit_durably(txn)
        } else {
            commit_in_memory(txn)
        };
        // The log holds the batch: after a failed commit only a restart, which
        // replays the log, brings the store and the log back in step.
        committed.map_err(|e| self.fail(format!("commit failed after logging: {e}")))?;
        Ok(outcomes)
    }

    /// A durable commit that also records how far the log is applied; the log
    /// then starts over.
    fn commit_durably(&mut self, txn: WriteTransaction) -> Result<(), String> {
        set_redo_lsn(&txn, self.lsn).map_err(|e| e.to_string())?;
        txn.commit().map_err(|e| db(e).to_string())?;
        self.log.rewind();
        self.last_checkpoint = Instant::now();
        self.counters.checkpoints.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn fail(&mut self, why: String) -> String {
        tracing::error!(error = %why, "the writer stops taking writes until a restart");
        let why = format!("{why}; restart bankbox to replay the redo log");
        self.failed.get_or_init(|| why).clone()
    }
}

fn commit_in_memory(mut txn: WriteTransaction) -> Result<(), String> {
    txn.set_durability(Durability::None)
        .map_err(|e| e.to_string())?;
    txn.commit().map_err(|e| db(e).to_string())
}

fn answer_all(jobs: &mut Vec<Job>, why: &str) {
    for job in jobs.drain(..) {
        let _ = job
            .reply
            .send(Err(StoreError::Unavailable(why.to_string())));
    }
}
