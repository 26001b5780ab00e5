//! Politeness on the simulated fleet (issue 16): within one site's audit each URL is requested
//! once — the probe that reaches a URL another probe of the site asked for reuses the response,
//! and its `fetches` row says so — so the requests the fleet's servers answer come to the
//! distinct URLs the probes visit, not one per probe and hop.

use beian_fleet::export::Nginx;
use beian_fleet::{Behaviour, FleetConfig};

use crate::util::{TestFleet, python_json, run_ok, run_python};

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
    let v = python_json(code, &out);
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

/// The fleet exported and served by Debian's nginx (`make test` installs it): the audit
/// finds what it finds on the fleet's own servers — every site's status and failing rules the
/// same — and nginx's access log shows each URL asked once per site.
#[test]
fn nginx_serving_the_export_answers_as_the_fleet_does() {
    let fleet = TestFleet::start_with(FleetConfig {
        domains: 120,
        seed: 1618,
        behaviours: Behaviour::for_throughput(),
        ..FleetConfig::default()
    });
    let input = fleet.path("domains.txt");
    let export = fleet.path("nginx");
    let wrote = fleet.fleet.export_static(&export).unwrap();
    assert!(wrote.hosts > 200 && wrote.redirects > 0, "{wrote:?}");
    // nginx's workers run unprivileged: the test's directory must be readable to them.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(fleet.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let nginx = Nginx::start(&fleet.fleet, &export, 1).expect("nginx: make test installs it");
    let on_nginx = fleet.path("on-nginx");
    run_ok(
        fleet
            .audit_command_on(&input, &on_nginx, nginx.http_port, nginx.https_port)
            .arg("--quiet"),
    );
    nginx.stop();
    let on_fleet = fleet.path("on-fleet");
    fleet.audit_ok(&input, &on_fleet, &["--quiet"]);
    let code = r#"
import json, sys, pyarrow.parquet as pq
def sites(d):
    return {r["input_line"]: [r["domain"], r["status"], sorted(r["failing_rules"])]
            for r in pq.read_table(d + "/sites").to_pylist()}
a, b = sites(sys.argv[1]), sites(sys.argv[2])
log = [l.split(" ") for l in open(sys.argv[3]).read().splitlines()]
urls = {f"{f[2]}://{f[3]}{f[4]}" for f in log}
print(json.dumps({
    "differ": [[a[k], b.get(k)] for k in sorted(a) if a[k] != b.get(k)],
    "sites": len(a),
    "requests": len(log),
    "urls": len(urls),
}))
"#;
    let log = export.join("access.log");
    let v: serde_json::Value = serde_json::from_str(&run_python(&[
        "-c".as_ref(),
        code.as_ref(),
        on_nginx.as_os_str(),
        on_fleet.as_os_str(),
        log.as_os_str(),
    ]))
    .unwrap();
    assert_eq!(v["sites"], 120, "{v}");
    assert_eq!(v["differ"], serde_json::json!([]), "{v}");
    assert!(v["urls"].as_u64().unwrap() > 300, "{v}");
    assert_eq!(v["requests"], v["urls"], "{v}");
}

/// Sites whose `www.` and http URLs all answer 301 to `https://` + the apex (the redirect of
/// most sites in issue 16's measurement): four probes, four distinct URLs. The fleet answers
/// four requests per site over two TLS connections (one full handshake per https host) and
/// one plain connection that the http probes of the apex and `www.` take turns on — three
/// connections per site, where each probe opening its own made four.
#[test]
fn converging_probes_share_requests_and_connections() {
    let sites = 24;
    let fleet = TestFleet::start_with(FleetConfig {
        domains: sites,
        seed: 1620,
        behaviours: vec![Behaviour::WwwToApex],
        ..FleetConfig::default()
    });
    let input = fleet.path("domains.txt");
    let out = fleet.path("out");
    let (requests, connections) = fleet.fleet.served();
    let resumed = fleet.fleet.resumed_handshakes();
    fleet.audit_ok(&input, &out, &["--quiet"]);
    let (requests, connections) = (
        fleet.fleet.served().0 - requests,
        fleet.fleet.served().1 - connections,
    );
    let code = r#"
import json, sys, pyarrow.parquet as pq
sites = pq.read_table(sys.argv[1] + "/sites").to_pylist()
fetches = pq.read_table(sys.argv[1] + "/fetches").to_pylist()
print(json.dumps({
    "statuses": sorted({s["status"] for s in sites}),
    "reused": sum(1 for r in fetches if r["reused_from"] is not None),
    "waited": sum(1 for r in fetches if (r["wait_us"] or 0) > 0),
}))
"#;
    let v = python_json(code, &out);
    assert_eq!(v["statuses"], serde_json::json!(["compliant"]), "{v}");
    // Graded by the answer key like the default mix.
    fleet.assert_graded(&out);
    // https://www., http://apex and http://www. each end at https://apex/, requested once.
    assert_eq!(v["reused"], 3 * sites, "{v}");
    assert_eq!(requests, 4 * sites as u64);
    // Two TLS connections per site and one plain one (never shared with another site); a
    // few more when the server closed an idle connection before its next turn.
    let sites_u = sites as u64;
    assert!(
        (3 * sites_u..=3 * sites_u + sites_u / 4).contains(&connections),
        "{connections} connections for {sites} sites"
    );
    assert_eq!(fleet.fleet.resumed_handshakes() - resumed, 0);
}
