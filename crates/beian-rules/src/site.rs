//! Site rules (SITE-REACH, SITE-PARITY, SITE-REDIRECT, SITE-TLS; SITE-ACCESS in `access`)
//! over both hosts of a domain, the judging of a whole site (page rules per host, ICP-PLACEMENT
//! on rendered pages), the rules file's settings, and the overall status.

use beian_types::{
    CandidateSource, ErrorClass, Finding, HostRole, Hosting, IcpNumber, Manifest, PageClass,
    PsbDue, PsbNumber, Said, SiteStatus, Verdict, said,
};
use time::Date;

use crate::config::RuleConfig;
use crate::observation::{HostObservation, PageObservation, ProbeObservation, Render};
use crate::page::{PageInput, page_rules, psb_deadline};
use crate::{catalogue, ids};

/// Most redirects a host may take and still count as reaching its page (SITE-REACH).
const REACH_MAX_HOPS: usize = 5;

/// Why a site reached no page on any host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable {
    /// The class of the first failed probe (apex before www, https before http); `no_page`
    /// when every probe answered, but none with a 2xx HTML page.
    pub class: ErrorClass,
    /// The first host's failure, as [`HostObservation::failure`] says it.
    pub message: Option<String>,
}

/// The judgement of a whole site.
#[derive(Debug, Clone)]
pub struct SiteJudgement {
    /// Page findings per host followed by the site findings.
    pub findings: Vec<Finding>,
    /// Overall status.
    pub status: SiteStatus,
    /// Rule ids that failed, sorted, unique.
    pub failing: Vec<String>,
    /// Rule ids that warned, sorted, unique.
    pub warning: Vec<String>,
    /// The ICP number the site shows: the apex page's in-footer primary number, else the www
    /// page's (a number found only in body text is not shown in the footer).
    pub shown_icp: Option<IcpNumber>,
    /// The PSB number the site shows: the apex page's, else the www page's.
    pub shown_psb: Option<PsbNumber>,
    /// Set when no host reached a page (status `unreachable`).
    pub unreachable: Option<Unreachable>,
    /// The public-security deadline, when the site was reached, shows no PSB number and the
    /// manifest dates it.
    pub psb_due: Option<PsbDue>,
    /// What stood in front of a host that showed no page of its own (a challenge, a block, a
    /// parked page, the provider's interception page, an origin error), apex first.
    pub front: Option<beian_types::Classified>,
    /// For each of `findings`, the id of the exception that waives it (`--waivers`).
    pub waived: Vec<Option<String>>,
    /// Rule ids with a waived failing or warning finding, sorted, unique.
    pub waived_rules: Vec<String>,
}

fn registrable(host: &str) -> &str {
    psl::domain_str(host).unwrap_or(host)
}

/// Whether `url` lies outside the registrable domain of `domain`.
fn leaves_domain(url: &str, domain: &str) -> bool {
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string));
    host.as_deref().map(registrable) != Some(registrable(domain))
}

pub(crate) fn site_finding(rule_id: &'static str, verdict: Verdict, evidence: Said) -> Finding {
    Finding {
        rule_id,
        verdict,
        host: None,
        url: None,
        evidence: evidence.en,
        evidence_zh: evidence.zh,
        number: None,
        link_host: None,
        fix: catalogue::fix_for(rule_id, verdict),
    }
}

/// The site's own hosts (apex and www) and its other domains' (从域名), which come after them
/// (as `beian_input::Target::hosts` lists them).
fn own_and_other(hosts: &[HostObservation]) -> (&[HostObservation], &[HostObservation]) {
    let split = hosts
        .iter()
        .position(|h| h.role == HostRole::Other)
        .unwrap_or(hosts.len());
    let (own, other) = hosts.split_at(split);
    debug_assert!(
        other.iter().all(|h| h.role == HostRole::Other),
        "the other domains' hosts come after the site's own"
    );
    (own, other)
}

