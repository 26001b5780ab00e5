//! A history of runs: run directories under one root, partitioned Hive-style by audit date and
//! run (`ROOT/run_date=YYYY-MM-DD/run=<run id>/{sites,fetches,findings}/part-*.parquet`), so
//! that DuckDB, Polars and Spark read every run at once and see `run_date` as a date. The
//! partition is named `run`, not `run_id`: the tables have a `run_id` column, and Spark refuses
//! a partition column that repeats a data column. A run counts once its `run.json` says
//! `"complete": true` (a sharded run: once finalized, `_SUCCESS.json`); readers skip the
//! others (docs/SCHEMA.md, "History").

use std::path::{Path, PathBuf};

use crate::layout::{RUN_DATE_KEY, RUN_KEY, RUN_RECORD, SUCCESS_RECORD, partition};
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

/// A run's place in a history, from its directories' names: the same on disk and in a
/// bucket. Ordered as runs are (by date, then by run id, which starts with the run's start
/// time).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RunName {
    /// The `run_date` partition (`YYYY-MM-DD`).
    pub run_date: String,
    /// The run id (the `run` partition).
    pub run_id: String,
}

impl RunName {
    /// The run named by a date directory's and a run directory's names; `None` when either
    /// is not such a partition.
    pub fn parse(date_dir: &str, run_dir: &str) -> Option<RunName> {
        Some(RunName {
            run_date: partition(date_dir, RUN_DATE_KEY)?.to_string(),
            run_id: partition(run_dir, RUN_KEY)?.to_string(),
        })
    }

    /// Its directory relative to the history root (`run_date=…/run=…`).
    pub fn rel(&self) -> String {
        format!(
            "{}/{}",
            crate::layout::run_date_dir(&self.run_date),
            crate::layout::run_dir_name(&self.run_id)
        )
    }
}

/// Whether a run counts, from its records: finalized (a sharded run's `_SUCCESS.json`), or its
/// `run.json` says it is complete ([`crate::RunRecord::is_complete`]). The rule a history's
/// readers and `--resume` follow, on disk and in a bucket.
pub fn record_complete(run_json: Option<&[u8]>, finalized: bool) -> bool {
    /// The fields the rule reads (a record cut short of others still counts).
    #[derive(serde::Deserialize)]
    struct Completion {
        complete: Option<bool>,
        interrupted: Option<bool>,
    }
    finalized
        || run_json
            .and_then(|b| serde_json::from_slice::<Completion>(b).ok())
            .is_some_and(|c| crate::record::completion(c.complete, c.interrupted))
}

/// The run directory of run `run_id` audited on `run_date` (`YYYY-MM-DD`).
pub fn run_dir(root: &Path, run_date: &str, run_id: &str) -> PathBuf {
    root.join(
        RunName {
            run_date: run_date.to_string(),
            run_id: run_id.to_string(),
        }
        .rel(),
    )
}

/// Every run under `root`, oldest first. A missing root holds no runs.
pub fn runs(root: &Path) -> Result<Vec<HistoryRun>, WriteError> {
    let mut out = Vec::new();
    for (date_dir, date_name) in names(root)? {
        for (dir, run_name) in names(&date_dir)? {
            let Some(name) = RunName::parse(&date_name, &run_name) else {
                continue;
            };
            let complete = record_complete(
                std::fs::read(dir.join(RUN_RECORD)).ok().as_deref(),
                dir.join(SUCCESS_RECORD).exists(),
            );
            out.push(HistoryRun {
                dir,
                run_date: name.run_date,
                run_id: name.run_id,
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
    Ok(names(dir)?
        .into_iter()
        .filter_map(|(path, name)| {
            let value = partition(&name, key)?.to_string();
            Some((path, value))
        })
        .collect())
}

/// The sub-directories of `dir` with their names; a missing `dir` has none.
fn names(dir: &Path) -> Result<Vec<(PathBuf, String)>, WriteError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    let mut out = Vec::new();
    for e in entries {
        let path = e.map_err(io(dir))?.path();
        if !path.is_dir() {
            continue;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push((path, name));
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

    #[test]
    fn the_rule_reads_names_and_records_alone() {
        let n = RunName::parse("run_date=2026-12-07", "run=20261207T010000Z-1").unwrap();
        assert_eq!(n.rel(), "run_date=2026-12-07/run=20261207T010000Z-1");
        assert_eq!(RunName::parse("shard=0001", "run=x"), None);
        assert_eq!(RunName::parse("run_date=2026-12-07", ".lock.json"), None);
        assert!(record_complete(Some(br#"{"complete": true}"#), false));
        assert!(!record_complete(Some(br#"{"complete": false}"#), false));
        // Before schema 2.1: not interrupted is complete.
        assert!(record_complete(Some(br#"{"interrupted": false}"#), false));
        assert!(!record_complete(Some(b"{cut short"), false));
        assert!(!record_complete(None, false));
        assert!(record_complete(None, true));
    }
}
