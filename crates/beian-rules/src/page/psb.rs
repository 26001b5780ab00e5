//! The public-security page rules (docs/rulebook.md §2.5, §3.2, §3.3, §4.4): PSB-PRESENT,
//! PSB-FORMAT, PSB-PROVINCE, PSB-LINK, PSB-ICON and PSB-MANIFEST with its deadlines.

use beian_numbers::hosts::{MPS_HOST, MPS_LEGACY_HOSTS};
use beian_numbers::is_placeholder;
use beian_numbers::provinces::psb_prefixes_for_code;
use beian_types::{CandidateSource, FooterFacts, LinkVia, Manifest, PsbDue, PsbDuty, Verdict};
use time::Date;

use super::{Judge, due};
use crate::ids;

/// When a missing PSB number stops being pending: 30 days after approval, else 30 days after
/// opening (the filing itself is late then). `None` without a manifest date.
pub(crate) fn psb_deadline(manifest: &Manifest) -> Option<PsbDue> {
    match (manifest.psb_approved_on, manifest.opened_on) {
        (Some(a), _) => Some(PsbDue {
            date: due(a),
            duty: PsbDuty::Display,
        }),
        (None, Some(o)) => Some(PsbDue {
            date: due(o),
            duty: PsbDuty::File,
        }),
        (None, None) => None,
    }
}

fn duty_text(duty: PsbDuty) -> &'static str {
    match duty {
        PsbDuty::Display => "display the PSB number",
        PsbDuty::File => "file with the public-security platform",
    }
}

pub(super) fn psb_manifest(
    j: &mut Judge<'_>,
    facts: &FooterFacts,
    manifest: &Manifest,
    as_of: Date,
) {
    let Some(expected) = &manifest.expected_psb else {
        j.push(
            ids::PSB_MANIFEST,
            Verdict::NotApplicable,
            "no expected_psb in the manifest",
        );
        return;
    };
    match &facts.psb {
        Some(p) if &p.number.digits == expected => j.push(
            ids::PSB_MANIFEST,
            Verdict::Pass,
            format!("{} as in the manifest", p.number.canonical),
        ),
        Some(p) => j.push(
            ids::PSB_MANIFEST,
            Verdict::Fail,
            format!("shows {}, manifest expects {expected}", p.number.canonical),
        ),
        None => match manifest.psb_approved_on.map(due) {
            Some(d) if as_of <= d => j.push(
                ids::PSB_MANIFEST,
                Verdict::Warn,
                format!("pending: PSB number {expected} must be displayed by {d}"),
            ),
            Some(d) => j.push(
                ids::PSB_MANIFEST,
                Verdict::Fail,
                format!("PSB number {expected} not displayed; it was due by {d}"),
            ),
            None => j.push(
                ids::PSB_MANIFEST,
                Verdict::Fail,
                format!("manifest says PSB number {expected} was issued; not displayed"),
            ),
        },
    }
}

