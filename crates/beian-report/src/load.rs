//! Reading a run directory for a report: `run.json` and the `sites` table, only the columns a
//! report needs (projected), into one compact record per site.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::{Array, Date32Array, ListArray, RecordBatch, StringArray};
use beian_run::layout;
use beian_run::schema::col;
use beian_types::{PageClass, PsbDue, PsbDuty, SiteStatus};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// Reading a run failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The run's record could not be read.
    #[error(transparent)]
    Record(#[from] beian_run::RecordError),
    /// A file is not what a run directory holds.
    #[error("{path} is not a run's file: {reason}")]
    Format {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

/// What `run.json` says of a run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunInfo {
    /// The run's id.
    pub run_id: String,
    /// The audit date (`YYYY-MM-DD`), when the run recorded one.
    pub as_of: Option<String>,
    /// The run ended without being stopped.
    pub complete: bool,
    /// Its run directory.
    pub dir: PathBuf,
    /// What was audited (a path, or the simulated fleet's description).
    pub input: Option<String>,
    /// The rules it was judged by (schema 2.2's `run.json`).
    pub rules_version: Option<String>,
    /// The rules file, when one was given.
    pub rules_file: Option<String>,
    /// Wall time of the run's last invocation, in seconds (schema 2.2's `run.json`).
    pub duration_s: Option<f64>,
    /// Rendering in the browser, when it was on (schema 2.4's `run.json`).
    pub render: Option<RenderInfo>,
}

/// What `run.json` says of the pages rendered in the browser (`--render`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RenderInfo {
    /// `auto` or `always`.
    pub mode: String,
    /// Pages rendered (those whose render failed not counted).
    pub pages: u64,
    /// Renders that failed (the sites stay unverified).
    pub failed: u64,
    /// The screenshots of failing pages (`--screenshots`), `DIR/<domain>/<host>.png`.
    pub screenshots: Option<PathBuf>,
}

/// One `sites` row, as a report sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// The ASCII domain (`None` for a line that did not parse).
    pub domain: Option<String>,
    /// The line's status.
    pub status: SiteStatus,
    /// Indices into [`RunData::rules`] of the failing rules.
    pub failing: Vec<u16>,
    /// Indices into [`RunData::rules`] of the warning rules.
    pub warning: Vec<u16>,
    /// Why it was not audited or reached, if so.
    pub error_class: Option<String>,
    /// Who must fix it (manifest `owner`; schema 2.1).
    pub owner: Option<String>,
    /// Its filing province (schema 2.1).
    pub province: Option<String>,
    /// Its public-security deadline, when it shows no PSB number (schema 2.2).
    pub psb_due: Option<PsbDue>,
    /// What stood in front of a host without a page of its own, and who (schema 2.7).
    pub front: Option<(PageClass, Option<String>)>,
    /// The CDN or WAF in front of it (schema 2.7).
    pub edge: Option<String>,
    /// Rules with a failing or warning finding an exception waived, as indices into
    /// [`RunData::rules`] (schema 2.10).
    pub waived: Vec<u16>,
}

/// A run, read for a report.
#[derive(Debug, Clone)]
pub struct RunData {
    /// What `run.json` says.
    pub info: RunInfo,
    /// One entry per `sites` row.
    pub sites: Vec<Site>,
    /// The rule ids the sites' `failing` indices name.
    pub rules: Vec<String>,
    /// The screenshots found for each domain in the run's screenshot directory, when it is
    /// on this machine.
    pub screenshots: BTreeMap<String, Vec<PathBuf>>,
    /// The exceptions the run was given (`--waivers`; schema 2.11's `run.json`).
    pub waivers: Option<beian_run::WaiversRecord>,
}

impl RunData {
    /// Sites the audit could not check because its own network failed (error class
    /// `audit_network`): their rows say nothing of the sites.
    pub fn network_failures(&self) -> u64 {
        self.sites
            .iter()
            .filter(|s| s.error_class.as_deref() == Some("audit_network"))
            .count() as u64
    }
}

