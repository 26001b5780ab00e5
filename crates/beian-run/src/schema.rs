//! Column definitions and row → RecordBatch conversion. Every column is documented in
//! docs/SCHEMA.md; bump [`SCHEMA_VERSION`] on any incompatible change.

use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Int32Array, Int64Array, ListArray, RecordBatch,
    StringArray, StructArray, TimestampMicrosecondArray,
};
use arrow_buffer::OffsetBuffer;
use arrow_schema::{ArrowError, DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use beian_types::{FetchRow, FindingRow, SiteRow};

/// Version of the output schema, stored as `beian.schema_version` in every file.
pub const SCHEMA_VERSION: &str = "2.6";

/// String columns (Parquet column paths) written with a dictionary: the low-cardinality ones,
/// and in `findings` the values repeated for each of a site's ~34 rows (domain, host, URL,
/// number, the catalogue's fixes). Every other column is plain: zstd already packs their
/// repeats, which sit next to each other, and a dictionary made the 10,000-domain demo's
/// files larger there (measured per column, BENCHMARKS.md; docs/SCHEMA.md, Layout).
pub(crate) fn dictionary_columns(table: &str) -> &'static [&'static str] {
    match table {
        "sites" => &[
            "run_id",
            "status",
            "error_class",
            "icp_kind",
            "failing_rules.list.item",
            "warning_rules.list.item",
            "owner",
            "province",
            "psb_duty",
        ],
        "fetches" => &[
            "run_id",
            "host_role",
            "scheme",
            "error_class",
            "content_type",
            "content_encoding",
            "charset",
            "tls_version",
            "remote_addr",
        ],
        "findings" => &[
            "run_id",
            "domain",
            "host",
            "rule_id",
            "verdict",
            "url",
            "number",
            "link_host",
            "fix_zh",
            "fix_en",
        ],
        _ => &[],
    }
}

/// A line number or a byte count as the signed column type engines expect (schema 2.0);
/// real values are far below `i64::MAX`.
fn int64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn ts() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn list_utf8() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

fn hop_fields() -> Fields {
    Fields::from(vec![
        Field::new("url", DataType::Utf8, false),
        Field::new("status", DataType::Int32, false),
        Field::new("location", DataType::Utf8, false),
    ])
}

/// `sites`: one row per input line.
pub fn sites_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("run_id", DataType::Utf8, false),
        Field::new("input_line", DataType::Int64, false),
        Field::new("input", DataType::Utf8, false),
        Field::new("domain", DataType::Utf8, true),
        Field::new("domain_unicode", DataType::Utf8, true),
        Field::new("status", DataType::Utf8, false),
        Field::new("failing_rules", list_utf8(), false),
        Field::new("warning_rules", list_utf8(), false),
        Field::new("error_class", DataType::Utf8, true),
        Field::new("error_message", DataType::Utf8, true),
        Field::new("icp_number", DataType::Utf8, true),
        Field::new("icp_kind", DataType::Utf8, true),
        Field::new("psb_number", DataType::Utf8, true),
        Field::new("audited_at", ts(), false),
        Field::new("owner", DataType::Utf8, true),
        Field::new("province", DataType::Utf8, true),
        Field::new("psb_due", DataType::Date32, true),
        Field::new("psb_duty", DataType::Utf8, true),
    ]))
}

/// `fetches`: one row per host × scheme probe.
pub fn fetches_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("run_id", DataType::Utf8, false),
        Field::new("input_line", DataType::Int64, false),
        Field::new("domain", DataType::Utf8, false),
        Field::new("host", DataType::Utf8, false),
        Field::new("host_role", DataType::Utf8, false),
        Field::new("scheme", DataType::Utf8, false),
        Field::new("url", DataType::Utf8, false),
        Field::new("final_url", DataType::Utf8, true),
        Field::new("status", DataType::Int32, true),
        Field::new("error_class", DataType::Utf8, true),
        Field::new("error_message", DataType::Utf8, true),
        Field::new("addresses", list_utf8(), false),
        Field::new("cname_chain", list_utf8(), false),
        Field::new("address_nets", list_utf8(), true),
        Field::new("remote_addr", DataType::Utf8, true),
        Field::new(
            "redirects",
            DataType::List(Arc::new(Field::new(
                "item",
                DataType::Struct(hop_fields()),
                true,
            ))),
            false,
        ),
        Field::new("dns_us", DataType::Int64, true),
        Field::new("connect_us", DataType::Int64, true),
        Field::new("tls_us", DataType::Int64, true),
        Field::new("ttfb_us", DataType::Int64, true),
        Field::new("total_us", DataType::Int64, true),
        Field::new("wait_us", DataType::Int64, true),
        Field::new("requests", DataType::Int32, false),
        Field::new("reused_from", DataType::Utf8, true),
        Field::new("http_version", DataType::Utf8, true),
        Field::new("rendered", DataType::Boolean, false),
        Field::new("render_ms", DataType::Int64, true),
        Field::new("body_bytes", DataType::Int64, true),
        Field::new("body_truncated", DataType::Boolean, false),
        Field::new("content_type", DataType::Utf8, true),
        Field::new("content_encoding", DataType::Utf8, true),
        Field::new("charset", DataType::Utf8, true),
        Field::new("tls_version", DataType::Utf8, true),
        Field::new("cert_valid", DataType::Boolean, true),
        Field::new("cert_error", DataType::Utf8, true),
        Field::new("icp_number", DataType::Utf8, true),
        Field::new("psb_number", DataType::Utf8, true),
        Field::new("started_at", ts(), false),
    ]))
}

