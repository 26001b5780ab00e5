//! The run's records, typed: `run.json` ([`RunRecord`]), written by the owner of the run
//! directory when the run ends (complete or interrupted), and `_SUCCESS.json`
//! ([`SuccessRecord`]), written when a sharded run is finalized; [`Record`] reads whichever
//! stands for a run. Records of older schemas are read too: a field they lack is `None` or
//! empty (docs/SCHEMA.md, "run.json").

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::layout::{RUN_RECORD, SUCCESS_RECORD};
use crate::{RunCounts, SCHEMA_VERSION, WriteError, io};

/// What the owner of a run tells the writer when the run ends; the writer adds what it knows
/// itself (run id, schema version, rows, the time) and writes the [`RunRecord`].
#[derive(Debug, Clone)]
pub struct RunEnd<'a> {
    /// What was audited, for people (a path, or the simulated fleet's description).
    pub input: &'a str,
    /// The audit date (`--as-of`, `YYYY-MM-DD`): deadlines were judged on it, and a history
    /// files the run under it.
    pub as_of: &'a str,
    /// The run stopped early on request: `--resume` finishes it.
    pub interrupted: bool,
    /// Sites in flight that were stopped without a row.
    pub abandoned: u64,
    /// Input lines an earlier, interrupted run had finished.
    pub resumed_lines: u64,
    /// Sites whose row says the audit's own network failed (`error_class` `audit_network`),
    /// over the whole run: `--resume` audits them again.
    pub audit_network: u64,
    /// `sites` rows by status, over the whole run.
    pub status: &'a BTreeMap<&'static str, u64>,
    /// When this invocation started, UTC seconds since the epoch.
    pub started_at: i64,
    /// Its wall time in seconds.
    pub duration_s: f64,
    /// The rules it judged by (`beian_rules::rules_version`).
    pub rules_version: &'a str,
    /// The rules file (`--rules`), when one was given.
    pub rules_file: Option<&'a str>,
    /// The exceptions (`--waivers`), when a file was given.
    pub waivers: Option<&'a WaiversRecord>,
    /// This run's shard of the input, when the input was split.
    pub shard: Option<ShardRecord>,
    /// The pages this invocation rendered in the browser, when rendering was on.
    pub render: Option<RenderRecord>,
}

/// `run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The run's id.
    pub run_id: String,
    /// The output schema the run was written with.
    #[serde(default)]
    pub schema_version: Option<String>,
    /// What was audited, for people.
    #[serde(default)]
    pub input: Option<String>,
    /// The audit date (`YYYY-MM-DD`).
    #[serde(default)]
    pub as_of: Option<String>,
    /// The run ended without being stopped, without abandoned sites and (from schema 2.8)
    /// without sites the audit's own network failed: a history's readers count it. Records
    /// before schema 2.1 lack it ([`RunRecord::is_complete`]).
    #[serde(default)]
    pub complete: Option<bool>,
    /// When the invocation that wrote it started, UTC seconds.
    #[serde(default)]
    pub started_at: Option<i64>,
    /// When it finished, UTC seconds.
    #[serde(default)]
    pub finished_at: Option<i64>,
    /// Its wall time, seconds (one decimal).
    #[serde(default)]
    pub duration_s: Option<f64>,
    /// The rules the run judged by.
    #[serde(default)]
    pub rules_version: Option<String>,
    /// The rules file, when one was given.
    #[serde(default)]
    pub rules_file: Option<String>,
    /// The exceptions file and its entries, when one was given (schema 2.11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waivers: Option<WaiversRecord>,
    /// The run's shard of the input, when split. `--per-ip` holds per process: N shards may
    /// reach a shared host N times as hard.
    #[serde(default)]
    pub shard: Option<ShardRecord>,
    /// Rendering, when it was on.
    #[serde(default)]
    pub render: Option<RenderRecord>,
    /// The run stopped early on request.
    #[serde(default)]
    pub interrupted: Option<bool>,
    /// Sites in flight that were stopped without a row.
    #[serde(default)]
    pub abandoned: u64,
    /// Input lines an earlier invocation had finished.
    #[serde(default)]
    pub resumed_lines: u64,
    /// Sites whose row says the audit's own network failed: `--resume` audits them again
    /// (schema 2.8; 0 in older records).
    #[serde(default)]
    pub audit_network: u64,
    /// Rows in the run directory.
    #[serde(default)]
    pub rows: RowCounts,
    /// `sites` rows by status, over the whole run.
    #[serde(default)]
    pub status: BTreeMap<String, u64>,
    /// The run's evidence parts (`--evidence`) with their SHA-256, in order (schema 2.10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<crate::EvidenceFile>,
}

