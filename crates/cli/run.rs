//! An audit run from the binary's side: where it goes (`--out`, a history, a shard, a bucket),
//! the job with its progress bar and stop signals, and the exit status it ends with.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use anyhow::{Context, Result, bail};
use beian_input::Shard;
use beian_pipeline::job::OpenInput;
use beian_pipeline::{Auditor, Job, Output, RunReport};
use beian_run::{Start, history};

use crate::args::{FailOn, JudgeArgs, OutputArgs};
use crate::reporter;
use crate::settings::{self, NetSettings};

/// Runs one audit of `input` with the progress bar, stopping on Ctrl-C or SIGTERM; returns
/// what it did and the run directory it wrote.
pub(crate) async fn run_job(
    input: OpenInput,
    input_desc: String,
    total: Option<u64>,
    net: &NetSettings,
    judge: &JudgeArgs,
    out: &OutputArgs,
) -> Result<Finished> {
    let judging = settings::judging(judge)?;
    let shard = Shard::new(out.shard_index, out.shard_count).context("--shard-index")?;
    let (dir, start) = run_directory(out, judging.as_of, shard).await?;
    // A run directory in object storage is written in local staging first.
    let (local, remote, staging) = match dir.to_str().filter(|d| beian_store::is_remote(d)) {
        Some(url) => {
            let staging = tempfile::Builder::new()
                .prefix("beian-staging-")
                .tempdir()
                .context("creating the local staging directory")?;
            (
                staging.path().to_path_buf(),
                Some(beian_store::Remote::open(url)?),
                Some(staging),
            )
        }
        None => (dir.clone(), None, None),
    };
    let job = Job {
        input,
        input_desc,
        output: Output {
            dir: local,
            start,
            checkpoint_every: out.checkpoint_every,
            remote,
        },
        capacity: net.capacity,
        as_of: judging.as_of,
        rules_file: judge.rules.as_ref().map(|p| p.display().to_string()),
        waivers: judge
            .waivers
            .as_ref()
            .map(|p| waivers_record(p, &judging.waivers, judging.as_of)),
        shard,
        render: match &net.net.render {
            Some(r) => Some(beian_pipeline::RenderJob {
                mode: r.mode.as_str(),
                screenshots: r.screenshots.clone(),
                browser: beian_render::browser_version(&r.config.browser).await,
            }),
            None => None,
        },
    };
    let auditor = Arc::new(Auditor::build(&net.net, judging)?);
    let progress = Arc::new(reporter::Progress::new(total, out.quiet));
    let stopped_by = Arc::new(AtomicU8::new(0));
    let by = stopped_by.clone();
    let control = beian_pipeline::stop_on(
        move || {
            let by = by.clone();
            async move {
                by.store(stop_signal().await, Ordering::Relaxed);
            }
        },
        settings::secs("stop-grace", out.stop_grace)?,
        progress.clone(),
    );
    let report = beian_pipeline::run_job(auditor, job, progress.clone(), control).await;
    progress.finish();
    drop(staging);
    Ok(Finished {
        report: report?,
        dir,
        stopped_by: stopped_by.load(Ordering::Relaxed),
    })
}

/// What `run.json` records of the exceptions file `path` (docs/SCHEMA.md, "Exceptions").
fn waivers_record(
    path: &std::path::Path,
    waivers: &beian_rules::Waivers,
    as_of: time::Date,
) -> beian_run::WaiversRecord {
    beian_run::WaiversRecord {
        file: path.display().to_string(),
        entries: waivers
            .entries()
            .iter()
            .map(|w| beian_run::WaiverRecord {
                id: w.id.clone(),
                line: w.line,
                domains: w.domains.clone(),
                hosts: w.hosts.clone(),
                rules: w.rules.clone(),
                reason: w.reason.clone(),
                owner: w.owner.clone(),
                expires: w.expires.to_string(),
                ticket: w.ticket.clone(),
                in_force: w.in_force(as_of),
            })
            .collect(),
    }
}

