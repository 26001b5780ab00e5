//! Exceptions (`--waivers FILE`, docs/rulebook.md §5.4): a finding someone decided to accept —
//! a site known to be overseas, a bureau-approved delay, a test host — with a reason and an
//! end date, so that an exception is a decision someone owns, not a hole. A waived finding
//! keeps its verdict and names the entry; the site's status does not count it. An entry stops
//! applying after its `expires` date. Validated whole before an audit starts; an error names
//! the entry's line.
//!
//! ```toml
//! [[waiver]]
//! id = "CHG-1042"                      # optional: the ticket, else waiver-N (its place)
//! domains = ["example.cn"]             # the site's domain; `*.example.cn`: its subdomains
//! hosts = ["test.example.cn"]          # a page rule's host (at least one of the two)
//! rules = ["PSB-PRESENT", "PSB-*"]     # rule ids, `PREFIX-*`, or `*`
//! reason = "公安备案 in progress, bureau receipt 2026-11-20"   # required
//! owner = "ops@example.cn"
//! expires = 2027-01-31                 # required: the last day it applies
//! ticket = "CHG-1042"
//! ```

use beian_types::{Finding, Verdict};
use serde::Deserialize;
use time::Date;

use crate::catalogue::CATALOGUE;

/// One exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    /// Its id: `id`, else `ticket`, else `waiver-N` (N: its place in the file, from 1).
    pub id: String,
    /// The line its `[[waiver]]` starts on.
    pub line: usize,
    /// Domain patterns (lower case, ASCII).
    pub domains: Vec<String>,
    /// Host patterns (lower case, ASCII).
    pub hosts: Vec<String>,
    /// Rule ids or patterns.
    pub rules: Vec<String>,
    /// Why.
    pub reason: String,
    /// Who owns the decision.
    pub owner: Option<String>,
    /// The last day it applies.
    pub expires: Date,
    /// The ticket it was decided in.
    pub ticket: Option<String>,
}

impl Waiver {
    /// Whether it applies on `as_of` (its `expires` is the last day it does).
    pub fn in_force(&self, as_of: Date) -> bool {
        self.expires >= as_of
    }
}

/// A run's exceptions (empty: none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Waivers {
    entries: Vec<Waiver>,
}

/// Why a waivers file was refused.
#[derive(Debug, thiserror::Error)]
pub enum WaiverError {
    /// Not TOML, or keys of the wrong shape (the message names line and column).
    #[error(transparent)]
    Syntax(#[from] toml::de::Error),
    /// An entry that says too little or names what does not exist.
    #[error("line {line}: {message}")]
    Entry {
        /// The line its `[[waiver]]` starts on.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    waiver: Vec<toml::Spanned<Entry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: Option<String>,
    #[serde(default)]
    domains: Vec<String>,
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default)]
    rules: Vec<String>,
    reason: Option<String>,
    owner: Option<String>,
    expires: Option<Expires>,
    ticket: Option<String>,
}

/// A date as TOML writes one (`2027-01-31`) or as a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum Expires {
    Date(toml::value::Datetime),
    Text(String),
}

