//! Computing the report model ([`crate::model`]) from the current run and, when given, the
//! run it is compared with: tiles, rule counts, changes, offenders, deadlines and groups.

use std::collections::{BTreeMap, HashMap, HashSet};

use beian_types::SiteStatus;

use crate::load::{RunData, Site};
use crate::model::{
    Change, Count, DEADLINE_DAYS, Deadline, Exception, Exceptions, Filing, Group, Mismatch,
    Offender, Population, Protected, REPORT_VERSION, Report, RuleRow, Tiles, WORST_MAX,
};

/// `part` in percent of `whole`, unrounded.
fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    #[expect(clippy::cast_precision_loss, reason = "site counts are far below 2^52")]
    let p = part as f64 * 100.0 / whole as f64;
    p
}

/// One decimal, as reports show percentages and points.
fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

pub(crate) fn pct(part: u64, whole: u64) -> f64 {
    round1(ratio(part, whole))
}

fn count_status(sites: &[Site], s: SiteStatus) -> u64 {
    sites.iter().filter(|x| x.status == s).count() as u64
}

fn tiles_of(sites: &[Site]) -> Tiles {
    let input_errors = count_status(sites, SiteStatus::InputError);
    let audited = sites.len() as u64 - input_errors;
    let compliant = sites.iter().filter(|x| x.status.is_compliant()).count() as u64;
    Tiles {
        sites: sites.len() as u64,
        audited,
        compliant,
        compliant_with_waivers: count_status(sites, SiteStatus::CompliantWithWaivers),
        compliant_pct: pct(compliant, audited),
        compliant_pct_change: None,
        failing: count_status(sites, SiteStatus::Violation),
        newly_failing: None,
        fixed: None,
        unverified: count_status(sites, SiteStatus::Unverified),
        unreachable: count_status(sites, SiteStatus::Unreachable),
        protected: sites.iter().filter(|s| behind_gate(s)).count() as u64,
        input_errors,
    }
}

/// An unverified site whose page stood behind a challenge, a block or a rate limit.
fn behind_gate(s: &Site) -> bool {
    s.status == SiteStatus::Unverified && s.front.as_ref().is_some_and(|(c, _)| c.is_gate())
}

/// Sites counted by `key` (sites it gives `None` are not counted), with the compared run's
/// counts, most first.
fn counts_by(
    current: &RunData,
    previous: Option<&RunData>,
    key: impl Fn(&Site) -> Option<String>,
) -> Vec<Count> {
    count_each(current, previous, |_, s| key(s).into_iter().collect())
}

/// Sites by the CDN or WAF in front of them, with the compared run's counts.
fn edges(current: &RunData, previous: Option<&RunData>) -> Vec<Count> {
    counts_by(current, previous, |s| {
        let id = s.edge.as_deref()?;
        Some(beian_edge::provider(id).map_or(id.to_string(), |p| p.name.to_string()))
    })
}

/// The sites behind protection, by vendor and by owner, with the compared run's counts.
fn protected(current: &RunData, previous: Option<&RunData>) -> Protected {
    let vendor = |s: &Site| {
        let id = s.front.as_ref().and_then(|(_, v)| v.as_deref());
        Some(match id {
            Some(id) => beian_classify::vendor(id).map_or(id.to_string(), |v| v.name.to_string()),
            // A 429 or a generic refusal names nobody.
            None => "未具名 (no vendor named)".to_string(),
        })
    };
    let owner = |s: &Site| Some(s.owner.clone().unwrap_or_else(|| "-".to_string()));
    Protected {
        sites: current.sites.iter().filter(|s| behind_gate(s)).count() as u64,
        vendors: counts_by(current, previous, |s| vendor(s).filter(|_| behind_gate(s))),
        owners: counts_by(current, previous, |s| owner(s).filter(|_| behind_gate(s))),
    }
}

/// The filing rules `site` warns on.
fn filing_rules<'a>(run: &'a RunData, site: &Site) -> Vec<&'a str> {
    site.warning
        .iter()
        .filter_map(|&r| run.rules.get(usize::from(r)))
        .map(String::as_str)
        .filter(|r| beian_rules::ids::FILING_RULES.contains(r))
        .collect()
}

