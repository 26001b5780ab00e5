//! The three tables' columns, each spelled once: a [`Column`] names the column, says whether
//! it may be null and whether it is written with a dictionary, and reads its value from a row;
//! the Arrow type follows from how it reads. Schema, record batches and the writer's
//! dictionary settings are all built from these lists, and a test holds them to the column
//! tables of docs/SCHEMA.md. Bump [`SCHEMA_VERSION`] on any incompatible change.

use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Int32Array, Int64Array, ListArray, RecordBatch,
    StringArray, StructArray, TimestampMicrosecondArray,
};
use arrow_buffer::OffsetBuffer;
use arrow_schema::{ArrowError, DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use beian_types::{FetchRow, FindingRow, Hop, SiteRow};
use parquet::schema::types::ColumnPath;

/// Version of the output schema, stored as [`META_SCHEMA_VERSION`] in every file.
pub const SCHEMA_VERSION: &str = "2.11";

/// File metadata key: the schema version the part was written with.
pub const META_SCHEMA_VERSION: &str = "beian.schema_version";
/// File metadata key: the run the part belongs to.
pub const META_RUN_ID: &str = "beian.run_id";
/// File metadata key: the table the part belongs to.
pub const META_TABLE: &str = "beian.table";

/// The names of the columns that code outside the writer reads (the report's loader, resume).
pub mod col {
    /// Every table: the run's id.
    pub const RUN_ID: &str = "run_id";
    /// Every table: the site's input line.
    pub const INPUT_LINE: &str = "input_line";
    /// Every table: the site's ASCII domain.
    pub const DOMAIN: &str = "domain";
    /// `sites`: the site's status.
    pub const STATUS: &str = "status";
    /// `sites`: rule ids with a `fail` verdict.
    pub const FAILING_RULES: &str = "failing_rules";
    /// `sites`: rule ids with a `warn` verdict.
    pub const WARNING_RULES: &str = "warning_rules";
    /// `sites`, `fetches`: the error class.
    pub const ERROR_CLASS: &str = "error_class";
    /// `sites`: who must fix the site.
    pub const OWNER: &str = "owner";
    /// `sites`: the filing province.
    pub const PROVINCE: &str = "province";
    /// `sites`: the public-security deadline.
    pub const PSB_DUE: &str = "psb_due";
    /// `sites`: what is due by the deadline.
    pub const PSB_DUTY: &str = "psb_duty";
    /// `sites`: what stood in front of a host without a page of its own.
    pub const FRONT_CLASS: &str = "front_class";
    /// `sites`: who stood there.
    pub const FRONT_VENDOR: &str = "front_vendor";
    /// `sites`, `fetches`: the CDN or WAF in front.
    pub const EDGE_PROVIDER: &str = "edge_provider";
    /// `fetches`, `findings`: the host.
    pub const HOST: &str = "host";
    /// `findings`: the rule.
    pub const RULE_ID: &str = "rule_id";
    /// `findings`: the verdict.
    pub const VERDICT: &str = "verdict";
    /// `findings`: what was seen.
    pub const EVIDENCE: &str = "evidence";
    /// `findings`: what was seen, in Chinese.
    pub const EVIDENCE_ZH: &str = "evidence_zh";
    /// `findings`: the fix in Chinese.
    pub const FIX_ZH: &str = "fix_zh";
    /// `findings`: the fix in English.
    pub const FIX_EN: &str = "fix_en";
    /// `sites`: rule ids whose failing or warning findings an exception waived.
    pub const WAIVED_RULES: &str = "waived_rules";
    /// `findings`: whether an exception waived the finding.
    pub const WAIVED: &str = "waived";
}

/// How a column's value is read from a row; the Arrow type follows from it.
pub enum Value<R> {
    /// The run's id, the same on every row.
    RunId,
    /// `string`.
    Str(fn(&R) -> Option<&str>),
    /// `int64`.
    Int64(fn(&R) -> Option<i64>),
    /// `int32`.
    Int32(fn(&R) -> Option<i32>),
    /// `bool`.
    Bool(fn(&R) -> Option<bool>),
    /// `date`: days since 1970-01-01.
    Date(fn(&R) -> Option<i32>),
    /// `timestamp[us, UTC]`: microseconds since the epoch.
    Timestamp(fn(&R) -> i64),
    /// `list<string>`, never null.
    Strings(fn(&R) -> &[String]),
    /// `list<string>` that may be null, of strings that may be null.
    OptionalStrings(fn(&R) -> Option<&[Option<String>]>),
    /// `list<struct<url, status, location>>`: a fetch's redirect hops.
    Hops(fn(&R) -> &[Hop]),
}

/// One column of a table.
pub struct Column<R> {
    /// The column's name.
    pub name: &'static str,
    /// Whether a value may be null.
    pub nullable: bool,
    /// Whether the column is written with a dictionary (low cardinality, or values repeated
    /// on a site's rows; docs/SCHEMA.md, Layout).
    pub dictionary: bool,
    /// How the value is read from a row.
    pub value: Value<R>,
}

/// A table: its columns in order.
pub struct Table<R: 'static> {
    /// The table's name (its directory).
    pub name: &'static str,
    /// Its columns.
    pub columns: &'static [Column<R>],
}

