//! SITE-ACCESS (接入准确性): whether a filed site is still served from its access provider's
//! networks, judged on the addresses each host resolved to after its CNAMEs
//! (docs/rulebook.md §5.1).

use std::net::IpAddr;

use beian_types::{Finding, Hosting, Manifest, Said, Verdict, said};
use ipnet::IpNet;

use crate::ids;
use crate::observation::HostObservation;
use crate::site::site_finding;

/// The network of `nets` that `ip` lies in, if any (an IPv4-mapped IPv6 address is read as
/// the IPv4 address it carries).
pub fn network_of(ip: IpAddr, nets: &[IpNet]) -> Option<IpNet> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    nets.iter().copied().find(|n| n.contains(&ip))
}

/// The networks a site is judged against: its manifest row's, else the audit's.
pub fn networks_for<'a>(manifest: &'a Manifest, audit: &'a [IpNet]) -> &'a [IpNet] {
    manifest.access_nets.as_deref().unwrap_or(audit)
}

/// A CNAME target outside the site's domain: a third party (a CDN) answers for the host.
fn third_party(domain: &str, target: &str) -> bool {
    let target = target.trim_end_matches('.').to_ascii_lowercase();
    !(target == domain || target.ends_with(&format!(".{domain}")))
}

/// What one resolved host showed.
struct Host<'a> {
    name: &'a str,
    inside: usize,
    outside: usize,
    /// The first CNAME target outside the site's domain.
    cdn: Option<&'a str>,
    /// The CDN or WAF the CNAME or an address names, described.
    edge: Option<&'a str>,
    /// `address (network)` for each address.
    listed: Vec<Said>,
}

/// SITE-ACCESS for one site.
pub(crate) fn site_access(
    domain: &str,
    hosts: &[HostObservation],
    manifest: &Manifest,
    audit_nets: &[IpNet],
) -> Finding {
    let na = |why: Said| site_finding(ids::SITE_ACCESS, Verdict::NotApplicable, why);
    if manifest.hosting == Some(Hosting::Overseas) {
        return na(said!(
            "manifest: hosting=overseas",
            "清单：hosting=overseas（境外托管）"
        ));
    }
    let nets = networks_for(manifest, audit_nets);
    if nets.is_empty() {
        return na(said!(
            "no access networks given (--access-nets, manifest access_nets)",
            "没有给出接入网络（--access-nets，清单的 access_nets）"
        ));
    }
    let judged: Vec<Host<'_>> = hosts
        .iter()
        .filter_map(|h| {
            let dns = h.dns.as_ref().filter(|d| !d.addrs.is_empty())?;
            let mut host = Host {
                name: &h.host,
                inside: 0,
                outside: 0,
                cdn: dns
                    .cnames
                    .iter()
                    .map(String::as_str)
                    .find(|t| third_party(domain, t)),
                edge: dns.edge.as_ref().map(|(_, d)| d.as_str()),
                listed: Vec::with_capacity(dns.addrs.len()),
            };
            for ip in &dns.addrs {
                match network_of(*ip, nets) {
                    Some(n) => {
                        host.inside += 1;
                        host.listed
                            .push(said!("{ip} (in {n})", "{ip}（在 {n} 内）"));
                    }
                    None => {
                        host.outside += 1;
                        host.listed
                            .push(said!("{ip} (outside)", "{ip}（不在其中）"));
                    }
                }
            }
            Some(host)
        })
        .collect();
    if judged.is_empty() {
        return na(said!(
            "no host resolved to an address (see SITE-REACH)",
            "没有主机解析到地址（见 SITE-REACH）"
        ));
    }
    let describe = |h: &Host<'_>| {
        let listed = Said::join_with(&h.listed, ", ", "，");
        let name = h.name;
        match h.cdn {
            Some(t) => listed.map(
                |w| format!("{name} → CNAME {t}: {w}"),
                |w| format!("{name} → CNAME {t}：{w}"),
            ),
            None => listed.map(|w| format!("{name}: {w}"), |w| format!("{name}：{w}")),
        }
    };
    let all = || Said::join(&judged.iter().map(describe).collect::<Vec<_>>());
    // Served elsewhere: a host answering only from addresses outside the networks, with no
    // third party in front that could hide an origin inside them.
    let elsewhere: Vec<Said> = judged
        .iter()
        .filter(|h| h.inside == 0 && h.cdn.is_none() && h.edge.is_none())
        .map(describe)
        .collect();
    if !elsewhere.is_empty() {
        return site_finding(
            ids::SITE_ACCESS,
            Verdict::Fail,
            Said::join(&elsewhere).map(
                |w| format!("served outside the access networks: {w}"),
                |w| format!("在接入网络之外提供服务：{w}"),
            ),
        );
    }
    if let Some(h) = judged.iter().find(|h| h.cdn.is_some() || h.edge.is_some()) {
        let through = match h.edge {
            Some(e) => said!("{e}", "{e}"),
            None => said!(
                "a third party's CNAME (a CDN in front of the origin?)",
                "第三方的 CNAME（源站前有 CDN？）"
            ),
        };
        let (name, all) = (h.name, all());
        return site_finding(
            ids::SITE_ACCESS,
            Verdict::Warn,
            Said {
                en: format!(
                    "{name} reaches its addresses through {}: {}",
                    through.en, all.en
                ),
                zh: format!("{name} 经由{}到达其地址：{}", through.zh, all.zh),
            },
        );
    }
    if judged.iter().any(|h| h.outside > 0) {
        return site_finding(
            ids::SITE_ACCESS,
            Verdict::Warn,
            all().map(
                |w| format!("some addresses outside the access networks: {w}"),
                |w| format!("部分地址不在接入网络中：{w}"),
            ),
        );
    }
    site_finding(
        ids::SITE_ACCESS,
        Verdict::Pass,
        all().map(
            |w| format!("every address in the access networks: {w}"),
            |w| format!("所有地址都在接入网络中：{w}"),
        ),
    )
}
