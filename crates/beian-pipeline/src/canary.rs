//! When the audit's own network fails, the sites are not to blame (issue 28): a site that
//! reached no host, by a DNS or connection failure, is checked against the audit's canaries —
//! names it resolves afresh through its own resolver and connects to — and against the shape
//! of the recent failures ([`Shape`]: most sites failing the same way within a short window,
//! as when the resolver buckles under the audit's own queries while the canaries still get
//! through). When no canary answers, or the shape holds, the site's row says "the audit's own
//! network failed" and the site is `unverified`, not `unreachable`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use beian_resolve::Resolver;
use beian_rules::ids;
use beian_types::{ErrorClass, SiteReport, SiteStatus, Verdict};
use tokio::sync::Mutex;
use tokio::time::Instant;

/// A canary: a name the audit's network must resolve, and the port it must connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canary {
    /// The name.
    pub host: String,
    /// The port.
    pub port: u16,
}

impl std::str::FromStr for Canary {
    type Err = String;

    /// `host` (port 443) or `host:port`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (host, port) = match s.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| format!("{s:?}: the port is not a number from 1 to 65535"))?,
            ),
            None => (s, 443),
        };
        if host.is_empty() || port == 0 || host.contains(char::is_whitespace) {
            return Err(format!("{s:?} is not a HOST or HOST:PORT"));
        }
        Ok(Canary {
            host: host.to_ascii_lowercase(),
            port,
        })
    }
}

impl std::fmt::Display for Canary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// How long a canary check stands for the sites that finish after it.
const CHECK_STANDS: Duration = Duration::from_secs(5);

/// The audit's canaries and their last check.
pub(crate) struct Canaries {
    list: Vec<Canary>,
    connect_timeout: Duration,
    /// The last check: when, and why the network failed (`None`: a canary answered). One
    /// check at a time; the sites finishing meanwhile wait for it.
    last: Mutex<Option<(Instant, Option<String>)>>,
}

impl Canaries {
    pub(crate) fn new(list: Vec<Canary>, connect_timeout: Duration) -> Option<Self> {
        (!list.is_empty()).then(|| Canaries {
            list,
            connect_timeout,
            last: Mutex::new(None),
        })
    }

    /// Why the audit's network fails now (`None`: a canary answered): each canary resolved
    /// afresh (the cache would hide a resolver that stopped answering) and connected to.
    pub(crate) async fn failure(&self, resolver: &Resolver) -> Option<String> {
        let mut last = self.last.lock().await;
        if let Some((at, why)) = last.as_ref() {
            if at.elapsed() < CHECK_STANDS {
                return why.clone();
            }
        }
        let mut reasons = Vec::with_capacity(self.list.len());
        let mut answered = false;
        for c in &self.list {
            match self.probe(c, resolver).await {
                Ok(()) => {
                    answered = true;
                    break;
                }
                Err(e) => reasons.push(format!("canary {c}: {e}")),
            }
        }
        let why = (!answered).then(|| reasons.join("; "));
        *last = Some((Instant::now(), why.clone()));
        why
    }

    async fn probe(&self, c: &Canary, resolver: &Resolver) -> Result<(), String> {
        let res = resolver
            .resolve_fresh(&c.host)
            .await
            .map_err(|e| format!("{}", e.class))?;
        let mut last = String::from("no address");
        for ip in res.addrs.iter().take(2) {
            let addr = SocketAddr::new(*ip, c.port);
            match tokio::time::timeout(self.connect_timeout, tokio::net::TcpStream::connect(addr))
                .await
            {
                Ok(Ok(_)) => return Ok(()),
                Ok(Err(e)) => last = format!("{addr}: {e}"),
                Err(_) => last = format!("{addr}: no connection within {:?}", self.connect_timeout),
            }
        }
        Err(last)
    }
}

/// How a lost site failed, as the shape counts it: the resolver's failures (an NXDOMAIN left
/// out: a portfolio of lapsed domains answers it honestly), or the connections'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Dns,
    Connect,
}

