//! A run whose directory is in object storage (`--out s3://…`): the run is written in a local
//! staging directory as on disk, and every completed file goes up as one object — a
//! checkpoint's `fetches` and `findings` parts before its `sites` part, `run.json` last — and
//! is then removed from staging, so that staging holds at most one checkpoint. Resuming brings
//! the run's objects down first and, once the writer has tidied them, removes from the bucket
//! what it removed (an unfinished checkpoint's parts).

use std::path::{Path, PathBuf};

use beian_parquet::{PartSink, Start, WriteError};
use beian_store::{HEARTBEAT, LockVersion, Remote, relative};
use tokio::task::JoinHandle;

use crate::job::JobError;

/// Takes the run's lock object and prepares staging for `start`: a new run needs an empty
/// prefix (or `overwrite` empties it); a resumed one has its objects brought down. Returns
/// the objects brought down and the lock's version (for the heartbeat).
pub(crate) async fn prepare(
    remote: &Remote,
    staging: &Path,
    start: &Start,
) -> Result<(Vec<String>, LockVersion), JobError> {
    let held = remote.lock().await?;
    match open(remote, staging, start).await {
        Ok(pulled) => Ok((pulled, held)),
        Err(e) => {
            // Refused or failed: the lock is not kept for nothing.
            remote.unlock().await.ok();
            Err(e)
        }
    }
}

/// The tables' objects: what a resumed run needs brought down (not `run.json`, which the
/// run writes anew, nor a report written beside the run).
fn is_table(rel: &str) -> bool {
    ["sites/", "fetches/", "findings/"]
        .iter()
        .any(|t| rel.starts_with(t))
}

async fn open(remote: &Remote, staging: &Path, start: &Start) -> Result<Vec<String>, JobError> {
    let existing: Vec<String> = remote
        .list()
        .await?
        .into_iter()
        .filter(|r| !r.starts_with(".lock"))
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
            Ok(Vec::new())
        }
        Start::Resume { .. } => Ok(remote.pull(staging, is_table).await?),
    }
}

/// After the writer opened staging (and tidied a resumed run): the objects whose files it
/// removed are removed from the bucket too, and the files brought down leave staging (the
/// writer has read what it needs of them).
pub(crate) async fn settle(
    remote: &Remote,
    staging: &Path,
    pulled: &[String],
) -> Result<(), JobError> {
    for rel in pulled {
        let local = staging.join(rel);
        if local.exists() {
            std::fs::remove_file(&local).map_err(|source| WriteError::Io {
                path: local.display().to_string(),
                source,
            })?;
        } else {
            remote.delete(rel).await?;
        }
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
