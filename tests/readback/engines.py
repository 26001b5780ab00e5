#!/usr/bin/env python3
"""The run directory as the analysts' engines see it: Spark (local mode), Polars and DuckDB
read all three tables, and pyarrow reads the Parquet metadata.

Usage: engines.py RUN_DIR

Asserts the column types each engine sees (integers as 64- or 32-bit signed integers, never
decimals; timestamps as timestamps; lists and structs intact), that every engine counts the
same rows, and the physical layout: dictionary encoding on the low-cardinality string
columns only, statistics on every column, rows clustered by `input_line` within each part.
Prints a JSON report on stdout; exits 1 on any mismatch. One Spark session for all checks.
"""
import glob
import json
import os
import shutil
import sys
import tempfile

import pyarrow.parquet as pq

TABLES = ("sites", "fetches", "findings")

# Columns an engine may join or sum on: signed 64-bit everywhere.
INT64 = {
    "sites": ["input_line"],
    "fetches": ["input_line", "body_bytes", "dns_us", "connect_us", "tls_us", "ttfb_us", "total_us", "wait_us", "render_ms"],
    "findings": ["input_line"],
}
INT32 = {"fetches": ["status", "requests"]}
TIMESTAMPS = {"sites": ["audited_at"], "fetches": ["started_at"], "findings": []}
DATES = {"sites": ["psb_due"]}
STRING_LISTS = {"sites": ["failing_rules", "warning_rules"], "fetches": ["addresses", "cname_chain", "address_nets"], "findings": []}

# Low-cardinality strings (and findings' per-site repeats): dictionary-encoded (issue 20);
# free text and URLs of fetches: plain.
DICTIONARY = {
    "sites": ["run_id", "status", "error_class", "icp_kind", "failing_rules.list.item", "warning_rules.list.item", "owner", "province"],
    "fetches": ["run_id", "host_role", "scheme", "error_class", "charset", "tls_version", "content_type", "content_encoding"],
    "findings": ["run_id", "rule_id", "verdict", "link_host", "domain", "fix_zh", "fix_en"],
}
PLAIN = {
    "sites": ["input", "error_message"],
    "fetches": ["url", "final_url", "error_message"],
    "findings": ["evidence"],
}


def files(run_dir, table):
    return sorted(glob.glob(os.path.join(run_dir, table, "*.parquet")))