impl Way {
    fn of(class: ErrorClass) -> Option<Way> {
        match class {
            ErrorClass::DnsServfail
            | ErrorClass::DnsRefused
            | ErrorClass::DnsTimeout
            | ErrorClass::DnsError => Some(Way::Dns),
            ErrorClass::ConnectRefused | ErrorClass::ConnectTimeout | ErrorClass::ConnectError => {
                Some(Way::Connect)
            }
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Way::Dns => "a DNS failure",
            Way::Connect => "a connection failure",
        }
    }
}

/// The window the shape looks at: the sites begun within [`SHAPE_WINDOW`] of the failed site
/// (before or after it), at most the [`SHAPE_SITES`] begun nearest it, among the last
/// [`SHAPE_KEEP`] finished. By when the sites began, not when they finished: at the end of a
/// run with thousands of sites at once, the last to finish are those whose failures take
/// longest (a silent name's DNS timeout), begun long before beside sites that finished well
/// (issue 32: at 4,096 at once, seven `dns-timeout` sites were taken for the audit's own
/// network failing). A resolver that buckles fails the sites begun while it does.
const SHAPE_WINDOW: Duration = Duration::from_secs(30);
const SHAPE_SITES: usize = 40;
const SHAPE_KEEP: usize = 1_000;
/// The shape holds when at least this many sites of the window failed the same way…
const SHAPE_LEAST: usize = 10;
/// …and they are at least this share of the window (per cent).
const SHAPE_SHARE: usize = 80;

/// The shape of the recent failures: when the last sites began, and how they finished.
#[derive(Default)]
pub(crate) struct Shape {
    recent: std::sync::Mutex<VecDeque<(Instant, Option<Way>)>>,
}

impl Shape {
    /// Counts a finished site begun at `began` (`class`: its error, when it reached no host)
    /// and says whether the sites begun about when it did look like the audit's own network
    /// failing — most failing the same way — when this site failed that way too.
    pub(crate) fn record(&self, class: Option<ErrorClass>, began: Instant) -> Option<String> {
        let way = class.and_then(Way::of);
        // A poisoned lock only means a site's task panicked; the window is still sound.
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        recent.push_back((began, way));
        if recent.len() > SHAPE_KEEP {
            recent.pop_front();
        }
        let way = way?;
        let apart = |at: Instant| at.max(began) - at.min(began);
        let mut near: Vec<(Duration, Option<Way>)> = recent
            .iter()
            .map(|&(at, w)| (apart(at), w))
            .filter(|(d, _)| *d <= SHAPE_WINDOW)
            .collect();
        near.sort_unstable_by_key(|(d, _)| *d);
        near.truncate(SHAPE_SITES);
        let same = near.iter().filter(|(_, w)| *w == Some(way)).count();
        (same >= SHAPE_LEAST && same * 100 >= near.len() * SHAPE_SHARE).then(|| {
            format!(
                "{same} of the {} sites begun within {} s of it failed by {}",
                near.len(),
                SHAPE_WINDOW.as_secs(),
                way.name()
            )
        })
    }
}

/// Failures the audit's own network can cause: no answer from the resolver, or no
/// connection. (An NXDOMAIN counts: a broken resolver answers it for every name.)
pub(crate) fn could_be_ours(class: ErrorClass) -> bool {
    matches!(
        class,
        ErrorClass::DnsNxdomain
            | ErrorClass::DnsServfail
            | ErrorClass::DnsRefused
            | ErrorClass::DnsTimeout
            | ErrorClass::DnsError
            | ErrorClass::ConnectRefused
            | ErrorClass::ConnectTimeout
            | ErrorClass::ConnectError
    )
}

/// How a site's probes met a failure the audit's own network can cause: the class of the
/// first such probe, when the site's verdict rests on it (the site reached no host, or is a
/// violation — a host it could not reach may be why).
pub(crate) fn touched(report: &SiteReport) -> Option<ErrorClass> {
    if !matches!(
        report.site.status,
        SiteStatus::Unreachable | SiteStatus::Violation
    ) {
        return None;
    }
    report
        .site
        .error_class
        .into_iter()
        .chain(report.fetches.iter().filter_map(|f| f.error_class))
        .find(|c| could_be_ours(*c))
}