/// Counts of the keys each site has (`keys` reads the site in its own run), now and in the
/// compared run, most first.
fn count_each(
    current: &RunData,
    previous: Option<&RunData>,
    keys: impl Fn(&RunData, &Site) -> Vec<String>,
) -> Vec<Count> {
    let by = |run: &RunData| {
        let mut m: BTreeMap<String, u64> = BTreeMap::new();
        for s in &run.sites {
            for k in keys(run, s) {
                *m.entry(k).or_default() += 1;
            }
        }
        m
    };
    let before = previous.map(by);
    let mut v: Vec<Count> = by(current)
        .into_iter()
        .map(|(name, now)| Count {
            before: before.as_ref().map(|b| b.get(&name).copied().unwrap_or(0)),
            name,
            now,
        })
        .collect();
    v.sort_by(|a, b| b.now.cmp(&a.now).then_with(|| a.name.cmp(&b.name)));
    v
}

/// The sites that do not match their filing, by rule and by owner, with the compared run's
/// counts.
fn filing(current: &RunData, previous: Option<&RunData>) -> Filing {
    let mut list: Vec<Mismatch> = current
        .sites
        .iter()
        .filter_map(|s| {
            let rules = filing_rules(current, s);
            (!rules.is_empty()).then(|| Mismatch {
                domain: s.domain.clone().unwrap_or_default(),
                owner: s.owner.clone(),
                rules: rules.into_iter().map(str::to_string).collect(),
            })
        })
        .collect();
    list.sort_by(|a, b| a.domain.cmp(&b.domain));
    Filing {
        sites: list.len() as u64,
        rules: count_each(current, previous, |run, s| {
            filing_rules(run, s)
                .into_iter()
                .map(str::to_string)
                .collect()
        }),
        owners: count_each(current, previous, |run, s| {
            let owner = s.owner.clone().unwrap_or_else(|| "-".to_string());
            (!filing_rules(run, s).is_empty())
                .then_some(owner)
                .into_iter()
                .collect()
        }),
        list,
    }
}

fn rule_counts(run: &RunData) -> BTreeMap<&str, u64> {
    let mut counts = BTreeMap::new();
    for s in &run.sites {
        for &r in &s.failing {
            if let Some(name) = run.rules.get(usize::from(r)) {
                *counts.entry(name.as_str()).or_default() += 1;
            }
        }
    }
    counts
}

fn rule_names(run: &RunData, site: &Site) -> Vec<String> {
    let mut v: Vec<String> = site
        .failing
        .iter()
        .filter_map(|&r| run.rules.get(usize::from(r)).cloned())
        .collect();
    v.sort();
    v
}

/// The sites of a run by domain (input errors and repeated domains have none).
fn by_domain(run: &RunData) -> HashMap<&str, &Site> {
    run.sites
        .iter()
        .filter(|s| s.status != SiteStatus::InputError)
        .filter_map(|s| s.domain.as_deref().map(|d| (d, s)))
        .collect()
}

