//! Sharded runs (docs/SHARDS.md): four shard processes at once over one input, one of them
//! killed and run again, cover every line exactly once with the statuses of an unsharded run
//! of the same input; `beian finalize` checks it and `beian report` reads the run as one.

use std::process::Command;

use crate::util::{TestFleet, run_ok, run_python, wait_until};

#[test]
fn four_shards_hold_each_line_once_with_the_statuses_of_one_run() {
    let fleet = TestFleet::start(60, 4242);
    // The fleet's list plus lines without a domain and repeats (one after normalisation).
    let list = std::fs::read_to_string(fleet.path("domains.txt")).unwrap();
    let first = fleet.fleet.sites[0].domain.clone();
    let input = fleet.path("sharded.txt");
    std::fs::write(
        &input,
        format!("{list}not a domain!\n{first}\nwww.{first}\nalso not one\n"),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let whole = out.path().join("whole");
    run_ok(fleet.audit_command(&input, &whole).arg("--quiet"));

    let sharded = out.path().join("sharded");
    let shard = |index: u32| -> Command {
        let mut cmd = fleet.audit_command(&input, &sharded);
        cmd.args(["--quiet", "--shard-count", "4", "--run-id", "week-48"]);
        // Shard 2 takes its index from the environment, as a Kubernetes Indexed Job's pod.
        if index == 2 {
            cmd.env("JOB_COMPLETION_INDEX", "2");
        } else {
            cmd.args(["--shard-index", &index.to_string()]);
        }
        cmd
    };
    // Shard 2 is killed mid-run (SIGKILL, as a node lost); the others finish.
    let mut doomed = shard(2).args(["--concurrency", "1"]).spawn().unwrap();
    let children: Vec<_> = [0, 1, 3].map(|i| shard(i).spawn().unwrap()).into();
    let lock = sharded
        .join("shard=0002")
        .join(beian_run::layout::LOCK_FILE);
    wait_until(20, "shard 2 never started", || lock.exists());
    std::thread::sleep(std::time::Duration::from_millis(100));
    doomed.kill().unwrap();
    doomed.wait().unwrap();
    assert!(
        !sharded.join("shard=0002/run.json").exists(),
        "shard 2 ended before the kill"
    );
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let finalize = || {
        Command::new(env!("CARGO_BIN_EXE_beian"))
            .arg("finalize")
            .arg(&sharded)
            .arg("--input")
            .arg(&input)
            .output()
            .unwrap()
    };
    let res = finalize();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(
        err.contains("shard=0002") && err.contains("--resume"),
        "{err}"
    );
    assert!(!sharded.join("_SUCCESS.json").exists());
    // Its index run again finishes it; the other shards are left as they are.
    let res = shard(2).arg("--resume").output().unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let res = finalize();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(
        String::from_utf8_lossy(&res.stdout)
            .contains("4 shards, 64 sites rows, every input line once"),
        "{}",
        String::from_utf8_lossy(&res.stdout)
    );
    let code = r#"
import glob, json, sys
import pyarrow.parquet as pq
whole, sharded = sys.argv[1], sys.argv[2]
def rows(pattern):
    out = []
    for f in sorted(glob.glob(pattern)):
        t = pq.read_table(f, columns=["input_line", "status", "error_class", "run_id"]).to_pylist()
        out += t
    return out
w = rows(whole + "/sites/*.parquet")
s = rows(sharded + "/shard=*/sites/*.parquet")
runs = [json.load(open(p)) for p in sorted(glob.glob(sharded + "/shard=*/run.json"))]
print(json.dumps({
    "whole": sorted((r["input_line"], r["status"], r["error_class"]) for r in w),
    "sharded": sorted((r["input_line"], r["status"], r["error_class"]) for r in s),
    "run_ids": sorted({r["run_id"] for r in s}),
    "shards": [r["shard"] for r in runs],
    "per_shard": [len(glob.glob(sharded + f"/shard={i:04d}/sites/*.parquet")) for i in range(4)],
}))
"#;
    let v: serde_json::Value = serde_json::from_str(&run_python(&[
        "-c".as_ref(),
        code.as_ref(),
        whole.as_os_str(),
        sharded.as_os_str(),
    ]))
    .unwrap();
    assert_eq!(v["sharded"], v["whole"], "{v}");
    let lines = v["whole"].as_array().unwrap();
    assert_eq!(lines.len(), 64, "{v}");
    assert!(
        lines.iter().any(|r| r[2] == "input_duplicate")
            && lines.iter().any(|r| r[2] == "input_invalid"),
        "{v}"
    );
    assert_eq!(v["run_ids"], serde_json::json!(["week-48"]), "{v}");
    assert_eq!(
        v["shards"],
        serde_json::json!([
            {"index": 0, "count": 4},
            {"index": 1, "count": 4},
            {"index": 2, "count": 4},
            {"index": 3, "count": 4}
        ]),
        "{v}"
    );

    // `beian report` reads the finalized run as one run: the figures of the unsharded run.
    let tiles = |run: &std::path::Path| -> serde_json::Value {
        run_ok(
            Command::new(env!("CARGO_BIN_EXE_beian"))
                .arg("report")
                .arg(run),
        );
        let text = std::fs::read_to_string(run.join("report/report.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["tiles"].clone()
    };
    assert_eq!(tiles(&sharded), tiles(&whole));

    // Flags that cannot make a shard are refused at once, naming the flag.
    for (args, says) in [
        (vec!["--shard-count", "4", "--shard-index", "1"], "--run-id"),
        (
            vec!["--shard-count", "4", "--shard-index", "4", "--run-id", "x"],
            "not below the shard count 4",
        ),
        (vec!["--run-id", "../up"], "--run-id"),
    ] {
        let res = fleet
            .audit_command(&input, &out.path().join("refused"))
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&res.stderr);
        assert_eq!(res.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
