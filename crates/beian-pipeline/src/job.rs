//! A whole run, from input to run directory: a reader thread feeds input items to the
//! scheduler through a bounded channel (lazy, backpressured), a writer thread writes every
//! report with checkpoints, and the run directory's writer records the run in `run.json` when
//! it ends. [`stop_on`] turns a stop signal into the [`Control`] the scheduler obeys.

use std::collections::BTreeMap;
use std::future::Future;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use beian_input::{InputItem, ReadError, Reader, Shard};
use beian_run::{
    RenderRecord, RunCounts, RunEnd, RunWriter, ScreenshotFailures, ShardRecord, Start, WriteError,
};
use beian_types::{ErrorClass, SiteReport};
use tokio::sync::{mpsc, watch};

use crate::{AuditSite, Capacity, Control, Reporter, RunStats};

/// The longest time between two checkpoints of the output (`Output::checkpoint_every` bounds
/// the sites between them).
const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(30);

/// Opens the input (on the reader thread).
pub type OpenInput = Box<dyn FnOnce() -> std::io::Result<Box<dyn BufRead + Send>> + Send>;

/// Where and how a run writes.
#[derive(Debug, Clone)]
pub struct Output {
    /// The run directory.
    pub dir: PathBuf,
    /// A new run, or the continuation of an interrupted one.
    pub start: Start,
    /// Close the parts every this many sites (and at least every 30 s).
    pub checkpoint_every: u64,
    /// Where the run directory really is when it is in object storage: `dir` is then a
    /// local staging directory whose completed files go up there.
    pub remote: Option<beian_store::Remote>,
}

/// One run: what to read, where to write, how much at once.
pub struct Job {
    /// Opens the input.
    pub input: OpenInput,
    /// What the input is, for `run.json` and messages (a path, or the fleet's description).
    pub input_desc: String,
    /// The run directory.
    pub output: Output,
    /// Work at once.
    pub capacity: Capacity,
    /// The audit date (`--as-of`), recorded in `run.json`.
    pub as_of: time::Date,
    /// The rules file (`--rules`), recorded in `run.json` beside the rules version.
    pub rules_file: Option<String>,
    /// The exceptions file (`--waivers`) and its entries, recorded in `run.json`.
    pub waivers: Option<beian_run::WaiversRecord>,
    /// The shard of the input this run audits ([`Shard::WHOLE`] for all of it).
    pub shard: Shard,
    /// Rendering, when on, recorded in `run.json`.
    pub render: Option<RenderJob>,
}

/// What `run.json` says of rendering besides the tallies.
#[derive(Debug, Clone)]
pub struct RenderJob {
    /// `auto` or `always`.
    pub mode: &'static str,
    /// The screenshot directory (`--screenshots`).
    pub screenshots: Option<PathBuf>,
    /// The browser, as it names itself (`chromium --version`).
    pub browser: Option<String>,
}

/// Tallies of the `sites` rows a run wrote, for summaries.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Sites by status.
    pub by_status: BTreeMap<&'static str, u64>,
    /// Sites by failing rule.
    pub failing: BTreeMap<String, u64>,
    /// Sites by error class.
    pub errors: BTreeMap<&'static str, u64>,
    /// Pages rendered in the browser (`--render`).
    pub rendered: u64,
    /// Pages whose render failed.
    pub render_failed: u64,
    /// Time all renders took, ms.
    pub render_ms: u64,
    /// The most memory one render's browser held (PSS), bytes.
    pub render_peak_memory: u64,
    /// Screenshots written (`--screenshots`).
    pub screenshots: u64,
    /// Screenshots that failed, by reason class: how many, and the first one's message.
    pub screenshot_failures: BTreeMap<String, ScreenshotFailures>,
}

