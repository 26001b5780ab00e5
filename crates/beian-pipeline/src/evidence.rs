//! Which probes of a site go into the evidence (`--evidence`, docs/SCHEMA.md "Evidence"): with
//! `failing`, the pages a failing or warning verdict was judged on and the hops that led
//! there — the probes whose page a finding names, or, for a finding that names no page, every
//! probe of its host (or of the site, for a site rule). Pure.

use beian_types::{EvidenceMode, FetchRow, Finding, Verdict};

/// The indices of the `rows` whose exchanges `mode` keeps, given the site's `findings`.
pub(crate) fn captured<'a>(
    mode: EvidenceMode,
    rows: &'a [FetchRow],
    findings: &'a [Finding],
) -> impl Iterator<Item = usize> + 'a {
    let failing: Vec<&Finding> = findings
        .iter()
        .filter(|f| matches!(f.verdict, Verdict::Fail | Verdict::Warn))
        .collect();
    rows.iter().enumerate().filter_map(move |(i, row)| {
        let keep = match mode {
            EvidenceMode::None => false,
            EvidenceMode::All => true,
            EvidenceMode::Failing => failing.iter().any(|f| judged_on(f, row)),
        };
        keep.then_some(i)
    })
}

/// Whether finding `f` was judged on the probe `row`.
fn judged_on(f: &Finding, row: &FetchRow) -> bool {
    match (&f.url, &f.host) {
        (Some(url), _) => row.final_url.as_deref() == Some(url.as_str()) || row.url == *url,
        (None, Some(host)) => row.host == *host,
        (None, None) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(host: &str, url: &str, final_url: &str) -> FetchRow {
        FetchRow {
            host: host.into(),
            url: url.into(),
            final_url: Some(final_url.into()),
            ..FetchRow::default()
        }
    }

    fn finding(verdict: Verdict, host: Option<&str>, url: Option<&str>) -> Finding {
        Finding {
            rule_id: "ICP-LINK",
            verdict,
            host: host.map(str::to_string),
            url: url.map(str::to_string),
            evidence: String::new(),
            evidence_zh: String::new(),
            number: None,
            link_host: None,
            fix: None,
        }
    }

    #[test]
    fn the_judged_pages_of_failing_and_warning_findings_are_kept() {
        let rows = [
            row("a.cn", "https://a.cn/", "https://www.a.cn/"),
            row("a.cn", "http://a.cn/", "https://www.a.cn/"),
            row("www.a.cn", "https://www.a.cn/", "https://www.a.cn/"),
            row("b.a.cn", "https://b.a.cn/", "https://b.a.cn/x"),
        ];
        let kept = |findings: &[Finding], mode| captured(mode, &rows, findings).collect::<Vec<_>>();
        let page = finding(Verdict::Fail, Some("www.a.cn"), Some("https://www.a.cn/"));
        assert_eq!(
            kept(std::slice::from_ref(&page), EvidenceMode::Failing),
            [0, 1, 2]
        );
        // A passing verdict keeps nothing; `all` keeps every probe, `none` none.
        let pass = finding(Verdict::Pass, Some("www.a.cn"), Some("https://www.a.cn/"));
        assert!(kept(std::slice::from_ref(&pass), EvidenceMode::Failing).is_empty());
        assert_eq!(kept(&[pass], EvidenceMode::All), [0, 1, 2, 3]);
        assert!(kept(&[page], EvidenceMode::None).is_empty());
        // A host's rule without a page: that host's probes; a site rule: every probe.
        let host = finding(Verdict::Warn, Some("b.a.cn"), None);
        assert_eq!(kept(&[host], EvidenceMode::Failing), [3]);
        let site = finding(Verdict::Fail, None, None);
        assert_eq!(kept(&[site], EvidenceMode::Failing), [0, 1, 2, 3]);
    }
}
