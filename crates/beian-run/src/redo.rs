//! The rows a resumed run audits again: a site whose row says the audit's own network failed
//! (`error_class` `audit_network`) was not checked at all, so `--resume` takes its rows out of
//! the checkpoint that holds them and audits its input line anew (issue 28).

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::{Array, BooleanArray, Int64Array};
use arrow_select::filter::filter_record_batch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::schema::types::ColumnPath;

use crate::layout::{FETCHES, FINDINGS, SITES, part_name, tmp_part_name};
use crate::part::properties;
use crate::schema::{self, col};
use crate::{WriteError, io};

/// The `error_class` of a row the audit's own network lost.
pub const AUDIT_NETWORK: &str = "audit_network";

/// Removes the rows of input `lines` (sorted) from checkpoint `part`'s files under `dir`,
/// `fetches` and `findings` first and `sites` last: until `sites` is rewritten the lines count
/// as done, and the next resume removes them again, so a crash in between loses nothing.
/// Each file is rewritten under its temporary name and renamed. Returns the files rewritten,
/// in that order (a run in object storage uploads them so).
pub fn drop_lines(dir: &Path, part: usize, lines: &[u64]) -> Result<Vec<PathBuf>, WriteError> {
    let mut rewritten = Vec::new();
    for table in [FETCHES, FINDINGS, SITES] {
        let path = dir.join(table).join(part_name(part));
        if path.exists() {
            rewrite_without(&path, table, part, lines)?;
            rewritten.push(path);
        }
    }
    Ok(rewritten)
}

/// The input lines of a complete `sites` part whose rows say the audit's own network failed,
/// sorted.
pub fn network_lines(sites_part: &Path) -> Result<Vec<u64>, WriteError> {
    Ok(crate::read::sites_lines(sites_part)?.network)
}

fn dictionary_paths(table: &str) -> Vec<ColumnPath> {
    match table {
        SITES => schema::SITES.dictionary_paths().collect(),
        FETCHES => schema::FETCHES.dictionary_paths().collect(),
        _ => schema::FINDINGS.dictionary_paths().collect(),
    }
}

/// `path` without the rows of `lines`: the same schema, metadata and encoding.
fn rewrite_without(
    path: &Path,
    table: &'static str,
    part: usize,
    lines: &[u64],
) -> Result<(), WriteError> {
    let bad = |e: &dyn std::fmt::Display| WriteError::Part {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let f = File::open(path).map_err(io(path))?;
    let b = ParquetRecordBatchReaderBuilder::try_new(f).map_err(|e| bad(&e))?;
    // The writer adds the Arrow schema itself.
    let metadata = b
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|kv| kv.key != "ARROW:schema")
        .collect();
    let arrow_schema = b.schema().clone();
    let reader = b.build().map_err(|e| bad(&e))?;
    let tmp = path.with_file_name(tmp_part_name(part));
    let out = File::create(&tmp).map_err(io(&tmp))?;
    let props = properties(dictionary_paths(table).into_iter(), metadata).map_err(|e| bad(&e))?;
    let mut w = ArrowWriter::try_new(out, arrow_schema, Some(props)).map_err(|e| bad(&e))?;
    for batch in reader {
        let batch = batch.map_err(|e| bad(&e))?;
        let line = batch
            .column_by_name(col::INPUT_LINE)
            .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
            .ok_or_else(|| bad(&"input_line is not Int64"))?;
        let keep: BooleanArray = line
            .iter()
            .map(|l| {
                let dropped = l
                    .and_then(|l| u64::try_from(l).ok())
                    .is_some_and(|l| lines.binary_search(&l).is_ok());
                Some(!dropped)
            })
            .collect();
        let kept = filter_record_batch(&batch, &keep).map_err(|e| bad(&e))?;
        if kept.num_rows() > 0 {
            w.write(&kept).map_err(|e| bad(&e))?;
        }
    }
    let file = w.into_inner().map_err(|e| bad(&e))?;
    file.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}