const fn column<R>(name: &'static str, nullable: bool, value: Value<R>) -> Column<R> {
    Column {
        name,
        nullable,
        dictionary: false,
        value,
    }
}

/// A column written with a dictionary.
const fn dict<R>(name: &'static str, nullable: bool, value: Value<R>) -> Column<R> {
    Column {
        name,
        nullable,
        dictionary: true,
        value,
    }
}

/// A line number or a byte count as the signed column type engines expect (schema 2.0);
/// real values are far below `i64::MAX`.
fn int64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// `sites`: one row per input line.
pub static SITES: Table<SiteRow> = Table {
    name: crate::layout::SITES,
    columns: &[
        dict(col::RUN_ID, false, Value::RunId),
        column(
            col::INPUT_LINE,
            false,
            Value::Int64(|r| Some(int64(r.input_line))),
        ),
        column("input", false, Value::Str(|r| Some(&r.input))),
        column(col::DOMAIN, true, Value::Str(|r| r.domain.as_deref())),
        column(
            "domain_unicode",
            true,
            Value::Str(|r| r.domain_unicode.as_deref()),
        ),
        dict(col::STATUS, false, Value::Str(|r| Some(r.status.as_str()))),
        dict(
            col::FAILING_RULES,
            false,
            Value::Strings(|r| &r.failing_rules),
        ),
        dict(
            col::WARNING_RULES,
            false,
            Value::Strings(|r| &r.warning_rules),
        ),
        dict(
            col::ERROR_CLASS,
            true,
            Value::Str(|r| r.error_class.map(|c| c.as_str())),
        ),
        column(
            "error_message",
            true,
            Value::Str(|r| r.error_message.as_deref()),
        ),
        column("icp_number", true, Value::Str(|r| r.icp_number.as_deref())),
        dict("icp_kind", true, Value::Str(|r| r.icp_kind.as_deref())),
        column("psb_number", true, Value::Str(|r| r.psb_number.as_deref())),
        column("audited_at", false, Value::Timestamp(|r| r.audited_at_us)),
        dict(col::OWNER, true, Value::Str(|r| r.owner.as_deref())),
        dict(col::PROVINCE, true, Value::Str(|r| r.province.as_deref())),
        column(
            col::PSB_DUE,
            true,
            Value::Date(|r| r.psb_due.map(|d| beian_types::days::to_days(d.date))),
        ),
        dict(
            col::PSB_DUTY,
            true,
            Value::Str(|r| r.psb_due.map(|d| d.duty.as_str())),
        ),
        dict(
            col::FRONT_CLASS,
            true,
            Value::Str(|r| r.front.map(|c| c.class.as_str())),
        ),
        dict(
            col::FRONT_VENDOR,
            true,
            Value::Str(|r| r.front.and_then(|c| c.vendor).map(|v| v.id)),
        ),
        dict(
            col::EDGE_PROVIDER,
            true,
            Value::Str(|r| r.edge_provider.map(|v| v.id)),
        ),
        dict(
            col::WAIVED_RULES,
            false,
            Value::Strings(|r| &r.waived_rules),
        ),
    ],
};

