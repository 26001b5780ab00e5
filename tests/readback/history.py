#!/usr/bin/env python3
"""Runs the `sql history` blocks of docs/SCHEMA.md with DuckDB over a history root.

Usage: history.py SCHEMA.md ROOT DOMAIN

Every block is executed in order in one connection, `ROOT` replaced by the root and
`'example.cn'` by DOMAIN; the rows of each block's last statement are printed as JSON (one
list per block), dates as ISO strings.
"""
import json
import re
import sys

import duckdb


def main():
    schema_md, root, domain = sys.argv[1], sys.argv[2], sys.argv[3]
    text = open(schema_md, encoding="utf-8").read()
    blocks = re.findall(r"```sql history\n(.*?)```", text, flags=re.S)
    if not blocks:
        sys.exit("no `sql history` block in " + schema_md)
    con = duckdb.connect()
    results = []
    for block in blocks:
        sql = block.replace("ROOT", root).replace("'example.cn'", f"'{domain}'")
        rows = []
        for stmt in [s for s in sql.split(";") if s.strip() and not all(
                l.strip().startswith("--") or not l.strip() for l in s.splitlines())]:
            cur = con.execute(stmt)
            rows = cur.fetchall() if cur.description else []
        results.append([[v.isoformat() if hasattr(v, "isoformat") else v for v in r] for r in rows])
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