/// The report of a site the audit's network failed (`why`): what that kept from the audit is
/// held back as not verified — the fails of the rules about reaching the hosts, and of a host
/// whose probe failed so. A fail the audit did see (a page it read) stands, and the site with
/// it; otherwise the site is `unverified`, error class `audit_network` (`--resume` audits it
/// again).
pub(crate) fn network_failed(report: &mut SiteReport, why: &str) {
    let reason = format!("the audit's own network failed ({why})");
    let reason_zh = format!("审计自身的网络出了故障（{why}）");
    let hosts: std::collections::HashSet<&str> = report
        .fetches
        .iter()
        .filter(|f| f.error_class.is_some_and(could_be_ours))
        .map(|f| f.host.as_str())
        .collect();
    for f in &mut report.findings {
        let f = &mut f.finding;
        let about_reach = [
            ids::SITE_REACH,
            ids::SITE_PARITY,
            ids::SITE_REDIRECT,
            ids::SITE_TLS,
            ids::SITE_SHELL,
        ]
        .contains(&f.rule_id);
        let on_lost_host = f.host.as_deref().is_some_and(|h| hosts.contains(h));
        if f.verdict == Verdict::Fail && (about_reach || on_lost_host) {
            f.verdict = Verdict::Warn;
            f.evidence = format!("not verified: {reason} — {}", f.evidence);
            f.evidence_zh = format!("未核实：{reason_zh} — {}", f.evidence_zh);
        }
    }
    let findings = || report.findings.iter().map(|f| &f.finding);
    let failing = beian_rules::rules_with(findings(), Verdict::Fail);
    let warning = beian_rules::rules_with(findings(), Verdict::Warn);
    let site = &mut report.site;
    if failing.is_empty() {
        site.error_message = Some(match site.error_message.take() {
            Some(m) => format!("{reason}; the site: {m}"),
            None => reason,
        });
        site.error_class = Some(ErrorClass::AuditNetwork);
        site.status = SiteStatus::Unverified;
    }
    site.failing_rules = failing;
    site.warning_rules = warning;
}

#[cfg(test)]
mod tests {
    use super::*;
    use beian_types::{Finding, FindingRow, SiteRow};

    #[test]
    fn canaries_parse() {
        assert_eq!(
            "WWW.Baidu.com".parse::<Canary>(),
            Ok(Canary {
                host: "www.baidu.com".into(),
                port: 443
            })
        );
        assert_eq!("a.cn:80".parse::<Canary>().map(|c| c.port), Ok(80));
        assert!("a.cn:0".parse::<Canary>().is_err());
        assert!("a.cn:x".parse::<Canary>().is_err());
        assert!("".parse::<Canary>().is_err());
    }

    /// Most sites failing the same way is the audit's network; a few, a mix, or honest
    /// NXDOMAINs are not.
    #[test]
    fn the_shape_of_the_failures() {
        let t = Instant::now();
        let shape = Shape::default();
        for _ in 0..3 {
            assert_eq!(shape.record(None, t), None);
        }
        // Ten DNS failures among 13 sites: 77 %, short of the share.
        for _ in 0..10 {
            assert_eq!(shape.record(Some(ErrorClass::DnsTimeout), t), None);
        }
        // Two more: 12 of 15, 80 %.
        assert_eq!(shape.record(Some(ErrorClass::DnsServfail), t), None);
        assert_eq!(
            shape.record(Some(ErrorClass::DnsTimeout), t).as_deref(),
            Some("12 of the 15 sites begun within 30 s of it failed by a DNS failure")
        );
        // A site that failed another way is not explained by it; one that was reached is not
        // lost at all.
        assert_eq!(shape.record(Some(ErrorClass::ConnectRefused), t), None);
        assert_eq!(shape.record(Some(ErrorClass::TlsHandshake), t), None);

        let lapsed = Shape::default();
        for _ in 0..40 {
            assert_eq!(lapsed.record(Some(ErrorClass::DnsNxdomain), t), None);
        }
        // The window holds the 40 sites begun nearest: 40 connection failures begun later
        // than 100 sites that were reached fill it.
        let cut = Shape::default();
        for _ in 0..100 {
            cut.record(None, t);
        }
        let later = t + Duration::from_secs(20);
        let last = (0..40)
            .map(|_| cut.record(Some(ErrorClass::ConnectRefused), later))
            .last()
            .flatten();
        assert_eq!(
            last.as_deref(),
            Some("40 of the 40 sites begun within 30 s of it failed by a connection failure")
        );
    }