impl RunRecord {
    /// Whether the run is complete: `complete`, or in records that lack it, not interrupted.
    pub fn is_complete(&self) -> bool {
        completion(self.complete, self.interrupted)
    }
}

/// The completeness rule of a `run.json`: its `complete`, or in records that lack it (before
/// schema 2.1), not interrupted.
pub(crate) fn completion(complete: Option<bool>, interrupted: Option<bool>) -> bool {
    complete.unwrap_or(interrupted == Some(false))
}

/// The exceptions a run was given (`--waivers`): the file and each entry as the run read it,
/// with whether it applied on the run's date. A report lists from it the exceptions that
/// expire soon and those that lapsed (docs/REPORT.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaiversRecord {
    /// The file, as given.
    pub file: String,
    /// Its entries, in the file's order.
    pub entries: Vec<WaiverRecord>,
}

/// One entry of [`WaiversRecord`] (docs/rulebook.md §5.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaiverRecord {
    /// Its id.
    pub id: String,
    /// The line its `[[waiver]]` starts on.
    pub line: usize,
    /// Domain patterns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
    /// Host patterns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// Rule ids or patterns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// Why.
    pub reason: String,
    /// Who owns the decision.
    #[serde(default)]
    pub owner: Option<String>,
    /// The last day it applies, `YYYY-MM-DD`.
    pub expires: String,
    /// The ticket it was decided in.
    #[serde(default)]
    pub ticket: Option<String>,
    /// It applied on the run's date (false: it had expired, and the run said so).
    pub in_force: bool,
}

/// A shard of the input (`--shard-index`, `--shard-count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardRecord {
    /// Which shard, from 0.
    pub index: u32,
    /// Of how many.
    pub count: u32,
}

/// The rows of each table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowCounts {
    /// `sites` rows.
    #[serde(default)]
    pub sites: u64,
    /// `fetches` rows.
    #[serde(default)]
    pub fetches: u64,
    /// `findings` rows.
    #[serde(default)]
    pub findings: u64,
}

impl From<RunCounts> for RowCounts {
    fn from(c: RunCounts) -> Self {
        RowCounts {
            sites: c.sites,
            fetches: c.fetches,
            findings: c.findings,
        }
    }
}

impl std::ops::AddAssign for RowCounts {
    fn add_assign(&mut self, o: RowCounts) {
        self.sites += o.sites;
        self.fetches += o.fetches;
        self.findings += o.findings;
    }
}

/// What a record says of rendering (`--render`): the invocation that wrote it counts its own
/// renders (a resumed run's earlier invocation counted its own); a finalized run sums its
/// shards'.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RenderRecord {
    /// `auto` or `always`.
    pub mode: String,
    /// The browser, as it names itself (`chromium --version`; schema 2.6).
    #[serde(default)]
    pub browser: Option<String>,
    /// Pages rendered (those whose render failed not counted).
    #[serde(default)]
    pub pages: u64,
    /// Pages whose render failed (timeout, memory, the browser's exit).
    #[serde(default)]
    pub failed: u64,
    /// Time all renders took, the failed ones too, ms.
    #[serde(default)]
    pub ms: u64,
    /// The most memory one render's browser held (its processes' PSS summed), MiB (2.6).
    #[serde(default)]
    pub peak_memory_mib: Option<u64>,
    /// The screenshot directory (`--screenshots`), absolute.
    #[serde(default)]
    pub screenshots: Option<String>,
    /// Screenshots written, with `--screenshots` (2.6).
    #[serde(default)]
    pub screenshots_written: Option<u64>,
    /// Screenshots that failed, with `--screenshots` (2.6).
    #[serde(default)]
    pub screenshots_failed: Option<u64>,
    /// The failed screenshots by reason class (`timeout`, `memory`, `no_output`, `start`,
    /// `directory`), with `--screenshots` (2.6).
    #[serde(default)]
    pub screenshot_failures: Option<BTreeMap<String, ScreenshotFailures>>,
}

