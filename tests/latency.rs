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
