//! `beian`: the binary edge. Parses flags into settings, hands the run to the pipeline
//! (`beian_pipeline::run_job`), shows progress, prints the summary and chooses the exit code.
//! The only place that knows clap, indicatif and anyhow.

// The binary edge: the one place that writes to the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod mirror;
mod reporter;
mod settings;

// jemalloc rather than glibc's malloc: the audit allocates and frees per request (TLS
// records, bodies, rows), and glibc's malloc and free were ~15% of its CPU. A/B on the
// 10,000-domain fleet, three runs each: audit CPU 16.9–19.0 s against 19.4–22.0 s, peak RSS
// unchanged (110–115 MiB); at 100,000 domains 120 MiB (BENCHMARKS.md). mimalloc was also
// faster but held 175 MiB.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use anyhow::{Context, Result, bail};
use beian_fleet::{Behaviour, Fleet, FleetConfig};
use beian_input::Shard;
use beian_parquet::{Start, history};
use beian_pipeline::job::OpenInput;
use beian_pipeline::{Auditor, Job, Output, RunReport};
use clap::Parser;

use args::{
    AuditArgs, Cli, Command, DemoArgs, ExtractArgs, FailOn, FleetArgs, FleetCommand, FleetShape,
    JudgeArgs, NetArgs, NotifyFormat, OutputArgs, ReportArgs,
};
use settings::NetSettings;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Extraction runs on the blocking pool: CPU-bound, so a few threads per core are enough,
    // and each thread's stack and buffers count against the memory budget.
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(cores * 4)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("beian: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("beian: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Audit(a) => audit_cmd(a).await,
        Command::Extract(a) => extract_cmd(&a),
        Command::Fleet {
            command: FleetCommand::Serve(a),
        } => fleet_serve(a).await,
        Command::Demo(a) => demo(a).await,
        Command::Report(a) => report_cmd(&a).await,
        Command::Finalize { run, input } => finalize_cmd(&run, input.as_deref()).await,
        Command::Rules { markdown } => {
            let mut out = std::io::stdout().lock();
            if markdown {
                // A closed pipe is not an error.
                out.write_all(beian_rules::catalogue_markdown().as_bytes())
                    .or_else(|e| match e.kind() {
                        std::io::ErrorKind::BrokenPipe => Ok(()),
                        _ => Err(e),
                    })?;
                return Ok(ExitCode::SUCCESS);
            }
            for r in beian_rules::CATALOGUE {
                // A closed pipe (`beian rules | head`) is not an error.
                if writeln!(out, "{:<15} {:<5} {}", r.id, r.scope, r.checks).is_err() {
                    break;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Entries of each list of the report model a JSON webhook receives.
const NOTIFY_LIST_MAX: usize = 100;

/// Runs one audit of `input` with the progress bar, stopping on Ctrl-C or SIGTERM; returns
/// what it did and the run directory it wrote.
async fn run_job(
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

/// A run that ended, stopped or not.
struct Finished {
    report: RunReport,
    /// Its run directory.
    dir: PathBuf,
    /// The exit status of the signal that stopped it (0: none).
    stopped_by: u8,
}

impl Finished {
    /// The exit status: 128 + the signal for a run stopped by one (130 SIGINT, 143 SIGTERM),
    /// as a shell reports it — the run is not complete (`--resume`); else 1 when `--fail-on`
    /// trips, else 0.
    fn exit_code(&self, fail_on: Option<FailOn>) -> ExitCode {
        let report = &self.report;
        if report.stats.interrupted {
            return ExitCode::from(if self.stopped_by == 0 {
                130
            } else {
                self.stopped_by
            });
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
async fn stop_signal() -> u8 {
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
async fn run_directory(
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
            dir.join(history::shard_dir(shard.index))
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
            if let Some(run) = latest_incomplete_remote(url).await? {
                return Ok((PathBuf::from(run), start(true)));
            }
        } else if let Some(run) = history::latest_incomplete(root)? {
            return Ok((run.dir, start(true)));
        }
    }
    // A named run continues (a shard run again) or starts; an unnamed one gets a new id.
    let id = run_id.clone().unwrap_or_else(beian_parquet::new_run_id);
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

/// The latest run of a history in object storage that did not complete (its `run.json` is
/// missing or says so, and it was not finalized), as a URL.
async fn latest_incomplete_remote(root: &str) -> Result<Option<String>> {
    let history = beian_store::Remote::open(root)?;
    for date in history.children().await?.iter().rev() {
        if !date.starts_with("run_date=") {
            continue;
        }
        let day = history.join(date);
        for run in day.children().await?.iter().rev() {
            if !run.starts_with("run=") {
                continue;
            }
            let dir = day.join(run);
            let complete = dir
                .get("run.json")
                .await?
                .is_some_and(|b| history::record_complete(&b))
                || dir
                    .get(beian_parquet::finalize::SUCCESS_FILE)
                    .await?
                    .is_some();
            if !complete {
                return Ok(Some(dir.url()));
            }
        }
    }
    Ok(None)
}

/// A run id names a directory: letters, digits, `.`, `_`, `-`, at most 100 of them.
fn check_run_id(id: &str) -> Result<()> {
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

/// The run's summary on standard output. A closed pipe (`beian audit … | head`) ends it
/// quietly; the run itself is complete either way.
fn print_summary(report: &RunReport, dir: &Path, extra: &[String]) {
    let _closed = write_summary(&mut std::io::stdout().lock(), report, dir, extra);
}

fn write_summary(
    out: &mut impl Write,
    report: &RunReport,
    dir: &Path,
    extra: &[String],
) -> std::io::Result<()> {
    let tally = &report.tally;
    let total: u64 = tally.by_status.values().sum();
    if report.resumed_lines > 0 {
        writeln!(
            out,
            "resumed: {} input lines were done by the interrupted run (in earlier parts)",
            report.resumed_lines
        )?;
    }
    writeln!(out, "audited {total} input lines")?;
    if total == 0 && report.resumed_lines == 0 {
        writeln!(
            out,
            "the input holds no domains: it is empty, or has only blank lines, comments and a \
             CSV header (or none of its lines is this shard's)"
        )?;
    }
    writeln!(out, "{:<14} {:>8}", "status", "sites")?;
    for s in [
        "compliant",
        "warning",
        "violation",
        "unverified",
        "unreachable",
        "input_error",
    ] {
        writeln!(out, "{:<14} {:>8}", s, tally.status(s))?;
    }
    if !tally.failing.is_empty() {
        let mut rules: Vec<(&String, &u64)> = tally.failing.iter().collect();
        rules.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        writeln!(out, "\n{:<14} {:>8}", "failing rule", "sites")?;
        for (r, n) in rules {
            writeln!(out, "{r:<14} {n:>8}")?;
        }
    }
    if !tally.errors.is_empty() {
        writeln!(out, "\n{:<16} {:>6}", "error class", "sites")?;
        for (class, n) in &tally.errors {
            writeln!(out, "{class:<16} {n:>6}")?;
        }
    }
    if let Some(mean) = tally
        .render_ms
        .checked_div(tally.rendered + tally.render_failed)
    {
        writeln!(
            out,
            "\nrendered in the browser: {} pages ({} failed), {mean} ms each on average, \
             at most {} MiB of browser memory",
            tally.rendered,
            tally.render_failed,
            tally.render_peak_memory.div_ceil(1 << 20),
        )?;
    }
    let shots_failed = tally.screenshots_failed();
    if tally.screenshots + shots_failed > 0 {
        writeln!(
            out,
            "screenshots: {} written, {shots_failed} failed",
            tally.screenshots
        )?;
        for (class, (n, first)) in &tally.screenshot_failures {
            writeln!(out, "  {class}: {n} (first: {first})")?;
        }
    }
    writeln!(
        out,
        "\nrows: sites={} fetches={} findings={}\noutput: {}",
        report.rows.sites,
        report.rows.fetches,
        report.rows.findings,
        dir.display()
    )?;
    for line in extra {
        writeln!(out, "{line}")?;
    }
    out.flush()
}

async fn audit_cmd(a: AuditArgs) -> Result<ExitCode> {
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
        let extra: Vec<String> = net.render_note.iter().cloned().collect();
        print_summary(&done.report, &done.dir, &extra);
    }
    Ok(done.exit_code(a.output.fail_on))
}

/// The demo's fleet (also `beian fleet serve`'s): the default mix and the sites served
/// outside their provider's networks.
fn fleet_config(shape: &FleetShape) -> FleetConfig {
    FleetConfig {
        domains: shape.domains,
        seed: shape.seed,
        day: shape.day,
        behaviours: Behaviour::for_demo(),
        ..FleetConfig::default()
    }
}

async fn fleet_serve(a: FleetArgs) -> Result<ExitCode> {
    let cfg = FleetConfig {
        dns_addr: a.dns,
        http_port: a.http_port,
        https_port: a.https_port,
        ..fleet_config(&a.shape)
    };
    let fleet = Fleet::start(cfg).await?;
    fleet.write_files(&a.dir)?;
    println!(
        "fleet of {} domains: dns {} http port {} https port {}\nfiles in {}\naudit it with:\n  beian audit {}/domains.txt --resolver {} --ca-cert {}/ca.pem --http-port {} --https-port {} --allow-private --access-nets {}/access_nets.txt --out results\n(or sites.csv: the list with its manifest of owners and opening dates)",
        fleet.sites.len(),
        fleet.dns_addr,
        fleet.http_port,
        fleet.https_port,
        a.dir.display(),
        a.dir.display(),
        fleet.dns_addr,
        a.dir.display(),
        fleet.http_port,
        fleet.https_port,
        a.dir.display()
    );
    std::io::stdout().flush().ok();
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(ExitCode::SUCCESS)
}

async fn demo(a: DemoArgs) -> Result<ExitCode> {
    // The fleet's manifest dates and answer key follow the audit date.
    let as_of = settings::judging(&a.judge)?.as_of;
    let fleet = Fleet::start(FleetConfig {
        as_of,
        ..fleet_config(&a.shape)
    })
    .await?;
    // The audit trusts the fleet's CA from a file; the fleet's files end up in the run
    // directory, written once the run has made it.
    let ca = std::env::temp_dir().join(format!("beian-demo-ca-{}.pem", std::process::id()));
    std::fs::write(&ca, &fleet.ca_pem).with_context(|| format!("writing {}", ca.display()))?;
    // The audit's defaults, pointed at the fleet; loopback answers in milliseconds, so the
    // fleet's slow and silent sites are given up on sooner than real servers would be.
    let net_args = NetArgs {
        resolvers: vec![fleet.dns_addr],
        ca_certs: vec![ca.clone()],
        http_port: fleet.http_port,
        https_port: fleet.https_port,
        allow_private: true,
        concurrency: a.concurrency,
        connect_timeout: 5.0,
        response_timeout: 10.0,
        probe_timeout: 30.0,
        dns_timeout: 2.0,
        ..NetArgs::default()
    };
    let net = NetSettings::from_args(&net_args)?;
    // The list with its manifest: owners, and when the sites without a PSB number opened.
    let domains = fleet.sites_csv();
    let total = Some(fleet.sites.len() as u64);
    let open: OpenInput = Box::new(move || {
        Ok(Box::new(std::io::Cursor::new(domains.into_bytes())) as Box<dyn BufRead + Send>)
    });
    let desc = format!(
        "simulated fleet ({} domains, seed {}, day {})",
        fleet.sites.len(),
        a.shape.seed,
        a.shape.day
    );
    // The fleet's access networks, so SITE-ACCESS shows (unless the flags name others).
    let mut judge = a.judge.clone();
    if judge.access_nets_files.is_empty() && judge.access_nets.is_empty() {
        judge.access_nets = fleet.access_nets();
    }
    let started = std::time::Instant::now();
    let run = run_job(open, desc, total, &net, &judge, &a.output).await;
    std::fs::remove_file(&ca).ok();
    let done = run?;
    let dir = done.dir.join("fleet");
    fleet.write_files(&dir)?;
    if !a.output.quiet {
        let mut extra = vec![
            format!("answer key: {}", dir.join("answer_key.csv").display()),
            format!("elapsed: {:.1}s", started.elapsed().as_secs_f64()),
        ];
        extra.extend(net.render_note.iter().cloned());
        print_summary(&done.report, &done.dir, &extra);
    }
    drop(fleet);
    Ok(done.exit_code(a.output.fail_on))
}

/// `beian finalize RUN [--input FILE]`; a run in object storage is checked from a local
/// copy of its shards' `run.json` and `sites` parts, and its `_SUCCESS.json` goes up there.
async fn finalize_cmd(run: &Path, input: Option<&Path>) -> Result<ExitCode> {
    let remote = match run.to_str().filter(|r| beian_store::is_remote(r)) {
        Some(url) => Some(beian_store::Remote::open(url)?),
        None => None,
    };
    let copy = tempfile::Builder::new()
        .prefix("beian-finalize-")
        .tempdir()
        .context("creating a local directory")?;
    let local = match &remote {
        Some(r) => {
            r.pull(copy.path(), |rel| {
                rel.ends_with("/run.json") || rel.contains("/sites/")
            })
            .await?;
            copy.path().to_path_buf()
        }
        None => run.to_path_buf(),
    };
    let lines = match input {
        Some(path) => {
            let f = File::open(path)
                .with_context(|| format!("cannot open input {}", path.display()))?;
            let mut lines = Vec::new();
            for item in beian_input::Reader::new(BufReader::with_capacity(1 << 16, f)) {
                lines.push(
                    item.with_context(|| format!("reading {}", path.display()))?
                        .line,
                );
            }
            Some(lines)
        }
        None => None,
    };
    let done = match beian_parquet::finalize::finalize(&local, lines.as_deref()) {
        Ok(done) => done,
        // Name the shards where they are, not where they were copied to.
        Err(e) => bail!(
            "finalizing {}: {}",
            run.display(),
            e.to_string()
                .replace(&local.display().to_string(), &run.display().to_string())
        ),
    };
    if let Some(r) = &remote {
        let name = beian_parquet::finalize::SUCCESS_FILE;
        r.put_file(name, &local.join(name)).await?;
    }
    println!(
        "finalized run {} in {}: {} shards, {} sites rows{}; {} written",
        done["run_id"].as_str().unwrap_or(""),
        run.display(),
        done["shard_count"],
        done["rows"]["sites"],
        if input.is_some() {
            ", every input line once"
        } else {
            ", no input line twice"
        },
        beian_parquet::finalize::SUCCESS_FILE
    );
    Ok(ExitCode::SUCCESS)
}

/// The runs a report is about: the current run directory, the one it is compared with, and
/// the complete runs of the history before the current one (oldest first).
pub(crate) fn report_runs(
    a: &ReportArgs,
) -> Result<(PathBuf, Option<PathBuf>, Vec<history::HistoryRun>)> {
    let complete: Vec<history::HistoryRun> = match &a.history {
        Some(root) => history::runs(root)?
            .into_iter()
            .filter(|r| r.complete)
            .collect(),
        None => Vec::new(),
    };
    let current = match (&a.run, &a.history) {
        (Some(run), _) => run.clone(),
        (None, Some(root)) => match complete.last() {
            Some(r) => r.dir.clone(),
            None => bail!("no complete run under {}", root.display()),
        },
        (None, None) => bail!("name a run directory, or --history ROOT"),
    };
    let at = complete
        .iter()
        .position(|r| r.dir == current)
        .unwrap_or(complete.len());
    let earlier: Vec<history::HistoryRun> = complete.into_iter().take(at).collect();
    let compared = match &a.compare {
        Some(dir) => Some(dir.clone()),
        // The latest complete run before the current one.
        None => earlier.last().map(|r| r.dir.clone()),
    };
    Ok((current, compared, earlier))
}

async fn report_cmd(a: &ReportArgs) -> Result<ExitCode> {
    // Runs in object storage are read from a local mirror.
    let mirrored = mirror::mirror(a).await?;
    let a = mirrored.as_ref().map_or(a, |m| &m.args);
    let (current, compared, earlier) = report_runs(a)?;
    // The report names the runs where they are, not where they were mirrored.
    let shown = |dir: &Path| {
        mirrored
            .as_ref()
            .map_or(dir.to_path_buf(), |m| m.url_of(dir))
    };
    let now = beian_report::load_run(&current)
        .with_context(|| format!("reading run {}", shown(&current).display()))?;
    let before = compared
        .as_ref()
        .map(|dir| {
            beian_report::load_run(dir)
                .with_context(|| format!("reading run {}", shown(dir).display()))
        })
        .transpose()?;
    let mut report = beian_report::build(&now, before.as_ref());
    if a.history.is_some() {
        beian_report::add_history(&mut report, &earlier, a.trend)
            .context("reading the history's earlier runs")?;
    }
    if mirrored.is_some() {
        report.set_dirs(shown(&current), compared.as_deref().map(shown));
    }
    let upload = mirrored
        .as_ref()
        .and_then(|m| m.upload.clone().map(|u| (m.staging(), u)));
    let out = match &upload {
        Some((staging, _)) => staging.clone(),
        None => a.out.clone().unwrap_or_else(|| current.join("report")),
    };
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let json = out.join("report.json");
    // Streamed: a million sites make a report.json of ~80 MB.
    let write_json = || -> std::io::Result<()> {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&json)?);
        serde_json::to_writer_pretty(&mut w, &report)?;
        w.write_all(b"\n")?;
        w.flush()
    };
    write_json().with_context(|| format!("writing {}", json.display()))?;
    let lang = match a.lang {
        args::Lang::Zh => beian_report::Lang::Zh,
        args::Lang::En => beian_report::Lang::En,
    };
    let page = out.join("report.html");
    let html = beian_report::html(&report, lang)?;
    std::fs::write(&page, html).with_context(|| format!("writing {}", page.display()))?;
    if let Some(split) = a.split_by {
        let split = match split {
            args::SplitBy::Owner => beian_report::SplitBy::Owner,
            args::SplitBy::Province => beian_report::SplitBy::Province,
        };
        let failures = beian_report::failures(&now, split, lang)
            .with_context(|| format!("reading the findings of {}", current.display()))?;
        beian_report::write_exports(&out, &report, &failures, split, lang)?;
    }
    let md = out.join("report.md");
    let page_shown = match &upload {
        Some((_, to)) => format!("{}/report.html", to.url()),
        None => page.display().to_string(),
    };
    let digest = beian_report::markdown(&report, lang, &page_shown);
    std::fs::write(&md, &digest).with_context(|| format!("writing {}", md.display()))?;
    if let Some((staging, to)) = &upload {
        mirror::upload(staging, to).await?;
    }
    {
        let mut stdout = std::io::stdout().lock();
        // A closed pipe is not the report's concern: the files are written.
        let _shown = write!(stdout, "{digest}").and_then(|()| stdout.flush());
    }
    if a.notify.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    let notifier = beian_notify::Notifier::new(Vec::new(), &[])?;
    // A webhook takes the model with its lists cut; report.json holds them whole.
    let model =
        serde_json::to_value(report.abridged(NOTIFY_LIST_MAX)).context("serialising the report")?;
    let title = digest
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("## ");
    let mut failed = false;
    for url in &a.notify {
        let format = match a.notify_format {
            NotifyFormat::Auto => beian_notify::Format::for_url(url),
            NotifyFormat::Dingtalk => beian_notify::Format::DingTalk,
            NotifyFormat::Wecom => beian_notify::Format::WeCom,
            NotifyFormat::Feishu => beian_notify::Format::Feishu,
            NotifyFormat::Json => beian_notify::Format::Json,
        };
        let body = beian_notify::body(format, title, &digest, &model);
        if let Err(e) = notifier.post(url, &body).await {
            eprintln!("beian: notify: {e}");
            failed = true;
        }
    }
    // The report is written either way; a scheduler sees that a notification did not go.
    Ok(if failed {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

fn extract_cmd(a: &ExtractArgs) -> Result<ExitCode> {
    let (host, manifest) = settings::extract_context(a)?;
    let as_of = settings::as_of(a.as_of.as_deref())?;
    let mut out = std::io::stdout().lock();
    for f in &a.files {
        let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        let facts = beian_footer::extract(&bytes, a.charset.as_deref());
        let name = f.display().to_string();
        let findings = beian_rules::page_rules(&beian_rules::PageInput {
            host: &host,
            url: &name,
            facts: &facts,
            manifest: &manifest,
            as_of,
        });
        let cand = |c: &beian_types::IcpCandidate| {
            serde_json::json!({
                "number": c.number.canonical,
                "kind": c.number.kind.as_str(),
                "source": c.source.as_str(),
                "in_footer": c.in_footer,
                "link": c.link.as_ref().map(|l| &l.href),
                "link_host": c.link.as_ref().and_then(|l| l.host.as_ref()),
            })
        };
        let v = serde_json::json!({
            "file": name,
            "host": host,
            "encoding": facts.encoding,
            "footer_region": facts.region.as_str(),
            "icp_primary": facts.primary.as_ref().map(cand),
            "icp_all": facts.icp_all.iter().map(cand).collect::<Vec<_>>(),
            "psb": facts.psb.as_ref().map(|p| serde_json::json!({
                "number": p.number.canonical,
                "source": p.source.as_str(),
                "link": p.link.as_ref().map(|l| &l.href),
                "link_code": p.link_code,
                "icon": p.icon,
            })),
            "copyright_holder": facts.copyright_holder,
            "verdicts": findings.iter().map(|f| serde_json::json!({
                "rule_id": f.rule_id, "verdict": f.verdict.as_str(), "evidence": f.evidence,
                "fix_zh": f.fix.map(|x| x.zh), "fix_en": f.fix.map(|x| x.en),
            })).collect::<Vec<_>>(),
        });
        if writeln!(out, "{v}").is_err() {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}
