//! The fleet over time: day 1 is [`generate_from`]'s fleet; each later day, a week after the
//! one before, some failing sites are fixed, some compliant sites break, a few domains leave
//! the list and a few join it — deterministically from the seed, so a history of demo runs is
//! the same on every machine. Also the manifest a portfolio keeps beside its list: each site's
//! owner (the customer) and, for sites without a public-security number, when they opened.

use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use time::{Date, Duration};

use crate::scenario::{Behaviour, SiteSpec, generate_from};

/// Days between two fleet days (a weekly audit).
pub const DAYS_APART: i64 = 7;

/// Behaviours a site owner fixes by editing the footer, and what the site becomes.
fn fixed(b: Behaviour) -> Option<Behaviour> {
    use Behaviour as B;
    match b {
        B::NoIcp
        | B::Unlinked
        | B::WrongLink
        | B::LegacyLink
        | B::PsbMissing
        | B::PsbCodeMismatch
        | B::PsbNoIcon
        | B::WwwNoNumber => Some(B::Compliant),
        // The province asks for the copyright line; it is added.
        B::JiangsuNoCopyright => Some(B::JiangsuCopyright),
        _ => None,
    }
}

/// How a compliant site breaks: a redesign that drops or mangles the ICP line. (Not the
/// public-security number: the manifest dates a missing one as a new site's.)
const BREAKS: &[Behaviour] = &[
    Behaviour::NoIcp,
    Behaviour::Unlinked,
    Behaviour::WrongLink,
    Behaviour::WwwNoNumber,
];

/// Share of fixable failing sites fixed each day.
const FIX_RATE: f64 = 0.3;
/// Share of compliant sites that break each day.
const BREAK_RATE: f64 = 0.25;

/// Sites whose pages are compliant and plain enough to break by a redesign.
fn breakable(b: Behaviour) -> bool {
    matches!(
        b,
        Behaviour::Compliant | Behaviour::Gbk | Behaviour::Compressed
    )
}
/// Share of the list removed, and added, each day.
const CHURN_RATE: f64 = 0.03;

/// The date of day 1 when `day` is audited on `as_of`.
pub fn day_one(as_of: Date, day: u32) -> Date {
    as_of - Duration::days(DAYS_APART * i64::from(day.saturating_sub(1)))
}

/// The fleet of `n` sites from `seed` as it is on `day` (1-based; day 1 is
/// `generate_from(n, seed, behaviours)`).
pub fn on_day(n: usize, seed: u64, behaviours: &[Behaviour], day: u32) -> Vec<SiteSpec> {
    let mut sites = generate_from(n, seed, behaviours);
    let mut next_index = sites.len();
    for d in 2..=day {
        let mut rng =
            SmallRng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(u64::from(d)));
        let churn = ((sites.len() as f64 * CHURN_RATE).round() as usize).max(1);
        // Removed: a few domains leave the list.
        for _ in 0..churn.min(sites.len().saturating_sub(1)) {
            let at = rng.random_range(0..sites.len());
            sites.remove(at);
        }
        let (mut fixes, mut breaks) = (0, 0);
        for s in &mut sites {
            if let Some(to) = fixed(s.behaviour) {
                if rng.random_bool(FIX_RATE) {
                    s.behaviour = to;
                    fixes += 1;
                }
            } else if breakable(s.behaviour) && rng.random_bool(BREAK_RATE) {
                s.behaviour = *BREAKS.choose(&mut rng).unwrap_or(&Behaviour::NoIcp);
                breaks += 1;
            }
        }
        // A day always shows both kinds of change when the fleet has a site for them.
        if fixes == 0 {
            if let Some(s) = sites.iter_mut().find(|s| fixed(s.behaviour).is_some()) {
                s.behaviour = fixed(s.behaviour).unwrap_or(s.behaviour);
            }
        }
        if breaks == 0 {
            if let Some(s) = sites.iter_mut().find(|s| breakable(s.behaviour)) {
                s.behaviour = BREAKS[d as usize % BREAKS.len()];
            }
        }
        // Added: new domains, numbered after every domain the fleet has had.
        let pool = if behaviours.is_empty() {
            Behaviour::ALL
        } else {
            behaviours
        };
        for mut s in generate_from(churn, rng.random(), pool) {
            s.index = next_index;
            s.domain = format!("s{next_index:05}-{}.cn", s.behaviour.name());
            s.domain_unicode = s.domain.clone();
            next_index += 1;
            sites.push(s);
        }
    }
    sites
}

