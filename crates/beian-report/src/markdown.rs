//! The chat digest (`report.md`): at most ~25 lines from the [`Report`] model — the tiles, the
//! rules that moved most, the first newly failing sites, and where the full report is.

use crate::labels::{Lang, labels};
use crate::model::Report;

/// Sites listed by name in the digest.
const LISTED: usize = 5;
/// Rules listed in the digest.
const RULES: usize = 5;

/// The report's title: its run's date, and the compared run's ("ICP 备案合规报告 2026-11-28
/// (对比 2026-11-21)"); a run without a date is named by its id.
pub fn title(report: &Report, lang: Lang) -> String {
    let l = labels(lang);
    let date = |r: &crate::RunInfo| r.as_of.clone().unwrap_or_else(|| r.run_id.clone());
    match &report.compared {
        Some(c) => format!(
            "{} {} ({} {})",
            l.title,
            date(&report.run),
            l.versus,
            date(c)
        ),
        None => format!("{} {}", l.title, date(&report.run)),
    }
}

/// The digest of `report`; `full` names where the full report is.
pub fn markdown(report: &Report, lang: Lang, full: &str) -> String {
    let l = labels(lang);
    let t = &report.tiles;
    let mut out: Vec<String> = Vec::new();
    out.push(format!("## {}", title(report, lang)));
    let change = t
        .compliant_pct_change
        .map(|c| format!(", {c:+.1} {}", l.points))
        .unwrap_or_default();
    out.push(format!(
        "**{} {}/{} ({:.1}%{change})** · {} {}",
        l.compliant, t.compliant, t.audited, t.compliant_pct, l.failing, t.failing
    ));
    let mut line = Vec::new();
    if let (Some(n), Some(f)) = (t.newly_failing, t.fixed) {
        line.push(format!("{} {n}", l.newly_failing));
        line.push(format!("{} {f}", l.fixed));
    }
    line.push(format!("{} {}", l.unverified, t.unverified));
    line.push(format!("{} {}", l.unreachable, t.unreachable));
    if t.input_errors > 0 {
        line.push(format!("{} {}", l.input_errors, t.input_errors));
    }
    out.push(line.join(" · "));
    // A group's line: how many sites, and its counts ("未具名 (no vendor named) 5, 安全狗 4").
    let group = |template: &str, sites: u64, counts: &[crate::Count]| {
        let counts: Vec<String> = counts
            .iter()
            .map(|c| format!("{} {}", c.name, c.now))
            .collect();
        template
            .replace("{n}", &sites.to_string())
            .replace("{counts}", &counts.join(", "))
    };
    let p = &report.protected;
    if p.sites > 0 {
        out.push(group(l.protected_digest, p.sites, &p.vendors));
    }
    let f = &report.filing;
    if f.sites > 0 {
        out.push(group(l.filing_digest, f.sites, &f.rules));
    }
    let e = &report.exceptions;
    if e.file.is_some() {
        out.push(
            l.exceptions_digest
                .replace("{waived}", &e.waived.to_string())
                .replace("{sites}", &e.sites.to_string())
                .replace("{expiring}", &e.expiring.len().to_string())
                .replace("{lapsed}", &e.lapsed.len().to_string()),
        );
        for (heading, list) in [(l.expiring_h, &e.expiring), (l.lapsed_h, &e.lapsed)] {
            if list.is_empty() {
                continue;
            }
            out.push(format!("{heading}:"));
            for x in list.iter().take(LISTED) {
                let owner = x.owner.as_deref().unwrap_or("-");
                let ticket = x.ticket.as_deref().unwrap_or("-");
                out.push(format!(
                    "- {} ({} {}, {} {}, {} {})",
                    x.id, l.owner, owner, l.ticket, ticket, l.expires, x.expires
                ));
            }
        }
    }
    if let Some(p) = report
        .population
        .as_ref()
        .filter(|p| p.added + p.removed > 0)
    {
        out.push(
            l.population
                .replace("{added}", &p.added.to_string())
                .replace("{removed}", &p.removed.to_string())
                .replace("{before}", &format!("{:.1}", p.compliant_pct_common_before))
                .replace("{now}", &format!("{:.1}", p.compliant_pct_common)),
        );
    }
    if let Some(first) = report.psb_due.first() {
        out.push(
            l.due_digest
                .replace("{n}", &report.psb_due.len().to_string())
                .replace("{domain}", &first.domain)
                .replace("{due}", &first.due),
        );
    }
    let mut moved: Vec<(&str, i64)> = report
        .rules
        .iter()
        .filter_map(|r| {
            r.change
                .filter(|c| *c != 0)
                .map(|c| (r.rule_id.as_str(), c))
        })
        .collect();
    moved.sort_by(|a, b| b.1.abs().cmp(&a.1.abs()).then_with(|| a.0.cmp(b.0)));
    if !moved.is_empty() {
        let list: Vec<String> = moved
            .iter()
            .take(RULES)
            .map(|(r, c)| format!("{r} {c:+}"))
            .collect();
        out.push(String::new());
        out.push(format!("{}: {}", l.rule_changes, list.join(", ")));
    }
    if !report.newly_failing.is_empty() {
        out.push(String::new());
        out.push(format!("{}:", l.first_new));
        for c in report.newly_failing.iter().take(LISTED) {
            out.push(format!("- {}: {}", c.domain, c.rules.join(", ")));
        }
        let rest = report.newly_failing.len().saturating_sub(LISTED);
        if rest > 0 {
            out.push(format!("- {}", l.more.replace("{n}", &rest.to_string())));
        }
    }
    out.push(String::new());
    out.push(format!("{}: {full}", l.full));
    out.join("\n") + "\n"
}
