//! Copyright holder (docs/rulebook.md §6.11): on each block line, first match wins, trying across
//! all lines pattern (a) `版权所有: NAME`, then (c) `© YEARS NAME`, then (b) `NAME 版权所有`.

use std::sync::LazyLock;

use regex::Regex;

const NAME: &str = r"([^\s|｜·•,，;；©]+)";
const YEARS: &str = r"(?:(?:19|20)\d\d(?:\s*[-–—~]\s*(?:(?:19|20)\d\d|present|至今))?)";

static A: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"版权所有\s*:\s*{NAME}")).expect("static regex"));
/// `©`, `(c)` and `Copyright` in any order and number (`Copyright © 2024`, `© Copyright`),
/// years, and an optional `by` before the name.
static C: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"{MARK}(?:\s*{MARK})*\s*(?:{YEARS}\s*)?(?:(?i:by)\s*:?\s+)?{NAME}"
    ))
    .expect("static regex")
});
const MARK: &str = r"(?i:©|\(c\)|Copyright)";
static B: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"{NAME}\s*版权所有")).expect("static regex"));

/// Words that end a name: what footers write after it (`All rights reserved`, a filing
/// label, `Powered by`), in the case they are written.
const AFTER_NAME: &[&str] = &[
    "备案",
    "ICP",
    "粤B",
    "技术支持",
    "All",
    "all",
    "Rights",
    "rights",
    "Reserved",
    "reserved",
    "Powered",
    "powered",
    "Designed",
    "Theme",
    "保留",
];

/// The holder in `name` (a run without spaces) and, for a name in Latin letters, the words
/// after it on the line (`Alonso Zhang`): cut where a number or a label glued to it starts
/// (`某公司京ICP备…`), refused when nothing is left or it is a label itself.
fn acceptable(name: &str, rest: &str) -> Option<String> {
    let mut name = name.to_string();
    if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        for word in rest.split(' ').filter(|w| !w.is_empty()) {
            let ends_sentence = name.ends_with(['.', ',']);
            let latin = word.starts_with(|c: char| c.is_ascii_alphabetic());
            if ends_sentence || !latin || word.contains(['|', '｜', '·', '•', '©']) {
                break;
            }
            name.push(' ');
            name.push_str(word);
        }
    }
    let cut = beian_numbers::scan(&name)
        .first()
        .map(|m| m.range.start)
        .into_iter()
        .chain(AFTER_NAME.iter().filter_map(|w| {
            // A label cuts the name where it starts a word, or anywhere in a Chinese name.
            name.match_indices(w)
                .find(|(at, _)| *at == 0 || !w.is_ascii() || name[..*at].ends_with(' '))
                .map(|(at, _)| at)
        }))
        .min();
    if let Some(at) = cut {
        name.truncate(at);
    }
    let name = name.trim_end_matches([' ', '.', ',', ':', '-', '|']);
    let first = name.chars().next()?;
    if first.is_ascii_digit() || first == '-' {
        return None;
    }
    if ["版权所有", "保留所有权利", "Copyright", "By", "by"].contains(&name) {
        return None;
    }
    Some(name.to_string())
}

/// The holder named by the copyright line of a footer's text (block lines separated by `\n`).
pub fn copyright_holder(region_text: &str) -> Option<String> {
    let lines: Vec<String> = region_text
        .split('\n')
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect();
    for re in [&*A, &*C, &*B] {
        for line in &lines {
            for caps in re.captures_iter(line) {
                if let Some(name) = caps
                    .get(1)
                    .and_then(|m| acceptable(m.as_str(), &line[m.end()..]))
                {
                    return Some(name);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        assert_eq!(
            copyright_holder("哈尔滨某某科技有限公司 版权所有 © 2008-2024").as_deref(),
            Some("哈尔滨某某科技有限公司")
        );
        assert_eq!(
            copyright_holder("版权所有: 南京某公司").as_deref(),
            Some("南京某公司")
        );
        assert_eq!(
            copyright_holder("© 2024 苏州某公司 | 苏ICP备").as_deref(),
            Some("苏州某公司")
        );
        assert_eq!(copyright_holder("Copyright © 2019-2024"), None);
    }

    #[test]
    fn real_footer_shapes() {
        let holder = |s: &str| copyright_holder(s);
        assert_eq!(
            holder("© 2024 Alonso Zhang").as_deref(),
            Some("Alonso Zhang")
        );
        assert_eq!(
            holder("Copyright © 2024 ACME Widgets Ltd. All rights reserved.").as_deref(),
            Some("ACME Widgets Ltd")
        );
        assert_eq!(
            holder("© 2024 Alonso Zhang | 京ICP备2021034567号-1").as_deref(),
            Some("Alonso Zhang")
        );
        assert_eq!(
            holder("Copyright © 2024 备案号:京ICP备2021034567号-1"),
            None
        );
        assert_eq!(
            holder("Copyright 2024 By 某某网络科技有限公司").as_deref(),
            Some("某某网络科技有限公司")
        );
        assert_eq!(
            holder("© Copyright 2020-2024 某某网络科技有限公司").as_deref(),
            Some("某某网络科技有限公司")
        );
        assert_eq!(
            holder("Copyright©2024 某某网络科技有限公司京ICP备2021034567号-1").as_deref(),
            Some("某某网络科技有限公司")
        );
        assert_eq!(
            holder("版权所有:南京某公司 备案号:苏ICP备2021034567号-1").as_deref(),
            Some("南京某公司")
        );
    }
}
