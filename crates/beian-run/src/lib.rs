//! The run directory, its one owner: its names (`layout`), the output schema (a public
//! interface: docs/SCHEMA.md) and the writer of its three Parquet tables, `sites`, `fetches`
//! and `findings`, sharing `run_id` and `domain`; its records (`run.json`, `_SUCCESS.json`:
//! [`RunRecord`], [`SuccessRecord`]), its lock, resuming, a history of runs and finalizing a
//! sharded run.
//!
//! Each table is a directory of part files. A part is written under a temporary name and
//! renamed when complete, so a reader never sees a half-written file. Rows are buffered and
//! written in batches (bounded memory); the schema version sits in every file's metadata.
//!
//! Crash safety: the writer closes a part of every table together at each checkpoint
//! ([`RunWriter::checkpoint`]), all numbered alike, `sites` renamed last; the evidence part
//! (`evidence/`, WARC records of the exchanges behind the findings) is closed with them. A complete `sites`
//! part therefore means the other tables' parts of that number are complete too, and
//! [`RunWriter::resume`] can tell an interrupted run's finished input lines from the rest.
#![deny(missing_docs)]

mod error;
mod evidence;
pub mod finalize;
pub mod history;
pub mod layout;
mod lock;
mod part;
mod read;
mod record;
pub mod redo;
pub mod resume;
pub mod schema;
mod warc;

pub use error::WriteError;
pub use evidence::{
    CapturedProbe, EvidenceFile, RecordRef, WarcRecord, captured, read_record, read_response,
    read_screenshot,
};
pub use warc::sha256_hex;

pub use record::{
    Record, RecordError, RenderRecord, RowCounts, RunEnd, RunRecord, ScreenshotFailures,
    ShardEntry, ShardRecord, SuccessRecord, WaiverRecord, WaiversRecord, new_run_id,
};
pub use schema::{SCHEMA_VERSION, fetches_schema, findings_schema, sites_schema};

use std::path::{Path, PathBuf};

use beian_types::{FetchRow, FindingRow, SiteReport, SiteRow};
use part::TableWriter;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Row counts written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunCounts {
    /// `sites` rows.
    pub sites: u64,
    /// `fetches` rows.
    pub fetches: u64,
    /// `findings` rows.
    pub findings: u64,
}

/// Writes one run directory.
pub struct RunWriter {
    dir: PathBuf,
    run_id: String,
    sites: TableWriter<SiteRow>,
    fetches: TableWriter<FetchRow>,
    findings: TableWriter<FindingRow>,
    evidence: evidence::EvidenceWriter,
    /// Rows already in the directory when the writer started (a resumed run).
    earlier: RunCounts,
    /// Held while the writer lives, when it was [`RunWriter::start`]ed.
    lock: Option<lock::RunLock>,
    /// Where completed files go ([`RunWriter::set_sink`]).
    sink: Option<PartSink>,
}

/// Takes a completed file of a run directory (a part, then `run.json` last); an error is
/// the reason it could not.
pub type PartSink = Box<dyn FnMut(&Path) -> Result<(), String> + Send>;

/// What an interrupted run left in its directory ([`RunWriter::resume`]).
#[derive(Debug, Clone, Default)]
pub struct Resumed {
    /// The run's id, from its first part (`None`: the directory held no complete part).
    pub run_id: Option<String>,
    /// Input lines with a row in a complete `sites` part, sorted.
    pub done: Vec<u64>,
    /// Rows in the complete parts.
    pub rows: RunCounts,
    /// `sites` rows of the complete parts by status.
    pub status: std::collections::BTreeMap<String, u64>,
    /// Files removed: half-written parts, and parts of a checkpoint whose `sites` part is
    /// missing (their lines are audited again).
    pub removed: Vec<PathBuf>,
    /// Input lines whose rows were taken out to be audited again: the audit's own network
    /// had failed them ([`redo`]).
    pub redone: Vec<u64>,
    /// The complete evidence parts the interrupted run left.
    pub evidence: Vec<EvidenceFile>,
    /// The number the next parts get.
    next_part: usize,
}

