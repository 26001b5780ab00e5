#!/usr/bin/env python3
"""Independent read-back of a run's evidence (docs/SCHEMA.md, "Evidence") with warcio and pyarrow.

Usage: evidence.py RUN_DIR [MODE]    (MODE: the run's --evidence, `failing` by default)

- `run.json` lists every evidence part present, with its SHA-256, record count and size;
- `warcio check` passes on every part (block and payload digests);
- every `fetches` row with a `warc_file` resolves, at `warc_offset`, to the response record
  `warc_record_id` whose payload hashes to `page_sha256`;
- every failing or warning finding judged on a page points at its bytes: a probe of the site
  whose final URL (or first URL) is the finding's page and that got a response is in the
  evidence;
- no record is doubled: record ids are unique, every request names an existing response, and
  every response is a row's final response or a hop (redirect) of a row of its site.

Prints a JSON report on stdout; exits 1 on any problem.
"""
import glob
import hashlib
import json
import os
import subprocess
import sys

import pyarrow.parquet as pq
from warcio.archiveiterator import ArchiveIterator


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    run = sys.argv[1]
    mode = sys.argv[2] if len(sys.argv) > 2 else "failing"
    problems = []
    record = json.load(open(os.path.join(run, "run.json"), encoding="utf-8"))
    listed = {e["file"]: e for e in record.get("evidence", [])}
    present = sorted(os.path.relpath(p, run) for p in glob.glob(os.path.join(run, "evidence", "*.warc.gz")))
    if sorted(listed) != present:
        problems.append(f"run.json lists {sorted(listed)}, the directory holds {present}")

    records = {}  # id -> (type, file, offset, target, payload sha256, concurrent)
    for rel in present:
        path = os.path.join(run, rel)
        entry = listed.get(rel, {})
        if entry and entry.get("sha256") != sha256_file(path):
            problems.append(f"{rel}: SHA-256 differs from run.json")
        if entry and entry.get("bytes") != os.path.getsize(path):
            problems.append(f"{rel}: size differs from run.json")
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", path], capture_output=True, text=True)
        if check.returncode != 0:
            problems.append(f"{rel}: warcio check failed: {check.stdout[-500:]} {check.stderr[-500:]}")
        n = 0
        with open(path, "rb") as f:
            it = ArchiveIterator(f)
            for rec in it:
                n += 1
                rid = rec.rec_headers.get_header("WARC-Record-ID")
                kind = rec.rec_type
                target = rec.rec_headers.get_header("WARC-Target-URI")
                concurrent = rec.rec_headers.get_header("WARC-Concurrent-To")
                body = rec.raw_stream.read()
                offset = it.get_record_offset()
                if rid in records:
                    problems.append(f"record {rid} appears twice")
                records[rid] = (kind, rel, offset, target, hashlib.sha256(body).hexdigest(), concurrent)
        if entry and entry.get("records") != n:
            problems.append(f"{rel}: {n} records, run.json says {entry.get('records')}")

    fetches = pq.read_table(os.path.join(run, "fetches")).to_pylist()
    findings = pq.read_table(os.path.join(run, "findings")).to_pylist()
    referenced = set()
    hops = {}
    resolved = 0
    for r in fetches:
        hops.setdefault(r["domain"], set()).update(h["url"] for h in r["redirects"])
        if r["warc_file"] is None:
            if r["page_sha256"] is not None or r["warc_record_id"] is not None:
                problems.append(f"{r['url']}: evidence columns half set")
            continue
        rid = r["warc_record_id"]
        referenced.add(rid)
        got = records.get(rid)
        if got is None:
            problems.append(f"{r['url']}: record {rid} not found")
            continue
        kind, rel, offset, target, digest, _ = got
        if kind != "response" or rel != r["warc_file"] or offset != r["warc_offset"]:
            problems.append(f"{r['url']}: record {rid} is {kind} in {rel} at {offset}, the row says {r['warc_file']} at {r['warc_offset']}")
        if digest != r["page_sha256"]:
            problems.append(f"{r['url']}: payload SHA-256 {digest} != page_sha256 {r['page_sha256']}")
        if target != r["final_url"]:
            problems.append(f"{r['url']}: record's target {target} != final_url {r['final_url']}")
        # Read again from the offset alone, as a reader of one record does.
        with open(os.path.join(run, rel), "rb") as f:
            f.seek(r["warc_offset"])
            one = next(iter(ArchiveIterator(f)))
            if one.rec_headers.get_header("WARC-Record-ID") != rid:
                problems.append(f"{r['url']}: the record at offset {r['warc_offset']} is another")
        resolved += 1

    by_domain = {}
    for r in fetches:
        by_domain.setdefault(r["domain"], []).append(r)
    judged = 0
    for f in findings:
        if f["verdict"] not in ("fail", "warn") or f["url"] is None:
            continue
        probes = [r for r in by_domain.get(f["domain"], []) if f["url"] in (r["final_url"], r["url"]) and r["status"] is not None]
        if not probes:
            continue
        judged += 1
        if mode != "none" and not any(r["warc_record_id"] for r in probes):
            problems.append(f"{f['domain']} {f['rule_id']} {f['verdict']}: page {f['url']} not in the evidence")

    domain_of_target = {}
    for r in fetches:
        for u in [r["url"], r["final_url"]] + [h["url"] for h in r["redirects"]]:
            if u:
                domain_of_target.setdefault(u, set()).add(r["domain"])
    requests = responses = 0
    for rid, (kind, rel, _, target, _, concurrent) in records.items():
        if kind == "request":
            requests += 1
            if concurrent not in records or records[concurrent][0] != "response":
                problems.append(f"request {rid} names no response ({concurrent})")
        elif kind == "response":
            responses += 1
            is_hop = any(target in hops.get(d, ()) for d in domain_of_target.get(target, ()))
            if rid not in referenced and not is_hop:
                problems.append(f"response {rid} ({target}) is neither a row's page nor a hop")

    if mode == "none" and (present or resolved):
        problems.append(f"--evidence none kept {len(present)} parts, {resolved} rows")

    print(json.dumps({
        "parts": len(present), "records": len(records), "requests": requests,
        "responses": responses, "rows_resolved": resolved, "judged_pages": judged,
        "problems": problems[:20],
    }))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
