//! What stood in front of a host's page (docs/rulebook.md §6.14): a challenge or block makes
//! the host unverified, never failed — the audit did not see the page; the access provider's
//! interception page is a violation of its own (ICP-PROVIDER); a parked or default page is the
//! shell-site signal (SITE-SHELL). The fixes say what to do about the thing in front, not
//! about a footer nobody saw.

use beian_types::{Classified, ErrorClass, Finding, Fix, HostRole, PageClass, Said, Verdict, said};

use crate::ids;
use crate::observation::HostObservation;
use crate::site::site_finding;

/// The fix for a host whose page stood behind `class`.
pub(crate) fn front_fix(class: PageClass) -> Option<Fix> {
    let (zh, en) = match class {
        PageClass::Challenge => (
            "在 WAF/防护产品中放行审计的出口地址，或用 --render 让浏览器通过验证后再审计",
            "Allow the audit's egress addresses in the WAF, or audit with --render so a browser passes the challenge",
        ),
        PageClass::Block => (
            "在 WAF/防护产品中放行审计的出口地址（和 User-Agent），或请网站运维确认拦截规则；限流时降低审计速率（--rate-per-ip）",
            "Allow the audit's egress addresses (and User-Agent) in the WAF, or ask the site's operators about the rule that blocked it; for a rate limit, audit slower (--rate-per-ip)",
        ),
        PageClass::OriginError => (
            "检查源站是否在线，以及 CDN 的回源配置",
            "Check that the origin server is up and the CDN's origin settings",
        ),
        PageClass::Page | PageClass::Parked | PageClass::ProviderInterception => return None,
    };
    Some(Fix { zh, en })
}

/// The host's gate, when its page stood behind a challenge or block and no probe reached it.
pub(crate) fn gate(h: &HostObservation) -> Option<Classified> {
    h.front.filter(|c| h.page.is_none() && c.class.is_gate())
}

/// The page rules of a host without a page: ICP-PRESENT not verified behind a gate (warn,
/// with the gate's fix), every other rule n/a with the reason.
pub(crate) fn page_rules_without_page(h: &HostObservation) -> Vec<Finding> {
    let front = h.front.filter(|c| c.class != PageClass::Page);
    let host = &h.host;
    let reason = match front {
        Some(c) if c.class.is_gate() => c.said().map(
            |w| format!("not verified: {host} answered {w}"),
            |w| format!("未核实：{host} 返回了{w}"),
        ),
        Some(c) if c.class == PageClass::ProviderInterception => c.said().map(
            |w| format!("{host} answered {w} (see ICP-PROVIDER)"),
            |w| format!("{host} 返回了{w}（见 ICP-PROVIDER）"),
        ),
        Some(c) if c.class == PageClass::Parked => {
            let see = if h.role == HostRole::Other {
                ids::SITE_OTHER_DOMAINS
            } else {
                ids::SITE_SHELL
            };
            c.said().map(
                |w| format!("{host} answered {w} (see {see})"),
                |w| format!("{host} 返回了{w}（见 {see}）"),
            )
        }
        _ if h.role == HostRole::Other => said!(
            "host has no page (see {})",
            "该主机没有页面（见 {}）",
            ids::SITE_OTHER_DOMAINS
        ),
        _ => said!(
            "host has no page (see SITE-REACH)",
            "该主机没有页面（见 SITE-REACH）"
        ),
    };
    let gated = gate(h);
    ids::PAGE_RULES
        .iter()
        .map(|id| {
            let present = *id == ids::ICP_PRESENT && gated.is_some();
            Finding {
                rule_id: id,
                verdict: if present {
                    Verdict::Warn
                } else {
                    Verdict::NotApplicable
                },
                host: Some(h.host.clone()),
                url: None,
                evidence: reason.en.clone(),
                evidence_zh: reason.zh.clone(),
                number: None,
                link_host: None,
                fix: if present {
                    gated.and_then(|c| front_fix(c.class))
                } else {
                    None
                },
            }
        })
        .collect()
}

/// "`host` answered `what`" for each host whose front is of a class `which` accepts.
fn answered(
    hosts: &[HostObservation],
    which: impl Fn(&HostObservation, Classified) -> bool,
) -> Vec<Said> {
    hosts
        .iter()
        .filter_map(|h| {
            let host = &h.host;
            h.front.filter(|&c| which(h, c)).map(|c| {
                c.said().map(
                    |w| format!("{host} answered {w}"),
                    |w| format!("{host} 返回了{w}"),
                )
            })
        })
        .collect()
}

