//! The filing rules (docs/rulebook.md §5.3): does the site match what was filed? SITE-NAME,
//! SITE-INTERACTIVE, SITE-SCOPE, SITE-FILED-IP and SITE-LANG judge the page facts of both hosts
//! (§6.15) and what DNS answered against the manifest's filing columns. They warn, never
//! fail: a home page shows part of a site, and the filing system, not the page, is the record.
//! SITE-OTHER-DOMAINS judges the filing's other domains (从域名), probed with the site: each
//! must show the site's number, and one that shows another number or a parked page fails —
//! that the page shows, not what it is. Each is n/a without its manifest column.

use beian_types::{
    Feature, Finding, FooterFacts, Manifest, PageClass, Said, SubjectType, Verdict, said,
};

use crate::observation::{HostObservation, PageObservation};
use crate::site::{shown_number, site_finding};
use crate::{access, ids};

/// The filing rules for one domain, in catalogue order.
pub(crate) fn filing_rules(hosts: &[HostObservation], manifest: &Manifest) -> Vec<Finding> {
    vec![
        site_name(hosts, manifest),
        site_interactive(hosts, manifest),
        site_scope(hosts, manifest),
        site_filed_ip(hosts, manifest),
        site_lang(hosts, manifest),
    ]
}

fn pages(hosts: &[HostObservation]) -> impl Iterator<Item = &PageObservation> {
    hosts.iter().filter_map(|h| h.page.as_ref())
}

fn na(rule: &'static str, why: Said) -> Finding {
    site_finding(rule, Verdict::NotApplicable, why)
}

/// "manifest: no `column`" in both languages.
fn no_column(rule: &'static str, column: &str) -> Finding {
    na(rule, said!("manifest: no {column}", "清单中没有 {column}"))
}

fn no_page(rule: &'static str) -> Finding {
    na(rule, said!("no host showed a page", "没有主机显示页面"))
}

/// Where a shown name stands, in Chinese ([`shown_names`]'s sources).
fn source_zh(source: &str) -> &str {
    match source {
        "title" => "标题",
        "logo" => "标志",
        "copyright" => "版权信息",
        other => other,
    }
}

/// The features of every page, each kind and product once, in host order.
fn features(hosts: &[HostObservation], keep: impl Fn(&Feature) -> bool) -> Vec<&Feature> {
    let mut out: Vec<&Feature> = Vec::new();
    for f in pages(hosts).flat_map(|p| &p.facts.page.features) {
        if keep(f) && !out.iter().any(|o| o.kind == f.kind && o.what == f.what) {
            out.push(f);
        }
    }
    out
}

fn listed(features: &[&Feature]) -> String {
    features
        .iter()
        .map(|f| f.describe())
        .collect::<Vec<_>>()
        .join("; ")
}

// ---------------------------------------------------------------------------------------------
// SITE-NAME

/// Suffixes a shown name carries that the filed name need not (§5.3): 官网, 首页, 欢迎您 …
const NAME_SUFFIXES: &[&str] = &[
    "官方网站",
    "官方商城",
    "官网",
    "首页",
    "主页",
    "欢迎您",
    "欢迎你",
    "移动版",
    "手机版",
    "网站",
];
/// Prefixes of greeting titles.
const NAME_PREFIXES: &[&str] = &["欢迎光临", "欢迎访问", "欢迎来到"];
/// Organisation forms: the filed name may be the short name or the full one.
const ORG_SUFFIXES: &[&str] = &[
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团",
    "公司",
    "工作室",
];
/// Where titles join a page's name, the site's name and slogans.
const TITLE_SEPARATORS: &[char] = &[
    '-', '_', '|', '｜', '–', '—', '·', '丨', ',', '，', ':', '：', '»', '>', '【', '】', '(', ')',
    '（', '）', '/', '~',
];

/// A name compared: full-width forms folded, lower case, only letters and digits, the usual
/// affixes removed.
pub(crate) fn name_key(s: &str) -> String {
    let folded: String = s
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect();
    let mut key = folded.as_str();
    loop {
        let before = key.len();
        for p in NAME_PREFIXES {
            key = key.strip_prefix(p).unwrap_or(key);
        }
        for s in NAME_SUFFIXES {
            key = key.strip_suffix(s).unwrap_or(key);
        }
        if key.len() == before {
            break;
        }
    }
    key.to_string()
}

