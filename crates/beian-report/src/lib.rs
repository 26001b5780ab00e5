//! Fleet reports (issue 13): a run, compared with an earlier one, as one [`Report`] model —
//! tiles, status and rule tables with their change, domains added and removed, and the diff
//! lists (newly failing, fixed, still failing) — written as `report.json` (the model, versioned
//! like the Parquet schema) and a short Markdown digest for chat. Reads only the columns it
//! needs from the `sites` table ([`load_run`]).
#![deny(missing_docs)]

mod export;
mod figures;
mod html;
mod labels;
mod load;
mod markdown;
mod model;
mod sql;
mod trend;
mod write;

pub use export::{ExportError, Failure, SplitBy, failures, write_exports};
pub use figures::build;
pub use html::{HtmlError, html};
pub use labels::Lang;
pub use load::{LoadError, RunData, RunInfo, Site, load_run};
pub use markdown::{markdown, title};
pub use model::{
    Change, Count, DEADLINE_DAYS, Deadline, Exception, Exceptions, Filing, Group, Mismatch,
    Offender, Population, Protected, REPORT_VERSION, Report, RuleRow, Tiles, WORST_MAX,
};
pub use sql::Query;
pub use trend::{TrendPoint, add_history};
pub use write::{ReportFiles, WriteError, Written, write_report};

#[cfg(test)]
mod tests_support {
    use std::path::Path;

    use beian_run::{RunEnd, RunWriter};
    use beian_types::{
        ErrorClass, Finding, FindingRow, Fix, PsbDue, PsbDuty, SiteReport, SiteRow, SiteStatus,
        Verdict,
    };

    use super::*;

