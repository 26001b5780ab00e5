//! `run.json`: the run's record, written by the owner of the run directory when the run ends
//! (complete or interrupted), and the run ids it names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::{RunCounts, SCHEMA_VERSION, WriteError, io};

/// What `run.json` says besides what the writer knows itself (run id, schema version, rows).
#[derive(Debug, Clone, Copy)]
pub struct RunRecord<'a> {
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
    /// This run's shard of the input, `(index, count)`, when the input was split.
    pub shard: Option<(u32, u32)>,
    /// The pages this invocation rendered in the browser, when rendering was on.
    pub render: Option<RenderRecord<'a>>,
}

/// What `run.json` says of rendering (`--render`): the invocation that wrote it counts its
/// own renders (a resumed run's earlier invocation counted its own).
#[derive(Debug, Clone, Copy)]
pub struct RenderRecord<'a> {
    /// `auto` or `always`.
    pub mode: &'a str,
    /// The browser, as it names itself (`chromium --version`).
    pub browser: Option<&'a str>,
    /// Pages rendered (those whose render failed not counted).
    pub pages: u64,
    /// Pages whose render failed (timeout, memory, the browser's exit).
    pub failed: u64,
    /// Time all renders took, the failed ones too, ms.
    pub ms: u64,
    /// The most memory one render's browser held (PSS of its processes together), bytes.
    pub peak_memory: u64,
    /// The screenshot directory (`--screenshots`), absolute.
    pub screenshots: Option<&'a str>,
    /// Screenshots written.
    pub screenshots_written: u64,
    /// Screenshots that failed, by reason class: how many, and the first one's message.
    pub screenshot_failures: &'a BTreeMap<&'static str, (u64, String)>,
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

/// Writes `dir/run.json`.
pub(crate) fn write(
    dir: &Path,
    run_id: &str,
    counts: RunCounts,
    record: &RunRecord<'_>,
) -> Result<PathBuf, WriteError> {
    let json = serde_json::json!({
        "run_id": run_id,
        "schema_version": SCHEMA_VERSION,
        "input": record.input,
        "as_of": record.as_of,
        // A history's readers count only complete runs (docs/SCHEMA.md, "History").
        "complete": !record.interrupted && record.abandoned == 0,
        "started_at": record.started_at,
        "finished_at": time::OffsetDateTime::now_utc().unix_timestamp(),
        "duration_s": (record.duration_s * 10.0).round() / 10.0,
        "rules_version": record.rules_version,
        "rules_file": record.rules_file,
        // `--per-ip` holds per process: N shards may reach a shared host N times as hard.
        "shard": record.shard.map(|(index, count)| serde_json::json!({"index": index, "count": count})),
        "render": record.render.map(|r| serde_json::json!({
            "mode": r.mode, "browser": r.browser, "pages": r.pages, "failed": r.failed,
            "ms": r.ms, "peak_memory_mib": r.peak_memory.div_ceil(1 << 20),
            "screenshots": r.screenshots,
            "screenshots_written": r.screenshots.map(|_| r.screenshots_written),
            "screenshots_failed": r.screenshots.map(|_| r.screenshot_failures.values().map(|(n, _)| n).sum::<u64>()),
            "screenshot_failures": r.screenshots.map(|_| r.screenshot_failures.iter()
                .map(|(class, (n, first))| (*class, serde_json::json!({"count": n, "first": first})))
                .collect::<BTreeMap<_, _>>()),
        })),
        "interrupted": record.interrupted,
        "abandoned": record.abandoned,
        "resumed_lines": record.resumed_lines,
        "rows": { "sites": counts.sites, "fetches": counts.fetches, "findings": counts.findings },
        "status": record.status,
    });
    let path = dir.join("run.json");
    std::fs::write(&path, format!("{json:#}\n")).map_err(io(&path))?;
    Ok(path)
}