/// The site rules for one domain, in catalogue order; `access_nets` are the audit's access
/// networks (a manifest row's `access_nets` replace them).
pub fn site_rules(
    domain: &str,
    hosts: &[HostObservation],
    manifest: &Manifest,
    access_nets: &[ipnet::IpNet],
) -> Vec<Finding> {
    // The filing's other domains are judged by SITE-OTHER-DOMAINS alone.
    let (hosts, others) = own_and_other(hosts);
    let parity = if manifest.hosting == Some(Hosting::Overseas) {
        site_finding(
            ids::SITE_PARITY,
            Verdict::NotApplicable,
            said!(
                "manifest: hosting=overseas",
                "清单：hosting=overseas（境外托管）"
            ),
        )
    } else {
        site_parity(hosts)
    };
    let mut findings = vec![
        site_reach(domain, hosts),
        parity,
        site_redirect(domain, hosts),
        site_tls(hosts),
        crate::access::site_access(domain, hosts, manifest, access_nets),
        crate::front::icp_provider(hosts),
        crate::front::site_shell(hosts),
    ];
    findings.extend(crate::filing::filing_rules(hosts, manifest));
    findings.push(crate::filing::site_other_domains(hosts, others, manifest));
    findings
}

/// The URLs a probe requested, in order: every hop, then the final URL.
fn requested(p: &ProbeObservation) -> impl Iterator<Item = &str> {
    p.hops
        .iter()
        .map(String::as_str)
        .chain(p.final_url.as_deref())
}

fn site_redirect(domain: &str, hosts: &[HostObservation]) -> Finding {
    let mut fails = Vec::new();
    let mut warns = Vec::new();
    let mut redirected = 0;
    for p in hosts.iter().flat_map(|h| &h.probes) {
        let scheme = p.scheme.as_str();
        match p.error_class {
            Some(ErrorClass::RedirectLoop) => {
                fails.push(said!(
                    "{scheme}://{}: redirect loop",
                    "{scheme}://{}：重定向循环",
                    p.host
                ));
            }
            Some(ErrorClass::RedirectLimit) => fails.push(said!(
                "{scheme}://{}: more redirects than the limit ({} hops)",
                "{scheme}://{}：重定向次数超过上限（{} 跳）",
                p.host,
                p.hops.len()
            )),
            Some(ErrorClass::RedirectInvalid) => fails.push(said!(
                "{scheme}://{}: redirect to an invalid or non-web target",
                "{scheme}://{}：重定向到无效或非网页的目标",
                p.host
            )),
            _ => {}
        }
        if !p.hops.is_empty() {
            redirected += 1;
        }
        let urls: Vec<&str> = requested(p).collect();
        if let Some(w) = urls
            .windows(2)
            .find(|w| w[0].starts_with("https://") && w[1].starts_with("http://"))
        {
            fails.push(said!(
                "HTTPS downgraded to HTTP: {} → {}",
                "HTTPS 降级为 HTTP：{} → {}",
                w[0],
                w[1]
            ));
        }
        if let Some(end) = p.final_url.as_deref().filter(|_| !p.hops.is_empty()) {
            if leaves_domain(end, domain) {
                warns.push(said!(
                    "{} redirects to another domain: {end}",
                    "{} 重定向到另一个域名：{end}",
                    p.url
                ));
            }
        }
    }
    fails.dedup();
    warns.dedup();
    if !fails.is_empty() {
        site_finding(ids::SITE_REDIRECT, Verdict::Fail, Said::join(&fails))
    } else if !warns.is_empty() {
        site_finding(ids::SITE_REDIRECT, Verdict::Warn, Said::join(&warns))
    } else {
        site_finding(
            ids::SITE_REDIRECT,
            Verdict::Pass,
            said!(
                "{redirected} probe(s) redirected, all within {domain}, none to HTTP",
                "{redirected} 次探测发生重定向，均在 {domain} 内，无一降级到 HTTP"
            ),
        )
    }
}

