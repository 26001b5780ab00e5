//! `beian`: the binary edge. Parses flags, builds the resolver, fetcher and writer, runs the
//! pipeline, prints the summary and chooses the exit code. The only place that knows clap,
//! indicatif and anyhow.

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

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use beian_fetch::Fetcher;
use beian_fleet::{Fleet, FleetConfig};
use beian_input::{InputItem, Reader};
use beian_parquet::RunWriter;
use beian_pipeline::{Auditor, Control, DnsForRedirects};
use beian_resolve::ResolverBuilder;
use beian_types::SiteReport;
use clap::Parser;
use tokio::sync::mpsc;

use args::{
    AuditArgs, Cli, Command, DemoArgs, FailOn, FleetArgs, FleetCommand, FleetShape, NetArgs,
    OutArgs,
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

/// Tallies kept by the writer for the summary.
#[derive(Default)]
struct Tally {
    by_status: BTreeMap<&'static str, u64>,
    failing: BTreeMap<String, u64>,
    errors: BTreeMap<&'static str, u64>,
    counts: beian_parquet::RunCounts,
    /// Lines an earlier, interrupted run had finished (`--resume`).
    resumed: u64,
}

struct RunSpec<'a> {
    input_desc: String,
    out: &'a OutArgs,
    net: NetSettings,
    judging: beian_pipeline::Judging,
}

fn count_lines(path: &Path) -> Option<u64> {
    let f = File::open(path).ok()?;
    let n = BufReader::new(f)
        .split(b'\n')
        .filter_map(std::result::Result::ok)
        .filter(|l| {
            let t = String::from_utf8_lossy(l);
            let t = t.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .count();
    Some(n as u64)
}

fn new_run_id() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z-{:x}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        std::process::id()
    )
}

/// How long the sites in flight may take to finish after Ctrl-C.
const DRAIN: std::time::Duration = std::time::Duration::from_secs(10);

/// The longest time between two checkpoints of the output (`--checkpoint-every` bounds the
/// sites between them).
const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