/// How a run starts in its directory ([`RunWriter::start`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// A new run; earlier output is refused, or removed when `overwrite`.
    New {
        /// Replace earlier output.
        overwrite: bool,
        /// The run's id, when the caller chose it (a history names the directory after it);
        /// else a new one ([`new_run_id`]).
        run_id: Option<String>,
    },
    /// Finish an interrupted run (a new one on an empty directory).
    Resume {
        /// The run's id, when the caller chose it (the shards of one run share it): the id of
        /// a new run on an empty directory, and a check on an interrupted one.
        run_id: Option<String>,
    },
}

/// A run that [`RunWriter::start`] opened.
#[derive(Debug, Clone)]
pub struct Started {
    /// The run's id: new, or the interrupted run's.
    pub run_id: String,
    /// Input lines done by the interrupted run, sorted (empty for a new run).
    pub done: Vec<u64>,
    /// Unfinished parts of the interrupted run that were removed.
    pub removed: Vec<PathBuf>,
    /// The interrupted run's `sites` rows by status (empty for a new run).
    pub status: std::collections::BTreeMap<String, u64>,
    /// Input lines the audit's own network had lost, taken out to be audited again.
    pub redone: Vec<u64>,
}

impl RunWriter {
    /// Opens the run directory `dir` as `start` says: a new run (with a new run id), or the
    /// continuation of an interrupted one (its run id; its finished lines in
    /// [`Started::done`]). Holds the directory's lock (`.lock`) while the writer lives: a
    /// second writer is refused, naming the first.
    pub fn start(dir: &Path, start: Start) -> Result<(RunWriter, Started), WriteError> {
        // Before anything in the directory is touched: resuming tidies it.
        let lock = lock::RunLock::acquire(dir)?;
        let (mut writer, started) = Self::start_unlocked(dir, start)?;
        writer.lock = Some(lock);
        Ok((writer, started))
    }

    fn start_unlocked(dir: &Path, start: Start) -> Result<(RunWriter, Started), WriteError> {
        match start {
            Start::New { overwrite, run_id } => {
                let run_id = run_id.unwrap_or_else(new_run_id);
                let writer = RunWriter::create(dir, &run_id, overwrite)?;
                let started = Started {
                    run_id,
                    done: Vec::new(),
                    removed: Vec::new(),
                    status: std::collections::BTreeMap::new(),
                    redone: Vec::new(),
                };
                Ok((writer, started))
            }
            Start::Resume { run_id } => {
                let r = RunWriter::resume(dir)?;
                if let (Some(found), Some(want)) = (&r.run_id, &run_id) {
                    if found != want {
                        return Err(WriteError::OtherRun {
                            dir: dir.display().to_string(),
                            found: found.clone(),
                            want: want.clone(),
                        });
                    }
                }
                let run_id = r.run_id.clone().or(run_id).unwrap_or_else(new_run_id);
                let writer = RunWriter::continue_run(dir, &run_id, &r)?;
                let started = Started {
                    run_id,
                    done: r.done,
                    removed: r.removed,
                    status: r.status,
                    redone: r.redone,
                };
                Ok((writer, started))
            }
        }
    }

