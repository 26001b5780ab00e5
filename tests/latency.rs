//! The audit across the internet's latency (issue 32): the fleet's servers answer as from
//! abroad (round trips of 60 ms to 1 s, slow DNS, servers' time to first byte, lost packets),
//! and every verdict is the one the key gives without latency.

use beian_fleet::{FleetConfig, Latency};

use crate::util::TestFleet;

#[test]
fn verdicts_hold_at_internet_latency() {
    let seed = 20261208;
    let fleet = TestFleet::start_with(FleetConfig {
        domains: 120,
        seed,
        latency: Some(Latency::profile("overseas", seed).unwrap()),
        ..FleetConfig::default()
    });
    let out = tempfile::tempdir().unwrap();
    let input = fleet.path("domains.txt");
    let res = fleet.audit_ok(&input, out.path(), &["--concurrency", "64"]);
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(stdout.contains("audited 120 input lines"), "{stdout}");
    let v = fleet.assert_graded(out.path());
    assert!(v["key_rows_checked"].as_u64().unwrap() > 1000, "{v}");
}

/// A file limit too low for `--concurrency` (a service's LimitNOFILE, a shell's `ulimit -n`)
/// lowers the concurrency to fit, and the run says so; without it, connections past the limit
/// would fail as the sites' fault.
#[test]
fn a_low_file_limit_lowers_the_concurrency_and_says_so() {
    let fleet = TestFleet::start(30, 20261209);
    let out = tempfile::tempdir().unwrap();
    let audit = fleet.audit_command(&fleet.path("domains.txt"), out.path());
    // 256 sites would hold 1,536 files; under 300, (300 − 256) / 5 = 8 fit.
    let mut cmd = std::process::Command::new("bash");
    cmd.arg("-c")
        .arg("ulimit -Sn 300 -Hn 300 && exec \"$0\" \"$@\"")
        .arg(audit.get_program())
        .args(audit.get_args())
        .args(["--concurrency", "256"]);
    let res = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&res.stderr);
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(res.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("warning: --concurrency 256 lowered to 8: 256 sites at once may hold 1536 open files, and this process may open 300 (hard limit 300"),
        "{stderr}"
    );
    assert!(
        stdout.contains("--concurrency 256 lowered to 8"),
        "{stdout}"
    );
    fleet.assert_graded(out.path());
}
