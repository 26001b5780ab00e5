//! A probed host assembled: from what its probes found — the resolver's answer or failure,
//! each scheme's fetch outcome, the facts of each page read — to the rules' observation and
//! the host's `fetches` rows. The flow is outcome → observation → row: the rules never read
//! an output row. Pure, and unit-tested on plain values.

use std::collections::HashMap;

use beian_fetch::FetchOutcome;
use beian_resolve::{Resolution, ResolveError};
use beian_rules::{
    DnsObservation, HostObservation, PageObservation, Placement, ProbeObservation, Render,
};
use beian_types::{Classified, ErrorClass, FetchRow, FooterFacts, HostRole, PageClass, Scheme};

/// How a page's facts were read, and how long its render took.
#[derive(Debug, Clone)]
pub(crate) struct PageFacts {
    pub(crate) facts: FooterFacts,
    pub(crate) render: Render,
    pub(crate) render_ms: Option<i64>,
    /// Where the browser showed the numbers (ICP-PLACEMENT).
    pub(crate) placement: Placement,
    /// The most memory the render's browser held, bytes (0: not rendered).
    pub(crate) peak_memory: u64,
}

impl PageFacts {
    /// Facts read from the HTML as served; `why` the page was not rendered.
    pub(crate) fn from_html(facts: FooterFacts, (en, zh): (&str, &str)) -> Self {
        PageFacts {
            facts,
            render: Render::Static,
            render_ms: None,
            placement: Placement::NotMeasured(beian_types::said!("{en}", "{zh}")),
            peak_memory: 0,
        }
    }
}

/// Why a row of a page whose facts could not be read is an error.
pub(crate) const EXTRACTION_FAILED: &str = "footer extraction failed on this page";

/// What probing one host found.
pub(crate) struct Probes<'a> {
    /// The site's input line and domain.
    pub(crate) line: u64,
    pub(crate) domain: &'a str,
    /// The host and its role.
    pub(crate) role: HostRole,
    pub(crate) host: &'a str,
    /// When its probes started, UTC microseconds.
    pub(crate) started_at_us: i64,
    /// The resolver's answer or failure.
    pub(crate) dns: Result<&'a Resolution, &'a ResolveError>,
    /// Each scheme's outcome, https first (none when DNS failed).
    pub(crate) fetched: &'a [(Scheme, FetchOutcome)],
    /// What each outcome's final response was, in the same order (`None`: no response).
    pub(crate) classes: &'a [Option<Classified>],
    /// The facts of each page read, by final URL.
    pub(crate) pages: &'a HashMap<String, PageFacts>,
    /// The final URL of the page the host is judged by, when one was read.
    pub(crate) judged: Option<&'a str>,
    /// Which access network each address lies in, when the site has networks (SITE-ACCESS).
    pub(crate) address_nets: Option<Vec<Option<String>>>,
}