    /// Creates the tables under `dir`. Refuses a directory that already holds output unless
    /// `overwrite`, in which case the old tables are removed.
    pub fn create(dir: &Path, run_id: &str, overwrite: bool) -> Result<Self, WriteError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        for t in layout::TABLES.iter().chain([&layout::EVIDENCE]) {
            let p = dir.join(t);
            if p.exists() {
                if !overwrite {
                    return Err(WriteError::NotEmpty(dir.display().to_string()));
                }
                std::fs::remove_dir_all(&p).map_err(io(&p))?;
            }
        }
        Self::open(dir, run_id, &Resumed::default())
    }

    /// Reads what an interrupted run left in `dir` and tidies it: half-written parts and the
    /// parts of an unfinished checkpoint are removed. An empty or missing directory is a run
    /// that has not started. Continue with [`RunWriter::continue_run`].
    pub fn resume(dir: &Path) -> Result<Resumed, WriteError> {
        let mut r = Resumed::default();
        let mut rels = Vec::new();
        for t in layout::TABLES.iter().chain([&layout::EVIDENCE]) {
            let tdir = dir.join(t);
            let entries = match std::fs::read_dir(&tdir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(&tdir)(e)),
            };
            for e in entries {
                let path = e.map_err(io(&tdir))?.path();
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if layout::is_tmp_part(&name) {
                    std::fs::remove_file(&path).map_err(io(&path))?;
                    r.removed.push(path);
                } else {
                    rels.push(format!("{t}/{name}"));
                }
            }
        }
        let plan = resume::tidy(rels.iter().map(String::as_str));
        r.next_part = plan.next_part;
        for rel in &plan.unfinished {
            let path = dir.join(rel);
            std::fs::remove_file(&path).map_err(io(&path))?;
            r.removed.push(path);
        }
        // The sites first: the rows the audit's own network lost leave their checkpoint
        // before the other parts are counted.
        for rel in &plan.sites {
            let part = read::sites_lines(&dir.join(rel))?;
            if r.run_id.is_none() {
                r.run_id = part.run_id;
            }
            if !part.network.is_empty() {
                let n = rel
                    .rsplit('/')
                    .next()
                    .and_then(layout::part_number)
                    .unwrap_or_default();
                redo::drop_lines(dir, n, &part.network)?;
                r.redone.extend(part.network);
            }
            r.rows.sites += part.lines.len() as u64;
            r.done.extend(part.lines);
            for s in part.status {
                *r.status.entry(s).or_default() += 1;
            }
        }
        for rel in &plan.kept {
            let rows = read::num_rows(&dir.join(rel))?;
            if rel.starts_with(layout::FETCHES) {
                r.rows.fetches += rows;
            } else {
                r.rows.findings += rows;
            }
        }
        for rel in &plan.evidence {
            r.evidence.push(evidence::described(dir, rel)?);
        }
        r.done.sort_unstable();
        r.done.dedup();
        Ok(r)
    }

    /// Continues a run that [`RunWriter::resume`] read: new parts follow the old ones.
    pub fn continue_run(dir: &Path, run_id: &str, resumed: &Resumed) -> Result<Self, WriteError> {
        Self::open(dir, run_id, resumed)
    }

    /// The tables under `dir` (created as needed), writing from part `resumed.next_part`.
    fn open(dir: &Path, run_id: &str, resumed: &Resumed) -> Result<Self, WriteError> {
        let part = resumed.next_part;
        Ok(RunWriter {
            lock: None,
            sink: None,
            dir: dir.to_path_buf(),
            run_id: run_id.to_string(),
            sites: TableWriter::new(dir, &schema::SITES, run_id, |r| r.input_line, part)?,
            fetches: TableWriter::new(dir, &schema::FETCHES, run_id, |r| r.input_line, part)?,
            findings: TableWriter::new(dir, &schema::FINDINGS, run_id, |r| r.input_line, part)?,
            evidence: evidence::EvidenceWriter::new(dir, run_id, part, resumed.evidence.clone()),
            earlier: resumed.rows,
        })
    }

    /// Writes one site's evidence records, and buffers its rows (written in batches).
    pub fn write(&mut self, mut report: SiteReport) -> Result<(), WriteError> {
        self.evidence.write(&mut report)?;
        for f in report.fetches {
            self.fetches.push(f)?;
        }
        for f in report.findings {
            self.findings.push(f)?;
        }
        self.sites.push(report.site)
    }

    /// Closes the current parts of all three tables under their final names, `sites` last:
    /// every site written so far survives a crash from here on.
    pub fn checkpoint(&mut self) -> Result<(), WriteError> {
        let closed = [
            self.fetches.close_part()?,
            self.findings.close_part()?,
            self.evidence.close_part()?,
            self.sites.close_part()?,
        ];
        self.hand_over(closed.iter().flatten())
    }

    /// Hands every completed file to `sink` from now on, in the order that keeps the
    /// directory's guarantees where it goes: a checkpoint's `fetches` and `findings` parts
    /// before its `sites` part, `run.json` last. The sink may move the file away (an upload
    /// to object storage).
    pub fn set_sink(&mut self, sink: PartSink) {
        self.sink = Some(sink);
    }

    fn hand_over<'a>(
        &mut self,
        paths: impl Iterator<Item = &'a PathBuf>,
    ) -> Result<(), WriteError> {
        if let Some(sink) = self.sink.as_mut() {
            for p in paths {
                sink(p).map_err(|message| WriteError::Sink {
                    path: p.display().to_string(),
                    message,
                })?;
            }
        }
        Ok(())
    }

    /// Adds rows of earlier parts that the directory does not hold (a resumed run in object
    /// storage counts its `fetches` and `findings` parts where they are) to the run's counts.
    pub fn count_earlier(&mut self, rows: RunCounts) {
        self.earlier.sites += rows.sites;
        self.earlier.fetches += rows.fetches;
        self.earlier.findings += rows.findings;
    }

    /// Closes every table, then writes `run.json` (the run's record): the last file a run
    /// writes. The counts include the rows of earlier parts of a resumed run.
    pub fn finish_run(mut self, record: &RunEnd<'_>) -> Result<RunCounts, WriteError> {
        let (dir, run_id) = (self.dir.clone(), self.run_id.clone());
        let counts = self.finish_tables()?;
        let path = record::write(&dir, &run_id, counts, &self.evidence.files, record)?;
        self.hand_over(std::iter::once(&path))?;
        Ok(counts)
    }

    /// Flushes and closes every table; the counts include the rows of earlier parts of a
    /// resumed run.
    pub fn finish(mut self) -> Result<RunCounts, WriteError> {
        self.finish_tables()
    }

    fn finish_tables(&mut self) -> Result<RunCounts, WriteError> {
        let earlier = self.earlier;
        let (fetches, a) = self.fetches.finish()?;
        let (findings, b) = self.findings.finish()?;
        let e = self.evidence.close_part()?;
        let (sites, c) = self.sites.finish()?;
        self.hand_over([a, b, e, c].iter().flatten())?;
        Ok(RunCounts {
            sites: earlier.sites + sites,
            fetches: earlier.fetches + fetches,
            findings: earlier.findings + findings,
        })
    }
}

