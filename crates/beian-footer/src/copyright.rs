//! Copyright holder (docs/rulebook.md §6.11): on each block line, first match wins, trying across
//! all lines pattern (a) `版权所有: NAME`, then (c) `© YEARS NAME`, then (b) `NAME 版权所有`.

use std::sync::LazyLock;

use regex::Regex;

const NAME: &str = r"([^\s|｜·•,，;；©]+)";
const YEARS: &str = r"(?:(?:19|20)\d\d(?:\s*[-–—~]\s*(?:(?:19|20)\d\d|present|至今))?)";

static A: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"版权所有\s*:\s*{NAME}")).expect("static regex"));
static C: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i:©|\(c\)|Copyright\s*©?)\s*(?:{YEARS}\s*)?{NAME}"
    ))
    .expect("static regex")
});
static B: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"{NAME}\s*版权所有")).expect("static regex"));

fn acceptable(name: &str) -> Option<String> {
    let name = name.trim_end_matches('.');
    let first = name.chars().next()?;
    if first.is_ascii_digit() || first == '-' {
        return None;
    }
    if ["版权所有", "All", "保留所有权利"]
        .iter()
        .any(|bad| name.starts_with(bad))
    {
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
                if let Some(name) = caps.get(1).and_then(|m| acceptable(m.as_str())) {
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
}