fn format_err(path: &Path, reason: impl std::fmt::Display) -> LoadError {
    LoadError::Format {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> LoadError + '_ {
    move |source| LoadError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Reads the run in `dir`.
pub fn load_run(dir: &Path) -> Result<RunData, LoadError> {
    // A sharded run is read whole once finalized: `_SUCCESS.json` stands for its run.json.
    let record = beian_run::Record::read(dir)?;
    let info = RunInfo {
        run_id: record.run_id().to_string(),
        as_of: record.as_of().map(str::to_string),
        complete: record.is_complete(),
        dir: dir.to_path_buf(),
        input: record.input().map(str::to_string),
        rules_version: record.rules_version().map(str::to_string),
        rules_file: record.rules_file().map(str::to_string),
        duration_s: record.duration_s(),
        render: record.render().map(|r| RenderInfo {
            mode: r.mode.clone(),
            pages: r.pages,
            failed: r.failed,
            screenshots: r.screenshots.as_ref().map(PathBuf::from),
        }),
    };
    let screenshots = info
        .render
        .as_ref()
        .and_then(|r| r.screenshots.as_deref())
        .map(screenshots_in)
        .unwrap_or_default();
    let mut data = RunData {
        info,
        sites: Vec::new(),
        rules: Vec::new(),
        screenshots,
        waivers: record.waivers().cloned(),
    };
    for_each_batch(
        dir,
        layout::SITES,
        &[
            col::DOMAIN,
            col::STATUS,
            col::FAILING_RULES,
            col::WARNING_RULES,
            col::ERROR_CLASS,
            col::OWNER,
            col::PROVINCE,
            col::PSB_DUE,
            col::PSB_DUTY,
            col::FRONT_CLASS,
            col::FRONT_VENDOR,
            col::EDGE_PROVIDER,
            col::WAIVED_RULES,
        ],
        |path, batch| read_batch(path, batch, &mut data),
    )?;
    Ok(data)
}

/// The PNGs under `dir/<domain>/`, by domain. A directory that is not there (the run was
/// made on another machine) has none.
fn screenshots_in(dir: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let mut pngs: Vec<PathBuf> = std::fs::read_dir(entry.path())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "png"))
            .collect();
        if !pngs.is_empty() {
            pngs.sort();
            out.insert(entry.file_name().to_string_lossy().into_owned(), pngs);
        }
    }
    out
}

/// Calls `each` with every record batch of `table` in the run directory `dir`, part after
/// part, read with only `columns` (a column a part lacks is left out of its batches).
pub(crate) fn for_each_batch(
    dir: &Path,
    table: &str,
    columns: &[&str],
    mut each: impl FnMut(&Path, &RecordBatch) -> Result<(), LoadError>,
) -> Result<(), LoadError> {
    // A sharded run: every shard's table, in shard order (docs/SHARDS.md).
    let shards = beian_run::finalize::shard_dirs(dir).map_err(|e| format_err(dir, e))?;
    let table_dirs: Vec<PathBuf> = if shards.is_empty() {
        vec![dir.join(table)]
    } else {
        shards.into_iter().map(|(_, s)| s.join(table)).collect()
    };
    let mut parts = Vec::new();
    for t in &table_dirs {
        parts.extend(beian_run::part_files(t).map_err(io_err(t))?);
    }
    for part in parts {
        let f = File::open(&part).map_err(io_err(&part))?;
        let b = ParquetRecordBatchReaderBuilder::try_new(f).map_err(|e| format_err(&part, e))?;
        let mask = ProjectionMask::columns(b.parquet_schema(), columns.iter().copied());
        let reader = b
            .with_projection(mask)
            .build()
            .map_err(|e| format_err(&part, e))?;
        for batch in reader {
            let batch = batch.map_err(|e| format_err(&part, e))?;
            each(&part, &batch)?;
        }
    }
    Ok(())
}

pub(crate) fn strings<'a>(
    path: &Path,
    batch: &'a RecordBatch,
    name: &str,
) -> Result<&'a StringArray, LoadError> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<StringArray>())
        .ok_or_else(|| format_err(path, format!("no string column {name}")))
}

