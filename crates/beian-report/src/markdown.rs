//! The chat digest (`report.md`): at most ~25 lines from the [`Report`] model — the tiles, the
//! rules that moved most, the first newly failing sites, and where the full report is.

use crate::model::Report;

/// The language of a report's labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Chinese (the default: the people who fix footers read it).
    Zh,
    /// English.
    En,
}

struct Labels {
    title: &'static str,
    versus: &'static str,
    compliant: &'static str,
    points: &'static str,
    failing: &'static str,
    newly_failing: &'static str,
    fixed: &'static str,
    unverified: &'static str,
    unreachable: &'static str,
    input_errors: &'static str,
    population: &'static str,
    rule_changes: &'static str,
    first_new: &'static str,
    more: &'static str,
    full: &'static str,
}

const ZH: Labels = Labels {
    title: "ICP 备案合规报告",
    versus: "对比",
    compliant: "合规",
    points: "个百分点",
    failing: "违规",
    newly_failing: "新增违规",
    fixed: "已修复",
    unverified: "待核实",
    unreachable: "无法访问",
    input_errors: "输入错误",
    population: "名单变化：新增 {added} 个域名，移除 {removed} 个；相同域名的合规率 {before}% → {now}%",
    rule_changes: "规则变化",
    first_new: "新增违规",
    more: "另有 {n} 个",
    full: "完整报告",
};

const EN: Labels = Labels {
    title: "ICP filing compliance report",
    versus: "vs",
    compliant: "compliant",
    points: "points",
    failing: "failing",
    newly_failing: "newly failing",
    fixed: "fixed",
    unverified: "unverified",
    unreachable: "unreachable",
    input_errors: "input errors",
    population: "List changed: +{added} domains, -{removed}; on the domains in both, compliant {before}% → {now}%",
    rule_changes: "Rules that moved",
    first_new: "Newly failing",
    more: "{n} more",
    full: "Full report",
};

/// Sites listed by name in the digest.
const LISTED: usize = 5;
/// Rules listed in the digest.
const RULES: usize = 5;

/// The digest of `report`; `full` names where the full report is.
pub fn markdown(report: &Report, lang: Lang, full: &str) -> String {
    let l = match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    };
    let t = &report.tiles;
    let mut out: Vec<String> = Vec::new();
    let date = |r: &crate::RunInfo| r.as_of.clone().unwrap_or_else(|| r.run_id.clone());
    out.push(match &report.compared {
        Some(c) => format!(
            "## {} {} ({} {})",
            l.title,
            date(&report.run),
            l.versus,
            date(c)
        ),
        None => format!("## {} {}", l.title, date(&report.run)),
    });
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
