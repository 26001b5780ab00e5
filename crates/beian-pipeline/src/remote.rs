//! A run whose directory is in object storage (`--out s3://…`): the run is written in a local
//! staging directory as on disk, and every completed file goes up as one object — a
//! checkpoint's `fetches` and `findings` parts before its `sites` part, `run.json` last — and
//! is then removed from staging, so that staging holds at most one checkpoint. Resuming tidies
//! the bucket by the rule the disk follows ([`beian_run::resume::tidy`]), brings down only
//! the `sites` parts (what the run has done) — and the other parts of a checkpoint that holds
//! rows the audit's own network lost, to take them out — and counts the other parts' rows
//! from their footers, read with ranged requests.

use std::path::{Path, PathBuf};

use beian_run::resume::{TAIL_GUESS, Tail, rows_from_tail, tidy};
use beian_run::{PartSink, RunCounts, Start, WriteError};
use beian_store::{HEARTBEAT, LockVersion, Remote, relative};
use tokio::task::JoinHandle;

use crate::job::JobError;

/// What [`prepare`] did: the objects brought down to staging, the unfinished parts removed
/// (their URLs), the rows of the parts left in the bucket, the lines to audit again, and the
/// lock's version (for the heartbeat).
pub(crate) struct Prepared {
    pub(crate) pulled: Vec<String>,
    pub(crate) removed: Vec<String>,
    pub(crate) earlier: RunCounts,
    /// Input lines the audit's own network had lost, taken out to be audited again.
    pub(crate) redone: Vec<u64>,
    pub(crate) held: LockVersion,
}

/// Takes the run's lock object and prepares staging for `start`: a new run needs an empty
/// prefix (or `overwrite` empties it); a resumed one is tidied and its `sites` and evidence
/// parts brought down.
pub(crate) async fn prepare(
    remote: &Remote,
    staging: &Path,
    start: &Start,
) -> Result<Prepared, JobError> {
    let held = remote.lock().await?;
    match open(remote, staging, start).await {
        Ok(o) => Ok(Prepared {
            pulled: o.pulled,
            removed: o.removed,
            earlier: o.earlier,
            redone: o.redone,
            held,
        }),
        Err(e) => {
            // Refused or failed: the lock is not kept for nothing.
            remote.unlock().await.ok();
            Err(e)
        }
    }
}

/// What [`open`] found and did.
#[derive(Default)]
struct Opened {
    pulled: Vec<String>,
    removed: Vec<String>,
    earlier: RunCounts,
    redone: Vec<u64>,
}

async fn open(remote: &Remote, staging: &Path, start: &Start) -> Result<Opened, JobError> {
    let existing: Vec<String> = remote
        .list()
        .await?
        .into_iter()
        .filter(|r| !beian_run::layout::is_lock(r))
        .collect();
    match start {
        Start::New { overwrite, .. } => {
            if !existing.is_empty() {
                if !overwrite {
                    return Err(WriteError::NotEmpty(remote.url()).into());
                }
                for rel in &existing {
                    remote.delete(rel).await?;
                }
            }
            Ok(Default::default())
        }
        Start::Resume { .. } => {
            let plan = tidy(existing.iter().map(String::as_str));
            let mut removed = Vec::new();
            for rel in &plan.unfinished {
                remote.delete(rel).await?;
                removed.push(format!("{}/{rel}", remote.url()));
            }
            // The evidence parts come down too, so that the writer describes them for
            // run.json (SHA-256, records) as it does those of a run on disk; they leave
            // staging with the sites parts.
            let pulled = remote
                .pull(staging, |rel| {
                    plan.sites.iter().chain(&plan.evidence).any(|s| s == rel)
                })
                .await?;
            let mut redone = Vec::new();
            for rel in pulled.iter().filter(|r| plan.sites.contains(r)) {
                redone.extend(redo(remote, staging, rel).await?);
            }
            // Counted after the lost rows left them.
            let mut earlier = RunCounts::default();
            for rel in &plan.kept {
                let rows = rows_of(remote, rel).await?;
                if rel.starts_with("fetches/") {
                    earlier.fetches += rows;
                } else {
                    earlier.findings += rows;
                }
            }
            Ok(Opened {
                pulled,
                removed,
                earlier,
                redone,
            })
        }
    }
}