/// The host's observation and its `fetches` rows (https, then http).
pub(crate) fn assemble(p: &Probes<'_>) -> (HostObservation, Vec<FetchRow>) {
    let base = |scheme: Scheme| FetchRow {
        input_line: p.line,
        domain: p.domain.to_string(),
        host: p.host.to_string(),
        role: Some(p.role),
        scheme: Some(scheme),
        url: url_of(scheme, p.host),
        started_at_us: p.started_at_us,
        ..FetchRow::default()
    };
    let res = match p.dns {
        Ok(res) => res,
        Err(e) => {
            let schemes = [Scheme::Https, Scheme::Http];
            let rows = schemes
                .into_iter()
                .map(|s| FetchRow {
                    error_class: Some(e.class),
                    error_message: Some(e.to_string()),
                    dns_us: Some(micros(e.elapsed)),
                    ..base(s)
                })
                .collect();
            let probes = schemes
                .into_iter()
                .map(|scheme| ProbeObservation {
                    scheme,
                    host: p.host.to_string(),
                    url: url_of(scheme, p.host),
                    hops: Vec::new(),
                    final_url: None,
                    error_class: Some(e.class),
                    cert_valid: None,
                    cert_error: None,
                })
                .collect();
            let host = HostObservation {
                role: p.role,
                host: p.host.to_string(),
                page: None,
                failure: Some(format!("{}: {}", e.class, e.message)),
                probes,
                dns: None,
                front: None,
            };
            return (host, rows);
        }
    };
    let edge = beian_edge::edge_of(&res.addrs, &res.cnames);
    let mut rows = Vec::with_capacity(p.fetched.len());
    let mut probes = Vec::with_capacity(p.fetched.len());
    let mut page = None;
    for (i, (scheme, out)) in p.fetched.iter().enumerate() {
        let class = p.classes.get(i).copied().flatten();
        let mut row = base(*scheme);
        row.page_class = class;
        row.edge_provider = edge.as_ref().map(|e| e.provider);
        row.addresses = res.addrs.iter().map(ToString::to_string).collect();
        row.cname_chain = res.cnames.clone();
        row.address_nets = p.address_nets.clone();
        row.dns_us = Some(micros(res.elapsed));
        fill_fetch_row(&mut row, out);
        let mut extraction_failed = false;
        let final_url = out.final_url.as_deref().unwrap_or_default();
        // The site's own page, or the page behind a gate the browser passed.
        let own_page = class.is_none_or(|c| c.class == PageClass::Page) || passed(p, final_url);
        if (out.is_html_page() || passed(p, final_url)) && own_page {
            let final_url = out.final_url.clone().unwrap_or_default();
            match p.pages.get(&final_url) {
                Some(read) => {
                    let facts = &read.facts;
                    row.charset = Some(facts.encoding.to_string());
                    row.icp_number = facts.primary.as_ref().map(|c| c.number.canonical.clone());
                    row.psb_number = facts.psb.as_ref().map(|n| n.number.canonical.clone());
                    row.page_title = facts.page.title.clone();
                    row.page_lang = facts.page.lang.as_ref().map(|l| l.tag.clone());
                    row.page_lang_declared = facts.page.lang_declared.clone();
                    row.interactive = facts.page.interactive().map(|f| f.describe()).collect();
                    row.commerce = facts.page.commerce().map(|f| f.describe()).collect();
                    row.rendered = matches!(read.render, Render::Rendered { .. });
                    row.render_ms = read.render_ms;
                    if page.is_none() && p.judged == Some(final_url.as_str()) {
                        page = Some(PageObservation {
                            final_url,
                            hops: out.hops.len(),
                            facts: facts.clone(),
                            render: read.render.clone(),
                            placement: read.placement.clone(),
                        });
                    }
                }
                None => {
                    extraction_failed = true;
                    row.error_class = Some(ErrorClass::Internal);
                    row.error_message = Some(EXTRACTION_FAILED.into());
                }
            }
        }
        probes.push(observe(*scheme, p.host, out, extraction_failed));
        rows.push(row);
    }
    let failure = page.is_none().then(|| {
        p.fetched
            .iter()
            .map(|(s, o)| {
                let s = s.as_str();
                match (&o.error, o.status) {
                    (Some(e), _) => format!("{s}: {e}"),
                    (None, Some(code)) => format!(
                        "{s}: HTTP {code} at {}",
                        o.final_url.as_deref().unwrap_or("")
                    ),
                    (None, None) => format!("{s}: no response"),
                }
            })
            .zip(p.classes.iter().chain(std::iter::repeat(&None)))
            .map(|(m, c)| match c.filter(|c| c.class != PageClass::Page) {
                Some(c) => format!("{m}: {}", c.describe()),
                None => m,
            })
            .collect::<Vec<_>>()
            .join("; ")
    });
    let host = HostObservation {
        role: p.role,
        host: p.host.to_string(),
        page,
        failure,
        probes,
        dns: Some(DnsObservation {
            addrs: res.addrs.clone(),
            cnames: res.cnames.clone(),
            edge: edge.as_ref().map(|e| (e.provider, e.to_string())),
        }),
        front: p
            .classes
            .iter()
            .flatten()
            .find(|c| c.class != PageClass::Page)
            .copied(),
    };
    (host, rows)
}