/// Screenshots that failed for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenshotFailures {
    /// How many.
    pub count: u64,
    /// The first one's message.
    pub first: String,
}

impl RenderRecord {
    /// Adds another shard's record of the same run: counts summed, the largest memory kept,
    /// the screenshot directory kept only when both name the same.
    pub fn add(&mut self, o: &RenderRecord) {
        fn sum(a: Option<u64>, b: Option<u64>) -> Option<u64> {
            match (a, b) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
            }
        }
        self.pages += o.pages;
        self.failed += o.failed;
        self.ms += o.ms;
        self.peak_memory_mib = self.peak_memory_mib.max(o.peak_memory_mib);
        if self.screenshots != o.screenshots {
            self.screenshots = None;
        }
        self.screenshots_written = sum(self.screenshots_written, o.screenshots_written);
        self.screenshots_failed = sum(self.screenshots_failed, o.screenshots_failed);
        if let Some(theirs) = &o.screenshot_failures {
            let mine = self.screenshot_failures.get_or_insert_with(BTreeMap::new);
            for (class, f) in theirs {
                mine.entry(class.clone())
                    .and_modify(|m| m.count += f.count)
                    .or_insert_with(|| f.clone());
            }
        }
    }
}

/// `_SUCCESS.json`: a sharded run checked whole and finalized (docs/SHARDS.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuccessRecord {
    /// The run's id (every shard's).
    pub run_id: String,
    /// The output schema of the finalizing binary.
    #[serde(default)]
    pub schema_version: Option<String>,
    /// Always true: only a whole run is finalized.
    #[serde(default = "yes")]
    pub complete: bool,
    /// The first shard's audit date.
    #[serde(default)]
    pub as_of: Option<String>,
    /// The first shard's input.
    #[serde(default)]
    pub input: Option<String>,
    /// The first shard's rules.
    #[serde(default)]
    pub rules_version: Option<String>,
    /// The first shard's rules file.
    #[serde(default)]
    pub rules_file: Option<String>,
    /// The first shard's exceptions (schema 2.11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waivers: Option<WaiversRecord>,
    /// How many shards.
    #[serde(default)]
    pub shard_count: u32,
    /// Each shard.
    #[serde(default)]
    pub shards: Vec<ShardEntry>,
    /// Rows in all shards.
    #[serde(default)]
    pub rows: RowCounts,
    /// `sites` rows by status in all shards.
    #[serde(default)]
    pub status: BTreeMap<String, u64>,
    /// The shards' rendering, summed.
    #[serde(default)]
    pub render: Option<RenderRecord>,
    /// Every line of the input was checked to have a row (`beian finalize --input`).
    #[serde(default)]
    pub input_checked: bool,
    /// When it was finalized, UTC seconds.
    #[serde(default)]
    pub finalized_at: Option<i64>,
}

fn yes() -> bool {
    true
}

/// One shard in [`SuccessRecord::shards`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardEntry {
    /// Its index.
    pub index: u32,
    /// Its directory's name (`shard=0003`).
    #[serde(default)]
    pub dir: Option<String>,
    /// Its `sites` rows.
    #[serde(default)]
    pub sites: u64,
    /// Its `sites` rows by status.
    #[serde(default)]
    pub status: BTreeMap<String, u64>,
}

