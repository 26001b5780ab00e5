//! Exceptions (issue 31, `--waivers`, docs/rulebook.md §5.4): a waived finding keeps its
//! verdict and names its waiver; the site's status leaves it out; an expired entry stops
//! applying and the run says so; a malformed file is refused naming the line.

use beian_fleet::Behaviour;

use crate::util::{TestFleet, python_json};

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
"#
        ),
    )
    .unwrap();
    let out = fleet.path("run");
    let res = fleet.audit_ok(
        &input,
        &out,
        &["--quiet", "--waivers", waivers.to_str().unwrap()],
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
