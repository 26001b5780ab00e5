//! Real footers, second pass (issue 29): a footer no name marks and a number written with a
//! near miss's fault, on the simulated fleet, graded by the answer key — the unnamed footer
//! read as the footer (its number linked, present), the near miss read as the number it means
//! with ICP-FORMAT naming the fault and the form to write — beside compliant sites and sites
//! with no number at all (whose article's example number must stay a decoy).

use beian_fleet::Behaviour;

use crate::util::{TestFleet, python_json};

#[test]
fn unnamed_footers_and_near_misses_are_graded_by_the_key() {
    let behaviours: Vec<Behaviour> = Behaviour::REAL_FOOTERS
        .iter()
        .copied()
        .chain([Behaviour::Compliant, Behaviour::NoIcp])
        .collect();
    let fleet = TestFleet::each(behaviours, 2, 2929);
    let input = fleet.path("domains.txt");
    let out = fleet.path("out");
    fleet.audit_ok(&input, &out, &["--quiet", "--render", "never"]);
    fleet.assert_graded_without_browser(&out);

    let read = r#"
import json, sys, pyarrow.parquet as pq
g = pq.read_table(sys.argv[1] + "/findings").to_pylist()
print(json.dumps({x["host"]: x["evidence"] for x in g if x["rule_id"] == "ICP-FORMAT"}))
"#;
    let v = python_json(read, &out);
    for s in &fleet.fleet.sites {
        if s.behaviour != Behaviour::MalformedNumber {
            continue;
        }
        let evidence = v[&s.domain].as_str().unwrap_or_default();
        let want = format!("is written wrong (a dash after 备): write it as {}", s.icp);
        assert!(evidence.contains(&want), "{evidence} / {want}");
    }
}
