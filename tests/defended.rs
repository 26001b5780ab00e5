//! Defended fleets (issue 28): challenges, blocks, a rate limit, a parked page, the access
//! provider's interception page and a CDN's origin error are classified before the footer
//! rules — graded by the answer key, no gated site accused, each response's class, vendor
//! and marker in `fetches` (read back with pyarrow), `Retry-After` honoured once and counted
//! as waiting, a browser's User-Agent let through where the block pages allow it — and the
//! audit's own resolver or uplink cut mid-run: no site called unreachable for it, and
//! `--resume` audits the lost sites again.

use beian_fleet::Behaviour;

use crate::util::{TestFleet, python_json, wait_bounded, wait_until};

const READ: &str = r#"
import json, sys, pyarrow.parquet as pq
f = pq.read_table(sys.argv[1] + "/fetches").to_pylist()
g = pq.read_table(sys.argv[1] + "/findings").to_pylist()
s = pq.read_table(sys.argv[1] + "/sites").to_pylist()
print(json.dumps({
    "class": {r["host"] + " " + r["scheme"]: [r["page_class"], r["page_vendor"], r["page_marker"]] for r in f},
    "wait": {r["host"] + " " + r["scheme"]: [r["wait_us"], r["requests"], r["status"]] for r in f},
    "present": {x["host"]: [x["verdict"], x["evidence"], x["fix_en"]] for x in g if x["rule_id"] == "ICP-PRESENT"},
    "site": {x["domain"] + " " + x["rule_id"]: [x["verdict"], x["evidence"]] for x in g if x["host"] is None},
    "status": {r["domain"]: r["status"] for r in s if r["domain"]},
}))
"#;

fn defended_fleet(seed: u64) -> TestFleet {
    let behaviours: Vec<Behaviour> = Behaviour::DEFENDED
        .iter()
        .copied()
        .chain([Behaviour::Compliant])
        .collect();
    TestFleet::each(behaviours, 2, seed)
}

/// What the https probe of a behaviour's apex must be classified as: `(class, vendor,
/// marker)`.
fn expected_class(
    b: Behaviour,
) -> Option<(&'static str, Option<&'static str>, Option<&'static str>)> {
    Some(match b {
        Behaviour::WafJsCookie => ("challenge", Some("aliyun_waf"), Some("acw-sc-v2")),
        Behaviour::JslCookie => ("challenge", Some("jiasule"), Some("jsl-clearance")),
        Behaviour::CfChallenge => ("challenge", Some("cloudflare"), Some("cf-mitigated")),
        Behaviour::PowChallenge => ("challenge", Some("anubis"), Some("anubis-challenge")),
        Behaviour::UaBlock => ("block", Some("baota"), Some("baota-waf-block")),
        Behaviour::UaBlock403 => ("block", Some("safedog"), Some("safedog-block")),
        Behaviour::RateLimitedLong => ("block", None, Some("rate-limit")),
        Behaviour::Parked => ("parked", Some("baota"), Some("baota-default")),
        Behaviour::ProviderBlock => (
            "provider_interception",
            Some("aliyun"),
            Some("aliyun-beian-block"),
        ),
        Behaviour::OriginDown => ("origin_error", Some("cloudflare"), Some("cf-origin-error")),
        Behaviour::AboutDefences | Behaviour::Compliant | Behaviour::RateLimited => {
            ("page", None, None)
        }
        _ => return None,
    })
}

