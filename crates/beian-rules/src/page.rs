//! Page rules (docs/rulebook.md §5, rows ICP-PRESENT … LICENCE-FORMAT, the manifest rows
//! ICP-MANIFEST and PSB-MANIFEST, and issue 4's LICENCE-PRESENT) over one page's facts, the
//! site's manifest and the audit date.

mod psb;

use beian_numbers::hosts::{MIIT_HOST, MIIT_LEGACY_HOSTS};
use beian_numbers::is_placeholder;
use beian_numbers::provinces::wrong_icp_alias;
use beian_types::{
    CandidateSource, Finding, FooterFacts, Hosting, IcpCandidate, IcpForm, LinkVia, Manifest,
    NumberKind, Said, Verdict, said,
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
    fn push(&mut self, rule_id: &'static str, verdict: Verdict, evidence: Said) {
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
            evidence: evidence.en,
            evidence_zh: evidence.zh,
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
    reasons: Vec<Said>,
}

impl Worst {
    fn new() -> Self {
        Worst {
            verdict: Verdict::Pass,
            reasons: Vec::new(),
        }
    }
    fn add(&mut self, v: Verdict, reason: Said) {
        self.verdict = self.verdict.max(v);
        self.reasons.push(reason);
    }
    fn evidence(&self, ok: Said) -> Said {
        if self.reasons.is_empty() {
            ok
        } else {
            Said::join(&self.reasons)
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
            j.push(
                id,
                Verdict::NotApplicable,
                said!(
                    "manifest: hosting=overseas",
                    "清单：hosting=overseas（境外托管）"
                ),
            );
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
                    j.push(
                        id,
                        Verdict::NotApplicable,
                        said!("no ICP number in the footer", "页脚没有 ICP 编号"),
                    );
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
        said!(
            "manifest: hosting=overseas",
            "清单：hosting=overseas（境外托管）"
        )
    } else {
        said!(
            "not rendered: the HTML alone says nothing of where the number shows",
            "未渲染：仅凭 HTML 无法判断编号显示的位置"
        )
    };
    j.push(ids::ICP_PLACEMENT, Verdict::NotApplicable, why);
    j.out
}

fn icp_manifest(j: &mut Judge<'_>, shown: Option<&IcpCandidate>, manifest: &Manifest) {
    let Some(expected) = &manifest.expected_icp else {
        j.push(
            ids::ICP_MANIFEST,
            Verdict::NotApplicable,
            said!("no expected_icp in the manifest", "清单中没有 expected_icp"),
        );
        return;
    };
    let Some(c) = shown else {
        j.push(
            ids::ICP_MANIFEST,
            Verdict::NotApplicable,
            said!(
                "manifest expects {expected}; no number in the footer (see ICP-PRESENT)",
                "清单期望 {expected}；页脚没有编号（见 ICP-PRESENT）"
            ),
        );
        return;
    };
    let n = &c.number;
    if &n.canonical == expected {
        j.push(
            ids::ICP_MANIFEST,
            Verdict::Pass,
            said!("{} as in the manifest", "{} 与清单一致", n.canonical),
        );
        return;
    }
    // Guangdong may show the subject number: the same subject core is enough (§5).
    let expected_core = beian_numbers::parse_icp(expected).and_then(|e| e.subject_core());
    if n.province == Some('粤') && expected_core.is_some() && n.subject_core() == expected_core {
        j.push(
            ids::ICP_MANIFEST,
            Verdict::Pass,
            said!(
                "{} has the subject of the manifest's {expected} (Guangdong)",
                "{} 与清单的 {expected} 属同一主体（广东）",
                n.canonical
            ),
        );
        return;
    }
    j.push(
        ids::ICP_MANIFEST,
        Verdict::Fail,
        said!(
            "shows {}, manifest expects {expected}",
            "显示 {}，清单期望 {expected}",
            n.canonical
        ),
    );
}

fn licence_present(j: &mut Judge<'_>, facts: &FooterFacts, manifest: &Manifest) {
    if manifest.commercial != Some(true) {
        j.push(
            ids::LICENCE_PRESENT,
            Verdict::NotApplicable,
            said!("not marked commercial in the manifest", "清单未标为经营性"),
        );
        return;
    }
    if manifest.hosting == Some(Hosting::Overseas) {
        j.push(
            ids::LICENCE_PRESENT,
            Verdict::NotApplicable,
            said!(
                "manifest: hosting=overseas",
                "清单：hosting=overseas（境外托管）"
            ),
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
            said!(
                "commercial site without a licence number (ICP证 / B2-…) in the footer",
                "经营性网站的页脚没有经营许可证编号（ICP证 / B2-…）"
            ),
        );
    } else {
        j.push(
            ids::LICENCE_PRESENT,
            Verdict::Pass,
            said!("licence shown: {}", "显示的许可证：{}", licences.join(", ")),
        );
    }
}

fn icp_present(j: &mut Judge<'_>, primary: Option<&IcpCandidate>) {
    match primary {
        None => j.push(
            ids::ICP_PRESENT,
            Verdict::Fail,
            said!(
                "no ICP filing or licence number on the page",
                "页面上没有 ICP 备案号或许可证编号"
            ),
        ),
        Some(c) if c.source == CandidateSource::Body => j.push(
            ids::ICP_PRESENT,
            Verdict::Fail,
            said!(
                "{} appears only in body text outside the footer",
                "{} 只出现在页脚以外的正文中",
                c.number.canonical
            ),
        ),
        Some(c) => match c.source {
            CandidateSource::Text => j.push(
                ids::ICP_PRESENT,
                Verdict::Pass,
                said!("{} in footer text", "{} 在页脚文字中", c.number.canonical),
            ),
            CandidateSource::Alt | CandidateSource::Title => j.push(
                ids::ICP_PRESENT,
                Verdict::Warn,
                said!(
                    "{} only in an image {} attribute (check visually)",
                    "{} 只在图片的 {} 属性中（请目视核对）",
                    c.number.canonical,
                    c.source.as_str()
                ),
            ),
            CandidateSource::Script | CandidateSource::Body => j.push(
                ids::ICP_PRESENT,
                Verdict::Warn,
                said!(
                    "{} only inside an inline script (needs rendering)",
                    "{} 只在内联脚本中（需渲染核实）",
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
        let faults_zh: Vec<&str> = n.faults.iter().map(|f| f.describe_zh()).collect();
        let write = if n.province.is_none() && n.form != IcpForm::Licence {
            said!(
                "its province's character followed by {}",
                "省份简称加 {}",
                n.canonical
            )
        } else {
            said!("{}", "{}", n.canonical)
        };
        w.add(
            Verdict::Fail,
            Said {
                en: format!(
                    "{} is written wrong ({}): write it as {}",
                    n.matched,
                    faults.join(", "),
                    write.en
                ),
                zh: format!(
                    "{} 写法有误（{}）：应写作 {}",
                    n.matched,
                    faults_zh.join("，"),
                    write.zh
                ),
            },
        );
    }
    if let Some((bad, good)) = n
        .province
        .and_then(|bad| wrong_icp_alias(bad).map(|good| (bad, good)))
    {
        w.add(
            Verdict::Fail,
            said!(
                "prefix {bad} is not an ICP prefix (should be {good})",
                "前缀 {bad} 不是 ICP 省份简称（应为 {good}）"
            ),
        );
    }
    let len = n.digits.len();
    match n.form {
        IcpForm::Filing => {
            if len == 10 && !n.digits.starts_with("20") {
                w.add(
                    Verdict::Warn,
                    said!(
                        "10-digit serial {} does not start with 20",
                        "10 位序号 {} 不以 20 开头",
                        n.digits
                    ),
                );
            } else if len != 8 && len != 10 {
                w.add(
                    Verdict::Warn,
                    said!(
                        "unusual serial length {len} (expected 8 or 10)",
                        "序号长度 {len} 位不常见（应为 8 或 10 位）"
                    ),
                );
            }
        }
        IcpForm::IcpLicence => {
            if len != 6 {
                w.add(
                    Verdict::Warn,
                    said!(
                        "ICP证 serial has {len} digits (expected 6)",
                        "ICP证序号为 {len} 位（应为 6 位）"
                    ),
                );
            }
        }
        IcpForm::Licence => {
            if len != 8 {
                w.add(
                    Verdict::Fail,
                    said!(
                        "licence serial has {len} digits (expected 8)",
                        "许可证序号为 {len} 位（应为 8 位）"
                    ),
                );
            }
        }
    }
    if n.form != IcpForm::Licence && !n.has_hao {
        w.add(Verdict::Warn, said!("trailing 号 missing", "末尾缺少“号”"));
    }
    if let Some(l) = n.letter.filter(|l| !matches!(l, 'A' | 'X')) {
        w.add(
            Verdict::Warn,
            said!(
                "suffix letter {l} is not A (app) or X (mini program)",
                "后缀字母 {l} 不是 A（APP）或 X（小程序）"
            ),
        );
    }
    if is_placeholder(&n.digits) {
        w.add(
            Verdict::Warn,
            said!(
                "{} looks like a placeholder",
                "{} 像是占位编号",
                n.canonical
            ),
        );
    }
    let ok = said!("{} is well-formed", "{} 格式正确", n.canonical);
    j.push(ids::ICP_FORMAT, w.verdict, w.evidence(ok));
}

fn icp_link(j: &mut Judge<'_>, c: &IcpCandidate, facts: &FooterFacts) {
    let num = &c.number.canonical;
    let Some(link) = &c.link else {
        if c.source == CandidateSource::Script {
            j.push(
                ids::ICP_LINK,
                Verdict::Warn,
                said!(
                    "{num} is written by a script without an anchor",
                    "{num} 由脚本写出，没有链接"
                ),
            );
        } else if let Some(h) = facts.miit_link_hosts.first() {
            j.push(
                ids::ICP_LINK,
                Verdict::Warn,
                said!(
                    "{num} is not linked; a separate link to {h} is in the footer",
                    "{num} 未加链接；页脚另有指向 {h} 的链接"
                ),
            );
        } else {
            j.push(
                ids::ICP_LINK,
                Verdict::Fail,
                said!(
                    "{num} is not linked to {MIIT_HOST}",
                    "{num} 未链接到 {MIIT_HOST}"
                ),
            );
        }
        return;
    };
    let host = link.host.as_deref().unwrap_or("");
    let (verdict, evidence) = if host == MIIT_HOST {
        match link.via {
            LinkVia::Anchor => (
                Verdict::Pass,
                said!("{num} links to {}", "{num} 链接到 {}", link.href),
            ),
            LinkVia::Exturl => (
                Verdict::Warn,
                said!(
                    "{num} links to {host} only via a JavaScript exturl span",
                    "{num} 只通过 JavaScript 的 exturl 元素链接到 {host}"
                ),
            ),
            // The anchor exists once the script has run; whether it runs is ICP-PRESENT's.
            LinkVia::Script => (
                Verdict::Pass,
                said!(
                    "{num} links to {} in the anchor a script writes",
                    "{num} 在脚本写出的链接中指向 {}",
                    link.href
                ),
            ),
            LinkVia::Onclick => (
                Verdict::Warn,
                said!(
                    "{num} links to {host} only via a JavaScript onclick (no href)",
                    "{num} 只通过 JavaScript onclick 链接到 {host}（没有 href）"
                ),
            ),
        }
    } else if MIIT_LEGACY_HOSTS.contains(&host) {
        (
            Verdict::Warn,
            said!(
                "{num} links to the legacy host {host}; use https://{MIIT_HOST}/",
                "{num} 链接到旧域名 {host}；应改为 https://{MIIT_HOST}/"
            ),
        )
    } else {
        (
            Verdict::Fail,
            said!(
                "{num} links to {:?}, not {MIIT_HOST}",
                "{num} 链接到 {:?}，而不是 {MIIT_HOST}",
                link.href
            ),
        )
    };
    j.push(ids::ICP_LINK, verdict, evidence);
}

fn icp_kind(j: &mut Judge<'_>, c: &IcpCandidate) {
    let n = &c.number;
    let gd = n.province == Some('粤');
    let (v, why, zh) = match n.kind {
        NumberKind::Service | NumberKind::LicenceService => {
            (Verdict::Pass, "service number", "网站备案号（服务号）")
        }
        NumberKind::Subject if gd => (Verdict::Pass, "Guangdong subject number", "广东主体备案号"),
        NumberKind::Subject => (
            Verdict::Fail,
            "subject number outside Guangdong; the footer must show the service number (号-N)",
            "广东以外的主体备案号；页脚须显示网站备案号（号-N）",
        ),
        NumberKind::Licence if gd => (Verdict::Pass, "Guangdong licence number", "广东许可证编号"),
        NumberKind::Licence => (
            Verdict::Warn,
            "bare licence number outside Guangdong",
            "广东以外只显示了许可证编号",
        ),
        NumberKind::App => (
            Verdict::Fail,
            "APP / mini-program number shown on a website",
            "网站上显示的是 APP / 小程序备案号",
        ),
    };
    j.push(
        ids::ICP_KIND,
        v,
        said!("{}: {why}", "{}：{zh}", n.canonical),
    );
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
            said!(
                "{} filing subject(s) in the footer",
                "页脚有 {} 个备案主体",
                cores.len()
            ),
        );
    } else {
        j.push(
            ids::ICP_MULTI,
            Verdict::Warn,
            said!(
                "several filing subjects: {}",
                "多个备案主体：{}",
                cores.join(", ")
            ),
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
            said!("not a Jiangsu filing", "非江苏备案"),
        );
        return;
    }
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    match (&facts.copyright_holder, &manifest.org_name) {
        (Some(h), Some(org)) if squeeze(h) != squeeze(org) => j.push(
            ids::COPYRIGHT,
            Verdict::Fail,
            said!(
                "copyright holder {h} is not the filing organisation {org}",
                "版权所有者 {h} 不是备案主体 {org}"
            ),
        ),
        (Some(h), _) => j.push(
            ids::COPYRIGHT,
            Verdict::Pass,
            said!("copyright holder: {h}", "版权所有者：{h}"),
        ),
        (None, _) => j.push(
            ids::COPYRIGHT,
            Verdict::Fail,
            said!(
                "Jiangsu filing without a copyright line (版权所有) naming the organisation",
                "江苏备案的页脚没有写明主体名称的版权信息（版权所有）"
            ),
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
            said!("no licence number in the footer", "页脚没有许可证编号"),
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
            said!("well-formed: {}", "格式正确：{}", all.join(", ")),
        );
    } else {
        j.push(
            ids::LICENCE_FORMAT,
            Verdict::Fail,
            said!(
                "malformed licence number: {}",
                "许可证编号格式有误：{}",
                bad.join(", ")
            ),
        );
    }
}