/// `fetches`: one row per host × scheme probe.
pub static FETCHES: Table<FetchRow> = Table {
    name: crate::layout::FETCHES,
    columns: &[
        dict(col::RUN_ID, false, Value::RunId),
        column(
            col::INPUT_LINE,
            false,
            Value::Int64(|r| Some(int64(r.input_line))),
        ),
        column(col::DOMAIN, false, Value::Str(|r| Some(&r.domain))),
        column(col::HOST, false, Value::Str(|r| Some(&r.host))),
        dict(
            "host_role",
            false,
            Value::Str(|r| Some(r.role.map_or("", |x| x.as_str()))),
        ),
        dict(
            "scheme",
            false,
            Value::Str(|r| Some(r.scheme.map_or("", |x| x.as_str()))),
        ),
        column("url", false, Value::Str(|r| Some(&r.url))),
        column("final_url", true, Value::Str(|r| r.final_url.as_deref())),
        column("status", true, Value::Int32(|r| r.status.map(i32::from))),
        dict(
            col::ERROR_CLASS,
            true,
            Value::Str(|r| r.error_class.map(|c| c.as_str())),
        ),
        column(
            "error_message",
            true,
            Value::Str(|r| r.error_message.as_deref()),
        ),
        column("addresses", false, Value::Strings(|r| &r.addresses)),
        column("cname_chain", false, Value::Strings(|r| &r.cname_chain)),
        column(
            "address_nets",
            true,
            Value::OptionalStrings(|r| r.address_nets.as_deref()),
        ),
        dict(
            "remote_addr",
            true,
            Value::Str(|r| r.remote_addr.as_deref()),
        ),
        column("redirects", false, Value::Hops(|r| &r.hops)),
        column("dns_us", true, Value::Int64(|r| r.dns_us)),
        column("connect_us", true, Value::Int64(|r| r.connect_us)),
        column("tls_us", true, Value::Int64(|r| r.tls_us)),
        column("ttfb_us", true, Value::Int64(|r| r.ttfb_us)),
        column("total_us", true, Value::Int64(|r| r.total_us)),
        column("wait_us", true, Value::Int64(|r| r.wait_us)),
        column(
            "requests",
            false,
            Value::Int32(|r| Some(i32::try_from(r.requests).unwrap_or(i32::MAX))),
        ),
        column(
            "reused_from",
            true,
            Value::Str(|r| r.reused_from.as_deref()),
        ),
        column(
            "http_version",
            true,
            Value::Str(|r| r.http_version.as_deref()),
        ),
        column("rendered", false, Value::Bool(|r| Some(r.rendered))),
        column("render_ms", true, Value::Int64(|r| r.render_ms)),
        column(
            "body_bytes",
            true,
            Value::Int64(|r| r.body_bytes.map(int64)),
        ),
        column(
            "body_truncated",
            false,
            Value::Bool(|r| Some(r.body_truncated)),
        ),
        dict(
            "content_type",
            true,
            Value::Str(|r| r.content_type.as_deref()),
        ),
        dict(
            "content_encoding",
            true,
            Value::Str(|r| r.content_encoding.as_deref()),
        ),
        dict("charset", true, Value::Str(|r| r.charset.as_deref())),
        dict(
            "tls_version",
            true,
            Value::Str(|r| r.tls_version.as_deref()),
        ),
        column("cert_valid", true, Value::Bool(|r| r.cert_valid)),
        column("cert_error", true, Value::Str(|r| r.cert_error.as_deref())),
        column("icp_number", true, Value::Str(|r| r.icp_number.as_deref())),
        column("psb_number", true, Value::Str(|r| r.psb_number.as_deref())),
        column("started_at", false, Value::Timestamp(|r| r.started_at_us)),
        dict(
            "page_class",
            true,
            Value::Str(|r| r.page_class.map(|c| c.class.as_str())),
        ),
        dict(
            "page_vendor",
            true,
            Value::Str(|r| r.page_class.and_then(|c| c.vendor).map(|v| v.id)),
        ),
        dict(
            "page_marker",
            true,
            Value::Str(|r| r.page_class.map(|c| c.marker).filter(|m| !m.is_empty())),
        ),
        dict(
            col::EDGE_PROVIDER,
            true,
            Value::Str(|r| r.edge_provider.map(|v| v.id)),
        ),
        column("page_title", true, Value::Str(|r| r.page_title.as_deref())),
        dict("page_lang", true, Value::Str(|r| r.page_lang.as_deref())),
        dict(
            "page_lang_declared",
            true,
            Value::Str(|r| r.page_lang_declared.as_deref()),
        ),
        column("interactive", false, Value::Strings(|r| &r.interactive)),
        column("commerce", false, Value::Strings(|r| &r.commerce)),
        column(
            "page_sha256",
            true,
            Value::Str(|r| r.page_sha256.as_deref()),
        ),
        dict("warc_file", true, Value::Str(|r| r.warc_file.as_deref())),
        column(
            "warc_record_id",
            true,
            Value::Str(|r| r.warc_record_id.as_deref()),
        ),
        column(
            "warc_offset",
            true,
            Value::Int64(|r| r.warc_offset.map(int64)),
        ),
        column("screenshot", true, Value::Str(|r| r.screenshot.as_deref())),
        column(
            "screenshot_sha256",
            true,
            Value::Str(|r| r.screenshot_sha256.as_deref()),
        ),
    ],
};

