//! The shared vocabulary of beian-audit: hosts, verdicts, stable error classes, the facts the
//! footer extractor finds, and the rows every stage hands on to the Parquet writer.
//!
//! This crate does no I/O and has no async code, so the pure crates (`beian-rules`,
//! `beian-footer`) can depend on it without pulling in a runtime.
#![deny(missing_docs)]

mod class;
pub mod days;
mod error_class;
mod evidence;
mod facts;
mod layout;
mod manifest;
mod rows;

pub use class::{Classified, PageClass, Vendor};
pub use error_class::ErrorClass;
pub use evidence::{Capture, EvidenceMode, Exchange};
pub use facts::{
    CandidateSource, Feature, FeatureKind, FooterFacts, FooterRegion, IcpCandidate, IcpFault,
    IcpForm, IcpNumber, Link, LinkVia, NameSource, NumberKind, PageFacts, PsbCandidate, PsbNumber,
    ShownName, TextLanguage,
};
pub use layout::{DigitRun, Layout};
pub use manifest::{Hosting, Manifest, SubjectType};
pub use rows::{
    BrowserWork, FetchRow, FindingRow, Hop, PsbDue, PsbDuty, SiteReport, SiteRow, SiteStatus,
};

use std::fmt;

/// Which of a domain's two hosts a probe is for (docs/rulebook.md §4.3: apex and `www.`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HostRole {
    /// The domain as listed (the registrable domain, or the sub-domain itself).
    Apex,
    /// `www.` + the domain.
    Www,
    /// A host of one of the filing's other domains (从域名, manifest `other_domains`): its
    /// name, or `www.` + it.
    Other,
}

impl HostRole {
    /// Stable lower-case name used in output columns.
    pub fn as_str(self) -> &'static str {
        match self {
            HostRole::Apex => "apex",
            HostRole::Www => "www",
            HostRole::Other => "other",
        }
    }
}

impl fmt::Display for HostRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// URL scheme of a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// `https://`, port 443 unless overridden.
    Https,
    /// `http://`, port 80 unless overridden.
    Http,
}

impl Scheme {
    /// Stable lower-case name (also the URL scheme).
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Https => "https",
            Scheme::Http => "http",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verdict of one rule (docs/rulebook.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// The rule does not apply.
    NotApplicable,
    /// The documented requirement is met as far as the page shows.
    Pass,
    /// Contested, legacy, or unverifiable without rendering.
    Warn,
    /// A documented requirement is violated.
    Fail,
}

impl Verdict {
    /// Stable name used in output: `pass`, `warn`, `fail`, `n/a`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::NotApplicable => "n/a",
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule's verdict with the evidence a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Rule id exactly as written in docs/rulebook.md §5 (`ICP-LINK`, `SITE-PARITY`, …).
    pub rule_id: &'static str,
    /// The verdict.
    pub verdict: Verdict,
    /// The host the page rule was judged on; `None` for site rules.
    pub host: Option<String>,
    /// The URL of the page judged, when there is one.
    pub url: Option<String>,
    /// What was seen, in words (number, link host, reason), in English.
    pub evidence: String,
    /// The same in Chinese (`--lang zh`, the reports' default).
    pub evidence_zh: String,
    /// The number the rule is about (canonical ICP/licence or PSB number), when one was seen.
    pub number: Option<String>,
    /// Host of the link around that number, when it is linked.
    pub link_host: Option<String>,
    /// What to do, for `warn` and `fail` verdicts.
    pub fix: Option<Fix>,
}

/// A sentence in English and in Chinese: a finding's evidence, written once for both
/// languages of the reports ([`said!`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Said {
    /// English.
    pub en: String,
    /// Chinese.
    pub zh: String,
}

impl Said {
    /// The parts joined, `; ` in English and `；` in Chinese.
    pub fn join(parts: &[Said]) -> Said {
        Said::join_with(parts, "; ", "；")
    }

    /// The parts joined with a separator of each language.
    pub fn join_with(parts: &[Said], en: &str, zh: &str) -> Said {
        let list =
            |lang: fn(&Said) -> &str, sep| parts.iter().map(lang).collect::<Vec<_>>().join(sep);
        Said {
            en: list(|p| &p.en, en),
            zh: list(|p| &p.zh, zh),
        }
    }

    /// Each sentence put into a frame of its language (`|w| format!("… {w} …")`).
    pub fn map(self, en: impl FnOnce(String) -> String, zh: impl FnOnce(String) -> String) -> Said {
        Said {
            en: en(self.en),
            zh: zh(self.zh),
        }
    }

    /// Both sentences followed by their own ending.
    pub fn then(mut self, more: &Said) -> Said {
        self.en.push_str(&more.en);
        self.zh.push_str(&more.zh);
        self
    }
}

/// A [`Said`] from two format strings, English then Chinese, with the same arguments:
/// `said!("{n} is not linked", "{n} 未加链接")`.
#[macro_export]
macro_rules! said {
    ($en:literal, $zh:literal $(,)?) => {
        $crate::Said { en: format!($en), zh: format!($zh) }
    };
    ($en:literal, $zh:literal, $($arg:tt)+) => {
        $crate::Said { en: format!($en, $($arg)+), zh: format!($zh, $($arg)+) }
    };
}

/// A short fix for a finding, in Chinese and English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fix {
    /// Chinese.
    pub zh: &'static str,
    /// English.
    pub en: &'static str,
}

/// The current time in UTC microseconds since the epoch: the unit of every timestamp the rows
/// and the evidence carry.
pub fn now_us() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}
