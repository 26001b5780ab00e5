//! The public-security page rules (docs/rulebook.md §2.5, §3.2, §3.3, §4.4): PSB-PRESENT,
//! PSB-FORMAT, PSB-PROVINCE, PSB-LINK, PSB-ICON and PSB-MANIFEST with its deadlines.

use beian_numbers::hosts::{MPS_HOST, MPS_LEGACY_HOSTS};
use beian_numbers::is_placeholder;
use beian_numbers::provinces::psb_prefixes_for_code;
use beian_types::{
    CandidateSource, FooterFacts, LinkVia, Manifest, PsbDue, PsbDuty, Said, Verdict, said,
};
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

fn duty_text(duty: PsbDuty) -> (&'static str, &'static str) {
    match duty {
        PsbDuty::Display => ("display the PSB number", "展示公安备案号"),
        PsbDuty::File => (
            "file with the public-security platform",
            "在公安备案平台备案",
        ),
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
            said!("no expected_psb in the manifest", "清单中没有 expected_psb"),
        );
        return;
    };
    match &facts.psb {
        Some(p) if &p.number.digits == expected => j.push(
            ids::PSB_MANIFEST,
            Verdict::Pass,
            said!("{} as in the manifest", "{} 与清单一致", p.number.canonical),
        ),
        Some(p) => j.push(
            ids::PSB_MANIFEST,
            Verdict::Fail,
            said!(
                "shows {}, manifest expects {expected}",
                "显示 {}，清单期望 {expected}",
                p.number.canonical
            ),
        ),
        None => match manifest.psb_approved_on.map(due) {
            Some(d) if as_of <= d => j.push(
                ids::PSB_MANIFEST,
                Verdict::Warn,
                said!(
                    "pending: PSB number {expected} must be displayed by {d}",
                    "待办：公安备案号 {expected} 须在 {d} 前展示"
                ),
            ),
            Some(d) => j.push(
                ids::PSB_MANIFEST,
                Verdict::Fail,
                said!(
                    "PSB number {expected} not displayed; it was due by {d}",
                    "未展示公安备案号 {expected}；截止日期为 {d}"
                ),
            ),
            None => j.push(
                ids::PSB_MANIFEST,
                Verdict::Fail,
                said!(
                    "manifest says PSB number {expected} was issued; not displayed",
                    "清单称公安备案号 {expected} 已下发；页面未展示"
                ),
            ),
        },
    }
}