/// The record that stands for a run: `_SUCCESS.json` for a finalized sharded run, else
/// `run.json`.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A run's `run.json`.
    Run(RunRecord),
    /// A finalized sharded run's `_SUCCESS.json`.
    Success(SuccessRecord),
}

/// A run's record could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a run's record.
    #[error("{path} is not a run's record")]
    Format {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A sharded run that was not finalized has no record of the whole run.
    #[error("{0} is a sharded run that is not finalized (no _SUCCESS.json)")]
    NotFinalized(String),
}

impl Record {
    /// Reads the record of the run in `dir`: `_SUCCESS.json` when there, else `run.json` —
    /// unless `dir` holds shards, which only a finalized run is read whole by.
    pub fn read(dir: &Path) -> Result<Record, RecordError> {
        let success = dir.join(SUCCESS_RECORD);
        if success.exists() {
            return read_json(&success).map(Record::Success);
        }
        let sharded = crate::finalize::shard_dirs(dir).is_ok_and(|s| !s.is_empty());
        if sharded {
            return Err(RecordError::NotFinalized(dir.display().to_string()));
        }
        read_json(&dir.join(RUN_RECORD)).map(Record::Run)
    }

    /// The run's id.
    pub fn run_id(&self) -> &str {
        match self {
            Record::Run(r) => &r.run_id,
            Record::Success(s) => &s.run_id,
        }
    }

    /// The audit date (`YYYY-MM-DD`), when recorded.
    pub fn as_of(&self) -> Option<&str> {
        match self {
            Record::Run(r) => r.as_of.as_deref(),
            Record::Success(s) => s.as_of.as_deref(),
        }
    }

    /// Whether the run is complete (a finalized run always is).
    pub fn is_complete(&self) -> bool {
        match self {
            Record::Run(r) => r.is_complete(),
            Record::Success(s) => s.complete,
        }
    }

    /// What was audited.
    pub fn input(&self) -> Option<&str> {
        match self {
            Record::Run(r) => r.input.as_deref(),
            Record::Success(s) => s.input.as_deref(),
        }
    }

    /// The rules the run judged by.
    pub fn rules_version(&self) -> Option<&str> {
        match self {
            Record::Run(r) => r.rules_version.as_deref(),
            Record::Success(s) => s.rules_version.as_deref(),
        }
    }

    /// The rules file, when one was given.
    pub fn rules_file(&self) -> Option<&str> {
        match self {
            Record::Run(r) => r.rules_file.as_deref(),
            Record::Success(s) => s.rules_file.as_deref(),
        }
    }

    /// The exceptions the run was given.
    pub fn waivers(&self) -> Option<&WaiversRecord> {
        match self {
            Record::Run(r) => r.waivers.as_ref(),
            Record::Success(s) => s.waivers.as_ref(),
        }
    }

    /// The wall time of the run's last invocation (a finalized run has none of its own).
    pub fn duration_s(&self) -> Option<f64> {
        match self {
            Record::Run(r) => r.duration_s,
            Record::Success(_) => None,
        }
    }

    /// Rendering, when it was on.
    pub fn render(&self) -> Option<&RenderRecord> {
        match self {
            Record::Run(r) => r.render.as_ref(),
            Record::Success(s) => s.render.as_ref(),
        }
    }

    /// Rows in the run directory.
    pub fn rows(&self) -> RowCounts {
        match self {
            Record::Run(r) => r.rows,
            Record::Success(s) => s.rows,
        }
    }
}

/// Reads and parses one record file.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, RecordError> {
    let bytes = std::fs::read(path).map_err(|source| RecordError::Io {
        path: path.display().to_string(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| RecordError::Format {
        path: path.display().to_string(),
        source,
    })
}

/// A new run id: the start time (UTC, to the second) and the process id.
pub fn new_run_id() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z-{:x}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        std::process::id()
    )
}

