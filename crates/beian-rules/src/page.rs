//! Page rules (docs/rulebook.md §5, rows ICP-PRESENT … LICENCE-FORMAT, the manifest rows
//! ICP-MANIFEST and PSB-MANIFEST, and issue 4's LICENCE-PRESENT) over one page's facts, the
//! site's manifest and the audit date.

mod psb;

use beian_numbers::hosts::{MIIT_HOST, MIIT_LEGACY_HOSTS};
use beian_numbers::is_placeholder;
use beian_numbers::provinces::wrong_icp_alias;
use beian_types::{
    CandidateSource, Finding, FooterFacts, Hosting, IcpCandidate, IcpForm, LinkVia, Manifest,
    NumberKind, Verdict,
};
use time::Date;

use crate::catalogue;
use crate::ids;
pub(crate) use psb::psb_deadline;
use psb::{psb_manifest, psb_rules};

/// Days after `opened_on` to file with the public-security platform, and after
/// `psb_approved_on` to display the number (§4.4, [S2]).
pub(crate) const PSB_DAYS: i64 = 30;

/// One fetched page to judge.
#[derive(Debug, Clone, Copy)]
pub struct PageInput<'a> {
    /// Host the page was requested for.
    pub host: &'a str,
    /// Final URL of the page.
    pub url: &'a str,
    /// What the extractor found.
    pub facts: &'a FooterFacts,
    /// What the manifest says about the site (empty without one).
    pub manifest: &'a Manifest,
    /// The audit date (`--as-of`): deadlines are judged against it.
    pub as_of: Date,
}

struct Judge<'a> {
    page: &'a PageInput<'a>,
    out: Vec<Finding>,
}

impl Judge<'_> {
    /// Adds a finding with the number it is about: ICP-* rules are about the primary ICP
    /// candidate, LICENCE-* rules about the first licence number, PSB-* rules about the PSB
    /// number; a warn or fail carries the catalogue's fix.
    fn push(&mut self, rule_id: &'static str, verdict: Verdict, evidence: impl Into<String>) {
        let facts = self.page.facts;
        let (number, link_host) = if rule_id.starts_with("PSB-") {
            facts.psb.as_ref().map_or((None, None), |p| {
                (
                    Some(p.number.canonical.clone()),
                    p.link.as_ref().and_then(|l| l.host.clone()),
                )
            })
        } else if rule_id.starts_with("ICP-") || rule_id.starts_with("LICENCE-") {
            let about = if rule_id.starts_with("LICENCE-") {
                facts
                    .icp_all
                    .iter()
                    .find(|c| c.number.form != IcpForm::Filing)
            } else {
                facts.primary.as_ref()
            };
            about.map_or((None, None), |c| {
                (
                    Some(c.number.canonical.clone()),
                    c.link.as_ref().and_then(|l| l.host.clone()),
                )
            })
        } else {
            (None, None)
        };
        self.out.push(Finding {
            rule_id,
            verdict,
            host: Some(self.page.host.to_string()),
            url: Some(self.page.url.to_string()),
            evidence: evidence.into(),
            number,
            link_host,
            fix: catalogue::fix_for(rule_id, verdict),
        });
    }
}

/// The day a 30-day duty that starts on `from` falls due.
fn due(from: Date) -> Date {
    from.saturating_add(time::Duration::days(PSB_DAYS))
}

/// Accumulates the worst verdict and its reasons for rules that check several conditions.
struct Worst {
    verdict: Verdict,
    reasons: Vec<String>,
}

impl Worst {
    fn new() -> Self {
        Worst {
            verdict: Verdict::Pass,
            reasons: Vec::new(),
        }
    }
    fn add(&mut self, v: Verdict, reason: String) {
        self.verdict = self.verdict.max(v);
        self.reasons.push(reason);
    }
    fn evidence(&self, ok: &str) -> String {
        if self.reasons.is_empty() {
            ok.to_string()
        } else {
            self.reasons.join("; ")
        }
    }
}