/// Whether the page at `final_url` was read past a gate the browser passed.
fn passed(p: &Probes<'_>, final_url: &str) -> bool {
    p.pages.get(final_url).is_some_and(|r| {
        matches!(
            r.render,
            Render::Rendered {
                passed: Some(_),
                ..
            }
        )
    })
}

/// The rules' view of one probe, from its outcome; a page whose facts could not be read is
/// the audit's own failure (`internal`), never a page without a footer.
fn observe(
    scheme: Scheme,
    host: &str,
    out: &FetchOutcome,
    extraction_failed: bool,
) -> ProbeObservation {
    ProbeObservation {
        scheme,
        host: host.to_string(),
        url: url_of(scheme, host),
        hops: out.hops.iter().map(|h| h.url.clone()).collect(),
        final_url: out.final_url.clone(),
        error_class: if extraction_failed {
            Some(ErrorClass::Internal)
        } else {
            out.error.as_ref().map(|e| e.class)
        },
        cert_valid: out.tls.as_ref().map(|t| t.cert_error.is_none()),
        cert_error: out.tls.as_ref().and_then(|t| t.cert_error.clone()),
    }
}

fn url_of(scheme: Scheme, host: &str) -> String {
    format!("{}://{host}/", scheme.as_str())
}

pub(crate) fn micros(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// The row's copy of a fetch outcome.
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
    row.wait_us = Some(micros(out.timings.wait));
    row.requests = out.requests;
    row.reused_from = out.reused_from.clone();
    row.http_version = out.http_version.clone();
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use beian_fetch::{FetchError, TlsFacts};
    use beian_types::Hop;
    use bytes::Bytes;

    use super::*;

    const PAGE: &str = "https://www.a.cn/";

    fn resolution() -> Resolution {
        Resolution {
            addrs: vec!["127.0.1.1".parse().unwrap()],
            cnames: vec!["edge.cdn.cn".into()],
            elapsed: Duration::from_millis(3),
        }
    }

    /// https answers the page; http redirects to it.
    fn fetched() -> Vec<(Scheme, FetchOutcome)> {
        let page = FetchOutcome {
            final_url: Some(PAGE.into()),
            status: Some(200),
            content_type: Some("text/html; charset=utf-8".into()),
            body: Some(Bytes::from_static(b"<html></html>")),
            tls: Some(TlsFacts {
                version: "TLSv1.3".into(),
                cert_error: None,
            }),
            ..FetchOutcome::default()
        };
        let redirected = FetchOutcome {
            hops: vec![Hop {
                url: "http://www.a.cn/".into(),
                status: 301,
                location: PAGE.into(),
            }],
            ..page.clone()
        };
        vec![(Scheme::Https, page), (Scheme::Http, redirected)]
    }

    fn probes<'a>(
        dns: Result<&'a Resolution, &'a ResolveError>,
        fetched: &'a [(Scheme, FetchOutcome)],
        pages: &'a HashMap<String, PageFacts>,
        judged: Option<&'a str>,
    ) -> Probes<'a> {
        Probes {
            line: 7,
            domain: "a.cn",
            role: HostRole::Www,
            host: "www.a.cn",
            started_at_us: 1,
            dns,
            fetched,
            classes: &[],
            pages,
            judged,
            address_nets: None,
        }
    }

    #[test]
    fn the_judged_page_is_observed_once_and_every_probe_is_a_row() {
        let res = resolution();
        let fetched = fetched();
        let pages = HashMap::from([(
            PAGE.to_string(),
            PageFacts::from_html(FooterFacts::empty("utf-8"), ("not rendered", "未渲染")),
        )]);
        let (host, rows) = assemble(&probes(Ok(&res), &fetched, &pages, Some(PAGE)));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].url, "http://www.a.cn/");
        assert_eq!(rows[1].hops.len(), 1);
        assert_eq!(rows[0].addresses, ["127.0.1.1"]);
        assert_eq!(rows[0].cert_valid, Some(true));
        assert!(
            rows.iter()
                .all(|r| r.error_class.is_none() && r.charset.is_some())
        );
        let page = host.page.expect("the page");
        assert_eq!((page.final_url.as_str(), page.hops), (PAGE, 0));
        assert_eq!(host.failure, None);
        assert_eq!(host.probes[1].hops, ["http://www.a.cn/"]);
        assert_eq!(host.probes[0].cert_valid, Some(true));
        assert_eq!(host.dns.unwrap().cnames, ["edge.cdn.cn"]);
    }

    /// A challenge in front of the page: the rows carry the class, the host has no page and
    /// names what stood in front, and nothing reads as the audit's own failure.
    #[test]
    fn a_challenge_in_front_is_the_host_s_front_not_a_page() {
        let res = resolution();
        let fetched = fetched();
        let challenge = Classified {
            class: PageClass::Challenge,
            vendor: Some(beian_types::Vendor {
                id: "aliyun_waf",
                name: "Alibaba Cloud WAF",
            }),
            marker: "acw-sc-v2",
        };
        let pages = HashMap::new();
        let mut p = probes(Ok(&res), &fetched, &pages, None);
        let classes = [Some(challenge), Some(challenge)];
        p.classes = &classes;
        let (host, rows) = assemble(&p);
        assert!(host.page.is_none());
        assert_eq!(host.front, Some(challenge));
        assert!(
            rows.iter()
                .all(|r| r.page_class == Some(challenge) && r.error_class.is_none())
        );
        let failure = host.failure.unwrap_or_default();
        assert!(
            failure.contains("a challenge of Alibaba Cloud WAF"),
            "{failure}"
        );
        // An edge provider is named from the CNAME chain when a table knows it: this one
        // (`edge.cdn.cn`) is nobody's.
        assert!(rows.iter().all(|r| r.edge_provider.is_none()));
    }

    #[test]
    fn a_page_whose_facts_were_not_read_is_the_audit_s_failure() {
        let res = resolution();
        let fetched = fetched();
        let pages = HashMap::new();
        let (host, rows) = assemble(&probes(Ok(&res), &fetched, &pages, None));
        assert!(host.page.is_none());
        assert!(
            rows.iter()
                .all(|r| r.error_class == Some(ErrorClass::Internal)
                    && r.error_message.as_deref() == Some(EXTRACTION_FAILED))
        );
        assert!(
            host.probes
                .iter()
                .all(|o| o.error_class == Some(ErrorClass::Internal))
        );
        assert_eq!(
            host.failure.as_deref(),
            Some("https: HTTP 200 at https://www.a.cn/; http: HTTP 200 at https://www.a.cn/")
        );
    }

    #[test]
    fn a_failed_lookup_is_two_rows_and_no_dns() {
        let err = ResolveError {
            host: "www.a.cn".into(),
            class: ErrorClass::DnsNxdomain,
            message: "no such name".into(),
            elapsed: Duration::from_millis(5),
        };
        let pages = HashMap::new();
        let (host, rows) = assemble(&probes(Err(&err), &[], &pages, None));
        assert_eq!(rows.len(), 2);
        assert!(
            rows.iter()
                .all(|r| r.error_class == Some(ErrorClass::DnsNxdomain)
                    && r.dns_us == Some(5000)
                    && r.error_message.as_deref() == Some("www.a.cn: no such name"))
        );
        assert_eq!(host.failure.as_deref(), Some("dns_nxdomain: no such name"));
        assert!(host.dns.is_none());
        assert_eq!(host.probes.len(), 2);
        assert_eq!(host.probes[1].url, "http://www.a.cn/");
    }

    #[test]
    fn a_failed_fetch_says_why_per_scheme() {
        let res = resolution();
        let fetched = vec![
            (
                Scheme::Https,
                FetchOutcome {
                    error: Some(FetchError {
                        class: ErrorClass::ConnectRefused,
                        message: "refused".into(),
                    }),
                    ..FetchOutcome::default()
                },
            ),
            (Scheme::Http, FetchOutcome::default()),
        ];
        let pages = HashMap::new();
        let (host, rows) = assemble(&probes(Ok(&res), &fetched, &pages, None));
        assert_eq!(rows[0].error_class, Some(ErrorClass::ConnectRefused));
        assert_eq!(host.probes[0].error_class, Some(ErrorClass::ConnectRefused));
        assert_eq!(
            host.failure.as_deref(),
            Some("https: connect_refused: refused; http: no response")
        );
    }
}