/// When a site without a public-security number opened (`opened_on`): between 0 and 24 days
/// before day 1, so that its filing falls due 6 to 30 days after day 1.
pub fn opened_on(s: &SiteSpec, day1: Date) -> Option<Date> {
    (s.behaviour == Behaviour::PsbMissing)
        .then(|| day1 - Duration::days(((s.index * 7) % 25) as i64))
}

/// The list with its manifest, as CSV: `domain,owner,opened_on` and the filing columns
/// (`site_name,subject_type,interactive,filed_ips,languages,other_domains`) — the owner is the customer
/// (the site's organisation), `opened_on` only for sites without a public-security number
/// (docs/rulebook.md §4.4: it is due 30 days after opening), the filing columns only for the
/// sites that do not match their filing ([`crate::filing::manifest_columns`]; `addr`: the
/// address a site is served from).
pub fn manifest_csv(
    sites: &[SiteSpec],
    day1: Date,
    addr: impl Fn(&SiteSpec) -> std::net::IpAddr,
) -> String {
    let mut out = String::from(
        "domain,owner,opened_on,site_name,subject_type,interactive,filed_ips,languages,other_domains\n",
    );
    for s in sites {
        let opened = opened_on(s, day1)
            .map(|d| d.to_string())
            .unwrap_or_default();
        let filing = crate::filing::manifest_columns(s, addr(s));
        out.push_str(&format!(
            "{},{},{opened},{filing}\n",
            s.domain_unicode, s.org
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains(v: &[SiteSpec]) -> Vec<&str> {
        v.iter().map(|s| s.domain.as_str()).collect()
    }

    #[test]
    fn day_two_fixes_breaks_adds_and_removes_and_is_reproducible() {
        let one = on_day(200, 1, &[], 1);
        let two = on_day(200, 1, &[], 2);
        assert_eq!(domains(&one), domains(&generate_from(200, 1, &[])));
        assert_eq!(domains(&two), domains(&on_day(200, 1, &[], 2)));
        let by = |v: &[SiteSpec]| -> std::collections::HashMap<String, Behaviour> {
            v.iter().map(|s| (s.domain.clone(), s.behaviour)).collect()
        };
        let (a, b) = (by(&one), by(&two));
        let removed = a.keys().filter(|d| !b.contains_key(*d)).count();
        let added: Vec<&String> = b.keys().filter(|d| !a.contains_key(*d)).collect();
        assert_eq!((removed, added.len()), (6, 6));
        let fixed = a
            .iter()
            .filter(|(d, was)| b.get(*d).is_some_and(|now| fixed(**was) == Some(*now)))
            .count();
        let broken = a
            .iter()
            .filter(|(d, was)| {
                breakable(**was) && b.get(*d).is_some_and(|now| BREAKS.contains(now))
            })
            .count();
        assert!(fixed >= 3 && broken >= 1, "fixed {fixed}, broken {broken}");
        // New domains never reuse a name the fleet had.
        assert!(added.iter().all(|d| !a.contains_key(*d)));
        let mut all = domains(&two);
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), two.len());
    }

    #[test]
    fn the_manifest_dates_only_sites_without_a_psb_number() {
        let day1 = Date::from_calendar_date(2026, time::Month::November, 20).unwrap();
        let sites = on_day(60, 3, &[], 1);
        let csv = manifest_csv(&sites, day1, |_| std::net::IpAddr::from([127, 0, 0, 1]));
        assert!(csv.starts_with("domain,owner,opened_on,"));
        for (s, line) in sites.iter().zip(csv.lines().skip(1)) {
            let dated = line.split(',').nth(2).is_some_and(|d| !d.is_empty());
            assert_eq!(dated, s.behaviour == Behaviour::PsbMissing, "{line}");
            if let Some(d) = opened_on(s, day1) {
                assert!(d <= day1 && d > day1 - Duration::days(25));
            }
        }
        assert_eq!(day_one(day1, 3), day1 - Duration::days(14));
    }
}