#[test]
fn defended_sites_are_classified_and_never_accused() {
    let fleet = defended_fleet(2828);
    let input = fleet.path("domains.txt");
    let out = fleet.path("out");
    fleet.audit_ok(&input, &out, &["--quiet", "--render", "never"]);
    fleet.assert_graded_without_browser(&out);

    let v = python_json(READ, &out);
    for s in &fleet.fleet.sites {
        let key = format!("{} https", s.domain);
        let want = expected_class(s.behaviour).unwrap();
        let got = &v["class"][&key];
        assert_eq!(
            got,
            &serde_json::json!([want.0, want.1, want.2]),
            "{:?} {key}: {v}",
            s.behaviour
        );
        let status = v["status"][&s.domain].as_str().unwrap();
        // A gate is never a violation: only the provider's own notice and a shell site are.
        if !matches!(s.behaviour, Behaviour::Parked | Behaviour::ProviderBlock) {
            assert_ne!(status, "violation", "{:?}: {v}", s.behaviour);
        }
        if want.0 == "challenge" || want.0 == "block" {
            let [verdict, evidence, fix] = [0, 1, 2].map(|i| {
                v["present"][&s.domain][i]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            });
            assert_eq!(verdict, "warn", "{evidence}");
            assert!(
                evidence.starts_with(&format!("not verified: {} answered ", s.domain)),
                "{evidence}"
            );
            assert!(fix.contains("WAF"), "{fix}");
            assert_eq!(status, "unverified");
        }
    }
    // The provider and the shell site are named in their own findings.
    let of = |b: Behaviour| fleet.fleet.site(b).map(|s| s.domain.clone()).unwrap();
    let provider = &v["site"][&format!("{} ICP-PROVIDER", of(Behaviour::ProviderBlock))];
    assert_eq!(provider[0], "fail", "{v}");
    assert!(
        provider[1].as_str().unwrap().contains("Alibaba Cloud"),
        "{v}"
    );
    let shell = &v["site"][&format!("{} SITE-SHELL", of(Behaviour::Parked))];
    assert_eq!(shell[0], "fail", "{v}");
    assert!(shell[1].as_str().unwrap().contains("空壳"), "{v}");

    // Retry-After: 1 was honoured once: the probe waited at least that long, asked twice
    // and got the page.
    let limited = of(Behaviour::RateLimited);
    let waited: Vec<&serde_json::Value> = ["https", "http"]
        .iter()
        .map(|scheme| &v["wait"][&format!("{limited} {scheme}")])
        .collect();
    assert!(
        waited
            .iter()
            .any(|w| w[0].as_i64().unwrap_or(0) >= 1_000_000
                && w[1].as_i64() == Some(2)
                && w[2].as_i64() == Some(200)),
        "{waited:?}"
    );
    // Retry-After: 3600 is longer than a probe waits: one request, the 429 stands.
    let long = of(Behaviour::RateLimitedLong);
    let w = &v["wait"][&format!("{long} https")];
    assert_eq!((w[1].as_i64(), w[2].as_i64()), (Some(1), Some(429)), "{w}");
}

#[test]
fn a_browser_user_agent_passes_the_blocks_that_allow_it() {
    let fleet = TestFleet::each(vec![Behaviour::UaBlock, Behaviour::UaBlock403], 1, 2829);
    let input = fleet.path("domains.txt");
    let out = fleet.path("out");
    fleet.audit_ok(
        &input,
        &out,
        &["--quiet", "--render", "never", "--user-agent", "browser"],
    );
    let v = python_json(READ, &out);
    for s in &fleet.fleet.sites {
        assert_eq!(v["status"][&s.domain], "compliant", "{v}");
        assert_eq!(v["class"][&format!("{} https", s.domain)][0], "page", "{v}");
    }
}

/// The resolver cut mid-run (the fleet's DNS server stops answering): the sites the audit
/// could not resolve afterwards are `unverified` with "the audit's own network failed" (its
/// canary, resolved afresh, does not answer either), none is `unreachable`; then `--resume`
/// with the network back audits exactly those sites again.
#[test]
fn a_cut_resolver_accuses_no_site() {
    let fleet = TestFleet::each(vec![Behaviour::Compliant], 12, 2830);
    cut_mid_run(&fleet, |on| fleet.fleet.set_dns_answering(on));
}

/// The uplink cut mid-run (every web server of the fleet, the canary's too, stops
/// listening: connections are refused), as for the resolver.
#[test]
fn a_cut_uplink_accuses_no_site() {
    let fleet = TestFleet::each(vec![Behaviour::Compliant], 12, 2831);
    cut_mid_run(&fleet, |on| fleet.set_uplink(on));
}

/// A run of `fleet`'s compliant sites with the audit's network cut (`cut(false)`) as soon as
/// it has started. The run is paced (one site at a time, a request a second per address:
/// several seconds a site), so the cut always falls inside it. The sites lost to the cut are
/// `unverified`, error class `audit_network`, the run exits with status 4, is not complete
/// (`run.json` counts them), and `report` refuses to compare it with the good run before.
/// With the network back (`cut(true)`), `--resume` audits exactly the lost sites again: every
/// site compliant, each with the fetches of one audit.
#[expect(clippy::unwrap_used)] // Test support: a failure here is a failed test.
fn cut_mid_run(fleet: &TestFleet, cut: impl Fn(bool)) {
    let input = fleet.path("domains.txt");
    // A good run first: the one a report would compare the cut run with.
    let good = fleet.path("good");
    fleet.audit_ok(&input, &good, &["--quiet", "--render", "never"]);
    let out = fleet.path("out");
    let paced = [
        "--quiet",
        "--render",
        "never",
        "--rate-per-ip",
        "1",
        "--concurrency",
        "1",
    ];
    let child = fleet
        .audit_command(&input, &out)
        // One site at a time, each resolved and connected as it starts: the sites after the
        // cut meet it.
        .args(paced)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(120, "the run started", || out.join("sites").exists());
    cut(false);
    let res = wait_bounded(child, 900);
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(4), "{stderr}");

    let read = r#"