    /// The end of a large run: the last to finish are the slow failures, begun long before
    /// among sites that were reached. They do not make a shape.
    #[test]
    fn slow_failures_finishing_last_are_not_the_audit_s_network() {
        let t = Instant::now();
        let shape = Shape::default();
        // 400 sites begun over 40 s, one in ten a silent name; the others finish first.
        let began = |i: u64| t + Duration::from_millis(i * 100);
        for i in (0..400).filter(|i| i % 10 != 0) {
            assert_eq!(shape.record(None, began(i)), None);
        }
        for i in (0..400).filter(|i| i % 10 == 0) {
            assert_eq!(
                shape.record(Some(ErrorClass::DnsTimeout), began(i)),
                None,
                "{i}"
            );
        }
        // The same failures begun together, with nothing else begun then: the shape holds.
        let outage = t + Duration::from_secs(600);
        let said = (0..12)
            .map(|_| shape.record(Some(ErrorClass::DnsTimeout), outage))
            .last()
            .flatten();
        assert_eq!(
            said.as_deref(),
            Some("12 of the 12 sites begun within 30 s of it failed by a DNS failure")
        );
    }

    #[test]
    fn a_site_lost_to_the_audit_s_network_is_not_verified() {
        let mut site = SiteRow::input_error(
            3,
            "a.cn".into(),
            ErrorClass::DnsTimeout,
            "www.a.cn: no answer".into(),
            0,
        );
        site.status = SiteStatus::Unreachable;
        site.failing_rules = vec!["SITE-PARITY".into(), "SITE-REACH".into()];
        let finding = |rule_id: &'static str, verdict| FindingRow {
            input_line: 3,
            domain: "a.cn".into(),
            finding: Finding {
                rule_id,
                verdict,
                host: None,
                url: None,
                evidence: "a.cn unreachable: dns_timeout".into(),
                evidence_zh: "a.cn 无法访问：dns_timeout".into(),
                number: None,
                link_host: None,
                fix: None,
            },
            waiver: None,
        };
        let mut report = SiteReport {
            site,
            fetches: Vec::new(),
            findings: vec![
                finding("SITE-REACH", Verdict::Fail),
                finding("SITE-PARITY", Verdict::Fail),
                finding("SITE-TLS", Verdict::NotApplicable),
            ],
            browser: beian_types::BrowserWork::default(),
            evidence: Vec::new(),
        };
        network_failed(&mut report, "canary www.baidu.com:443: dns_timeout");
        assert_eq!(report.site.status, SiteStatus::Unverified);
        assert_eq!(report.site.error_class, Some(ErrorClass::AuditNetwork));
        assert_eq!(
            report.site.error_message.as_deref(),
            Some(
                "the audit's own network failed (canary www.baidu.com:443: dns_timeout); the site: www.a.cn: no answer"
            )
        );
        assert!(report.site.failing_rules.is_empty());
        assert_eq!(report.site.warning_rules, ["SITE-PARITY", "SITE-REACH"]);
        assert!(
            report.findings[0]
                .finding
                .evidence
                .starts_with("not verified: the audit's own network failed")
        );
        assert!(could_be_ours(ErrorClass::DnsTimeout) && !could_be_ours(ErrorClass::NoPage));
    }
}