/// `findings`: one row per site × rule (× host for page rules). The values repeated on a
/// site's ~34 rows (domain, host, URL, number, the catalogue's fixes) have dictionaries.
pub static FINDINGS: Table<FindingRow> = Table {
    name: crate::layout::FINDINGS,
    columns: &[
        dict(col::RUN_ID, false, Value::RunId),
        column(
            col::INPUT_LINE,
            false,
            Value::Int64(|r| Some(int64(r.input_line))),
        ),
        dict(col::DOMAIN, false, Value::Str(|r| Some(&r.domain))),
        dict(col::HOST, true, Value::Str(|r| r.finding.host.as_deref())),
        dict(col::RULE_ID, false, Value::Str(|r| Some(r.finding.rule_id))),
        dict(
            col::VERDICT,
            false,
            Value::Str(|r| Some(r.finding.verdict.as_str())),
        ),
        column(
            col::EVIDENCE,
            false,
            Value::Str(|r| Some(&r.finding.evidence)),
        ),
        dict("url", true, Value::Str(|r| r.finding.url.as_deref())),
        dict("number", true, Value::Str(|r| r.finding.number.as_deref())),
        dict(
            "link_host",
            true,
            Value::Str(|r| r.finding.link_host.as_deref()),
        ),
        dict(
            col::FIX_ZH,
            true,
            Value::Str(|r| r.finding.fix.map(|f| f.zh)),
        ),
        dict(
            col::FIX_EN,
            true,
            Value::Str(|r| r.finding.fix.map(|f| f.en)),
        ),
        column(
            col::WAIVED,
            false,
            Value::Bool(|r| Some(r.waiver.is_some())),
        ),
        dict("waiver_id", true, Value::Str(|r| r.waiver.as_deref())),
        column(
            col::EVIDENCE_ZH,
            false,
            Value::Str(|r| Some(&r.finding.evidence_zh)),
        ),
    ],
};

fn hop_fields() -> Fields {
    Fields::from(vec![
        Field::new("url", DataType::Utf8, false),
        Field::new("status", DataType::Int32, false),
        Field::new("location", DataType::Utf8, false),
    ])
}

fn list_of(item: DataType) -> DataType {
    DataType::List(Arc::new(Field::new("item", item, true)))
}

impl<R> Value<R> {
    /// The Arrow type of the column.
    pub fn data_type(&self) -> DataType {
        match self {
            Value::RunId | Value::Str(_) => DataType::Utf8,
            Value::Int64(_) => DataType::Int64,
            Value::Int32(_) => DataType::Int32,
            Value::Bool(_) => DataType::Boolean,
            Value::Date(_) => DataType::Date32,
            Value::Timestamp(_) => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Value::Strings(_) | Value::OptionalStrings(_) => list_of(DataType::Utf8),
            Value::Hops(_) => list_of(DataType::Struct(hop_fields())),
        }
    }