def layout(run_dir, problems):
    """Encodings, statistics and clustering from the Parquet footers."""
    report = {}
    for table in TABLES:
        for f in files(run_dir, table):
            md = pq.ParquetFile(f).metadata
            prev_max = None
            for g in range(md.num_rows and md.num_row_groups):
                rg = md.row_group(g)
                cols = {rg.column(i).path_in_schema: rg.column(i) for i in range(rg.num_columns)}
                for name in DICTIONARY[table]:
                    enc = cols[name].encodings
                    if not any("DICTIONARY" in e for e in enc):
                        problems.append(f"{f} rg{g} {name}: not dictionary-encoded {enc}")
                for name in PLAIN[table]:
                    enc = cols[name].encodings
                    if any("DICTIONARY" in e for e in enc):
                        problems.append(f"{f} rg{g} {name}: dictionary on free text {enc}")
                for name, c in cols.items():
                    if c.statistics is None:
                        problems.append(f"{f} rg{g} {name}: no statistics")
                line = cols["input_line"].statistics
                if line is None or not line.has_min_max:
                    problems.append(f"{f} rg{g}: input_line without min/max")
                    continue
                # Clustered: a row group starts at or after the previous one's start, and
                # rows inside each written batch are in input order.
                if prev_max is not None and line.min < prev_max[0]:
                    problems.append(f"{f} rg{g}: input_line {line.min}.. starts before {prev_max[0]}")
                prev_max = (line.min, line.max)
            report.setdefault(table, 0)
            report[table] += md.num_row_groups
        for f in files(run_dir, table):
            lines = pq.read_table(f, columns=["input_line"]).column(0).to_pylist()
            # Within a part, rows are written in sorted batches: count the descents.
            descents = sum(1 for a, b in zip(lines, lines[1:]) if b < a)
            if descents > max(1, len(lines) // 4096 + 1):
                problems.append(f"{f}: input_line not clustered ({descents} descents in {len(lines)} rows)")
    return report


def spark_types(run_dir, problems, counts):
    from pyspark.sql import SparkSession
    from pyspark.sql import types as T

    warehouse = tempfile.mkdtemp(prefix="beian-spark-")
    spark = (
        SparkSession.builder.master("local[1]")
        .appName("beian-engines")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        # Spark makes its warehouse directory in the working directory otherwise: the
        # repository's root.
        .config("spark.sql.warehouse.dir", warehouse)
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    seen = {}
    try:
        for table in TABLES:
            df = spark.read.parquet(os.path.join(run_dir, table))
            fields = {f.name: f.dataType for f in df.schema.fields}
            seen[table] = {k: v.simpleString() for k, v in fields.items()}
            for name, t in fields.items():
                if "decimal" in t.simpleString():
                    problems.append(f"spark {table}.{name}: {t.simpleString()}")
            for name in INT64[table]:
                if not isinstance(fields[name], T.LongType):
                    problems.append(f"spark {table}.{name}: {fields[name].simpleString()}, want bigint")
            for name in INT32.get(table, []):
                if not isinstance(fields[name], T.IntegerType):
                    problems.append(f"spark {table}.{name}: {fields[name].simpleString()}, want int")
            for name in TIMESTAMPS[table]:
                if not isinstance(fields[name], T.TimestampType):
                    problems.append(f"spark {table}.{name}: {fields[name].simpleString()}, want timestamp")
            for name in DATES.get(table, []):
                if not isinstance(fields[name], T.DateType):
                    problems.append(f"spark {table}.{name}: {fields[name].simpleString()}, want date")
            for name in STRING_LISTS[table]:
                if fields[name].simpleString() != "array<string>":
                    problems.append(f"spark {table}.{name}: {fields[name].simpleString()}")
            if table == "fetches":
                want = "array<struct<url:string,status:int,location:string>>"
                if fields["redirects"].simpleString() != want:
                    problems.append(f"spark fetches.redirects: {fields['redirects'].simpleString()}")
            n = df.count()
            if n != counts[table]:
                problems.append(f"spark {table}: {n} rows, pyarrow {counts[table]}")
        # A join on input_line, the key the tables share, and a sum over an integer column.
        joined = spark.sql(
            f"""SELECT count(*) AS n, sum(f.body_bytes) AS bytes
                FROM parquet.`{os.path.join(run_dir, 'sites')}` s
                JOIN parquet.`{os.path.join(run_dir, 'fetches')}` f USING (input_line)"""
        ).collect()[0]
        if joined["n"] != counts["fetches"]:
            problems.append(f"spark join: {joined['n']} rows, want {counts['fetches']}")
        seen["join_sum_type"] = type(joined["bytes"]).__name__
        if not isinstance(joined["bytes"], int):
            problems.append(f"spark sum(body_bytes) is {type(joined['bytes']).__name__}")
    finally:
        spark.stop()
        shutil.rmtree(warehouse, ignore_errors=True)
    return seen


def polars_types(run_dir, problems, counts):
    import polars as pl

    seen = {}
    for table in TABLES:
        df = pl.read_parquet(os.path.join(run_dir, table, "*.parquet"))
        seen[table] = {k: str(v) for k, v in df.schema.items()}
        for name in INT64[table]:
            if df.schema[name] != pl.Int64:
                problems.append(f"polars {table}.{name}: {df.schema[name]}")
        for name in INT32.get(table, []):
            if df.schema[name] != pl.Int32:
                problems.append(f"polars {table}.{name}: {df.schema[name]}")
        for name in TIMESTAMPS[table]:
            if df.schema[name] != pl.Datetime("us", "UTC"):
                problems.append(f"polars {table}.{name}: {df.schema[name]}")
        for name in DATES.get(table, []):
            if df.schema[name] != pl.Date:
                problems.append(f"polars {table}.{name}: {df.schema[name]}")
        for name in STRING_LISTS[table]:
            if df.schema[name] != pl.List(pl.String):
                problems.append(f"polars {table}.{name}: {df.schema[name]}")
        if df.height != counts[table]:
            problems.append(f"polars {table}: {df.height} rows, pyarrow {counts[table]}")
    return seen


def duckdb_types(run_dir, problems, counts):
    import duckdb

    seen = {}
    con = duckdb.connect()
    for table in TABLES:
        rel = con.sql(f"SELECT * FROM read_parquet('{os.path.join(run_dir, table)}/*.parquet')")
        types = dict(zip(rel.columns, [str(t) for t in rel.types]))
        seen[table] = types
        for name in INT64[table]:
            if types[name] != "BIGINT":
                problems.append(f"duckdb {table}.{name}: {types[name]}")
        for name in DATES.get(table, []):
            if types[name] != "DATE":
                problems.append(f"duckdb {table}.{name}: {types[name]}")
        n = con.execute(f"SELECT count(*) FROM read_parquet('{os.path.join(run_dir, table)}/*.parquet')").fetchone()[0]
        if n != counts[table]:
            problems.append(f"duckdb {table}: {n} rows, pyarrow {counts[table]}")
    return seen


def old_copy(run_dir, tmp):
    """The run as schema 1.x wrote it (unsigned integers), for the recipes of SCHEMA.md that
    read old and new runs together."""
    import pyarrow as pa

    def old_type(field):
        t = field.type
        if field.name in ("input_line", "body_bytes"):
            return pa.uint64()
        if field.name == "status" and pa.types.is_integer(t):
            return pa.uint16()
        if field.name == "redirects":
            return pa.list_(pa.struct([("url", pa.string()), ("status", pa.uint16()), ("location", pa.string())]))
        return t

    for table in ("sites", "fetches"):
        new = pq.read_table(os.path.join(run_dir, table))
        schema = pa.schema([pa.field(f.name, old_type(f), f.nullable) for f in new.schema])
        os.makedirs(os.path.join(tmp, table))
        pq.write_table(new.cast(schema), os.path.join(tmp, table, "part-00000.parquet"))


def mixed_versions(run_dir, problems, counts):
    """SCHEMA.md's recipes over a 1.x copy and the 2.0 run: DuckDB and pyarrow."""
    import tempfile

    import duckdb
    import pyarrow as pa

    with tempfile.TemporaryDirectory() as tmp:
        old = os.path.join(tmp, "run-1")
        old_copy(run_dir, old)
        runs = os.path.join(tmp, "runs")
        os.makedirs(runs)
        os.symlink(old, os.path.join(runs, "run-1"))
        os.symlink(os.path.abspath(run_dir), os.path.join(runs, "run-2"))
        con = duckdb.connect()
        con.execute(
            f"""CREATE VIEW sites AS
                SELECT * REPLACE (CAST(input_line AS BIGINT) AS input_line)
                FROM read_parquet('{runs}/*/sites/*.parquet', union_by_name = true)"""
        )
        n, t = con.execute("SELECT count(*), any_value(typeof(input_line)) FROM sites").fetchone()
        if (n, t) != (2 * counts["sites"], "BIGINT"):
            problems.append(f"duckdb mixed versions: {n} rows of {t}")
        new = pq.read_table(os.path.join(run_dir, "fetches"))
        both = pa.concat_tables([pq.read_table(os.path.join(old, "fetches")).cast(new.schema), new])
        if both.num_rows != 2 * counts["fetches"]:
            problems.append(f"pyarrow mixed versions: {both.num_rows} rows")
        return {"duckdb_rows": n, "pyarrow_rows": both.num_rows}


def main():
    run_dir = sys.argv[1]
    problems = []
    counts = {t: pq.read_table(os.path.join(run_dir, t)).num_rows for t in TABLES}
    for t in TABLES:
        for f in files(run_dir, t):
            md = pq.read_metadata(f).metadata or {}
            if md.get(b"beian.schema_version") != b"2.11":
                problems.append(f"{f}: schema_version {md.get(b'beian.schema_version')!r}")
    report = {
        "rows": counts,
        "row_groups": layout(run_dir, problems),
        "polars": polars_types(run_dir, problems, counts),
        "duckdb": duckdb_types(run_dir, problems, counts),
        "mixed_versions": mixed_versions(run_dir, problems, counts),
        "spark": spark_types(run_dir, problems, counts),
    }
    report["problems"] = problems
    print(json.dumps(report, ensure_ascii=False, indent=1))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
