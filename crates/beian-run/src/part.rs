//! One table's part files being written: rows buffered and written in sorted batches, each
//! part under a temporary name until it is complete.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::schema::{META_RUN_ID, META_SCHEMA_VERSION, META_TABLE, SCHEMA_VERSION, Table};
use crate::{WriteError, io, layout};

/// Rows buffered per table before a record batch is written.
const BATCH_ROWS: usize = 4096;
/// Rows per Parquet row group. The writer holds a whole row group in memory, and `findings`
/// rows carry evidence and fixes (a few hundred bytes each): 32 Ki rows keep that near 10 MB
/// (128 Ki rows cost ~80 MB of peak RSS in the 10,000-domain fleet benchmark).
const ROW_GROUP_ROWS: usize = 32 * 1024;

/// How every part is written: zstd, row groups of [`ROW_GROUP_ROWS`], page statistics, a
/// dictionary for the columns `dictionary` names only, and the file's `metadata`.
pub(crate) fn properties(
    dictionary: impl Iterator<Item = ColumnPath>,
    metadata: Vec<KeyValue>,
) -> Result<WriterProperties, ParquetError> {
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_dictionary_enabled(false);
    for path in dictionary {
        props = props.set_column_dictionary_enabled(path, true);
    }
    Ok(props.set_key_value_metadata(Some(metadata)).build())
}

pub(crate) struct TableWriter<R: 'static> {
    table: &'static Table<R>,
    dir: PathBuf,
    schema: SchemaRef,
    run_id: String,
    buf: Vec<R>,
    writer: Option<(ArrowWriter<File>, PathBuf, PathBuf)>,
    part: usize,
    rows: u64,
    /// A part of this table is complete in the directory, or was (a sink may have moved it).
    has_parts: bool,
    /// The row's input line: each batch is sorted by it before it is written.
    line_of: fn(&R) -> u64,
}

impl<R> TableWriter<R> {
    /// The table's parts under `root`, from part number `part` on.
    pub(crate) fn new(
        root: &Path,
        table: &'static Table<R>,
        run_id: &str,
        line_of: fn(&R) -> u64,
        part: usize,
    ) -> Result<Self, WriteError> {
        let dir = root.join(table.name);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        Ok(TableWriter {
            table,
            dir,
            schema: table.schema(),
            run_id: run_id.to_string(),
            buf: Vec::with_capacity(BATCH_ROWS),
            writer: None,
            part,
            rows: 0,
            // Resuming from part N: parts below N are complete.
            has_parts: part > 0,
            line_of,
        })
    }

    fn encode_err(&self, e: impl std::fmt::Display) -> WriteError {
        WriteError::Encode {
            table: self.table.name,
            message: e.to_string(),
        }
    }

    pub(crate) fn push(&mut self, row: R) -> Result<(), WriteError> {
        self.buf.push(row);
        if self.buf.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn open_part(&mut self) -> Result<(), WriteError> {
        let final_path = self.dir.join(layout::part_name(self.part));
        let tmp = self.dir.join(layout::tmp_part_name(self.part));
        let file = File::create(&tmp).map_err(io(&tmp))?;
        let props = properties(
            self.table.dictionary_paths(),
            vec![
                KeyValue::new(META_SCHEMA_VERSION.into(), SCHEMA_VERSION.to_string()),
                KeyValue::new(META_RUN_ID.into(), self.run_id.clone()),
                KeyValue::new(META_TABLE.into(), self.table.name.to_string()),
            ],
        )
        .map_err(|e| self.encode_err(e))?;
        let w = ArrowWriter::try_new(file, self.schema.clone(), Some(props))
            .map_err(|e| self.encode_err(e))?;
        self.writer = Some((w, tmp, final_path));
        Ok(())
    }

    fn flush(&mut self) -> Result<(), WriteError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        if self.writer.is_none() {
            self.open_part()?;
        }
        // Sites finish out of order; sorted batches keep each page's and row group's range
        // of input lines narrow, so their statistics let range scans skip them.
        self.buf.sort_by_key(self.line_of);
        let batch = self
            .table
            .batch(&self.run_id, &self.schema, &self.buf)
            .map_err(|e| self.encode_err(e))?;
        let n = self.buf.len();
        self.buf.clear();
        if let Some((w, tmp, _)) = self.writer.as_mut() {
            w.write(&batch).map_err(|e| WriteError::Part {
                path: tmp.display().to_string(),
                message: e.to_string(),
            })?;
        }
        self.rows += n as u64;
        Ok(())
    }

    /// Writes out the buffered rows and closes the open part (if any) under its final name;
    /// the next rows go to the next number, whether or not this one had rows (the tables'
    /// parts stay numbered alike).
    /// Returns the completed part's path, if the part had a file.
    pub(crate) fn close_part(&mut self) -> Result<Option<PathBuf>, WriteError> {
        self.flush()?;
        let mut closed = None;
        if let Some((w, tmp, final_path)) = self.writer.take() {
            let file = w.into_inner().map_err(|e| WriteError::Part {
                path: tmp.display().to_string(),
                message: e.to_string(),
            })?;
            // On disk before the name says "complete" (a crash of the machine, not only of
            // the process, then leaves no empty part behind).
            file.sync_all().map_err(io(&tmp))?;
            std::fs::rename(&tmp, &final_path).map_err(io(&final_path))?;
            self.has_parts = true;
            closed = Some(final_path);
        }
        self.part += 1;
        Ok(closed)
    }

    pub(crate) fn finish(&mut self) -> Result<(u64, Option<PathBuf>), WriteError> {
        self.flush()?;
        if !self.has_parts && self.writer.is_none() {
            // An empty table still gets a file, so readers find the schema.
            self.open_part()?;
        }
        let closed = self.close_part()?;
        Ok((self.rows, closed))
    }
}
