//! Number grammars of docs/rulebook.md §2: ICP filing numbers, ICP licences, telecom licences and
//! public-security numbers, matched over normalised text (§2.6: NFKC'd, dashes folded to `-`,
//! `\n` at block boundaries).
//!
//! The regexes are the spec's candidate regexes; the two boundary conditions the `regex` crate
//! cannot express (no digit after the serial, no alphanumeric before a licence) are post-checks.

use std::ops::Range;
use std::sync::LazyLock;

use beian_types::{IcpFault, IcpForm, IcpNumber, NumberKind, PsbNumber};
use regex::Regex;

use crate::provinces;

/// Whitespace that may sit between the parts of a number; never the block separator `\n`.
const W: &str = r"[^\S\n]";

/// A separator some footers put between the province and `ICP` (`京｜ICP备`, NFKC'd to `|`).
const SEP: &str = r"[|/·•・-]";

/// ICP prefixes (§2.1 ICP column) and the PSB column's characters, so that a number written
/// with a wrong alias (川ICP备…) is found and ICP-FORMAT can fail it.
fn icp_class() -> String {
    let mut chars: Vec<char> = provinces::icp_prefixes()
        .chain(provinces::psb_prefixes())
        .collect();
    chars.sort_unstable();
    chars.dedup();
    chars.into_iter().collect()
}

/// PSB prefixes (§2.1 PSB column, alternates included).
fn psb_class() -> String {
    provinces::psb_prefixes().collect()
}

/// The ICP filing and ICP-licence grammar (§2.2–2.4).
static ICP_RE: LazyLock<Regex> = LazyLock::new(|| {
    let icp_prov = icp_class();
    Regex::new(&format!(
        r"(?P<prov>[{icp_prov}]){W}*(?:{SEP}{W}*)?(?P<icp>(?i:ICP)){W}*(?P<t>备|证){W}*(?::{W}*)?(?P<num>[0-9](?:{W}?[0-9]){{5,11}}){W}*(?P<hao>号)?(?:{W}*-{W}*(?P<seq>[0-9]{{1,4}})(?P<letter>[A-Z])?)?"
    ))
    .expect("static ICP regex")
});

/// [`ICP_RE`] with the near misses of §2.8 a reader takes for the number at once, each
/// captured so that ICP-FORMAT can name it: no province, `IPC`, `备案` or `备案号:` for `备`, a
/// dash or `第` before the digits (the sequence before `号` and `号` twice are seen after
/// either match, [`scan_icp_with`]). Run only on a text
/// in which [`ICP_RE`] found nothing: a regex with more groups costs more on every footer,
/// and a footer that shows its number well needs no second look.
static NEAR_RE: LazyLock<Regex> = LazyLock::new(|| {
    let icp_prov = icp_class();
    Regex::new(&format!(
        r"(?:(?P<prov>[{icp_prov}]){W}*(?:{SEP}{W}*)?)?(?P<icp>(?i:ICP|IPC)){W}*(?P<t>备|证)(?P<an>{W}*案(?:{W}*号)?)?{W}*(?:(?P<dash>-)|:)?{W}*(?P<di>第{W}*)?(?P<num>[0-9](?:{W}?[0-9]){{5,11}}){W}*(?P<hao>号)?(?:{W}*-{W}*(?P<seq>[0-9]{{1,4}})(?P<letter>[A-Z])?)?"
    ))
    .expect("static near-miss ICP regex")
});

static LIC_RE: LazyLock<Regex> = LazyLock::new(|| {
    let icp_prov = icp_class();
    Regex::new(&format!(
        r"(?P<prov>[{icp_prov}]|合字)?(?P<gap>{W}+)?(?P<cats>(?:[AB][1-9]\.)*[AB][1-9]){W}*-{W}*(?P<num>[0-9]{{6,10}}){W}*(?P<hao>号)?(?:{W}*-{W}*(?P<seq>[0-9]{{1,4}})(?P<letter>[A-Z])?)?"
    ))
    .expect("static LIC regex")
});