/// Builds the report of `current`, compared with `previous` when given.
pub fn build(current: &RunData, previous: Option<&RunData>) -> Report {
    let mut tiles = tiles_of(&current.sites);
    let mut statuses: Vec<Count> = SiteStatus::ALL
        .iter()
        .map(|&s| Count {
            name: s.as_str().to_string(),
            now: count_status(&current.sites, s),
            before: previous.map(|p| count_status(&p.sites, s)),
        })
        .collect();
    statuses.retain(|c| c.now > 0 || c.before.is_some_and(|b| b > 0));

    let now_rules = rule_counts(current);
    let before_rules = previous.map(rule_counts);
    let mut names: Vec<&str> = now_rules.keys().copied().collect();
    if let Some(b) = &before_rules {
        names.extend(b.keys().copied());
    }
    names.sort_unstable();
    names.dedup();
    let mut rules: Vec<RuleRow> = names
        .into_iter()
        .map(|name| {
            let failing = now_rules.get(name).copied().unwrap_or(0);
            let failing_before = before_rules
                .as_ref()
                .map(|b| b.get(name).copied().unwrap_or(0));
            RuleRow {
                rule_id: name.to_string(),
                failing,
                failing_before,
                change: failing_before.map(|b| {
                    i64::try_from(failing).unwrap_or(i64::MAX)
                        - i64::try_from(b).unwrap_or(i64::MAX)
                }),
            }
        })
        .collect();
    rules.sort_by(|a, b| {
        b.failing
            .cmp(&a.failing)
            .then_with(|| a.rule_id.cmp(&b.rule_id))
    });

    let mut unreachable: BTreeMap<&str, u64> = BTreeMap::new();
    for s in &current.sites {
        if s.status == SiteStatus::Unreachable {
            *unreachable
                .entry(s.error_class.as_deref().unwrap_or("unknown"))
                .or_default() += 1;
        }
    }
    let mut unreachable: Vec<Count> = unreachable
        .into_iter()
        .map(|(name, now)| Count {
            name: name.to_string(),
            now,
            before: None,
        })
        .collect();
    unreachable.sort_by(|a, b| b.now.cmp(&a.now).then_with(|| a.name.cmp(&b.name)));

    let mut report = Report {
        protected: protected(current, previous),
        edges: edges(current, previous),
        filing: filing(current, previous),
        exceptions: exceptions(current, previous),
        trend: Vec::new(),
        appendix: Vec::new(),
        owners: Vec::new(),
        provinces: Vec::new(),
        report_version: REPORT_VERSION,
        run: current.info.clone(),
        compared: previous.map(|p| p.info.clone()),
        tiles: tiles.clone(),
        statuses,
        population: None,
        rules,
        newly_failing: Vec::new(),
        fixed: Vec::new(),
        still_failing: Vec::new(),
        worst: Vec::new(),
        psb_due: deadlines(current),
        unreachable,
    };
    let Some(previous) = previous else {
        report.owners = groups(current, |s| s.owner.as_deref(), &report);
        report.provinces = groups(current, |s| s.province.as_deref(), &report);
        report.worst = worst_offenders(&[], first_failing(current, &HashSet::new()));
        report.appendix = crate::sql::appendix(&report);
        return report;
    };
    let before_tiles = tiles_of(&previous.sites);
    // From the unrounded shares, so that the change is not the difference of two roundings.
    tiles.compliant_pct_change = Some(round1(
        ratio(tiles.compliant, tiles.audited) - ratio(before_tiles.compliant, before_tiles.audited),
    ));

    let now = by_domain(current);
    let before = by_domain(previous);
    let mut added: Vec<String> = now
        .keys()
        .filter(|d| !before.contains_key(*d))
        .map(|d| (*d).to_string())
        .collect();
    let mut removed: Vec<String> = before
        .keys()
        .filter(|d| !now.contains_key(*d))
        .map(|d| (*d).to_string())
        .collect();
    added.sort();
    removed.sort();
    let (mut common, mut common_audited, mut common_ok, mut common_ok_before) = (0, 0, 0, 0);
    for (domain, site) in &now {
        let Some(old) = before.get(domain) else {
            continue;
        };
        common += 1;
        common_audited += 1;
        common_ok += u64::from(site.status.is_compliant());
        common_ok_before += u64::from(old.status.is_compliant());
        let change = || Change {
            domain: (*domain).to_string(),
            status: site.status.as_str(),
            status_before: old.status.as_str(),
            rules: rule_names(current, site),
            rules_before: rule_names(previous, old),
            owner: site.owner.clone(),
            failing_since: None,
            screenshots: screenshots_of(current, domain),
        };
        let failing_now = site.status == SiteStatus::Violation;
        let failing_before = old.status == SiteStatus::Violation;
        let ok_now = site.status.is_compliant() || site.status == SiteStatus::Warning;
        if failing_now && failing_before {
            let mut c = change();
            c.failing_since = previous.info.as_of.clone();
            report.still_failing.push(c);
        } else if failing_now {
            report.newly_failing.push(change());
        } else if failing_before && ok_now {
            report.fixed.push(change());
        }
    }
    for list in [
        &mut report.newly_failing,
        &mut report.fixed,
        &mut report.still_failing,
    ] {
        list.sort_by(|a, b| a.domain.cmp(&b.domain));
    }
    tiles.newly_failing = Some(report.newly_failing.len() as u64);
    tiles.fixed = Some(report.fixed.len() as u64);
    report.tiles = tiles;
    report.population = Some(Population {
        added: added.len() as u64,
        removed: removed.len() as u64,
        common,
        compliant_pct_common: pct(common_ok, common_audited),
        compliant_pct_common_before: pct(common_ok_before, common_audited),
        added_domains: added,
        removed_domains: removed,
    });
    report.owners = groups(current, |s| s.owner.as_deref(), &report);
    report.provinces = groups(current, |s| s.province.as_deref(), &report);
    let streaks: HashSet<&str> = report
        .still_failing
        .iter()
        .map(|c| c.domain.as_str())
        .collect();
    report.worst = worst_offenders(&report.still_failing, first_failing(current, &streaks));
    report.appendix = crate::sql::appendix(&report);
    report
}

