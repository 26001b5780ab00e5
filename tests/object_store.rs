//! Runs in object storage (issue 14): an S3-compatible server started on 127.0.0.1 (moto's
//! server mode, from PyPI, offline); four shards audit the simulated fleet into the bucket,
//! one of them killed with SIGKILL and its index run again with --resume; `beian finalize`
//! checks the bucket's run and writes its _SUCCESS.json; pyarrow's S3 filesystem reads the
//! whole run back from the bucket: each input line once, with the statuses of an unsharded
//! run on local disk. A run whose uplink was cut mid-run resumes in the bucket, auditing the
//! lost sites again.

use std::process::{Child, Command};

use crate::util::{Relay, S3Server, TestFleet, python_json, run_ok, run_python, wait_until};

#[test]
fn shards_write_to_a_bucket_that_readers_read_whole() {
    let s3 = S3Server::start();
    s3.create_bucket("beian");

    let fleet = TestFleet::start(60, 4343);
    let input = fleet.path("domains.txt");
    let out = tempfile::tempdir().unwrap();
    let whole = out.path().join("whole");
    run_ok(fleet.audit_command(&input, &whole).arg("--quiet"));

    // A bucket that fails (here: there is none) is an error naming the object, at once.
    let res = fleet
        .audit_command(&input, "s3://no-such-bucket/runs".as_ref())
        .arg("--quiet")
        .envs(s3.env())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(err.contains("s3://no-such-bucket/runs/"), "{err}");

    // Two audits started together on one prefix: the lock object is created only if absent,
    // so exactly one of them writes.
    let racers: Vec<Child> = (0..2)
        .map(|_| {
            fleet
                .audit_command(&input, "s3://beian/race".as_ref())
                .arg("--quiet")
                .envs(s3.env())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let ends: Vec<_> = racers
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let won = ends.iter().filter(|o| o.status.success()).count();
    let refused = ends
        .iter()
        .filter(|o| {
            String::from_utf8_lossy(&o.stderr).contains("is being written by another audit")
        })
        .count();
    assert_eq!((won, refused), (1, 1), "{ends:?}");

    let run = "s3://beian/weekly/run=w48";
    let shard = |index: u32| -> Command {
        let mut cmd = fleet.audit_command(&input, run.as_ref());
        cmd.args(["--quiet", "--shard-count", "4", "--run-id", "w48"])
            .args([
                "--shard-index",
                &index.to_string(),
                "--checkpoint-every",
                "3",
            ])
            .envs(s3.env());
        cmd
    };
    // Slowed down (two requests a second per server address) so that it is killed mid-run.
    let mut doomed = shard(1)
        .args(["--concurrency", "1", "--rate-per-ip", "2"])
        .spawn()
        .unwrap();
    let others: Vec<Child> = [0, 2, 3].map(|i| shard(i).spawn().unwrap()).into();
    // Killed once it has put a part in the bucket.
    let listing = r#"
import sys, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
keys = [o["Key"] for o in s3.list_objects_v2(Bucket="beian", Prefix=sys.argv[2]).get("Contents", [])]
print("\n".join(keys))
"#;
    let keys = |prefix: &str| {
        run_python(&[
            "-c".as_ref(),
            listing.as_ref(),
            s3.endpoint.as_ref(),
            prefix.as_ref(),
        ])
    };
    wait_until(60, "shard 1 put no part", || {
        keys("weekly/run=w48/shard=0001/sites/").contains("part-")
    });
    // A second writer on the shard while it runs is refused by the lock object, by name.
    let second = shard(1).arg("--resume").output().unwrap();
    let err = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is being written by another audit")
            && err.contains(&format!("pid {}", doomed.id())),
        "{err}"
    );
    doomed.kill().unwrap();
    doomed.wait().unwrap();
    for mut c in others {
        assert!(c.wait().unwrap().success());
    }
    assert!(!keys("weekly/run=w48/shard=0001/").contains("run.json"));
    // The killed one's lock object (this host, its process gone) is not in the way.
    let res = shard(1).arg("--resume").output().unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );

    // The resumed shard's run.json lists every evidence part in the bucket, those the killed
    // run left included, each with the SHA-256 of its bytes.
    let record = r#"
import hashlib, json, sys, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
prefix = "weekly/run=w48/shard=0001/"
run = json.loads(s3.get_object(Bucket="beian", Key=prefix + "run.json")["Body"].read())
keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="beian", Prefix=prefix + "evidence/").get("Contents", []))
have = {k[len(prefix):]: hashlib.sha256(s3.get_object(Bucket="beian", Key=k)["Body"].read()).hexdigest() for k in keys}
print(json.dumps({"listed": {e["file"]: e["sha256"] for e in run.get("evidence", [])}, "have": have}))
"#;
    let v: serde_json::Value = serde_json::from_str(&run_python(&[
        "-c".as_ref(),
        record.as_ref(),
        s3.endpoint.as_ref(),
    ]))
    .unwrap();
    assert!(!v["have"].as_object().unwrap().is_empty(), "{v}");
    assert_eq!(v["listed"], v["have"], "{v}");

    run_ok(
        Command::new(env!("CARGO_BIN_EXE_beian"))
            .args(["finalize", run, "--input"])
            .arg(&input)
            .envs(s3.env()),
    );
    let all = keys("weekly/run=w48/");
    assert!(all.contains("weekly/run=w48/_SUCCESS.json"), "{all}");
    assert!(!all.contains(".tmp") && !all.contains(".lock"), "{all}");

    // pyarrow's own S3 client reads the run from the bucket.
    let read = r#"