    /// Writes a run of `sites` (domain, status, failing rules) with `as_of`.
    pub(crate) fn run(
        dir: &Path,
        run_id: &str,
        as_of: &str,
        sites: &[(&'static str, SiteStatus, &[&'static str])],
    ) {
        let mut w = RunWriter::create(dir, run_id, false).unwrap();
        for (i, (domain, status, rules)) in sites.iter().enumerate() {
            let mut site = SiteRow::input_error(
                i as u64 + 1,
                (*domain).into(),
                ErrorClass::NoPage,
                String::new(),
                0,
            );
            site.status = *status;
            site.domain = (*status != SiteStatus::InputError).then(|| (*domain).to_string());
            site.error_class =
                (*status == SiteStatus::Unreachable).then_some(ErrorClass::DnsNxdomain);
            site.failing_rules = rules.iter().map(ToString::to_string).collect();
            site.owner = Some(
                if domain.ends_with("ed.cn") || domain.starts_with("broke") {
                    "A"
                } else {
                    "B"
                }
                .to_string(),
            );
            site.province = (*domain == "still.cn").then(|| "江苏".to_string());
            // Deadlines around the audit date: in the window, beyond it, overdue.
            let day = time::Date::parse(
                as_of,
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .unwrap();
            site.psb_due = match *domain {
                "new.cn" => Some((3, PsbDuty::Display)),
                "same.cn" => Some((40, PsbDuty::File)),
                "broke.cn" => Some((-1, PsbDuty::File)),
                _ => None,
            }
            .map(|(days, duty)| PsbDue {
                date: day + time::Duration::days(days),
                duty,
            });
            // "waived…" and "mixed…" sites have a SITE-PARITY failure an exception waives.
            let waived: &[&'static str] =
                if domain.starts_with("waived") || domain.starts_with("mixed") {
                    &["SITE-PARITY"]
                } else {
                    &[]
                };
            site.waived_rules = waived.iter().map(ToString::to_string).collect();
            let findings = rules
                .iter()
                .map(|rule| (rule, None))
                .chain(waived.iter().map(|rule| (rule, Some("SOON".to_string()))))
                .map(|(rule, waiver)| FindingRow {
                    input_line: i as u64 + 1,
                    domain: (*domain).to_string(),
                    finding: Finding {
                        rule_id: rule,
                        verdict: Verdict::Fail,
                        host: Some(format!("www.{domain}")),
                        url: None,
                        evidence: format!("{rule} evidence"),
                        evidence_zh: format!("{rule} 证据"),
                        number: None,
                        link_host: None,
                        fix: Some(Fix {
                            zh: "改正",
                            en: "fix it",
                        }),
                    },
                    waiver,
                })
                .collect();
            w.write(SiteReport {
                site,
                fetches: Vec::new(),
                findings,
                browser: beian_types::BrowserWork::default(),
                evidence: Vec::new(),
            })
            .unwrap();
        }
        let status = std::collections::BTreeMap::new();
        w.finish_run(&RunEnd {
            input: "test",
            as_of,
            interrupted: false,
            abandoned: 0,
            resumed_lines: 0,
            audit_network: 0,
            status: &status,
            started_at: 0,
            duration_s: 1.5,
            rules_version: "test",
            rules_file: None,
            waivers: None,
            shard: None,
            render: None,
        })
        .unwrap();
    }

    pub(crate) fn pair() -> (tempfile::TempDir, RunData, RunData) {
        use SiteStatus::*;
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        run(
            &a,
            "run-a",
            "2026-11-20",
            &[
                ("fixed.cn", Violation, &["ICP-LINK"]),
                ("broke.cn", Compliant, &[]),
                ("still.cn", Violation, &["ICP-KIND"]),
                ("same.cn", Compliant, &[]),
                ("gone.cn", Violation, &["SITE-TLS"]),
                ("down.cn", Violation, &["PSB-LINK"]),
            ],
        );
        run(
            &b,
            "run-b",
            "2026-11-27",
            &[
                ("fixed.cn", Warning, &[]),
                ("broke.cn", Violation, &["ICP-LINK", "SITE-PARITY"]),
                ("still.cn", Violation, &["ICP-KIND", "ICP-LINK"]),
                ("same.cn", Compliant, &[]),
                ("new.cn", Violation, &["ICP-PRESENT"]),
                ("down.cn", Unreachable, &["SITE-REACH"]),
                ("bad line!", InputError, &[]),
            ],
        );
        let (a, b) = (load_run(&a).unwrap(), load_run(&b).unwrap());
        (dir, a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::pair;
    use super::*;

    #[test]
    fn a_comparison_keeps_changes_and_population_apart() {
        let (_dir, before, now) = pair();
        let r = build(&now, Some(&before));
        assert_eq!(r.run.as_of.as_deref(), Some("2026-11-27"));
        let t = &r.tiles;
        assert_eq!((t.sites, t.audited, t.input_errors), (7, 6, 1));
        assert_eq!((t.compliant, t.failing, t.unreachable), (1, 3, 1));
        assert_eq!(t.compliant_pct, 16.7);
        // Before: 2 of 6 compliant (33.3%).
        assert_eq!(t.compliant_pct_change, Some(-16.7));
        let names = |v: &[Change]| v.iter().map(|c| c.domain.clone()).collect::<Vec<_>>();
        // new.cn fails but was not listed before: a population change, not "newly failing";
        // down.cn is unreachable now: neither fixed nor failing.
        assert_eq!(names(&r.newly_failing), ["broke.cn"]);
        assert_eq!(names(&r.fixed), ["fixed.cn"]);
        assert_eq!(names(&r.still_failing), ["still.cn"]);
        assert_eq!(t.newly_failing, Some(1));
        assert_eq!(r.still_failing[0].rules, ["ICP-KIND", "ICP-LINK"]);
        let p = r.population.as_ref().unwrap();
        assert_eq!((p.added, p.removed, p.common), (1, 1, 5));
        assert_eq!(p.added_domains, ["new.cn"]);
        assert_eq!(p.removed_domains, ["gone.cn"]);
        // On the five common domains: 2 compliant before, 1 now.
        assert_eq!(
            (p.compliant_pct_common_before, p.compliant_pct_common),
            (40.0, 20.0)
        );
        let rule = |id: &str| r.rules.iter().find(|x| x.rule_id == id).unwrap();
        assert_eq!(
            (rule("ICP-LINK").failing, rule("ICP-LINK").change),
            (2, Some(1))
        );
        assert_eq!(
            (rule("SITE-TLS").failing, rule("SITE-TLS").change),
            (0, Some(-1))
        );
        assert_eq!(r.unreachable[0].name, "dns_nxdomain");
        // Owner A holds fixed.cn and broke.cn: one newly failing, one fixed.
        let a = r.owners.iter().find(|g| g.name == "A").unwrap();
        assert_eq!(
            (a.sites, a.failing, a.newly_failing, a.fixed),
            (2, 1, Some(1), Some(1))
        );
        assert_eq!(r.owners[0].name, "B"); // most failing first
        let js = r.provinces.iter().find(|g| g.name == "江苏").unwrap();
        assert_eq!((js.sites, js.failing), (1, 1));
        assert!(r.provinces.iter().any(|g| g.name == "-"));
    }

    #[test]
    fn worst_offenders_and_deadlines() {
        let (_dir, before, now) = pair();
        let names = |r: &Report| r.worst.iter().map(|o| o.domain.clone()).collect::<Vec<_>>();
        // Compared: the still-failing site first (failing since the compared run), then
        // those failing from this run on, more rules first.
        let r = build(&now, Some(&before));
        assert_eq!(names(&r), ["still.cn", "broke.cn", "new.cn"]);
        assert_eq!(r.worst[0].failing_since.as_deref(), Some("2026-11-20"));
        assert_eq!(r.worst[1].failing_since, None);
        assert_eq!(r.worst[1].owner.as_deref(), Some("A"));
        // Alone: more rules first.
        assert_eq!(
            names(&build(&now, None)),
            ["broke.cn", "still.cn", "new.cn"]
        );
        // Only the deadline within 30 days is listed; one beyond and one past are not.
        assert_eq!(
            r.psb_due,
            [Deadline {
                domain: "new.cn".into(),
                owner: Some("B".into()),
                due: "2026-11-30".into(),
                duty: "display",
                days_left: 3,
            }]
        );
    }

    #[test]
    fn an_abridged_report_keeps_its_counts() {
        let (_dir, before, now) = pair();
        let r = build(&now, Some(&before));
        let a = r.abridged(0);
        assert!(a.fixed.is_empty() && a.newly_failing.is_empty() && a.psb_due.is_empty());
        assert!(a.population.as_ref().unwrap().added_domains.is_empty());
        assert_eq!(a.tiles.fixed, Some(1));
        assert_eq!(a.population.unwrap().added, 1);
        assert_eq!(r.abridged(100).fixed, r.fixed);
    }

    #[test]
    fn a_single_run_has_no_diff() {
        let (_dir, _before, now) = pair();
        let r = build(&now, None);
        assert!(r.compared.is_none() && r.population.is_none());
        assert_eq!((r.tiles.newly_failing, r.tiles.fixed), (None, None));
        assert!(r.newly_failing.is_empty() && r.rules.iter().all(|x| x.change.is_none()));
    }

    #[test]
    fn the_digest_fits_a_chat_message() {
        let (_dir, before, now) = pair();
        let r = build(&now, Some(&before));
        let en = markdown(&r, Lang::En, "out/report.json");
        insta::assert_snapshot!(en, @r#"
        ## ICP filing compliance report 2026-11-27 (vs 2026-11-20)
        **compliant 1/6 (16.7%, -16.7 points)** · failing 3
        newly failing 1 · fixed 1 · unverified 0 · unreachable 1 · input errors 1
        List changed: +1 domains, -1; on the domains in both, compliant 40.0% → 20.0%
        Public-security deadlines in the next 30 days: 1, first new.cn (2026-11-30)

        Rules that moved: ICP-LINK +1, ICP-PRESENT +1, PSB-LINK -1, SITE-PARITY +1, SITE-REACH +1

        Newly failing:
        - broke.cn: ICP-LINK, SITE-PARITY

        Full report: out/report.json
        "#);
        let zh = markdown(&r, Lang::Zh, "out/report.json");
        insta::assert_snapshot!(zh, @r#"
        ## ICP 备案合规报告 2026-11-27 (对比 2026-11-20)
        **合规 1/6 (16.7%, -16.7 个百分点)** · 违规 3
        新增违规 1 · 已修复 1 · 待核实 0 · 无法访问 1 · 输入错误 1
        名单变化：新增 1 个域名，移除 1 个；相同域名的合规率 40.0% → 20.0%
        公安备案 30 天内到期 1 个，最早 new.cn（2026-11-30）

        规则变化: ICP-LINK +1, ICP-PRESENT +1, PSB-LINK -1, SITE-PARITY +1, SITE-REACH +1

        新增违规:
        - broke.cn: ICP-LINK, SITE-PARITY

        完整报告: out/report.json
        "#);
        assert!(en.lines().count() <= 25 && zh.lines().count() <= 25);
    }

    #[test]
    fn a_run_without_run_json_is_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_run(dir.path()).unwrap_err();
        assert!(err.to_string().starts_with("cannot read "), "{err}");
        assert!(err.to_string().ends_with("run.json"), "{err}");
    }
}

#[cfg(test)]
mod html_tests {
    use super::tests_support::pair;
    use super::*;

    #[test]
    fn the_page_is_self_contained_and_shows_the_model() {
        let (_dir, before, now) = pair();
        let r = build(&now, Some(&before));
        let page = html(&r, Lang::En).unwrap();
        assert!(page.starts_with("<!DOCTYPE html>"));
        for needle in [
            "16.7%",
            "-16.7 points",
            "broke.cn",
            "fixed.cn",
            "still.cn",
            "dns_nxdomain",
            "<svg",
            "(vs 2026-11-20)",
            "By owner",
            "江苏",
            "Worst offenders",
            "2026-11-30",
            "display the PSB number",
            "USING (domain)",
        ] {
            assert!(page.contains(needle), "{needle} missing");
        }
        // Nothing runs, nothing is fetched.
        assert!(
            !page.contains("<script")
                && !page.contains("src=\"http")
                && !page.contains("href=\"http")
        );
        let zh = html(&r, Lang::Zh).unwrap();
        assert!(zh.contains("新增违规") && zh.contains("lang=\"zh\""));
        // A single run renders without the diff sections.
        let single = html(&build(&now, None), Lang::En).unwrap();
        assert!(!single.contains("id=\"newly-failing\""));
    }

    #[test]
    fn domains_are_escaped() {
        let (_dir, mut before, mut now) = pair();
        // broke.cn, newly failing: listed on the page.
        before.sites[1].domain = Some("<b>x</b>.cn".into());
        now.sites[1].domain = Some("<b>x</b>.cn".into());
        let page = html(&build(&now, Some(&before)), Lang::En).unwrap();
        let at = page
            .find("x</b>")
            .map(|i| &page[i.saturating_sub(40)..i + 20]);
        assert!(!page.contains("<b>x</b>"), "{at:?}");
        assert!(page.contains("&lt;b&gt;x"), "{at:?}");
    }
}

#[cfg(test)]
mod export_tests {
    use std::path::Path;

    use beian_types::SiteStatus;

    use super::tests_support::{pair, run};
    use super::*;

    #[test]
    fn each_owner_gets_a_csv_and_a_page_and_the_workbook_holds_all() {
        let (dir, before, now) = pair();
        let r = build(&now, Some(&before));
        let f = failures(&now, SplitBy::Owner, Lang::En).unwrap();
        // Only failing sites' fail rows: broke.cn (A: 2 rules), still.cn and new.cn (B).
        let rows: Vec<(&str, &str, &str)> = f
            .iter()
            .map(|x| (x.group.as_str(), x.domain.as_str(), x.rule_id.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                ("A", "broke.cn", "ICP-LINK"),
                ("A", "broke.cn", "SITE-PARITY"),
                ("B", "new.cn", "ICP-PRESENT"),
                ("B", "still.cn", "ICP-KIND"),
                ("B", "still.cn", "ICP-LINK"),
            ]
        );
        let out = dir.path().join("out");
        let written = write_exports(&out, &r, &f, SplitBy::Owner, Lang::En).unwrap();
        assert_eq!(written.len(), 5);
        let csv = std::fs::read(out.join("by-owner/A.csv")).unwrap();
        assert!(csv.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(csv[3..].to_vec()).unwrap();
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.contains("broke.cn,www.broke.cn,SITE-PARITY,SITE-PARITY evidence,fix it"));
        let md = std::fs::read_to_string(out.join("by-owner/B.md")).unwrap();
        assert!(md.contains("## still.cn") && md.contains("**ICP-KIND** (www.still.cn)"));
        assert!(std::fs::metadata(out.join("report.xlsx")).unwrap().len() > 1000);
    }

    /// Adds `entries` (id, last day) to the run's `run.json` as its exceptions file.
    fn with_waivers(dir: &Path, entries: &[(&str, &str)]) {
        let path = dir.join("run.json");
        let mut record: beian_run::RunRecord =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let as_of = record.as_of.clone().unwrap();
        record.waivers = Some(beian_run::WaiversRecord {
            file: "waivers.toml".into(),
            entries: entries
                .iter()
                .enumerate()
                .map(|(i, (id, expires))| beian_run::WaiverRecord {
                    id: (*id).to_string(),
                    line: 4 * i + 1,
                    domains: vec!["waived.cn".into()],
                    hosts: Vec::new(),
                    rules: vec!["SITE-PARITY".into()],
                    reason: "being retired".into(),
                    owner: Some("ops@example.cn".into()),
                    expires: (*expires).to_string(),
                    ticket: Some(format!("T-{id}")),
                    in_force: **expires >= *as_of,
                })
                .collect(),
        });
        std::fs::write(&path, serde_json::to_string(&record).unwrap()).unwrap();
    }

    #[test]
    fn exceptions_are_counted_apart_and_listed_as_they_expire_or_lapse() {
        use SiteStatus::*;
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        let sites: &[(&'static str, SiteStatus, &[&'static str])] = &[
            ("ok.cn", Compliant, &[]),
            ("waived.cn", CompliantWithWaivers, &[]),
            ("mixed.cn", Violation, &["ICP-LINK"]),
        ];
        run(&a, "run-a", "2026-11-20", sites);
        run(&b, "run-b", "2026-11-27", sites);
        let entries = [
            ("LATER", "2027-03-01"),
            ("SOON", "2026-12-20"),
            ("LAPSED", "2026-11-22"),
            ("OLD", "2026-10-01"),
        ];
        with_waivers(&b, &entries);
        let (now, before) = (load_run(&b).unwrap(), load_run(&a).unwrap());
        let r = build(&now, Some(&before));
        // A site compliant thanks to an exception counts as compliant, and is named apart.
        assert_eq!((r.tiles.compliant, r.tiles.compliant_with_waivers), (2, 1));
        assert_eq!(r.tiles.compliant_pct, 66.7);
        // Waived findings: counted apart, not among the failing rules.
        assert_eq!((r.exceptions.waived, r.exceptions.sites), (2, 2));
        let waived: Vec<_> = r
            .exceptions
            .rules
            .iter()
            .map(|c| (c.name.as_str(), c.now, c.before))
            .collect();
        assert_eq!(waived, [("SITE-PARITY", 2, Some(2))]);
        assert!(r.rules.iter().all(|x| x.rule_id != "SITE-PARITY"));
        let ids = |l: &[Exception]| {
            l.iter()
                .map(|e| (e.id.clone(), e.days_left))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&r.exceptions.expiring), [("SOON".to_string(), 23)]);
        // Lapsed since the compared run (in force on 2026-11-20, not on 2026-11-27); OLD had
        // lapsed before it.
        assert_eq!(ids(&r.exceptions.lapsed), [("LAPSED".to_string(), -5)]);
        let soon = &r.exceptions.expiring[0];
        assert_eq!(
            (soon.owner.as_deref(), soon.ticket.as_deref()),
            (Some("ops@example.cn"), Some("T-SOON"))
        );
        // Without a compared run, every expired exception is listed.
        let single = build(&now, None);
        assert_eq!(
            ids(&single.exceptions.lapsed),
            [("OLD".to_string(), -57), ("LAPSED".to_string(), -5)]
        );
        // A run without an exceptions file lists none.
        assert!(build(&before, None).exceptions.file.is_none());
        // The owner's export leaves the waived finding out; the digest names the lists.
        let f = failures(&now, SplitBy::Owner, Lang::En).unwrap();
        let rules: Vec<_> = f
            .iter()
            .map(|x| (x.domain.as_str(), x.rule_id.as_str()))
            .collect();
        assert_eq!(rules, [("mixed.cn", "ICP-LINK")]);
        let md = markdown(&r, Lang::En, "report.json");
        assert!(
            md.contains(
                "Exceptions: 2 findings waived on 2 sites; 1 expire within 30 days, 1 lapsed"
            ),
            "{md}"
        );
        assert!(
            md.contains("- SOON (Owner ops@example.cn, Ticket T-SOON, Last day 2026-12-20)"),
            "{md}"
        );
        let page = html(&r, Lang::Zh).unwrap();
        assert!(
            page.contains("30 天内到期的豁免 (1)") && page.contains("T-LAPSED"),
            "{page}"
        );
    }

    #[test]
    fn group_names_make_safe_file_names() {
        let (dir, before, mut now) = pair();
        for s in &mut now.sites {
            s.owner = Some("../客户/一".into());
        }
        let r = build(&now, Some(&before));
        let f = failures(&now, SplitBy::Owner, Lang::Zh).unwrap();
        let out = dir.path().join("out");
        let written = write_exports(&out, &r, &f, SplitBy::Owner, Lang::Zh).unwrap();
        assert!(out.join("by-owner/_.._客户_一.csv").exists(), "{written:?}");
        assert!(written.iter().all(|p| p.starts_with(&out)));
        // The header is in the reader's language, every column of it.
        let csv = std::fs::read_to_string(out.join("by-owner/_.._客户_一.csv")).unwrap();
        let header = csv.trim_start_matches('\u{feff}').lines().next().unwrap();
        assert_eq!(header, "域名,主机,规则,证据,整改");
        // The evidence is the Chinese one, as the fix is.
        assert!(
            csv.lines().skip(1).all(|l| l.ends_with(" 证据,改正")),
            "{csv}"
        );
    }
}