    /// The type as docs/SCHEMA.md writes it.
    pub fn doc_type(&self) -> &'static str {
        match self {
            Value::RunId | Value::Str(_) => "string",
            Value::Int64(_) => "int64",
            Value::Int32(_) => "int32",
            Value::Bool(_) => "bool",
            Value::Date(_) => "date",
            Value::Timestamp(_) => "timestamp[us, UTC]",
            Value::Strings(_) | Value::OptionalStrings(_) => "list<string>",
            Value::Hops(_) => "list<struct<url: string, status: int32, location: string>>",
        }
    }

    /// The column's values for `rows`.
    fn array(&self, run_id: &str, rows: &[R]) -> Result<ArrayRef, ArrowError> {
        Ok(match self {
            Value::RunId => Arc::new(StringArray::from(vec![run_id; rows.len()])),
            Value::Str(f) => Arc::new(rows.iter().map(f).collect::<StringArray>()),
            Value::Int64(f) => Arc::new(rows.iter().map(f).collect::<Int64Array>()),
            Value::Int32(f) => Arc::new(rows.iter().map(f).collect::<Int32Array>()),
            Value::Bool(f) => Arc::new(rows.iter().map(f).collect::<BooleanArray>()),
            Value::Date(f) => Arc::new(rows.iter().map(f).collect::<Date32Array>()),
            Value::Timestamp(f) => Arc::new(
                TimestampMicrosecondArray::from(rows.iter().map(f).collect::<Vec<_>>())
                    .with_timezone("UTC"),
            ),
            Value::Strings(f) => {
                let mut b = ListBuilder::new(StringBuilder::new());
                for row in rows {
                    for s in f(row) {
                        b.values().append_value(s);
                    }
                    b.append(true);
                }
                Arc::new(b.finish())
            }
            Value::OptionalStrings(f) => {
                let mut b = ListBuilder::new(StringBuilder::new());
                for row in rows {
                    match f(row) {
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
            Value::Hops(f) => hops_array(rows.iter().map(f))?,
        })
    }
}

fn hops_array<'a>(
    per_row: impl Iterator<Item = &'a [Hop]> + Clone,
) -> Result<ArrayRef, ArrowError> {
    let hops: Vec<&Hop> = per_row.clone().flatten().collect();
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
    let offsets = OffsetBuffer::from_lengths(per_row.map(<[Hop]>::len));
    let field = Arc::new(Field::new("item", DataType::Struct(hop_fields()), true));
    Ok(Arc::new(ListArray::try_new(
        field,
        offsets,
        Arc::new(values),
        None,
    )?))
}

impl<R> Table<R> {
    /// The Arrow schema.
    pub fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|c| Field::new(c.name, c.value.data_type(), c.nullable))
                .collect::<Vec<_>>(),
        ))
    }

    /// `rows` as a record batch of `schema` (this table's [`Table::schema`]).
    pub fn batch(
        &self,
        run_id: &str,
        schema: &SchemaRef,
        rows: &[R],
    ) -> Result<RecordBatch, ArrowError> {
        let columns = self
            .columns
            .iter()
            .map(|c| c.value.array(run_id, rows))
            .collect::<Result<Vec<_>, _>>()?;
        RecordBatch::try_new(schema.clone(), columns)
    }

    /// The Parquet column paths written with a dictionary (a list's values sit at
    /// `name.list.item`).
    pub fn dictionary_paths(&self) -> impl Iterator<Item = ColumnPath> + '_ {
        self.columns.iter().filter(|c| c.dictionary).map(|c| {
            let mut path = vec![c.name.to_string()];
            if matches!(c.value, Value::Strings(_) | Value::OptionalStrings(_)) {
                path.extend(["list".to_string(), "item".to_string()]);
            }
            ColumnPath::new(path)
        })
    }
}

/// The `sites` schema.
pub fn sites_schema() -> SchemaRef {
    SITES.schema()
}

/// The `fetches` schema.
pub fn fetches_schema() -> SchemaRef {
    FETCHES.schema()
}

/// The `findings` schema.
pub fn findings_schema() -> SchemaRef {
    FINDINGS.schema()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(name, type, nullable)` of the rows of the column table under `## \`table\`` in
    /// docs/SCHEMA.md.
    fn documented(table: &str) -> Vec<(String, String, bool)> {
        let doc = include_str!("../../../docs/SCHEMA.md");
        let heading = format!("## `{table}`");
        let section = doc
            .split("\n## ")
            .find(|s| format!("## {s}").starts_with(&heading))
            .unwrap_or_else(|| panic!("docs/SCHEMA.md has no section {heading}"));
        section
            .lines()
            .filter(|l| l.starts_with("| `"))
            .map(|l| {
                let cells: Vec<&str> = l.split(" | ").collect();
                (
                    cells[0]
                        .trim_start_matches("| ")
                        .trim_matches('`')
                        .to_string(),
                    cells[1].to_string(),
                    match cells[2] {
                        "yes" => true,
                        "no" => false,
                        other => panic!("nullable {other:?} in {l}"),
                    },
                )
            })
            .collect()
    }

    fn defined<R>(table: &Table<R>) -> Vec<(String, String, bool)> {
        table
            .columns
            .iter()
            .map(|c| {
                (
                    c.name.to_string(),
                    c.value.doc_type().to_string(),
                    c.nullable,
                )
            })
            .collect()
    }

    #[test]
    fn the_tables_are_the_documented_ones() {
        assert_eq!(defined(&SITES), documented("sites"));
        assert_eq!(defined(&FETCHES), documented("fetches"));
        assert_eq!(defined(&FINDINGS), documented("findings"));
    }

    #[test]
    fn dictionary_paths_name_list_items() {
        let paths: Vec<String> = SITES.dictionary_paths().map(|p| p.string()).collect();
        assert!(
            paths.contains(&"failing_rules.list.item".to_string()),
            "{paths:?}"
        );
        assert!(paths.contains(&"status".to_string()), "{paths:?}");
        assert!(!paths.contains(&"input".to_string()), "{paths:?}");
    }

    #[test]
    fn an_empty_batch_has_the_schema() {
        let schema = FETCHES.schema();
        let batch = FETCHES.batch("r", &schema, &[]).unwrap();
        assert_eq!(batch.num_rows(), 0);
        assert_eq!(batch.schema(), schema);
    }
}
