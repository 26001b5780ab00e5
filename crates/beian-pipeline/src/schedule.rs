//! The scheduler: sites audited concurrently under working and parked slots, exactly one
//! report per input line delivered in completion order, and the run's stop requests
//! ([`Control`]). It knows nothing of DNS or HTTP: one site's audit is an [`AuditSite`].

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use beian_fetch::OnWait;
use beian_input::{InputItem, Target};
use beian_types::{ErrorClass, SiteReport, SiteRow};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use crate::{Capacity, Reporter, now_us};

/// One site's audit, as the scheduler sees it: [`crate::Auditor`] in a run, something
/// simpler in the scheduler's tests.
pub trait AuditSite: Send + Sync + 'static {
    /// Audits `target` (input line `line`, read as `raw`) into its report. `on_wait` is
    /// called when a probe is about to wait for a busy server address: the scheduler then
    /// moves the site to a parked slot.
    fn audit<'a>(
        &'a self,
        line: u64,
        raw: String,
        target: Target,
        on_wait: &'a OnWait<'a>,
    ) -> impl Future<Output = SiteReport> + Send + 'a;
}

/// Counts of a finished run.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunStats {
    /// Input lines that produced a report.
    pub sites: u64,
    /// Lines that were input errors.
    pub input_errors: u64,
    /// Site tasks that failed internally (still reported).
    pub internal_errors: u64,
    /// The run stopped early on request.
    pub interrupted: bool,
    /// Sites in flight that were stopped ([`Control::Abandon`]): they have no row, and a
    /// resumed run audits them.
    pub abandoned: u64,
}

/// A site's place among the sites in progress: a working slot at first. When one of its
/// probes is about to wait for a busy server address, the site gives the working slot to the
/// next site and takes a parked one instead (while parked slots last), so that sites on an
/// overloaded shared address cannot fill every slot and hold back the sites elsewhere
/// (head-of-line blocking). A parked site keeps its parked slot until it is done: its probes
/// are bounded by the fetcher's probe slots, not by working slots.
struct SiteSlot {
    held: std::sync::Mutex<Held>,
    parked: Arc<Semaphore>,
}