/// The complete part files (`*.parquet`) of a table directory, in order: what readers read
/// (a part being written is a hidden `.tmp` file until it is complete).
pub fn part_files(table_dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut parts: Vec<PathBuf> = std::fs::read_dir(table_dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    parts.sort();
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::RecordBatch;
    use beian_types::{ErrorClass, FetchRow, SiteReport, SiteRow};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use std::fs::File;

    /// The message and its causes, as the binary prints them (`{:#}`).
    fn chain(e: &dyn std::error::Error) -> String {
        let mut s = e.to_string();
        let mut cur = e.source();
        while let Some(c) = cur {
            s.push_str(": ");
            s.push_str(&c.to_string());
            cur = c.source();
        }
        s
    }

    /// Refusals name the directory, and say each cause once (pinned).
    #[test]
    fn refusals_name_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        RunWriter::create(dir.path(), "r1", false)
            .unwrap()
            .finish()
            .unwrap();
        let again = RunWriter::create(dir.path(), "r2", false).err().unwrap();
        let text = chain(&again).replace(&dir.path().display().to_string(), "DIR");
        insta::assert_snapshot!(text, @"DIR already contains audit output");
        let file = dir.path().join("a-file");
        std::fs::write(&file, "x").unwrap();
        let under_a_file = RunWriter::create(&file.join("run"), "r3", false)
            .err()
            .unwrap();
        let text = chain(&under_a_file).replace(&dir.path().display().to_string(), "DIR");
        insta::assert_snapshot!(text, @"file-system error on DIR/a-file/run: Not a directory (os error 20)");
    }

    fn report(line: u64) -> SiteReport {
        SiteReport {
            site: SiteRow::input_error(
                line,
                format!("d{line}.cn"),
                ErrorClass::Internal,
                "x".into(),
                0,
            ),
            fetches: vec![FetchRow {
                input_line: line,
                ..FetchRow::default()
            }],
            findings: Vec::new(),
            browser: beian_types::BrowserWork::default(),
            evidence: Vec::new(),
        }
    }

    /// A crash between two checkpoints: the complete checkpoints' lines are done; the
    /// half-written part and the part of a checkpoint whose `sites` part is missing go.
    #[test]
    fn resume_keeps_complete_checkpoints_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = RunWriter::create(dir.path(), "run-1", false).unwrap();
        for line in 1..=3 {
            w.write(report(line)).unwrap();
        }
        w.checkpoint().unwrap();
        for line in 4..=5 {
            w.write(report(line)).unwrap();
        }
        w.checkpoint().unwrap();
        w.write(report(6)).unwrap();
        // Killed here: line 6 is buffered only. Simulate the other leftovers of a crash.
        drop(w);
        let fetches = dir.path().join("fetches");
        std::fs::copy(
            fetches.join("part-00001.parquet"),
            fetches.join("part-00007.parquet"),
        )
        .unwrap();
        std::fs::write(dir.path().join("sites/.part-00002.parquet.tmp"), b"half").unwrap();

        let r = RunWriter::resume(dir.path()).unwrap();
        assert_eq!(r.done, vec![1, 2, 3, 4, 5]);
        assert_eq!(r.status.get("input_error"), Some(&5));
        assert_eq!(r.run_id.as_deref(), Some("run-1"));
        assert_eq!(
            r.rows,
            RunCounts {
                sites: 5,
                fetches: 5,
                findings: 0
            }
        );
        assert!(!fetches.join("part-00007.parquet").exists());
        assert!(!dir.path().join("sites/.part-00002.parquet.tmp").exists());
        assert_eq!(r.removed.len(), 2, "{:?}", r.removed);

        // New parts follow the old ones; counts include the earlier rows.
        let mut w = RunWriter::continue_run(dir.path(), "run-1", &r).unwrap();
        w.write(report(6)).unwrap();
        let counts = w.finish().unwrap();
        assert_eq!(
            counts,
            RunCounts {
                sites: 6,
                fetches: 6,
                findings: 0
            }
        );
        let again = RunWriter::resume(dir.path()).unwrap();
        assert_eq!(again.done, (1..=6).collect::<Vec<_>>());
    }

    /// The rows the audit's own network lost leave their checkpoint on resume, in every
    /// table, and their lines are audited again; the parts keep their metadata.
    #[test]
    fn resume_audits_again_what_the_audit_s_network_lost() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = RunWriter::create(dir.path(), "run-1", false).unwrap();
        for line in 1..=4 {
            let mut r = report(line);
            if line % 2 == 0 {
                r.site.error_class = Some(ErrorClass::AuditNetwork);
            }
            w.write(r).unwrap();
        }
        w.checkpoint().unwrap();
        w.write(report(5)).unwrap();
        w.finish().unwrap();

        let r = RunWriter::resume(dir.path()).unwrap();
        assert_eq!(r.done, vec![1, 3, 5]);
        assert_eq!(r.redone, vec![2, 4]);
        assert_eq!(r.status.get("input_error"), Some(&3));
        assert_eq!(
            r.rows,
            RunCounts {
                sites: 3,
                fetches: 3,
                findings: 0
            }
        );
        let part = dir.path().join("fetches/part-00000.parquet");
        let f = File::open(&part).unwrap();
        let b = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f).unwrap();
        let meta: std::collections::HashMap<String, String> = b
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .unwrap()
            .iter()
            .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
            .collect();
        assert_eq!(meta["beian.run_id"], "run-1");
        assert_eq!(meta["beian.table"], "fetches");
        assert_eq!(meta["beian.schema_version"], SCHEMA_VERSION);
        assert_eq!(b.schema().fields(), schema::FETCHES.schema().fields());
        assert_eq!(b.metadata().file_metadata().num_rows(), 2);

        // Audited again, the lines are done; nothing is left to redo.
        let mut w = RunWriter::continue_run(dir.path(), "run-1", &r).unwrap();
        for line in r.redone {
            w.write(report(line)).unwrap();
        }
        w.finish().unwrap();
        let again = RunWriter::resume(dir.path()).unwrap();
        assert_eq!(again.done, (1..=5).collect::<Vec<_>>());
        assert!(again.redone.is_empty());
        assert_eq!(again.rows.fetches, 5);
    }

    #[test]
    fn resume_of_nothing_is_a_fresh_start() {
        let dir = tempfile::tempdir().unwrap();
        let r = RunWriter::resume(&dir.path().join("absent")).unwrap();
        assert!(r.done.is_empty() && r.run_id.is_none() && r.removed.is_empty());
    }

    /// Sites finish out of order; each part is written in input-line order, and a reader of
    /// the file sees signed 64-bit lines (schema 2).
    #[test]
    fn parts_are_sorted_by_input_line() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = RunWriter::create(dir.path(), "run-1", false).unwrap();
        for line in [5, 2, 9, 1, 7, 3] {
            w.write(report(line)).unwrap();
        }
        w.finish().unwrap();
        for table in ["sites", "fetches"] {
            let f = File::open(dir.path().join(table).join("part-00000.parquet")).unwrap();
            let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
                .unwrap()
                .build()
                .unwrap();
            let mut lines = Vec::new();
            for batch in reader {
                let batch = batch.unwrap();
                let col = batch.column_by_name("input_line").unwrap();
                let col = col
                    .as_any()
                    .downcast_ref::<arrow_array::Int64Array>()
                    .unwrap();
                lines.extend(col.iter().flatten());
            }
            assert_eq!(lines, [1, 2, 3, 5, 7, 9], "{table}");
        }
    }

    /// `--resume` on a run of another schema major version is refused, naming the part.
    #[test]
    fn resume_refuses_another_schema_version() {
        let dir = tempfile::tempdir().unwrap();
        let sites = dir.path().join("sites");
        std::fs::create_dir_all(&sites).unwrap();
        let schema =
            std::sync::Arc::new(arrow_schema::Schema::new(vec![arrow_schema::Field::new(
                "input_line",
                arrow_schema::DataType::UInt64,
                false,
            )]));
        let props = WriterProperties::builder()
            .set_key_value_metadata(Some(vec![parquet::file::metadata::KeyValue::new(
                "beian.schema_version".into(),
                "1.1".to_string(),
            )]))
            .build();
        let f = File::create(sites.join("part-00000.parquet")).unwrap();
        let mut w = ArrowWriter::try_new(f, schema.clone(), Some(props)).unwrap();
        let col = arrow_array::UInt64Array::from(vec![1u64, 2]);
        w.write(&RecordBatch::try_new(schema, vec![std::sync::Arc::new(col)]).unwrap())
            .unwrap();
        w.close().unwrap();
        let err = RunWriter::resume(dir.path()).err().unwrap();
        let text = chain(&err).replace(&dir.path().display().to_string(), "DIR");
        insta::assert_snapshot!(text, @"DIR/sites/part-00000.parquet was written with output schema 1.1; this beian writes 2.11 and resumes only its own runs: finish the run with the beian that started it, or start a new one");
    }
}