import json, sys
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq
endpoint, whole = sys.argv[1], sys.argv[2]
s3 = pafs.S3FileSystem(access_key="test", secret_key="test", region="us-east-1",
                       endpoint_override=endpoint.replace("http://", ""), scheme="http")
files = [f.path for f in s3.get_file_info(pafs.FileSelector("beian/weekly/run=w48", recursive=True))
         if "/sites/" in f.path and f.path.endswith(".parquet")]
sites = ds.dataset(files, filesystem=s3, format="parquet").to_table(columns=["input_line", "status"])
got = sorted(zip(sites["input_line"].to_pylist(), sites["status"].to_pylist()))
want = pq.read_table(whole + "/sites", columns=["input_line", "status"])
want = sorted(zip(want["input_line"].to_pylist(), want["status"].to_pylist()))
print(json.dumps({"got": got, "want": want}))
"#;
    let v: serde_json::Value = serde_json::from_str(&run_python(&[
        "-c".as_ref(),
        read.as_ref(),
        s3.endpoint.as_ref(),
        whole.as_os_str(),
    ]))
    .unwrap();
    assert_eq!(v["got"], v["want"], "{v}");
    assert_eq!(v["got"].as_array().unwrap().len(), 60, "{v}");

    // `beian evidence` reads a shard's evidence from the bucket: a captured response of a
    // failing site, extracted and checked against the SHA-256 its row stored.
    let failing = python_json(
        r#"
import json, sys, pyarrow.parquet as pq
rows = [r for r in pq.read_table(sys.argv[1] + "/fetches").to_pylist() if r["warc_record_id"]]
print(json.dumps({"domain": rows[0]["domain"]}))
"#,
        &whole,
    );
    let domain = failing["domain"].as_str().unwrap();
    let extracted = (0..4)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_beian"))
                .args(["evidence", &format!("{run}/shard={i:04}"), domain])
                .args(["--extract", "1", "--part", "body"])
                .envs(s3.env())
                .output()
                .unwrap()
        })
        .find(|o| o.status.success())
        .expect("one shard holds the site's evidence");
    let err = String::from_utf8_lossy(&extracted.stderr);
    assert!(err.contains("as the run stored it"), "{err}");
    assert!(!extracted.stdout.is_empty(), "{err}");

    // `beian report` reads the finalized run from the bucket and puts its files beside it.
    let res = Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(["report", run, "--lang", "en"])
        .envs(s3.env())
        .output()
        .unwrap();
    let digest = String::from_utf8_lossy(&res.stdout);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(
        digest.contains("Full report: s3://beian/weekly/run=w48/report/report.html"),
        "{digest}"
    );
    let all = keys("weekly/run=w48/report/");
    for f in ["report.html", "report.json", "report.md"] {
        assert!(all.contains(f), "{f}: {all}");
    }

    // A history in the bucket: two days, reported one against the other, into a local --out.
    let hist = "s3://beian/history";
    for day in ["2026-11-20", "2026-11-27"] {
        run_ok(
            fleet
                .history_command(&input, hist.as_ref())
                .args(["--quiet", "--as-of", day])
                .envs(s3.env()),
        );
    }
    let local = out.path().join("history-report");
    run_ok(
        Command::new(env!("CARGO_BIN_EXE_beian"))
            .args(["report", "--lang", "en", "--history", hist, "--out"])
            .arg(&local)
            .envs(s3.env()),
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(local.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["compared"]["as_of"], "2026-11-20", "{report}");
    assert_eq!(report["trend"].as_array().unwrap().len(), 2, "{report}");
    assert!(
        report["run"]["dir"]
            .as_str()
            .unwrap()
            .starts_with("s3://beian/history/run_date=2026-11-27/run="),
        "{report}"
    );
    assert_eq!(report["tiles"]["sites"], 60, "{report}");
}

