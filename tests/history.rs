//! A history of runs under one root (issue 13) and the reports over it: runs on several
//! dates, one killed and resumed, read back by DuckDB with the queries of docs/SCHEMA.md, and
//! `beian demo --day 1/2` with the report of day 2 (golden `report.json`).

use crate::util::{TestFleet, chromium_dom, chromium_screenshot, run_python};
use std::time::Duration;

/// A history of runs (issue 13): runs on two dates and one killed mid-run under one root;
/// the queries of docs/SCHEMA.md ("History", run by DuckDB) see `run_date` as a date, skip
/// the incomplete run and find the rules that newly fail; `--resume --history` completes it.
#[test]
fn history_root_holds_runs_readers_count_the_complete_ones() {
    // 40 domains: one of each of the fleet's 34 behaviours at least.
    let fleet = TestFleet::start(40, 20261120);
    let input = fleet.path("domains.txt");
    let root = tempfile::tempdir().unwrap();
    let rootp = root.path().to_str().unwrap();
    let rules = fleet.path("lenient.toml");
    std::fs::write(&rules, "[rules.ICP-KIND]\nfail_as = \"warn\"\n").unwrap();
    let day = |as_of: &str, extra: &[&str]| {
        let mut cmd = fleet.history_command(&input, root.path());
        cmd.args(["--as-of", as_of, "--quiet"]);
        cmd.args(extra);
        cmd
    };
    // Day 1 judges ICP-KIND leniently; day 2 by the default rules: ICP-KIND newly fails.
    let ok = |mut c: std::process::Command| {
        let res = c.output().unwrap();
        assert!(
            res.status.success(),
            "{}",
            String::from_utf8_lossy(&res.stderr)
        );
    };
    ok(day("2026-11-20", &["--rules", rules.to_str().unwrap()]));
    ok(day("2026-11-27", &[]));
    // Day 3 is killed mid-run: no run.json, not counted. Paced to one request a second per
    // address, it runs for half a minute at least; it is killed once its run directory is
    // there, however long the start took.
    let mut child = day("2026-11-28", &["--rate-per-ip", "1"]).spawn().unwrap();
    let day3 = root.path().join("run_date=2026-11-28");
    crate::util::wait_until(300, "day 3's run directory", || {
        std::fs::read_dir(&day3).is_ok_and(|mut d| d.next().is_some())
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let runs = beian_run::history::runs(root.path()).unwrap();
    let summary: Vec<(&str, bool)> = runs
        .iter()
        .map(|r| (r.run_date.as_str(), r.complete))
        .collect();
    assert_eq!(
        summary,
        [
            ("2026-11-20", true),
            ("2026-11-27", true),
            ("2026-11-28", false)
        ]
    );

    let schema_md = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/SCHEMA.md");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/readback/history.py");
    let kind_site = fleet
        .fleet
        .sites
        .iter()
        .find(|s| s.behaviour == beian_fleet::Behaviour::SubjectOutsideGuangdong)
        .map(|s| s.domain.clone())
        .unwrap();
    let query = |domain: &str| {
        let out = run_python(&[
            script.as_os_str(),
            schema_md.as_os_str(),
            root.path().as_os_str(),
            domain.as_ref(),
        ]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v
    };
    let v = query(&kind_site);
    // A site's status over time: the two complete runs, dates as dates.
    let over_time = v[1].as_array().unwrap();
    let dates: Vec<&str> = over_time.iter().map(|r| r[0].as_str().unwrap()).collect();
    assert_eq!(dates, ["2026-11-20", "2026-11-27"], "{v}");
    // New failures: ICP-KIND, and only ICP-KIND, for the sites showing a subject number.
    let new: Vec<(&str, &str)> = v[2]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_str().unwrap(), r[1].as_str().unwrap()))
        .collect();
    assert!(new.contains(&(kind_site.as_str(), "ICP-KIND")), "{v}");
    assert!(new.iter().all(|(_, rule)| *rule == "ICP-KIND"), "{v}");

    // The killed run is finished by --resume and then counts.
    ok(day("2026-11-28", &["--resume"]));
    let runs = beian_run::history::runs(root.path()).unwrap();
    assert_eq!(runs.len(), 3);
    assert!(runs.iter().all(|r| r.complete), "{runs:?}");
    let v = query(&kind_site);
    assert_eq!(v[1].as_array().unwrap().len(), 3, "{v}");

    // `beian report` on day 2 compares it with day 1, the complete run before it.
    let day2 = runs.iter().find(|r| r.run_date == "2026-11-27").unwrap();
    let out = root.path().join("report-day2");
    let res = std::process::Command::new(env!("CARGO_BIN_EXE_beian"))
        .args([
            "report",
            "--lang",
            "en",
            "--split-by",
            "owner",
            "--history",
            rootp,
            "--out",
        ])
        .arg(&out)
        .arg(&day2.dir)
        .output()
        .unwrap();
    let digest = String::from_utf8_lossy(&res.stdout);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(digest.contains("(vs 2026-11-20)"), "{digest}");
    assert!(digest.lines().count() <= 25, "{digest}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["report_version"], "1.5");
    assert_eq!(report["compared"]["as_of"], "2026-11-20", "{report}");
    let newly: Vec<&str> = report["newly_failing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["domain"].as_str().unwrap())
        .collect();
    assert!(newly.contains(&kind_site.as_str()), "{report}");
    assert_eq!(report["population"]["added"], 0, "{report}");
    assert_eq!(report["tiles"]["sites"], 40, "{report}");
    // The exports, read back as the people who get them would: the CSV by Python's csv
    // module (the BOM makes it UTF-8 for Excel), the workbook by openpyxl.
    let code = r#"
import csv, json, sys, openpyxl
out = sys.argv[1]
with open(out + "/by-owner/-.csv", encoding="utf-8-sig", newline="") as f:
    rows = list(csv.reader(f))
raw = open(out + "/by-owner/-.csv", "rb").read(3)
book = openpyxl.load_workbook(out + "/report.xlsx")
sheet = book.worksheets[1]
print(json.dumps({
    "bom": raw == b"\xef\xbb\xbf",
    "csv_header": rows[0], "csv_rows": len(rows) - 1,
    "domains": sorted({r[0] for r in rows[1:]}),
    "sheets": book.sheetnames, "freeze": sheet.freeze_panes,
    "filter": sheet.auto_filter.ref, "xlsx_rows": sheet.max_row - 1,
    "summary_title": book.worksheets[0]["A1"].value,
}))
"#;
    let exports = run_python(&["-c".as_ref(), code.as_ref(), out.as_os_str()]);
    let e: serde_json::Value = serde_json::from_str(&exports).unwrap();
    assert_eq!(e["bom"], true, "{e}");
    assert_eq!(
        e["csv_header"],
        serde_json::json!(["Domain", "Host", "Rule", "Evidence", "Fix"]),
        "{e}"
    );
    assert_eq!(
        e["sheets"],
        serde_json::json!(["Summary", "Findings", "Exceptions"]),
        "{e}"
    );
    assert_eq!(e["freeze"], "A2", "{e}");
    assert!(e["filter"].as_str().unwrap().starts_with("A1:F"), "{e}");
    assert_eq!(e["csv_rows"], e["xlsx_rows"], "{e}");
    let failing = report["tiles"]["failing"].as_u64().unwrap();
    assert_eq!(
        e["domains"].as_array().unwrap().len() as u64,
        failing,
        "{e}"
    );
    assert!(
        e["domains"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == kind_site.as_str()),
        "{e}"
    );
    // The page in Debian's chromium (installed by `make test`): the rendered DOM shows the
    // report's figures; a screenshot is kept under `target/` for a person to look at.
    let page = out.join("report.html");
    let dom = chromium_dom(&page);
    let tile = |id: &str| {
        let at = dom.find(&format!("id=\"{id}\"")).unwrap();
        let n = dom[at..].split("class=\"n").nth(1).unwrap();
        n.split('<').next().unwrap().to_string()
    };
    let newly = report["tiles"]["newly_failing"].as_u64().unwrap();
    assert!(
        tile("tile-newly-failing").ends_with(&format!(">{newly}")),
        "{dom}"
    );
    let failing = report["tiles"]["failing"].as_u64().unwrap();
    assert!(
        tile("tile-failing").ends_with(&format!(">{failing}")),
        "{dom}"
    );
    assert!(
        dom.contains(kind_site.as_str()) && dom.contains("ICP-KIND"),
        "{dom}"
    );
    // The sections after the lists render too: worst offenders, deadlines, the appendix.
    for id in ["worst", "psb-due", "unreachable", "appendix"] {
        assert!(dom.contains(&format!("id=\"{id}\"")), "{id} missing: {dom}");
    }
    assert!(
        dom.contains("Worst offenders") && dom.contains("USING (domain)"),
        "{dom}"
    );
    let shot =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/report-screenshot.png");
    chromium_screenshot(&page, &shot);
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
    // Without a RUN, the latest complete run is reported (day 3 after its resume).
    let res = std::process::Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(["report", "--history", rootp])
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let latest = runs.iter().find(|r| r.run_date == "2026-11-28").unwrap();
    let third: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(latest.dir.join("report/report.json")).unwrap(),
    )
    .unwrap();
    // The trend runs over the three complete runs; a site failing on all three days has
    // failed since the first.
    let dates: Vec<&str> = third["trend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["run_date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2026-11-20", "2026-11-27", "2026-11-28"], "{third}");
    let still = third["still_failing"].as_array().unwrap();
    assert!(!still.is_empty(), "{third}");
    for c in still {
        let kind_only = c["rules_before"] == serde_json::json!(["ICP-KIND"]);
        let since = if kind_only {
            "2026-11-27"
        } else {
            "2026-11-20"
        };
        assert_eq!(c["failing_since"], since, "{c}");
    }
    assert!(String::from_utf8_lossy(&res.stdout).contains("对比 2026-11-27"));

    // --notify posts the digest once to a webhook (a receiver on loopback, JSON format);
    // a webhook that cannot be reached is reported, exit 3, the report still written.
    let hook = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hook_url = format!("http://{}/hook?token=t", hook.local_addr().unwrap());
    let received = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut sock, _) = hook.accept().unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 65536];
        loop {
            let n = sock.read(&mut chunk).unwrap();
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf);
            if let Some(p) = text.find("\r\n\r\n") {
                let len: usize = text[..p]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().to_string())
                    })
                    .unwrap()
                    .parse()
                    .unwrap();
                if buf.len() >= p + 4 + len {
                    sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
                        .unwrap();
                    return String::from_utf8_lossy(&buf[p + 4..p + 4 + len]).into_owned();
                }
            }
        }
    });
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}/gone", dead.local_addr().unwrap());
    drop(dead);
    let out = root.path().join("report-notify");
    let res = std::process::Command::new(env!("CARGO_BIN_EXE_beian"))
        .args([
            "report",
            "--history",
            rootp,
            "--notify",
            &hook_url,
            "--notify",
            &dead_url,
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let posted: serde_json::Value = serde_json::from_str(&received.join().unwrap()).unwrap();
    assert_eq!(posted["report"]["tiles"]["sites"], 40, "{posted}");
    assert!(
        posted["text"].as_str().unwrap().contains("合规"),
        "{posted}"
    );
    assert_eq!(res.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(
        stderr.contains("notify:") && stderr.contains("/gone"),
        "{stderr}"
    );
    assert!(out.join("report.json").exists() && out.join("report.md").exists());
}

/// `beian demo --day 1` and `--day 2` into a history, as `make demo` runs them, and the
/// report of day 2: golden `report.json`; the diff lists are the fleet's own changes between
/// the days; every query of the appendix, run by DuckDB, gives the report's figures.
#[test]
fn demo_days_make_a_history_and_its_report() {
    let root = tempfile::tempdir().unwrap();
    let demo = |day: &str, as_of: &str| {
        let res = std::process::Command::new(env!("CARGO_BIN_EXE_beian"))
            .args([
                "demo",
                "--domains",
                "60",
                "--quiet",
                "--day",
                day,
                "--as-of",
                as_of,
            ])
            .arg("--history")
            .arg(root.path())
            .output()
            .unwrap();
        assert!(
            res.status.success(),
            "{}",
            String::from_utf8_lossy(&res.stderr)
        );
    };
    demo("1", "2026-11-20");
    demo("2", "2026-11-27");
    let out = root.path().join("report");
    let res = std::process::Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(["report", "--lang", "en", "--history"])
        .arg(root.path())
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let text = std::fs::read_to_string(out.join("report.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();

    // The fleet's changes between the days, from the fleet itself.
    let mix = beian_fleet::Behaviour::for_demo();
    let fleet = |day| beian_fleet::days::on_day(60, 1, &mix, day);
    let (one, two) = (fleet(1), fleet(2));
    let before: std::collections::HashMap<&str, beian_fleet::Behaviour> = one
        .iter()
        .map(|s| (s.domain.as_str(), s.behaviour))
        .collect();
    let list = |key: &str| -> Vec<String> {
        report[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["domain"].as_str().unwrap().to_string())
            .collect()
    };
    let changed: Vec<&str> = two
        .iter()
        .filter(|s| {
            before
                .get(s.domain.as_str())
                .is_some_and(|b| *b != s.behaviour)
        })
        .map(|s| s.domain.as_str())
        .collect();
    let (newly, fixed) = (list("newly_failing"), list("fixed"));
    assert!(!newly.is_empty() && !fixed.is_empty(), "{report}");
    for d in newly.iter().chain(&fixed) {
        assert!(
            changed.contains(&d.as_str()),
            "{d} did not change: {report}"
        );
    }
    let mut added: Vec<String> = two
        .iter()
        .filter(|s| !before.contains_key(s.domain.as_str()))
        .map(|s| s.domain.clone())
        .collect();
    added.sort();
    assert_eq!(
        report["population"]["added_domains"],
        serde_json::json!(added),
        "{report}"
    );
    assert_eq!(report["population"]["removed"], 2, "{report}");
    // Owners come from the manifest the demo audits; deadlines from its opening dates.
    assert!(
        report["owners"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["name"].as_str().unwrap().ends_with("有限公司")),
        "{report}"
    );
    assert!(
        report["run"]["duration_s"].as_f64().unwrap() > 0.0,
        "{report}"
    );

    // The appendix reproduces every figure it names.
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/readback/appendix.py");
    let checked = run_python(&[script.as_os_str(), out.join("report.json").as_os_str()]);
    let checked: serde_json::Value = serde_json::from_str(&checked).unwrap();
    let ids: Vec<&String> = checked.as_object().unwrap().keys().collect();
    assert_eq!(ids.len(), 11, "{checked}");
    for (id, v) in checked.as_object().unwrap() {
        assert_eq!(v["ok"], true, "{id}: {v}");
    }

    // Golden: run ids, directories, timings, rendering (on where a browser is found) and the
    // queries' paths redacted.
    insta::assert_json_snapshot!("report-demo-day2", report, {
        ".run.run_id" => "[run_id]",
        ".run.dir" => "[dir]",
        ".run.duration_s" => "[duration]",
        ".run.render" => "[render]",
        ".compared.run_id" => "[run_id]",
        ".compared.dir" => "[dir]",
        ".compared.duration_s" => "[duration]",
        ".compared.render" => "[render]",
        ".trend[].run_id" => "[run_id]",
        ".appendix" => "[appendix]",
        // The demo's exceptions file is a temporary file named by its process.
        ".exceptions.file" => "[file]",
    });
}
