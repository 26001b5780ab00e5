//! The run's summary on standard output: statuses, failing rules, error classes, renders
//! and screenshots, rows and where they went.

use std::io::Write;
use std::path::Path;

use beian_pipeline::RunReport;
use beian_types::SiteStatus;

/// The run's summary on standard output. A closed pipe (`beian audit … | head`) ends it
/// quietly; the run itself is complete either way.
pub(crate) fn print_summary(report: &RunReport, dir: &Path, extra: &[String]) {
    let _closed = write_summary(&mut std::io::stdout().lock(), report, dir, extra);
}

fn write_summary(
    out: &mut impl Write,
    report: &RunReport,
    dir: &Path,
    extra: &[String],
) -> std::io::Result<()> {
    let tally = &report.tally;
    let total: u64 = tally.by_status.values().sum();
    if report.resumed_lines > 0 {
        writeln!(
            out,
            "resumed: {} input lines were done by the interrupted run (in earlier parts)",
            report.resumed_lines
        )?;
    }
    writeln!(out, "audited {total} input lines")?;
    if total == 0 && report.resumed_lines == 0 {
        writeln!(
            out,
            "the input holds no domains: it is empty, or has only blank lines, comments and a \
             CSV header (or none of its lines is this shard's)"
        )?;
    }
    writeln!(out, "{:<14} {:>8}", "status", "sites")?;
    for s in SiteStatus::ALL {
        let n = tally.status(s.as_str());
        // Shown only when exceptions were at work (`--waivers`).
        if s == SiteStatus::CompliantWithWaivers && n == 0 {
            continue;
        }
        writeln!(out, "{:<14} {:>8}", s.as_str(), n)?;
    }
    if !tally.failing.is_empty() {
        let mut rules: Vec<(&String, &u64)> = tally.failing.iter().collect();
        rules.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        writeln!(out, "\n{:<14} {:>8}", "failing rule", "sites")?;
        for (r, n) in rules {
            writeln!(out, "{r:<14} {n:>8}")?;
        }
    }
    if !tally.errors.is_empty() {
        writeln!(out, "\n{:<16} {:>6}", "error class", "sites")?;
        for (class, n) in &tally.errors {
            writeln!(out, "{class:<16} {n:>6}")?;
        }
    }
    if let Some(n) = tally.errors.get("audit_network") {
        writeln!(
            out,
            "\n{n} sites not checked: the audit's own network failed (its canaries did not \
             answer either; --canary) — they are `unverified`, not `unreachable`: audit them \
             again once the network is back"
        )?;
    }
    if let Some(mean) = tally
        .render_ms
        .checked_div(tally.rendered + tally.render_failed)
    {
        writeln!(
            out,
            "\nrendered in the browser: {} pages ({} failed), {mean} ms each on average, \
             at most {} MiB of browser memory",
            tally.rendered,
            tally.render_failed,
            tally.render_peak_memory.div_ceil(1 << 20),
        )?;
    }
    let shots_failed = tally.screenshots_failed();
    if tally.screenshots + shots_failed > 0 {
        writeln!(
            out,
            "screenshots: {} written, {shots_failed} failed",
            tally.screenshots
        )?;
        for (class, f) in &tally.screenshot_failures {
            writeln!(out, "  {class}: {} (first: {})", f.count, f.first)?;
        }
    }
    writeln!(
        out,
        "\nrows: sites={} fetches={} findings={}\noutput: {}",
        report.rows.sites,
        report.rows.fetches,
        report.rows.findings,
        dir.display()
    )?;
    for line in extra {
        writeln!(out, "{line}")?;
    }
    out.flush()
}
