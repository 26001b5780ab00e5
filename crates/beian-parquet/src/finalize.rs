//! Finalizing a sharded run (docs/SHARDS.md): every shard `shard=NNNN/` of the run directory
//! completed, under one run id and one shard count, and the shards' `sites` tables hold each
//! input line exactly once (every line of the input, when its lines are given); then
//! `_SUCCESS.json` is written last, so that its presence means a whole run that readers
//! (`beian report`, a history) read as one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::{SCHEMA_VERSION, WriteError, io, read};

/// The file a finalized sharded run has.
pub const SUCCESS_FILE: &str = "_SUCCESS.json";

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
    #[error(
        "{shard}: no readable run.json ({reason}): the shard did not finish; run it again with --resume"
    )]
    NoRecord {
        /// The shard's directory.
        shard: String,
        /// Why.
        reason: String,
    },
    /// A shard stopped before its end.
    #[error("{0}: the shard did not complete (interrupted); run it again with --resume")]
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
    let mut out: Vec<(u32, PathBuf)> = crate::history::partitions(dir, "shard=")?
        .into_iter()
        .filter_map(|(path, index)| index.parse::<u32>().ok().map(|i| (i, path)))
        .collect();
    out.sort();
    Ok(out)
}

/// Checks the sharded run in `dir` and writes its `_SUCCESS.json`; returns what it wrote.
/// With `input_lines` (the input's item lines, from the unsharded reader), every one must have
/// a row.
pub fn finalize(dir: &Path, input_lines: Option<&[u64]>) -> Result<Value, FinalizeError> {
    let shards = shard_dirs(dir)?;
    if shards.is_empty() {
        return Err(FinalizeError::NoShards(dir.display().to_string()));
    }
    let mut count: Option<u32> = None;
    let mut run_id: Option<String> = None;
    let mut first_record = Value::Null;
    let mut listed = Vec::new();
    let mut status: BTreeMap<String, u64> = BTreeMap::new();
    let mut rows: BTreeMap<String, u64> = BTreeMap::new();
    let mut lines: Vec<u64> = Vec::new();
    let mut render = Value::Null;
    for (index, shard) in &shards {
        let name = shard.display().to_string();
        let record: Value = std::fs::read_to_string(shard.join("run.json"))
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
            .map_err(|reason| FinalizeError::NoRecord {
                shard: name.clone(),
                reason,
            })?;
        if record["complete"] != Value::Bool(true) {
            return Err(FinalizeError::Incomplete(name));
        }
        let n = record["shard"]["count"]
            .as_u64()
            .and_then(|c| u32::try_from(c).ok())
            .unwrap_or(1);
        let id = record["run_id"].as_str().unwrap_or_default().to_string();
        agree(&name, "the shard count", &mut count, n)?;
        agree(&name, "the run id", &mut run_id, id)?;
        if first_record.is_null() {
            first_record = record.clone();
        }
        for (k, v) in record["status"].as_object().into_iter().flatten() {
            *status.entry(k.clone()).or_default() += v.as_u64().unwrap_or(0);
        }
        for (k, v) in record["rows"].as_object().into_iter().flatten() {
            *rows.entry(k.clone()).or_default() += v.as_u64().unwrap_or(0);
        }
        add_render(&mut render, &record["render"]);
        let before = lines.len();
        let table = shard.join("sites");
        for part in crate::part_files(&table).map_err(io(&table))? {
            lines.extend(read::sites_lines(&part)?.lines);
        }
        listed.push(json!({
            "index": index,
            "dir": shard.file_name().map(|n| n.to_string_lossy().into_owned()),
            "sites": lines.len() - before,
            "status": record["status"],
        }));
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
    let success = json!({
        "run_id": run_id,
        "schema_version": SCHEMA_VERSION,
        "complete": true,
        "as_of": first_record["as_of"],
        "input": first_record["input"],
        "rules_version": first_record["rules_version"],
        "rules_file": first_record["rules_file"],
        "shard_count": count,
        "shards": listed,
        "rows": rows,
        "status": status,
        "render": render,
        "input_checked": input_lines.is_some(),
        "finalized_at": time::OffsetDateTime::now_utc().unix_timestamp(),
    });
    // Written whole, then renamed: a reader sees no file or the whole file.
    let path = dir.join(SUCCESS_FILE);
    let tmp = dir.join(format!(".{SUCCESS_FILE}.tmp"));
    std::fs::write(&tmp, format!("{success:#}\n")).map_err(io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    Ok(success)
}

/// Adds a shard's `render` record to the run's: counts summed, the screenshot directory kept
/// only when every shard used the same one (shards on several machines have one each).
fn add_render(run: &mut Value, shard: &Value) {
    if shard.is_null() {
        return;
    }
    if run.is_null() {
        *run = shard.clone();
        return;
    }
    for field in ["pages", "failed", "ms"] {
        let sum = run[field].as_u64().unwrap_or(0) + shard[field].as_u64().unwrap_or(0);
        run[field] = json!(sum);
    }
    let peak = run["peak_memory_mib"]
        .as_u64()
        .max(shard["peak_memory_mib"].as_u64());
    run["peak_memory_mib"] = json!(peak);
    if run["screenshots"] != shard["screenshots"] {
        run["screenshots"] = Value::Null;
    }
    for field in ["screenshots_written", "screenshots_failed"] {
        if let Some(n) = shard[field].as_u64() {
            run[field] = json!(run[field].as_u64().unwrap_or(0) + n);
        }
    }
    if let Some(failures) = shard["screenshot_failures"].as_object() {
        for (class, f) in failures {
            let merged = &mut run["screenshot_failures"][class];
            if merged.is_null() {
                *merged = f.clone();
            } else {
                merged["count"] =
                    json!(merged["count"].as_u64().unwrap_or(0) + f["count"].as_u64().unwrap_or(0));
            }
        }
    }
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
