//! Finalizing a sharded run (docs/SHARDS.md): every shard `shard=NNNN/` of the run directory
//! completed, under one run id and one shard count, and the shards' `sites` tables hold each
//! input line exactly once (every line of the input, when its lines are given); then
//! `_SUCCESS.json` is written last, so that its presence means a whole run that readers
//! (`beian report`, a history) read as one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::layout::{RUN_RECORD, SHARD_KEY, SITES, SUCCESS_RECORD};
use crate::record::{read_json, write_json};
use crate::{
    RecordError, RenderRecord, RowCounts, RunRecord, SCHEMA_VERSION, ShardEntry, SuccessRecord,
    WriteError, io, read,
};

/// Why a sharded run cannot be finalized.
#[derive(Debug, thiserror::Error)]
pub enum FinalizeError {
    /// Reading or writing the run failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// No `shard=NNNN/` directory.
    #[error("{0} holds no shard directories (shard=NNNN/): not a sharded run")]
    NoShards(String),
    /// A shard's `run.json` is missing or unreadable.
    #[error("{shard}: no readable run.json ({reason}): the shard did not finish")]
    NoRecord {
        /// The shard's directory.
        shard: String,
        /// Why.
        reason: String,
    },
    /// A shard stopped before its end.
    #[error("{0}: the shard did not complete (interrupted)")]
    Incomplete(String),
    /// The shards disagree on the run or the shard count.
    #[error("{shard}: {what} is {found}, other shards say {want}")]
    Mismatch {
        /// The shard's directory.
        shard: String,
        /// What differs.
        what: &'static str,
        /// Its value.
        found: String,
        /// The others'.
        want: String,
    },
    /// Shards are missing.
    #[error("{dir}: shard {missing:?} of {count} missing")]
    Missing {
        /// The run directory.
        dir: String,
        /// Missing indexes.
        missing: Vec<u32>,
        /// The shard count.
        count: u32,
    },
    /// Input lines have more than one row.
    #[error("{dir}: input lines with more than one sites row across shards: {lines:?}")]
    Repeated {
        /// The run directory.
        dir: String,
        /// The first few.
        lines: Vec<u64>,
    },
    /// Input lines have no row.
    #[error("{dir}: {count} input lines have no sites row in any shard, first {lines:?}")]
    Unaudited {
        /// The run directory.
        dir: String,
        /// How many.
        count: usize,
        /// The first few.
        lines: Vec<u64>,
    },
}

/// The `shard=NNNN` directories of a run directory with their indexes, in order.
pub fn shard_dirs(dir: &Path) -> Result<Vec<(u32, PathBuf)>, WriteError> {
    let mut out: Vec<(u32, PathBuf)> = crate::history::partitions(dir, SHARD_KEY)?
        .into_iter()
        .filter_map(|(path, index)| index.parse::<u32>().ok().map(|i| (i, path)))
        .collect();
    out.sort();
    Ok(out)
}

/// Checks the sharded run in `dir` and writes its `_SUCCESS.json`; returns what it wrote.
/// With `input_lines` (the input's item lines, from the unsharded reader), every one must have
/// a row.
pub fn finalize(dir: &Path, input_lines: Option<&[u64]>) -> Result<SuccessRecord, FinalizeError> {
    let shards = shard_dirs(dir)?;
    if shards.is_empty() {
        return Err(FinalizeError::NoShards(dir.display().to_string()));
    }
    let mut count: Option<u32> = None;
    let mut run_id: Option<String> = None;
    let mut first: Option<RunRecord> = None;
    let mut listed = Vec::new();
    let mut status: BTreeMap<String, u64> = BTreeMap::new();
    let mut rows = RowCounts::default();
    let mut lines: Vec<u64> = Vec::new();
    let mut render: Option<RenderRecord> = None;
    for (index, shard) in &shards {
        let name = shard.display().to_string();
        let record: RunRecord =
            read_json(&shard.join(RUN_RECORD)).map_err(|e| FinalizeError::NoRecord {
                shard: name.clone(),
                reason: match &e {
                    RecordError::Io { source, .. } => source.to_string(),
                    RecordError::Format { source, .. } => source.to_string(),
                    RecordError::NotFinalized(_) => e.to_string(),
                },
            })?;
        if record.complete != Some(true) {
            return Err(FinalizeError::Incomplete(name));
        }
        let n = record.shard.map_or(1, |s| s.count);
        agree(&name, "the shard count", &mut count, n)?;
        agree(&name, "the run id", &mut run_id, record.run_id.clone())?;
        for (k, v) in &record.status {
            *status.entry(k.clone()).or_default() += v;
        }
        rows += record.rows;
        if let Some(r) = &record.render {
            match &mut render {
                Some(run) => run.add(r),
                None => render = Some(r.clone()),
            }
        }
        let before = lines.len();
        let table = shard.join(SITES);
        for part in crate::part_files(&table).map_err(io(&table))? {
            lines.extend(read::sites_lines(&part)?.lines);
        }
        listed.push(ShardEntry {
            index: *index,
            dir: shard.file_name().map(|n| n.to_string_lossy().into_owned()),
            sites: (lines.len() - before) as u64,
            status: record.status.clone(),
        });
        first.get_or_insert(record);
    }
    let count = count.unwrap_or(1);
    let missing: Vec<u32> = (0..count)
        .filter(|i| !shards.iter().any(|(s, _)| s == i))
        .collect();
    if !missing.is_empty() {
        return Err(FinalizeError::Missing {
            dir: dir.display().to_string(),
            missing,
            count,
        });
    }
    lines.sort_unstable();
    let mut repeated: Vec<u64> = lines
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0])
        .collect();
    repeated.dedup();
    if !repeated.is_empty() {
        repeated.truncate(10);
        return Err(FinalizeError::Repeated {
            dir: dir.display().to_string(),
            lines: repeated,
        });
    }
    if let Some(want) = input_lines {
        let absent: Vec<u64> = want
            .iter()
            .copied()
            .filter(|l| lines.binary_search(l).is_err())
            .collect();
        if !absent.is_empty() {
            return Err(FinalizeError::Unaudited {
                dir: dir.display().to_string(),
                count: absent.len(),
                lines: absent.into_iter().take(10).collect(),
            });
        }
    }
    let first = first.ok_or_else(|| FinalizeError::NoShards(dir.display().to_string()))?;
    let success = SuccessRecord {
        run_id: run_id.unwrap_or_default(),
        schema_version: Some(SCHEMA_VERSION.to_string()),
        complete: true,
        as_of: first.as_of,
        input: first.input,
        rules_version: first.rules_version,
        rules_file: first.rules_file,
        waivers: first.waivers,
        shard_count: count,
        shards: listed,
        rows,
        status,
        render,
        input_checked: input_lines.is_some(),
        finalized_at: Some(time::OffsetDateTime::now_utc().unix_timestamp()),
    };
    // Written whole, then renamed: a reader sees no file or the whole file.
    write_json(&dir.join(SUCCESS_RECORD), &success)?;
    Ok(success)
}

/// Keeps the first shard's value of `what` and checks the others against it.
fn agree<T: PartialEq + std::fmt::Display>(
    shard: &str,
    what: &'static str,
    seen: &mut Option<T>,
    value: T,
) -> Result<(), FinalizeError> {
    match seen {
        Some(want) if *want != value => Err(FinalizeError::Mismatch {
            shard: shard.to_string(),
            what,
            found: value.to_string(),
            want: want.to_string(),
        }),
        Some(_) => Ok(()),
        None => {
            *seen = Some(value);
            Ok(())
        }
    }
}
