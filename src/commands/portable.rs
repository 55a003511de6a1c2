//! `bankbox export` and `bankbox import`: a bank as portable, versioned JSON
//! lines, streamed. Line one is a header, then users, accounts and journal
//! entries one per line, and last a footer with the counts, so a truncated file
//! is detected. Sessions and idempotency keys are not moved.

use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use crate::store::{Record, Store};

const FORMAT: &str = "bankbox-export";
const VERSION: u32 = 1;
const BATCH: usize = 1000;

#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    exported_at: String,
    bankbox: String,
}

#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq, Eq)]
struct Counts {
    users: u64,
    accounts: u64,
    entries: u64,
}

impl Counts {
    fn add(&mut self, r: &Record) {
        match r {
            Record::User(_) => self.users += 1,
            Record::Account(_) => self.accounts += 1,
            Record::Entry(_) => self.entries += 1,
        }
    }

    fn total(&self) -> u64 {
        self.users + self.accounts + self.entries
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Footer {
    End(Counts),
}

/// A bar on a terminal; plain log lines every so often otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    verb: &'static str,
}

impl Progress {
    fn new(verb: &'static str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} {pos} records ({per_sec}) {elapsed}")
                    .expect("a valid template"),
            );
            bar.set_message(verb);
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self { bar, verb }
    }

    fn at(&self, done: u64) {
        match &self.bar {
            Some(bar) => bar.set_position(done),
            None if done % 10_000 == 0 => eprintln!("{} {done} records", self.verb),
            None => {}
        }
    }

    fn finish(&self, counts: &Counts) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        eprintln!(
            "{} {} users, {} accounts, {} entries",
            self.verb, counts.users, counts.accounts, counts.entries
        );
    }
}

pub async fn export(store: Arc<dyn Store>, output: &Path) -> anyhow::Result<ExitCode> {
    let to_stdout = output == Path::new("-");
    let sink: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(
            std::fs::File::create(output)
                .with_context(|| format!("cannot create {}", output.display()))?,
        )
    };
    let mut out = BufWriter::new(sink);
    let header = Header {
        format: FORMAT.into(),
        version: VERSION,
        exported_at: crate::clock::rfc3339(crate::clock::now_millis()),
        bankbox: env!("CARGO_PKG_VERSION").into(),
    };
    serde_json::to_writer(&mut out, &header)?;
    out.write_all(b"\n")?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(BATCH);
    let reader = tokio::spawn(async move { store.export(tx).await });
    let progress = Progress::new("exported");
    let mut counts = Counts::default();
    while let Some(record) = rx.recv().await {
        serde_json::to_writer(&mut out, &record)?;
        out.write_all(b"\n")?;
        counts.add(&record);
        progress.at(counts.total());
    }
    reader.await??;
    serde_json::to_writer(&mut out, &Footer::End(counts.clone()))?;
    out.write_all(b"\n")?;
    out.flush()?;
    drop(out);
    if !to_stdout {
        // A backup that is not on disk is not a backup.
        std::fs::File::open(output)?.sync_all()?;
    }
    progress.finish(&counts);
    Ok(ExitCode::SUCCESS)
}

pub async fn import(store: Arc<dyn Store>, input: &Path) -> anyhow::Result<ExitCode> {
    if !store.is_empty().await? {
        bail!("the target store already holds users or accounts; import needs an empty one");
    }
    let source: Box<dyn BufRead> = if input == Path::new("-") {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(input)
            .with_context(|| format!("cannot open {}", input.display()))?;
        Box::new(BufReader::new(file))
    };
    let mut lines = source.lines();
    let first = lines.next().context("the file is empty")??;
    let header: Header =
        serde_json::from_str(&first).context("line 1 is not a bankbox export header")?;
    if header.format != FORMAT {
        bail!("line 1: format {:?} is not {FORMAT:?}", header.format);
    }
    if header.version > VERSION {
        bail!(
            "export format version {} is newer than this bankbox understands ({VERSION})",
            header.version
        );
    }
    let progress = Progress::new("imported");
    let mut counts = Counts::default();
    let mut batch = Vec::with_capacity(BATCH);
    let mut footer = None;
    for (n, line) in lines.enumerate() {
        let line = line?;
        let number = n + 2;
        if footer.is_some() {
            bail!("line {number}: data after the end marker");
        }
        if let Ok(Footer::End(expected)) = serde_json::from_str::<Footer>(&line) {
            footer = Some(expected);
            continue;
        }
        let record: Record = serde_json::from_str(&line)
            .with_context(|| format!("line {number} is not a record"))?;
        counts.add(&record);
        batch.push(record);
        if batch.len() == BATCH {
            store
                .import(std::mem::take(&mut batch))
                .await
                .with_context(|| format!("importing up to line {number}"))?;
            progress.at(counts.total());
        }
    }
    if !batch.is_empty() {
        store
            .import(batch)
            .await
            .context("importing the last records")?;
    }
    progress.finish(&counts);
    match footer {
        None => bail!("the file ends without its end marker: it is truncated"),
        Some(expected) if expected != counts => {
            bail!("the end marker counts {expected:?} but the file held {counts:?}")
        }
        Some(_) => {}
    }
    super::verify_report(store.as_ref()).await
}
