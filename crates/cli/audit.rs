//! `beian audit INPUT`: a domain list (or `-`, standard input) audited into a run directory.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use beian_pipeline::job::OpenInput;

use crate::args::AuditArgs;
use crate::run::run_job;
use crate::settings::NetSettings;
use crate::summary::print_summary;

pub(crate) async fn audit_cmd(a: AuditArgs) -> Result<ExitCode> {
    let net = NetSettings::from_args(&a.net)?;
    let input = a.input.clone();
    let is_stdin = input.as_os_str() == "-";
    let total = if is_stdin {
        None
    } else {
        let meta = std::fs::metadata(&input)
            .with_context(|| format!("cannot open input {}", input.display()))?;
        if meta.is_dir() {
            bail!(
                "input {} is a directory, not a domain list",
                input.display()
            );
        }
        let f =
            File::open(&input).with_context(|| format!("cannot open input {}", input.display()))?;
        // The same rule as the reader's: the progress total is the number of rows to come
        // (a shard's share is known only by reading it: no total).
        (a.output.shard_count <= 1)
            .then(|| beian_input::count_items(BufReader::with_capacity(1 << 16, f)).ok())
            .flatten()
    };
    let open: OpenInput = Box::new(move || {
        if is_stdin {
            Ok(Box::new(BufReader::new(std::io::stdin())) as Box<dyn BufRead + Send>)
        } else {
            let f = File::open(&input)?;
            Ok(Box::new(BufReader::with_capacity(1 << 16, f)) as Box<dyn BufRead + Send>)
        }
    });
    let desc = a.input.display().to_string();
    let done = run_job(open, desc, total, &net, &a.judge, &a.output).await?;
    if !a.output.quiet {
        print_summary(&done.report, &done.dir, &net.notes);
    }
    Ok(done.exit_code(a.output.fail_on))
}
