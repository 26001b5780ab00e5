#!/usr/bin/env python3
"""Independent read-back of a beian-audit run directory with pyarrow.

Usage: check.py RUN_DIR ANSWER_KEY.csv EXPECTED_INPUT_LINES

Reads the three Parquet tables with pyarrow (not the Rust code that wrote them), checks the
schema version, one `sites` row per input line, and every verdict of the fleet's answer key.
Prints a JSON report on stdout; exits 1 on any mismatch.
"""
import csv
import json
import sys

import pyarrow.parquet as pq


def table(run_dir, name):
    t = pq.read_table(f"{run_dir}/{name}")
    return t


def main():
    run_dir, key_path, expected_lines = sys.argv[1], sys.argv[2], int(sys.argv[3])
    problems = []
    sites = table(run_dir, "sites")
    fetches = table(run_dir, "fetches")
    findings = table(run_dir, "findings")

    for name in ("sites", "fetches", "findings"):
        import glob
        for f in glob.glob(f"{run_dir}/{name}/*.parquet"):
            md = pq.read_metadata(f).metadata or {}
            if md.get(b"beian.schema_version") != b"2.11":
                problems.append(f"{f}: schema_version {md.get(b'beian.schema_version')!r}")

    lines = sites.column("input_line").to_pylist()
    if len(lines) != expected_lines or len(set(lines)) != len(lines):
        problems.append(f"sites rows {len(lines)} (unique {len(set(lines))}) != input lines {expected_lines}")
    if sites.schema.field("audited_at").type.tz != "UTC":
        problems.append("audited_at is not a UTC timestamp")

    site_rows = sites.to_pylist()
    status = {r["domain"]: r["status"] for r in site_rows if r["domain"]}
    verdicts = {}
    for r in findings.to_pylist():
        verdicts[(r["domain"], r["host"] or "", r["rule_id"])] = r["verdict"]

    # A fix in both languages on every warn/fail row, none on pass/n/a rows (schema 1.1).
    for r in findings.to_pylist():
        has_fix = r["fix_zh"] is not None and r["fix_en"] is not None
        if has_fix != (r["verdict"] in ("warn", "fail")):
            problems.append(f"{r['domain']} {r['host']} {r['rule_id']} {r['verdict']}: fix {r['fix_en']!r}")
            break

    # Evidence in both languages on every row (schema 2.11): the Chinese sentence is Chinese.
    for r in findings.to_pylist():
        zh = r["evidence_zh"] or ""
        if not r["evidence"] or not any("\u4e00" <= c <= "\u9fff" for c in zh):
            problems.append(f"{r['domain']} {r['host']} {r['rule_id']}: evidence_zh {zh!r} beside {r['evidence']!r}")
            break

    probe_error = {}
    cnames = {}
    for r in fetches.to_pylist():
        probe_error[(r["domain"], r["host"], r["scheme"])] = r["error_class"] or "none"
        cnames[(r["domain"], r["host"])] = " ".join(r["cname_chain"])

    checked = 0
    with open(key_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            checked += 1
            d, host, rule, want = row["domain"], row["host"], row["rule_id"], row["expected"]
            if rule == "STATUS":
                got = status.get(d)
            elif rule in ("ERROR-HTTPS", "ERROR-HTTP"):
                got = probe_error.get((d, host, rule.split("-")[1].lower()))
            elif rule == "CNAME":
                got = cnames.get((d, host))
            else:
                got = verdicts.get((d, host, rule))
            if got != want:
                problems.append(f"{row['behaviour']} {d} {host or '-'} {rule}: expected {want}, got {got}")

    # Redirect chains: apex-to-www sites record the 301 hop to https://www.
    redirects = 0
    for r in fetches.to_pylist():
        if "apex-to-www" in r["domain"] and r["host_role"] == "apex" and r["scheme"] == "https":
            hops = r["redirects"]
            if not hops or hops[0]["status"] != 301 or not hops[0]["location"].startswith("https://www."):
                problems.append(f"{r['domain']}: apex https redirect chain {hops}")
            if not (r["final_url"] or "").startswith("https://www."):
                problems.append(f"{r['domain']}: final_url {r['final_url']}")
            redirects += 1
    # GBK pages decoded: the number read from a GBK page equals the one the fleet shows.
    gbk = [r for r in fetches.to_pylist() if "-gbk." in r["domain"] and r["scheme"] == "https"]
    for r in gbk:
        if r["charset"] != "GBK" or not (r["icp_number"] or "").count("ICP备"):
            problems.append(f"{r['domain']}: GBK page decoded as {r['charset']} -> {r['icp_number']}")

    report = {
        "sites": len(lines),
        "fetches": fetches.num_rows,
        "findings": findings.num_rows,
        "key_rows_checked": checked,
        "redirect_chains_checked": redirects,
        "gbk_pages_checked": len(gbk),
        "problems": problems[:200],
        "problem_count": len(problems),
    }
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