/// `findings`: one row per site × rule (× host for page rules).
pub fn findings_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("run_id", DataType::Utf8, false),
        Field::new("input_line", DataType::Int64, false),
        Field::new("domain", DataType::Utf8, false),
        Field::new("host", DataType::Utf8, true),
        Field::new("rule_id", DataType::Utf8, false),
        Field::new("verdict", DataType::Utf8, false),
        Field::new("evidence", DataType::Utf8, false),
        Field::new("url", DataType::Utf8, true),
        Field::new("number", DataType::Utf8, true),
        Field::new("link_host", DataType::Utf8, true),
        Field::new("fix_zh", DataType::Utf8, true),
        Field::new("fix_en", DataType::Utf8, true),
    ]))
}

fn run_ids(run_id: &str, n: usize) -> ArrayRef {
    Arc::new(StringArray::from(vec![run_id; n]))
}

fn strs<'a>(it: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(it.collect::<StringArray>())
}

fn lists<'a>(it: impl Iterator<Item = &'a Vec<String>>) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new());
    for v in it {
        for s in v {
            b.values().append_value(s);
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

/// A nullable list of nullable strings per row.
fn optional_lists<'a>(it: impl Iterator<Item = Option<&'a [Option<String>]>>) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new());
    for v in it {
        match v {
            Some(items) => {
                for s in items {
                    b.values().append_option(s.as_deref());
                }
                b.append(true);
            }
            None => b.append(false),
        }
    }
    Arc::new(b.finish())
}

fn timestamps(it: impl Iterator<Item = i64>) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from(it.collect::<Vec<_>>()).with_timezone("UTC"))
}

pub(crate) fn sites_batch(
    run_id: &str,
    schema: &SchemaRef,
    rows: &[SiteRow],
) -> Result<RecordBatch, ArrowError> {
    let cols: Vec<ArrayRef> = vec![
        run_ids(run_id, rows.len()),
        Arc::new(
            rows.iter()
                .map(|r| int64(r.input_line))
                .collect::<Int64Array>(),
        ),
        strs(rows.iter().map(|r| Some(r.input.as_str()))),
        strs(rows.iter().map(|r| r.domain.as_deref())),
        strs(rows.iter().map(|r| r.domain_unicode.as_deref())),
        strs(rows.iter().map(|r| Some(r.status.as_str()))),
        lists(rows.iter().map(|r| &r.failing_rules)),
        lists(rows.iter().map(|r| &r.warning_rules)),
        strs(rows.iter().map(|r| r.error_class.map(|c| c.as_str()))),
        strs(rows.iter().map(|r| r.error_message.as_deref())),
        strs(rows.iter().map(|r| r.icp_number.as_deref())),
        strs(rows.iter().map(|r| r.icp_kind.as_deref())),
        strs(rows.iter().map(|r| r.psb_number.as_deref())),
        timestamps(rows.iter().map(|r| r.audited_at_us)),
        strs(rows.iter().map(|r| r.owner.as_deref())),
        strs(rows.iter().map(|r| r.province.as_deref())),
        Arc::new(
            rows.iter()
                .map(|r| r.psb_due.map(|d| beian_types::days::to_days(d.date)))
                .collect::<Date32Array>(),
        ),
        strs(rows.iter().map(|r| r.psb_due.map(|d| d.duty.as_str()))),
    ];
    RecordBatch::try_new(schema.clone(), cols)
}

fn hops_array(rows: &[FetchRow]) -> Result<ArrayRef, ArrowError> {
    let hops: Vec<&beian_types::Hop> = rows.iter().flat_map(|r| r.hops.iter()).collect();
    let values = StructArray::try_new(
        hop_fields(),
        vec![
            Arc::new(
                hops.iter()
                    .map(|h| Some(h.url.as_str()))
                    .collect::<StringArray>(),
            ) as ArrayRef,
            Arc::new(
                hops.iter()
                    .map(|h| i32::from(h.status))
                    .collect::<Int32Array>(),
            ),
            Arc::new(
                hops.iter()
                    .map(|h| Some(h.location.as_str()))
                    .collect::<StringArray>(),
            ),
        ],
        None,
    )?;
    let offsets = OffsetBuffer::from_lengths(rows.iter().map(|r| r.hops.len()));
    let field = Arc::new(Field::new("item", DataType::Struct(hop_fields()), true));
    Ok(Arc::new(ListArray::try_new(
        field,
        offsets,
        Arc::new(values),
        None,
    )?))
}