/// Which slot a site holds.
enum Held {
    Working(#[expect(dead_code, reason = "held for its drop")] OwnedSemaphorePermit),
    Parked(#[expect(dead_code, reason = "held for its drop")] OwnedSemaphorePermit),
}

impl SiteSlot {
    fn park(&self) {
        // A poisoned lock only means a probe panicked; the slot is still sound.
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if matches!(*held, Held::Working(_)) {
            // No parked slot free: keep the working one (bounded memory comes first).
            if let Ok(p) = self.parked.clone().try_acquire_owned() {
                *held = Held::Parked(p);
            }
        }
    }
}

/// What the caller asks of a running audit ([`run`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Keep going.
    Run,
    /// Take no more input; the sites in flight finish (each bounded by the fetch timeouts).
    Drain,
    /// Stop the sites in flight too. They get no row: a resumed run audits them.
    Abandon,
}

/// Waits for the next change of `control`; never returns once its sender is gone.
async fn changed(control: &mut watch::Receiver<Control>) {
    if control.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Reports a finished site and sends it to the writer; false once the writer is gone.
async fn deliver(
    reporter: &dyn Reporter,
    reports: &mpsc::Sender<SiteReport>,
    report: SiteReport,
) -> bool {
    reporter.site_done(&report.site);
    reports.send(report).await.is_ok()
}

/// Runs the audit over `items`, sending one report per line to `reports`.
///
/// Up to `capacity.working` sites work at once, and `capacity.parked` more may be parked,
/// waiting for busy server addresses (`SiteSlot`). `control` stops the run:
/// [`Control::Drain`] takes no more input, [`Control::Abandon`] also stops the sites in
/// flight. A site whose audit panics still gets its row (`internal`).
pub async fn run<A: AuditSite>(
    auditor: Arc<A>,
    mut items: mpsc::Receiver<InputItem>,
    reports: mpsc::Sender<SiteReport>,
    capacity: Capacity,
    reporter: Arc<dyn Reporter>,
    mut control: watch::Receiver<Control>,
) -> RunStats {
    let sem = Arc::new(Semaphore::new(capacity.working.max(1)));
    let parked = Arc::new(Semaphore::new(capacity.parked.max(1)));
    let mut tasks: JoinSet<SiteReport> = JoinSet::new();
    let mut pending: HashMap<tokio::task::Id, (u64, String)> = HashMap::new();
    let mut stats = RunStats::default();

    let finish = |res: Result<(tokio::task::Id, SiteReport), tokio::task::JoinError>,
                  pending: &mut HashMap<tokio::task::Id, (u64, String)>,
                  stats: &mut RunStats| {
        match res {
            Ok((id, report)) => {
                pending.remove(&id);
                report
            }
            Err(e) => {
                let (line, raw) = pending.remove(&e.id()).unwrap_or_default();
                stats.internal_errors += 1;
                SiteReport {
                    site: SiteRow::input_error(
                        line,
                        raw,
                        ErrorClass::Internal,
                        format!("audit task failed: {e}"),
                        now_us(),
                    ),
                    fetches: Vec::new(),
                    findings: Vec::new(),
                    browser: beian_types::BrowserWork::default(),
                    evidence: Vec::new(),
                }
            }
        }
    };

    loop {
        if *control.borrow() != Control::Run {
            stats.interrupted = true;
            break;
        }
        // Reap finished sites before taking more input, so reports leave in bounded batches.
        while let Some(res) = tasks.try_join_next_with_id() {
            let report = finish(res, &mut pending, &mut stats);
            if !deliver(&*reporter, &reports, report).await {
                return stats;
            }
        }
        let permit = tokio::select! {
            p = sem.clone().acquire_owned() => p,
            Some(res) = tasks.join_next_with_id() => {
                let report = finish(res, &mut pending, &mut stats);
                if !deliver(&*reporter, &reports, report).await {
                    return stats;
                }
                continue;
            }
            () = changed(&mut control) => continue,
        };
        let Ok(permit) = permit else { break };
        let item = tokio::select! {
            item = items.recv() => item,
            () = changed(&mut control) => continue,
        };
        let Some(item) = item else {
            break;
        };
        stats.sites += 1;
        match item.result {
            Err(e) => {
                stats.input_errors += 1;
                let report = SiteReport {
                    site: SiteRow::input_error(
                        item.line,
                        item.raw,
                        e.class(),
                        e.to_string(),
                        now_us(),
                    ),
                    fetches: Vec::new(),
                    findings: Vec::new(),
                    browser: beian_types::BrowserWork::default(),
                    evidence: Vec::new(),
                };
                drop(permit);
                if !deliver(&*reporter, &reports, report).await {
                    return stats;
                }
            }
            Ok(target) => {
                let a = auditor.clone();
                let (line, raw) = (item.line, item.raw.clone());
                let slot = SiteSlot {
                    held: std::sync::Mutex::new(Held::Working(permit)),
                    parked: parked.clone(),
                };
                let handle = tasks.spawn(async move {
                    let report = a.audit(line, raw, target, &|| slot.park()).await;
                    drop(slot);
                    report
                });
                pending.insert(handle.id(), (item.line, item.raw));
            }
        }
    }
    // The sites in flight finish, unless abandoned.
    let mut aborted = false;
    loop {
        if !aborted && *control.borrow() == Control::Abandon {
            stats.interrupted = true;
            tasks.abort_all();
            aborted = true;
        }
        let res = tokio::select! {
            res = tasks.join_next_with_id() => res,
            () = changed(&mut control) => continue,
        };
        let Some(res) = res else { break };
        if let Err(e) = &res {
            if e.is_cancelled() {
                // Abandoned: no row; a resumed run audits the line.
                pending.remove(&e.id());
                stats.abandoned += 1;
                continue;
            }
        }
        let report = finish(res, &mut pending, &mut stats);
        if !deliver(&*reporter, &reports, report).await {
            break;
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    use beian_input::Reader;
    use beian_types::SiteStatus;

    use super::*;

    /// Sites take `1 + line % 5` seconds (paused time); `panic.cn` panics; `wait.cn` reports
    /// a wait for a busy address first.
    struct Fake;

    impl AuditSite for Fake {
        async fn audit<'a>(
            &'a self,
            line: u64,
            raw: String,
            target: Target,
            on_wait: &'a OnWait<'a>,
        ) -> SiteReport {
            if target.domain == "wait.cn" {
                on_wait();
            }
            tokio::time::sleep(Duration::from_secs(1 + line % 5)).await;
            assert!(target.domain != "panic.cn", "a bug in one site's audit");
            let mut site = SiteRow::input_error(line, raw, ErrorClass::Internal, String::new(), 0);
            site.status = SiteStatus::Compliant;
            site.error_class = None;
            site.domain = Some(target.domain);
            SiteReport {
                site,
                fetches: Vec::new(),
                findings: Vec::new(),
                browser: beian_types::BrowserWork::default(),
                evidence: Vec::new(),
            }
        }
    }

    #[derive(Default)]
    struct Count(AtomicU64);

    impl Reporter for Count {
        fn site_done(&self, _row: &SiteRow) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `n` good domains, then a bad line, a duplicate, a panicking site and a waiting one.
    fn input(n: usize) -> String {
        let mut s: String = (0..n).map(|i| format!("site{i}.cn\n")).collect();
        s.push_str("not a domain!\nsite0.cn\npanic.cn\nwait.cn\n");
        s
    }

    struct Started {
        reports: mpsc::Receiver<SiteReport>,
        control: watch::Sender<Control>,
        run: tokio::task::JoinHandle<RunStats>,
        reporter: Arc<Count>,
    }

    fn start(text: &str) -> Started {
        let (item_tx, item_rx) = mpsc::channel(1024);
        for item in Reader::new(text.as_bytes()) {
            item_tx
                .try_send(item.expect("in-memory input"))
                .expect("room");
        }
        drop(item_tx);
        let (report_tx, reports) = mpsc::channel(1024);
        let (control, control_rx) = watch::channel(Control::Run);
        let reporter = Arc::new(Count::default());
        let run = tokio::spawn(run(
            Arc::new(Fake),
            item_rx,
            report_tx,
            Capacity::for_sites(2),
            reporter.clone(),
            control_rx,
        ));
        Started {
            reports,
            control,
            run,
            reporter,
        }
    }

    async fn rows(reports: &mut mpsc::Receiver<SiteReport>) -> Vec<SiteRow> {
        let mut out = Vec::new();
        while let Some(r) = reports.recv().await {
            out.push(r.site);
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn every_line_gets_exactly_one_row_whatever_happens_to_it() {
        let mut s = start(&input(40));
        let rows = rows(&mut s.reports).await;
        let stats = s.run.await.expect("the scheduler itself does not panic");
        let lines: BTreeSet<u64> = rows.iter().map(|r| r.input_line).collect();
        assert_eq!(rows.len(), 44);
        assert_eq!(lines, (1..=44).collect());
        assert_eq!(
            (stats.sites, stats.input_errors, stats.internal_errors),
            (44, 2, 1)
        );
        assert!(!stats.interrupted);
        assert_eq!(s.reporter.0.load(Ordering::Relaxed), 44);
        let by_line = |l: u64| rows.iter().find(|r| r.input_line == l).expect("row");
        assert_eq!(by_line(41).status, SiteStatus::InputError);
        assert_eq!(by_line(42).error_class, Some(ErrorClass::InputDuplicate));
        let panicked = by_line(43);
        assert_eq!(panicked.error_class, Some(ErrorClass::Internal));
        assert!(
            panicked
                .error_message
                .as_deref()
                .is_some_and(|m| m.starts_with("audit task failed")),
            "{panicked:?}"
        );
        assert_eq!(by_line(44).status, SiteStatus::Compliant);
    }

    #[tokio::test(start_paused = true)]
    async fn drain_takes_no_more_input_and_finishes_the_sites_in_flight() {
        let mut s = start(&input(200));
        tokio::time::sleep(Duration::from_millis(2500)).await;
        s.control.send_replace(Control::Drain);
        let rows = rows(&mut s.reports).await;
        let stats = s.run.await.expect("no panic");
        assert!(stats.interrupted);
        assert_eq!(stats.abandoned, 0);
        // Every site taken got its row, and far from all the input was taken.
        assert_eq!(rows.len() as u64, stats.sites);
        assert!(stats.sites > 8 && stats.sites < 100, "{stats:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn abandon_stops_the_sites_in_flight_without_rows() {
        let mut s = start(&input(200));
        tokio::time::sleep(Duration::from_millis(2500)).await;
        s.control.send_replace(Control::Drain);
        s.control.send_replace(Control::Abandon);
        let rows = rows(&mut s.reports).await;
        let stats = s.run.await.expect("no panic");
        assert!(stats.interrupted);
        assert!(stats.abandoned > 0, "{stats:?}");
        assert_eq!(rows.len() as u64 + stats.abandoned, stats.sites);
    }
}