impl Tally {
    fn add(&mut self, report: &SiteReport) {
        *self
            .by_status
            .entry(report.site.status.as_str())
            .or_default() += 1;
        for r in &report.site.failing_rules {
            *self.failing.entry(r.clone()).or_default() += 1;
        }
        if let Some(class) = report.site.error_class {
            *self.errors.entry(class.as_str()).or_default() += 1;
        }
        // A page's render shows on each probe that reached it: count it once.
        let mut pages: Vec<(&str, &str)> = Vec::new();
        for f in &report.fetches {
            let (Some(ms), Some(url)) = (f.render_ms, f.final_url.as_deref()) else {
                continue;
            };
            if pages.contains(&(f.host.as_str(), url)) {
                continue;
            }
            pages.push((f.host.as_str(), url));
            if f.rendered {
                self.rendered += 1;
            } else {
                self.render_failed += 1;
            }
            self.render_ms += u64::try_from(ms).unwrap_or(0);
        }
        let work = &report.browser;
        self.render_peak_memory = self.render_peak_memory.max(work.peak_memory);
        self.screenshots += work.screenshots;
        for (class, message) in &work.screenshot_failures {
            self.screenshot_failures
                .entry((*class).to_string())
                .or_insert_with(|| ScreenshotFailures {
                    count: 0,
                    first: message.clone(),
                })
                .count += 1;
        }
    }

    /// Screenshots that failed.
    pub fn screenshots_failed(&self) -> u64 {
        self.screenshot_failures.values().map(|f| f.count).sum()
    }

    /// What `run.json` says of this invocation's rendering.
    fn render_record(&self, job: RenderJob) -> RenderRecord {
        let shots = job.screenshots.is_some();
        RenderRecord {
            mode: job.mode.to_string(),
            browser: job.browser,
            pages: self.rendered,
            failed: self.render_failed,
            ms: self.render_ms,
            peak_memory_mib: Some(self.render_peak_memory.div_ceil(1 << 20)),
            screenshots: job
                .screenshots
                .map(|d| std::path::absolute(&d).unwrap_or(d).display().to_string()),
            screenshots_written: shots.then_some(self.screenshots),
            screenshots_failed: shots.then(|| self.screenshots_failed()),
            screenshot_failures: shots.then(|| self.screenshot_failures.clone()),
        }
    }

    /// Sites with `status`.
    pub fn status(&self, status: &str) -> u64 {
        self.by_status.get(status).copied().unwrap_or(0)
    }
}

/// What a finished (or stopped) run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The run's id.
    pub run_id: String,
    /// This run's sites (not those an interrupted run had done).
    pub tally: Tally,
    /// The scheduler's counts.
    pub stats: RunStats,
    /// Input lines an earlier, interrupted run had finished (`--resume`).
    pub resumed_lines: u64,
    /// Rows in the run directory, the earlier parts of a resumed run included.
    pub rows: RunCounts,
}

