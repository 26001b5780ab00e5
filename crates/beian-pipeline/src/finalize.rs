//! Finalizing a sharded run wherever it is: on disk, or in object storage, checked from a
//! local copy of each shard's record and `sites` parts, with its `_SUCCESS.json` put back
//! beside the shards ([`beian_run::finalize`] does the checking).

use std::io::BufReader;
use std::path::Path;

use beian_run::SuccessRecord;
use beian_run::finalize::FinalizeError;
use beian_run::layout::{RUN_RECORD, SITES, SUCCESS_RECORD};
use beian_store::{Remote, StoreError};

/// Finalizing failed.
#[derive(Debug, thiserror::Error)]
pub enum FinalizeRunError {
    /// The bucket could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A local directory for the copy could not be made.
    #[error("creating a local directory")]
    Local(#[source] std::io::Error),
    /// The input could not be opened.
    #[error("cannot open input {path}")]
    Open {
        /// The input.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The input could not be read.
    #[error("reading {path}")]
    Read {
        /// The input.
        path: String,
        /// Why.
        #[source]
        source: beian_input::ReadError,
    },
    /// The shards do not make a whole run. The message names the shards where they are (the
    /// run's URL, not the local copy's directory), so it says what `cause` says: `cause` is
    /// kept for the caller to act on, not as a source.
    #[error("finalizing {run}: {message}")]
    Refused {
        /// The run.
        run: String,
        /// What the check found.
        message: String,
        /// The check's error (boxed: it is large, and rare).
        cause: Box<FinalizeError>,
    },
}

/// Checks the sharded run `run` (a directory or an `s3://`/`gs://` URL) and writes its
/// `_SUCCESS.json` there; with `input`, every item line of the input must have a row.
pub async fn finalize_run(
    run: &Path,
    input: Option<&Path>,
) -> Result<SuccessRecord, FinalizeRunError> {
    let remote = match run.to_str().filter(|r| beian_store::is_remote(r)) {
        Some(url) => Some(Remote::open(url)?),
        None => None,
    };
    let copy = tempfile::Builder::new()
        .prefix("beian-finalize-")
        .tempdir()
        .map_err(FinalizeRunError::Local)?;
    let local = match &remote {
        Some(r) => {
            // Each shard's record and `sites` parts: what finalizing checks.
            r.pull(copy.path(), |rel| {
                rel.split_once('/').is_some_and(|(_, file)| {
                    file == RUN_RECORD || file.starts_with(&format!("{SITES}/"))
                })
            })
            .await?;
            copy.path().to_path_buf()
        }
        None => run.to_path_buf(),
    };
    let lines = match input {
        Some(path) => Some(input_lines(path)?),
        None => None,
    };
    let done = beian_run::finalize::finalize(&local, lines.as_deref()).map_err(|cause| {
        FinalizeRunError::Refused {
            run: run.display().to_string(),
            message: cause
                .to_string()
                .replace(&local.display().to_string(), &run.display().to_string()),
            cause: Box::new(cause),
        }
    })?;
    if let Some(r) = &remote {
        r.put_file(SUCCESS_RECORD, &local.join(SUCCESS_RECORD))
            .await?;
    }
    Ok(done)
}

/// The item lines of the input at `path` (the unsharded reader's: every line a row is owed
/// for).
fn input_lines(path: &Path) -> Result<Vec<u64>, FinalizeRunError> {
    let f = std::fs::File::open(path).map_err(|source| FinalizeRunError::Open {
        path: path.display().to_string(),
        source,
    })?;
    beian_input::Reader::new(BufReader::with_capacity(1 << 16, f))
        .map(|item| {
            item.map(|i| i.line)
                .map_err(|source| FinalizeRunError::Read {
                    path: path.display().to_string(),
                    source,
                })
        })
        .collect()
}
