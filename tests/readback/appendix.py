#!/usr/bin/env python3
"""Runs the appendix of a report (`report.json`'s `appendix`) with DuckDB in the reported run's
directory and compares each query's rows with the figures the report shows.

Usage: appendix.py REPORT_JSON

Prints one JSON object: for each query id, {"ok": bool, "sql": [...], "report": [...]}.
"""
import json
import os
import sys

import duckdb


def main():
    report = json.load(open(sys.argv[1], encoding="utf-8"))
    os.chdir(report["run"]["dir"])
    con = duckdb.connect()
    # What the report says, in the shape each query returns.
    want = {
        "statuses": sorted((c["name"], c["now"]) for c in report["statuses"] if c["now"]),
        "compliant_pct": [report["tiles"]["compliant_pct"]],
        "rules": sorted((r["rule_id"], r["failing"]) for r in report["rules"] if r["failing"]),
        "owners": sorted((g["name"], g["sites"], g["failing"]) for g in report["owners"]),
        "provinces": sorted((g["name"], g["sites"], g["failing"]) for g in report["provinces"]),
        "unreachable": sorted((u["name"], u["now"]) for u in report["unreachable"]),
        "waived": sorted((c["name"], c["now"]) for c in report["exceptions"]["rules"]),
        "worst": [(o["domain"], o["owner"], o["rules"]) for o in report["worst"]],
        "psb_due": [(d["domain"], d["owner"], d["due"], d["duty"], d["days_left"])
                    for d in report["psb_due"]],
        "newly_failing": [c["domain"] for c in report["newly_failing"]],
        "fixed": [c["domain"] for c in report["fixed"]],
    }
    out = {}
    for q in report["appendix"]:
        rows = con.execute(q["sql"]).fetchall()
        qid = q["id"]
        if qid in ("statuses", "rules", "unreachable", "owners", "provinces", "waived"):
            got = sorted(tuple(r) for r in rows)
        elif qid == "compliant_pct":
            got = [rows[0][0]]
        elif qid == "worst":
            got = [(r[0], r[1], sorted(r[2])) for r in rows]
        elif qid == "psb_due":
            got = [(r[0], r[1], r[2].isoformat(), r[3], r[4]) for r in rows]
        else:
            got = [r[0] for r in rows]
        expected = want[qid]
        if qid == "compliant_pct":
            ok = abs(got[0] - expected[0]) < 0.051
        else:
            ok = [list(x) if isinstance(x, tuple) else x for x in got] == \
                [list(x) if isinstance(x, tuple) else x for x in expected]
        out[qid] = {"ok": ok, "sql": got, "report": expected}
    print(json.dumps(out, ensure_ascii=False, default=str))


main()
