//! Reading back a run's complete parts (for resuming).

use std::fs::File;
use std::path::Path;

use arrow_array::{Array, Int64Array, StringArray};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::{FileReader, SerializedFileReader};

use crate::redo::AUDIT_NETWORK;
use crate::schema::{META_RUN_ID, META_SCHEMA_VERSION, SCHEMA_VERSION, col};
use crate::{WriteError, io};

fn unreadable(path: &Path, e: impl std::fmt::Display) -> WriteError {
    WriteError::Encode {
        table: "resume",
        message: format!("{}: {e}", path.display()),
    }
}

pub(crate) fn num_rows(path: &Path) -> Result<u64, WriteError> {
    let f = File::open(path).map_err(io(path))?;
    let r = SerializedFileReader::new(f).map_err(|e| unreadable(path, e))?;
    Ok(u64::try_from(r.metadata().file_metadata().num_rows()).unwrap_or(0))
}

/// What a complete `sites` part holds for resuming: the run id (file metadata), the input
/// lines and their statuses, and the lines the audit's own network lost (to audit again).
pub(crate) struct SitesPart {
    pub(crate) run_id: Option<String>,
    pub(crate) lines: Vec<u64>,
    pub(crate) status: Vec<String>,
    /// Sorted.
    pub(crate) network: Vec<u64>,
}

pub(crate) fn sites_lines(path: &Path) -> Result<SitesPart, WriteError> {
    let f = File::open(path).map_err(io(path))?;
    let b = ParquetRecordBatchReaderBuilder::try_new(f).map_err(|e| unreadable(path, e))?;
    let meta = |key: &str| {
        b.metadata()
            .file_metadata()
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|k| k.key == key))
            .and_then(|k| k.value.clone())
    };
    let run_id = meta(META_RUN_ID);
    let version = meta(META_SCHEMA_VERSION).unwrap_or_default();
    let major = |v: &str| v.split('.').next().map(str::to_string);
    if major(&version) != major(SCHEMA_VERSION) {
        return Err(WriteError::OtherVersion {
            path: path.display().to_string(),
            found: version,
        });
    }
    let mask = ProjectionMask::columns(
        b.parquet_schema(),
        [col::INPUT_LINE, col::STATUS, col::ERROR_CLASS],
    );
    let reader = b
        .with_projection(mask)
        .build()
        .map_err(|e| unreadable(path, e))?;
    let mut lines = Vec::new();
    let mut status = Vec::new();
    let mut network = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| unreadable(path, e))?;
        let col = batch
            .column_by_name(col::INPUT_LINE)
            .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
            .ok_or_else(|| unreadable(path, "input_line is not Int64"))?;
        let error = batch
            .column_by_name(col::ERROR_CLASS)
            .and_then(|c| c.as_any().downcast_ref::<StringArray>())
            .ok_or_else(|| unreadable(path, "error_class is not a string"))?;
        let st = batch
            .column_by_name(col::STATUS)
            .and_then(|c| c.as_any().downcast_ref::<StringArray>())
            .ok_or_else(|| unreadable(path, "status is not a string"))?;
        for i in 0..batch.num_rows() {
            let Some(line) = (!col.is_null(i))
                .then(|| col.value(i))
                .and_then(|l| u64::try_from(l).ok())
            else {
                continue;
            };
            if !error.is_null(i) && error.value(i) == AUDIT_NETWORK {
                network.push(line);
            } else {
                lines.push(line);
                status.extend((!st.is_null(i)).then(|| st.value(i).to_string()));
            }
        }
    }
    network.sort_unstable();
    Ok(SitesPart {
        run_id,
        lines,
        status,
        network,
    })
}