impl Waivers {
    /// Parses and validates a waivers file's text.
    pub fn from_toml(text: &str) -> Result<Waivers, WaiverError> {
        let file: File = toml::from_str(text)?;
        let mut entries: Vec<Waiver> = Vec::with_capacity(file.waiver.len());
        for (n, spanned) in file.waiver.into_iter().enumerate() {
            let line = text[..spanned.span().start.min(text.len())]
                .matches('\n')
                .count()
                + 1;
            let bad = |message: String| WaiverError::Entry { line, message };
            let e = spanned.into_inner();
            let reason = e
                .reason
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())
                .ok_or_else(|| bad("no reason: every waiver says why (reason = \"…\")".into()))?;
            let expires = match e.expires {
                None => {
                    return Err(bad(
                        "no end date: every waiver expires (expires = YYYY-MM-DD)".into(),
                    ));
                }
                Some(Expires::Date(d)) => d.to_string(),
                Some(Expires::Text(t)) => t,
            };
            let expires = parse_date(&expires)
                .ok_or_else(|| bad(format!("expires = {expires:?}: not a date (YYYY-MM-DD)")))?;
            if e.domains.is_empty() && e.hosts.is_empty() {
                return Err(bad(
                    "names no site: give domains = [\"…\"] or hosts = [\"…\"]".into(),
                ));
            }
            let names = |list: Vec<String>, what: &str| -> Result<Vec<String>, WaiverError> {
                list.into_iter()
                    .map(|p| {
                        ascii_pattern(&p).ok_or_else(|| {
                            bad(format!("{what} {p:?}: not a domain name or *.domain"))
                        })
                    })
                    .collect()
            };
            let (domains, hosts) = (names(e.domains, "domain")?, names(e.hosts, "host")?);
            if e.rules.is_empty() {
                return Err(bad(
                    "names no rule: give rules = [\"RULE-ID\"] (or \"*\")".into()
                ));
            }
            for r in &e.rules {
                if !CATALOGUE.iter().any(|info| rule_matches(r, info.id)) {
                    return Err(bad(format!(
                        "rule {r:?} names no rule of the catalogue (`beian rules` lists them)"
                    )));
                }
            }
            let id =
                e.id.or_else(|| e.ticket.clone())
                    .unwrap_or_else(|| format!("waiver-{}", n + 1));
            if let Some(twin) = entries.iter().find(|w| w.id == id) {
                return Err(bad(format!(
                    "id {id:?} is already the id of the waiver on line {}",
                    twin.line
                )));
            }
            entries.push(Waiver {
                id,
                line,
                domains,
                hosts,
                rules: e.rules,
                reason,
                owner: e.owner,
                expires,
                ticket: e.ticket,
            });
        }
        Ok(Waivers { entries })
    }

    /// Every entry, in the file's order.
    pub fn entries(&self) -> &[Waiver] {
        &self.entries
    }

    /// The entries that stopped applying before `as_of`.
    pub fn expired(&self, as_of: Date) -> impl Iterator<Item = &Waiver> {
        self.entries.iter().filter(move |w| !w.in_force(as_of))
    }

    /// The entry that waives `f`, a finding of the site `domain`, on `as_of`: the first in the
    /// file that applies. Only a failing or warning verdict is waived.
    pub fn waiver_for(&self, as_of: Date, domain: &str, f: &Finding) -> Option<&Waiver> {
        if !matches!(f.verdict, Verdict::Fail | Verdict::Warn) {
            return None;
        }
        self.entries.iter().find(|w| {
            w.in_force(as_of)
                && w.rules.iter().any(|r| rule_matches(r, f.rule_id))
                && (w.domains.iter().any(|p| name_matches(p, domain))
                    || f.host
                        .as_deref()
                        .is_some_and(|h| w.hosts.iter().any(|p| name_matches(p, h))))
        })
    }
}

/// Whether rule pattern `pattern` (an id, `PREFIX-*` or `*`) names rule `id`.
fn rule_matches(pattern: &str, id: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => id.starts_with(prefix),
        None => pattern == id,
    }
}

/// Whether name pattern `pattern` (a name, or `*.name`: any name below it) names `name`.
fn name_matches(pattern: &str, name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(parent) => name.len() > parent.len() + 1 && name.ends_with(&format!(".{parent}")),
        None => name == pattern,
    }
}

/// A name pattern in the form the rows spell names: ASCII (IDNA), lower case.
fn ascii_pattern(p: &str) -> Option<String> {
    let p = p.trim().trim_end_matches('.');
    let (star, name) = match p.strip_prefix("*.") {
        Some(rest) => ("*.", rest),
        None => ("", p),
    };
    let url = url::Url::parse(&format!("http://{name}/")).ok()?;
    let host = url.host_str()?.to_string();
    (!host.is_empty() && !host.contains('*')).then(|| format!("{star}{host}"))
}

