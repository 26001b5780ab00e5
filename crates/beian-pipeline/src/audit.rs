//! One site's audit: both hosts resolved and probed over https and http, each landing page
//! extracted, the site judged, and its rows assembled (one `sites` row, its `fetches` and
//! `findings`). [`Auditor`] is the real [`AuditSite`]; the scheduler takes any.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use beian_fetch::{FetchConfig, FetchError, FetchOutcome, Fetcher, OnWait, Visits};
use beian_input::Target;
use beian_render::Renderer;
use beian_resolve::{Resolver, ResolverBuilder};
use beian_rules::{HostObservation, Placement, Render, RuleConfig, SiteContext, judge_site};
use beian_types::{
    Capture, Classified, ErrorClass, EvidenceMode, Exchange, FetchRow, FindingRow, FooterFacts,
    HostRole, PageClass, Scheme, SiteReport, SiteRow, said,
};
use rustls_pki_types::CertificateDer;

use crate::assemble::{PageFacts, Probes, assemble, micros};
use crate::canary::{Canaries, Canary, Shape, network_failed, touched};
use crate::upstream::{AuditUpstream, DnsForRedirects};
use crate::{AuditSite, now_us};

/// Which pages are rendered (`--render`; docs/rulebook.md §6.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenderMode {
    /// Pages without an in-scope number that show a script signal, and pages whose number
    /// only a script writes.
    Auto,
    /// Every page.
    Always,
}

impl RenderMode {
    /// The `--render` value.
    pub fn as_str(self) -> &'static str {
        match self {
            RenderMode::Auto => "auto",
            RenderMode::Always => "always",
        }
    }
}

/// Rendering, when a browser is there.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Which pages.
    pub mode: RenderMode,
    /// The browser and the bounds of a render.
    pub config: beian_render::RenderConfig,
    /// Where a PNG of the bottom of each failing page goes (`--screenshots`):
    /// `DIR/<domain>/<host>.png`.
    pub screenshots: Option<std::path::PathBuf>,
}

/// Everything a site audit needs.
pub struct Auditor {
    resolver: Resolver,
    fetcher: Arc<Fetcher<DnsForRedirects>>,
    judging: Judging,
    render: Option<Rendering>,
    canaries: Option<Canaries>,
    shape: Shape,
    evidence: EvidenceMode,
}

/// The browser at work: which pages, the renderer, where screenshots go.
struct Rendering {
    mode: RenderMode,
    renderer: Renderer,
    screenshots: Option<std::path::PathBuf>,
}

/// One host probed: what the rules see, its `fetches` rows, and its page (kept for a
/// screenshot only).
struct Probed {
    host: HostObservation,
    rows: Vec<FetchRow>,
    page: Option<beian_render::Page>,
    /// The most memory its render's browser held, bytes (0: not rendered).
    peak_memory: u64,
    /// Each row's exchanges, when they are kept for the evidence.
    exchanges: Vec<Vec<Arc<Exchange>>>,
}

/// A screenshot written (`--screenshots`): of which host's page, where, its SHA-256.
struct Shot {
    host: String,
    url: String,
    path: String,
    sha256: String,
}

/// Why a page was not rendered, for ICP-PLACEMENT's evidence.
const NOT_RENDERED_OFF: (&str, &str) = (
    "not rendered: rendering is off (--render never, or no browser)",
    "未渲染：渲染已关闭（--render never，或没有浏览器）",
);
const NOT_RENDERED_AUTO: (&str, &str) = (
    "not rendered: --render auto found the HTML conclusive (--render always measures every page)",
    "未渲染：--render auto 认为 HTML 已足以判断（--render always 会测量每个页面）",
);
const NOT_RENDERED_OTHER: (&str, &str) = (
    "not rendered: another page of this host is judged",
    "未渲染：该主机判定的是另一个页面",
);

