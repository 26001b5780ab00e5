//! `beian finalize RUN [--input FILE]`: a sharded run checked whole and its
//! `_SUCCESS.json` written (`beian_pipeline::finalize_run`, on disk or in a bucket).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

/// Finalizes `run` and says what it wrote.
pub(crate) async fn finalize_cmd(run: &Path, input: Option<&Path>) -> Result<ExitCode> {
    let done = beian_pipeline::finalize_run(run, input).await?;
    println!(
        "finalized run {} in {}: {} shards, {} sites rows{}; {} written",
        done.run_id,
        run.display(),
        done.shard_count,
        done.rows.sites,
        if input.is_some() {
            ", every input line once"
        } else {
            ", no input line twice"
        },
        beian_run::layout::SUCCESS_RECORD,
    );
    Ok(ExitCode::SUCCESS)
}