static PSB_RE: LazyLock<Regex> = LazyLock::new(|| {
    let psb_prov = psb_class();
    Regex::new(&format!(
        r"(?P<prov>[{psb_prov}])?{W}*(?P<label>公网安备|公安网备|公安备案){W}*(?P<label_hao>号)?{W}*:?{W}*(?P<num>[0-9](?:{W}?[0-9]){{9,16}}){W}*(?P<hao>号)?(?:{W}*-{W}*(?P<seq>[0-9]{{1,4}}))?"
    ))
    .expect("static PSB regex")
});

/// A number found in a text, with its byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A filing or licence number.
    Icp(IcpNumber),
    /// A public-security number.
    Psb(PsbNumber),
}

/// A number and where it sits in the scanned text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberMatch {
    /// Byte range in the scanned text.
    pub range: Range<usize>,
    /// The number.
    pub found: Found,
}

/// Cheap test used by callers to skip texts that cannot hold a number.
pub fn may_contain_number(text: &str) -> bool {
    text.contains("ICP")
        || text.contains("icp")
        || text.contains("Icp")
        || text.contains("IPC")
        || text.contains("ipc")
        || text.contains("公网安备")
        || text.contains("公安网备")
        || text.contains("公安备案")
        || (text.contains('-') && (text.contains('B') || text.contains('A')))
}

fn next_char(text: &str, at: usize) -> Option<char> {
    text.get(at..).and_then(|s| s.chars().next())
}

fn prev_char(text: &str, at: usize) -> Option<char> {
    text.get(..at).and_then(|s| s.chars().next_back())
}