/// How sites are judged: the audit date and the rules file's settings.
#[derive(Debug, Clone)]
pub struct Judging {
    /// The audit date (`--as-of`): PSB deadlines are judged against it.
    pub as_of: time::Date,
    /// The rules file's settings (`--rules`).
    pub config: RuleConfig,
    /// The access provider's networks (`--access-nets`, `--access-net`), for SITE-ACCESS; a
    /// manifest row's `access_nets` replace them for that site.
    pub access_nets: Vec<ipnet::IpNet>,
    /// The exceptions (`--waivers`).
    pub waivers: beian_rules::Waivers,
}

/// Where DNS queries go and how probes are made.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// Recursive DNS servers, asked in order (empty: the system's).
    pub resolvers: Vec<SocketAddr>,
    /// DNS query timeout per attempt.
    pub dns_timeout: Duration,
    /// The fetcher's limits.
    pub fetch: FetchConfig,
    /// Root certificates trusted besides the webpki roots.
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Rendering pages in a headless browser (`None`: never).
    pub render: Option<RenderOptions>,
    /// What the audit's own network must reach (none: no check).
    pub canaries: Vec<Canary>,
    /// Which probes' exchanges the run keeps as evidence (`--evidence`).
    pub evidence: EvidenceMode,
}

/// Building an [`Auditor`] failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The resolver could not be set up.
    #[error(transparent)]
    Resolver(beian_resolve::BuildError),
    /// The TLS client could not be set up.
    #[error(transparent)]
    Fetcher(beian_fetch::BuildError),
    /// The renderer could not be set up.
    #[error(transparent)]
    Render(beian_render::SetupError),
}

impl Auditor {
    /// An auditor with its own resolver, fetcher and renderer.
    pub fn build(net: &NetConfig, judging: Judging) -> Result<Self, BuildError> {
        let resolver = ResolverBuilder::default()
            .nameservers(net.resolvers.clone())
            .timeout(net.dns_timeout)
            .build()
            .map_err(BuildError::Resolver)?;
        let fetch = FetchConfig {
            capture: net.evidence != EvidenceMode::None,
            ..net.fetch.clone()
        };
        let fetcher = Fetcher::new(fetch, &net.extra_roots, DnsForRedirects(resolver.clone()))
            .map_err(BuildError::Fetcher)?;
        let fetcher = Arc::new(fetcher);
        let render = match &net.render {
            Some(o) => {
                let upstream = AuditUpstream {
                    resolver: resolver.clone(),
                    fetcher: fetcher.clone(),
                };
                let renderer = Renderer::new(o.config.clone(), Arc::new(upstream))
                    .map_err(BuildError::Render)?;
                Some(Rendering {
                    mode: o.mode,
                    renderer,
                    screenshots: o.screenshots.clone(),
                })
            }
            None => None,
        };
        Ok(Auditor {
            resolver,
            fetcher,
            judging,
            render,
            canaries: Canaries::new(net.canaries.clone(), net.fetch.connect_timeout),
            shape: Shape::default(),
            evidence: net.evidence,
        })
    }

    /// The page's facts: the static ones, or those of the page rendered in the browser when
    /// `--render` asks for it (docs/rulebook.md §6.12).
    async fn page_facts(
        &self,
        out: &FetchOutcome,
        url: &str,
        facts: FooterFacts,
        on_wait: &OnWait<'_>,
    ) -> PageFacts {
        let Some(Rendering { mode, renderer, .. }) = &self.render else {
            return PageFacts::from_html(facts, NOT_RENDERED_OFF);
        };
        let Ok(page_url) = url::Url::parse(url) else {
            return PageFacts::from_html(facts, NOT_RENDERED_OFF);
        };
        let body = out.body.clone().unwrap_or_default();
        let wanted = match mode {
            RenderMode::Always => true,
            RenderMode::Auto => match &facts.primary {
                // A number only a script writes: see it written.
                Some(c) if c.in_footer => c.source == beian_types::CandidateSource::Script,
                // No in-scope number: render when the page shows a script signal.
                _ => {
                    let charset = out
                        .content_type
                        .as_deref()
                        .and_then(beian_footer::charset_from_content_type);
                    !beian_footer::render_signals(&body, charset).is_empty()
                }
            },
        };
        if !wanted {
            return PageFacts::from_html(facts, NOT_RENDERED_AUTO);
        }
        let page = beian_render::Page {
            url: page_url,
            content_type: out.content_type.clone(),
            body,
        };
        match renderer.render(page, on_wait).await {
            Ok(r) => rendered_facts(r, Some(facts.encoding), None),
            Err(f) => PageFacts {
                facts,
                render: Render::Failed(f.to_string()),
                render_ms: Some(micros(f.elapsed) / 1000),
                placement: Placement::NotMeasured(said!(
                    "the render failed ({})",
                    "渲染失败（{}）",
                    f.reason
                )),
                peak_memory: f.peak_memory,
            },
        }
    }