fn site_tls(hosts: &[HostObservation]) -> Finding {
    let https: Vec<&ProbeObservation> = hosts
        .iter()
        .flat_map(|h| &h.probes)
        .filter(|p| p.cert_valid.is_some())
        .collect();
    if https.is_empty() {
        return site_finding(
            ids::SITE_TLS,
            Verdict::NotApplicable,
            said!(
                "no host completed an HTTPS handshake",
                "没有主机完成 HTTPS 握手"
            ),
        );
    }
    let bad: Vec<Said> = https
        .iter()
        .filter(|p| p.cert_valid == Some(false))
        .map(|p| {
            let url = p.final_url.as_deref().unwrap_or(&p.url);
            match p.cert_error.as_deref() {
                Some(e) => said!("{url}: {e}", "{url}：{e}"),
                None => said!("{url}: certificate not valid", "{url}：证书无效"),
            }
        })
        .collect();
    if bad.is_empty() {
        let mut names: Vec<&str> = https.iter().map(|p| p.host.as_str()).collect();
        names.dedup();
        site_finding(
            ids::SITE_TLS,
            Verdict::Pass,
            said!(
                "valid certificate on {}",
                "{} 的证书有效",
                names.join(" and ")
            ),
        )
    } else {
        let bad = Said::join(&bad).map(|w| w, |w| format!("证书无效：{w}"));
        site_finding(ids::SITE_TLS, Verdict::Fail, bad)
    }
}

fn site_reach(domain: &str, hosts: &[HostObservation]) -> Finding {
    let mut fails = Vec::new();
    let mut warns = Vec::new();
    for h in hosts {
        let front = h.front.filter(|c| c.class != PageClass::Page);
        match (&h.page, front) {
            // The host answered; what stood in front is judged by its own rule.
            (None, Some(c)) if c.class != PageClass::OriginError => {
                let host = &h.host;
                warns.push(if c.class.is_gate() {
                    c.said().map(
                        |w| format!("{host} answered {w}: not verified"),
                        |w| format!("{host} 返回了{w}：未核实"),
                    )
                } else {
                    c.said().map(
                        |w| format!("{host} answered {w}"),
                        |w| format!("{host} 返回了{w}"),
                    )
                })
            }
            (None, _) => fails.push(match h.failure.as_deref() {
                Some(why) => said!("{} unreachable: {why}", "{} 无法访问：{why}", h.host),
                None => said!(
                    "{} unreachable: no 2xx HTML page",
                    "{} 无法访问：没有 2xx 的 HTML 页面",
                    h.host
                ),
            }),
            (Some(p), _) if p.hops > REACH_MAX_HOPS => fails.push(said!(
                "{} needs {} redirects (max {REACH_MAX_HOPS})",
                "{} 需要 {} 次重定向（上限 {REACH_MAX_HOPS}）",
                h.host,
                p.hops
            )),
            (Some(p), _) if leaves_domain(&p.final_url, domain) => warns.push(said!(
                "{} only redirects to another domain's page {}",
                "{} 只重定向到另一个域名的页面 {}",
                h.host,
                p.final_url
            )),
            (Some(_), _) => {}
        }
    }
    if !fails.is_empty() {
        site_finding(ids::SITE_REACH, Verdict::Fail, Said::join(&fails))
    } else if !warns.is_empty() {
        site_finding(ids::SITE_REACH, Verdict::Warn, Said::join(&warns))
    } else {
        let names: Vec<&str> = hosts.iter().map(|h| h.host.as_str()).collect();
        site_finding(
            ids::SITE_REACH,
            Verdict::Pass,
            said!("{} answer", "{} 均有应答", names.join(" and ")),
        )
    }
}

/// The ICP-PRESENT-level view of one page: its in-footer primary number and whether it is
/// plain visible text.
pub(crate) fn shown_number(p: &PageObservation) -> Option<(&beian_types::IcpCandidate, bool)> {
    p.facts
        .primary
        .as_ref()
        .filter(|c| c.source != CandidateSource::Body)
        .map(|c| (c, c.source == CandidateSource::Text))
}