/// ICP-PROVIDER: no host answered with the access provider's page for unfiled domains.
pub(crate) fn icp_provider(hosts: &[HostObservation]) -> Finding {
    let intercepted = answered(hosts, |_, c| c.class == PageClass::ProviderInterception);
    if !intercepted.is_empty() {
        return site_finding(
            ids::ICP_PROVIDER,
            Verdict::Fail,
            Said::join(&intercepted).map(
                |w| {
                    format!("the access provider says the domain has no filing on its network: {w}")
                },
                |w| format!("接入商表示该域名在其网络上没有备案：{w}"),
            ),
        );
    }
    if hosts.iter().all(|h| h.page.is_none() && h.front.is_none()) {
        return site_finding(
            ids::ICP_PROVIDER,
            Verdict::NotApplicable,
            said!("no host answered", "没有主机应答"),
        );
    }
    site_finding(
        ids::ICP_PROVIDER,
        Verdict::Pass,
        said!(
            "no access provider's interception page",
            "没有接入商的拦截页"
        ),
    )
}

/// SITE-SHELL (空壳): the hosts that answered show a parked or default page instead of a site.
pub(crate) fn site_shell(hosts: &[HostObservation]) -> Finding {
    let parked = answered(hosts, |h, c| {
        h.page.is_none() && c.class == PageClass::Parked
    });
    let with_page = hosts.iter().filter(|h| h.page.is_some()).count();
    let verdict = match (parked.is_empty(), with_page) {
        (true, _) => None,
        (false, 0) => Some(Verdict::Fail),
        (false, _) => Some(Verdict::Warn),
    };
    match verdict {
        Some(v) => site_finding(
            ids::SITE_SHELL,
            v,
            Said::join(&parked).map(
                |w| format!("a shell site (空壳) signal: {w}"),
                |w| format!("空壳网站迹象：{w}"),
            ),
        ),
        None if with_page == 0 => not_answering(hosts),
        None => site_finding(
            ids::SITE_SHELL,
            Verdict::Pass,
            said!(
                "the hosts show the site's own pages",
                "各主机显示的是网站自己的页面"
            ),
        ),
    }
}

/// SITE-SHELL for a site no host of which showed a page: a domain that does not exist fails
/// (both hosts answered NXDOMAIN: the filed domain is dead); one that does not answer now
/// warns — a site down for an hour is not a shell, one that stays down is; n/a when
/// something stood in front (a gate, the provider's page, a CDN's origin error).
fn not_answering(hosts: &[HostObservation]) -> Finding {
    if hosts
        .iter()
        .any(|h| h.front.is_some_and(|c| c.class != PageClass::Page))
    {
        return site_finding(
            ids::SITE_SHELL,
            Verdict::NotApplicable,
            said!(
                "no host showed a page of its own",
                "没有主机显示网站自己的页面"
            ),
        );
    }
    let class = |h: &HostObservation| h.probes.iter().find_map(|p| p.error_class);
    let seen: Vec<Said> = hosts
        .iter()
        .map(|h| match class(h) {
            Some(c) => said!("{} {c}", "{} {c}", h.host),
            None => said!("{} no page", "{} 没有页面", h.host),
        })
        .collect();
    let Said { en, zh } = Said::join_with(&seen, ", ", "，");
    if !hosts.is_empty()
        && hosts
            .iter()
            .all(|h| class(h) == Some(ErrorClass::DnsNxdomain))
    {
        return site_finding(
            ids::SITE_SHELL,
            Verdict::Fail,
            said!(
                "the filed domain does not exist ({en}): a shell site (空壳)",
                "备案的域名不存在（{zh}）：空壳网站"
            ),
        );
    }
    site_finding(
        ids::SITE_SHELL,
        Verdict::Warn,
        said!(
            "no host answers now ({en}): a filed domain that stays unreachable is a shell site (空壳) — audit it again",
            "目前没有主机应答（{zh}）：备案域名持续无法访问即为空壳网站——请再次审计"
        ),
    )
}

/// Whether a host's page stood behind a gate: the site cannot be confirmed compliant.
pub(crate) fn any_gate(hosts: &[HostObservation]) -> bool {
    hosts.iter().any(|h| gate(h).is_some())
}
