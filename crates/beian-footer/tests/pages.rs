//! Every page of `datasets/pages/` against its hand-written `*.expected.json` (docs/rulebook.md
//! §2, §3, §6): the extracted facts and, where listed, the page verdicts.
//!
//! An expected file lists only what it asserts; a key set to `null` asserts absence.

mod common;

use std::path::{Path, PathBuf};

use beian_types::{FooterFacts, IcpCandidate};
use serde_json::{Value, json};

fn pages_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/pages")
}

fn candidate(c: &IcpCandidate) -> Value {
    json!({
        "number": c.number.canonical,
        "kind": c.number.kind.as_str(),
        "source": c.source.as_str(),
        "in_footer": c.in_footer,
        "link_host": c.link.as_ref().and_then(|l| l.host.clone()),
    })
}

fn actual(facts: &FooterFacts, file: &str) -> Value {
    let verdicts: serde_json::Map<String, Value> =
        beian_rules::page_rules(&beian_rules::PageInput {
            host: "example.cn",
            url: file,
            facts,
            manifest: &beian_types::Manifest::default(),
            as_of: time::macros::date!(2026 - 11 - 23),
        })
        .into_iter()
        .map(|f| (f.rule_id.to_string(), json!(f.verdict.as_str())))
        .collect();
    json!({
        "encoding": facts.encoding,
        "region": facts.region.as_str(),
        "primary": facts.primary.as_ref().map(candidate),
        "icp_all": facts.icp_all.iter().map(|c| c.number.canonical.clone()).collect::<Vec<_>>(),
        "psb": facts.psb.as_ref().map(|p| json!({
            "number": p.number.canonical,
            "link_code": p.link_code,
            "icon": p.icon,
            "link_host": p.link.as_ref().and_then(|l| l.host.clone()),
        })),
        "copyright_holder": facts.copyright_holder,
        "verdicts": verdicts,
        "title": facts.page.title,
        "names": facts.page.names.iter().map(|n| format!("{}: {}", n.source.as_str(), n.text)).collect::<Vec<_>>(),
        "lang": facts.page.lang.as_ref().map(|l| l.tag.clone()),
        "interactive": facts.page.interactive().map(|f| format!("{}: {}", f.kind.as_str(), f.what)).collect::<Vec<_>>(),
        "commerce": facts.page.commerce().map(|f| format!("{}: {}", f.kind.as_str(), f.what)).collect::<Vec<_>>(),
    })
}

/// Compares only the keys `expected` names; `null` must be `null`.
fn compare(path: &str, expected: &Value, actual: &Value, problems: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let av = a.get(k).unwrap_or(&Value::Null);
                compare(&format!("{path}.{k}"), ev, av, problems);
            }
        }
        (e, a) if e != a => problems.push(format!("{path}: expected {e}, got {a}")),
        _ => {}
    }
}

#[test]
fn every_fixture_matches_its_expected_facts() {
    let mut problems = Vec::new();
    let mut n = 0;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(pages_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    entries.sort();
    for html in entries {
        let name = html.file_stem().unwrap().to_string_lossy().into_owned();
        let expected_path = html.with_extension("expected.json");
        let mut expected: Value =
            serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        // The name a careful reader takes for the site's: SITE-NAME must find it (issue 30's
        // false-positive check).
        let site_name = expected
            .as_object_mut()
            .and_then(|o| o.remove("site_name"))
            .map(|v| v.as_str().unwrap_or_default().to_string());
        let bytes = std::fs::read(&html).unwrap();
        let facts = beian_footer::extract(&bytes, None);
        let actual = actual(&facts, &name);
        // The false-positive check (issue 30): a fixture that lists no interactive services or
        // commerce has none a careful reader sees, so none may be found.
        for key in ["interactive", "commerce"] {
            if expected.get(key).is_none() && actual[key] != json!([]) {
                problems.push(format!("{name}.{key}: none expected, got {}", actual[key]));
            }
        }
        if let Some(filed) = site_name {
            if beian_rules::matching_name(&filed, std::iter::once(&facts)).is_none() {
                problems.push(format!("{name}: SITE-NAME finds no name matching {filed}"));
            }
        }
        compare(&name, &expected, &actual, &mut problems);
        n += 1;
    }
    assert!(n >= 40, "only {n} fixtures found");
    assert!(
        problems.is_empty(),
        "{} mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The fast extractor agrees with the reference on every fixture, fact for fact, each read
/// its own way.
#[test]
fn fast_path_agrees_with_reference_on_fixtures() {
    let mut disagreements = Vec::new();
    for entry in std::fs::read_dir(pages_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "html") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        // Every fixture is read the fast path's own way: the comparison is not the
        // reference's with itself.
        assert_ne!(
            beian_footer::route(&bytes, None),
            beian_footer::Route::WholePage,
            "{}",
            path.display()
        );
        let fast = beian_footer::extract(&bytes, None);
        let reference = beian_footer::extract_reference(&bytes, None);
        if !common::agree(&fast, &reference) {
            disagreements.push(format!(
                "{}:\n fast      {fast:?}\n reference {reference:?}",
                path.display()
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
