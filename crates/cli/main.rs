//! `beian`: the binary edge. Parses flags into settings, hands the run to the pipeline
//! (`beian_pipeline::run_job`), shows progress, prints the summary and chooses the exit code.
//! The only place that knows clap, indicatif and anyhow.

// The binary edge: the one place that writes to the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
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

use anyhow::{Context, Result, bail};
use beian_fleet::{Fleet, FleetConfig};
use beian_parquet::{Start, history};
use beian_pipeline::job::OpenInput;
use beian_pipeline::{Auditor, Job, Output, RunReport};
use clap::Parser;

use args::{
    AuditArgs, Cli, Command, DemoArgs, FailOn, FleetArgs, FleetCommand, FleetShape, JudgeArgs,
    NetArgs, NotifyFormat, OutputArgs, ReportArgs,
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
        Command::Extract { files } => extract_cmd(&files),
        Command::Fleet {
            command: FleetCommand::Serve(a),
        } => fleet_serve(a).await,
        Command::Demo(a) => demo(a).await,
        Command::Report(a) => report_cmd(&a).await,
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

/// How long the sites in flight may take to finish after Ctrl-C.
const DRAIN: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs one audit of `input` with the progress bar and Ctrl-C handling of a terminal; returns
/// what it did and the run directory it wrote.
async fn run_job(
    input: OpenInput,
    input_desc: String,
    total: Option<u64>,
    net: &NetSettings,
    judge: &JudgeArgs,
    out: &OutputArgs,
) -> Result<(RunReport, PathBuf)> {
    let judging = settings::judging(judge)?;
    let (dir, start) = run_directory(out, judging.as_of)?;
    let job = Job {
        input,
        input_desc,
        output: Output {
            dir: dir.clone(),
            start,
            checkpoint_every: out.checkpoint_every,
        },
        capacity: net.capacity,
        as_of: judging.as_of,
        rules_file: judge.rules.as_ref().map(|p| p.display().to_string()),
    };
    let auditor = Arc::new(Auditor::build(&net.net, judging)?);
    let progress = Arc::new(reporter::Progress::new(total, out.quiet));
    let control = beian_pipeline::stop_on(
        || async {
            // A failed signal handler never fires: the run is not stoppable, not stopped.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        },
        DRAIN,
        progress.clone(),
    );
    let report = beian_pipeline::run_job(auditor, job, progress.clone(), control).await;
    progress.finish();
    Ok((report?, dir))
}

/// Where the run goes and how it starts there: `--out`, or a new (or, with `--resume`, the
/// latest unfinished) run directory under the `--history` root.
fn run_directory(out: &OutputArgs, as_of: time::Date) -> Result<(PathBuf, Start)> {
    let Some(root) = &out.history else {
        let start = if out.resume {
            Start::Resume
        } else {
            Start::New {
                overwrite: out.overwrite,
                run_id: None,
            }
        };
        return Ok((out.dir.clone(), start));
    };
    if out.resume {
        if let Some(run) = history::latest_incomplete(root)? {
            return Ok((run.dir, Start::Resume));
        }
    }
    let run_id = beian_parquet::new_run_id();
    let dir = history::run_dir(root, &as_of.to_string(), &run_id);
    let start = Start::New {
        overwrite: false,
        run_id: Some(run_id),
    };
    Ok((dir, start))
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

fn exit_code(report: &RunReport, fail_on: Option<FailOn>) -> ExitCode {
    if report.stats.interrupted {
        // As a shell reports a job stopped by SIGINT: the run is not complete (`--resume`).
        return ExitCode::from(130);
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
        // The same rule as the reader's: the progress total is the number of rows to come.
        beian_input::count_items(BufReader::with_capacity(1 << 16, f)).ok()
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
    let (report, dir) = run_job(open, desc, total, &net, &a.judge, &a.output).await?;
    if !a.output.quiet {
        print_summary(&report, &dir, &[]);
    }
    Ok(exit_code(&report, a.output.fail_on))
}

fn fleet_config(shape: &FleetShape) -> FleetConfig {
    FleetConfig {
        domains: shape.domains,
        seed: shape.seed,
        day: shape.day,
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
        "fleet of {} domains: dns {} http port {} https port {}\nfiles in {}\naudit it with:\n  beian audit {}/domains.txt --resolver {} --ca-cert {}/ca.pem --http-port {} --https-port {} --allow-private --out results\n(or sites.csv: the list with its manifest of owners and opening dates)",
        fleet.sites.len(),
        fleet.dns_addr,
        fleet.http_port,
        fleet.https_port,
        a.dir.display(),
        a.dir.display(),
        fleet.dns_addr,
        a.dir.display(),
        fleet.http_port,
        fleet.https_port
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
    let started = std::time::Instant::now();
    let run = run_job(open, desc, total, &net, &a.judge, &a.output).await;
    std::fs::remove_file(&ca).ok();
    let (report, run_dir) = run?;
    let dir = run_dir.join("fleet");
    fleet.write_files(&dir)?;
    if !a.output.quiet {
        let extra = [
            format!("answer key: {}", dir.join("answer_key.csv").display()),
            format!("elapsed: {:.1}s", started.elapsed().as_secs_f64()),
        ];
        print_summary(&report, &run_dir, &extra);
    }
    drop(fleet);
    Ok(exit_code(&report, a.output.fail_on))
}

/// The runs a report is about: the current run directory, the one it is compared with, and
/// the complete runs of the history before the current one (oldest first).
fn report_runs(a: &ReportArgs) -> Result<(PathBuf, Option<PathBuf>, Vec<history::HistoryRun>)> {
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
    let (current, compared, earlier) = report_runs(a)?;
    let now = beian_report::load_run(&current)
        .with_context(|| format!("reading run {}", current.display()))?;
    let before = compared
        .as_ref()
        .map(|dir| {
            beian_report::load_run(dir).with_context(|| format!("reading run {}", dir.display()))
        })
        .transpose()?;
    let mut report = beian_report::build(&now, before.as_ref());
    if a.history.is_some() {
        beian_report::add_history(&mut report, &earlier, a.trend)
            .context("reading the history's earlier runs")?;
    }
    let out = a.out.clone().unwrap_or_else(|| current.join("report"));
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
    let digest = beian_report::markdown(&report, lang, &page.display().to_string());
    std::fs::write(&md, &digest).with_context(|| format!("writing {}", md.display()))?;
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

fn extract_cmd(files: &[PathBuf]) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    for f in files {
        let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        let facts = beian_footer::extract(&bytes, None);
        let name = f.display().to_string();
        let findings = beian_rules::page_rules(&beian_rules::PageInput {
            host: "",
            url: &name,
            facts: &facts,
            manifest: &beian_types::Manifest::default(),
            as_of: time::OffsetDateTime::now_utc().date(),
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