pub(super) fn psb_rules(j: &mut Judge<'_>, facts: &FooterFacts, manifest: &Manifest, as_of: Date) {
    let Some(p) = &facts.psb else {
        match psb_deadline(manifest) {
            Some(PsbDue { date, duty }) if as_of > date => {
                let (en, zh) = duty_text(duty);
                j.push(
                    ids::PSB_PRESENT,
                    Verdict::Fail,
                    said!(
                        "no public-security (公网安备) number; overdue: {en} by {date}",
                        "没有公安备案号（公网安备）；已逾期：应在 {date} 前{zh}"
                    ),
                );
            }
            Some(PsbDue { date, duty }) => {
                let (en, zh) = duty_text(duty);
                j.push(
                    ids::PSB_PRESENT,
                    Verdict::Warn,
                    said!(
                        "pending: no public-security (公网安备) number yet; {en} by {date}",
                        "待办：尚无公安备案号（公网安备）；应在 {date} 前{zh}"
                    ),
                );
            }
            None => j.push(
                ids::PSB_PRESENT,
                Verdict::Warn,
                said!(
                    "no public-security (公网安备) number (due within 30 days of opening)",
                    "没有公安备案号（公网安备）（应在网站开通后 30 日内备案）"
                ),
            ),
        }
        for id in [
            ids::PSB_FORMAT,
            ids::PSB_PROVINCE,
            ids::PSB_LINK,
            ids::PSB_ICON,
        ] {
            j.push(
                id,
                Verdict::NotApplicable,
                said!("no PSB number", "没有公安备案号"),
            );
        }
        return;
    };
    let n = &p.number;
    if p.source == CandidateSource::Script {
        j.push(
            ids::PSB_PRESENT,
            Verdict::Warn,
            said!(
                "{} only inside an inline script",
                "{} 只在内联脚本中",
                n.canonical
            ),
        );
    } else {
        j.push(
            ids::PSB_PRESENT,
            Verdict::Pass,
            said!("{} in footer text", "{} 在页脚文字中", n.canonical),
        );
    }

    let code = n.digits.get(..2).unwrap_or("");
    let prefixes = psb_prefixes_for_code(code);
    let (v, e) = match (n.digits.len(), prefixes) {
        (_, None) => (
            Verdict::Fail,
            said!(
                "{}: {code} is not a province code",
                "{}：{code} 不是省级行政区代码",
                n.canonical
            ),
        ),
        (14, _) if is_placeholder(&n.digits) => (
            Verdict::Warn,
            said!(
                "{} looks like a placeholder",
                "{} 像是占位编号",
                n.canonical
            ),
        ),
        (14, _) => (
            Verdict::Pass,
            said!("{}: 14 digits", "{}：14 位", n.canonical),
        ),
        (12 | 13 | 15, _) => (
            Verdict::Warn,
            said!(
                "{}: {} digits (legacy provincial number)",
                "{}：{} 位（旧的省级编号）",
                n.canonical,
                n.digits.len()
            ),
        ),
        (len, _) => (
            Verdict::Fail,
            said!(
                "{}: {len} digits (expected 14)",
                "{}：{len} 位（应为 14 位）",
                n.canonical
            ),
        ),
    };
    // Labels and suffixes other than the platform's are a slip, not a missing number.
    let irregular = n.irregular();
    let (v, e) = if irregular.is_empty() {
        (v, e)
    } else {
        let how = Said::join_with(&irregular, ", ", "，").map(
            |w| format!("; written with {w}"),
            |w| format!("；写法：{w}"),
        );
        (v.max(Verdict::Warn), e.then(&how))
    };
    j.push(ids::PSB_FORMAT, v, e);

    match prefixes {
        _ if !n.province_shown => j.push(
            ids::PSB_PROVINCE,
            Verdict::NotApplicable,
            said!(
                "no province character written (see PSB-FORMAT)",
                "没有写省份简称（见 PSB-FORMAT）"
            ),
        ),
        None => j.push(
            ids::PSB_PROVINCE,
            Verdict::NotApplicable,
            said!(
                "province code unknown (see PSB-FORMAT)",
                "省级代码未知（见 PSB-FORMAT）"
            ),
        ),
        Some(chars) if chars.contains(&n.province) => j.push(
            ids::PSB_PROVINCE,
            Verdict::Pass,
            said!(
                "prefix {} matches code {code}",
                "简称 {} 与代码 {code} 一致",
                n.province
            ),
        ),
        Some(chars) => j.push(
            ids::PSB_PROVINCE,
            Verdict::Fail,
            said!(
                "prefix {} does not match code {code} (expected {})",
                "简称 {} 与代码 {code} 不一致（应为 {}）",
                n.province,
                chars[0]
            ),
        ),
    }

    psb_link(j, p);

    if p.icon {
        j.push(
            ids::PSB_ICON,
            Verdict::Pass,
            said!("icon shown with the PSB number", "公安备案号旁显示了图标"),
        );
    } else {
        j.push(
            ids::PSB_ICON,
            Verdict::Warn,
            said!("no PSB icon next to the number", "公安备案号旁没有图标"),
        );
    }
}

pub(super) fn psb_link(j: &mut Judge<'_>, p: &beian_types::PsbCandidate) {
    let digits = &p.number.digits;
    let Some(link) = &p.link else {
        let why = if p.source == CandidateSource::Script {
            said!("PSB number written by a script", "公安备案号由脚本写出")
        } else {
            said!("PSB number not linked", "公安备案号未加链接")
        };
        j.push(ids::PSB_LINK, Verdict::Warn, why);
        return;
    };
    let host = link.host.as_deref().unwrap_or("");
    let official = host == MPS_HOST;
    let legacy = MPS_LEGACY_HOSTS.contains(&host);
    let (v, e) = if !official && !legacy {
        (
            Verdict::Fail,
            said!(
                "PSB number links to {:?}, not {MPS_HOST}",
                "公安备案号链接到 {:?}，而不是 {MPS_HOST}",
                link.href
            ),
        )
    } else {
        match &p.link_code {
            Some(code) if code != digits => (
                Verdict::Fail,
                said!(
                    "link code {code} differs from the displayed {digits}",
                    "链接中的编号 {code} 与展示的 {digits} 不同"
                ),
            ),
            None => (
                Verdict::Warn,
                said!(
                    "link to {host} carries no code",
                    "指向 {host} 的链接没有带编号"
                ),
            ),
            Some(_) if legacy => (
                Verdict::Warn,
                said!(
                    "legacy platform link {host}; use https://{MPS_HOST}/",
                    "旧平台链接 {host}；应改为 https://{MPS_HOST}/"
                ),
            ),
            Some(_) if matches!(link.via, LinkVia::Exturl | LinkVia::Onclick) => (
                Verdict::Warn,
                said!(
                    "link to {host} only via JavaScript (exturl or onclick)",
                    "只通过 JavaScript（exturl 或 onclick）链接到 {host}"
                ),
            ),
            Some(_) => (
                Verdict::Pass,
                said!(
                    "links to {host} with code {digits}",
                    "链接到 {host}，带编号 {digits}"
                ),
            ),
        }
    };
    j.push(ids::PSB_LINK, v, e);
}