fn site_parity(hosts: &[HostObservation]) -> Finding {
    let (Some(apex), Some(www)) = (
        hosts.iter().find(|h| h.role == HostRole::Apex),
        hosts.iter().find(|h| h.role == HostRole::Www),
    ) else {
        return site_finding(
            ids::SITE_PARITY,
            Verdict::NotApplicable,
            said!("only one host is audited", "只审计了一个主机"),
        );
    };
    let (pa, pw) = match (&apex.page, &www.page) {
        (Some(pa), Some(pw)) => (pa, pw),
        (None, None) => {
            return site_finding(
                ids::SITE_PARITY,
                Verdict::NotApplicable,
                said!(
                    "neither host has a page (see SITE-REACH)",
                    "两个主机都没有页面（见 SITE-REACH）"
                ),
            );
        }
        // A host without a page shows no number there (rulebook §4.3) — unless its page stood
        // behind a challenge or block: nobody saw it.
        (a, _) => {
            let h = if a.is_none() { apex } else { www };
            if let Some(c) = crate::front::gate(h) {
                return site_finding(
                    ids::SITE_PARITY,
                    Verdict::Warn,
                    c.said().map(
                        |w| format!("not verified: {} answered {w}", h.host),
                        |w| format!("未核实：{} 返回了{w}", h.host),
                    ),
                );
            }
            let host = &h.host;
            return site_finding(
                ids::SITE_PARITY,
                Verdict::Fail,
                said!(
                    "no page on {host}, so no ICP number there (see SITE-REACH)",
                    "{host} 没有页面，因此没有 ICP 编号（见 SITE-REACH）"
                ),
            );
        }
    };
    let same_page = pa.final_url == pw.final_url;
    match (shown_number(pa), shown_number(pw)) {
        (Some((a, ta)), Some((w, tw))) => {
            let (an, wn) = (&a.number, &w.number);
            if an.canonical == wn.canonical {
                let how = if same_page {
                    said!(
                        "both hosts end on the same page",
                        "两个主机最终到达同一页面"
                    )
                } else {
                    said!("same number on both pages", "两个页面的编号相同")
                };
                let v = if ta && tw {
                    Verdict::Pass
                } else {
                    Verdict::Warn
                };
                let n = &an.canonical;
                let f = how.map(|w| format!("{w}: {n}"), |w| format!("{w}：{n}"));
                let mut f = site_finding(ids::SITE_PARITY, v, f);
                f.number = Some(an.canonical.clone());
                f
            } else if an.subject_core().is_some() && an.subject_core() == wn.subject_core() {
                site_finding(
                    ids::SITE_PARITY,
                    Verdict::Warn,
                    said!(
                        "service numbers differ: {} vs {}",
                        "网站备案号不同：{} 与 {}",
                        an.canonical,
                        wn.canonical
                    ),
                )
            } else {
                site_finding(
                    ids::SITE_PARITY,
                    Verdict::Fail,
                    said!(
                        "different numbers: {} on {} vs {} on {}",
                        "编号不同：{1} 上是 {0}，{3} 上是 {2}",
                        an.canonical,
                        apex.host,
                        wn.canonical,
                        www.host
                    ),
                )
            }
        }
        (a, w) => {
            let missing: Vec<&str> = [
                (a.is_none(), apex.host.as_str()),
                (w.is_none(), www.host.as_str()),
            ]
            .into_iter()
            .filter_map(|(m, h)| m.then_some(h))
            .collect();
            // A page whose render failed may show a number a script writes (§6.12).
            let unrendered: Vec<&str> =
                [(a.is_none(), pa, &apex.host), (w.is_none(), pw, &www.host)]
                    .into_iter()
                    .filter(|(m, p, _)| *m && matches!(p.render, Render::Failed(_)))
                    .map(|(_, _, h)| h.as_str())
                    .collect();
            if !unrendered.is_empty() {
                return site_finding(
                    ids::SITE_PARITY,
                    Verdict::Warn,
                    said!(
                        "not verified: the render of {} failed",
                        "未核实：{} 的渲染失败",
                        unrendered.join(" and ")
                    ),
                );
            }
            site_finding(
                ids::SITE_PARITY,
                Verdict::Fail,
                said!(
                    "no ICP number in the footer on {}",
                    "{} 的页脚没有 ICP 编号",
                    missing.join(" and ")
                ),
            )
        }
    }
}

/// What the site is judged against besides its pages.
#[derive(Debug, Clone, Copy)]
pub struct SiteContext<'a> {
    /// The manifest's columns for the domain (empty without a manifest).
    pub manifest: &'a Manifest,
    /// The audit date (`--as-of`).
    pub as_of: Date,
    /// The rules file's settings.
    pub config: &'a RuleConfig,
    /// The access provider's networks (`--access-nets`), for SITE-ACCESS.
    pub access_nets: &'a [ipnet::IpNet],
    /// The exceptions (`--waivers`).
    pub waivers: &'a crate::Waivers,
}

