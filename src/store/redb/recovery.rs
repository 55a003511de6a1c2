//! Opening after a crash: redb comes back at its last checkpoint, and the redo
//! log's batches after it are applied again, in order, then checkpointed.

use redb::{Database, ReadableDatabase};

use super::op::Op;
use super::redo::Record;
use super::tables::{begin_durable, db, decode, redo_lsn, set_redo_lsn};
use crate::store::StoreError;

/// Applies the batches of `records` that the durable state lacks and returns
/// the sequence number of the last batch the store now includes.
pub fn replay(database: &Database, records: Vec<Record>) -> Result<u64, StoreError> {
    let durable = redo_lsn(&database.begin_read().map_err(db)?)?;
    // Records at or before the checkpoint are already in the file. After the
    // next batches, an older record (from before a rewind) ends the log.
    let mut pending = records.into_iter().skip_while(|r| r.lsn <= durable);
    let Some(first) = pending.next() else {
        return Ok(durable);
    };
    if first.lsn != durable + 1 {
        return Err(StoreError::Corrupt(format!(
            "the redo log continues at batch {} but the data file ends at batch {durable}; \
             the batches between are missing",
            first.lsn
        )));
    }
    let txn = begin_durable(database)?;
    let mut lsn = durable;
    let mut ops = 0;
    for record in std::iter::once(first).chain(pending) {
        if record.lsn != lsn + 1 {
            break;
        }
        for op in decode::<Vec<Op>>(&record.payload)? {
            op.apply(&txn).map_err(|e| {
                StoreError::Corrupt(format!(
                    "batch {} of the redo log no longer applies: {e}",
                    record.lsn
                ))
            })?;
            ops += 1;
        }
        lsn = record.lsn;
    }
    set_redo_lsn(&txn, lsn)?;
    txn.commit().map_err(db)?;
    tracing::warn!(
        batches = lsn - durable,
        ops,
        "replayed the redo log after an unclean shutdown"
    );
    Ok(lsn)
}
