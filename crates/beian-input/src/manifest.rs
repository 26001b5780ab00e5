//! The manifest columns of a CSV input (issue 4) checked and typed: a value that does not
//! parse is an error naming the line and the column, never a silently ignored cell.

use std::collections::BTreeMap;

use beian_types::{Hosting, Manifest};
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
            "access_nets" => {
                let nets =
                    crate::nets::parse_net_list(value).map_err(|(value, reason)| CellError {
                        column,
                        value,
                        reason,
                    })?;
                m.access_nets = Some(nets);
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
        ] {
            let e = typed(&cells(&[(column, value)])).expect_err(value);
            let msg = e.to_string();
            assert!(msg.starts_with(&format!("column {column}: ")), "{msg}");
            assert!(msg.contains(want), "{msg}");
        }
    }
}
