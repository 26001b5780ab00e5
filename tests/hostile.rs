//! Hostile servers (issue 6): every fault becomes a row with a stable error class, and the
//! run ends within the configured timeouts and caps.

use beian_fleet::Behaviour;

use crate::util::{TestFleet, run_measured, run_python};

#[test]
fn hostile_servers_become_rows_with_stable_error_classes() {
    // `ipv6-only` sites need `::1`, which some containers lack.
    let v6 = TestFleet::start(1, 1).fleet.ipv6;
    let behaviours: Vec<Behaviour> = Behaviour::HOSTILE
        .iter()
        .copied()
        .filter(|b| v6 || *b != Behaviour::Ipv6Only)
        .collect();
    let fleet = TestFleet::each(behaviours.clone(), 2, 47);
    let out = tempfile::tempdir().unwrap();
    // The fleet's own addresses are allowed, nothing else private: a redirect or a DNS answer
    // pointing at 10.255.255.x must be refused. The time limits are far above what an
    // answering server needs on a loaded machine (a 1,000-hop chain is cut at the redirect
    // limit, a bomb at `--max-body`), so only the servers that never finish reach them: the
    // verdicts do not depend on the machine's speed.
    let res = run_measured(
        fleet
            .audit_command_restricted(&fleet.path("domains.txt"), out.path())
            .args([
                "--allow-net",
                "127.0.1.0/24",
                "--allow-net",
                "::1/128",
                "--connect-timeout",
                "10",
                "--response-timeout",
                "10",
                "--probe-timeout",
                "20",
                "--max-body",
                "65536",
                "--concurrency",
                "16",
                "--quiet",
            ]),
    );
    assert!(res.status.success(), "{}", res.stderr);
    // Bounded by the timeouts, not by the servers: the run ended (`run_measured` fails a run
    // that never does), and the silent and dripping servers are timeouts in the key.
    // Bounded by the caps: the gzip and brotli bombs (256 MiB each) and the endless body stream through a
    // buffer of `--max-body`.
    assert!(
        res.peak_rss_kib < 200 * 1024,
        "peak RSS {} KiB",
        res.peak_rss_kib
    );
    fleet.assert_graded(out.path());
    for b in &behaviours {
        assert!(
            fleet.fleet.sites.iter().any(|s| s.behaviour == *b),
            "{b:?} absent"
        );
    }
    // Clear messages: each error row says what happened.
    let code = r#"
import sys, json, pyarrow.parquet as pq
f = pq.read_table(sys.argv[1] + "/fetches").to_pylist()
print(json.dumps(sorted({(r["error_class"], r["error_message"][:60]) for r in f if r["error_class"]})))
"#;
    let messages = run_python(&["-c".as_ref(), code.as_ref(), out.path().as_os_str()]);
    let list: Vec<(String, String)> = serde_json::from_str(&messages).unwrap();
    assert!(list.iter().all(|(_, m)| m.len() > 8), "{messages}");
    // Certificate faults are facts of a fetched page, named.
    let code = r#"
import sys, json, pyarrow.parquet as pq
f = pq.read_table(sys.argv[1] + "/fetches").to_pylist()
print(json.dumps(sorted({r["cert_error"] for r in f if "wrong-name-cert" in r["domain"] and r["scheme"] == "https"})))
"#;
    let certs = run_python(&["-c".as_ref(), code.as_ref(), out.path().as_os_str()]);
    assert_eq!(certs.trim(), r#"["name mismatch"]"#);
}
