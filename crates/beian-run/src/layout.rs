//! The names of a run directory and of a history, in one place (docs/SCHEMA.md, "Run
//! directory" and "History"; docs/SHARDS.md). Everything that writes, lists, resumes, mirrors
//! or reads a run spells its names through here — on disk and in object storage alike.
//!
//! ```text
//! ROOT/run_date=YYYY-MM-DD/run=<run id>/        a history's run (Hive-style partitions)
//!   sites/ fetches/ findings/                   the tables (TABLES)
//!     part-00012.parquet                        a complete part (part_name)
//!     .part-00013.parquet.tmp                   a part being written (tmp_part_name)
//!   evidence/                                   the WARC records of the evidence (EVIDENCE)
//!     part-00012.warc.gz                        closed with the tables' part 12
//!     .part-00013.warc.gz.tmp                   being written
//!   run.json                                    the run's record, written last (RUN_RECORD)
//!   .lock                                       the writer's lock on disk (LOCK_FILE)
//!   shard=0003/                                 one shard of a sharded run (shard_dir)
//!   _SUCCESS.json                               a finalized sharded run (SUCCESS_RECORD)
//! ```

/// The tables of a run, `sites` first: its part is closed last at each checkpoint.
pub const TABLES: [&str; 3] = [SITES, FETCHES, FINDINGS];
/// The `sites` table: one row per input line.
pub const SITES: &str = "sites";
/// The `fetches` table: one row per probe.
pub const FETCHES: &str = "fetches";
/// The `findings` table: one row per rule verdict.
pub const FINDINGS: &str = "findings";

/// The evidence directory: WARC parts numbered as the tables' parts (`--evidence`).
pub const EVIDENCE: &str = "evidence";

/// The run's record, written when the run ends (complete or interrupted).
pub const RUN_RECORD: &str = "run.json";
/// The record of a finalized sharded run, written last: it stands for the run's `run.json`.
pub const SUCCESS_RECORD: &str = "_SUCCESS.json";
/// The lock file of a run directory on disk (`flock`).
pub const LOCK_FILE: &str = ".lock";
/// Names starting so are a writer's lock (the file on disk, `.lock.json` in a bucket), never
/// part of the run's data.
pub const LOCK_PREFIX: &str = ".lock";

/// The partition key of a history's audit dates.
pub const RUN_DATE_KEY: &str = "run_date=";
/// The partition key of a history's runs (not `run_id=`: Spark refuses a partition column
/// that repeats a data column, and the tables have `run_id`).
pub const RUN_KEY: &str = "run=";
/// The key of a shard's directory inside a sharded run's.
pub const SHARD_KEY: &str = "shard=";

/// The file name of complete part `n` of a table.
pub fn part_name(n: usize) -> String {
    format!("part-{n:05}.parquet")
}

/// The file name part `n` has while it is written.
pub fn tmp_part_name(n: usize) -> String {
    format!(".part-{n:05}.parquet.tmp")
}

/// The number of a complete part's file name (`part-00012.parquet` → 12).
pub fn part_number(name: &str) -> Option<usize> {
    name.strip_prefix("part-")?
        .strip_suffix(".parquet")?
        .parse()
        .ok()
}

/// The file name of evidence part `n`.
pub fn evidence_part_name(n: usize) -> String {
    format!("part-{n:05}.warc.gz")
}

/// The file name evidence part `n` has while it is written.
pub fn tmp_evidence_part_name(n: usize) -> String {
    format!(".part-{n:05}.warc.gz.tmp")
}

/// The number of a complete evidence part's file name (`part-00012.warc.gz` → 12).
pub fn evidence_part_number(name: &str) -> Option<usize> {
    name.strip_prefix("part-")?
        .strip_suffix(".warc.gz")?
        .parse()
        .ok()
}

/// Whether `name` is a part being written (left by a run that was stopped).
pub fn is_tmp_part(name: &str) -> bool {
    name.starts_with(".part-") && name.ends_with(".tmp")
}

/// The directory name of audit date `run_date` (`YYYY-MM-DD`) in a history.
pub fn run_date_dir(run_date: &str) -> String {
    format!("{RUN_DATE_KEY}{run_date}")
}

/// The directory name of run `run_id` under its date.
pub fn run_dir_name(run_id: &str) -> String {
    format!("{RUN_KEY}{run_id}")
}

/// The directory of shard `index` inside a sharded run's directory (`shard=0003`: four
/// digits, so that they list in order).
pub fn shard_dir(index: u32) -> String {
    format!("{SHARD_KEY}{index:04}")
}

/// The value of a partition name `<key><value>` (`run_date=2026-12-07` → `2026-12-07`);
/// `None` for another name or an empty value.
pub fn partition<'a>(name: &'a str, key: &str) -> Option<&'a str> {
    name.strip_prefix(key).filter(|v| !v.is_empty())
}

/// Whether `name` (a file name or a path relative to the run) is a writer's lock.
pub fn is_lock(name: &str) -> bool {
    name.starts_with(LOCK_PREFIX)
}

/// Whether a path relative to the run is one of its records.
pub fn is_record(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name == RUN_RECORD || name == SUCCESS_RECORD
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(part_name(12), "part-00012.parquet");
        assert_eq!(part_number(&part_name(12)), Some(12));
        assert_eq!(part_number(&tmp_part_name(12)), None);
        assert!(is_tmp_part(&tmp_part_name(3)));
        assert!(!is_tmp_part(&part_name(3)));
        assert_eq!(part_number("part-x.parquet"), None);
        assert_eq!(evidence_part_number(&evidence_part_name(7)), Some(7));
        assert_eq!(evidence_part_number(&part_name(7)), None);
        assert!(is_tmp_part(&tmp_evidence_part_name(7)));
        assert_eq!(shard_dir(3), "shard=0003");
        assert_eq!(partition(&shard_dir(3), SHARD_KEY), Some("0003"));
        assert_eq!(
            partition(&run_date_dir("2026-12-07"), RUN_DATE_KEY),
            Some("2026-12-07")
        );
        assert_eq!(partition(&run_dir_name("r1"), RUN_KEY), Some("r1"));
        assert_eq!(partition("run=", RUN_KEY), None);
        assert_eq!(partition("run_date=x", RUN_KEY), None);
        assert!(is_lock(".lock") && is_lock(".lock.json") && !is_lock("sites"));
        assert!(is_record("shard=0001/run.json") && is_record("_SUCCESS.json"));
        assert!(!is_record("sites/part-00001.parquet"));
    }
}