/// A bucket that fails mid-run: the audit ends with an error naming the object, every object
/// present reads, and once the bucket is back `--resume` (of a history in the bucket, which
/// finds the unfinished run by itself) finishes the run: each line once.
#[test]
fn a_bucket_that_fails_mid_run_is_an_error_and_resume_finishes() {
    let s3 = S3Server::start();
    let port: u16 = s3.endpoint.rsplit(':').next().unwrap().parse().unwrap();
    let relay = Relay::start(port);
    let via_relay = |cmd: &mut Command| {
        cmd.envs(s3.env()).env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", relay.port),
        );
    };
    s3.create_bucket("beian");
    let fleet = TestFleet::start(40, 4545);
    let input = fleet.path("domains.txt");
    // A history in the bucket: `--resume` finds the run to continue by itself.
    let root = "s3://beian/flaky";
    let audit = |extra: &[&str]| {
        let mut cmd = fleet.history_command(&input, root.as_ref());
        cmd.args(["--quiet", "--checkpoint-every", "3"]).args(extra);
        via_relay(&mut cmd);
        cmd
    };
    // Slowed down (two requests a second per address) so that the cut lands mid-run.
    let child = audit(&["--concurrency", "1", "--rate-per-ip", "2"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let read = r#"
import json, sys
import pyarrow.fs as pafs
import pyarrow.parquet as pq
s3 = pafs.S3FileSystem(access_key="test", secret_key="test", region="us-east-1",
                       endpoint_override=sys.argv[1].replace("http://", ""), scheme="http")
files = [f.path for f in s3.get_file_info(pafs.FileSelector("beian/flaky", recursive=True, allow_not_found=True))
         if f.path.endswith(".parquet")]
lines = [l for f in files if "/sites/" in f for l in pq.read_table(f, filesystem=s3)["input_line"].to_pylist()]
rows = {t: sum(pq.read_table(f, filesystem=s3).num_rows for f in files if f"/{t}/" in f)
        for t in ("sites", "fetches", "findings")}
records = [f.path for f in s3.get_file_info(pafs.FileSelector("beian/flaky", recursive=True, allow_not_found=True))
           if f.path.endswith("/run.json")]
record = [json.loads(s3.open_input_file(f).read())["rows"] for f in records]
print(json.dumps({"parts": len(files), "lines": sorted(lines), "rows": rows, "record": record}))
"#;
    let state = || s3.python_json(read);
    wait_until(60, "no part went up", || {
        !state()["lines"].as_array().unwrap().is_empty()
    });
    relay.cut();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("s3://beian/flaky/"), "{err}");
    // Every object present is a whole part: each reads.
    let before = state();
    let lines = before["lines"].as_array().unwrap().len();
    assert!(lines > 0 && lines < 40, "{before}");

    relay.mend();
    run_ok(&mut audit(&["--resume", "--concurrency", "8"]));
    let after = state();
    let lines: Vec<u64> = after["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_u64().unwrap())
        .collect();
    let mut distinct = lines.clone();
    distinct.dedup();
    assert_eq!((lines.len(), distinct.len()), (40, 40), "{after}");
    // run.json counts the parts left in the bucket (read from their footers) with the new.
    assert_eq!(
        after["record"],
        serde_json::json!([after["rows"]]),
        "{after}"
    );
}

/// `gs://` is configured from the environment (a service-account key file, here one that
/// points at a closed loopback port, as a GCS emulator's would): the run fails at once with
/// an error naming the object and the endpoint. No GCS-compatible server that runs offline
/// keeps object_store's contract (ETags, conditional writes), so this is as far as the tests
/// go with GCS; see docs/SHARDS.md.
#[test]
fn a_gs_url_is_configured_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let key = dir.path().join("key.json");
    std::fs::write(
        &key,
        format!(
            r#"{{"gcs_base_url": "http://127.0.0.1:{port}", "disable_oauth": true,
                "client_email": "", "private_key": "", "private_key_id": ""}}"#
        ),
    )
    .unwrap();
    let input = dir.path().join("domains.txt");
    std::fs::write(&input, "a.test\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(["audit", "--quiet", "--resolver", "127.0.0.1:9", "--out"])
        .arg("gs://bucket/run1")
        .arg(&input)
        .env("GOOGLE_SERVICE_ACCOUNT", &key)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("gs://bucket/run1/.lock.json")
            && err.contains(&format!("http://127.0.0.1:{port}/bucket/")),
        "{err}"
    );
}

