//! The output schema (a public interface: docs/SCHEMA.md) and the writer of a run directory:
//! three Parquet tables, `sites`, `fetches` and `findings`, sharing `run_id` and `domain`.
//!
//! Each table is a directory of part files. A part is written under a temporary name and
//! renamed when complete, so a reader never sees a half-written file. Rows are buffered and
//! written in batches (bounded memory); the schema version sits in every file's metadata.
#![deny(missing_docs)]

mod schema;

pub use schema::{SCHEMA_VERSION, fetches_schema, findings_schema, sites_schema};

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use beian_types::{FetchRow, FindingRow, SiteReport, SiteRow};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

/// Rows buffered per table before a record batch is written.
const BATCH_ROWS: usize = 4096;
/// Rows per part file before it is closed and a new one started.
const PART_ROWS: usize = 1_000_000;
/// Rows per Parquet row group. The writer holds a whole row group in memory, and `findings`
/// rows carry evidence and fixes (a few hundred bytes each): 32 Ki rows keep that near 10 MB
/// (128 Ki rows cost ~80 MB of peak RSS in the 10,000-domain fleet benchmark).
const ROW_GROUP_ROWS: usize = 32 * 1024;

/// Writing output failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// File-system error.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Parquet/Arrow encoding error.
    #[error("writing {table}: {message}")]
    Encode {
        /// The table.
        table: &'static str,
        /// Why.
        message: String,
    },
    /// The output directory already holds a run.
    #[error("{0} already contains audit output; choose another --out or pass --overwrite")]
    NotEmpty(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.display().to_string(),
        source,
    }
}

struct Table<R> {
    name: &'static str,
    dir: PathBuf,
    schema: SchemaRef,
    run_id: String,
    buf: Vec<R>,
    writer: Option<(ArrowWriter<File>, PathBuf, PathBuf)>,
    part: usize,
    rows_in_part: usize,
    rows: u64,
    to_batch: fn(&str, &SchemaRef, &[R]) -> Result<RecordBatch, arrow_schema::ArrowError>,
}

impl<R> Table<R> {
    fn new(
        root: &Path,
        name: &'static str,
        schema: SchemaRef,
        run_id: &str,
        to_batch: fn(&str, &SchemaRef, &[R]) -> Result<RecordBatch, arrow_schema::ArrowError>,
    ) -> Result<Self, WriteError> {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        Ok(Table {
            name,
            dir,
            schema,
            run_id: run_id.to_string(),
            buf: Vec::with_capacity(BATCH_ROWS),
            writer: None,
            part: 0,
            rows_in_part: 0,
            rows: 0,
            to_batch,
        })
    }

    fn encode_err(&self, e: impl std::fmt::Display) -> WriteError {
        WriteError::Encode {
            table: self.name,
            message: e.to_string(),
        }
    }

    fn push(&mut self, row: R) -> Result<(), WriteError> {
        self.buf.push(row);
        if self.buf.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn open_part(&mut self) -> Result<(), WriteError> {
        let final_path = self.dir.join(format!("part-{:05}.parquet", self.part));
        let tmp = self.dir.join(format!(".part-{:05}.parquet.tmp", self.part));
        let file = File::create(&tmp).map_err(io(&tmp))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(
                ZstdLevel::try_new(3).map_err(|e| self.encode_err(e))?,
            ))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_key_value_metadata(Some(vec![
                parquet::file::metadata::KeyValue::new(
                    "beian.schema_version".into(),
                    SCHEMA_VERSION.to_string(),
                ),
                parquet::file::metadata::KeyValue::new("beian.run_id".into(), self.run_id.clone()),
                parquet::file::metadata::KeyValue::new("beian.table".into(), self.name.to_string()),
            ]))
            .build();
        let w = ArrowWriter::try_new(file, self.schema.clone(), Some(props))
            .map_err(|e| self.encode_err(e))?;
        self.writer = Some((w, tmp, final_path));
        self.rows_in_part = 0;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), WriteError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        if self.writer.is_none() {
            self.open_part()?;
        }
        let batch = (self.to_batch)(&self.run_id, &self.schema, &self.buf)
            .map_err(|e| self.encode_err(e))?;
        let n = self.buf.len();
        self.buf.clear();
        if let Some((w, _, _)) = self.writer.as_mut() {
            w.write(&batch).map_err(|e| WriteError::Encode {
                table: self.name,
                message: e.to_string(),
            })?;
        }
        self.rows += n as u64;
        self.rows_in_part += n;
        if self.rows_in_part >= PART_ROWS {
            self.close_part()?;
        }
        Ok(())
    }

    fn close_part(&mut self) -> Result<(), WriteError> {
        if let Some((w, tmp, final_path)) = self.writer.take() {
            w.close().map_err(|e| self.encode_err(e))?;
            std::fs::rename(&tmp, &final_path).map_err(io(&final_path))?;
            self.part += 1;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<u64, WriteError> {
        self.flush()?;
        if self.part == 0 && self.writer.is_none() {
            // An empty table still gets a file, so readers find the schema.
            self.open_part()?;
        }
        self.close_part()?;
        Ok(self.rows)
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
    sites: Table<SiteRow>,
    fetches: Table<FetchRow>,
    findings: Table<FindingRow>,
}

impl RunWriter {
    /// Creates the tables under `dir`. Refuses a directory that already holds output unless
    /// `overwrite`, in which case the old tables are removed.
    pub fn create(dir: &Path, run_id: &str, overwrite: bool) -> Result<Self, WriteError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        for t in ["sites", "fetches", "findings"] {
            let p = dir.join(t);
            if p.exists() {
                if !overwrite {
                    return Err(WriteError::NotEmpty(dir.display().to_string()));
                }
                std::fs::remove_dir_all(&p).map_err(io(&p))?;
            }
        }
        Ok(RunWriter {
            sites: Table::new(dir, "sites", sites_schema(), run_id, schema::sites_batch)?,
            fetches: Table::new(
                dir,
                "fetches",
                fetches_schema(),
                run_id,
                schema::fetches_batch,
            )?,
            findings: Table::new(
                dir,
                "findings",
                findings_schema(),
                run_id,
                schema::findings_batch,
            )?,
        })
    }

    /// Buffers one site's rows (written in batches).
    pub fn write(&mut self, report: SiteReport) -> Result<(), WriteError> {
        for f in report.fetches {
            self.fetches.push(f)?;
        }
        for f in report.findings {
            self.findings.push(f)?;
        }
        self.sites.push(report.site)
    }

    /// Flushes and closes every table.
    pub fn finish(self) -> Result<RunCounts, WriteError> {
        Ok(RunCounts {
            fetches: self.fetches.finish()?,
            findings: self.findings.finish()?,
            sites: self.sites.finish()?,
        })
    }
}
