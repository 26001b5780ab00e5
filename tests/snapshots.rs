//! The CLI edge pinned (issue 27): what a person reads — error messages with their hints, the
//! `--help` summaries, the audit's summary — as insta snapshots, with what changes from run to
//! run (temporary paths, timings, run ids) filtered out, as uv's `uv_snapshot!` does. A
//! changed message is a reviewed snapshot (`INSTA_UPDATE=always cargo test`, then read the
//! diff), never a silent drift.

use std::process::{Command, Output};

use crate::util::TestFleet;

/// What changes between runs and machines, replaced before a snapshot is compared.
fn filters(dirs: &[&std::path::Path]) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = dirs
        .iter()
        .map(|d| (regex_escape(&d.display().to_string()), "[DIR]".to_string()))
        .collect();
    f.extend(
        [
            // Run ids: the start time and the process id.
            (r"\d{8}T\d{6}Z-[0-9a-f]+", "[RUN_ID]"),
            // Timings.
            (r"elapsed: \d+\.\d+s", "elapsed: [TIME]"),
            (r"\d+ ms each on average", "[MS] ms each on average"),
            // Where temporary files go on this machine.
            (r"/tmp/[^\s:/]+", "[TMP]"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string())),
    );
    f
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$#&-~".contains(c);
            special.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

/// `beian ARGS`, its exit status and output, as one text for a snapshot.
fn shown(out: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().map_or("signal".into(), |c| c.to_string()),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn beian(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(args)
        .output()
        .expect("the beian binary runs")
}

/// Asserts the snapshot `name` of `text` with `dirs` and the run-to-run values filtered.
macro_rules! beian_snapshot {
    ($name:expr, $text:expr, $dirs:expr) => {{
        let filters = filters($dirs);
        let filters: Vec<(&str, &str)> = filters
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        insta::with_settings!({ filters => filters, prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, $text);
        });
    }};
}

#[test]
fn help_summaries() {
    beian_snapshot!("help", shown(&beian(&["--help"])), &[]);
    beian_snapshot!("help-report", shown(&beian(&["report", "--help"])), &[]);
    beian_snapshot!("help-finalize", shown(&beian(&["finalize", "--help"])), &[]);
}

/// Refusals name the input and the reason, and the binary adds what to do (`hint:`).
#[test]
fn refusals_say_what_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = d.join("d.txt");
    std::fs::write(&input, "example.cn\n").unwrap();
    let input = input.to_str().unwrap();
    let path = |name: &str| d.join(name).display().to_string();
    std::fs::create_dir_all(d.join("full/sites")).unwrap();
    std::fs::create_dir_all(d.join("sharded/shard=0000")).unwrap();
    std::fs::create_dir_all(d.join("sharded/shard=0001")).unwrap();
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("no-input", vec!["audit".into(), path("absent.txt")]),
        (
            "input-is-a-directory",
            vec!["audit".into(), path("sharded")],
        ),
        (
            "output-not-empty",
            vec![
                "audit".into(),
                input.into(),
                "--out".into(),
                path("full"),
                "--resolver".into(),
                "127.0.0.1:9".into(),
            ],
        ),
        (
            "shards-need-a-run-id",
            vec![
                "audit".into(),
                input.into(),
                "--out".into(),
                path("o"),
                "--shard-count".into(),
                "2".into(),
            ],
        ),
        (
            "bad-run-id",
            vec![
                "audit".into(),
                input.into(),
                "--out".into(),
                path("o"),
                "--run-id".into(),
                "../x".into(),
            ],
        ),
        ("finalize-no-shards", vec!["finalize".into(), path("full")]),
        (
            "finalize-shard-unfinished",
            vec!["finalize".into(), path("sharded")],
        ),
        (
            "report-not-finalized",
            vec!["report".into(), path("sharded")],
        ),
        ("report-nothing", vec!["report".into()]),
    ];
    for (name, args) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        beian_snapshot!(
            format!("refusal-{name}"),
            shown(&beian(&args)),
            &[dir.path()]
        );
    }
}

/// The audit's summary of a small fleet: statuses, failing rules, error classes, rows.
#[test]
fn audit_summary() {
    let fleet = TestFleet::start(40, 2727);
    let out = fleet.path("out");
    let res = fleet.audit(&fleet.path("domains.txt"), &out, &[]);
    let dir = out.parent().unwrap();
    beian_snapshot!("audit-summary", shown(&res), &[dir]);
}
