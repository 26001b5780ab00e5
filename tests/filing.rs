//! Does the site match its filing (issue 30): the fleet's sites that do not — a name filed
//! that the page shows nowhere, a slogan after the filed name, a comment box on a site filed
//! non-interactive, a forum and a shop on personal filings, an address the filing does not
//! list, English text filed as Chinese, nginx's welcome page — audited from `sites.csv` (the
//! manifest's filing columns) and from `domains.txt` (none), each graded by its key; the page
//! facts land in `fetches` and the filing rules' evidence names what was seen.

use beian_fleet::Behaviour;

use crate::util::{TestFleet, python_json};

#[test]
fn filing_mismatches_are_graded_by_the_key_with_and_without_the_manifest() {
    let behaviours: Vec<Behaviour> = Behaviour::FILING
        .iter()
        .copied()
        .chain([Behaviour::Compliant])
        .collect();
    let fleet = TestFleet::each(behaviours, 1, 3030);

    // With the filing columns: each mismatch warns, the rest pass or are n/a.
    let filed = fleet.path("filed");
    fleet.audit_ok(
        &fleet.path("sites.csv"),
        &filed,
        &["--quiet", "--render", "never"],
    );
    fleet.assert_graded_filed(&filed);

    // Without them: every filing rule is n/a, and the same sites are compliant.
    let plain = fleet.path("plain");
    fleet.audit_ok(
        &fleet.path("domains.txt"),
        &plain,
        &["--quiet", "--render", "never"],
    );
    fleet.assert_graded(&plain);

    let read = r#"
import json, sys, pyarrow.parquet as pq
f = pq.read_table(sys.argv[1] + "/fetches").to_pylist()
g = pq.read_table(sys.argv[1] + "/findings").to_pylist()
print(json.dumps({
  "facts": {x["host"]: [x["page_title"], x["page_lang"], x["page_lang_declared"], x["interactive"], x["commerce"]]
            for x in f if x["scheme"] == "https" and x["host_role"] == "apex"},
  "evidence": {x["domain"] + " " + x["rule_id"]: x["evidence"] for x in g if x["rule_id"].startswith("SITE-") and x["verdict"] in ("warn", "fail")},
  "roles": sorted({x["host_role"] for x in f}),
}))
"#;
    let v = python_json(read, &filed);
    // The other domains' hosts are probed with their site, in rows of their own.
    assert_eq!(
        v["roles"],
        serde_json::json!(["apex", "other", "www"]),
        "{v}"
    );
    for s in &fleet.fleet.sites {
        let facts = &v["facts"][&s.domain];
        let evidence = |rule: &str| {
            v["evidence"][format!("{} {rule}", s.domain)]
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        match s.behaviour {
            Behaviour::CommentsWidget => {
                // The widget's container comes first in the page.
                assert_eq!(
                    facts[3],
                    serde_json::json!(["comments: 畅言 (Changyan) (id=\"SOHUCS\")"]),
                    "{facts}"
                );
                assert!(evidence("SITE-INTERACTIVE").contains("畅言"), "{v}");
            }
            Behaviour::ForumPersonal => {
                assert!(facts[3].to_string().contains("forum: Discuz!"), "{facts}");
                let e = evidence("SITE-SCOPE");
                assert!(e.contains("a forum: forum: Discuz!"), "{e}");
            }
            Behaviour::ShopPersonal => {
                assert!(facts[4].to_string().contains("shop: ECShop"), "{facts}");
                assert!(
                    evidence("SITE-SCOPE").contains("commerce: shop: ECShop"),
                    "{v}"
                );
            }
            Behaviour::EnglishOnly => {
                assert_eq!(
                    (&facts[1], &facts[2]),
                    (&"en".into(), &"zh-CN".into()),
                    "{facts}"
                );
                assert!(evidence("SITE-LANG").contains("英文 (en)"), "{v}");
            }
            Behaviour::IpOutsideFiled => {
                let e = evidence("SITE-FILED-IP");
                assert!(e.contains(beian_fleet::filing::UNUSED_FILED_IP), "{e}");
            }
            Behaviour::NameMismatch => {
                let e = evidence("SITE-NAME");
                assert!(e.contains("云帆旅游网") && e.contains(&s.org), "{e}");
            }
            Behaviour::OtherDomainParked => {
                let e = evidence_of(&v, &s.domain, "SITE-OTHER-DOMAINS");
                assert!(
                    e.contains(&format!("alt-{} answered", s.domain)) && e.contains("空壳"),
                    "{e}"
                );
            }
            Behaviour::OtherDomainNumber => {
                let e = evidence_of(&v, &s.domain, "SITE-OTHER-DOMAINS");
                assert!(
                    e.contains("another filing's number") && e.contains(&s.icp),
                    "{e}"
                );
            }
            Behaviour::Compliant | Behaviour::NameSlogan => {
                assert_eq!(
                    (&facts[1], &facts[3], &facts[4]),
                    (&"zh".into(), &serde_json::json!([]), &serde_json::json!([])),
                    "{facts}"
                );
            }
            _ => {}
        }
    }
}

fn evidence_of(v: &serde_json::Value, domain: &str, rule: &str) -> String {
    v["evidence"][format!("{domain} {rule}")]
        .as_str()
        .unwrap_or_default()
        .to_string()
}