async fn run_audit(
    spec: RunSpec<'_>,
    open_input: Box<dyn FnOnce() -> Result<Box<dyn BufRead + Send>> + Send>,
    total: Option<u64>,
) -> Result<(Tally, beian_pipeline::RunStats)> {
    let out_dir = spec.out.out.clone();
    let (mut writer, run_id, done) = if spec.out.resume {
        let r = RunWriter::resume(&out_dir)?;
        for p in &r.removed {
            eprintln!("beian: resume: removed unfinished part {}", p.display());
        }
        let run_id = r.run_id.clone().unwrap_or_else(new_run_id);
        let writer = RunWriter::continue_run(&out_dir, &run_id, &r)?;
        (writer, run_id, r.done)
    } else {
        let run_id = new_run_id();
        let writer = RunWriter::create(&out_dir, &run_id, spec.out.overwrite)?;
        (writer, run_id, Vec::new())
    };
    let resumed_lines = done.len() as u64;
    let total = total.map(|t| t.saturating_sub(resumed_lines));

    let resolver = ResolverBuilder::default()
        .nameservers(spec.net.resolvers.clone())
        .timeout(spec.net.dns_timeout)
        .build()?;
    let fetcher = Fetcher::new(
        spec.net.fetch.clone(),
        &spec.net.extra_roots,
        DnsForRedirects(resolver.clone()),
    )?;
    let auditor = Arc::new(Auditor::new(resolver, fetcher, spec.judging.clone()));
    let concurrency = spec.net.concurrency;

    // Input: a blocking reader thread feeding a bounded channel (lazy, backpressured).
    let reader_input = open_input()?;
    let (item_tx, item_rx) = mpsc::channel::<InputItem>(concurrency * 2 + 16);
    let reader = std::thread::spawn(move || -> Result<()> {
        for item in Reader::new(reader_input) {
            let item = item?;
            // Resuming: a line with a row in a complete part is done.
            if done.binary_search(&item.line).is_ok() {
                continue;
            }
            if item_tx.blocking_send(item).is_err() {
                break;
            }
        }
        Ok(())
    });

    // Output: a writer thread behind a bounded channel.
    let (report_tx, mut report_rx) = mpsc::channel::<SiteReport>(256);
    let checkpoint_every = spec.out.checkpoint_every;
    let writer_thread = std::thread::spawn(move || -> Result<Tally> {
        let mut tally = Tally::default();
        let (mut since, mut last) = (0u64, std::time::Instant::now());
        while let Some(report) = report_rx.blocking_recv() {
            *tally
                .by_status
                .entry(report.site.status.as_str())
                .or_default() += 1;
            for r in &report.site.failing_rules {
                *tally.failing.entry(r.clone()).or_default() += 1;
            }
            if let Some(class) = report.site.error_class {
                *tally.errors.entry(class.as_str()).or_default() += 1;
            }
            writer.write(report)?;
            since += 1;
            if since >= checkpoint_every || last.elapsed() >= CHECKPOINT_INTERVAL {
                writer.checkpoint()?;
                (since, last) = (0, std::time::Instant::now());
            }
        }
        tally.counts = writer.finish()?;
        Ok(tally)
    });

    // Ctrl-C: no more input; the sites in flight get DRAIN to finish (a second Ctrl-C stops
    // them at once), then the output is closed. The stopped sites have no row: `--resume`.
    let (control_tx, control_rx) = tokio::sync::watch::channel(Control::Run);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        eprintln!(
            "\nbeian: interrupted: finishing the sites in flight (at most {} s; Ctrl-C again \
             to stop them now), then closing the output; `--resume` finishes the run",
            DRAIN.as_secs()
        );
        control_tx.send_replace(Control::Drain);
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = tokio::time::sleep(DRAIN) => {}
        }
        control_tx.send_replace(Control::Abandon);
    });

    let progress = Arc::new(reporter::Progress::new(total, spec.out.quiet));
    let stats = beian_pipeline::run(
        auditor,
        item_rx,
        report_tx,
        concurrency,
        progress.clone(),
        control_rx,
    )
    .await;
    progress.finish();
    let mut tally = writer_thread
        .join()
        .map_err(|_| anyhow::anyhow!("writer thread panicked"))??;
    tally.resumed = resumed_lines;
    if !stats.interrupted {
        reader
            .join()
            .map_err(|_| anyhow::anyhow!("input thread panicked"))??;
    }

    let run_json = serde_json::json!({
        "run_id": run_id,
        "schema_version": beian_parquet::SCHEMA_VERSION,
        "input": spec.input_desc,
        "finished_at": time::OffsetDateTime::now_utc().unix_timestamp(),
        "interrupted": stats.interrupted,
        "abandoned": stats.abandoned,
        "resumed_lines": resumed_lines,
        "rows": { "sites": tally.counts.sites, "fetches": tally.counts.fetches, "findings": tally.counts.findings },
        "status": tally.by_status,
    });
    let run_path = out_dir.join("run.json");
    std::fs::write(&run_path, format!("{run_json:#}\n"))
        .with_context(|| format!("writing {}", run_path.display()))?;
    Ok((tally, stats))
}

fn print_summary(tally: &Tally, out: &Path) {
    let total: u64 = tally.by_status.values().sum();
    if tally.resumed > 0 {
        println!(
            "resumed: {} input lines were done by the interrupted run (in earlier parts)",
            tally.resumed
        );
    }
    println!("audited {total} input lines");
    println!("{:<14} {:>8}", "status", "sites");
    for s in [
        "compliant",
        "warning",
        "violation",
        "unverified",
        "unreachable",
        "input_error",
    ] {
        println!(
            "{:<14} {:>8}",
            s,
            tally.by_status.get(s).copied().unwrap_or(0)
        );
    }
    if !tally.failing.is_empty() {
        let mut rules: Vec<(&String, &u64)> = tally.failing.iter().collect();
        rules.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        println!("\n{:<14} {:>8}", "failing rule", "sites");
        for (r, n) in rules {
            println!("{r:<14} {n:>8}");
        }
    }
    if !tally.errors.is_empty() {
        println!("\n{:<16} {:>6}", "error class", "sites");
        for (class, n) in &tally.errors {
            println!("{class:<16} {n:>6}");
        }
    }
    println!(
        "\nrows: sites={} fetches={} findings={}\noutput: {}",
        tally.counts.sites,
        tally.counts.fetches,
        tally.counts.findings,
        out.display()
    );
}

