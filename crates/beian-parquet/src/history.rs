//! A history of runs: run directories under one root, partitioned Hive-style by audit date and
//! run (`ROOT/run_date=YYYY-MM-DD/run=<run id>/{sites,fetches,findings}/part-*.parquet`), so
//! that DuckDB, Polars and Spark read every run at once and see `run_date` as a date. The
//! partition is named `run`, not `run_id`: the tables have a `run_id` column, and Spark refuses
//! a partition column that repeats a data column. A run counts once its `run.json` says
//! `"complete": true` (a sharded run: once finalized, `_SUCCESS.json`); readers skip the
//! others (docs/SCHEMA.md, "History").

use std::path::{Path, PathBuf};

use crate::{WriteError, io};

/// One run found under a history root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRun {
    /// Its run directory.
    pub dir: PathBuf,
    /// Its `run_date` partition (`YYYY-MM-DD`).
    pub run_date: String,
    /// Its run id (the `run` partition).
    pub run_id: String,
    /// Its `run.json` says `"complete": true`.
    pub complete: bool,
}

/// The directory of shard `index` inside a sharded run's directory (`shard=0003`: four
/// digits, so that they list in order; docs/SHARDS.md).
pub fn shard_dir(index: u32) -> String {
    format!("shard={index:04}")
}

/// Whether a `run.json` (its bytes) says the run is complete. A sharded run is complete once
/// finalized (`_SUCCESS.json`) instead.
pub fn record_complete(run_json: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(run_json)
        .is_ok_and(|v| v.get("complete") == Some(&serde_json::Value::Bool(true)))
}

/// The run directory of run `run_id` audited on `run_date` (`YYYY-MM-DD`).
pub fn run_dir(root: &Path, run_date: &str, run_id: &str) -> PathBuf {
    root.join(format!("run_date={run_date}"))
        .join(format!("run={run_id}"))
}

/// Every run under `root`, oldest first (by date, then by run id, which starts with the
/// run's start time). A missing root holds no runs.
pub fn runs(root: &Path) -> Result<Vec<HistoryRun>, WriteError> {
    let mut out = Vec::new();
    for (date_dir, run_date) in partitions(root, "run_date=")? {
        for (dir, run_id) in partitions(&date_dir, "run=")? {
            // A sharded run is complete once finalized (docs/SHARDS.md).
            let complete = dir.join(crate::finalize::SUCCESS_FILE).exists()
                || std::fs::read(dir.join("run.json")).is_ok_and(|b| record_complete(&b));
            out.push(HistoryRun {
                dir,
                run_date: run_date.clone(),
                run_id,
                complete,
            });
        }
    }
    out.sort_by(|a, b| (&a.run_date, &a.run_id).cmp(&(&b.run_date, &b.run_id)));
    Ok(out)
}

/// The latest run under `root` that is not complete (what `--resume` continues), if any.
pub fn latest_incomplete(root: &Path) -> Result<Option<HistoryRun>, WriteError> {
    Ok(runs(root)?.into_iter().rev().find(|r| !r.complete))
}

/// The sub-directories of `dir` named `<key><value>`, with their values.
pub(crate) fn partitions(dir: &Path, key: &str) -> Result<Vec<(PathBuf, String)>, WriteError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    let mut out = Vec::new();
    for e in entries {
        let path = e.map_err(io(dir))?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(value) = name.strip_prefix(key) {
            if path.is_dir() && !value.is_empty() {
                out.push((path.clone(), value.to_string()));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_found_by_partition_and_judged_by_run_json() {
        let root = tempfile::tempdir().unwrap();
        let a = run_dir(root.path(), "2026-11-26", "20261126T010000Z-1");
        let b = run_dir(root.path(), "2026-11-27", "20261127T010000Z-2");
        let c = run_dir(root.path(), "2026-11-27", "20261127T020000Z-3");
        for d in [&a, &b, &c] {
            std::fs::create_dir_all(d.join("sites")).unwrap();
        }
        std::fs::write(a.join("run.json"), r#"{"complete": true}"#).unwrap();
        std::fs::write(b.join("run.json"), r#"{"complete": false}"#).unwrap();
        // c has no run.json: killed before the end.
        std::fs::create_dir_all(root.path().join("not-a-partition")).unwrap();
        let found = runs(root.path()).unwrap();
        let summary: Vec<(&str, bool)> = found
            .iter()
            .map(|r| (r.run_id.as_str(), r.complete))
            .collect();
        assert_eq!(
            summary,
            [
                ("20261126T010000Z-1", true),
                ("20261127T010000Z-2", false),
                ("20261127T020000Z-3", false)
            ]
        );
        assert_eq!(found[0].run_date, "2026-11-26");
        let latest = latest_incomplete(root.path()).unwrap().unwrap();
        assert_eq!(latest.dir, c);
        assert!(runs(&root.path().join("absent")).unwrap().is_empty());
    }
}
