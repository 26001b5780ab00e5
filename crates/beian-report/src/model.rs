//! The report model: every figure a report shows, computed once from the current run and,
//! when given, the run it is compared with. `report.json` is this model serialised
//! ([`REPORT_VERSION`], docs/REPORT.md); the Markdown digest renders from it.

use serde::Serialize;

use crate::load::RunInfo;

/// Version of the `report.json` model; bumped like the Parquet schema's.
pub const REPORT_VERSION: &str = "1.5";

/// A fleet report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`REPORT_VERSION`].
    pub report_version: &'static str,
    /// The run reported on.
    pub run: RunInfo,
    /// The run it is compared with, if any.
    pub compared: Option<RunInfo>,
    /// The headline figures.
    pub tiles: Tiles,
    /// Sites by status, now and in the compared run.
    pub statuses: Vec<Count>,
    /// Domains added and removed since the compared run.
    pub population: Option<Population>,
    /// Sites failing each rule, now and before, most failing first.
    pub rules: Vec<RuleRow>,
    /// Sites that fail now and did not in the compared run (common domains), by domain.
    pub newly_failing: Vec<Change>,
    /// Sites that failed in the compared run and are compliant or warn now.
    pub fixed: Vec<Change>,
    /// Sites failing in both runs.
    pub still_failing: Vec<Change>,
    /// The failing sites that have failed longest (with a history or a compared run), then
    /// those failing the most rules; at most [`WORST_MAX`].
    pub worst: Vec<Offender>,
    /// Sites without a public-security number whose deadline falls in the next
    /// [`DEADLINE_DAYS`] days from the run's audit date, soonest first (report 1.1).
    pub psb_due: Vec<Deadline>,
    /// Unreachable sites by error class, most first.
    pub unreachable: Vec<Count>,
    /// Sites not verified because a WAF's challenge or block, or a rate limit, stood in front
    /// of their pages (report 1.3): apart from the unreachable and the failing ones.
    pub protected: Protected,
    /// Sites by the CDN or WAF in front of them (`sites.edge_provider`; report 1.3), most
    /// first; sites with none are not counted.
    pub edges: Vec<Count>,
    /// Sites whose pages do not match their filing (the filing rules' warns, report 1.4):
    /// apart from the footer violations.
    pub filing: Filing,
    /// The exceptions (`--waivers`; report 1.5): the findings they waived, counted apart
    /// from the failing ones, and those that expire soon or lapsed.
    pub exceptions: Exceptions,
    /// Sites by owner (manifest `owner`; `-` for sites without one), most failing first.
    pub owners: Vec<Group>,
    /// Sites by filing province (`-` when unknown), most failing first.
    pub provinces: Vec<Group>,
    /// Compliant % and failing sites over the last runs of a history, oldest first, the
    /// reported run last (empty without a history).
    pub trend: Vec<crate::TrendPoint>,
    /// The DuckDB queries that reproduce the figures (report 1.1).
    pub appendix: Vec<crate::Query>,
}

/// The sites of one owner or province.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// The owner or province.
    pub name: String,
    /// Its audited sites.
    pub sites: u64,
    /// Compliant among them.
    pub compliant: u64,
    /// Compliant in percent of its sites.
    pub compliant_pct: f64,
    /// Failing among them.
    pub failing: u64,
    /// Newly failing among them (with a comparison).
    pub newly_failing: Option<u64>,
    /// Fixed among them (with a comparison).
    pub fixed: Option<u64>,
}

/// The headline figures. "Failing" is status `violation`; unverified and unreachable sites
/// are counted apart, never as failing or as compliant.
#[derive(Debug, Clone, Serialize)]
pub struct Tiles {
    /// `sites` rows (input lines).
    pub sites: u64,
    /// Sites audited: rows that are not input errors.
    pub audited: u64,
    /// Compliant sites, those compliant with waivers included (report 1.5).
    pub compliant: u64,
    /// Of them, the sites compliant only because exceptions waive what fails or warns
    /// (`compliant_with_waivers`; report 1.5).
    pub compliant_with_waivers: u64,
    /// Compliant sites in percent of the audited ones, one decimal.
    pub compliant_pct: f64,
    /// Change of `compliant_pct` since the compared run, in percentage points.
    pub compliant_pct_change: Option<f64>,
    /// Failing sites.
    pub failing: u64,
    /// Sites newly failing (see [`Report::newly_failing`]).
    pub newly_failing: Option<u64>,
    /// Sites fixed (see [`Report::fixed`]).
    pub fixed: Option<u64>,
    /// Sites whose verdict needs a render or a person.
    pub unverified: u64,
    /// Sites with no page on either host.
    pub unreachable: u64,
    /// Unverified sites behind a WAF's challenge or block, or a rate limit (report 1.3).
    pub protected: u64,
    /// Input lines that could not be audited.
    pub input_errors: u64,
}