/// All page rules for one page, in catalogue order.
pub fn page_rules(page: &PageInput<'_>) -> Vec<Finding> {
    let facts = page.facts;
    let mut j = Judge {
        page,
        out: Vec::with_capacity(ids::PAGE_RULES.len()),
    };
    let primary = facts.primary.as_ref();
    // In scope: footer region (text/alt/title) or a script (§5 preamble); body text is not.
    let in_scope = primary.filter(|c| c.source != CandidateSource::Body);
    let manifest = page.manifest;

    if manifest.hosting == Some(Hosting::Overseas) {
        for id in [
            ids::ICP_PRESENT,
            ids::ICP_FORMAT,
            ids::ICP_LINK,
            ids::ICP_KIND,
            ids::ICP_MULTI,
            ids::ICP_MANIFEST,
        ] {
            j.push(id, Verdict::NotApplicable, "manifest: hosting=overseas");
        }
    } else {
        icp_present(&mut j, primary);
        match in_scope {
            Some(c) => {
                icp_format(&mut j, c);
                icp_link(&mut j, c, facts);
                icp_kind(&mut j, c);
                icp_multi(&mut j, facts);
            }
            None => {
                for id in [
                    ids::ICP_FORMAT,
                    ids::ICP_LINK,
                    ids::ICP_KIND,
                    ids::ICP_MULTI,
                ] {
                    j.push(id, Verdict::NotApplicable, "no ICP number in the footer");
                }
            }
        }
        icp_manifest(&mut j, in_scope, manifest);
    }
    psb_rules(&mut j, facts, manifest, page.as_of);
    psb_manifest(&mut j, facts, manifest, page.as_of);
    copyright(&mut j, in_scope, facts, manifest);
    licence_format(&mut j, facts);
    licence_present(&mut j, facts, manifest);
    // Placement needs the rendered page's layout: judge_site judges it when there is one.
    let why = if manifest.hosting == Some(Hosting::Overseas) {
        "manifest: hosting=overseas"
    } else {
        "not rendered: the HTML alone says nothing of where the number shows"
    };
    j.push(ids::ICP_PLACEMENT, Verdict::NotApplicable, why);
    j.out
}

fn icp_manifest(j: &mut Judge<'_>, shown: Option<&IcpCandidate>, manifest: &Manifest) {
    let Some(expected) = &manifest.expected_icp else {
        j.push(
            ids::ICP_MANIFEST,
            Verdict::NotApplicable,
            "no expected_icp in the manifest",
        );
        return;
    };
    let Some(c) = shown else {
        j.push(
            ids::ICP_MANIFEST,
            Verdict::NotApplicable,
            format!("manifest expects {expected}; no number in the footer (see ICP-PRESENT)"),
        );
        return;
    };
    let n = &c.number;
    if &n.canonical == expected {
        j.push(
            ids::ICP_MANIFEST,
            Verdict::Pass,
            format!("{} as in the manifest", n.canonical),
        );
        return;
    }
    // Guangdong may show the subject number: the same subject core is enough (§5).
    let expected_core = beian_numbers::parse_icp(expected).and_then(|e| e.subject_core());
    if n.province == Some('粤') && expected_core.is_some() && n.subject_core() == expected_core {
        j.push(
            ids::ICP_MANIFEST,
            Verdict::Pass,
            format!(
                "{} has the subject of the manifest's {expected} (Guangdong)",
                n.canonical
            ),
        );
        return;
    }
    j.push(
        ids::ICP_MANIFEST,
        Verdict::Fail,
        format!("shows {}, manifest expects {expected}", n.canonical),
    );
}

fn licence_present(j: &mut Judge<'_>, facts: &FooterFacts, manifest: &Manifest) {
    if manifest.commercial != Some(true) {
        j.push(
            ids::LICENCE_PRESENT,
            Verdict::NotApplicable,
            "not marked commercial in the manifest",
        );
        return;
    }
    if manifest.hosting == Some(Hosting::Overseas) {
        j.push(
            ids::LICENCE_PRESENT,
            Verdict::NotApplicable,
            "manifest: hosting=overseas",
        );
        return;
    }
    let licences: Vec<&str> = facts
        .icp_all
        .iter()
        .filter(|c| c.number.form != IcpForm::Filing)
        .map(|c| c.number.canonical.as_str())
        .collect();
    if licences.is_empty() {
        j.push(
            ids::LICENCE_PRESENT,
            Verdict::Fail,
            "commercial site without a licence number (ICP证 / B2-…) in the footer",
        );
    } else {
        j.push(
            ids::LICENCE_PRESENT,
            Verdict::Pass,
            format!("licence shown: {}", licences.join(", ")),
        );
    }
}