fn opt_i64(it: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(it.collect::<Int64Array>())
}

pub(crate) fn fetches_batch(
    run_id: &str,
    schema: &SchemaRef,
    rows: &[FetchRow],
) -> Result<RecordBatch, ArrowError> {
    let cols: Vec<ArrayRef> = vec![
        run_ids(run_id, rows.len()),
        Arc::new(
            rows.iter()
                .map(|r| int64(r.input_line))
                .collect::<Int64Array>(),
        ),
        strs(rows.iter().map(|r| Some(r.domain.as_str()))),
        strs(rows.iter().map(|r| Some(r.host.as_str()))),
        strs(rows.iter().map(|r| Some(r.role.map_or("", |x| x.as_str())))),
        strs(
            rows.iter()
                .map(|r| Some(r.scheme.map_or("", |x| x.as_str()))),
        ),
        strs(rows.iter().map(|r| Some(r.url.as_str()))),
        strs(rows.iter().map(|r| r.final_url.as_deref())),
        Arc::new(
            rows.iter()
                .map(|r| r.status.map(i32::from))
                .collect::<Int32Array>(),
        ),
        strs(rows.iter().map(|r| r.error_class.map(|c| c.as_str()))),
        strs(rows.iter().map(|r| r.error_message.as_deref())),
        lists(rows.iter().map(|r| &r.addresses)),
        lists(rows.iter().map(|r| &r.cname_chain)),
        optional_lists(rows.iter().map(|r| r.address_nets.as_deref())),
        strs(rows.iter().map(|r| r.remote_addr.as_deref())),
        hops_array(rows)?,
        opt_i64(rows.iter().map(|r| r.dns_us)),
        opt_i64(rows.iter().map(|r| r.connect_us)),
        opt_i64(rows.iter().map(|r| r.tls_us)),
        opt_i64(rows.iter().map(|r| r.ttfb_us)),
        opt_i64(rows.iter().map(|r| r.total_us)),
        opt_i64(rows.iter().map(|r| r.wait_us)),
        Arc::new(
            rows.iter()
                .map(|r| Some(i32::try_from(r.requests).unwrap_or(i32::MAX)))
                .collect::<Int32Array>(),
        ),
        strs(rows.iter().map(|r| r.reused_from.as_deref())),
        strs(rows.iter().map(|r| r.http_version.as_deref())),
        Arc::new(
            rows.iter()
                .map(|r| Some(r.rendered))
                .collect::<BooleanArray>(),
        ),
        opt_i64(rows.iter().map(|r| r.render_ms)),
        Arc::new(
            rows.iter()
                .map(|r| r.body_bytes.map(int64))
                .collect::<Int64Array>(),
        ),
        Arc::new(
            rows.iter()
                .map(|r| Some(r.body_truncated))
                .collect::<BooleanArray>(),
        ),
        strs(rows.iter().map(|r| r.content_type.as_deref())),
        strs(rows.iter().map(|r| r.content_encoding.as_deref())),
        strs(rows.iter().map(|r| r.charset.as_deref())),
        strs(rows.iter().map(|r| r.tls_version.as_deref())),
        Arc::new(rows.iter().map(|r| r.cert_valid).collect::<BooleanArray>()),
        strs(rows.iter().map(|r| r.cert_error.as_deref())),
        strs(rows.iter().map(|r| r.icp_number.as_deref())),
        strs(rows.iter().map(|r| r.psb_number.as_deref())),
        timestamps(rows.iter().map(|r| r.started_at_us)),
    ];
    RecordBatch::try_new(schema.clone(), cols)
}

pub(crate) fn findings_batch(
    run_id: &str,
    schema: &SchemaRef,
    rows: &[FindingRow],
) -> Result<RecordBatch, ArrowError> {
    let cols: Vec<ArrayRef> = vec![
        run_ids(run_id, rows.len()),
        Arc::new(
            rows.iter()
                .map(|r| int64(r.input_line))
                .collect::<Int64Array>(),
        ),
        strs(rows.iter().map(|r| Some(r.domain.as_str()))),
        strs(rows.iter().map(|r| r.finding.host.as_deref())),
        strs(rows.iter().map(|r| Some(r.finding.rule_id))),
        strs(rows.iter().map(|r| Some(r.finding.verdict.as_str()))),
        strs(rows.iter().map(|r| Some(r.finding.evidence.as_str()))),
        strs(rows.iter().map(|r| r.finding.url.as_deref())),
        strs(rows.iter().map(|r| r.finding.number.as_deref())),
        strs(rows.iter().map(|r| r.finding.link_host.as_deref())),
        strs(rows.iter().map(|r| r.finding.fix.map(|f| f.zh))),
        strs(rows.iter().map(|r| r.finding.fix.map(|f| f.en))),
    ];
    RecordBatch::try_new(schema.clone(), cols)
}