/// A run failed as a whole (a bad line never does: it becomes a row).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The run directory could not be opened or written.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The input could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The input could not be opened.
    #[error("cannot open input {input}")]
    Open {
        /// The input.
        input: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Object storage failed.
    #[error(transparent)]
    Store(#[from] beian_store::StoreError),
    /// A thread of the run died (a bug).
    #[error("the {0} thread panicked")]
    Panicked(&'static str),
}

/// Runs `job` to its end (or its stop, as `control` says): one row per input line in the run
/// directory, `run.json` last.
pub async fn run_job<A: AuditSite>(
    auditor: Arc<A>,
    job: Job,
    reporter: Arc<dyn Reporter>,
    control: watch::Receiver<Control>,
) -> Result<RunReport, JobError> {
    let (started_at, clock) = (time::OffsetDateTime::now_utc(), Instant::now());
    let remote = job.output.remote.clone();
    let staged = match &remote {
        Some(r) => Some(crate::remote::prepare(r, &job.output.dir, &job.output.start).await?),
        None => None,
    };
    let (mut writer, started) = RunWriter::start(&job.output.dir, job.output.start.clone())?;
    let mut redone = started.redone.len() as u64;
    let beat = match (&remote, staged) {
        (Some(r), Some(staged)) => {
            redone += staged.redone.len() as u64;
            crate::remote::settle(&job.output.dir, &staged.pulled)?;
            writer.count_earlier(staged.earlier);
            for url in &staged.removed {
                reporter.part_removed(Path::new(url));
            }
            writer.set_sink(crate::remote::sink(
                r.clone(),
                job.output.dir.clone(),
                tokio::runtime::Handle::current(),
            ));
            Some(crate::remote::heartbeat(r.clone(), staged.held))
        }
        _ => None,
    };
    for p in &started.removed {
        reporter.part_removed(p);
    }
    if redone > 0 {
        reporter.audited_again(redone);
    }
    let resumed_lines = started.done.len() as u64;
    reporter.resumed(resumed_lines);
    let done = started.done;

    let input_desc = job.input_desc.clone();
    let (open, shard) = (job.input, job.shard);
    let (item_tx, item_rx) = mpsc::channel::<InputItem>(job.capacity.working * 2 + 16);
    let reader = std::thread::spawn(move || -> Result<(), JobError> {
        let input = open().map_err(|source| JobError::Open {
            input: input_desc,
            source,
        })?;
        for item in Reader::new(input).sharded(shard) {
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

    let (report_tx, mut report_rx) = mpsc::channel::<SiteReport>(256);
    let checkpoint_every = job.output.checkpoint_every;
    let writer_thread = std::thread::spawn(move || -> Result<(RunWriter, Tally), JobError> {
        let mut tally = Tally::default();
        let (mut since, mut last) = (0u64, Instant::now());
        while let Some(report) = report_rx.blocking_recv() {
            tally.add(&report);
            writer.write(report)?;
            since += 1;
            if since >= checkpoint_every || last.elapsed() >= CHECKPOINT_INTERVAL {
                writer.checkpoint()?;
                (since, last) = (0, Instant::now());
            }
        }
        Ok((writer, tally))
    });

    let stats = crate::run(auditor, item_rx, report_tx, job.capacity, reporter, control).await;
    let (writer, tally) = writer_thread
        .join()
        .map_err(|_| JobError::Panicked("writer"))??;
    if !stats.interrupted {
        reader.join().map_err(|_| JobError::Panicked("input"))??;
    }
    // The whole run's statuses: this run's and those of the parts an interrupted run left.
    let as_of = job.as_of.to_string();
    // run.json tallies the whole run: this run's sites and those of the parts it resumed.
    let mut whole = tally.by_status.clone();
    for (name, n) in &started.status {
        if let Some(s) = beian_types::SiteStatus::from_name(name) {
            *whole.entry(s.as_str()).or_default() += n;
        }
    }
    let (input_desc, rules_file, waivers) = (job.input_desc, job.rules_file, job.waivers);
    let interrupted = stats.interrupted;
    let abandoned = stats.abandoned;
    let render = job.render.map(|r| tally.render_record(r));
    let audit_network = tally
        .errors
        .get(ErrorClass::AuditNetwork.as_str())
        .copied()
        .unwrap_or(0);
    // Off the runtime's threads: the writer's sink may block on uploads.
    let rows = tokio::task::spawn_blocking(move || {
        writer.finish_run(&RunEnd {
            input: &input_desc,
            as_of: &as_of,
            interrupted,
            abandoned,
            resumed_lines,
            // The earlier parts' lost rows were taken out to be audited again: this run's are
            // all there are.
            audit_network,
            status: &whole,
            started_at: started_at.unix_timestamp(),
            duration_s: clock.elapsed().as_secs_f64(),
            rules_version: &beian_rules::rules_version(),
            rules_file: rules_file.as_deref(),
            waivers: waivers.as_ref(),
            shard: (shard.count > 1).then_some(ShardRecord {
                index: shard.index,
                count: shard.count,
            }),
            render,
        })
    })
    .await
    .map_err(|_| JobError::Panicked("writer"))??;
    if let (Some(beat), Some(r)) = (beat, &remote) {
        beat.abort();
        r.unlock().await?;
    }
    Ok(RunReport {
        run_id: started.run_id,
        tally,
        stats,
        resumed_lines,
        rows,
    })
}

/// A [`Control`] that follows stop requests: the first `signal` takes no more input
/// ([`Control::Drain`]) and gives the sites in flight `drain` to finish; a second `signal`,
/// or the end of `drain`, stops them ([`Control::Abandon`]). The stopped sites have no row:
/// `--resume` audits them.
pub fn stop_on<S, F>(
    signal: S,
    drain: Duration,
    reporter: Arc<dyn Reporter>,
) -> watch::Receiver<Control>
where
    S: Fn() -> F + Send + 'static,
    F: Future<Output = ()> + Send,
{
    let (control_tx, control_rx) = watch::channel(Control::Run);
    tokio::spawn(async move {
        signal().await;
        reporter.stopping(drain);
        control_tx.send_replace(Control::Drain);
        tokio::select! {
            () = signal() => {}
            () = tokio::time::sleep(drain) => {}
        }
        control_tx.send_replace(Control::Abandon);
    });
    control_rx
}
