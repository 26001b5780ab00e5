//! The answer key: what a correct audit must conclude for each simulated site — verdicts per
//! rule and host, the overall status, the error classes — written from the spec
//! (docs/rulebook.md §5), not from the auditor's code.

use crate::scenario::{Behaviour, SiteSpec};

/// Behaviours that break exactly one page rule, on both hosts: (behaviour, rule, verdict,
/// overall status).
const ONE_RULE: &[(Behaviour, &str, &str, &str)] = &[
    (Behaviour::Unlinked, "ICP-LINK", "fail", "violation"),
    (Behaviour::WrongLink, "ICP-LINK", "fail", "violation"),
    (
        Behaviour::SubjectOutsideGuangdong,
        "ICP-KIND",
        "fail",
        "violation",
    ),
    (Behaviour::WrongAlias, "ICP-FORMAT", "fail", "violation"),
    (Behaviour::PsbCodeMismatch, "PSB-LINK", "fail", "violation"),
    (
        Behaviour::PsbProvinceMismatch,
        "PSB-PROVINCE",
        "fail",
        "violation",
    ),
    (Behaviour::PsbNoIcon, "PSB-ICON", "warn", "warning"),
    (Behaviour::AppNumber, "ICP-KIND", "fail", "violation"),
];

/// Expected verdicts for one site: `(host role or "" for site rules, rule id, verdict)`, and
/// the expected overall status, as audited by default: with a browser (`--render auto`), so
/// that a footer a script writes is seen and a challenge a browser passes is passed.
pub fn expectations(
    s: &SiteSpec,
) -> (
    Vec<(&'static str, &'static str, &'static str)>,
    &'static str,
) {
    if s.behaviour.passes_in_browser() {
        // Passed in the browser, the site's own (compliant) page is judged.
        return expectations(&SiteSpec {
            behaviour: Behaviour::Compliant,
            ..s.clone()
        });
    }
    expectations_without_browser(s)
}

/// [`expectations`] for an audit without a browser (`--render never`) where it differs from
/// one with: a challenge a browser passes stays in front of the page, and the site is not
/// verified. (Sites whose footer only a script writes are keyed as rendered: grade them with
/// a browser.)
pub fn expectations_without_browser(
    s: &SiteSpec,
) -> (
    Vec<(&'static str, &'static str, &'static str)>,
    &'static str,
) {
    use Behaviour as B;
    let both = |rule: &'static str, v: &'static str| vec![("apex", rule, v), ("www", rule, v)];
    let mut e: Vec<(&str, &str, &str)> = Vec::new();
    let good_page = |e: &mut Vec<(&'static str, &'static str, &'static str)>| {
        for rule in [
            "ICP-PRESENT",
            "ICP-FORMAT",
            "ICP-LINK",
            "ICP-KIND",
            "PSB-PRESENT",
            "PSB-FORMAT",
            "PSB-PROVINCE",
            "PSB-LINK",
            "PSB-ICON",
        ] {
            e.extend(both(rule, "pass"));
        }
    };
    let status = match s.behaviour {
        B::Compliant
        | B::GuangdongSubject
        | B::ApexToWww
        | B::WwwToApex
        | B::ScriptWrite
        | B::ScriptTimer
        | B::ScriptConfig
        | B::Gbk
        | B::Compressed
        | B::Slow
        | B::MetaRefresh
        | B::WwwCname
        | B::HugePage
        | B::Ipv6Only
        | B::WildcardDns
        | B::RateLimited
        | B::AboutDefences
        | B::FooterUnnamed
        // Compliant pages: what they show is judged against the filing by the filing rules
        // alone (crate::filing::expectations).
        | B::NameMismatch
        | B::NameSlogan
        | B::CommentsWidget
        | B::ForumPersonal
        | B::ShopPersonal
        | B::IpOutsideFiled
        | B::EnglishOnly
        | B::OtherDomainParked
        | B::OtherDomainNumber
        | B::OtherDomainRedirect => {
            good_page(&mut e);
            e.push(("", "SITE-REACH", "pass"));
            e.push(("", "SITE-PARITY", "pass"));
            e.push(("", "SITE-REDIRECT", "pass"));
            e.push(("", "SITE-TLS", "pass"));
            // Every address in the fleet's access networks (::1 included).
            e.push(("", "SITE-ACCESS", "pass"));
            "compliant"
        }
        B::MovedAway => {
            good_page(&mut e);
            e.push(("", "SITE-REACH", "pass"));
            e.push(("", "SITE-ACCESS", "fail"));
            "violation"
        }
        B::ThirdPartyCdn | B::SplitNetworks => {
            good_page(&mut e);
            e.push(("", "SITE-REACH", "pass"));
            e.push(("", "SITE-ACCESS", "warn"));
            "warning"
        }
        // Rendered (`--render always`): what the browser shows.
        B::PlaceHidden | B::PlaceWhiteOnWhite | B::PlaceTinyFont | B::PlaceOffScreen => {
            e.extend(both("ICP-PRESENT", "pass"));
            e.extend(both("ICP-PLACEMENT", "fail"));
            "violation"
        }
        B::PlaceSideColumn | B::PlaceDesktopOnly => {
            e.extend(both("ICP-PRESENT", "pass"));
            e.extend(both("ICP-PLACEMENT", "warn"));
            "warning"
        }
        B::PlaceIconHidden => {
            e.extend(both("ICP-PLACEMENT", "pass"));
            e.extend(both("PSB-ICON", "warn"));
            "warning"
        }
        // No usable TLS at all: the http page is judged, SITE-TLS does not apply.
        B::HttpOnly | B::TlsGarbage => {
            good_page(&mut e);
            e.push(("", "SITE-REACH", "pass"));
            e.push(("", "SITE-TLS", "n/a"));
            "compliant"
        }
        B::ExpiredCert | B::WrongNameCert => {
            good_page(&mut e);
            e.push(("", "SITE-REACH", "pass"));
            e.push(("", "SITE-TLS", "fail"));
            "violation"
        }
        B::HttpsDowngrade => {
            good_page(&mut e);
            e.push(("", "SITE-REACH", "pass"));
            e.push(("", "SITE-PARITY", "pass"));
            e.push(("", "SITE-REDIRECT", "fail"));
            "violation"
        }
        B::JiangsuCopyright => {
            good_page(&mut e);
            e.extend(both("COPYRIGHT", "pass"));
            "compliant"
        }
        B::JiangsuNoCopyright => {
            e.extend(both("COPYRIGHT", "fail"));
            e.extend(both("ICP-PRESENT", "pass"));
            "violation"
        }
        B::Unlinked
        | B::WrongLink
        | B::SubjectOutsideGuangdong
        | B::WrongAlias
        | B::PsbCodeMismatch
        | B::PsbProvinceMismatch
        | B::PsbNoIcon
        | B::AppNumber => {
            let (rule, verdict, status) = ONE_RULE
                .iter()
                .find(|(b, ..)| *b == s.behaviour)
                .map_or(("", "", ""), |(_, r, v, st)| (*r, *v, *st));
            e.extend(both(rule, verdict));
            status
        }
        B::MalformedNumber => {
            // Read as the number it means (§2.8): present and linked, its form a fail.
            e.extend(both("ICP-PRESENT", "pass"));
            e.extend(both("ICP-LINK", "pass"));
            e.extend(both("ICP-FORMAT", "fail"));
            e.extend(both("PSB-PRESENT", "pass"));
            "violation"
        }
        B::NoIcp => {
            e.extend(both("ICP-PRESENT", "fail"));
            e.extend(both("ICP-LINK", "n/a"));
            e.push(("", "SITE-PARITY", "fail"));
            "violation"
        }
        B::LegacyLink => {
            e.extend(both("ICP-LINK", "warn"));
            e.extend(both("ICP-PRESENT", "pass"));
            "warning"
        }
        B::PsbMissing => {
            e.extend(both("PSB-PRESENT", "warn"));
            e.extend(both("PSB-LINK", "n/a"));
            "warning"
        }
        B::MissingWww => {
            e.push(("", "SITE-REACH", "fail"));
            // The www host shows no number: it has no page (rulebook §5, issue 15).
            e.push(("", "SITE-PARITY", "fail"));
            e.push(("apex", "ICP-PRESENT", "pass"));
            "violation"
        }
        B::WwwNoNumber => {
            e.push(("apex", "ICP-PRESENT", "pass"));
            e.push(("www", "ICP-PRESENT", "fail"));
            e.push(("", "SITE-PARITY", "fail"));
            "violation"
        }
        B::DnsTimeout | B::NoAddress | B::CnameLoop => {
            e.push(("", "SITE-REACH", "fail"));
            // The www host has no page, so no number there.
            e.push(("", "SITE-PARITY", "fail"));
            e.push(("apex", "ICP-PRESENT", "pass"));
            "violation"
        }
        B::RedirectLoop | B::LongRedirectChain => {
            e.push(("", "SITE-REACH", "fail"));
            e.push(("", "SITE-REDIRECT", "fail"));
            e.push(("", "SITE-SHELL", "warn"));
            // Neither host has a page: nothing to compare.
            e.push(("", "SITE-PARITY", "n/a"));
            "unreachable"
        }
        B::ServerError
        | B::Nxdomain
        | B::DnsServfail
        | B::Silent
        | B::Slowloris
        | B::HugeHeaders
        | B::MalformedHeaders
        | B::BadChunked
        | B::ShortBody
        | B::ResetMidBody
        | B::RedirectToFile
        | B::RedirectToPrivate => {
            e.push(("", "SITE-REACH", "fail"));
            // A domain that does not exist is a shell; one that does not answer now warns.
            let shell = if s.behaviour == B::Nxdomain { "fail" } else { "warn" };
            e.push(("", "SITE-SHELL", shell));
            "unreachable"
        }
        B::ScriptHang => {
            // The render ran out of time: not verified, the static verdict held back.
            e.extend(both("ICP-PRESENT", "warn"));
            e.push(("", "SITE-PARITY", "warn"));
            "unverified"
        }
        B::ScriptNever | B::ScriptPrivate => {
            // Rendered, the footer is still empty.
            e.extend(both("ICP-PRESENT", "fail"));
            "violation"
        }
        B::EndlessBody | B::CompressionBomb => {
            // The page holds no number: what the cap kept is filler.
            e.extend(both("ICP-PRESENT", "fail"));
            "violation"
        }
        B::AltOnly => {
            e.extend(both("ICP-PRESENT", "warn"));
            e.extend(both("ICP-LINK", "pass"));
            "unverified"
        }
        // Behind a gate (a challenge: without a browser): never a fail, the site not verified.
        B::WafJsCookie
        | B::JslCookie
        | B::CfChallenge
        | B::UaBlock
        | B::UaBlock403
        | B::RateLimitedLong
        | B::PowChallenge => {
            e.extend(both("ICP-PRESENT", "warn"));
            e.extend(both("ICP-LINK", "n/a"));
            e.push(("", "SITE-REACH", "warn"));
            e.push(("", "SITE-PARITY", "n/a"));
            e.push(("", "ICP-PROVIDER", "pass"));
            e.push(("", "SITE-SHELL", "n/a"));
            "unverified"
        }
        B::Parked | B::DefaultNginx => {
            e.extend(both("ICP-PRESENT", "n/a"));
            e.push(("", "SITE-SHELL", "fail"));
            e.push(("", "ICP-PROVIDER", "pass"));
            "violation"
        }
        B::ProviderBlock => {
            e.extend(both("ICP-PRESENT", "n/a"));
            e.push(("", "ICP-PROVIDER", "fail"));
            e.push(("", "SITE-SHELL", "n/a"));
            "violation"
        }
        B::OriginDown => {
            e.push(("", "SITE-REACH", "fail"));
            "unreachable"
        }
    };
    (e, status)
}

/// Expected probe errors: `(host role, scheme, error class)`; probes not listed succeed.
pub fn expected_errors(s: &SiteSpec) -> Vec<(&'static str, &'static str, &'static str)> {
    use Behaviour as B;
    let all = |class| {
        vec![
            ("apex", "https", class),
            ("apex", "http", class),
            ("www", "https", class),
            ("www", "http", class),
        ]
    };
    let www = |class| vec![("www", "https", class), ("www", "http", class)];
    match s.behaviour {
        B::Nxdomain => all("dns_nxdomain"),
        B::DnsServfail => all("dns_servfail"),
        B::RedirectLoop => all("redirect_loop"),
        B::MissingWww => www("dns_nxdomain"),
        B::DnsTimeout => www("dns_timeout"),
        B::NoAddress => www("dns_no_address"),
        // The resolver gives up on the chain: no address at its end.
        B::CnameLoop => www("dns_no_address"),
        B::HttpOnly | B::TlsGarbage => vec![
            ("apex", "https", "tls_handshake"),
            ("www", "https", "tls_handshake"),
        ],
        B::Silent => vec![
            ("apex", "https", "tls_timeout"),
            ("apex", "http", "http_timeout"),
            ("www", "https", "tls_timeout"),
            ("www", "http", "http_timeout"),
        ],
        // The body would take days; the probe's whole budget (which began before the body's
        // own timeout did) runs out first.
        B::Slowloris => all("total_timeout"),
        B::HugeHeaders | B::MalformedHeaders | B::BadChunked | B::ShortBody | B::ResetMidBody => {
            all("http_protocol")
        }
        B::LongRedirectChain => all("redirect_limit"),
        B::RedirectToFile => all("redirect_invalid"),
        B::RedirectToPrivate => all("address_blocked"),
        _ => Vec::new(),
    }
}

/// The answer key as CSV: `domain,behaviour,host,rule_id,expected` (`host` empty for site
/// rules). Pseudo-rules: `STATUS` (overall status), `ERROR-HTTPS` / `ERROR-HTTP` (the probe's
/// error class, `none` when it must succeed) and `CNAME` (the host's CNAME chain).
///
/// With `dates` (day 1's date and the audit date) the key is for an audit given
/// [`crate::days::manifest_csv`]: a site without a public-security number fails PSB-PRESENT
/// once its filing is overdue (30 days after `opened_on`). Without a manifest, and on day 1,
/// the key is the same: pending sites warn either way.
///
/// `browser`: the key of an audit with a browser ([`expectations`]) or without
/// ([`expectations_without_browser`]).
pub fn answer_key_csv(
    sites: &[SiteSpec],
    dates: Option<(time::Date, time::Date)>,
    browser: bool,
) -> String {
    key_csv(sites, dates, browser, false)
}

/// The key of an audit of `sites.csv` with a browser: [`answer_key_csv`] where the filing
/// columns of the sites that do not match their filing are judged (issue 30,
/// [`crate::filing::expectations`]).
pub fn answer_key_filed_csv(sites: &[SiteSpec], dates: Option<(time::Date, time::Date)>) -> String {
    key_csv(sites, dates, true, true)
}

fn key_csv(
    sites: &[SiteSpec],
    dates: Option<(time::Date, time::Date)>,
    browser: bool,
    filed: bool,
) -> String {
    let mut out = String::from("domain,behaviour,host,rule_id,expected\n");
    for s in sites {
        let (mut rows, mut status) = if browser {
            expectations(s)
        } else {
            expectations_without_browser(s)
        };
        let filing = crate::filing::expectations(s, filed);
        let failed = filing.iter().any(|(_, v)| *v == "fail");
        let warned = filing.iter().any(|(_, v)| *v == "warn");
        rows.extend(filing.into_iter().map(|(rule, v)| ("", rule, v)));
        if failed {
            status = "violation";
        } else if warned && status == "compliant" {
            status = "warning";
        }
        let overdue = dates.is_some_and(|(day1, as_of)| {
            crate::days::opened_on(s, day1).is_some_and(|o| as_of > o + time::Duration::days(30))
        });
        if overdue {
            for r in &mut rows {
                if r.1 == "PSB-PRESENT" {
                    r.2 = "fail";
                }
            }
            status = "violation";
        }
        for (role, rule, v) in rows {
            let host = match role {
                "apex" => s.domain.clone(),
                "www" => format!("www.{}", s.domain),
                _ => String::new(),
            };
            out.push_str(&format!(
                "{},{},{host},{rule},{v}\n",
                s.domain,
                s.behaviour.name()
            ));
        }
        out.push_str(&format!(
            "{},{},,STATUS,{status}\n",
            s.domain,
            s.behaviour.name()
        ));
        let errors = expected_errors(s);
        for role in ["apex", "www"] {
            let host = if role == "apex" {
                s.domain.clone()
            } else {
                format!("www.{}", s.domain)
            };
            for scheme in ["https", "http"] {
                let want = errors
                    .iter()
                    .find(|(r, sc, _)| *r == role && *sc == scheme)
                    .map_or("none", |(_, _, class)| class);
                out.push_str(&format!(
                    "{},{},{host},ERROR-{},{want}\n",
                    s.domain,
                    s.behaviour.name(),
                    scheme.to_ascii_uppercase()
                ));
            }
        }
    }
    out
}
