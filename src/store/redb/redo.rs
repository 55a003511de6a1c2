//! The redo log, `DATA_DIR/bankbox.redo`: what makes a commit durable between
//! checkpoints. A commit of redb writes and syncs every page it copied (about
//! four per transfer); a record here is one sequential write and one
//! `fdatasync` of a page or two for a whole batch. The writer appends a batch's
//! operations before it commits them to redb without syncing, and every
//! checkpoint (a durable redb commit) makes the records before it unneeded.
//!
//! A record is `len: u32 | crc32(lsn, payload): u32 | lsn: u64 | payload`, in
//! little endian. After a checkpoint the writer starts again at offset 0 and
//! overwrites blocks the file already has, so a sync writes data, not file
//! metadata. What follows the last record written since is either a torn
//! record (its checksum fails) or an older record (its sequence number is not
//! the next one); reading stops at either.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;

const HEADER: usize = 16;

pub struct RedoLog {
    file: File,
    /// Where the next record goes.
    end: u64,
}

/// One batch of operations as the writer logged it.
#[derive(Debug, PartialEq, Eq)]
pub struct Record {
    pub lsn: u64,
    pub payload: Vec<u8>,
}

impl RedoLog {
    /// Opens (or creates) the log and reads every intact record from its start.
    /// The next append overwrites them: the caller checkpoints what it needs first.
    pub fn open(path: &Path) -> io::Result<(Self, Vec<Record>)> {
        let created = !path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        if created {
            // The file's name must survive a crash as surely as its records.
            if let Some(dir) = path.parent() {
                File::open(dir)?.sync_all()?;
            }
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok((Self { file, end: 0 }, parse(&bytes)))
    }

    /// Writes one record and waits until it is on disk.
    pub fn append(&mut self, lsn: u64, payload: &[u8]) -> io::Result<()> {
        let len = u32::try_from(payload.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "record over 4 GiB"))?;
        let mut buf = Vec::with_capacity(HEADER + payload.len());
        buf.extend_from_slice(&len.to_le_bytes());
        buf.extend_from_slice(&checksum(lsn, payload).to_le_bytes());
        buf.extend_from_slice(&lsn.to_le_bytes());
        buf.extend_from_slice(payload);
        self.file.write_all_at(&buf, self.end)?;
        self.file.sync_data()?;
        self.end += buf.len() as u64;
        Ok(())
    }

    /// Bytes appended since the last rewind.
    pub fn len(&self) -> u64 {
        self.end
    }

    /// Starts over at offset 0: everything logged so far is checkpointed.
    pub fn rewind(&mut self) {
        self.end = 0;
    }

    /// Empties the file, for a clean shutdown after the last checkpoint.
    pub fn clear(&mut self) -> io::Result<()> {
        self.file.set_len(0)?;
        self.file.sync_all()?;
        self.end = 0;
        Ok(())
    }
}

fn checksum(lsn: u64, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&lsn.to_le_bytes());
    h.update(payload);
    h.finalize()
}

/// The intact records from the start of `bytes`, up to the first torn one.
fn parse(bytes: &[u8]) -> Vec<Record> {
    let mut records = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + HEADER) {
        let field = |i: usize| header[i..i + 4].try_into().expect("4 bytes");
        let len = u32::from_le_bytes(field(0)) as usize;
        let crc = u32::from_le_bytes(field(4));
        let lsn = u64::from_le_bytes(header[8..16].try_into().expect("8 bytes"));
        let Some(payload) = bytes.get(at + HEADER..at + HEADER + len) else {
            break;
        };
        if checksum(lsn, payload) != crc {
            break;
        }
        records.push(Record {
            lsn,
            payload: payload.to_vec(),
        });
        at += HEADER + len;
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(dir: &Path) -> (RedoLog, Vec<Record>) {
        RedoLog::open(&dir.join("test.redo")).unwrap()
    }

    fn lsns(records: &[Record]) -> Vec<u64> {
        records.iter().map(|r| r.lsn).collect()
    }

    #[test]
    fn records_come_back_in_order_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let (mut l, found) = log(dir.path());
        assert!(found.is_empty());
        l.append(1, b"first").unwrap();
        l.append(2, b"").unwrap();
        l.append(3, &[7; 5000]).unwrap();
        drop(l);
        let (_, found) = log(dir.path());
        assert_eq!(lsns(&found), [1, 2, 3]);
        assert_eq!(found[0].payload, b"first");
        assert_eq!(found[2].payload, vec![7; 5000]);
    }

    #[test]
    fn a_torn_or_corrupted_record_ends_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.redo");
        let (mut l, _) = log(dir.path());
        l.append(1, b"kept").unwrap();
        l.append(2, b"torn by a crash").unwrap();
        drop(l);
        let full = std::fs::read(&path).unwrap();
        // Cut inside the second record.
        std::fs::write(&path, &full[..full.len() - 3]).unwrap();
        assert_eq!(lsns(&log(dir.path()).1), [1]);
        // A flipped bit in the second record's payload.
        let mut flipped = full.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        std::fs::write(&path, &flipped).unwrap();
        assert_eq!(lsns(&log(dir.path()).1), [1]);
        // A flipped bit in the first record's sequence number.
        let mut flipped = full;
        flipped[8] ^= 1;
        std::fs::write(&path, &flipped).unwrap();
        assert!(log(dir.path()).1.is_empty());
    }

    #[test]
    fn after_a_rewind_new_records_overwrite_old_ones_and_old_tails_stay_readable() {
        let dir = tempfile::tempdir().unwrap();
        let (mut l, _) = log(dir.path());
        l.append(1, &[1; 100]).unwrap();
        l.append(2, &[2; 100]).unwrap();
        l.append(3, &[3; 100]).unwrap();
        l.rewind();
        assert_eq!(l.len(), 0);
        // Same size as record 1: record 2 of the old cycle follows, intact.
        l.append(4, &[4; 100]).unwrap();
        drop(l);
        let (mut l, found) = log(dir.path());
        assert_eq!(lsns(&found), [4, 2, 3], "the reader decides what is stale");
        // A longer record covers the start of the old ones: their tail is garbage.
        l.append(5, &[5; 150]).unwrap();
        drop(l);
        assert_eq!(lsns(&log(dir.path()).1), [5]);
    }

    #[test]
    fn clear_empties_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let (mut l, _) = log(dir.path());
        l.append(1, b"x").unwrap();
        l.clear().unwrap();
        drop(l);
        assert!(log(dir.path()).1.is_empty());
        assert_eq!(
            std::fs::metadata(dir.path().join("test.redo"))
                .unwrap()
                .len(),
            0
        );
    }
}
