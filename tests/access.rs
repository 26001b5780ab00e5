//! Access accuracy (issue 18): SITE-ACCESS judged on the addresses each host resolved to,
//! against the fleet's networks (`access_nets.txt`, which every fleet audit of the tests
//! passes); the answer key grades it, `fetches.address_nets` records it, a manifest row's
//! `access_nets` replaces the flag's, and bad networks are refused naming the line.

use beian_fleet::Behaviour;

use crate::util::{TestFleet, python_json};

fn access_fleet(seed: u64) -> TestFleet {
    // Each access behaviour twice, beside compliant sites, a www CNAME to the apex (the
    // site's own name, not a third party) and IPv6-only sites (`::1` is in the networks;
    // some containers lack it).
    let v6 = TestFleet::start(1, 1).fleet.ipv6;
    let behaviours: Vec<Behaviour> = Behaviour::ACCESS
        .iter()
        .copied()
        .chain([Behaviour::Compliant, Behaviour::WwwCname])
        .chain(v6.then_some(Behaviour::Ipv6Only))
        .collect();
    TestFleet::each(behaviours, 2, seed)
}

const READ: &str = r#"
import json, sys, pyarrow.parquet as pq
f = pq.read_table(sys.argv[1] + "/fetches").to_pylist()
g = pq.read_table(sys.argv[1] + "/findings").to_pylist()
s = pq.read_table(sys.argv[1] + "/sites").to_pylist()
print(json.dumps({
    "nets": {r["host"]: r["address_nets"] for r in f if r["scheme"] == "https"},
    "addrs": {r["host"]: r["addresses"] for r in f if r["scheme"] == "https"},
    "edge": {r["host"]: r["edge_provider"] for r in f if r["scheme"] == "https"},
    "site_edge": {r["domain"]: r["edge_provider"] for r in s if r["domain"]},
    "access": {x["domain"]: [x["verdict"], x["evidence"]] for x in g if x["rule_id"] == "SITE-ACCESS"},
    "status": {r["domain"]: r["status"] for r in s if r["domain"]},
    "error": {str(r["input_line"]): r["error_message"] for r in s if r["status"] == "input_error"},
}))
"#;

#[test]
fn site_access_is_graded_and_each_address_named() {
    let fleet = access_fleet(1818);
    let input = fleet.path("domains.txt");
    let out = fleet.path("out");
    fleet.audit_ok(&input, &out, &["--quiet"]);
    fleet.assert_graded(&out);

    let v = python_json(READ, &out);
    let inside = "127.0.1.0/24";
    for s in &fleet.fleet.sites {
        let www = format!("www.{}", s.domain);
        let (apex_nets, www_nets) = (&v["nets"][&s.domain], &v["nets"][&www]);
        let (verdict, evidence) = (
            v["access"][&s.domain][0].as_str().unwrap(),
            v["access"][&s.domain][1].as_str().unwrap(),
        );
        match s.behaviour {
            Behaviour::MovedAway => {
                assert_eq!(apex_nets, &serde_json::json!([null]), "{v}");
                assert_eq!(www_nets, &serde_json::json!([null]), "{v}");
                assert_eq!(verdict, "fail");
                assert!(
                    evidence.starts_with(&format!(
                        "served outside the access networks: {}: 127.0.2.1 (outside)",
                        s.domain
                    )),
                    "{evidence}"
                );
            }
            Behaviour::SplitNetworks => {
                assert_eq!(apex_nets, &serde_json::json!([inside, null]), "{v}");
                assert_eq!(v["addrs"][&s.domain][1], "127.0.2.1", "{v}");
                assert_eq!(verdict, "warn");
            }
            Behaviour::ThirdPartyCdn => {
                assert_eq!(apex_nets, &serde_json::json!([inside]), "{v}");
                assert_eq!(www_nets, &serde_json::json!([null]), "{v}");
                assert_eq!(verdict, "warn");
                let cdn = beian_fleet::cdn_name(s);
                assert!(
                    evidence.contains(&format!("{www} → CNAME {cdn}: 127.0.2.2 (outside)")),
                    "{evidence}"
                );
                // The CDN is named by its CNAME suffix (datasets/edge/suffixes.csv), in
                // `fetches` and for the site.
                assert_eq!(v["edge"][&www], "aliyun_cdn", "{v}");
                assert_eq!(v["site_edge"][&s.domain], "aliyun_cdn", "{v}");
                assert!(
                    evidence.starts_with(&format!(
                        "{www} reaches its addresses through Alibaba Cloud CDN (cdn, CNAME {cdn})"
                    )),
                    "{evidence}"
                );
            }
            Behaviour::Ipv6Only => {
                assert_eq!(apex_nets, &serde_json::json!(["::1/128"]), "{v}");
                assert_eq!(verdict, "pass", "{evidence}");
            }
            _ => {
                assert_eq!(apex_nets, &serde_json::json!([inside]), "{v}");
                assert_eq!(verdict, "pass", "{evidence}");
                assert!(v["edge"][&www].is_null(), "{v}");
            }
        }
    }
}