import json, sys, pyarrow.parquet as pq
s = pq.read_table(sys.argv[1] + "/sites").to_pylist()
f = pq.read_table(sys.argv[1] + "/fetches").to_pylist()
rows = {}
for r in f:
    rows[r["domain"]] = rows.get(r["domain"], 0) + 1
print(json.dumps({
    "sites": [[r["status"], r["error_class"], r["error_message"], r["input_line"]] for r in s],
    "fetches": rows,
}))
"#;
    let v = python_json(read, &out);
    let rows = v["sites"].as_array().unwrap();
    assert_eq!(rows.len(), 12, "{v}");
    let lost: Vec<&serde_json::Value> = rows.iter().filter(|r| r[0] != "compliant").collect();
    assert!(!lost.is_empty(), "the cut fell after the run: {v}");
    for r in &lost {
        assert_eq!(r[0], "unverified", "{v}");
        assert_eq!(r[1], "audit_network", "{v}");
        let message = r[2].as_str().unwrap_or_default();
        assert!(
            message.starts_with("the audit's own network failed (canary canary.beian-fleet.cn:"),
            "{message}"
        );
    }
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(record["complete"], false, "{record}");
    assert_eq!(record["audit_network"], lost.len(), "{record}");

    // `report` refuses to compare the cut run with the good one.
    let res = std::process::Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(["report", "--compare"])
        .arg(&good)
        .arg("--out")
        .arg(fleet.path("report"))
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("sites the audit could not check: its own network failed"),
        "{stderr}"
    );

    // The network back, `--resume` audits the lost sites again, and only them.
    cut(true);
    let res = fleet.audit_ok(&input, &out, &["--quiet", "--render", "never", "--resume"]);
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(
        stderr.contains(&format!(
            "resume: {} site(s) the audit's own network failed are audited again",
            lost.len()
        )),
        "{stderr}"
    );
    let again = python_json(read, &out);
    let rows = again["sites"].as_array().unwrap();
    assert_eq!(rows.len(), 12, "{again}");
    assert!(rows.iter().all(|r| r[0] == "compliant"), "{again}");
    let good_fetches = python_json(read, &good)["fetches"].clone();
    assert_eq!(again["fetches"], good_fetches, "{again}");
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(
        (
            &record["complete"],
            &record["audit_network"],
            &record["rows"]["sites"]
        ),
        (
            &serde_json::json!(true),
            &serde_json::json!(0),
            &serde_json::json!(12)
        ),
        "{record}"
    );
}

/// With `--render`, the challenges a browser passes (a script that sets a cookie and reloads,
/// a 521 cookie challenge, a `cf-mitigated` challenge, a proof of work) are passed in the
/// headless browser, through the audit's proxy: the host is judged by the site's real page,
/// graded by the answer key (which is the verdict with a browser), the evidence says "after
/// challenge", and the `fetches` row still says what the server first answered. The blocks
/// are not passed: a render sends the audit's own User-Agent.
#[test]
fn passable_challenges_give_the_real_page_s_verdicts_with_render() {
    let behaviours = vec![
        Behaviour::WafJsCookie,
        Behaviour::JslCookie,
        Behaviour::CfChallenge,
        Behaviour::PowChallenge,
        Behaviour::UaBlock,
        Behaviour::Compliant,
    ];
    let fleet = TestFleet::each(behaviours, 1, 2833);
    let input = fleet.path("domains.txt");
    let out = fleet.path("out");
    let res = fleet.audit_ok(
        &input,
        &out,
        &["--render", "auto", "--render-timeout", "30"],
    );
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(!stdout.contains("rendering off"), "{stdout}");
    fleet.assert_graded(&out);

    let read = r#"
import json, sys, pyarrow.parquet as pq
f = pq.read_table(sys.argv[1] + "/fetches").to_pylist()
g = pq.read_table(sys.argv[1] + "/findings").to_pylist()
print(json.dumps({
    "fetch": {r["host"] + " " + r["scheme"]: [r["page_class"], r["rendered"], r["icp_number"]] for r in f},
    "present": {x["host"]: x["evidence"] for x in g if x["rule_id"] == "ICP-PRESENT"},
}))
"#;
    let v = python_json(read, &out);
    for s in &fleet.fleet.sites {
        if !s.behaviour.passes_in_browser() {
            continue;
        }
        let fetch = &v["fetch"][&format!("{} https", s.domain)];
        assert_eq!(fetch[0], "challenge", "{:?}: {v}", s.behaviour);
        assert_eq!(fetch[1], true, "{:?}: {v}", s.behaviour);
        assert!(fetch[2].is_string(), "{:?}: {v}", s.behaviour);
        let evidence = v["present"][&s.domain].as_str().unwrap_or_default();
        assert!(
            evidence.contains("(after challenge: a challenge of ")
                && evidence.ends_with(", passed in the browser)"),
            "{:?}: {evidence}",
            s.behaviour
        );
    }
}
