//! Politeness on the simulated fleet (issue 16): within one site's audit each URL is requested
//! once — the probe that reaches a URL another probe of the site asked for reuses the response,
//! and its `fetches` row says so — so the requests the fleet's servers answer come to the
//! distinct URLs the probes visit, not one per probe and hop.

use crate::util::{TestFleet, run_python};

#[test]
fn each_url_is_requested_once_per_site() {
    let fleet = TestFleet::start(60, 1616);
    let input = fleet.path("domains.txt");
    let out = fleet.dir.path().join("out");
    let (before, _) = fleet.fleet.served();
    fleet.audit_ok(&input, &out, &["--quiet"]);
    let (after, _) = fleet.fleet.served();
    let served = after - before;
    let code = r#"
import json, sys, pyarrow.parquet as pq
rows = pq.read_table(sys.argv[1] + "/fetches").to_pylist()
sites = {}
for r in rows:
    urls = sites.setdefault(r["input_line"], set())
    # Every hop got a response; so did the final URL when it has a status.
    urls.update(h["url"] for h in r["redirects"])
    if r["status"] is not None:
        urls.add(r["final_url"])
print(json.dumps({
    "distinct": sum(len(u) for u in sites.values()),
    "requests": sum(r["requests"] for r in rows),
    "reused": sum(1 for r in rows if r["reused_from"] is not None),
    "probes": len(rows),
    "versions": sorted({r["http_version"] for r in rows if r["http_version"]}),
    "wait_ok": all(r["wait_us"] is not None and r["wait_us"] >= 0
                   for r in rows if r["total_us"] is not None and r["connect_us"] is not None),
}))
"#;
    let v: serde_json::Value = serde_json::from_str(&run_python(&[
        "-c".as_ref(),
        code.as_ref(),
        out.as_os_str(),
    ]))
    .unwrap();
    let distinct = v["distinct"].as_u64().unwrap();
    // Each distinct URL of a site once; the servers answer what the probes sent.
    assert_eq!(served, distinct, "{v} served={served}");
    assert!(v["requests"].as_u64().unwrap() >= served, "{v}");
    // Sites that redirect (http → https, one host to the other) converge on one page: their
    // probes reuse responses.
    assert!(v["reused"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(v["versions"], serde_json::json!(["HTTP/1.1"]), "{v}");
    assert_eq!(v["wait_ok"], true, "{v}");
}