fn exit_code(tally: &Tally, fail_on: Option<FailOn>) -> ExitCode {
    let n = |s: &str| tally.by_status.get(s).copied().unwrap_or(0);
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
    if !is_stdin {
        File::open(&input).with_context(|| format!("cannot open input {}", input.display()))?;
    }
    let total = if is_stdin { None } else { count_lines(&input) };
    let open: Box<dyn FnOnce() -> Result<Box<dyn BufRead + Send>> + Send> = Box::new(move || {
        if is_stdin {
            Ok(Box::new(BufReader::new(std::io::stdin())) as Box<dyn BufRead + Send>)
        } else {
            let f = File::open(&input)
                .with_context(|| format!("cannot open input {}", input.display()))?;
            Ok(Box::new(BufReader::with_capacity(1 << 16, f)) as Box<dyn BufRead + Send>)
        }
    });
    let spec = RunSpec {
        input_desc: a.input.display().to_string(),
        out: &a.out,
        net,
        judging: settings::judging(&a.judge)?,
    };
    let (tally, stats) = run_audit(spec, open, total).await?;
    if !a.out.quiet {
        print_summary(&tally, &a.out.out);
    }
    if stats.interrupted {
        // As a shell reports a job stopped by SIGINT: the run is not complete (`--resume`).
        return Ok(ExitCode::from(130));
    }
    Ok(exit_code(&tally, a.out.fail_on))
}

fn fleet_config(shape: &FleetShape) -> FleetConfig {
    FleetConfig {
        domains: shape.domains,
        seed: shape.seed,
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
        "fleet of {} domains: dns {} http port {} https port {}\nfiles in {}\naudit it with:\n  beian audit {}/domains.txt --resolver {} --ca-cert {}/ca.pem --http-port {} --https-port {} --allow-private --out results",
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
    let fleet = Fleet::start(fleet_config(&a.shape)).await?;
    let dir: PathBuf = a.out.out.join("fleet");
    fleet.write_files(&dir)?;
    let net_args = NetArgs {
        resolvers: vec![fleet.dns_addr],
        ca_certs: vec![dir.join("ca.pem")],
        http_port: fleet.http_port,
        https_port: fleet.https_port,
        allow_private: true,
        allow_nets: Vec::new(),
        concurrency: a.concurrency,
        connect_timeout: 5.0,
        response_timeout: 10.0,
        probe_timeout: 30.0,
        dns_timeout: 2.0,
        max_redirects: 10,
        max_body: 4 << 20,
        per_ip: 8,
        rate_per_ip: None,
    };
    let net = NetSettings::from_args(&net_args)?;
    let domains = fleet.domains_txt();
    let total = Some(fleet.sites.len() as u64);
    let open: Box<dyn FnOnce() -> Result<Box<dyn BufRead + Send>> + Send> = Box::new(move || {
        Ok(Box::new(std::io::Cursor::new(domains.into_bytes())) as Box<dyn BufRead + Send>)
    });
    let spec = RunSpec {
        input_desc: format!(
            "simulated fleet ({} domains, seed {})",
            a.shape.domains, a.shape.seed
        ),
        out: &a.out,
        net,
        judging: settings::judging(&a.judge)?,
    };
    let started = std::time::Instant::now();
    let (tally, _) = run_audit(spec, open, total).await?;
    if !a.out.quiet {
        print_summary(&tally, &a.out.out);
        println!(
            "answer key: {}\nelapsed: {:.1}s",
            dir.join("answer_key.csv").display(),
            started.elapsed().as_secs_f64()
        );
    }
    drop(fleet);
    Ok(exit_code(&tally, a.out.fail_on))
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
