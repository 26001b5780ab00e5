//! Exceptions (issue 31, `--waivers`, docs/rulebook.md §5.4): a waived finding keeps its
//! verdict and names its waiver; the site's status leaves it out; an expired entry stops
//! applying and the run says so; a malformed file is refused naming the line.

use beian_fleet::Behaviour;

use crate::util::{TestFleet, python_json, run_ok};

#[test]
fn waived_findings_keep_their_verdict_and_leave_the_status() {
    let fleet = TestFleet::each(vec![Behaviour::NoIcp, Behaviour::WrongLink], 1, 77);
    let input = fleet.path("domains.txt");
    let domain = |b: Behaviour| fleet.fleet.site(b).map(|s| s.domain.clone()).unwrap();
    let (no_icp, wrong_link) = (domain(Behaviour::NoIcp), domain(Behaviour::WrongLink));
    let waivers = fleet.path("waivers.toml");
    std::fs::write(
        &waivers,
        format!(
            r#"
[[waiver]]
id = "CHG-1"
domains = ["{no_icp}"]
rules = ["*"]
reason = "a test site, not public"
owner = "ops"
expires = 2099-12-31

[[waiver]]
id = "CHG-0"
domains = ["{wrong_link}"]
rules = ["ICP-LINK"]
reason = "the link was to be fixed by November"
owner = "web team"
expires = 2020-01-01
ticket = "T-9"

[[waiver]]
id = "CHG-2"
domains = ["{wrong_link}"]
rules = ["PSB-*"]
reason = "the public-security filing is with the bureau"
owner = "compliance"
expires = 2026-12-15
ticket = "T-12"
"#
        ),
    )
    .unwrap();
    let out = fleet.path("run");
    let res = fleet.audit_ok(
        &input,
        &out,
        &[
            "--quiet",
            "--as-of",
            "2026-12-01",
            "--waivers",
            waivers.to_str().unwrap(),
        ],
    );
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        err.contains("waiver CHG-0")
            && err.contains("expired on 2020-01-01")
            && err.contains("T-9"),
        "{err}"
    );
    let v = python_json(
        r#"
import json, sys, pyarrow.parquet as pq
d = sys.argv[1]
s = {r["domain"]: r for r in pq.read_table(d + "/sites").to_pylist()}
f = pq.read_table(d + "/findings").to_pylist()
print(json.dumps({
    "status": {k: r["status"] for k, r in s.items()},
    "waived_rules": {k: r["waived_rules"] for k, r in s.items()},
    "failing": {k: r["failing_rules"] for k, r in s.items()},
    "waived": sorted({(r["domain"], r["rule_id"], r["verdict"], r["waiver_id"]) for r in f if r["waived"]}),
    "unwaived_bad": sorted({(r["domain"], r["rule_id"]) for r in f if not r["waived"] and r["verdict"] in ("fail", "warn")}),
}))
"#,
        &out,
    );
    // The waived site: its failures are still failures, each naming CHG-1, and only they.
    assert_eq!(v["status"][&no_icp], "compliant_with_waivers", "{v}");
    assert_eq!(v["failing"][&no_icp], serde_json::json!([]), "{v}");
    let waived = v["waived"].as_array().unwrap();
    assert!(
        waived.iter().any(|w| w[0] == no_icp.as_str()
            && w[1] == "ICP-PRESENT"
            && w[2] == "fail"
            && w[3] == "CHG-1"),
        "{v}"
    );
    assert!(waived.iter().all(|w| w[0] == no_icp.as_str()), "{v}");
    assert!(
        !v["waived_rules"][&no_icp].as_array().unwrap().is_empty(),
        "{v}"
    );
    // The expired waiver waives nothing.
    assert_eq!(v["status"][&wrong_link], "violation", "{v}");
    assert!(
        v["unwaived_bad"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w[0] == wrong_link.as_str() && w[1] == "ICP-LINK"),
        "{v}"
    );

    // The report counts the waived findings apart and lists the exceptions that expire within
    // 30 days and those that lapsed, with owner and ticket, from what run.json recorded; the
    // workbook has them on a sheet of their own, and the owners' exports leave waived findings
    // out.
    let report_dir = fleet.path("report");
    run_ok(
        std::process::Command::new(env!("CARGO_BIN_EXE_beian"))
            .args(["report", "--lang", "en", "--split-by", "owner", "--out"])
            .arg(&report_dir)
            .arg(&out),
    );
    let r = python_json(
        r#"
import json, sys, openpyxl
d = sys.argv[1]
report = json.load(open(d + "/report/report.json"))
run = json.load(open(d + "/run/run.json"))
book = openpyxl.load_workbook(d + "/report/report.xlsx")
sheet = book["Exceptions"]
rows = [[c.value for c in row] for row in sheet.iter_rows()]
findings = [[c.value for c in row] for row in book["Findings"].iter_rows()]
print(json.dumps({
    "exceptions": report["exceptions"], "tiles": report["tiles"],
    "recorded": [(w["id"], w["in_force"], w["owner"], w["ticket"]) for w in run["waivers"]["entries"]],
    "rows": rows, "findings": findings[1:],
}, default=str))
"#,
        &fleet.path(""),
    );
    assert_eq!(
        r["recorded"],
        serde_json::json!([
            ["CHG-1", true, "ops", null],
            ["CHG-0", false, "web team", "T-9"],
            ["CHG-2", true, "compliance", "T-12"]
        ]),
        "{r}"
    );
    let e = &r["exceptions"];
    assert!(e["waived"].as_u64().unwrap() >= 1 && e["sites"] == 1, "{r}");
    assert_eq!(r["tiles"]["compliant_with_waivers"], 1, "{r}");
    let ids = |list: &serde_json::Value| -> Vec<(String, i64)> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["id"].as_str().unwrap().to_string(),
                    x["days_left"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(ids(&e["expiring"]), [("CHG-2".to_string(), 14)], "{r}");
    assert_eq!(ids(&e["lapsed"]), [("CHG-0".to_string(), -2526)], "{r}");
    assert_eq!(
        r["rows"],
        serde_json::json!([
            [
                "State",
                "Exception",
                "Owner",
                "Ticket",
                "Last day",
                "Days left",
                "Rule",
                "Domains/hosts",
                "Reason"
            ],
            [
                "Exceptions expiring within 30 days",
                "CHG-2",
                "compliance",
                "T-12",
                "2026-12-15",
                14,
                "PSB-*",
                wrong_link,
                "the public-security filing is with the bureau"
            ],
            [
                "Exceptions that lapsed",
                "CHG-0",
                "web team",
                "T-9",
                "2020-01-01",
                -2526,
                "ICP-LINK",
                wrong_link,
                "the link was to be fixed by November"
            ]
        ]),
        "{r}"
    );
    // The waived site is compliant: none of its findings is sent to its owner.
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row[1] != no_icp.as_str()),
        "{r}"
    );
}

#[test]
fn a_malformed_waivers_file_is_refused_naming_its_line() {
    let fleet = TestFleet::each(vec![Behaviour::Compliant], 1, 78);
    let input = fleet.path("domains.txt");
    let waivers = fleet.path("waivers.toml");
    std::fs::write(
        &waivers,
        "[[waiver]]\ndomains = [\"a.cn\"]\nrules = [\"*\"]\nreason = \"r\"\nexpires = 2027-01-01\n\n[[waiver]]\ndomains = [\"b.cn\"]\nrules = [\"*\"]\nexpires = 2027-01-01\n",
    )
    .unwrap();
    let res = fleet.audit(
        &input,
        &fleet.path("run"),
        &["--quiet", "--waivers", waivers.to_str().unwrap()],
    );
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(
        err.contains("invalid waivers file") && err.contains("line 7: no reason"),
        "{err}"
    );
}