    /// With `--render`, the gate `gate` that answered `out` (a challenge a browser passes)
    /// passed in the browser: the facts of the page it let through, or `None` when the
    /// browser did not get past it (the render failed, or ended on a gate still) — the host
    /// then stays behind its gate, not verified.
    async fn pass_gate(
        &self,
        out: &FetchOutcome,
        url: &str,
        gate: Classified,
        on_wait: &OnWait<'_>,
    ) -> Option<PageFacts> {
        let Rendering { renderer, .. } = self.render.as_ref()?;
        let page = beian_render::Page {
            url: url::Url::parse(url).ok()?,
            content_type: out.content_type.clone(),
            body: out.body.clone().unwrap_or_default(),
        };
        let set_cookie = out
            .headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .map(|(_, v)| v.clone())
            .collect();
        let r = renderer
            .render_past_gate(page, set_cookie, on_wait)
            .await
            .ok()?;
        // The page the browser ended on, read as a page is: a gate still is not one.
        let ended = beian_classify::Response {
            status: 200,
            headers: &[],
            body: r.html.as_bytes(),
            truncated: false,
            final_url: url,
            hops: &[],
        };
        if beian_classify::classify(&ended).class != PageClass::Page {
            return None;
        }
        // The site's page came from the server as the browser's, in an encoding the audit
        // never saw: the DOM's stands.
        Some(rendered_facts(r, None, Some(gate.said())))
    }
    /// Audits one target: both hosts, https and http each. `on_wait` is called whenever a
    /// probe is about to wait for a busy server address.
    pub async fn audit_target(
        &self,
        line: u64,
        raw: String,
        target: Target,
        on_wait: &OnWait<'_>,
    ) -> SiteReport {
        // One site, one set of visits: a URL two probes reach is requested once.
        let visits = Visits::default();
        let nets = beian_rules::networks_for(&target.manifest, &self.judging.access_nets);
        let probes = target.hosts.iter().map(|(role, host)| {
            self.probe_host(line, &target.domain, (*role, host), nets, on_wait, &visits)
        });
        let probed: Vec<Probed> = futures_util::future::join_all(probes).await;
        let mut hosts = Vec::with_capacity(probed.len());
        let mut rows = Vec::with_capacity(probed.len());
        let mut pages = Vec::with_capacity(probed.len());
        let mut exchanges = Vec::with_capacity(probed.len() * 2);
        let mut browser = beian_types::BrowserWork::default();
        for p in probed {
            hosts.push(p.host);
            rows.push(p.rows);
            pages.push(p.page);
            exchanges.extend(p.exchanges);
            browser.peak_memory = browser.peak_memory.max(p.peak_memory);
        }
        let j = judge_site(
            &target.domain,
            &hosts,
            &SiteContext {
                manifest: &target.manifest,
                as_of: self.judging.as_of,
                config: &self.judging.config,
                access_nets: &self.judging.access_nets,
                waivers: &self.judging.waivers,
            },
        );
        let shots = self
            .screenshots(
                &target.domain,
                (&hosts, &pages),
                &j.findings,
                &mut browser,
                on_wait,
            )
            .await;
        let (error_class, error_message) = match j.unreachable {
            Some(u) => (Some(u.class), u.message),
            None => (None, None),
        };
        let province = target
            .manifest
            .province
            .or_else(|| j.shown_icp.as_ref().and_then(|n| n.province))
            // A wrong alias (川ICP备…) still names its province (蜀: Sichuan).
            .map(|c| beian_numbers::provinces::wrong_icp_alias(c).unwrap_or(c))
            .and_then(beian_numbers::provinces::by_icp_prefix)
            .map(|p| p.name.to_string());
        let site = SiteRow {
            input_line: line,
            input: raw,
            domain: Some(target.domain.clone()),
            domain_unicode: Some(target.domain_unicode.clone()),
            status: j.status,
            failing_rules: j.failing,
            warning_rules: j.warning,
            waived_rules: j.waived_rules,
            error_class,
            error_message,
            icp_kind: j.shown_icp.as_ref().map(|n| n.kind.as_str().to_string()),
            icp_number: j.shown_icp.map(|n| n.canonical),
            psb_number: j.shown_psb.map(|n| n.canonical),
            audited_at_us: now_us(),
            owner: target.manifest.owner.clone(),
            province,
            psb_due: j.psb_due,
            front: j.front,
            edge_provider: hosts.iter().find_map(|h| {
                h.dns
                    .as_ref()
                    .and_then(|d| d.edge.as_ref())
                    .map(|(v, _)| *v)
            }),
        };
        let mut fetches: Vec<FetchRow> = rows.into_iter().flatten().collect();
        // Each screenshot belongs to the rows whose page it shows.
        for shot in shots {
            for row in fetches.iter_mut().filter(|r| {
                r.host == shot.host && r.final_url.as_deref() == Some(shot.url.as_str())
            }) {
                row.screenshot = Some(shot.path.clone());
                row.screenshot_sha256 = Some(shot.sha256.clone());
            }
        }
        let evidence = crate::evidence::captured(self.evidence, &fetches, &j.findings)
            .filter_map(|i| {
                let exchanges = exchanges.get_mut(i).map(std::mem::take)?;
                (!exchanges.is_empty()).then_some(Capture {
                    fetch: i,
                    exchanges,
                })
            })
            .collect();
        let findings = j
            .findings
            .into_iter()
            .zip(j.waived)
            .map(|(finding, waiver)| FindingRow {
                input_line: line,
                domain: target.domain.clone(),
                finding,
                waiver,
            })
            .collect();
        SiteReport {
            site,
            fetches,
            findings,
            browser,
            evidence,
        }
    }

