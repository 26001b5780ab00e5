//! Orchestration: reads targets lazily, audits each site in its own task under a concurrency
//! bound, and sends exactly one [`SiteReport`] per input line to a bounded channel (the
//! writer's backpressure). A site task that fails still yields a row (`internal`).
#![deny(missing_docs)]

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

use beian_fetch::{FetchError, FetchOutcome, Fetcher, HostResolve, OnWait};
use beian_input::{InputItem, Target};
use beian_resolve::Resolver;
use beian_rules::{HostObservation, PageObservation, RuleConfig, SiteContext, judge_site};
use beian_types::{
    ErrorClass, FetchRow, FindingRow, FooterFacts, HostRole, Scheme, SiteReport, SiteRow,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

/// Current time in UTC microseconds since the epoch.
pub fn now_us() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

fn micros(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// Progress callbacks; the binary implements it with a progress bar.
pub trait Reporter: Send + Sync {
    /// A site's report is complete (called before it is handed to the writer).
    fn site_done(&self, row: &SiteRow);
}

/// Resolves redirect targets through the audit's resolver.
pub struct DnsForRedirects(pub Resolver);

impl HostResolve for DnsForRedirects {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<IpAddr>, FetchError>> + Send + 'a>> {
        Box::pin(async move {
            self.0
                .resolve(host)
                .await
                .map(|r| r.addrs)
                .map_err(|e| FetchError {
                    class: e.class,
                    message: e.to_string(),
                })
        })
    }
}

/// Everything a site audit needs.
pub struct Auditor {
    resolver: Resolver,
    fetcher: Fetcher<DnsForRedirects>,
    judging: Judging,
}

/// How sites are judged: the audit date and the rules file's settings.
#[derive(Debug, Clone)]
pub struct Judging {
    /// The audit date (`--as-of`): PSB deadlines are judged against it.
    pub as_of: time::Date,
    /// The rules file's settings (`--rules`).
    pub config: RuleConfig,
}

impl Auditor {
    /// An auditor from a resolver, a fetcher and the judging settings.
    pub fn new(resolver: Resolver, fetcher: Fetcher<DnsForRedirects>, judging: Judging) -> Self {
        Auditor {
            resolver,
            fetcher,
            judging,
        }
    }

    /// Audits one target: both hosts, https and http each. `on_wait` is called whenever a
    /// probe is about to wait for a busy server address.
    pub async fn audit(
        &self,
        line: u64,
        raw: String,
        target: Target,
        on_wait: &OnWait<'_>,
    ) -> SiteReport {
        let probes = target
            .hosts
            .iter()
            .map(|(role, host)| self.probe_host(line, &target.domain, *role, host, on_wait));
        let hosts: Vec<HostObservation> = futures_util::future::join_all(probes).await;
        let j = judge_site(
            &target.domain,
            &hosts,
            &SiteContext {
                manifest: &target.manifest,
                as_of: self.judging.as_of,
                config: &self.judging.config,
            },
        );
        // The apex page names the site's numbers; www stands in when the apex has none.
        let page_of = |role| {
            hosts
                .iter()
                .find(|h| h.role == role)
                .and_then(|h| h.page.as_ref())
        };
        let primary = [HostRole::Apex, HostRole::Www]
            .into_iter()
            .filter_map(page_of)
            .find_map(|p| {
                p.facts
                    .primary
                    .as_ref()
                    .filter(|c| c.source != beian_types::CandidateSource::Body)
            });
        let psb = [HostRole::Apex, HostRole::Www]
            .into_iter()
            .filter_map(page_of)
            .find_map(|p| p.facts.psb.as_ref());
        let unreachable = hosts.iter().all(|h| h.page.is_none());
        let first_failure = hosts.iter().find_map(|h| h.failure.clone());
        let failure_class = if unreachable {
            Some(
                hosts
                    .iter()
                    .flat_map(|h| &h.probes)
                    .find_map(|f| f.error_class)
                    .unwrap_or(ErrorClass::NoPage),
            )
        } else {
            None
        };
        let site = SiteRow {
            input_line: line,
            input: raw,
            domain: Some(target.domain.clone()),
            domain_unicode: Some(target.domain_unicode.clone()),
            status: j.status,
            failing_rules: j.failing,
            warning_rules: j.warning,
            error_class: failure_class,
            error_message: if unreachable { first_failure } else { None },
            icp_number: primary.map(|c| c.number.canonical.clone()),
            icp_kind: primary.map(|c| c.number.kind.as_str().to_string()),
            psb_number: psb.map(|p| p.number.canonical.clone()),
            audited_at_us: now_us(),
        };
        let findings = j
            .findings
            .into_iter()
            .map(|finding| FindingRow {
                input_line: line,
                domain: target.domain.clone(),
                finding,
            })
            .collect();
        // The probes the site rules read are the `fetches` rows.
        let fetches = hosts.into_iter().flat_map(|h| h.probes).collect();
        SiteReport {
            site,
            fetches,
            findings,
        }
    }

    async fn probe_host(
        &self,
        line: u64,
        domain: &str,
        role: HostRole,
        host: &str,
        on_wait: &OnWait<'_>,
    ) -> HostObservation {
        let started_at_us = now_us();
        let base = |scheme: Scheme| FetchRow {
            input_line: line,
            domain: domain.to_string(),
            host: host.to_string(),
            role: Some(role),
            scheme: Some(scheme),
            url: format!("{}://{host}/", scheme.as_str()),
            started_at_us,
            ..FetchRow::default()
        };
        let res = match self.resolver.resolve(host).await {
            Ok(r) => r,
            Err(e) => {
                let rows: Vec<FetchRow> = [Scheme::Https, Scheme::Http]
                    .into_iter()
                    .map(|s| FetchRow {
                        error_class: Some(e.class),
                        error_message: Some(e.to_string()),
                        dns_us: Some(micros(e.elapsed)),
                        ..base(s)
                    })
                    .collect();
                return HostObservation {
                    role,
                    host: host.to_string(),
                    page: None,
                    failure: Some(format!("{}: {}", e.class, e.message)),
                    probes: rows,
                };
            }
        };
        let fetch = |scheme: Scheme| {
            let addrs = res.addrs.clone();
            async move {
                match url::Url::parse(&format!("{}://{host}/", scheme.as_str())) {
                    Ok(u) => self.fetcher.fetch_with(u, addrs, on_wait).await,
                    Err(e) => FetchOutcome {
                        error: Some(FetchError {
                            class: ErrorClass::InputInvalid,
                            message: e.to_string(),
                        }),
                        ..FetchOutcome::default()
                    },
                }
            }
        };
        let (https, http) = tokio::join!(fetch(Scheme::Https), fetch(Scheme::Http));
        let mut facts_by_url: HashMap<String, FooterFacts> = HashMap::new();
        let mut rows = Vec::with_capacity(2);
        let mut page = None;
        for (scheme, out) in [(Scheme::Https, &https), (Scheme::Http, &http)] {
            let mut row = base(scheme);
            row.addresses = res.addrs.iter().map(ToString::to_string).collect();
            row.cname_chain = res.cnames.clone();
            row.dns_us = Some(micros(res.elapsed));
            fill_fetch_row(&mut row, out);
            if out.is_html_page() {
                let final_url = out.final_url.clone().unwrap_or_default();
                if !facts_by_url.contains_key(&final_url) {
                    if let Some(facts) = extract_facts(out).await {
                        facts_by_url.insert(final_url.clone(), facts);
                    }
                }
                match facts_by_url.get(&final_url) {
                    Some(facts) => {
                        row.charset = Some(facts.encoding.to_string());
                        row.icp_number = facts.primary.as_ref().map(|c| c.number.canonical.clone());
                        row.psb_number = facts.psb.as_ref().map(|p| p.number.canonical.clone());
                        if page.is_none() {
                            page = Some(PageObservation {
                                final_url,
                                hops: out.hops.len(),
                                facts: facts.clone(),
                            });
                        }
                    }
                    None => {
                        row.error_class = Some(ErrorClass::Internal);
                        row.error_message = Some("footer extraction failed on this page".into());
                    }
                }
            }
            rows.push(row);
        }
        let failure = if page.is_some() {
            None
        } else {
            Some(
                [(&https, "https"), (&http, "http")]
                    .iter()
                    .map(|(o, s)| match (&o.error, o.status) {
                        (Some(e), _) => format!("{s}: {e}"),
                        (None, Some(code)) => format!(
                            "{s}: HTTP {code} at {}",
                            o.final_url.as_deref().unwrap_or("")
                        ),
                        (None, None) => format!("{s}: no response"),
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        };
        HostObservation {
            role,
            host: host.to_string(),
            page,
            failure,
            probes: rows,
        }
    }
}

/// Pages up to this size are extracted on the site's own worker: a fleet page of 8–40 KB
/// takes ~0.1 ms (`make bench`, `extract/*`), less than handing it to the blocking pool and
/// back (two thread wake-ups; measured on the 10,000-domain fleet: ~5% of the audit's CPU in
/// the hand-off's futex calls and context switches).
const INLINE_EXTRACT_MAX: usize = 64 * 1024;

/// Extraction is CPU-bound: a large page runs on the blocking pool so it never stalls the
/// sockets of other sites; a small one runs here.
async fn extract_facts(out: &FetchOutcome) -> Option<FooterFacts> {
    let body = out.body.clone().unwrap_or_default();
    let charset = out
        .content_type
        .as_deref()
        .and_then(beian_footer::charset_from_content_type)
        .map(str::to_string);
    let inline = body.len() <= INLINE_EXTRACT_MAX;
    let extract = move || beian_footer::extract(&body, charset.as_deref());
    // A panic in the extractor is a bug: the probe is reported `internal`, never judged as
    // a page without a footer.
    if inline {
        return std::panic::catch_unwind(std::panic::AssertUnwindSafe(extract)).ok();
    }
    tokio::task::spawn_blocking(extract).await.ok()
}

fn fill_fetch_row(row: &mut FetchRow, out: &FetchOutcome) {
    row.final_url = out.final_url.clone();
    row.status = out.status;
    row.error_class = out.error.as_ref().map(|e| e.class);
    row.error_message = out.error.as_ref().map(|e| e.message.clone());
    row.remote_addr = out.remote_addr.map(|a| a.to_string());
    row.hops = out.hops.clone();
    row.connect_us = out.timings.connect.map(micros);
    row.tls_us = out.timings.tls.map(micros);
    row.ttfb_us = out.timings.ttfb.map(micros);
    row.total_us = Some(micros(out.timings.total));
    row.body_bytes = out.body.as_ref().map(|b| b.len() as u64);
    row.body_truncated = out.body_truncated;
    row.content_type = out.content_type.clone();
    row.content_encoding = out.content_encoding.clone();
    if let Some(t) = &out.tls {
        row.tls_version = Some(t.version.clone());
        row.cert_valid = Some(t.cert_error.is_none());
        row.cert_error = t.cert_error.clone();
    }
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
    out: &mpsc::Sender<SiteReport>,
    report: SiteReport,
) -> bool {
    reporter.site_done(&report.site);
    out.send(report).await.is_ok()
}

/// Runs the audit over `items`, sending one report per line to `out`.
///
/// Up to `concurrency` sites work at once, and 4 × `concurrency` more may be parked, waiting
/// for busy server addresses ([`SiteSlot`]). `control` stops the run: [`Control::Drain`]
/// takes no more input, [`Control::Abandon`] also stops the sites in flight.
pub async fn run(
    auditor: Arc<Auditor>,
    mut items: mpsc::Receiver<InputItem>,
    out: mpsc::Sender<SiteReport>,
    concurrency: usize,
    reporter: Arc<dyn Reporter>,
    mut control: watch::Receiver<Control>,
) -> RunStats {
    let sem = Arc::new(Semaphore::new(concurrency.max(1)));
    let parked = Arc::new(Semaphore::new(concurrency.max(1) * 4));
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
            if !deliver(&*reporter, &out, report).await {
                return stats;
            }
        }
        let permit = tokio::select! {
            p = sem.clone().acquire_owned() => p,
            Some(res) = tasks.join_next_with_id() => {
                let report = finish(res, &mut pending, &mut stats);
                if !deliver(&*reporter, &out, report).await {
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
                };
                drop(permit);
                if !deliver(&*reporter, &out, report).await {
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
        if !deliver(&*reporter, &out, report).await {
            break;
        }
    }
    stats
}