/// A run into a bucket with the audit's uplink cut mid-run (issue 28): the sites lost to the
/// cut are `audit_network`; with the network back, `--resume` brings their checkpoints down,
/// takes their rows out of every table, puts the parts back and audits exactly those sites
/// again — each line once, each site compliant, no fetch row twice, and `run.json`'s counts
/// those of the parts in the bucket.
#[test]
fn resume_in_a_bucket_audits_again_what_the_audit_s_network_lost() {
    let s3 = S3Server::start();
    s3.create_bucket("beian");
    let fleet = beian_fleet_each_compliant(12);
    let input = fleet.path("domains.txt");
    let run = "s3://beian/cut";
    let audit = |extra: &[&str]| {
        let mut cmd = fleet.audit_command(&input, run.as_ref());
        cmd.args(["--quiet", "--render", "never", "--checkpoint-every", "2"])
            .args(extra)
            .envs(s3.env());
        cmd
    };
    let read = r#"
import json, sys
import pyarrow.fs as pafs
import pyarrow.parquet as pq
s3 = pafs.S3FileSystem(access_key="test", secret_key="test", region="us-east-1",
                       endpoint_override=sys.argv[1].replace("http://", ""), scheme="http")
files = [f.path for f in s3.get_file_info(pafs.FileSelector("beian/cut", recursive=True, allow_not_found=True))
         if f.path.endswith(".parquet")]
table = lambda t: [r for f in files if f"/{t}/" in f for r in pq.read_table(f, filesystem=s3).to_pylist()]
sites, fetches = table("sites"), table("fetches")
record = [json.loads(s3.open_input_file(f.path).read()) for f in
          s3.get_file_info(pafs.FileSelector("beian/cut", recursive=True, allow_not_found=True))
          if f.path.endswith("/run.json")]
print(json.dumps({
    "sites": sorted([r["input_line"], r["status"], r["error_class"]] for r in sites),
    "fetches": sorted([r["input_line"], r["host"], r["scheme"]] for r in fetches),
    "findings": len(table("findings")),
    "record": record,
}))
"#;
    let state = || s3.python_json(read);
    // Paced (one site at a time, a request a second per address), cut once a part is up.
    let child = audit(&["--concurrency", "1", "--rate-per-ip", "1"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(120, "no part went up", || {
        !state()["sites"].as_array().unwrap().is_empty()
    });
    fleet.set_uplink(false);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    let cut = state();
    let lost = cut["sites"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r[2] == "audit_network")
        .count();
    assert!(lost > 0, "{cut}");

    fleet.set_uplink(true);
    let out = audit(&["--resume"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let after = state();
    let sites = after["sites"].as_array().unwrap();
    assert_eq!(sites.len(), 12, "{after}");
    assert!(sites.iter().all(|r| r[1] == "compliant"), "{after}");
    let mut lines: Vec<u64> = sites.iter().map(|r| r[0].as_u64().unwrap()).collect();
    lines.dedup();
    assert_eq!(lines.len(), 12, "{after}");
    let fetches = after["fetches"].as_array().unwrap();
    let mut distinct = fetches.clone();
    distinct.dedup();
    assert_eq!((fetches.len(), distinct.len()), (48, 48), "{after}");
    let record = &after["record"][0];
    assert_eq!(
        (
            &record["complete"],
            &record["rows"]["fetches"],
            &record["rows"]["findings"]
        ),
        (
            &serde_json::json!(true),
            &serde_json::json!(48),
            &after["findings"]
        ),
        "{after}"
    );
}

fn beian_fleet_each_compliant(n: usize) -> TestFleet {
    TestFleet::each(vec![beian_fleet::Behaviour::Compliant], n, 2832)
}