/// The screenshots the run took of `domain`'s failing pages.
fn screenshots_of(run: &RunData, domain: &str) -> Vec<std::path::PathBuf> {
    run.screenshots.get(domain).cloned().unwrap_or_default()
}

/// The failing sites of `current` outside `streaks` (their streak starts in this run), most
/// failing rules first, as many as can make the worst-offenders list.
fn first_failing(current: &RunData, streaks: &HashSet<&str>) -> Vec<Offender> {
    let mut v: Vec<(&Site, &str)> = current
        .sites
        .iter()
        .filter(|s| s.status == SiteStatus::Violation)
        .filter_map(|s| s.domain.as_deref().map(|d| (s, d)))
        .filter(|(_, d)| !streaks.contains(d))
        .collect();
    v.sort_by(|(a, da), (b, db)| {
        b.failing
            .len()
            .cmp(&a.failing.len())
            .then_with(|| da.cmp(db))
    });
    v.into_iter()
        .take(WORST_MAX)
        .map(|(s, d)| Offender {
            domain: d.to_string(),
            owner: s.owner.clone(),
            rules: rule_names(current, s),
            failing_since: None,
            screenshots: screenshots_of(current, d),
        })
        .collect()
}

/// The worst offenders: the still-failing sites, longest streak first, then `others` (sites
/// whose streak starts in the reported run); ties go to the site failing more rules.
pub(crate) fn worst_offenders(still: &[Change], others: Vec<Offender>) -> Vec<Offender> {
    let mut v: Vec<Offender> = still
        .iter()
        .map(|c| Offender {
            domain: c.domain.clone(),
            owner: c.owner.clone(),
            rules: c.rules.clone(),
            failing_since: c.failing_since.clone(),
            screenshots: c.screenshots.clone(),
        })
        .collect();
    // An ISO date sorts as text; a streak with a date began before one without.
    v.sort_by(|a, b| {
        a.failing_since
            .cmp(&b.failing_since)
            .then_with(|| b.rules.len().cmp(&a.rules.len()))
            .then_with(|| a.domain.cmp(&b.domain))
    });
    v.truncate(WORST_MAX);
    v.extend(others.into_iter().take(WORST_MAX - v.len()));
    v
}

/// The audit date of `run`, when it recorded one.
fn audit_date(run: &RunData) -> Option<time::Date> {
    run.info
        .as_of
        .as_deref()
        .and_then(|d| time::Date::parse(d, DATE).ok())
}