/// The filed name's keys: itself, and without its organisation form.
fn filed_keys(filed: &str) -> Vec<String> {
    let key = name_key(filed);
    let mut keys = vec![key.clone()];
    for s in ORG_SUFFIXES {
        if let Some(short) = key.strip_suffix(s).filter(|k| k.chars().count() >= 2) {
            keys.push(short.to_string());
            break;
        }
    }
    keys
}

/// Whether a shown name `shown` names the filed name: one holds the other, the shorter one
/// being at least half the longer (so that 官网 alone or one shared character does not match).
fn names_match(shown: &str, filed_keys: &[String]) -> bool {
    let s = name_key(shown);
    let n = s.chars().count();
    n >= 2
        && filed_keys.iter().any(|f| {
            let m = f.chars().count();
            m >= 2 && (s.contains(f.as_str()) || (f.contains(s.as_str()) && n * 2 >= m))
        })
}

/// The names pages show, with where: the title whole and in its parts, the metas, the logo,
/// the copyright holder.
fn shown_names<'a>(pages: impl Iterator<Item = &'a FooterFacts>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |source: &str, text: &str| {
        let text = text.trim();
        if !text.is_empty() && !out.iter().any(|(_, t)| t == text) {
            out.push((source.to_string(), text.to_string()));
        }
    };
    for facts in pages {
        let page = &facts.page;
        if let Some(title) = &page.title {
            push("title", title);
            for part in title.split(TITLE_SEPARATORS) {
                push("title", part);
            }
        }
        for n in &page.names {
            push(n.source.as_str(), &n.text);
        }
        if let Some(holder) = &facts.copyright_holder {
            push("copyright", holder);
        }
    }
    out
}

/// The first name the pages show that matches the filed 网站名称 `filed` (SITE-NAME's pass), as
/// (where, name).
pub fn matching_name<'a>(
    filed: &str,
    pages: impl Iterator<Item = &'a FooterFacts>,
) -> Option<(String, String)> {
    first_match(filed, &shown_names(pages)).cloned()
}

fn first_match<'s>(filed: &str, shown: &'s [(String, String)]) -> Option<&'s (String, String)> {
    let keys = filed_keys(filed);
    shown.iter().find(|(_, t)| names_match(t, &keys))
}

fn site_name(hosts: &[HostObservation], manifest: &Manifest) -> Finding {
    let Some(filed) = manifest.site_name.as_deref() else {
        return no_column(ids::SITE_NAME, "site_name");
    };
    if pages(hosts).next().is_none() {
        return no_page(ids::SITE_NAME);
    }
    let shown = shown_names(pages(hosts).map(|p| &p.facts));
    if let Some((source, text)) = first_match(filed, &shown) {
        return site_finding(
            ids::SITE_NAME,
            Verdict::Pass,
            Said {
                en: format!("the {source} shows {text} (filed 网站名称 {filed})"),
                zh: format!("{}显示 {text}（备案网站名称 {filed}）", source_zh(source)),
            },
        );
    }
    let whole: Vec<Said> = shown
        .iter()
        .filter(|(s, t)| {
            s != "title" || pages(hosts).any(|p| p.facts.page.title.as_deref() == Some(t))
        })
        .map(|(s, t)| Said {
            en: format!("{s} {t}"),
            zh: format!("{} {t}", source_zh(s)),
        })
        .collect();
    let evidence = if whole.is_empty() {
        said!(
            "the pages show no name (no title, site name, logo or copyright holder); filed 网站名称 {filed}",
            "页面没有显示名称（没有标题、网站名称、标志或版权所有者）；备案网站名称 {filed}"
        )
    } else {
        Said::join(&whole).map(
            |w| format!("no name the pages show matches the filed 网站名称 {filed}: {w}"),
            |w| format!("页面显示的名称都与备案网站名称 {filed} 不符：{w}"),
        )
    };
    site_finding(ids::SITE_NAME, Verdict::Warn, evidence)
}

// ---------------------------------------------------------------------------------------------
// SITE-INTERACTIVE