/// A run that ended, stopped or not.
pub(crate) struct Finished {
    pub(crate) report: RunReport,
    /// Its run directory.
    pub(crate) dir: PathBuf,
    /// The exit status of the signal that stopped it (0: none).
    stopped_by: u8,
}

impl Finished {
    /// The exit status: 128 + the signal for a run stopped by one (130 SIGINT, 143 SIGTERM),
    /// as a shell reports it — the run is not complete (`--resume`); else 4 when the audit's
    /// own network failed for some sites; else 1 when `--fail-on` trips, else 0.
    pub(crate) fn exit_code(&self, fail_on: Option<FailOn>) -> ExitCode {
        let report = &self.report;
        if report.stats.interrupted {
            return ExitCode::from(if self.stopped_by == 0 {
                130
            } else {
                self.stopped_by
            });
        }
        // The audit's own network failed for some sites: their rows say nothing of the sites.
        if report.tally.errors.contains_key("audit_network") {
            return ExitCode::from(4);
        }
        let n = |s: &str| report.tally.status(s);
        let tripped = match fail_on {
            None => false,
            Some(FailOn::Fail) => n("violation") > 0,
            Some(FailOn::Warn) => n("violation") + n("warning") + n("unverified") > 0,
        };
        if tripped {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// Waits for Ctrl-C (SIGINT) or SIGTERM (how Kubernetes and systemd stop a job) and returns
/// the exit status a run stopped by it ends with: 128 + the signal's number, as a shell
/// reports it. A handler that cannot be installed never fires: the run is not stopped by it.
pub(crate) async fn stop_signal() -> u8 {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    let int = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = int => 130,
        () = term => 143,
    }
}

/// Where the run goes and how it starts there: `--out`, or a new (or, with `--resume`, the
/// latest unfinished) run directory under the `--history` root; a shard of a run in its own
/// `shard=NNNN/` directory under the run's (docs/SHARDS.md).
pub(crate) async fn run_directory(
    out: &OutputArgs,
    as_of: time::Date,
    shard: Shard,
) -> Result<(PathBuf, Start)> {
    let run_id = out.run_id.clone();
    if let Some(id) = &run_id {
        check_run_id(id)?;
    }
    if shard.count > 1 && run_id.is_none() {
        bail!(
            "--shard-count {} needs --run-id ID (or $BEIAN_RUN_ID), the same for every shard, so \
             that the shards make one run",
            shard.count
        );
    }
    let in_shard = |dir: PathBuf| {
        if shard.count > 1 {
            dir.join(beian_run::layout::shard_dir(shard.index))
        } else {
            dir
        }
    };
    let start = |resume: bool| {
        if resume {
            Start::Resume {
                run_id: run_id.clone(),
            }
        } else {
            Start::New {
                overwrite: out.overwrite,
                run_id: run_id.clone(),
            }
        }
    };
    let Some(root) = &out.history else {
        return Ok((in_shard(out.dir.clone()), start(out.resume)));
    };
    if out.resume && run_id.is_none() {
        if let Some(url) = root.to_str().filter(|r| beian_store::is_remote(r)) {
            if let Some(run) = beian_pipeline::remote::latest_incomplete(url).await? {
                return Ok((PathBuf::from(run), start(true)));
            }
        } else if let Some(run) = history::latest_incomplete(root)? {
            return Ok((run.dir, start(true)));
        }
    }
    // A named run continues (a shard run again) or starts; an unnamed one gets a new id.
    let id = run_id.clone().unwrap_or_else(beian_run::new_run_id);
    let dir = in_shard(history::run_dir(root, &as_of.to_string(), &id));
    Ok((
        dir,
        if out.resume {
            start(true)
        } else {
            Start::New {
                overwrite: false,
                run_id: Some(id),
            }
        },
    ))
}

/// A run id names a directory: letters, digits, `.`, `_`, `-`, at most 100 of them.
pub(crate) fn check_run_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 100
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !ok {
        bail!(
            "--run-id {id:?}: use letters, digits, '.', '_' and '-' (at most 100, not starting \
             with '.'): it names the run's directory"
        );
    }
    Ok(())
}
