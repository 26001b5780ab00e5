//! Report benchmark (issue 13): `beian report` over two synthetic runs of N sites each
//! (default 1,000,000), the second compared with the first: the report process's wall time,
//! CPU time and peak RSS. Target: ≤ 30 s and ≤ 1 GiB for 1,000,000 sites.
//!
//! `cargo bench --bench report -- [--sites N]` (`make bench-report`). The runs are written
//! with the project's own run-directory writer (sites only: the report reads no other table
//! unless it exports); statuses, rules, owners, provinces and public-security deadlines follow
//! a fixed pattern, and the
//! second run changes about one site in twelve.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark: a failure ends it.
#![allow(clippy::print_stdout, clippy::print_stderr)] // It reports its figures on the terminal.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use beian_run::{RunEnd, RunWriter};
use beian_types::{ErrorClass, PsbDue, PsbDuty, SiteReport, SiteRow, SiteStatus};

#[path = "measure.rs"]
mod measure;
use measure::run_measured;

const RULES: &[&str] = &[
    "ICP-PRESENT",
    "ICP-LINK",
    "ICP-KIND",
    "PSB-LINK",
    "SITE-REACH",
    "SITE-PARITY",
    "COPYRIGHT",
];
const PROVINCES: &[&str] = &["北京", "上海", "广东", "浙江", "江苏", "四川"];

/// The status of site `i` on `day` (1 or 2): day 2 changes one site in twelve.
fn status(i: u64, day: u64) -> SiteStatus {
    let k = if day == 2 && i % 12 == 5 { i + 3 } else { i };
    match k % 10 {
        0..=3 => SiteStatus::Compliant,
        4 => SiteStatus::Warning,
        5..=7 => SiteStatus::Violation,
        8 => SiteStatus::Unverified,
        _ => SiteStatus::Unreachable,
    }
}

fn write_run(dir: &Path, day: u64, sites: u64) {
    let mut w = RunWriter::create(dir, &format!("bench-day-{day}"), true).unwrap();
    for i in 0..sites {
        let domain = format!("s{i:07}.cn");
        let mut site =
            SiteRow::input_error(i + 1, domain.clone(), ErrorClass::NoPage, String::new(), 0);
        site.status = status(i, day);
        site.domain = Some(domain);
        site.error_class =
            (site.status == SiteStatus::Unreachable).then_some(ErrorClass::DnsNxdomain);
        site.error_message = None;
        if site.status == SiteStatus::Violation {
            let n = RULES.len() as u64;
            site.failing_rules = vec![RULES[(i % n) as usize].to_string()];
            if i % 3 == 0 {
                site.failing_rules
                    .push(RULES[((i / 3) % n) as usize].to_string());
                site.failing_rules.sort();
                site.failing_rules.dedup();
            }
        }
        site.owner = Some(format!("owner-{:03}", i % 500));
        site.province = Some(PROVINCES[(i % PROVINCES.len() as u64) as usize].to_string());
        // One site in fifty has no public-security number yet, due within the next 60 days.
        if i % 50 == 7 {
            site.psb_due = Some(PsbDue {
                date: time::macros::date!(2026 - 11 - 27) + time::Duration::days((i % 60) as i64),
                duty: PsbDuty::File,
            });
        }
        w.write(SiteReport {
            site,
            fetches: Vec::new(),
            findings: Vec::new(),
            browser: beian_types::BrowserWork::default(),
            evidence: Vec::new(),
        })
        .unwrap();
        if (i + 1) % 100_000 == 0 {
            w.checkpoint().unwrap();
        }
    }
    let status = BTreeMap::new();
    w.finish_run(&RunEnd {
        input: "synthetic",
        as_of: if day == 1 { "2026-11-20" } else { "2026-11-27" },
        interrupted: false,
        abandoned: 0,
        resumed_lines: 0,
        audit_network: 0,
        status: &status,
        started_at: 0,
        duration_s: 0.0,
        rules_version: "synthetic",
        rules_file: None,
        waivers: None,
        shard: None,
        render: None,
    })
    .unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sites = args
        .iter()
        .position(|a| a == "--sites")
        .and_then(|i| args.get(i + 1))
        .map_or(1_000_000, |v| v.parse().expect("--sites N"));
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    for day in [1, 2] {
        write_run(&dir.path().join(format!("day{day}")), day, sites);
    }
    println!(
        "report bench: two runs of {sites} sites written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let out = dir.path().join("report");
    let usage = run_measured(
        Command::new(env!("CARGO_BIN_EXE_beian"))
            .arg("report")
            .arg(dir.path().join("day2"))
            .arg("--compare")
            .arg(dir.path().join("day1"))
            .arg("--out")
            .arg(&out)
            .args(["--lang", "en"])
            .stdout(std::process::Stdio::null()),
    );
    let json = std::fs::metadata(out.join("report.json")).map_or(0, |m| m.len());
    let html = std::fs::metadata(out.join("report.html")).map_or(0, |m| m.len());
    println!(
        "beian report: ok={} wall {:.2} s, CPU {:.2} s, peak RSS {:.1} MiB; report.json {} KB, report.html {} KB",
        usage.ok,
        usage.wall.as_secs_f64(),
        usage.cpu.as_secs_f64(),
        usage.max_rss_mib,
        json / 1024,
        html / 1024
    );
    println!(
        "targets (1,000,000 sites): wall ≤ 30 s: {}, peak RSS ≤ 1024 MiB: {}",
        if usage.wall.as_secs() <= 30 {
            "met"
        } else {
            "NOT met"
        },
        if usage.max_rss_mib <= 1024.0 {
            "met"
        } else {
            "NOT met"
        }
    );
}