fn site_interactive(hosts: &[HostObservation], manifest: &Manifest) -> Finding {
    let Some(filed) = manifest.interactive else {
        return no_column(ids::SITE_INTERACTIVE, "interactive");
    };
    if pages(hosts).next().is_none() {
        return no_page(ids::SITE_INTERACTIVE);
    }
    let seen = features(hosts, |f| f.kind.is_interactive());
    match (filed, seen.is_empty()) {
        (false, false) => site_finding(
            ids::SITE_INTERACTIVE,
            Verdict::Warn,
            said!(
                "the home page offers interactive services while the filing says it offers none (非交互): {}",
                "首页提供交互式服务，而备案填的是非交互式：{}",
                listed(&seen)
            ),
        ),
        (false, true) => site_finding(
            ids::SITE_INTERACTIVE,
            Verdict::Pass,
            said!(
                "no interactive service seen on the home pages (filed non-interactive)",
                "首页未见交互式服务（备案为非交互式）"
            ),
        ),
        (true, true) => site_finding(
            ids::SITE_INTERACTIVE,
            Verdict::Pass,
            said!(
                "filed as interactive (交互式); none seen on the home pages",
                "备案为交互式；首页未见交互式服务"
            ),
        ),
        (true, false) => site_finding(
            ids::SITE_INTERACTIVE,
            Verdict::Pass,
            said!(
                "filed as interactive (交互式): {}",
                "备案为交互式：{}",
                listed(&seen)
            ),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// SITE-SCOPE

/// The endings of an organisation's name in a copyright line (compared in lower case, after
/// its trailing full stops: `有限公司` ends in `公司`, `Co., Ltd.` in `ltd`).
const ORG_ENDINGS: &[&str] = &[
    "公司",
    "集团",
    "研究院",
    "研究所",
    "委员会",
    "协会",
    "学校",
    "大学",
    "学院",
    "医院",
    "事务所",
    "ltd",
    "inc",
    "llc",
    "corporation",
    "corp",
    "gmbh",
];

/// Whether a copyright holder names an organisation.
fn is_organisation(holder: &str) -> bool {
    let h = holder.trim().trim_end_matches(['.', '。']).to_lowercase();
    ORG_ENDINGS.iter().any(|e| h.ends_with(e))
}

fn site_scope(hosts: &[HostObservation], manifest: &Manifest) -> Finding {
    match manifest.subject_type {
        None => return no_column(ids::SITE_SCOPE, "subject_type"),
        Some(SubjectType::Organisation) => {
            return na(
                ids::SITE_SCOPE,
                said!(
                    "filed by an organisation: a personal filing's limits do not apply",
                    "单位备案：个人备案的限制不适用"
                ),
            );
        }
        Some(SubjectType::Personal) => {}
    }
    if pages(hosts).next().is_none() {
        return no_page(ids::SITE_SCOPE);
    }
    let mut beyond = Vec::new();
    let commerce = features(hosts, |f| !f.kind.is_interactive());
    if !commerce.is_empty() {
        beyond.push(said!("commerce: {}", "经营内容：{}", listed(&commerce)));
    }
    let forum = features(hosts, |f| f.kind == beian_types::FeatureKind::Forum);
    if !forum.is_empty() {
        beyond.push(said!("a forum: {}", "论坛：{}", listed(&forum)));
    }
    let holder = pages(hosts)
        .filter_map(|p| p.facts.copyright_holder.as_deref())
        .find(|h| is_organisation(h));
    if let Some(h) = holder {
        beyond.push(said!(
            "the copyright holder {h} is an organisation",
            "版权所有者 {h} 是单位"
        ));
    }
    if beyond.is_empty() {
        site_finding(
            ids::SITE_SCOPE,
            Verdict::Pass,
            said!(
                "a personal filing: no commerce, forum or organisation seen on the home pages",
                "个人备案：首页未见经营内容、论坛或单位"
            ),
        )
    } else {
        site_finding(
            ids::SITE_SCOPE,
            Verdict::Warn,
            Said::join(&beyond).map(
                |w| format!("a personal filing (个人) shows content beyond it (内容超范围): {w}"),
                |w| format!("个人备案的网站显示了超出范围的内容（内容超范围）：{w}"),
            ),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// SITE-FILED-IP

fn site_filed_ip(hosts: &[HostObservation], manifest: &Manifest) -> Finding {
    let Some(filed) = manifest.filed_ips.as_deref() else {
        return no_column(ids::SITE_FILED_IP, "filed_ips");
    };
    let mut outside = Vec::new();
    let mut inside = Vec::new();
    let mut fronted = Vec::new();
    for h in hosts {
        let Some(dns) = h.dns.as_ref().filter(|d| !d.addrs.is_empty()) else {
            continue;
        };
        let out: Vec<String> = dns
            .addrs
            .iter()
            .filter(|ip| access::network_of(**ip, filed).is_none())
            .map(ToString::to_string)
            .collect();
        match (&dns.edge, out.is_empty()) {
            (_, true) => inside.push(h.host.as_str()),
            // A CDN answers with its own addresses; the filing lists the origin's.
            (Some((_, named)), false) => fronted.push(said!(
                "{} is served through {named}",
                "{} 经由 {named} 提供服务",
                h.host
            )),
            (None, false) => outside.push(said!("{} → {}", "{} → {}", h.host, out.join(", "))),
        }
    }
    if !outside.is_empty() {
        let filed: Vec<String> = filed.iter().map(ToString::to_string).collect();
        return site_finding(
            ids::SITE_FILED_IP,
            Verdict::Warn,
            Said::join(&outside).map(
                |w| {
                    format!(
                        "addresses outside the filed IPs ({}): {w}",
                        filed.join(", ")
                    )
                },
                |w| format!("有地址不在备案的 IP 中（{}）：{w}", filed.join(", ")),
            ),
        );
    }
    match (inside.is_empty(), fronted.is_empty()) {
        (true, true) => na(
            ids::SITE_FILED_IP,
            said!("DNS gave no address", "DNS 没有返回地址"),
        ),
        (true, false) => na(
            ids::SITE_FILED_IP,
            Said::join(&fronted).map(
                |w| format!("{w}: its addresses are the CDN's, not the filed ones"),
                |w| format!("{w}：其地址是 CDN 的，不是备案的地址"),
            ),
        ),
        _ => site_finding(
            ids::SITE_FILED_IP,
            Verdict::Pass,
            said!(
                "every address of {} is a filed IP",
                "{} 的地址都是备案的 IP",
                inside.join(" and ")
            ),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// SITE-LANG

/// A language subtag's name in the filing form's words.
fn language_name(tag: &str) -> String {
    match tag {
        "zh" => "中文 (zh)".into(),
        "en" => "英文 (en)".into(),
        "ja" => "日文 (ja)".into(),
        "ko" => "韩文 (ko)".into(),
        "ru" => "俄文 (ru)".into(),
        "fr" => "法文 (fr)".into(),
        "de" => "德文 (de)".into(),
        other => other.to_string(),
    }
}

fn site_lang(hosts: &[HostObservation], manifest: &Manifest) -> Finding {
    let Some(filed) = manifest.languages.as_deref() else {
        return no_column(ids::SITE_LANG, "languages");
    };
    if pages(hosts).next().is_none() {
        return no_page(ids::SITE_LANG);
    }
    let filed_names: Vec<String> = filed.iter().map(|l| language_name(l)).collect();
    let mut outside = Vec::new();
    let mut told = Vec::new();
    for h in hosts {
        let Some(lang) = h.page.as_ref().and_then(|p| p.facts.page.lang.as_ref()) else {
            continue;
        };
        let said = said!(
            "{} is {} ({} % of {} words)",
            "{0} 是{1}（{3} 个词中占 {2} %）",
            h.host,
            language_name(&lang.tag),
            lang.share,
            lang.sampled
        );
        if filed.contains(&lang.tag) {
            told.push(said);
        } else {
            outside.push(said);
        }
    }
    if !outside.is_empty() {
        return site_finding(
            ids::SITE_LANG,
            Verdict::Warn,
            Said::join(&outside).map(
                |w| {
                    format!(
                        "a page's language is not a filed 网站语种 ({}): {w}",
                        filed_names.join(", ")
                    )
                },
                |w| {
                    format!(
                        "页面语种不在备案的网站语种中（{}）：{w}",
                        filed_names.join("、")
                    )
                },
            ),
        );
    }
    if told.is_empty() {
        return na(
            ids::SITE_LANG,
            said!(
                "the pages hold too little text to tell their language",
                "页面文字太少，无法判断语种"
            ),
        );
    }
    site_finding(ids::SITE_LANG, Verdict::Pass, Said::join(&told))
}

// ---------------------------------------------------------------------------------------------
// SITE-OTHER-DOMAINS

/// What one other-domain host shows, judged against `want` (the site's number): a fail, a
/// warn, or a pass, with its evidence.
fn other_host(h: &HostObservation, want: Option<&beian_types::IcpNumber>) -> (Verdict, Said) {
    let host = &h.host;
    let Some(page) = &h.page else {
        return match h.front.filter(|c| c.class != PageClass::Page) {
            Some(c) if c.class == PageClass::Parked => (
                Verdict::Fail,
                c.said().map(
                    |w| format!("{host} answered {w}: a shell (空壳) domain"),
                    |w| format!("{host} 返回了{w}：空壳域名"),
                ),
            ),
            Some(c) => (
                Verdict::Warn,
                c.said().map(
                    |w| format!("{host}: not verified, it answered {w}"),
                    |w| format!("{host}：未核实，它返回了{w}"),
                ),
            ),
            None => (
                Verdict::Warn,
                match h.failure.as_deref() {
                    Some(why) => said!("{host} shows no page ({why})", "{host} 没有页面（{why}）"),
                    None => said!(
                        "{host} shows no page (no 2xx HTML page)",
                        "{host} 没有页面（没有 2xx 的 HTML 页面）"
                    ),
                },
            ),
        };
    };
    let Some(number) = shown_number(page).map(|(c, _)| &c.number) else {
        return (
            Verdict::Fail,
            said!(
                "{host} shows no filing number ({})",
                "{host} 没有显示备案号（{}）",
                page.final_url
            ),
        );
    };
    match want {
        Some(w) if w.subject_core() != number.subject_core() || w.form != number.form => (
            Verdict::Fail,
            said!(
                "{host} shows {}, another filing's number: the site shows {}",
                "{host} 显示 {}，是另一个备案的编号：本网站显示的是 {}",
                number.canonical,
                w.canonical
            ),
        ),
        Some(w) if w.canonical != number.canonical => (
            Verdict::Warn,
            said!(
                "{host} shows {}, another website of the same subject: the site shows {}",
                "{host} 显示 {}，是同一主体的另一个网站：本网站显示的是 {}",
                number.canonical,
                w.canonical
            ),
        ),
        _ => (
            Verdict::Pass,
            said!("{host} shows {}", "{host} 显示 {}", number.canonical),
        ),
    }
}

/// SITE-OTHER-DOMAINS over the site's own hosts and its other domains' hosts.
pub(crate) fn site_other_domains(
    own: &[HostObservation],
    others: &[HostObservation],
    manifest: &Manifest,
) -> Finding {
    if manifest.other_domains.as_ref().is_none_or(Vec::is_empty) || others.is_empty() {
        return no_column(ids::SITE_OTHER_DOMAINS, "other_domains");
    }
    // The site's number: the apex page's, else www's.
    let want = own
        .iter()
        .filter_map(|h| h.page.as_ref())
        .find_map(|p| shown_number(p).map(|(c, _)| &c.number));
    let judged: Vec<(Verdict, Said)> = others.iter().map(|h| other_host(h, want)).collect();
    // Verdicts order n/a < pass < warn < fail.
    let worst = judged
        .iter()
        .map(|(v, _)| *v)
        .max()
        .unwrap_or(Verdict::NotApplicable);
    let evidence: Vec<Said> = judged.into_iter().map(|(_, e)| e).collect();
    site_finding(ids::SITE_OTHER_DOMAINS, worst, Said::join(&evidence))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_through_affixes_slogans_and_organisation_forms() {
        let keys = filed_keys("某某科技有限公司官网");
        assert!(names_match("某某科技", &keys));
        assert!(names_match("欢迎光临某某科技有限公司", &keys));
        let blog = filed_keys("张三的博客");
        assert!(names_match("张三的博客 - 记录生活点滴", &blog));
        assert!(names_match("ＺＨＡＮＧ 张三的博客", &blog));
        assert!(!names_match("李四的博客", &blog));
        // 官网 alone, or one shared character, names nothing.
        assert!(!names_match("官网", &keys));
        assert!(!names_match("某", &keys));
        let latin = filed_keys("Acme Cloud");
        assert!(names_match("ACME-Cloud", &latin));
        assert!(!names_match(
            "Acme",
            &filed_keys("Acme Cloud Platform Services")
        ));
    }

    #[test]
    fn organisations_are_told_by_their_name_s_ending() {
        assert!(is_organisation("北京某某科技有限公司"));
        assert!(is_organisation("Acme Co., Ltd."));
        assert!(is_organisation("Example Inc"));
        assert!(!is_organisation("张三"));
        assert!(!is_organisation("zhangsan.me"));
    }
}