/// The ids of the rules whose findings have verdict `v`, sorted, once each (`sites.failing_rules`
/// and `warning_rules`).
pub fn rules_with<'a>(findings: impl IntoIterator<Item = &'a Finding>, v: Verdict) -> Vec<String> {
    let mut ids: Vec<String> = findings
        .into_iter()
        .filter(|f| f.verdict == v)
        .map(|f| f.rule_id.to_string())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Page rules for every host with a page (n/a rows for hosts without), site rules, the rules
/// file's settings, and the overall status.
pub fn judge_site(domain: &str, hosts: &[HostObservation], ctx: &SiteContext<'_>) -> SiteJudgement {
    let mut findings = Vec::new();
    for h in hosts {
        match &h.page {
            Some(p) => {
                let mut page = page_rules(&PageInput {
                    host: &h.host,
                    url: &p.final_url,
                    facts: &p.facts,
                    manifest: ctx.manifest,
                    as_of: ctx.as_of,
                });
                mark_render(&mut page, &p.render);
                if ctx.manifest.hosting != Some(Hosting::Overseas) {
                    judge_placement(&mut page, p, &ctx.config.placement);
                }
                findings.extend(page);
            }
            None => findings.extend(crate::front::page_rules_without_page(h)),
        }
    }
    findings.extend(site_rules(domain, hosts, ctx.manifest, ctx.access_nets));
    for f in &mut findings {
        ctx.config.apply(f);
    }

    // An exception keeps the verdict and takes the finding out of the site's status.
    let waived: Vec<Option<String>> = findings
        .iter()
        .map(|f| {
            let w = ctx.waivers.waiver_for(ctx.as_of, domain, f)?;
            Some(w.id.clone())
        })
        .collect();
    let counted = || {
        findings
            .iter()
            .zip(&waived)
            .filter(|(_, w)| w.is_none())
            .map(|(f, _)| f)
    };
    let failing = rules_with(counted(), Verdict::Fail);
    let warning = rules_with(counted(), Verdict::Warn);
    let mut waived_rules: Vec<String> = findings
        .iter()
        .zip(&waived)
        .filter(|(_, w)| w.is_some())
        .map(|(f, _)| f.rule_id.to_string())
        .collect();
    waived_rules.sort_unstable();
    waived_rules.dedup();
    // The site is its own two hosts; its other domains count through their findings.
    let (hosts, _) = own_and_other(hosts);
    let unreachable = unreachable(hosts);
    let status = if unreachable.is_some() {
        SiteStatus::Unreachable
    } else if !failing.is_empty() {
        SiteStatus::Violation
    } else if needs_render(hosts) || crate::front::any_gate(hosts) {
        SiteStatus::Unverified
    } else if !warning.is_empty() {
        SiteStatus::Warning
    } else if !waived_rules.is_empty() {
        SiteStatus::CompliantWithWaivers
    } else {
        SiteStatus::Compliant
    };
    // The apex page names the site's numbers; www stands in when the apex has none.
    let pages = || {
        [HostRole::Apex, HostRole::Www]
            .into_iter()
            .filter_map(|role| {
                hosts
                    .iter()
                    .find(|h| h.role == role)
                    .and_then(|h| h.page.as_ref())
            })
    };
    let shown_psb = pages().find_map(|p| p.facts.psb.as_ref().map(|c| c.number.clone()));
    let psb_due = if unreachable.is_none() && shown_psb.is_none() {
        psb_deadline(ctx.manifest)
    } else {
        None
    };
    SiteJudgement {
        findings,
        status,
        failing,
        warning,
        shown_icp: pages().find_map(|p| shown_number(p).map(|(c, _)| c.number.clone())),
        shown_psb,
        unreachable,
        psb_due,
        front: hosts.iter().find_map(|h| {
            h.front
                .filter(|c| h.page.is_none() && c.class != PageClass::Page)
        }),
        waived,
        waived_rules,
    }
}

/// The site reached no page on any host: why.
fn unreachable(hosts: &[HostObservation]) -> Option<Unreachable> {
    // A host that answered with something in front of its page is not unreachable (but for
    // a CDN's origin error: the site is down behind it).
    let answered = |h: &HostObservation| {
        h.page.is_some()
            || h.front
                .is_some_and(|c| c.class != PageClass::Page && c.class != PageClass::OriginError)
    };
    if hosts.iter().any(answered) {
        return None;
    }
    Some(Unreachable {
        class: hosts
            .iter()
            .flat_map(|h| &h.probes)
            .find_map(|p| p.error_class)
            .unwrap_or(ErrorClass::NoPage),
        message: hosts.iter().find_map(|h| h.failure.clone()),
    })
}

/// A number shown only in an image or a script: a person or a renderer must confirm it.
fn needs_render(hosts: &[HostObservation]) -> bool {
    hosts.iter().filter_map(|h| h.page.as_ref()).any(|p| {
        matches!(p.render, Render::Failed(_)) || shown_number(p).is_some_and(|(_, text)| !text)
    })
}

/// ICP-PLACEMENT from the page's measured layout (the page rules left it n/a), and the PSB
/// number's and icon's visibility.
fn judge_placement(findings: &mut [Finding], page: &PageObservation, t: &crate::Thresholds) {
    let Some(f) = findings
        .iter_mut()
        .find(|f| f.rule_id == ids::ICP_PLACEMENT)
    else {
        return;
    };
    let (verdict, evidence) = crate::placement::icp_placement(&page.facts, &page.placement, t);
    f.verdict = verdict;
    (f.evidence, f.evidence_zh) = (evidence.en, evidence.zh);
    f.fix = catalogue::fix_for(f.rule_id, verdict);
    crate::placement::psb_visibility(findings, &page.facts, &page.placement);
}

/// The page findings of a rendered page say so; a page whose render failed keeps its static
/// findings, and an ICP-PRESENT fail becomes a warn: the number may be one a script writes
/// (the site is `unverified`, docs/rulebook.md §6.12).
fn mark_render(findings: &mut [Finding], render: &Render) {
    for f in findings {
        match render {
            Render::Static => {}
            Render::Rendered { blocked, passed } => {
                let mut note = match passed {
                    Some(gate) => gate.clone().map(
                        |g| format!(" (after challenge: {g}, passed in the browser"),
                        |g| format!("（渲染后：浏览器通过了{g}"),
                    ),
                    None => said!(" (after render", "（渲染后"),
                };
                if !blocked.is_empty() && f.verdict == Verdict::Fail {
                    let blocked = blocked.join(", ");
                    note = note.then(&said!("; refused: {blocked}", "；被拒绝的请求：{blocked}"));
                }
                let note = note.then(&said!(")", "）"));
                f.evidence.push_str(&note.en);
                f.evidence_zh.push_str(&note.zh);
            }
            Render::Failed(why) => {
                if f.rule_id == ids::ICP_PRESENT && f.verdict == Verdict::Fail {
                    f.verdict = Verdict::Warn;
                    f.evidence =
                        format!("{} — not verified: the render failed ({why})", f.evidence);
                    f.evidence_zh = format!("{} — 未核实：渲染失败（{why}）", f.evidence_zh);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaving_the_domain_reads_the_url_s_host() {
        assert!(!leaves_domain(
            "https://www.example.cn:8443/a?b",
            "example.cn"
        ));
        assert!(!leaves_domain("http://example.cn", "example.cn"));
        assert!(leaves_domain("https://example.com.cn/", "example.cn"));
        assert!(leaves_domain("https://other.cn/example.cn", "example.cn"));
        assert!(leaves_domain("not a url", "example.cn"));
    }

    #[test]
    fn unreachable_hosts_fail_reach() {
        let hosts = vec![HostObservation {
            role: HostRole::Apex,
            host: "example.cn".into(),
            page: None,
            failure: Some("dns_nxdomain".into()),
            probes: Vec::new(),
            dns: None,
            front: None,
        }];
        let ctx = SiteContext {
            manifest: &Manifest::default(),
            as_of: time::macros::date!(2026 - 11 - 23),
            config: &RuleConfig::default(),
            access_nets: &[],
            waivers: &crate::Waivers::default(),
        };
        let j = judge_site("example.cn", &hosts, &ctx);
        assert_eq!(j.status, SiteStatus::Unreachable);
        assert!(j.failing.contains(&"SITE-REACH".to_string()));
        assert_eq!(
            j.unreachable,
            Some(Unreachable {
                class: ErrorClass::NoPage,
                message: Some("dns_nxdomain".into())
            })
        );
        assert_eq!(j.shown_icp, None);
    }
}
