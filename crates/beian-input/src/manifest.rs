//! The manifest columns of a CSV input (issue 4) checked and typed: a value that does not
//! parse is an error naming the line and the column, never a silently ignored cell.

use std::collections::BTreeMap;

use beian_types::{Hosting, Manifest, SubjectType};
use time::{Date, Month};
use unicode_normalization::UnicodeNormalization;

/// The columns the manifest understands (besides `domain`); others are ignored.
pub const COLUMNS: &[&str] = &[
    "expected_icp",
    "expected_psb",
    "org_name",
    "owner",
    "province",
    "commercial",
    "hosting",
    "opened_on",
    "psb_approved_on",
    "access_nets",
    "site_name",
    "subject_type",
    "interactive",
    "filed_ips",
    "other_domains",
    "languages",
];

/// A manifest cell that does not hold what its column needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {value:?} {reason}")]
pub struct CellError {
    /// The column name.
    pub column: &'static str,
    /// The cell as written.
    pub value: String,
    /// What was expected.
    pub reason: &'static str,
}

/// A `YYYY-MM-DD` date (surrounding spaces allowed).
pub fn parse_date(v: &str) -> Option<Date> {
    let mut parts = v.trim().split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

fn boolean(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "y" | "是" => Some(true),
        "false" | "no" | "0" | "n" | "否" => Some(false),
        _ => None,
    }
}

/// The items of a list cell: separated by spaces, `;`, `,`, `|` or `、`.
fn list(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(|c: char| c.is_whitespace() || matches!(c, ';' | ',' | '|' | '、' | '，' | '；'))
        .filter(|t| !t.is_empty())
}