/// A portfolio filed through several providers: each row's `access_nets` replaces the
/// flag's networks; a cell that is not a network is an input error naming the column.
#[test]
fn a_manifest_row_names_its_own_networks() {
    let fleet = access_fleet(1819);
    let of = |b: Behaviour| fleet.fleet.site(b).unwrap().domain.clone();
    let (moved, split, compliant) = (
        of(Behaviour::MovedAway),
        of(Behaviour::SplitNetworks),
        of(Behaviour::Compliant),
    );
    let input = fleet.path("sites.csv");
    std::fs::write(
        &input,
        format!(
            "domain,access_nets\n{moved},127.0.2.0/24\n{split},\"127.0.1.0/24; 127.0.2.1\"\n{compliant},\n{},127.0.2.0/99\n",
            of(Behaviour::ThirdPartyCdn)
        ),
    )
    .unwrap();
    let out = fleet.path("out");
    fleet.audit_ok(&input, &out, &["--quiet"]);
    let v = python_json(READ, &out);
    // The moved site is where its row says its provider is; the split one is wholly inside
    // its row's networks; the row without a cell keeps the flag's.
    assert_eq!(v["access"][&moved][0], "pass", "{v}");
    assert_eq!(
        v["nets"][&moved],
        serde_json::json!(["127.0.2.0/24"]),
        "{v}"
    );
    assert_eq!(v["access"][&split][0], "pass", "{v}");
    assert_eq!(
        v["nets"][&split],
        serde_json::json!(["127.0.1.0/24", "127.0.2.1/32"]),
        "{v}"
    );
    assert_eq!(v["access"][&compliant][0], "pass", "{v}");
    assert_eq!(v["status"][&moved], "compliant", "{v}");
    let bad = v["error"]["5"].as_str().unwrap_or_default();
    assert!(
        bad.contains("column access_nets: \"127.0.2.0/99\" is not a network"),
        "{v}"
    );
}

#[test]
fn bad_networks_are_refused_naming_the_line() {
    let fleet = access_fleet(1820);
    let nets = fleet.path("nets.txt");
    std::fs::write(&nets, "# ours\n127.0.1.0/24\n127.0.1.0/40\n").unwrap();
    let input = fleet.path("domains.txt");
    let res = fleet
        .audit_command(&input, &fleet.path("out"))
        .arg("--access-nets")
        .arg(&nets)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "--access-nets {}: line 3: \"127.0.1.0/40\" is not a network",
            nets.display()
        )),
        "{stderr}"
    );
    let res = fleet
        .audit_command(&input, &fleet.path("out2"))
        .args(["--access-net", "ten.0.0.0/8"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("ten.0.0.0/8"), "{stderr}");
    assert!(stderr.contains("is not a network"), "{stderr}");
}