fn read_batch(path: &Path, batch: &RecordBatch, data: &mut RunData) -> Result<(), LoadError> {
    let domain = strings(path, batch, col::DOMAIN)?;
    let status = strings(path, batch, col::STATUS)?;
    let error_class = strings(path, batch, col::ERROR_CLASS)?;
    // Runs of schema 2.0 have neither column.
    let optional = |name: &str| {
        batch
            .column_by_name(name)
            .and_then(|c| c.as_any().downcast_ref::<StringArray>())
    };
    let (owner, province) = (optional(col::OWNER), optional(col::PROVINCE));
    // Schema 2.7.
    let (front_class, front_vendor) = (optional(col::FRONT_CLASS), optional(col::FRONT_VENDOR));
    let edge = optional(col::EDGE_PROVIDER);
    // Schema 2.2.
    let (psb_due, psb_duty) = (
        batch
            .column_by_name(col::PSB_DUE)
            .and_then(|c| c.as_any().downcast_ref::<Date32Array>()),
        optional(col::PSB_DUTY),
    );
    let value = |col: Option<&StringArray>, i: usize| {
        col.filter(|c| c.is_valid(i))
            .map(|c| c.value(i).to_string())
    };
    let failing = rule_lists(path, batch, col::FAILING_RULES)?;
    let warning = rule_lists(path, batch, col::WARNING_RULES)?;
    // Schema 2.10.
    let waived = batch
        .column_by_name(col::WAIVED_RULES)
        .map(|_| rule_lists(path, batch, col::WAIVED_RULES))
        .transpose()?;
    data.sites.reserve(batch.num_rows());
    for i in 0..batch.num_rows() {
        let name = status.value(i);
        let status = SiteStatus::from_name(name)
            .ok_or_else(|| format_err(path, format!("unknown status {name:?}")))?;
        let failing = failing.rules(i, &mut data.rules);
        let warning = warning.rules(i, &mut data.rules);
        data.sites.push(Site {
            domain: domain.is_valid(i).then(|| domain.value(i).to_string()),
            status,
            failing,
            warning,
            error_class: error_class
                .is_valid(i)
                .then(|| error_class.value(i).to_string()),
            owner: value(owner, i),
            province: value(province, i),
            psb_due: psb_due_of(psb_due, psb_duty, i),
            front: value(front_class, i)
                .and_then(|c| PageClass::from_name(&c))
                .map(|c| (c, value(front_vendor, i))),
            edge: value(edge, i),
            waived: waived
                .as_ref()
                .map(|w| w.rules(i, &mut data.rules))
                .unwrap_or_default(),
        });
    }
    Ok(())
}

/// A list-of-rule-ids column of `sites`.
struct RuleLists<'a> {
    offsets: &'a [i32],
    values: &'a StringArray,
}

impl RuleLists<'_> {
    /// Row `i`'s rules as indices into `rules` (interned).
    fn rules(&self, i: usize, rules: &mut Vec<String>) -> Vec<u16> {
        let at = |k: usize| usize::try_from(self.offsets[k]).unwrap_or(0);
        (at(i)..at(i + 1))
            .map(|k| intern(rules, self.values.value(k)))
            .collect()
    }
}

fn rule_lists<'a>(
    path: &Path,
    batch: &'a RecordBatch,
    name: &str,
) -> Result<RuleLists<'a>, LoadError> {
    let list = batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<ListArray>())
        .ok_or_else(|| format_err(path, format!("no list column {name}")))?;
    let values = list
        .values()
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| format_err(path, format!("{name} does not hold strings")))?;
    Ok(RuleLists {
        offsets: list.value_offsets(),
        values,
    })
}

/// Row `i`'s deadline from the `psb_due` (days since 1970-01-01) and `psb_duty` columns.
fn psb_due_of(due: Option<&Date32Array>, duty: Option<&StringArray>, i: usize) -> Option<PsbDue> {
    let days = due.filter(|c| c.is_valid(i))?.value(i);
    let date = beian_types::days::from_days(days)?;
    let duty = match duty.filter(|c| c.is_valid(i))?.value(i) {
        "file" => PsbDuty::File,
        "display" => PsbDuty::Display,
        _ => return None,
    };
    Some(PsbDue { date, duty })
}

/// The index of `rule` in `rules`, added when new (a run names about twenty rules).
fn intern(rules: &mut Vec<String>, rule: &str) -> u16 {
    let at = rules.iter().position(|r| r == rule).unwrap_or_else(|| {
        rules.push(rule.to_string());
        rules.len() - 1
    });
    u16::try_from(at).unwrap_or(u16::MAX)
}
