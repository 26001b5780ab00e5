//! The whole audit against a 240-domain fleet, graded by the fleet's answer key.

use crate::util::{TestFleet, chromium_dom, chromium_screenshot, run_python};
use std::time::Duration;

#[test]
fn fleet_audit_matches_answer_key() {
    let fleet = TestFleet::start(240, 20261123);
    let out = tempfile::tempdir().unwrap();
    let input = fleet.path("domains.txt");
    let res = fleet.audit_ok(&input, out.path(), &["--concurrency", "48"]);
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(stdout.contains("audited 240 input lines"), "{stdout}");
    let v = fleet.assert_graded(out.path());
    let report = v.to_string();
    assert!(v["key_rows_checked"].as_u64().unwrap() > 2000, "{report}");
    assert!(
        v["redirect_chains_checked"].as_u64().unwrap() >= 4,
        "{report}"
    );
    assert!(v["gbk_pages_checked"].as_u64().unwrap() >= 4, "{report}");
    // Every behaviour must have been present for the key to mean anything.
    for b in beian_fleet::Behaviour::ALL {
        assert!(
            fleet.fleet.sites.iter().any(|s| s.behaviour == *b),
            "{b:?} absent"
        );
    }
}

#[test]
fn fail_on_sets_exit_code_and_output_refuses_overwrite() {
    let fleet = TestFleet::start(40, 3);
    let out = tempfile::tempdir().unwrap();
    let input = fleet.path("domains.txt");
    let res = fleet.audit(&input, out.path(), &["--fail-on", "fail", "--quiet"]);
    assert_eq!(
        res.status.code(),
        Some(1),
        "violations present, --fail-on fail must exit 1"
    );
    let again = fleet.audit(&input, out.path(), &["--quiet"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--overwrite"));
    let forced = fleet.audit(&input, out.path(), &["--quiet", "--overwrite"]);
    assert_eq!(forced.status.code(), Some(0));
}

#[test]
fn private_addresses_are_refused_without_allow_private() {
    let fleet = TestFleet::start(30, 5);
    let out = tempfile::tempdir().unwrap();
    let input = fleet.path("domains.txt");
    let dns = fleet.fleet.dns_addr.to_string();
    let res = std::process::Command::new(env!("CARGO_BIN_EXE_beian"))
        .arg("audit")
        .arg(&input)
        .arg("--out")
        .arg(out.path())
        .args(["--resolver", &dns, "--quiet", "--dns-timeout", "1"])
        .output()
        .unwrap();
    assert!(res.status.success());
    let code = r#"
import sys, pyarrow.parquet as pq
f = pq.read_table(sys.argv[1] + "/fetches").to_pylist()
classes = {r["error_class"] for r in f}
print(sorted(c for c in classes if c))
assert "address_blocked" in classes, classes
assert all(r["status"] is None for r in f), "a loopback address was contacted"
"#;
    run_python(&["-c".as_ref(), code.as_ref(), out.path().as_os_str()]);
}

/// A CSV manifest through the whole audit: ICP-MANIFEST, overseas hosting, PSB deadlines
/// against `--as-of`, a rules file, fixes in the findings, and a bad cell reported with its
/// line and column — read back with pyarrow.
#[test]
fn manifest_rules_through_the_whole_audit() {
    use beian_fleet::Behaviour;
    let fleet = TestFleet::start(60, 11);
    let pick = |b: Behaviour, n: usize| -> &beian_fleet::SiteSpec {
        fleet
            .fleet
            .sites
            .iter()
            .filter(|s| s.behaviour == b)
            .nth(n)
            .unwrap_or_else(|| panic!("fleet has no {b:?} #{n}"))
    };
    let (good, other, overseas, no_psb) = (
        pick(Behaviour::Compliant, 0),
        pick(Behaviour::Compliant, 1),
        pick(Behaviour::NoIcp, 0),
        pick(Behaviour::PsbMissing, 0),
    );
    let csv = format!(
        "domain,expected_icp,expected_psb,hosting,psb_approved_on,commercial\n\
         {},{},,,,\n\
         {},{},,,,\n\
         {},,,overseas,,\n\
         {},,11010802017518,,2026-10-01,\n\
         bad-manifest.cn,,,,,sometimes\n",
        good.domain, good.icp, other.domain, good.icp, overseas.domain, no_psb.domain
    );
    let input = fleet.path("manifest.csv");
    std::fs::write(&input, csv).unwrap();
    let rules = fleet.path("rules.toml");
    std::fs::write(&rules, "[rules.PSB-ICON]\nenabled = false\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    fleet.audit_ok(
        &input,
        out.path(),
        &[
            "--as-of",
            "2026-11-23",
            "--rules",
            rules.to_str().unwrap(),
            "--quiet",
        ],
    );
    let code = r#"
import sys, json, pyarrow.parquet as pq
d = sys.argv[1]
f = pq.read_table(d + "/findings").to_pylist()
s = pq.read_table(d + "/sites").to_pylist()
v = {}
for r in f:
    v[(r["domain"], r["host"] or "", r["rule_id"])] = r["verdict"]
def page(domain, rule):
    return v.get((domain, domain, rule))
bad = [r for r in s if r["input"].startswith("bad-manifest.cn")][0]
fixes_ok = all((r["fix_zh"] is not None and r["fix_en"] is not None) == (r["verdict"] in ("warn", "fail")) for r in f)
print(json.dumps({
    "good": page(sys.argv[2], "ICP-MANIFEST"),
    "other": page(sys.argv[3], "ICP-MANIFEST"),
    "overseas_present": page(sys.argv[4], "ICP-PRESENT"),
    "overseas_parity": v.get((sys.argv[4], "", "SITE-PARITY")),
    "no_psb_present": page(sys.argv[5], "PSB-PRESENT"),
    "no_psb_manifest": page(sys.argv[5], "PSB-MANIFEST"),
    "icon_rules": sorted({r["verdict"] for r in f if r["rule_id"] == "PSB-ICON"}),
    "bad_status": bad["status"], "bad_class": bad["error_class"], "bad_message": bad["error_message"],
    "fixes_ok": fixes_ok,
    "numbers": sorted({r["number"] for r in f if r["rule_id"] == "ICP-MANIFEST" and r["number"]}),
}, ensure_ascii=False))
"#;
    let report = run_python(&[
        "-c".as_ref(),
        code.as_ref(),
        out.path().as_os_str(),
        good.domain.as_ref(),
        other.domain.as_ref(),
        overseas.domain.as_ref(),
        no_psb.domain.as_ref(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(v["good"], "pass", "{report}");
    assert_eq!(v["other"], "fail", "{report}");
    assert_eq!(v["overseas_present"], "n/a", "{report}");
    assert_eq!(v["overseas_parity"], "n/a", "{report}");
    // Approved 2026-10-01: the number was due by 2026-10-31, the audit is dated 2026-11-23.
    assert_eq!(v["no_psb_present"], "fail", "{report}");
    assert_eq!(v["no_psb_manifest"], "fail", "{report}");
    assert_eq!(v["icon_rules"], serde_json::json!(["n/a"]), "{report}");
    assert_eq!(v["bad_status"], "input_error", "{report}");
    assert_eq!(v["bad_class"], "input_invalid", "{report}");
    assert_eq!(
        v["bad_message"], "line 6, column commercial: \"sometimes\" is not true or false",
        "{report}"
    );
    assert_eq!(v["fixes_ok"], true, "{report}");
    assert!(
        v["numbers"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(good.icp)),
        "{report}"
    );
}

/// `--per-ip` bounds the requests in flight on each server address (the fleet counts them per
/// listening address; its `slow` sites hold a request for 1.5 s); without the limit the same
/// audit has more in flight.
#[test]
fn per_ip_limit_holds_on_shared_hosting() {
    let fleet = TestFleet::start(60, 17);
    let input = fleet.path("domains.txt");
    let out = tempfile::tempdir().unwrap();
    fleet.audit_ok(
        &input,
        out.path(),
        &["--per-ip", "2", "--concurrency", "48", "--quiet"],
    );
    let limited = fleet.fleet.max_in_flight_per_ip();
    assert!(
        (1..=2).contains(&limited),
        "max in flight per address {limited} with --per-ip 2"
    );

    let fleet = TestFleet::start(60, 17);
    let out = tempfile::tempdir().unwrap();
    fleet.audit_ok(
        &fleet.path("domains.txt"),
        out.path(),
        &["--per-ip", "0", "--concurrency", "48", "--quiet"],
    );
    let free = fleet.fleet.max_in_flight_per_ip();
    assert!(
        free > 2,
        "without a limit only {free} were in flight at once"
    );
}

/// `--rate-per-ip` spaces the requests on each server address (the fleet records each
/// address's arrivals: their span, and the shortest time between two); without it, requests
/// arrive together.
#[test]
fn rate_per_ip_spaces_requests() {
    // 5 per second: 200 ms apart. Two arrivals may bunch by however late the server saw the
    // first (its connect and handshake, a loaded machine's scheduling), so the rate is judged
    // over each address's span: n requests sent 200 ms apart span (n − 1) × 200 ms, less the
    // first one's delay; half of that is the bound checked.
    let fleet = TestFleet::start(12, 23);
    let out = tempfile::tempdir().unwrap();
    fleet.audit_ok(
        &fleet.path("domains.txt"),
        out.path(),
        &["--rate-per-ip", "5", "--concurrency", "16", "--quiet"],
    );
    let spans = fleet.fleet.request_spans_per_ip();
    assert!(spans.iter().any(|(n, _)| *n >= 4), "{spans:?}");
    for (n, span) in &spans {
        let paced = Duration::from_millis(200) * u32::try_from(n - 1).unwrap();
        assert!(
            *span >= paced / 2,
            "{n} requests on one address within {span:?} with --rate-per-ip 5"
        );
    }

    let fleet = TestFleet::start(12, 23);
    let out = tempfile::tempdir().unwrap();
    fleet.audit_ok(
        &fleet.path("domains.txt"),
        out.path(),
        &["--concurrency", "16", "--quiet"],
    );
    let gap = fleet
        .fleet
        .min_request_gap_per_ip()
        .expect("requests arrived");
    assert!(
        gap < Duration::from_millis(100),
        "without a rate, requests on one address were still {gap:?} apart"
    );
}

/// Head of line: one overloaded shared address (every response there takes 150 ms) with room
/// for one request at a time must not hold back the sites on the other addresses. With 4 sites
/// working at once (`--concurrency 1`) and 6 sites on the slow address, sites waiting for it
/// would fill every slot; the sites elsewhere must all be done before half the slow address's
/// sites are.
#[test]
fn a_slow_shared_address_does_not_hold_back_the_others() {
    use beian_fleet::{Behaviour, FleetConfig};
    let slow = std::net::Ipv4Addr::new(127, 0, 1, 1);
    let fleet = TestFleet::start_with(FleetConfig {
        domains: 24,
        seed: 31,
        behaviours: vec![Behaviour::Compliant, Behaviour::ApexToWww],
        slow_ips: vec![slow],
        slow_delay: Duration::from_millis(150),
        ..FleetConfig::default()
    });
    let out = tempfile::tempdir().unwrap();
    fleet.audit_ok(
        &fleet.path("domains.txt"),
        out.path(),
        &["--concurrency", "1", "--per-ip", "1", "--quiet"],
    );
    let slow_domains: Vec<&str> = fleet
        .fleet
        .sites
        .iter()
        .filter(|s| fleet.fleet.addr_of(s) == std::net::IpAddr::V4(slow))
        .map(|s| s.domain.as_str())
        .collect();
    assert!(slow_domains.len() > 4, "{slow_domains:?}");
    let code = r#"
import sys, json, pyarrow as pa, pyarrow.parquet as pq
d, slow = sys.argv[1], set(json.loads(sys.argv[2]))
s = pq.read_table(d + "/sites")
done = list(zip(s["domain"].to_pylist(), s["audited_at"].cast(pa.int64()).to_pylist()))
last_fast = max(t for dom, t in done if dom not in slow)
print(json.dumps({"sites": len(done),
                  "slow_sites": sum(1 for dom, _ in done if dom in slow),
                  "slow_done_first": sum(1 for dom, t in done if dom in slow and t < last_fast)}))
"#;
    let report = run_python(&[
        "-c".as_ref(),
        code.as_ref(),
        out.path().as_os_str(),
        serde_json::to_string(&slow_domains).unwrap().as_ref(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(v["sites"], 24, "{report}");
    assert_eq!(v["slow_sites"], slow_domains.len(), "{report}");
    let first = v["slow_done_first"].as_u64().unwrap();
    assert!(
        first * 2 < slow_domains.len() as u64,
        "{first} of the slow address's {} sites were done before the last site elsewhere: {report}",
        slow_domains.len()
    );
}

/// The analysts' engines read the tables natively: Spark (local mode), Polars and DuckDB see
/// signed integers, timestamps, lists and structs; the Parquet footers show dictionary
/// encoding where it fits, statistics, and rows clustered by `input_line` (issue 20). Small
/// checkpoints make several parts.
#[test]
fn engines_read_the_tables_natively() {
    let fleet = TestFleet::start(120, 20261127);
    let out = tempfile::tempdir().unwrap();
    let input = fleet.path("domains.txt");
    fleet.audit_ok(
        &input,
        out.path(),
        &["--quiet", "--concurrency", "32", "--checkpoint-every", "40"],
    );
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/readback/engines.py");
    let report = run_python(&[script.as_os_str(), out.path().as_os_str()]);
    let v: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(v["problems"], serde_json::json!([]), "{report}");
    assert_eq!(v["rows"]["sites"], 120, "{report}");
    assert_eq!(v["spark"]["sites"]["input_line"], "bigint", "{report}");
    assert_eq!(v["polars"]["fetches"]["body_bytes"], "Int64", "{report}");
}

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
    assert_eq!(report["report_version"], "1.2");
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
    assert_eq!(e["csv_header"][0], "Domain", "{e}");
    assert_eq!(
        e["sheets"],
        serde_json::json!(["Summary", "Findings"]),
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
    assert_eq!(ids.len(), 10, "{checked}");
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
    });
}