    /// `--screenshots`: a PNG of the bottom of each page with a failing page rule; each
    /// written or failed one counted in `work`, a failure with its reason. Returns those
    /// written, with their SHA-256.
    async fn screenshots(
        &self,
        domain: &str,
        (hosts, pages): (&[HostObservation], &[Option<beian_render::Page>]),
        findings: &[beian_types::Finding],
        work: &mut beian_types::BrowserWork,
        on_wait: &OnWait<'_>,
    ) -> Vec<Shot> {
        let mut shots = Vec::new();
        let Some(Rendering {
            renderer,
            screenshots: Some(dir),
            ..
        }) = &self.render
        else {
            return shots;
        };
        for (h, page) in hosts.iter().zip(pages) {
            let Some(page) = page else { continue };
            let fails = findings.iter().any(|f| {
                f.verdict == beian_types::Verdict::Fail && f.host.as_deref() == Some(&h.host)
            });
            if !fails {
                continue;
            }
            let site_dir = dir.join(domain);
            if let Err(e) = std::fs::create_dir_all(&site_dir) {
                work.screenshot_failures
                    .push(("directory", format!("{}: {e}", site_dir.display())));
                continue;
            }
            // Evidence at best: a page the browser cannot show is judged all the same.
            let path = site_dir.join(format!("{}.png", h.host));
            let digits = h
                .page
                .as_ref()
                .and_then(|p| p.facts.primary.as_ref())
                .map(|c| c.number.digits.as_str());
            match renderer
                .screenshot(page.clone(), &path, digits, on_wait)
                .await
            {
                Ok(r) => {
                    work.screenshots += 1;
                    work.peak_memory = work.peak_memory.max(r.peak_memory);
                    // The file as written, fingerprinted for the evidence.
                    match std::fs::read(&path) {
                        Ok(png) => shots.push(Shot {
                            host: h.host.clone(),
                            url: page.url.to_string(),
                            path: path.display().to_string(),
                            sha256: beian_run::sha256_hex(&png),
                        }),
                        Err(e) => work
                            .screenshot_failures
                            .push(("no_output", format!("{}: {e}", path.display()))),
                    }
                }
                Err(e) => {
                    std::fs::remove_file(&path).ok();
                    // An empty directory would say a screenshot is there.
                    std::fs::remove_dir(&site_dir).ok();
                    work.peak_memory = work.peak_memory.max(e.peak_memory);
                    work.screenshot_failures
                        .push((e.reason.class(), format!("{}: {e}", h.host)));
                }
            }
        }
        shots
    }

