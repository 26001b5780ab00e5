//! What resuming keeps of an interrupted run, decided from the names of its parts alone, so
//! that a run directory on disk and one in object storage are tidied by the same rule; and the
//! row count of a part read from its footer, so that a bucket's parts need not be downloaded
//! to be counted.

use parquet::file::metadata::ParquetMetaDataReader;

use crate::WriteError;
use crate::layout::{EVIDENCE, SITES, TABLES, evidence_part_number, part_number};

/// A run's parts (paths relative to the run directory: `fetches/part-00003.parquet`) sorted
/// by what resuming does with them. A checkpoint is complete when its `sites` part exists
/// (it is closed last); the other parts of an unfinished checkpoint are removed and their
/// lines audited again.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tidy {
    /// Complete `sites` parts: what the run has done.
    pub sites: Vec<String>,
    /// `fetches` and `findings` parts of complete checkpoints: counted, kept.
    pub kept: Vec<String>,
    /// Evidence parts of complete checkpoints: kept.
    pub evidence: Vec<String>,
    /// Parts of unfinished checkpoints: removed.
    pub unfinished: Vec<String>,
    /// The number the next parts get (past every part seen, removed ones included, so a name
    /// is never reused while an old copy may linger).
    pub next_part: usize,
}

/// Sorts the relative paths `rels` of a run directory; paths that are not parts of a table
/// are left out.
pub fn tidy<'a>(rels: impl IntoIterator<Item = &'a str>) -> Tidy {
    let mut parts: Vec<(&str, usize, &str)> = rels
        .into_iter()
        .filter_map(|rel| {
            let (table, name) = rel.split_once('/')?;
            if table == EVIDENCE {
                return Some((EVIDENCE, evidence_part_number(name)?, rel));
            }
            let table = TABLES.iter().find(|t| **t == table)?;
            Some((*table, part_number(name)?, rel))
        })
        .collect();
    parts.sort_unstable();
    let complete: std::collections::HashSet<usize> = parts
        .iter()
        .filter(|(t, ..)| *t == SITES)
        .map(|(_, n, _)| *n)
        .collect();
    let mut out = Tidy {
        next_part: parts.iter().map(|(_, n, _)| n + 1).max().unwrap_or(0),
        ..Tidy::default()
    };
    for (table, n, rel) in parts {
        let to = if table == SITES {
            &mut out.sites
        } else if !complete.contains(&n) {
            &mut out.unfinished
        } else if table == EVIDENCE {
            &mut out.evidence
        } else {
            &mut out.kept
        };
        to.push(rel.to_string());
    }
    out
}

/// How many bytes from a Parquet file's end a first read takes: the footers of this
/// project's parts are a few KiB.
pub const TAIL_GUESS: u64 = 64 * 1024;

/// What the last bytes of a Parquet file tell.
#[derive(Debug, PartialEq, Eq)]
pub enum Tail {
    /// The file's rows.
    Rows(u64),
    /// The footer is longer: read this many bytes from the end.
    Need(u64),
}

/// The row count of the Parquet file `name` ends with `tail` (its last bytes: the whole
/// footer, or at least its last 8, which say how long the footer is).
pub fn rows_from_tail(name: &str, tail: &[u8]) -> Result<Tail, WriteError> {
    let bad = |message: String| WriteError::Part {
        path: name.to_string(),
        message,
    };
    let n = tail.len();
    let Some(end) = tail.get(n.saturating_sub(8)..).filter(|e| e.len() == 8) else {
        return Err(bad("shorter than a Parquet footer".into()));
    };
    if &end[4..] != b"PAR1" {
        return Err(bad("not a Parquet file (no PAR1 at its end)".into()));
    }
    let len = u64::from(u32::from_le_bytes([end[0], end[1], end[2], end[3]]));
    let need = len + 8;
    if (n as u64) < need {
        return Ok(Tail::Need(need));
    }
    let start = n - need as usize;
    let meta = ParquetMetaDataReader::decode_metadata(&tail[start..n - 8])
        .map_err(|e| bad(e.to_string()))?;
    Ok(Tail::Rows(
        u64::try_from(meta.file_metadata().num_rows()).unwrap_or(0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unfinished_checkpoint_is_removed_and_the_rest_kept() {
        let t = tidy([
            "sites/part-00000.parquet",
            "fetches/part-00000.parquet",
            "findings/part-00000.parquet",
            "evidence/part-00000.warc.gz",
            // Checkpoint 1 closed its fetches and evidence parts, then the run died.
            "fetches/part-00001.parquet",
            "evidence/part-00001.warc.gz",
            "run.json",
            "report/report.html",
            "sites/.part-00001.parquet.tmp",
        ]);
        assert_eq!(t.sites, ["sites/part-00000.parquet"]);
        assert_eq!(
            t.kept,
            ["fetches/part-00000.parquet", "findings/part-00000.parquet"]
        );
        assert_eq!(t.evidence, ["evidence/part-00000.warc.gz"]);
        assert_eq!(
            t.unfinished,
            ["evidence/part-00001.warc.gz", "fetches/part-00001.parquet"]
        );
        assert_eq!(t.next_part, 2);
    }

    #[test]
    fn nothing_is_a_fresh_start() {
        assert_eq!(tidy([]), Tidy::default());
    }

    #[test]
    fn a_footer_read_from_the_end_counts_the_rows() {
        use std::sync::Arc;

        use arrow_array::{Int64Array, RecordBatch};
        let batch = RecordBatch::try_from_iter([(
            "n",
            Arc::new(Int64Array::from_iter_values(0..1000)) as _,
        )])
        .unwrap();
        let mut file = Vec::new();
        let mut w = parquet::arrow::ArrowWriter::try_new(&mut file, batch.schema(), None).unwrap();
        for _ in 0..3 {
            w.write(&batch).unwrap();
            w.flush().unwrap();
        }
        w.close().unwrap();
        let Ok(Tail::Need(need)) = rows_from_tail("f", &file[file.len() - 8..]) else {
            panic!("8 bytes hold no footer")
        };
        let at = file.len() - usize::try_from(need).unwrap();
        assert_eq!(
            rows_from_tail("f", &file[at..]).ok(),
            Some(Tail::Rows(3000))
        );
        assert_eq!(rows_from_tail("f", &file).ok(), Some(Tail::Rows(3000)));
    }

    #[test]
    fn garbage_is_no_footer() {
        assert!(rows_from_tail("x", b"").is_err());
        assert!(rows_from_tail("x", b"0123456789").is_err());
        // A footer length past what was read asks for more.
        let mut t = vec![0u8; 16];
        t.extend_from_slice(&100u32.to_le_bytes());
        t.extend_from_slice(b"PAR1");
        assert_eq!(rows_from_tail("x", &t).ok(), Some(Tail::Need(108)));
        // The right length over bytes that are no metadata.
        let mut t = vec![7u8; 16];
        t.extend_from_slice(&16u32.to_le_bytes());
        t.extend_from_slice(b"PAR1");
        assert!(rows_from_tail("x", &t).is_err());
    }
}