fn strip_spaces(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// The end of a match after dropping a `-<n>` suffix that is followed by another digit, or a
/// letter followed by another letter (§2.6: "suffix only if not followed by a digit").
struct Suffix {
    seq: Option<u32>,
    letter: Option<char>,
    end: usize,
}

fn suffix(text: &str, caps: &regex::Captures<'_>, base_end: usize) -> Suffix {
    let none = Suffix {
        seq: None,
        letter: None,
        end: base_end,
    };
    let Some(seq_m) = caps.name("seq") else {
        return none;
    };
    if next_char(text, seq_m.end()).is_some_and(|c| c.is_ascii_digit()) {
        return none;
    }
    let Ok(seq) = seq_m.as_str().parse::<u32>() else {
        return none;
    };
    match caps.name("letter") {
        Some(l) if !next_char(text, l.end()).is_some_and(|c| c.is_ascii_alphabetic()) => Suffix {
            seq: Some(seq),
            letter: l.as_str().chars().next(),
            end: l.end(),
        },
        _ => Suffix {
            seq: Some(seq),
            letter: None,
            end: seq_m.end(),
        },
    }
}

fn kind_of(form: IcpForm, seq: Option<u32>, letter: Option<char>) -> NumberKind {
    if letter.is_some() {
        return NumberKind::App;
    }
    match (form, seq) {
        (IcpForm::Filing, Some(_)) => NumberKind::Service,
        (IcpForm::Filing, None) => NumberKind::Subject,
        (_, Some(_)) => NumberKind::LicenceService,
        (_, None) => NumberKind::Licence,
    }
}

fn seq_suffix(seq: Option<u32>, letter: Option<char>) -> String {
    match seq {
        Some(n) => format!("-{n}{}", letter.map(String::from).unwrap_or_default()),
        None => String::new(),
    }
}

/// The ICP numbers of `text`: those [`ICP_RE`] finds, or when there are none, the near misses
/// ([`NEAR_RE`]).
fn scan_icp(text: &str, out: &mut Vec<NumberMatch>) {
    let before = out.len();
    scan_icp_with(&ICP_RE, text, out);
    if out.len() == before {
        scan_icp_with(&NEAR_RE, text, out);
    }
}

fn scan_icp_with(re: &Regex, text: &str, out: &mut Vec<NumberMatch>) {
    for caps in re.captures_iter(text) {
        let (Some(all), Some(icp), Some(t), Some(num)) = (
            caps.get(0),
            caps.name("icp"),
            caps.name("t"),
            caps.name("num"),
        ) else {
            continue;
        };
        if next_char(text, num.end()).is_some_and(|c| c.is_ascii_digit()) {
            continue;
        }
        let prov = caps.name("prov");
        // Without a province, `ICP` must start a word: after a letter, a digit or another
        // character (`萌ICP备…`, a parody registry) it is something else; after a quote it is a
        // piece of a string a script joins (`['鲁', 'ICP备…']`), not a number on its own.
        if prov.is_none()
            && prev_char(text, icp.start()).is_some_and(|c| {
                c.is_ascii_alphanumeric() || is_cjk(c) || matches!(c, '\'' | '"' | '`')
            })
        {
            continue;
        }
        let digits = strip_spaces(num.as_str());
        let mut faults = Vec::new();
        let flag = |name: &str, fault: IcpFault, faults: &mut Vec<IcpFault>| {
            if caps.name(name).is_some() {
                faults.push(fault);
            }
        };
        if prov.is_none() {
            faults.push(IcpFault::NoProvince);
        }
        if !icp.as_str().eq_ignore_ascii_case("ICP") {
            faults.push(IcpFault::Ipc);
        }
        flag("an", IcpFault::BeiAn, &mut faults);
        flag("dash", IcpFault::DashAfterBei, &mut faults);
        flag("di", IcpFault::Di, &mut faults);
        let mut has_hao = caps.name("hao").is_some();
        let base_end = caps.name("hao").map_or(num.end(), |h| h.end());
        let sfx = suffix(text, &caps, base_end);
        let mut end = sfx.end;
        // 号 right after the match: `<digits>-<n>号` (the sequence before 号, read as
        // `<digits>号-<n>`), or `号-<n>号` and `号号` (号 twice).
        if next_char(text, end) == Some('号') && (has_hao || sfx.seq.is_some()) {
            faults.push(if has_hao {
                IcpFault::HaoTwice
            } else {
                IcpFault::SeqBeforeHao
            });
            has_hao = true;
            end += '号'.len_utf8();
        }
        let province = prov.and_then(|p| p.as_str().chars().next());
        let form = if t.as_str() == "证" {
            IcpForm::IcpLicence
        } else {
            IcpForm::Filing
        };
        let p = province.map(String::from).unwrap_or_default();
        let canonical = format!(
            "{p}ICP{}{digits}号{}",
            t.as_str(),
            seq_suffix(sfx.seq, sfx.letter)
        );
        let start = all.start();
        out.push(NumberMatch {
            range: start..end,
            found: Found::Icp(IcpNumber {
                matched: text[start..end].to_string(),
                canonical,
                province,
                foreign_invested: false,
                form,
                categories: None,
                digits,
                has_hao,
                seq: sfx.seq,
                letter: sfx.letter,
                kind: kind_of(form, sfx.seq, sfx.letter),
                faults,
            }),
        });
    }
}

fn scan_lic(text: &str, out: &mut Vec<NumberMatch>) {
    for caps in LIC_RE.captures_iter(text) {
        let (Some(cats), Some(num)) = (caps.name("cats"), caps.name("num")) else {
            continue;
        };
        let mut prov = caps.name("prov");
        // `浙 B2-…`: a province written apart from the category counts only where it starts a
        // word; inside a word (`最新 B2-…`) the character is the word's, and the licence bare.
        if caps.name("gap").is_some()
            && prov.is_some_and(|p| prev_char(text, p.start()).is_some_and(is_cjk))
        {
            prov = None;
        }
        let start = prov.map_or(cats.start(), |p| p.start());
        if prov.is_none() && prev_char(text, start).is_some_and(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        if next_char(text, num.end()).is_some_and(|c| c.is_ascii_digit()) {
            continue;
        }
        let has_hao = caps.name("hao").is_some();
        let base_end = caps.name("hao").map_or(num.end(), |h| h.end());
        let sfx = suffix(text, &caps, base_end);
        let foreign_invested = prov.is_some_and(|p| p.as_str() == "合字");
        let province = prov
            .filter(|_| !foreign_invested)
            .and_then(|p| p.as_str().chars().next());
        let prefix = prov.map(|p| p.as_str()).unwrap_or("");
        let canonical = format!(
            "{prefix}{}-{}{}",
            cats.as_str(),
            num.as_str(),
            seq_suffix(sfx.seq, sfx.letter)
        );
        out.push(NumberMatch {
            range: start..sfx.end,
            found: Found::Icp(IcpNumber {
                matched: text[start..sfx.end].to_string(),
                canonical,
                province,
                foreign_invested,
                form: IcpForm::Licence,
                categories: Some(cats.as_str().to_string()),
                digits: num.as_str().to_string(),
                has_hao,
                seq: sfx.seq,
                letter: sfx.letter,
                kind: kind_of(IcpForm::Licence, sfx.seq, sfx.letter),
                faults: Vec::new(),
            }),
        });
    }
}

fn scan_psb(text: &str, out: &mut Vec<NumberMatch>) {
    for caps in PSB_RE.captures_iter(text) {
        let (Some(all), Some(label), Some(num)) =
            (caps.get(0), caps.name("label"), caps.name("num"))
        else {
            continue;
        };
        if next_char(text, num.end()).is_some_and(|c| c.is_ascii_digit()) {
            continue;
        }
        let digits = strip_spaces(num.as_str());
        let shown = caps.name("prov").and_then(|p| p.as_str().chars().next());
        // Without a province character the province code must name one: other digits after
        // a bare label are not taken for a PSB number.
        let Some(province) = shown.or_else(|| {
            provinces::psb_prefixes_for_code(digits.get(..2)?).and_then(|p| p.first().copied())
        }) else {
            continue;
        };
        let hao = caps.name("hao");
        let base_end = hao.map_or(num.end(), |h| h.end());
        // `-<n>` only when no digit follows (a phone number or a date is not a suffix).
        let seq = caps
            .name("seq")
            .filter(|m| !next_char(text, m.end()).is_some_and(|c| c.is_ascii_digit()));
        let end = seq.map_or(base_end, |m| m.end());
        let start = if shown.is_some() {
            all.start()
        } else {
            label.start()
        };
        let label = match (label.as_str(), caps.name("label_hao")) {
            ("公网安备", _) => None,
            (l, h) => Some(format!("{l}{}", h.map_or("", |h| h.as_str()))),
        };
        out.push(NumberMatch {
            range: start..end,
            found: Found::Psb(PsbNumber {
                matched: text[start..end].to_string(),
                canonical: format!("{province}公网安备{digits}号"),
                province,
                province_shown: shown.is_some(),
                label,
                digits,
                has_hao: hao.is_some(),
                seq: seq.and_then(|m| m.as_str().parse().ok()),
            }),
        });
    }
}

/// A CJK unified ideograph (a character of a Chinese word).
fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// The traditional (and Japanese) forms of the filing words and province characters, as the
/// zh-Hant mirrors of mainland sites write them (`粵ICP備11018438號`, `滬公網安備…`), and the
/// simplified ones the grammar reads (§2.6). Each pair is one three-byte character in UTF-8,
/// so a folded text keeps every byte offset.
const TRADITIONAL: [(char, char); 19] = [
    ('備', '备'),
    ('號', '号'),
    ('證', '证'),
    ('証', '证'),
    ('網', '网'),
    ('粵', '粤'),
    ('滬', '沪'),
    ('晉', '晋'),
    ('遼', '辽'),
    ('蘇', '苏'),
    ('閩', '闽'),
    ('贛', '赣'),
    ('魯', '鲁'),
    ('瓊', '琼'),
    ('貴', '贵'),
    ('雲', '云'),
    ('陝', '陕'),
    ('隴', '陇'),
    ('寧', '宁'),
];

/// The traditional filing words folded (`None`: the text holds no traditional 備, 證 or 証,
/// without which no number is written in them; three memchr-backed searches decide).
fn simplified(text: &str) -> Option<String> {
    let traditional = text.contains('備') || text.contains('證') || text.contains('証');
    traditional.then(|| {
        text.chars()
            .map(|c| {
                TRADITIONAL
                    .iter()
                    .find(|(t, _)| *t == c)
                    .map_or(c, |(_, s)| *s)
            })
            .collect()
    })
}

/// Every ICP, licence and PSB number in `text`, in text order. Where an ICP and a licence match
/// overlap the ICP match is kept (§2.6). Traditional forms of the filing words are read as
/// the simplified ones ([`TRADITIONAL`]); the matched text is given folded.
pub fn scan(text: &str) -> Vec<NumberMatch> {
    let mut out = Vec::new();
    // A number needs `ICP`, a PSB label or a licence category; in traditional script, 備
    // (ICP証 holds `ICP`).
    if !may_contain_number(text) && !text.contains('備') {
        return out;
    }
    let folded = simplified(text);
    let text = folded.as_deref().unwrap_or(text);
    scan_icp(text, &mut out);
    let icp_ranges: Vec<Range<usize>> = out.iter().map(|m| m.range.clone()).collect();
    let mut lic = Vec::new();
    scan_lic(text, &mut lic);
    out.extend(lic.into_iter().filter(|m| {
        !icp_ranges
            .iter()
            .any(|r| r.start < m.range.end && m.range.start < r.end)
    }));
    scan_psb(text, &mut out);
    out.sort_by_key(|m| m.range.start);
    out
}

/// Parses a string that should hold exactly one ICP/licence number (manifests, tests), written
/// without a near miss's fault.
pub fn parse_icp(s: &str) -> Option<IcpNumber> {
    let mut v = Vec::new();
    scan_icp(s, &mut v);
    if v.is_empty() {
        scan_lic(s, &mut v);
    }
    match v.into_iter().next() {
        Some(NumberMatch {
            range,
            found: Found::Icp(n),
        }) if range == (0..s.len()) && n.faults.is_empty() => Some(n),
        _ => None,
    }
}

/// Parses a string that should hold exactly one PSB number.
pub fn parse_psb(s: &str) -> Option<PsbNumber> {
    let mut v = Vec::new();
    scan_psb(s, &mut v);
    match v.into_iter().next() {
        Some(NumberMatch {
            range,
            found: Found::Psb(n),
        }) if range == (0..s.len()) => Some(n),
        _ => None,
    }
}

/// Placeholder digits (§2.9): one digit repeated, or an ascending run like `12345678`.
pub fn is_placeholder(digits: &str) -> bool {
    let b = digits.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    if b.iter().all(|&c| c == first) {
        return true;
    }
    let ascending = b.windows(2).all(|w| w[1] == b'0' + (w[0] - b'0' + 1) % 10);
    if ascending && b.len() >= 6 {
        return true;
    }
    // PSB placeholders: a real prefix padded with zeros (`11000000000000`).
    b.len() >= 10 && b[2..].iter().all(|&c| c == b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn icp(s: &str) -> IcpNumber {
        match scan(s).into_iter().next().map(|m| m.found) {
            Some(Found::Icp(n)) => n,
            other => panic!("no ICP number in {s:?}: {other:?}"),
        }
    }

    #[test]
    fn filing_numbers() {
        let n = icp("备案号：京ICP备2021034567号-1 ");
        assert_eq!(n.canonical, "京ICP备2021034567号-1");
        assert_eq!(n.kind, NumberKind::Service);
        let n = icp("粤ICP备 17054969号");
        assert_eq!(n.canonical, "粤ICP备17054969号");
        assert_eq!(n.kind, NumberKind::Subject);
        let n = icp("京 ICP 备 0903 1924号");
        assert_eq!(n.digits, "09031924");
        let n = icp("京ICP备2021001357-1");
        assert!(!n.has_hao);
        assert_eq!(n.canonical, "京ICP备2021001357号-1");
        let n = icp("陕ICP备2024026116号-1A");
        assert_eq!((n.kind, n.letter), (NumberKind::App, Some('A')));
        let n = icp("京icp备10046444号");
        assert_eq!(n.canonical, "京ICP备10046444号");
    }

    /// The near misses of §2.8 are read as the number, each fault named; what only looks like
    /// one is not read.
    #[test]
    fn near_misses_are_numbers_with_a_fault() {
        use IcpFault::*;
        for (text, canonical, faults) in [
            ("苏ICP备-12345678", "苏ICP备12345678号", vec![DashAfterBei]),
            ("粤ICP备案20231234号", "粤ICP备20231234号", vec![BeiAn]),
            (
                "浙ICP备案号:12021152号-2",
                "浙ICP备12021152号-2",
                vec![BeiAn],
            ),
            (
                "京ICP备第14007000号-7号",
                "京ICP备14007000号-7",
                vec![Di, HaoTwice],
            ),
            (
                "京ICP备20007634-1号",
                "京ICP备20007634号-1",
                vec![SeqBeforeHao],
            ),
            (
                "沪ICP备15008072号-1号",
                "沪ICP备15008072号-1",
                vec![HaoTwice],
            ),
            ("京ICP备14027180号号", "京ICP备14027180号", vec![HaoTwice]),
            ("陕IPC备16014072号", "陕ICP备16014072号", vec![Ipc]),
            (
                "备案号：ICP备13008243号-1",
                "ICP备13008243号-1",
                vec![NoProvince],
            ),
            (
                "皖ICP备-2025092209号",
                "皖ICP备2025092209号",
                vec![DashAfterBei],
            ),
        ] {
            let n = icp(text);
            assert_eq!(n.canonical, canonical, "{text}");
            assert_eq!(n.faults, faults, "{text}");
            assert!(text.ends_with(&n.matched), "{text}: {}", n.matched);
            assert_eq!(parse_icp(&n.matched), None, "{text}: a manifest takes none");
        }
        // The standard forms have no fault.
        for text in [
            "京ICP备2021034567号-1",
            "粤ICP备17054969号",
            "京ICP证030173号",
        ] {
            assert!(icp(text).faults.is_empty(), "{text}");
        }
        // Labels, pending filings, notes and placeholders without digits are no number; a
        // label before the real number gives the real number.
        for text in [
            "ICP备案号：正在备案中",
            "闽ICP备案中",
            "京ICP备 号",
            "备注：1.5方，电话13812345678",
            "80号-1号",
            "IPC备案号:正在申请中",
            "HTTPICP备12345678号",
            "var SITE = { icp: ['鲁', 'ICP备2020259754号-1'] };",
        ] {
            assert!(
                scan(text).iter().all(|m| !matches!(m.found, Found::Icp(_))),
                "{text}: {:?}",
                scan(text)
            );
        }
        // Traditional script (zh-Hant mirrors): the same numbers, no fault.
        let n = icp("粵ICP備11018438號");
        assert_eq!(
            (n.canonical.as_str(), n.faults.len()),
            ("粤ICP备11018438号", 0)
        );
        let found = scan("滬ICP備11018329號-5 / 滬公網安備31010402002252號");
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            matches!(&found[1].found, Found::Psb(p) if p.canonical == "沪公网安备31010402002252号")
        );
        let n = icp("ICP备案号：京ICP备12345678号");
        assert_eq!(
            (n.canonical.as_str(), n.faults.len()),
            ("京ICP备12345678号", 0)
        );
        let n = icp("京ICP备案号：京ICP备12345678号");
        assert_eq!(
            (n.canonical.as_str(), n.faults.len()),
            ("京ICP备12345678号", 0)
        );
    }

    #[test]
    fn licences() {
        let n = icp("京ICP证030173号");
        assert_eq!((n.form, n.kind), (IcpForm::IcpLicence, NumberKind::Licence));
        let n = icp("增值电信业务经营许可证：粤B2-20090059");
        assert_eq!(n.canonical, "粤B2-20090059");
        assert_eq!(n.form, IcpForm::Licence);
        let n = icp("粤B2-20090059-1");
        assert_eq!(n.kind, NumberKind::LicenceService);
        let n = icp("合字B1.B2-20130004");
        assert!(n.foreign_invested);
        assert_eq!(n.categories.as_deref(), Some("B1.B2"));
        let n = icp("许可证 B2-20233776");
        assert_eq!(n.province, None);
        let n = icp("粤B2-20090059-1626X");
        assert_eq!(n.kind, NumberKind::App);
    }

    #[test]
    fn psb_numbers() {
        let found = scan("京公网安备 11010802017518号");
        let Some(Found::Psb(p)) = found.first().map(|m| m.found.clone()) else {
            panic!()
        };
        assert_eq!(p.canonical, "京公网安备11010802017518号");
        let found = scan("京公网安备:11010802035340");
        let Some(Found::Psb(p)) = found.first().map(|m| m.found.clone()) else {
            panic!()
        };
        assert!(!p.has_hao);
        assert_eq!(p.digits, "11010802035340");
    }

    #[test]
    fn punctuation_real_footers_use() {
        assert_eq!(icp("鄂ICP证:130164号").canonical, "鄂ICP证130164号");
        assert_eq!(
            icp("ICP备:鄂ICP备: 2022001234号-1").canonical,
            "鄂ICP备2022001234号-1"
        );
        assert_eq!(
            icp("京|ICP备2021034567号-3").canonical,
            "京ICP备2021034567号-3"
        );
        assert_eq!(
            icp("京 / ICP备2021034567号").canonical,
            "京ICP备2021034567号"
        );
        let n = icp("增值电信业务经营许可证:浙 B2-20080224");
        assert_eq!(
            (n.canonical.as_str(), n.province),
            ("浙B2-20080224", Some('浙'))
        );
        // A province character inside a word is the word's.
        let n = icp("最新 B2-20080224");
        assert_eq!((n.canonical.as_str(), n.province), ("B2-20080224", None));
        assert_eq!(n.matched, "B2-20080224");
        let all: Vec<String> = scan("沪B2-20200001-2 B2-20233776")
            .into_iter()
            .map(|m| match m.found {
                Found::Icp(n) => n.canonical,
                Found::Psb(p) => p.canonical,
            })
            .collect();
        assert_eq!(all, ["沪B2-20200001-2", "B2-20233776"]);
    }

    fn psb(s: &str) -> PsbNumber {
        match scan(s).into_iter().find_map(|m| match m.found {
            Found::Psb(p) => Some(p),
            Found::Icp(_) => None,
        }) {
            Some(p) => p,
            None => panic!("no PSB number in {s:?}"),
        }
    }

    #[test]
    fn irregular_psb_numbers_are_found_and_said_so() {
        let p = psb("京公网安备110105001234号");
        assert_eq!((p.digits.len(), p.irregular().len()), (12, 0));
        let p = psb("京公安网备号 11010502030143");
        assert_eq!(p.canonical, "京公网安备11010502030143号");
        assert_eq!(p.label.as_deref(), Some("公安网备号"));
        let p = psb("公安备案号:44030502008569");
        assert_eq!((p.province, p.province_shown), ('粤', false));
        assert_eq!(p.matched, "公安备案号:44030502008569");
        assert_eq!(p.irregular().len(), 2);
        let p = psb("京公网安备11010802017518号-1");
        assert_eq!(
            (p.seq, p.matched.as_str()),
            (Some(1), "京公网安备11010802017518号-1")
        );
        // A suffix followed by more digits is not one.
        assert_eq!(psb("京公网安备11010802017518号-20240101").seq, None);
        // The standard label with `号` is standard.
        assert!(psb("京公网安备号 11010802017518").irregular().is_empty());
        // A bare label before digits that name no province is no number.
        assert!(scan("公安备案号:99123456789012").is_empty());
    }

    #[test]
    fn look_alikes_are_not_numbers() {
        for s in [
            "萌ICP备20230042号",
            "沪交ICP备20190085号",
            "湖ICP备2018284129",
            "粤网文〔2019〕1234号",
        ] {
            assert!(scan(s).is_empty(), "{s}");
        }
        // A block boundary splits a number.
        assert!(scan("京ICP\n备2021034567号").is_empty());
        // Too many digits.
        assert!(scan("京ICP备1234567890123号").is_empty());
    }

    #[test]
    fn suffix_followed_by_digit_is_dropped() {
        let n = icp("京ICP备2021034567号-12345");
        assert_eq!(n.seq, None);
    }

    #[test]
    fn placeholders() {
        assert!(is_placeholder("12345678"));
        assert!(is_placeholder("00000000"));
        assert!(is_placeholder("11000000000000"));
        assert!(!is_placeholder("2021034567"));
        assert!(!is_placeholder("11010802017518"));
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn canonical_filing_round_trips(
                prov in proptest::sample::select(provinces::icp_prefixes().collect::<Vec<_>>()),
                digits in "[0-9]{8}|20[0-9]{8}",
                seq in proptest::option::of(1u32..999),
            ) {
                let s = format!("{prov}ICP备{digits}号{}", seq.map(|n| format!("-{n}")).unwrap_or_default());
                let n = parse_icp(&s).expect("parses");
                prop_assert_eq!(&n.canonical, &s);
                prop_assert_eq!(parse_icp(&n.canonical), Some(n.clone()));
            }

            #[test]
            fn canonical_psb_round_trips(
                prov in proptest::sample::select(provinces::psb_prefixes().collect::<Vec<_>>()),
                digits in "[0-9]{14}",
            ) {
                let s = format!("{prov}公网安备{digits}号");
                let n = parse_psb(&s).expect("parses");
                prop_assert_eq!(&n.canonical, &s);
            }

            #[test]
            fn scan_never_panics(s in "\\PC{0,200}") {
                let _ = scan(&s);
            }

            /// Whatever is found in number-shaped noise, its canonical form parses back to
            /// itself (the same property the `numbers` fuzz target checks).
            #[test]
            fn found_numbers_have_stable_canonical_forms(
                s in "([京粤川苏萌合字]|ICP|icp|备|证|号|-|B2|A2\\.|公网安备|:|[0-9]{1,10}| |\n|[A-Z]){0,24}"
            ) {
                for m in scan(&s) {
                    match m.found {
                        // Without a province there is no standard form to parse back.
                        Found::Icp(n) if n.faults.contains(&IcpFault::NoProvince) => {}
                        Found::Icp(n) => {
                            let again = parse_icp(&n.canonical);
                            prop_assert_eq!(again.map(|a| a.canonical), Some(n.canonical.clone()), "in {:?}", s);
                        }
                        Found::Psb(n) => {
                            let again = parse_psb(&n.canonical);
                            prop_assert_eq!(again.map(|a| a.canonical), Some(n.canonical.clone()), "in {:?}", s);
                        }
                    }
                }
            }
        }
    }
}