/// Writes `value` to `path` as pretty JSON, whole or not at all (a temporary file renamed):
/// a reader sees no record or the whole record.
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), WriteError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| WriteError::Encode {
        table: "record",
        message: e.to_string(),
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&tmp, format!("{text}\n")).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// Writes `dir/run.json`.
pub(crate) fn write(
    dir: &Path,
    run_id: &str,
    counts: RunCounts,
    evidence: &[crate::EvidenceFile],
    end: &RunEnd<'_>,
) -> Result<PathBuf, WriteError> {
    let record = RunRecord {
        run_id: run_id.to_string(),
        schema_version: Some(SCHEMA_VERSION.to_string()),
        input: Some(end.input.to_string()),
        as_of: Some(end.as_of.to_string()),
        // A history's readers count only complete runs (docs/SCHEMA.md, "History").
        // A site the audit's own network failed waits for `--resume` as a stopped one does.
        complete: Some(!end.interrupted && end.abandoned == 0 && end.audit_network == 0),
        started_at: Some(end.started_at),
        finished_at: Some(time::OffsetDateTime::now_utc().unix_timestamp()),
        duration_s: Some((end.duration_s * 10.0).round() / 10.0),
        rules_version: Some(end.rules_version.to_string()),
        rules_file: end.rules_file.map(str::to_string),
        waivers: end.waivers.cloned(),
        shard: end.shard,
        render: end.render.clone(),
        interrupted: Some(end.interrupted),
        abandoned: end.abandoned,
        resumed_lines: end.resumed_lines,
        audit_network: end.audit_network,
        rows: counts.into(),
        status: end
            .status
            .iter()
            .map(|(k, v)| ((*k).to_string(), *v))
            .collect(),
        evidence: evidence.to_vec(),
    };
    let path = dir.join(RUN_RECORD);
    write_json(&path, &record)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_of_older_schemas_are_read() {
        // Schema 2.0: no `complete`, no render, no rules.
        let old: RunRecord = serde_json::from_str(
            r#"{"run_id": "r1", "interrupted": false, "rows": {"sites": 3}, "status": {"compliant": 3}}"#,
        )
        .unwrap();
        assert!(old.is_complete());
        assert_eq!(old.rows.sites, 3);
        assert_eq!(old.render, None);
        let stopped: RunRecord =
            serde_json::from_str(r#"{"run_id": "r2", "interrupted": true}"#).unwrap();
        assert!(!stopped.is_complete());
        // Schema 2.4's render, before the browser and screenshot counts.
        let r: RunRecord = serde_json::from_str(
            r#"{"run_id": "r3", "complete": true,
                "render": {"mode": "auto", "pages": 2, "failed": 0, "ms": 900, "screenshots": null}}"#,
        )
        .unwrap();
        let render = r.render.unwrap();
        assert_eq!(
            (render.pages, render.browser, render.screenshots_failed),
            (2, None, None)
        );
        assert!(serde_json::from_str::<RunRecord>(r#"{"complete": true}"#).is_err());
    }

    #[test]
    fn shards_renders_add_up() {
        let failures = |n| {
            Some(BTreeMap::from([(
                "timeout".to_string(),
                ScreenshotFailures {
                    count: n,
                    first: "a: render timed out".into(),
                },
            )]))
        };
        let mut a = RenderRecord {
            mode: "auto".into(),
            pages: 2,
            peak_memory_mib: Some(300),
            screenshots: Some("/s".into()),
            screenshots_written: Some(1),
            screenshots_failed: Some(1),
            screenshot_failures: failures(1),
            ..RenderRecord::default()
        };
        let b = RenderRecord {
            pages: 3,
            peak_memory_mib: Some(350),
            screenshots_written: Some(2),
            screenshots_failed: Some(2),
            screenshot_failures: failures(2),
            ..a.clone()
        };
        a.add(&b);
        assert_eq!(a.pages, 5);
        assert_eq!(a.peak_memory_mib, Some(350));
        assert_eq!(
            (a.screenshots_written, a.screenshots_failed),
            (Some(3), Some(3))
        );
        assert_eq!(a.screenshot_failures.unwrap()["timeout"].count, 3);
        assert_eq!(a.screenshots.as_deref(), Some("/s"));
    }
}