fn parse_date(s: &str) -> Option<Date> {
    let day = s.get(..10)?;
    Date::parse(
        day,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule_id: &'static str, verdict: Verdict, host: Option<&str>) -> Finding {
        Finding {
            rule_id,
            verdict,
            host: host.map(str::to_string),
            url: None,
            evidence: String::new(),
            evidence_zh: String::new(),
            number: None,
            link_host: None,
            fix: None,
        }
    }

    const FILE: &str = r#"
# A site served from abroad.
[[waiver]]
domains = ["例子.中国"]
rules = ["ICP-*"]
reason = "served from Hong Kong, no filing owed"
owner = "ops"
expires = 2027-01-31
ticket = "CHG-1"

[[waiver]]
id = "test-hosts"
hosts = ["*.test.example.cn"]
rules = ["*"]
reason = "test hosts"
expires = "2026-12-01"
"#;

    #[test]
    fn entries_match_by_domain_host_rule_and_date() {
        let w = Waivers::from_toml(FILE).unwrap();
        let day = |s: &str| parse_date(s).unwrap();
        let as_of = day("2026-11-15");
        let ids: Vec<_> = w
            .entries()
            .iter()
            .map(|e| (e.id.as_str(), e.line))
            .collect();
        assert_eq!(ids, [("CHG-1", 3), ("test-hosts", 11)]);
        let site = "xn--fsqu00a.xn--fiqs8s";
        let fail = |rule, host| finding(rule, Verdict::Fail, host);
        // By the site's domain, every finding of the rules named, page or site rule.
        let got = |d: &str, f: &Finding, on| w.waiver_for(on, d, f).map(|e| e.id.as_str());
        assert_eq!(
            got(site, &fail("ICP-LINK", Some(site)), as_of),
            Some("CHG-1")
        );
        assert_eq!(got(site, &fail("ICP-PRESENT", None), as_of), Some("CHG-1"));
        assert_eq!(got(site, &fail("PSB-PRESENT", None), as_of), None);
        // A pass is not waived; neither is another site.
        assert_eq!(
            got(site, &finding("ICP-LINK", Verdict::Pass, None), as_of),
            None
        );
        assert_eq!(got("example.cn", &fail("ICP-LINK", None), as_of), None);
        // By host: below the name only; a site rule has no host.
        let h = Some("a.test.example.cn");
        assert_eq!(
            got("example.cn", &fail("PSB-ICON", h), as_of),
            Some("test-hosts")
        );
        assert_eq!(
            got(
                "example.cn",
                &fail("PSB-ICON", Some("test.example.cn")),
                as_of
            ),
            None
        );
        assert_eq!(got("example.cn", &fail("SITE-PARITY", None), as_of), None);
        // The last day still applies; the day after, it has expired.
        let end = day("2026-12-01");
        assert_eq!(
            got("example.cn", &fail("PSB-ICON", h), end),
            Some("test-hosts")
        );
        let after = day("2026-12-02");
        assert_eq!(got("example.cn", &fail("PSB-ICON", h), after), None);
        let expired: Vec<_> = w.expired(after).map(|e| e.id.as_str()).collect();
        assert_eq!(expired, ["test-hosts"]);
    }

    #[test]
    fn a_malformed_entry_names_its_line() {
        let cases = [
            (
                "[[waiver]]\ndomains = [\"a.cn\"]\nrules = [\"*\"]\nexpires = 2027-01-01\n",
                "line 1: no reason",
            ),
            (
                "\n[[waiver]]\ndomains = [\"a.cn\"]\nrules = [\"*\"]\nreason = \"r\"\n",
                "line 2: no end date",
            ),
            (
                "[[waiver]]\ndomains = [\"a.cn\"]\nrules = [\"*\"]\nreason = \"r\"\nexpires = \"soon\"\n",
                "line 1: expires = \"soon\": not a date",
            ),
            (
                "[[waiver]]\nrules = [\"*\"]\nreason = \"r\"\nexpires = 2027-01-01\n",
                "line 1: names no site",
            ),
            (
                "[[waiver]]\ndomains = [\"a.cn\"]\nreason = \"r\"\nexpires = 2027-01-01\n",
                "line 1: names no rule",
            ),
            (
                "[[waiver]]\ndomains = [\"a.cn\"]\nrules = [\"ICP-LNIK\"]\nreason = \"r\"\nexpires = 2027-01-01\n",
                "line 1: rule \"ICP-LNIK\" names no rule",
            ),
            (
                "[[waiver]]\ndomains = [\"a b\"]\nrules = [\"*\"]\nreason = \"r\"\nexpires = 2027-01-01\n",
                "line 1: domain \"a b\": not a domain name",
            ),
        ];
        for (text, want) in cases {
            let err = Waivers::from_toml(text).unwrap_err().to_string();
            assert!(err.starts_with(want), "{err}");
        }
        let twice = "[[waiver]]\nid = \"x\"\ndomains = [\"a.cn\"]\nrules = [\"*\"]\nreason = \"r\"\nexpires = 2027-01-01\n\n[[waiver]]\nid = \"x\"\ndomains = [\"b.cn\"]\nrules = [\"*\"]\nreason = \"r\"\nexpires = 2027-01-01\n";
        let err = Waivers::from_toml(twice).unwrap_err().to_string();
        assert_eq!(
            err,
            "line 8: id \"x\" is already the id of the waiver on line 1"
        );
        // An unknown key is a syntax error with its line.
        let err = Waivers::from_toml("[[waiver]]\nreasn = \"r\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
    }
}