/// Takes the rows the audit's own network lost out of the checkpoint whose `sites` part
/// (`rel`) was brought down to staging: its `fetches` and `findings` parts come down too, the
/// three are rewritten ([`beian_run::redo`]) and go back up in the order a checkpoint does,
/// `sites` last. Returns the lines to audit again.
async fn redo(remote: &Remote, staging: &Path, rel: &str) -> Result<Vec<u64>, JobError> {
    let lines = beian_run::redo::network_lines(&staging.join(rel))?;
    let Some(name) = rel.strip_prefix("sites/").filter(|_| !lines.is_empty()) else {
        return Ok(lines);
    };
    let others = [format!("fetches/{name}"), format!("findings/{name}")];
    let fetched = remote
        .pull(staging, |r| others.iter().any(|o| o == r))
        .await?;
    let n = beian_run::layout::part_number(name).unwrap_or_default();
    for file in beian_run::redo::drop_lines(staging, n, &lines)? {
        let rel = relative(staging, &file).unwrap_or_default();
        remote.put_file(&rel, &file).await?;
    }
    settle(staging, &fetched)?;
    Ok(lines)
}
/// The rows of the Parquet object `rel`, from its footer.
async fn rows_of(remote: &Remote, rel: &str) -> Result<u64, JobError> {
    let name = format!("{}/{rel}", remote.url());
    let mut len = TAIL_GUESS;
    loop {
        match rows_from_tail(&name, &remote.tail(rel, len).await?)? {
            Tail::Rows(n) => return Ok(n),
            // Asked once more with the footer's own length; a file shorter than its footer
            // says is damaged, and said so by the next read.
            Tail::Need(n) if n > len => len = n,
            Tail::Need(_) => {
                return Err(WriteError::Part {
                    path: name,
                    message: "shorter than its footer says".into(),
                }
                .into());
            }
        }
    }
}

/// After the writer has read the `sites` and evidence parts brought down, they leave staging.
pub(crate) fn settle(staging: &Path, pulled: &[String]) -> Result<(), JobError> {
    for rel in pulled {
        let local = staging.join(rel);
        std::fs::remove_file(&local).map_err(|source| WriteError::Io {
            path: local.display().to_string(),
            source,
        })?;
    }
    Ok(())
}

/// The writer's sink: uploads each completed file and removes it from staging. Runs on the
/// writer's own thread (blocking on the upload is its backpressure).
pub(crate) fn sink(remote: Remote, staging: PathBuf, rt: tokio::runtime::Handle) -> PartSink {
    Box::new(move |file: &Path| {
        let rel =
            relative(&staging, file).ok_or_else(|| "not in the staging directory".to_string())?;
        rt.block_on(remote.put_file(&rel, file))
            .map_err(|e| chain(&e))?;
        std::fs::remove_file(file).map_err(|e| e.to_string())
    })
}

/// An error with its sources, one line (`a: b: c`).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Renews the lock object every [`HEARTBEAT`] until aborted.
pub(crate) fn heartbeat(remote: Remote, mut held: LockVersion) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(HEARTBEAT).await;
            // A missed beat is tried again at the next; 90 s of them free the lock.
            if let Ok(v) = remote.renew(&held).await {
                held = v;
            }
        }
    })
}

/// The latest run of a history in object storage (`root`, a URL) that is not complete, as a
/// URL: by the history's rule over names and records ([`beian_run::history`]), the newest
/// date first, stopping at the first run that does not count.
pub async fn latest_incomplete(root: &str) -> Result<Option<String>, beian_store::StoreError> {
    use beian_run::history::{RunName, record_complete};
    use beian_run::layout::{RUN_DATE_KEY, RUN_RECORD, SUCCESS_RECORD, partition};
    let history = Remote::open(root)?;
    let mut dates = history.children().await?;
    dates.retain(|d| partition(d, RUN_DATE_KEY).is_some());
    dates.sort();
    for date in dates.iter().rev() {
        let day = history.join(date);
        let mut runs: Vec<(RunName, String)> = day
            .children()
            .await?
            .into_iter()
            .filter_map(|run| Some((RunName::parse(date, &run)?, run)))
            .collect();
        runs.sort();
        for (_, run) in runs.iter().rev() {
            let dir = day.join(run);
            // The record first: a finalized run is asked for only when it says nothing.
            let record = dir.get(RUN_RECORD).await?;
            let complete = record_complete(record.as_deref(), false)
                || dir.get(SUCCESS_RECORD).await?.is_some();
            if !complete {
                return Ok(Some(dir.url()));
            }
        }
    }
    Ok(None)
}