fn icp_present(j: &mut Judge<'_>, primary: Option<&IcpCandidate>) {
    match primary {
        None => j.push(
            ids::ICP_PRESENT,
            Verdict::Fail,
            "no ICP filing or licence number on the page",
        ),
        Some(c) if c.source == CandidateSource::Body => j.push(
            ids::ICP_PRESENT,
            Verdict::Fail,
            format!(
                "{} appears only in body text outside the footer",
                c.number.canonical
            ),
        ),
        Some(c) => match c.source {
            CandidateSource::Text => j.push(
                ids::ICP_PRESENT,
                Verdict::Pass,
                format!("{} in footer text", c.number.canonical),
            ),
            CandidateSource::Alt | CandidateSource::Title => j.push(
                ids::ICP_PRESENT,
                Verdict::Warn,
                format!(
                    "{} only in an image {} attribute (check visually)",
                    c.number.canonical,
                    c.source.as_str()
                ),
            ),
            CandidateSource::Script | CandidateSource::Body => j.push(
                ids::ICP_PRESENT,
                Verdict::Warn,
                format!(
                    "{} only inside an inline script (needs rendering)",
                    c.number.canonical
                ),
            ),
        },
    }
}

fn icp_format(j: &mut Judge<'_>, c: &IcpCandidate) {
    let n = &c.number;
    let mut w = Worst::new();
    if !n.faults.is_empty() {
        // A near miss (§2.8): the number a reader sees, written wrong.
        let faults: Vec<&str> = n.faults.iter().map(|f| f.describe()).collect();
        let write = if n.province.is_none() && n.form != IcpForm::Licence {
            format!("its province's character followed by {}", n.canonical)
        } else {
            n.canonical.clone()
        };
        w.add(
            Verdict::Fail,
            format!(
                "{} is written wrong ({}): write it as {write}",
                n.matched,
                faults.join(", ")
            ),
        );
    }
    if let Some((bad, good)) = n
        .province
        .and_then(|bad| wrong_icp_alias(bad).map(|good| (bad, good)))
    {
        w.add(
            Verdict::Fail,
            format!("prefix {bad} is not an ICP prefix (should be {good})"),
        );
    }
    let len = n.digits.len();
    match n.form {
        IcpForm::Filing => {
            if len == 10 && !n.digits.starts_with("20") {
                w.add(
                    Verdict::Warn,
                    format!("10-digit serial {} does not start with 20", n.digits),
                );
            } else if len != 8 && len != 10 {
                w.add(
                    Verdict::Warn,
                    format!("unusual serial length {len} (expected 8 or 10)"),
                );
            }
        }
        IcpForm::IcpLicence => {
            if len != 6 {
                w.add(
                    Verdict::Warn,
                    format!("ICP证 serial has {len} digits (expected 6)"),
                );
            }
        }
        IcpForm::Licence => {
            if len != 8 {
                w.add(
                    Verdict::Fail,
                    format!("licence serial has {len} digits (expected 8)"),
                );
            }
        }
    }
    if n.form != IcpForm::Licence && !n.has_hao {
        w.add(Verdict::Warn, "trailing 号 missing".to_string());
    }
    if let Some(l) = n.letter.filter(|l| !matches!(l, 'A' | 'X')) {
        w.add(
            Verdict::Warn,
            format!("suffix letter {l} is not A (app) or X (mini program)"),
        );
    }
    if is_placeholder(&n.digits) {
        w.add(
            Verdict::Warn,
            format!("{} looks like a placeholder", n.canonical),
        );
    }
    let ok = format!("{} is well-formed", n.canonical);
    j.push(ids::ICP_FORMAT, w.verdict, w.evidence(&ok));
}

fn icp_link(j: &mut Judge<'_>, c: &IcpCandidate, facts: &FooterFacts) {
    let num = &c.number.canonical;
    let Some(link) = &c.link else {
        if c.source == CandidateSource::Script {
            j.push(
                ids::ICP_LINK,
                Verdict::Warn,
                format!("{num} is written by a script without an anchor"),
            );
        } else if let Some(h) = facts.miit_link_hosts.first() {
            j.push(
                ids::ICP_LINK,
                Verdict::Warn,
                format!("{num} is not linked; a separate link to {h} is in the footer"),
            );
        } else {
            j.push(
                ids::ICP_LINK,
                Verdict::Fail,
                format!("{num} is not linked to {MIIT_HOST}"),
            );
        }
        return;
    };
    let host = link.host.as_deref().unwrap_or("");
    let (verdict, evidence) = if host == MIIT_HOST {
        match link.via {
            LinkVia::Anchor => (Verdict::Pass, format!("{num} links to {}", link.href)),
            LinkVia::Exturl => (
                Verdict::Warn,
                format!("{num} links to {host} only via a JavaScript exturl span"),
            ),
            // The anchor exists once the script has run; whether it runs is ICP-PRESENT's.
            LinkVia::Script => (
                Verdict::Pass,
                format!("{num} links to {} in the anchor a script writes", link.href),
            ),
            LinkVia::Onclick => (
                Verdict::Warn,
                format!("{num} links to {host} only via a JavaScript onclick (no href)"),
            ),
        }
    } else if MIIT_LEGACY_HOSTS.contains(&host) {
        (
            Verdict::Warn,
            format!("{num} links to the legacy host {host}; use https://{MIIT_HOST}/"),
        )
    } else {
        (
            Verdict::Fail,
            format!("{num} links to {:?}, not {MIIT_HOST}", link.href),
        )
    };
    j.push(ids::ICP_LINK, verdict, evidence);
}