    async fn probe_host(
        &self,
        line: u64,
        domain: &str,
        (role, host): (HostRole, &str),
        nets: &[ipnet::IpNet],
        on_wait: &OnWait<'_>,
        visits: &Visits,
    ) -> Probed {
        let started_at_us = now_us();
        let res = match self.resolver.resolve(host).await {
            Ok(r) => r,
            Err(e) => {
                let (host, rows) = assemble(&Probes {
                    line,
                    domain,
                    role,
                    host,
                    started_at_us,
                    dns: Err(&e),
                    fetched: &[],
                    classes: &[],
                    pages: &HashMap::new(),
                    judged: None,
                    address_nets: None,
                });
                return Probed {
                    exchanges: vec![Vec::new(); rows.len()],
                    host,
                    rows,
                    page: None,
                    peak_memory: 0,
                };
            }
        };
        let fetch = |scheme: Scheme| {
            let addrs = res.addrs.clone();
            async move {
                match url::Url::parse(&format!("{}://{host}/", scheme.as_str())) {
                    Ok(u) => self.fetcher.fetch_for_site(u, addrs, on_wait, visits).await,
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
        let fetched = [(Scheme::Https, https), (Scheme::Http, http)];
        // Each response classified first (docs/rulebook.md §6.14): only the site's own page
        // is read as a page. Each page read once; only the page the host is judged by (the
        // first read) is rendered, the other probe's page, when it ended elsewhere, keeps its
        // static facts.
        let mut pages: HashMap<String, PageFacts> = HashMap::new();
        let mut classes: [Option<Classified>; 2] = [None, None];
        let mut judged: Option<String> = None;
        for (i, (_, out)) in fetched.iter().enumerate() {
            let final_url = out.final_url.clone().unwrap_or_default();
            if pages.contains_key(&final_url) {
                classes[i] = Some(Classified::PAGE);
                continue;
            }
            let Some(resp) = response_of(out) else {
                continue;
            };
            let class = match beian_classify::by_headers(&resp) {
                Some(c) => Some(c),
                None if !out.is_html_page() => Some(beian_classify::classify(&resp)),
                None => None,
            };
            let (class, facts) = match class {
                Some(c) => (c, None),
                None => {
                    let Some(facts) = extract_facts(out).await else {
                        continue;
                    };
                    // A page that shows no number is checked by every marker: a challenge or
                    // a block page must not read as a site without its number.
                    let class = if facts.primary.is_none() && facts.psb.is_none() {
                        beian_classify::classify(&resp)
                    } else {
                        Classified::PAGE
                    };
                    (class, Some(facts))
                }
            };
            classes[i] = Some(class);
            if class.class != PageClass::Page {
                // With `--render`, a challenge a browser passes is passed there, and the
                // host is judged by the page behind it (docs/rulebook.md §6.14).
                if beian_classify::passable(&class) && judged.is_none() {
                    if let Some(read) = self.pass_gate(out, &final_url, class, on_wait).await {
                        judged = Some(final_url.clone());
                        pages.insert(final_url, read);
                    }
                }
                continue;
            }
            let Some(facts) = facts else { continue };
            let read = if judged.is_none() {
                judged = Some(final_url.clone());
                self.page_facts(out, &final_url, facts, on_wait).await
            } else {
                PageFacts::from_html(facts, NOT_RENDERED_OTHER)
            };
            pages.insert(final_url, read);
        }
        // Which access network each address lies in (SITE-ACCESS judges the same), once for
        // the host's two rows.
        let address_nets = (!nets.is_empty()).then(|| {
            res.addrs
                .iter()
                .map(|ip| beian_rules::network_of(*ip, nets).map(|n| n.to_string()))
                .collect()
        });
        let (observed, rows) = assemble(&Probes {
            line,
            domain,
            role,
            host,
            started_at_us,
            dns: Ok(&res),
            fetched: &fetched,
            classes: &classes,
            pages: &pages,
            judged: judged.as_deref(),
            address_nets,
        });
        // The judged page, kept for a screenshot.
        let wants_shot = self
            .render
            .as_ref()
            .is_some_and(|r| r.screenshots.is_some());
        let shown = judged.as_deref().filter(|_| wants_shot).and_then(|url| {
            let (_, out) = fetched
                .iter()
                .find(|(_, o)| o.final_url.as_deref() == Some(url))?;
            Some(beian_render::Page {
                url: url::Url::parse(url).ok()?,
                content_type: out.content_type.clone(),
                body: out.body.clone().unwrap_or_default(),
            })
        });
        // Each row's exchanges, by its scheme (moved: the outcomes are done with).
        let exchanges = rows
            .iter()
            .map(|r| {
                fetched
                    .iter()
                    .find(|(s, _)| Some(*s) == r.scheme)
                    .map(|(_, o)| o.exchanges.clone())
                    .unwrap_or_default()
            })
            .collect();
        Probed {
            host: observed,
            rows,
            page: shown,
            peak_memory: pages.values().map(|f| f.peak_memory).max().unwrap_or(0),
            exchanges,
        }
    }
}

/// A probe's final response as the classifier reads it (`None`: no response came).
fn response_of(out: &FetchOutcome) -> Option<beian_classify::Response<'_>> {
    if out.status.is_none() && out.hops.is_empty() {
        return None;
    }
    Some(beian_classify::Response {
        status: out.status.unwrap_or(0),
        headers: &out.headers,
        body: out.body.as_deref().unwrap_or_default(),
        truncated: out.body_truncated,
        final_url: out.final_url.as_deref().unwrap_or_default(),
        hops: &out.hops,
    })
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

/// The facts of a rendered page (`passed`: the gate the browser passed to reach it); the
/// page's own `encoding` when the audit read it, not the DOM dump's.
fn rendered_facts(
    r: beian_render::Rendered,
    encoding: Option<&'static str>,
    passed: Option<beian_types::Said>,
) -> PageFacts {
    let mut facts = beian_footer::extract(r.html.as_bytes(), Some("utf-8"));
    if let Some(e) = encoding {
        facts.encoding = e;
    }
    // The guard's own message says how to allow an address; the evidence only says what was
    // refused.
    let blocked = r
        .blocked()
        .map(|e| format!("{} (private or reserved address)", e.url))
        .collect();
    let placement = match r.layout {
        Some(desktop) => Placement::Measured {
            desktop,
            mobile: r.mobile_layout,
        },
        None => Placement::NotMeasured(said!(
            "the rendered page was not measured (its scripts stopped the measuring script)",
            "渲染后的页面未能测量（页面脚本中止了测量脚本）"
        )),
    };
    PageFacts {
        facts,
        render: Render::Rendered { blocked, passed },
        render_ms: Some(micros(r.elapsed) / 1000),
        placement,
        peak_memory: r.peak_memory,
    }
}

impl AuditSite for Auditor {
    async fn audit<'a>(
        &'a self,
        line: u64,
        raw: String,
        target: Target,
        on_wait: &'a OnWait<'a>,
    ) -> SiteReport {
        let began = tokio::time::Instant::now();
        let mut report = self.audit_target(line, raw, target, on_wait).await;
        // A site judged on a failure the audit's own network could cause (it reached no host,
        // or one of its hosts): is it the site, or the audit?
        let lost = touched(&report);
        let shape = self.shape.record(lost, began);
        if lost.is_none() {
            return report;
        }
        let canaries = match &self.canaries {
            Some(c) => c.failure(&self.resolver).await,
            None => None,
        };
        if let Some(why) = canaries.or(shape) {
            network_failed(&mut report, &why);
        }
        report
    }
}
