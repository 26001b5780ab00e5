//! Evidence (issue 31, docs/SCHEMA.md "Evidence"): the WARC parts a run writes, read back by an
//! independent reader (`tests/readback/evidence.py`: warcio and pyarrow) — `warcio check`
//! passes, every captured row resolves to its record and its payload's SHA-256, every failing
//! or warning page is in the evidence, no record is doubled.

use std::path::Path;

use beian_fleet::Behaviour;

use crate::util::{TestFleet, python_json, run_python};

/// The evidence checker's report on the run in `out`, written with `--evidence failing`; it
/// must find no problem.
pub(crate) fn checked(out: &Path) -> serde_json::Value {
    checked_as(out, "failing")
}

fn checked_as(out: &Path, mode: &str) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/readback/evidence.py");
    let report = run_python(&[script.as_os_str(), out.as_os_str(), mode.as_ref()]);
    let v: serde_json::Value = serde_json::from_str(&report).expect("evidence.py prints JSON");
    assert_eq!(v["problems"], serde_json::json!([]), "{report}");
    v
}

#[test]
fn failing_pages_and_their_redirects_are_kept_as_warc_records() {
    // Failing pages, a redirect to www, compressed and GBK pages, a page past the body cap,
    // and compliant sites (which `failing` leaves out).
    let fleet = TestFleet::each(
        vec![
            Behaviour::NoIcp,
            Behaviour::WrongLink,
            Behaviour::ApexToWww,
            Behaviour::MissingWww,
            Behaviour::Compressed,
            Behaviour::Gbk,
            Behaviour::HugePage,
            Behaviour::Compliant,
            Behaviour::Nxdomain,
        ],
        2,
        31,
    );
    let input = fleet.path("domains.txt");
    let dir = tempfile::tempdir().unwrap();

    let failing = dir.path().join("failing");
    fleet.audit_ok(&input, &failing, &["--quiet"]);
    let v = checked(&failing);
    assert!(v["rows_resolved"].as_u64().unwrap() > 0, "{v}");
    assert!(v["judged_pages"].as_u64().unwrap() > 0, "{v}");
    fleet.assert_graded(&failing);
    // Only sites with a failing or warning verdict; compliant ones keep no bytes.
    let kept = python_json(
        r#"
import json, sys, pyarrow.parquet as pq
d = sys.argv[1]
f = pq.read_table(d + "/fetches").to_pylist()
s = {r["domain"]: r["status"] for r in pq.read_table(d + "/sites").to_pylist()}
kept = sorted({s[r["domain"]] for r in f if r["warc_record_id"]})
print(json.dumps({"statuses": kept}))
"#,
        &failing,
    );
    assert!(
        !kept["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "compliant"),
        "{kept}"
    );

    // `all`: every response, compressed and truncated bodies included, as decoded.
    let all = dir.path().join("all");
    fleet.audit_ok(&input, &all, &["--quiet", "--evidence", "all"]);
    let v_all = checked_as(&all, "all");
    assert!(
        v_all["rows_resolved"].as_u64() > v["rows_resolved"].as_u64(),
        "{v_all} {v}"
    );
    let decoded = python_json(
        r#"
import json, sys, glob
from warcio.archiveiterator import ArchiveIterator
d = sys.argv[1]
decoded, truncated = set(), 0
for p in glob.glob(d + "/evidence/*.warc.gz"):
    for rec in ArchiveIterator(open(p, "rb")):
        if rec.rec_type != "response":
            continue
        h = rec.rec_headers
        if h.get_header("WARC-Beian-Decoding"):
            decoded.add(h.get_header("WARC-Beian-Decoding"))
            assert rec.http_headers.get_header("content-encoding") is None
            assert rec.http_headers.get_header("x-original-content-encoding") is not None
        if h.get_header("WARC-Truncated") == "length":
            truncated += 1
print(json.dumps({"decoded": sorted(decoded), "truncated": truncated}))
"#,
        &all,
    );
    assert!(
        !decoded["decoded"].as_array().unwrap().is_empty(),
        "{decoded}"
    );
    assert!(decoded["truncated"].as_u64().unwrap() > 0, "{decoded}");

    // `none`: no evidence directory, the columns empty.
    let none = dir.path().join("none");
    fleet.audit_ok(&input, &none, &["--quiet", "--evidence", "none"]);
    assert!(!none.join("evidence").exists());
    let v_none = checked_as(&none, "none");
    assert_eq!(v_none["rows_resolved"], 0, "{v_none}");
}

/// `beian evidence`: a domain's captured responses listed; one extracted (headers, body) with
/// its body checked against the stored SHA-256; a part changed after the run is refused.
#[test]
fn a_response_is_listed_extracted_and_checked() {
    let fleet = TestFleet::each(vec![Behaviour::NoIcp, Behaviour::ApexToWww], 1, 7);
    let input = fleet.path("domains.txt");
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    fleet.audit_ok(&input, &run, &["--quiet", "--evidence", "all"]);
    let domain = std::fs::read_to_string(&input)
        .unwrap()
        .lines()
        .find(|l| l.contains("no-icp"))
        .unwrap()
        .trim()
        .to_string();
    let beian = |args: &[&std::ffi::OsStr]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_beian"))
            .arg("evidence")
            .args(args)
            .output()
            .unwrap()
    };
    let list = beian(&[run.as_os_str(), domain.as_ref()]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(list.status.success(), "{text}");
    assert!(text.contains("captured pages"), "{text}");
    assert!(text.contains(" 1  "), "{text}");

    let body = dir.path().join("body.html");
    let out = beian(&[
        run.as_os_str(),
        domain.as_ref(),
        "--extract".as_ref(),
        "1".as_ref(),
        "--part".as_ref(),
        "body".as_ref(),
        "--output".as_ref(),
        body.as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&body).unwrap();
    assert!(html.contains("</html>"), "{html}");
    let stored = python_json(
        &format!(
            r#"
import json, sys, hashlib, pyarrow.parquet as pq
rows = [r for r in pq.read_table(sys.argv[1] + "/fetches").to_pylist() if r["domain"] == {domain:?} and r["warc_record_id"]]
print(json.dumps({{"sha": rows[0]["page_sha256"]}}))
"#
        ),
        &run,
    );
    let digest = run_python(&[
        "-c".as_ref(),
        "import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())"
            .as_ref(),
        body.as_os_str(),
    ]);
    assert_eq!(stored["sha"].as_str().unwrap(), digest.trim());

    let headers = beian(&[
        run.as_os_str(),
        domain.as_ref(),
        "--extract".as_ref(),
        "1".as_ref(),
        "--part".as_ref(),
        "headers".as_ref(),
    ]);
    let head = String::from_utf8_lossy(&headers.stdout);
    assert!(head.starts_with("HTTP/1.1 "), "{head}");
    assert!(head.ends_with("\r\n\r\n"), "{head}");

    // One byte of the body changed in the part (its gzip member rewritten): refused.
    python_json(
        r#"
import json, sys, glob, gzip, zlib
p = glob.glob(sys.argv[1] + "/evidence/*.warc.gz")[0]
data, members = open(p, "rb").read(), []
while data:
    d = zlib.decompressobj(31); text = d.decompress(data)
    members.append([data[:len(data) - len(d.unused_data)], text]); data = d.unused_data
# The first response's member, its body changed and recompressed; the others as they were.
i = [k for k, (_, t) in enumerate(members) if b"</html>" in t][0]
members[i][0] = gzip.compress(members[i][1].replace(b"</html>", b"</HTML>"))
open(p, "wb").write(b"".join(raw for raw, _ in members))
print("{}")
"#,
        &run,
    );
    let tampered = (1..=4)
        .map(|n| {
            beian(&[
                run.as_os_str(),
                domain.as_ref(),
                "--extract".as_ref(),
                n.to_string().as_ref(),
            ])
        })
        .find(|o| !o.status.success())
        .expect("a changed record is refused");
    let err = String::from_utf8_lossy(&tampered.stderr);
    assert!(err.contains("the part was changed after the run"), "{err}");
}