fn icp_kind(j: &mut Judge<'_>, c: &IcpCandidate) {
    let n = &c.number;
    let gd = n.province == Some('粤');
    let (v, why) = match n.kind {
        NumberKind::Service | NumberKind::LicenceService => (Verdict::Pass, "service number"),
        NumberKind::Subject if gd => (Verdict::Pass, "Guangdong subject number"),
        NumberKind::Subject => (
            Verdict::Fail,
            "subject number outside Guangdong; the footer must show the service number (号-N)",
        ),
        NumberKind::Licence if gd => (Verdict::Pass, "Guangdong licence number"),
        NumberKind::Licence => (Verdict::Warn, "bare licence number outside Guangdong"),
        NumberKind::App => (
            Verdict::Fail,
            "APP / mini-program number shown on a website",
        ),
    };
    j.push(ids::ICP_KIND, v, format!("{}: {why}", n.canonical));
}

fn icp_multi(j: &mut Judge<'_>, facts: &FooterFacts) {
    // The footer's numbers when it has any: another subject's number in an article or in a
    // script elsewhere on the page is not a leftover in the footer (rulebook §5).
    let any_in_footer = facts.icp_all.iter().any(|c| c.in_footer);
    let mut cores: Vec<String> = facts
        .icp_all
        .iter()
        .filter(|c| c.in_footer || !any_in_footer)
        .filter_map(|c| c.number.subject_core())
        .collect();
    cores.sort();
    cores.dedup();
    if cores.len() <= 1 {
        j.push(
            ids::ICP_MULTI,
            Verdict::Pass,
            format!("{} filing subject(s) in the footer", cores.len()),
        );
    } else {
        j.push(
            ids::ICP_MULTI,
            Verdict::Warn,
            format!("several filing subjects: {}", cores.join(", ")),
        );
    }
}

fn copyright(
    j: &mut Judge<'_>,
    primary: Option<&IcpCandidate>,
    facts: &FooterFacts,
    manifest: &Manifest,
) {
    if primary.and_then(|c| c.number.province) != Some('苏') && manifest.province != Some('苏') {
        j.push(
            ids::COPYRIGHT,
            Verdict::NotApplicable,
            "not a Jiangsu filing",
        );
        return;
    }
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    match (&facts.copyright_holder, &manifest.org_name) {
        (Some(h), Some(org)) if squeeze(h) != squeeze(org) => j.push(
            ids::COPYRIGHT,
            Verdict::Fail,
            format!("copyright holder {h} is not the filing organisation {org}"),
        ),
        (Some(h), _) => j.push(
            ids::COPYRIGHT,
            Verdict::Pass,
            format!("copyright holder: {h}"),
        ),
        (None, _) => j.push(
            ids::COPYRIGHT,
            Verdict::Fail,
            "Jiangsu filing without a copyright line (版权所有) naming the organisation",
        ),
    }
}

fn licence_format(j: &mut Judge<'_>, facts: &FooterFacts) {
    let licences: Vec<&IcpCandidate> = facts
        .icp_all
        .iter()
        .filter(|c| c.number.form != IcpForm::Filing)
        .collect();
    if licences.is_empty() {
        j.push(
            ids::LICENCE_FORMAT,
            Verdict::NotApplicable,
            "no licence number in the footer",
        );
        return;
    }
    let bad: Vec<&str> = licences
        .iter()
        .filter(|c| {
            let d = &c.number.digits;
            match c.number.form {
                IcpForm::IcpLicence => d.len() != 6,
                _ => d.len() != 8 || !d.starts_with("20"),
            }
        })
        .map(|c| c.number.canonical.as_str())
        .collect();
    if bad.is_empty() {
        let all: Vec<&str> = licences
            .iter()
            .map(|c| c.number.canonical.as_str())
            .collect();
        j.push(
            ids::LICENCE_FORMAT,
            Verdict::Pass,
            format!("well-formed: {}", all.join(", ")),
        );
    } else {
        j.push(
            ids::LICENCE_FORMAT,
            Verdict::Fail,
            format!("malformed licence number: {}", bad.join(", ")),
        );
    }
}