/// The sites behind protection: who stands in front, and whom to ask for an allowlist.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Protected {
    /// How many sites.
    pub sites: u64,
    /// By vendor (the marker's name; "未具名 (no vendor named)" when no marker names one: a 429, a generic refusal), most first.
    pub vendors: Vec<Count>,
    /// By owner (manifest `owner`; `-` without one), most first: whom to ask to allow the
    /// audit's addresses.
    pub owners: Vec<Count>,
}

/// What the exceptions did in the run, and which of them need a decision.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Exceptions {
    /// The exceptions file the run was given (none: the run had no exceptions).
    pub file: Option<String>,
    /// Waived findings: a site and a rule whose failing or warning findings an exception
    /// waived. They are in no failing or warning count of the report.
    pub waived: u64,
    /// Sites with a waived finding.
    pub sites: u64,
    /// Waived findings by rule, most first (with the compared run's counts).
    pub rules: Vec<Count>,
    /// Exceptions in force whose last day falls within [`DEADLINE_DAYS`] of the audit date,
    /// soonest first: renew them or fix what they waive.
    pub expiring: Vec<Exception>,
    /// Exceptions that had expired by the audit date, soonest first: with a compared run, only
    /// those still in force on its date (they lapsed since). Their findings count again.
    pub lapsed: Vec<Exception>,
}

/// One exception in [`Exceptions`], as the run recorded it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exception {
    /// Its id.
    pub id: String,
    /// Who owns the decision.
    pub owner: Option<String>,
    /// The ticket it was decided in.
    pub ticket: Option<String>,
    /// The last day it applies (`YYYY-MM-DD`).
    pub expires: String,
    /// Days from the audit date to that day (negative: lapsed).
    pub days_left: i64,
    /// The rules it waives.
    pub rules: Vec<String>,
    /// The domains and hosts it names.
    pub names: Vec<String>,
    /// Why.
    pub reason: String,
}

/// The sites that do not match their filing: by rule, by owner, and the sites.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Filing {
    /// How many sites.
    pub sites: u64,
    /// By filing rule (SITE-NAME, SITE-INTERACTIVE, …), most first.
    pub rules: Vec<Count>,
    /// By owner (`-` without one), most first.
    pub owners: Vec<Count>,
    /// The sites, by domain, with the filing rules each warns on.
    pub list: Vec<Mismatch>,
}

/// A site that does not match its filing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    /// Its domain.
    pub domain: String,
    /// Who must act.
    pub owner: Option<String>,
    /// The filing rules it warns on.
    pub rules: Vec<String>,
}

/// A named count, now and in the compared run.
#[derive(Debug, Clone, Serialize)]
pub struct Count {
    /// What is counted.
    pub name: String,
    /// Now.
    pub now: u64,
    /// In the compared run.
    pub before: Option<u64>,
}

/// How the list of domains changed.
#[derive(Debug, Clone, Serialize)]
pub struct Population {
    /// Domains in this run and not in the compared one.
    pub added: u64,
    /// Domains in the compared run and not in this one.
    pub removed: u64,
    /// Domains in both.
    pub common: u64,
    /// Compliant percentage of the audited common domains, now: progress on the same sites.
    pub compliant_pct_common: f64,
    /// The same in the compared run.
    pub compliant_pct_common_before: f64,
    /// Added domains, sorted.
    pub added_domains: Vec<String>,
    /// Removed domains, sorted.
    pub removed_domains: Vec<String>,
}

/// One rule's failing sites.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRow {
    /// The rule id.
    pub rule_id: String,
    /// Sites failing it now.
    pub failing: u64,
    /// Sites failing it in the compared run.
    pub failing_before: Option<u64>,
    /// `failing - failing_before`.
    pub change: Option<i64>,
}