/// What the exceptions of `current` waived (by rule, with `previous`'s counts), and those that
/// expire within [`DEADLINE_DAYS`] or lapsed since `previous` (every expired one without it).
fn exceptions(current: &RunData, previous: Option<&RunData>) -> Exceptions {
    let rules = count_each(current, previous, |run, s| {
        s.waived
            .iter()
            .filter_map(|&r| run.rules.get(usize::from(r)).cloned())
            .collect()
    });
    let mut out = Exceptions {
        file: current.waivers.as_ref().map(|w| w.file.clone()),
        waived: rules.iter().map(|c| c.now).sum(),
        sites: current
            .sites
            .iter()
            .filter(|s| !s.waived.is_empty())
            .count() as u64,
        rules,
        ..Exceptions::default()
    };
    let (Some(waivers), Some(as_of)) = (&current.waivers, audit_date(current)) else {
        return out;
    };
    let since = previous.and_then(audit_date);
    for w in &waivers.entries {
        let Ok(expires) = time::Date::parse(&w.expires, DATE) else {
            continue;
        };
        let days_left = (expires - as_of).whole_days();
        let entry = || Exception {
            id: w.id.clone(),
            owner: w.owner.clone(),
            ticket: w.ticket.clone(),
            expires: w.expires.clone(),
            days_left,
            rules: w.rules.clone(),
            names: w.domains.iter().chain(&w.hosts).cloned().collect(),
            reason: w.reason.clone(),
        };
        if (0..=DEADLINE_DAYS).contains(&days_left) {
            out.expiring.push(entry());
        } else if days_left < 0 && since.is_none_or(|d| expires >= d) {
            out.lapsed.push(entry());
        }
    }
    for list in [&mut out.expiring, &mut out.lapsed] {
        list.sort_by(|a, b| a.expires.cmp(&b.expires).then_with(|| a.id.cmp(&b.id)));
    }
    out
}

/// The public-security deadlines of `run` falling in the [`DEADLINE_DAYS`] days from its
/// audit date, soonest first.
fn deadlines(run: &RunData) -> Vec<Deadline> {
    let Some(as_of) = audit_date(run) else {
        return Vec::new();
    };
    let mut v: Vec<Deadline> = run
        .sites
        .iter()
        .filter_map(|s| {
            let due = s.psb_due?;
            let days_left = (due.date - as_of).whole_days();
            (0..=DEADLINE_DAYS).contains(&days_left).then(|| Deadline {
                domain: s.domain.clone().unwrap_or_default(),
                owner: s.owner.clone(),
                due: due.date.to_string(),
                duty: due.duty.as_str(),
                days_left,
            })
        })
        .collect();
    v.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.domain.cmp(&b.domain)));
    v
}

/// `YYYY-MM-DD`.
const DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// The audited sites of `run` grouped by `key` (`-` for none), with the diff lists' counts.
fn groups(run: &RunData, key: impl Fn(&Site) -> Option<&str>, report: &Report) -> Vec<Group> {
    let in_list = |list: &[Change]| -> std::collections::HashSet<String> {
        list.iter().map(|c| c.domain.clone()).collect()
    };
    let (newly, fixed) = (in_list(&report.newly_failing), in_list(&report.fixed));
    let compared = report.compared.is_some();
    let mut by: BTreeMap<&str, Group> = BTreeMap::new();
    for s in run
        .sites
        .iter()
        .filter(|s| s.status != SiteStatus::InputError)
    {
        let name = key(s).unwrap_or("-");
        let g = by.entry(name).or_insert_with(|| Group {
            name: name.to_string(),
            sites: 0,
            compliant: 0,
            compliant_pct: 0.0,
            failing: 0,
            newly_failing: compared.then_some(0),
            fixed: compared.then_some(0),
        });
        g.sites += 1;
        g.compliant += u64::from(s.status.is_compliant());
        g.failing += u64::from(s.status == SiteStatus::Violation);
        if let Some(d) = &s.domain {
            if let Some(n) = g.newly_failing.as_mut() {
                *n += u64::from(newly.contains(d));
            }
            if let Some(f) = g.fixed.as_mut() {
                *f += u64::from(fixed.contains(d));
            }
        }
    }
    let mut out: Vec<Group> = by
        .into_values()
        .map(|mut g| {
            g.compliant_pct = pct(g.compliant, g.sites);
            g
        })
        .collect();
    out.sort_by(|a, b| b.failing.cmp(&a.failing).then_with(|| a.name.cmp(&b.name)));
    out
}
