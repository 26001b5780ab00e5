//! The whole audit against a 240-domain fleet, graded by the fleet's answer key.

use crate::util::{TestFleet, readback_script, run_python};

#[test]
fn fleet_audit_matches_answer_key() {
    let fleet = TestFleet::start(240, 20261123);
    let out = tempfile::tempdir().unwrap();
    let input = fleet.path("domains.txt");
    let res = fleet.audit(&input, out.path(), &["--concurrency", "48"]);
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(
        res.status.success(),
        "audit failed: {stdout}\n{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(stdout.contains("audited 240 input lines"), "{stdout}");
    let key = fleet.path("answer_key.csv");
    let report = run_python(&[
        readback_script().as_os_str(),
        out.path().as_os_str(),
        key.as_os_str(),
        "240".as_ref(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(v["problem_count"], 0, "{report}");
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