pub(super) fn psb_rules(j: &mut Judge<'_>, facts: &FooterFacts, manifest: &Manifest, as_of: Date) {
    let Some(p) = &facts.psb else {
        match psb_deadline(manifest) {
            Some(PsbDue { date, duty }) if as_of > date => j.push(
                ids::PSB_PRESENT,
                Verdict::Fail,
                format!(
                    "no public-security (公网安备) number; overdue: {} by {date}",
                    duty_text(duty)
                ),
            ),
            Some(PsbDue { date, duty }) => j.push(
                ids::PSB_PRESENT,
                Verdict::Warn,
                format!(
                    "pending: no public-security (公网安备) number yet; {} by {date}",
                    duty_text(duty)
                ),
            ),
            None => j.push(
                ids::PSB_PRESENT,
                Verdict::Warn,
                "no public-security (公网安备) number (due within 30 days of opening)",
            ),
        }
        for id in [
            ids::PSB_FORMAT,
            ids::PSB_PROVINCE,
            ids::PSB_LINK,
            ids::PSB_ICON,
        ] {
            j.push(id, Verdict::NotApplicable, "no PSB number");
        }
        return;
    };
    let n = &p.number;
    if p.source == CandidateSource::Script {
        j.push(
            ids::PSB_PRESENT,
            Verdict::Warn,
            format!("{} only inside an inline script", n.canonical),
        );
    } else {
        j.push(
            ids::PSB_PRESENT,
            Verdict::Pass,
            format!("{} in footer text", n.canonical),
        );
    }

    let code = n.digits.get(..2).unwrap_or("");
    let prefixes = psb_prefixes_for_code(code);
    let (v, e) = match (n.digits.len(), prefixes) {
        (_, None) => (
            Verdict::Fail,
            format!("{}: {code} is not a province code", n.canonical),
        ),
        (14, _) if is_placeholder(&n.digits) => (
            Verdict::Warn,
            format!("{} looks like a placeholder", n.canonical),
        ),
        (14, _) => (Verdict::Pass, format!("{}: 14 digits", n.canonical)),
        (12 | 13 | 15, _) => (
            Verdict::Warn,
            format!(
                "{}: {} digits (legacy provincial number)",
                n.canonical,
                n.digits.len()
            ),
        ),
        (len, _) => (
            Verdict::Fail,
            format!("{}: {len} digits (expected 14)", n.canonical),
        ),
    };
    // Labels and suffixes other than the platform's are a slip, not a missing number.
    let irregular = n.irregular();
    let (v, e) = if irregular.is_empty() {
        (v, e)
    } else {
        (
            v.max(Verdict::Warn),
            format!("{e}; written with {}", irregular.join(", ")),
        )
    };
    j.push(ids::PSB_FORMAT, v, e);

    match prefixes {
        _ if !n.province_shown => j.push(
            ids::PSB_PROVINCE,
            Verdict::NotApplicable,
            "no province character written (see PSB-FORMAT)",
        ),
        None => j.push(
            ids::PSB_PROVINCE,
            Verdict::NotApplicable,
            "province code unknown (see PSB-FORMAT)",
        ),
        Some(chars) if chars.contains(&n.province) => j.push(
            ids::PSB_PROVINCE,
            Verdict::Pass,
            format!("prefix {} matches code {code}", n.province),
        ),
        Some(chars) => j.push(
            ids::PSB_PROVINCE,
            Verdict::Fail,
            format!(
                "prefix {} does not match code {code} (expected {})",
                n.province, chars[0]
            ),
        ),
    }

    psb_link(j, p);

    if p.icon {
        j.push(
            ids::PSB_ICON,
            Verdict::Pass,
            "icon shown with the PSB number",
        );
    } else {
        j.push(
            ids::PSB_ICON,
            Verdict::Warn,
            "no PSB icon next to the number",
        );
    }
}

pub(super) fn psb_link(j: &mut Judge<'_>, p: &beian_types::PsbCandidate) {
    let digits = &p.number.digits;
    let Some(link) = &p.link else {
        let why = if p.source == CandidateSource::Script {
            "written by a script"
        } else {
            "not linked"
        };
        j.push(ids::PSB_LINK, Verdict::Warn, format!("PSB number {why}"));
        return;
    };
    let host = link.host.as_deref().unwrap_or("");
    let official = host == MPS_HOST;
    let legacy = MPS_LEGACY_HOSTS.contains(&host);
    let (v, e) = if !official && !legacy {
        (
            Verdict::Fail,
            format!("PSB number links to {:?}, not {MPS_HOST}", link.href),
        )
    } else {
        match &p.link_code {
            Some(code) if code != digits => (
                Verdict::Fail,
                format!("link code {code} differs from the displayed {digits}"),
            ),
            None => (Verdict::Warn, format!("link to {host} carries no code")),
            Some(_) if legacy => (
                Verdict::Warn,
                format!("legacy platform link {host}; use https://{MPS_HOST}/"),
            ),
            Some(_) if matches!(link.via, LinkVia::Exturl | LinkVia::Onclick) => (
                Verdict::Warn,
                format!("link to {host} only via JavaScript (exturl or onclick)"),
            ),
            Some(_) => (Verdict::Pass, format!("links to {host} with code {digits}")),
        }
    };
    j.push(ids::PSB_LINK, v, e);
}