/// Each item of a list cell of `column` read by `read`; the first it cannot read is the
/// error, with `reason`.
fn list_of<T>(
    column: &'static str,
    cell: &str,
    reason: &'static str,
    read: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, CellError> {
    list(cell)
        .map(|item| {
            read(item).ok_or_else(|| CellError {
                column,
                value: item.to_string(),
                reason,
            })
        })
        .collect()
}

/// `个人`/`personal`, or `单位`/`企业`/`organisation` and the kinds of organisation the filing
/// form lists.
fn subject_type(v: &str) -> Option<SubjectType> {
    match v.to_ascii_lowercase().as_str() {
        "个人" | "personal" | "person" | "individual" => Some(SubjectType::Personal),
        "单位" | "企业" | "organisation" | "organization" | "company" | "enterprise"
        | "政府机关" | "事业单位" | "社会团体" | "government" => {
            Some(SubjectType::Organisation)
        }
        _ => None,
    }
}

/// A filed language as its primary subtag, lower case: a tag (`zh`, `zh-CN`, `en_US`) or the
/// filing form's words (中文, 简体中文, 繁体中文, 英文, …).
fn language(v: &str) -> Option<String> {
    let word = match v {
        "中文" | "简体中文" | "繁体中文" | "汉语" => Some("zh"),
        "英文" | "英语" => Some("en"),
        "日文" | "日语" => Some("ja"),
        "韩文" | "韩语" => Some("ko"),
        "俄文" | "俄语" => Some("ru"),
        "法文" | "法语" => Some("fr"),
        "德文" | "德语" => Some("de"),
        "西班牙文" | "西班牙语" => Some("es"),
        "阿拉伯文" | "阿拉伯语" => Some("ar"),
        "蒙古文" | "蒙古语" => Some("mn"),
        "藏文" | "藏语" => Some("bo"),
        "维吾尔文" | "维吾尔语" => Some("ug"),
        _ => None,
    };
    if let Some(w) = word {
        return Some(w.to_string());
    }
    let primary = v.split(['-', '_']).next()?.to_ascii_lowercase();
    ((2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase()))
        .then_some(primary)
}

/// Types the non-empty cells of one row (column → value).
pub fn typed(cells: &BTreeMap<String, String>) -> Result<Manifest, CellError> {
    let mut m = Manifest::default();
    for &column in COLUMNS {
        let Some(value) = cells
            .get(column)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
        else {
            continue;
        };
        let bad = |reason| CellError {
            column,
            value: value.to_string(),
            reason,
        };
        match column {
            "expected_icp" => {
                // Spreadsheets carry full-width forms too (§2.6).
                let value: String = value.nfkc().collect();
                let n = beian_numbers::parse_icp(&value)
                    .ok_or_else(|| bad("is not an ICP filing or licence number"))?;
                m.expected_icp = Some(n.canonical);
            }
            "expected_psb" => {
                // The full number or its digits.
                let digits = if value.bytes().all(|b| b.is_ascii_digit()) {
                    Some(value.to_string())
                } else {
                    beian_numbers::parse_psb(&value.nfkc().collect::<String>()).map(|n| n.digits)
                };
                m.expected_psb = Some(
                    digits
                        .filter(|d| (12..=15).contains(&d.len()))
                        .ok_or_else(|| bad("is not a public-security number (12–15 digits)"))?,
                );
            }
            "org_name" => m.org_name = Some(value.to_string()),
            "owner" => m.owner = Some(value.to_string()),
            "province" => {
                m.province = Some(
                    beian_numbers::provinces::province(value)
                        .ok_or_else(|| bad("is not a province (江苏, 苏, Jiangsu or 32)"))?
                        .icp,
                );
            }
            "commercial" => {
                m.commercial = Some(boolean(value).ok_or_else(|| bad("is not true or false"))?);
            }
            "hosting" => {
                m.hosting = Some(match value.to_ascii_lowercase().as_str() {
                    "mainland" => Hosting::Mainland,
                    "overseas" => Hosting::Overseas,
                    _ => return Err(bad("is not mainland or overseas")),
                });
            }
            "opened_on" => {
                m.opened_on =
                    Some(parse_date(value).ok_or_else(|| bad("is not a date (YYYY-MM-DD)"))?)
            }
            "psb_approved_on" => {
                m.psb_approved_on =
                    Some(parse_date(value).ok_or_else(|| bad("is not a date (YYYY-MM-DD)"))?);
            }
            "access_nets" | "filed_ips" => {
                let nets =
                    crate::nets::parse_net_list(value).map_err(|(value, reason)| CellError {
                        column,
                        value,
                        reason,
                    })?;
                if column == "access_nets" {
                    m.access_nets = Some(nets);
                } else {
                    m.filed_ips = Some(nets);
                }
            }
            "site_name" => m.site_name = Some(value.to_string()),
            "subject_type" => {
                m.subject_type = Some(
                    subject_type(value)
                        .ok_or_else(|| bad("is not personal or organisation (个人 or 单位)"))?,
                );
            }
            "interactive" => {
                m.interactive = Some(boolean(value).ok_or_else(|| bad("is not true or false"))?);
            }
            "other_domains" => {
                let domain = |d: &str| crate::domain::normalise_domain(d).ok().map(|t| t.domain);
                m.other_domains = Some(list_of(column, value, "is not a domain name", domain)?);
            }
            "languages" => {
                let reason = "is not a language (a tag such as zh or en, or 中文, 英文)";
                m.languages = Some(list_of(column, value, reason, language)?);
            }
            _ => {}
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn cells(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn typed_values() {
        let m = typed(&cells(&[
            ("expected_icp", "京ＩＣＰ备２０２１０３４５６７号－１"),
            ("expected_psb", "京公网安备 11010802017518号"),
            ("province", "江苏省"),
            ("commercial", "TRUE"),
            ("hosting", "overseas"),
            ("opened_on", "2026-02-28"),
            ("psb_approved_on", "2026-03-01"),
            ("org_name", "南京某公司"),
            ("access_nets", "203.0.113.0/24; 2001:db8::/32"),
        ]))
        .expect("valid");
        assert_eq!(m.expected_icp.as_deref(), Some("京ICP备2021034567号-1"));
        assert_eq!(m.expected_psb.as_deref(), Some("11010802017518"));
        assert_eq!(m.province, Some('苏'));
        assert_eq!(m.commercial, Some(true));
        assert_eq!(m.hosting, Some(Hosting::Overseas));
        assert_eq!(m.opened_on, Some(date!(2026 - 02 - 28)));
        assert_eq!(m.psb_approved_on, Some(date!(2026 - 03 - 01)));
        let nets: Vec<String> = m
            .access_nets
            .iter()
            .flatten()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(nets, ["203.0.113.0/24", "2001:db8::/32"]);
        assert!(typed(&cells(&[])).expect("empty").is_empty());
    }

    /// The filing columns of issue 30.
    #[test]
    fn filing_columns() {
        let m = typed(&cells(&[
            ("site_name", " 某某科技官网 "),
            ("subject_type", "个人"),
            ("interactive", "否"),
            ("filed_ips", "203.0.113.7, 198.51.100.0/30"),
            ("other_domains", "Example.CN；www.例子.中国"),
            ("languages", "中文、en-US"),
        ]))
        .expect("valid");
        assert_eq!(m.site_name.as_deref(), Some("某某科技官网"));
        assert_eq!(m.subject_type, Some(SubjectType::Personal));
        assert_eq!(m.interactive, Some(false));
        let ips: Vec<String> = m
            .filed_ips
            .iter()
            .flatten()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(ips, ["203.0.113.7/32", "198.51.100.0/30"]);
        assert_eq!(
            m.other_domains.as_deref(),
            Some(
                &[
                    "example.cn".to_string(),
                    "xn--fsqu00a.xn--fiqs8s".to_string()
                ][..]
            )
        );
        assert_eq!(
            m.languages.as_deref(),
            Some(&["zh".to_string(), "en".to_string()][..])
        );
        assert_eq!(
            typed(&cells(&[("subject_type", "Organization")])).map(|m| m.subject_type),
            Ok(Some(SubjectType::Organisation))
        );
    }

    #[test]
    fn bad_cells_name_the_column() {
        for (column, value, want) in [
            ("opened_on", "2026-02-30", "not a date"),
            ("opened_on", "26-2-3", "not a date"),
            ("expected_icp", "ICP 12345", "not an ICP"),
            ("expected_psb", "123", "public-security"),
            ("province", "Atlantis", "not a province"),
            ("commercial", "sometimes", "true or false"),
            ("hosting", "moon", "mainland or overseas"),
            (
                "access_nets",
                "10.0.0.0/8 10.0.0.0/99",
                "\"10.0.0.0/99\" is not a network",
            ),
            (
                "filed_ips",
                "203.0.113.7; 300.1.1.1",
                "\"300.1.1.1\" is not a network",
            ),
            ("subject_type", "robot", "personal or organisation"),
            ("interactive", "maybe", "true or false"),
            (
                "other_domains",
                "a.cn; bad..cn",
                "\"bad..cn\" is not a domain name",
            ),
            ("languages", "zh; 火星文", "\"火星文\" is not a language"),
        ] {
            let e = typed(&cells(&[(column, value)])).expect_err(value);
            let msg = e.to_string();
            assert!(msg.starts_with(&format!("column {column}: ")), "{msg}");
            assert!(msg.contains(want), "{msg}");
        }
    }
}