/// A site in a diff list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The domain.
    pub domain: String,
    /// Its status now.
    pub status: &'static str,
    /// Its status in the compared run.
    pub status_before: &'static str,
    /// Its failing rules now.
    pub rules: Vec<String>,
    /// Its failing rules in the compared run.
    pub rules_before: Vec<String>,
    /// Who must fix it (manifest `owner`).
    pub owner: Option<String>,
    /// Still failing: the date of the first run of its current streak of failing runs (with
    /// a history; the compared run's date without one).
    pub failing_since: Option<String>,
    /// Screenshots of its failing pages (`--screenshots`), when the run took them here.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub screenshots: Vec<std::path::PathBuf>,
}

impl Report {
    /// Names the runs by where they are (a bucket) rather than where they were read from (a
    /// local mirror); the appendix's queries follow.
    pub fn set_dirs(&mut self, run: std::path::PathBuf, compared: Option<std::path::PathBuf>) {
        self.run.dir = run;
        if let (Some(c), Some(dir)) = (self.compared.as_mut(), compared) {
            c.dir = dir;
        }
        self.appendix = crate::sql::appendix(self);
    }

    /// The report with each list of sites or domains cut to its first `max` entries (the
    /// tiles and counts stay whole): what a chat webhook can take for a fleet of millions.
    pub fn abridged(&self, max: usize) -> Report {
        fn cut<T: Clone>(v: &[T], max: usize) -> Vec<T> {
            v.iter().take(max).cloned().collect()
        }
        Report {
            report_version: self.report_version,
            run: self.run.clone(),
            compared: self.compared.clone(),
            tiles: self.tiles.clone(),
            statuses: self.statuses.clone(),
            population: self.population.as_ref().map(|p| Population {
                added: p.added,
                removed: p.removed,
                common: p.common,
                compliant_pct_common: p.compliant_pct_common,
                compliant_pct_common_before: p.compliant_pct_common_before,
                added_domains: cut(&p.added_domains, max),
                removed_domains: cut(&p.removed_domains, max),
            }),
            rules: self.rules.clone(),
            newly_failing: cut(&self.newly_failing, max),
            fixed: cut(&self.fixed, max),
            still_failing: cut(&self.still_failing, max),
            worst: self.worst.clone(),
            psb_due: cut(&self.psb_due, max),
            unreachable: self.unreachable.clone(),
            edges: self.edges.clone(),
            filing: Filing {
                sites: self.filing.sites,
                rules: self.filing.rules.clone(),
                owners: cut(&self.filing.owners, max),
                list: cut(&self.filing.list, max),
            },
            exceptions: Exceptions {
                file: self.exceptions.file.clone(),
                waived: self.exceptions.waived,
                sites: self.exceptions.sites,
                rules: self.exceptions.rules.clone(),
                expiring: cut(&self.exceptions.expiring, max),
                lapsed: cut(&self.exceptions.lapsed, max),
            },
            protected: Protected {
                sites: self.protected.sites,
                vendors: self.protected.vendors.clone(),
                owners: cut(&self.protected.owners, max),
            },
            owners: self.owners.clone(),
            provinces: self.provinces.clone(),
            trend: self.trend.clone(),
            appendix: self.appendix.clone(),
        }
    }
}

/// Sites in the worst-offenders list.
pub const WORST_MAX: usize = 10;
/// How far ahead the public-security deadlines are listed, in days.
pub const DEADLINE_DAYS: i64 = 30;

/// A site among the worst offenders.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Offender {
    /// Its domain.
    pub domain: String,
    /// Who must fix it.
    pub owner: Option<String>,
    /// The rules it fails now.
    pub rules: Vec<String>,
    /// The date of the first run of its current failing streak; `None` when it fails only in
    /// the reported run or no earlier run is known.
    pub failing_since: Option<String>,
    /// Screenshots of its failing pages (`--screenshots`), when the run took them here.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub screenshots: Vec<std::path::PathBuf>,
}

/// A public-security deadline coming up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deadline {
    /// The site's domain.
    pub domain: String,
    /// Who must act.
    pub owner: Option<String>,
    /// The last day (`YYYY-MM-DD`).
    pub due: String,
    /// What is due: `file` (with the public-security platform) or `display` (the number).
    pub duty: &'static str,
    /// Days from the audit date to the deadline (0: due on the audit date).
    pub days_left: i64,
}
