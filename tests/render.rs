//! Footers written by scripts (issue 17), rendered in Debian's chromium (`make test` installs
//! it): the fleet's scripted sites graded by the answer key, their rows marked, what a page
//! script reached for and was refused named in the evidence; without rendering the same
//! sites are what the HTML alone says.

use beian_fleet::Behaviour;

use crate::util::{TestFleet, python_json};

fn scripted_fleet(seed: u64) -> TestFleet {
    // Each scripted behaviour twice — the never-ending one once: its two renders run to the
    // time limit — and two plain compliant sites (no render needed).
    let behaviours = Behaviour::SCRIPTED
        .iter()
        .copied()
        .chain([Behaviour::Compliant])
        .flat_map(|b| {
            let times = if b == Behaviour::ScriptHang { 1 } else { 2 };
            std::iter::repeat_n(b, times)
        });
    TestFleet::each(behaviours.collect(), 1, seed)
}

#[test]
fn scripted_footers_are_rendered_and_graded() {
    let fleet = scripted_fleet(1717);
    let input = fleet.path("domains.txt");
    let out = fleet.path("out");
    // The fleet's addresses are allowed, every other private one refused (the page script
    // of `script-private` reaches for 10.255.255.1).
    // `script-hang` never ends: its render is stopped at the limit, which is far above what
    // the other renders need on a loaded machine (~1 s of CPU each).
    let res = crate::util::run_ok(
        fleet
            .audit_command_restricted(&input, &out)
            .args([
                "--allow-net",
                "127.0.1.0/24",
                "--render",
                "auto",
                "--render-timeout",
                "30",
                "--screenshots",
            ])
            .arg(fleet.path("shots")),
    );
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(!stdout.contains("rendering off"), "{stdout}");
    // Which browser gave these verdicts.
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    #[expect(clippy::print_stderr, reason = "the test output names the browser")]
    {
        eprintln!("browser: {}", run["render"]["browser"]);
    }
    assert!(
        run["render"]["browser"]
            .as_str()
            .is_some_and(|b| b.contains("Chrom")),
        "{run}"
    );
    // Ten scripted sites' two pages each, and the never-ending one's two pages, failed.
    assert!(
        stdout.contains("rendered in the browser: 20 pages (2 failed)"),
        "{stdout}"
    );
    // Every screenshot asked for was written (two failing sites, two hosts each), and the
    // summary and run.json say so.
    assert!(
        stdout.contains("screenshots: 8 written, 0 failed"),
        "{stdout}"
    );
    assert_eq!(
        (
            &run["render"]["screenshots_written"],
            &run["render"]["screenshots_failed"]
        ),
        (&8.into(), &0.into()),
        "{run}"
    );
    // Each screenshot is on the rows of the page it shows, with the SHA-256 of the file.
    let shots = python_json(
        r#"
import json, sys, hashlib, pyarrow.parquet as pq
rows = [r for r in pq.read_table(sys.argv[1] + "/fetches").to_pylist() if r["screenshot"]]
bad = [r["screenshot"] for r in rows
       if hashlib.sha256(open(r["screenshot"], "rb").read()).hexdigest() != r["screenshot_sha256"]]
print(json.dumps({"files": len({r["screenshot"] for r in rows}), "bad": bad,
                  "domain": rows[0]["domain"] if rows else None}))
"#,
        &out,
    );
    assert_eq!(shots["files"], 8, "{shots}");
    assert_eq!(shots["bad"], serde_json::json!([]), "{shots}");
    // `beian evidence` extracts one, checked against the stored SHA-256.
    let png = fleet.path("shot.png");
    let extracted = (1..=8).any(|n| {
        std::process::Command::new(env!("CARGO_BIN_EXE_beian"))
            .arg("evidence")
            .arg(&out)
            .arg(shots["domain"].as_str().unwrap_or_default())
            .args([
                "--extract",
                &n.to_string(),
                "--part",
                "screenshot",
                "--output",
            ])
            .arg(&png)
            .output()
            .is_ok_and(|o| o.status.success())
    });
    assert!(extracted && std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    let peak = run["render"]["peak_memory_mib"].as_u64().unwrap_or(0);
    assert!(peak > 0 && peak < 1024, "{run}");
    fleet.assert_graded(&out);
    let code = r#"
import json, sys, pyarrow.parquet as pq
f = pq.read_table(sys.argv[1] + "/fetches").to_pylist()
g = pq.read_table(sys.argv[1] + "/findings").to_pylist()
rendered = {}
for r in f:
    # The https probe's page is the one the host is judged by (and rendered).
    if r["status"] == 200 and r["scheme"] == "https":
        rendered.setdefault(r["domain"], set()).add((r["rendered"], r["render_ms"] is not None))
present = {(x["domain"], x["host"]): x["evidence"] for x in g if x["rule_id"] == "ICP-PRESENT"}
print(json.dumps({
    "rendered": {d: sorted(list(map(list, s))) for d, s in rendered.items()},
    "present": {d: e for (d, h), e in present.items()},
    "after": sum(1 for e in present.values() if e.endswith("(after render)") or "after render;" in e),
}))
"#;
    let v = python_json(code, &out);
    for s in &fleet.fleet.sites {
        // Every page of a scripted site was rendered and timed — the one that never ends
        // timed but not rendered —; no plain page was either.
        let (rendered, timed) = match s.behaviour {
            Behaviour::ScriptHang => (false, true),
            b if Behaviour::SCRIPTED.contains(&b) => (true, true),
            _ => (false, false),
        };
        assert_eq!(
            v["rendered"][&s.domain],
            serde_json::json!([[rendered, timed]]),
            "{}: {v}",
            s.domain
        );
        let evidence = v["present"][&s.domain].as_str().unwrap_or_default();
        match s.behaviour {
            Behaviour::ScriptPrivate => assert!(
                evidence.ends_with(
                    "(after render; refused: http://10.255.255.1/footer.json (private or reserved address))"
                ),
                "{evidence}"
            ),
            Behaviour::ScriptHang => assert!(
                evidence.contains("not verified: the render failed (render timed out after"),
                "{evidence}"
            ),
            _ => {}
        }
    }
    assert!(v["after"].as_u64().unwrap() >= 20, "{v}");
    // A PNG of the bottom of each failing page, and of no other.
    for s in &fleet.fleet.sites {
        let failing = matches!(
            s.behaviour,
            Behaviour::ScriptNever | Behaviour::ScriptPrivate
        );
        for host in [s.domain.clone(), format!("www.{}", s.domain)] {
            let png = fleet
                .path("shots")
                .join(&s.domain)
                .join(format!("{host}.png"));
            let bytes = std::fs::read(&png).unwrap_or_default();
            assert_eq!(
                bytes.starts_with(b"\x89PNG"),
                failing,
                "{} ({:?})",
                png.display(),
                s.behaviour
            );
        }
    }

    // The report counts the renders and links each failing site's screenshots.
    let report_dir = fleet.path("report");
    crate::util::run_ok(
        std::process::Command::new(env!("CARGO_BIN_EXE_beian"))
            .args(["report", "--lang", "en", "--out"])
            .arg(&report_dir)
            .arg(&out),
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("report.json")).unwrap())
            .unwrap();
    let render = &report["run"]["render"];
    assert_eq!(
        (&render["pages"], &render["failed"]),
        (&20.into(), &2.into()),
        "{render}"
    );
    let shots = std::path::absolute(fleet.path("shots")).unwrap();
    assert_eq!(
        render["screenshots"],
        shots.display().to_string(),
        "{render}"
    );
    // The page escapes `/` in attributes as `&#x2f;` (the browser reads it back).
    let html = std::fs::read_to_string(report_dir.join("report.html"))
        .unwrap()
        .replace("&#x2f;", "/");
    assert!(
        html.contains("20 pages rendered in the browser (2 failed, --render auto)"),
        "{html}"
    );
    let worst = report["worst"].as_array().unwrap();
    let failing: Vec<&beian_fleet::SiteSpec> = fleet
        .fleet
        .sites
        .iter()
        .filter(|s| {
            matches!(
                s.behaviour,
                Behaviour::ScriptNever | Behaviour::ScriptPrivate
            )
        })
        .collect();
    for s in &failing {
        let entry = worst
            .iter()
            .find(|o| o["domain"] == s.domain.as_str())
            .unwrap_or_else(|| panic!("{} not among the worst: {report}", s.domain));
        let want: Vec<String> = [format!("www.{}", s.domain), s.domain.clone()]
            .iter()
            .map(|h| {
                shots
                    .join(&s.domain)
                    .join(format!("{h}.png"))
                    .display()
                    .to_string()
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(entry["screenshots"], serde_json::json!(want), "{entry}");
        for png in &want {
            assert!(
                html.contains(&format!("<a class=\"shot\" href=\"{png}\">")),
                "{png}"
            );
        }
    }
    // Sites without a screenshot carry no list.
    assert!(
        worst
            .iter()
            .filter(|o| !failing.iter().any(|s| o["domain"] == s.domain.as_str()))
            .all(|o| o.get("screenshots").is_none()),
        "{report}"
    );
}

/// `--render never`: the HTML alone. The shell that fetches its footer and the footer a timer
/// fills show no number (violations the render clears), the footer written by
/// `document.write` is at best a script-only number (`unverified`); nothing is marked
/// rendered. And without a browser,
/// `--render auto` turns rendering off and the summary says why.
#[test]
fn without_rendering_the_html_alone_is_judged() {
    let fleet = scripted_fleet(1718);
    let input = fleet.path("domains.txt");
    let out = fleet.path("out");
    fleet.audit_ok(&input, &out, &["--render", "never", "--quiet"]);
    let code = r#"
import json, sys, pyarrow.parquet as pq
s = pq.read_table(sys.argv[1] + "/sites").to_pylist()
f = pq.read_table(sys.argv[1] + "/fetches").to_pylist()
print(json.dumps({
    "status": {r["domain"]: r["status"] for r in s},
    "rendered": sum(1 for r in f if r["rendered"] or r["render_ms"] is not None),
}))
"#;
    let v = python_json(code, &out);
    assert_eq!(v["rendered"], 0, "{v}");
    for s in &fleet.fleet.sites {
        // A number written whole in the script is script-only (`unverified`); one the script
        // writes in pieces (`<span>京</span>ICP备…`) is no number at all.
        let want: &[&str] = match s.behaviour {
            Behaviour::ScriptConfig | Behaviour::ScriptTimer => &["violation"],
            Behaviour::ScriptWrite => &["unverified", "violation"],
            _ => continue,
        };
        let got = v["status"][&s.domain].as_str().unwrap_or_default();
        assert!(want.contains(&got), "{}: {v}", s.domain);
    }

    let out2 = fleet.path("out2");
    let res = fleet
        .audit_command(&input, &out2)
        .args(["--render", "auto"])
        .env("PATH", "/nonexistent")
        .env_remove("CHROME")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(
        res.status.success() || res.status.code() == Some(1),
        "{stdout}"
    );
    assert!(
        stdout.contains("rendering off: no browser found"),
        "{stdout}"
    );
    // Asked for outright, a missing browser is an error naming the flag.
    let res = fleet
        .audit_command(&input, &fleet.path("out3"))
        .args(["--render", "always"])
        .env("PATH", "/nonexistent")
        .env_remove("CHROME")
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(
        stderr.contains("--render always: no browser found"),
        "{stderr}"
    );
}

/// Issue 19: where and how the number shows, measured in the rendered page on a desktop and
/// a mobile viewport (`--render always`), graded by the answer key; with `--render auto` the
/// fleet's pages are conclusive from their HTML and ICP-PLACEMENT says they were not
/// rendered.
#[test]
fn placement_is_measured_in_the_rendered_page() {
    // Each placement behaviour once, and a compliant site (centred at the bottom).
    let behaviours = Behaviour::PLACEMENT
        .iter()
        .copied()
        .chain([Behaviour::Compliant]);
    let fleet = TestFleet::each(behaviours.collect(), 1, 1919);
    let input = fleet.path("domains.txt");
    let out = fleet.path("out");
    fleet.audit_ok(
        &input,
        &out,
        &["--render", "always", "--render-timeout", "60", "--quiet"],
    );
    let code = r#"
import json, sys, pyarrow.parquet as pq
g = pq.read_table(sys.argv[1] + "/findings").to_pylist()
print(json.dumps({x["host"]: [x["verdict"], x["evidence"]] for x in g if x["rule_id"] == "ICP-PLACEMENT"}))
"#;
    fleet.assert_graded(&out);
    let placement = python_json(code, &out);
    for s in &fleet.fleet.sites {
        let (verdict, evidence) = (
            placement[&s.domain][0].as_str().unwrap_or_default(),
            placement[&s.domain][1].as_str().unwrap_or_default(),
        );
        // The evidence a person checks: both viewports with box, font and contrast.
        let want: &[&str] = match s.behaviour {
            Behaviour::Compliant | Behaviour::PlaceIconHidden => &[
                "desktop 1366×",
                "centred, at the bottom; mobile 390×",
                "font 16px",
            ],
            Behaviour::PlaceSideColumn => &["off-centre, at the bottom"],
            Behaviour::PlaceHidden => &["not visible: display:none"],
            Behaviour::PlaceWhiteOnWhite => &["contrast 1.0:1 below 1.5:1"],
            Behaviour::PlaceTinyFont => &["font 1px below 8px"],
            Behaviour::PlaceOffScreen => &["not visible: off-screen"],
            Behaviour::PlaceDesktopOnly => &[
                "centred, at the bottom; mobile 390×",
                "not visible: display:none",
            ],
            _ => &[],
        };
        for w in want {
            assert!(evidence.contains(w), "{}: {verdict} {evidence}", s.domain);
        }
    }

    let out2 = fleet.path("out2");
    fleet.audit_ok(&input, &out2, &["--render", "auto", "--quiet"]);
    let placement = python_json(code, &out2);
    for s in &fleet.fleet.sites {
        assert_eq!(
            placement[&s.domain],
            serde_json::json!([
                "n/a",
                "not rendered: --render auto found the HTML conclusive (--render always measures every page)"
            ]),
            "{placement}"
        );
    }
}

/// Issue 26: a screenshot the browser does not write is counted with its reason in the
/// summary and `run.json`, and leaves no empty directory behind. The browser here is
/// chromium behind a wrapper that exits without a picture whenever it is asked for one.
#[test]
fn failed_screenshots_are_counted_with_their_reason() {
    let fleet = TestFleet::each(vec![Behaviour::ScriptNever], 1, 2626);
    let chromium = beian_render::find_browser(None).expect("chromium: make test installs it");
    let wrapper = fleet.path("no-screenshots.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in --screenshot=*) exit 3;; esac; done\nexec '{}' \"$@\"\n",
            chromium.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let out = fleet.path("out");
    let shots = fleet.path("shots");
    let res = crate::util::run_ok(
        fleet
            .audit_command(&fleet.path("domains.txt"), &out)
            .args(["--render", "auto", "--render-timeout", "60", "--browser"])
            .arg(&wrapper)
            .arg("--screenshots")
            .arg(&shots),
    );
    let stdout = String::from_utf8_lossy(&res.stdout);
    // The site's two pages were rendered (the wrapper lets a DOM through) and fail.
    assert!(
        stdout.contains("rendered in the browser: 2 pages (0 failed)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("screenshots: 0 written, 2 failed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  no_output: 2 (first: ") && stdout.contains("exit status"),
        "{stdout}"
    );
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let render = &run["render"];
    assert_eq!(
        (
            &render["screenshots_written"],
            &render["screenshots_failed"]
        ),
        (&0.into(), &2.into()),
        "{run}"
    );
    assert_eq!(
        render["screenshot_failures"]["no_output"]["count"], 2,
        "{run}"
    );
    // No directory that would say a screenshot is there.
    let dirs = std::fs::read_dir(&shots).map_or(0, Iterator::count);
    assert_eq!(dirs, 0, "{}", shots.display());
}
