//! The run's evidence parts (`evidence/part-NNNNN.warc.gz`, docs/SCHEMA.md "Evidence"): the
//! WARC records (`warc`) of the exchanges each site's captures name, numbered and closed with
//! the Parquet parts of the same checkpoint, under a temporary name until then — so resuming
//! keeps or removes them by the same rule as the tables' parts. Each `fetches` row whose probe
//! was captured gets its page's SHA-256 and where its final response's record is.
//!
//! Reading them back for people (`beian evidence`): a domain's captured probes
//! ([`captured`]) and one record at its offset ([`read_record`]).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use beian_types::{Exchange, SiteReport};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::warc::{self, Record};
use crate::{WriteError, io, layout};

/// A complete evidence part, as `run.json` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceFile {
    /// Its path in the run directory (`evidence/part-00003.warc.gz`).
    pub file: String,
    /// The SHA-256 of the file, hexadecimal.
    pub sha256: String,
    /// Its records, the `warcinfo` record included.
    pub records: u64,
    /// Its size.
    pub bytes: u64,
}

/// The part being written.
struct Open {
    out: BufWriter<File>,
    tmp: PathBuf,
    path: PathBuf,
    /// The part's path in the run directory.
    rel: String,
    offset: u64,
    hash: Sha256,
    records: u64,
    warcinfo: String,
}

impl Open {
    /// Appends one record as its own gzip member; returns the member's offset.
    fn record(&mut self, r: &Record<'_>) -> Result<u64, WriteError> {
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        let member = gz
            .write_all(&r.to_bytes())
            .and_then(|()| gz.finish())
            .map_err(io(&self.tmp))?;
        self.out.write_all(&member).map_err(io(&self.tmp))?;
        self.hash.update(&member);
        let at = self.offset;
        self.offset += member.len() as u64;
        self.records += 1;
        Ok(at)
    }

    /// The request and response records of `ex`; returns the response's id, its offset and
    /// the payload's SHA-256.
    fn exchange(&mut self, ex: &Exchange) -> Result<(String, u64, String), WriteError> {
        let (request_id, response_id) = (warc::record_id(), warc::record_id());
        let date = warc::warc_date(ex.at_us);
        let ip = ex.remote_addr.map(|a| a.ip().to_string());
        let warcinfo = self.warcinfo.clone();
        let common = |concurrent: &str| {
            let mut f = vec![
                ("WARC-Target-URI", ex.url.clone()),
                ("WARC-Warcinfo-ID", warcinfo.clone()),
                ("WARC-Concurrent-To", concurrent.to_string()),
            ];
            f.extend(ip.clone().map(|ip| ("WARC-IP-Address", ip)));
            f
        };
        let request = warc::request_block(ex);
        let fields = common(&response_id);
        self.record(&Record {
            kind: "request",
            id: &request_id,
            date: &date,
            fields,
            content_type: "application/http;msgtype=request",
            block: &request,
        })?;
        let response = warc::response_block(ex);
        let mut fields = common(&request_id);
        let payload = warc::sha256_hex(&ex.body);
        fields.push(("WARC-Payload-Digest", format!("sha256:{payload}")));
        if let Some(coding) = &ex.decoded {
            fields.push(("WARC-Beian-Decoding", coding.clone()));
        }
        if ex.truncated {
            fields.push(("WARC-Truncated", "length".into()));
        }
        let at = self.record(&Record {
            kind: "response",
            id: &response_id,
            date: &date,
            fields,
            content_type: "application/http;msgtype=response",
            block: &response,
        })?;
        Ok((response_id, at, payload))
    }
}

/// Writes the evidence parts of one run directory.
pub(crate) struct EvidenceWriter {
    dir: PathBuf,
    run_id: String,
    part: usize,
    open: Option<Open>,
    /// The run's complete parts: an interrupted run's, then the ones this writer closed.
    pub(crate) files: Vec<EvidenceFile>,
}

impl EvidenceWriter {
    /// The evidence parts under `root`, from part number `part` on, after the `earlier`
    /// parts of an interrupted run.
    pub(crate) fn new(
        root: &Path,
        run_id: &str,
        part: usize,
        earlier: Vec<EvidenceFile>,
    ) -> EvidenceWriter {
        EvidenceWriter {
            dir: root.join(layout::EVIDENCE),
            run_id: run_id.to_string(),
            part,
            open: None,
            files: earlier,
        }
    }

    fn open(&mut self) -> Result<&mut Open, WriteError> {
        if self.open.is_none() {
            std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
            let name = layout::evidence_part_name(self.part);
            let tmp = self.dir.join(layout::tmp_evidence_part_name(self.part));
            let file = File::create(&tmp).map_err(io(&tmp))?;
            let mut open = Open {
                out: BufWriter::with_capacity(256 * 1024, file),
                path: self.dir.join(&name),
                rel: format!("{}/{name}", layout::EVIDENCE),
                tmp,
                offset: 0,
                hash: Sha256::new(),
                records: 0,
                warcinfo: warc::record_id(),
            };
            let info = warc::warcinfo_block(&self.run_id, &name);
            let (id, date) = (
                open.warcinfo.clone(),
                warc::warc_date(beian_types::now_us()),
            );
            open.record(&Record {
                kind: "warcinfo",
                id: &id,
                date: &date,
                fields: vec![("WARC-Filename", name.clone())],
                content_type: "application/warc-fields",
                block: &info,
            })?;
            self.open = Some(open);
        }
        Ok(self.open.as_mut().expect("opened above"))
    }

    /// Writes the records of `report`'s captures (each exchange once: the site's probes share
    /// responses) and fills the captured `fetches` rows' evidence columns.
    pub(crate) fn write(&mut self, report: &mut SiteReport) -> Result<(), WriteError> {
        if report.evidence.is_empty() {
            return Ok(());
        }
        let open = self.open()?;
        // Each exchange once: (its pointer, its response's id, offset and payload digest).
        let mut written: Vec<(*const Exchange, (String, u64, String))> = Vec::new();
        for capture in &report.evidence {
            let mut last = None;
            for ex in &capture.exchanges {
                let key = Arc::as_ptr(ex);
                let record = match written.iter().find(|(k, _)| *k == key) {
                    Some((_, record)) => record.clone(),
                    None => {
                        let record = open.exchange(ex)?;
                        written.push((key, record.clone()));
                        record
                    }
                };
                last = Some(record);
            }
            if let (Some((id, at, payload)), Some(row)) =
                (last, report.fetches.get_mut(capture.fetch))
            {
                row.page_sha256 = Some(payload);
                row.warc_file = Some(open.rel.clone());
                row.warc_record_id = Some(id);
                row.warc_offset = Some(at);
            }
        }
        Ok(())
    }

    /// Closes the open part (if any) under its final name; the next records go to the next
    /// number, as the tables' next rows do. Returns the completed part's path.
    pub(crate) fn close_part(&mut self) -> Result<Option<PathBuf>, WriteError> {
        self.part += 1;
        let Some(open) = self.open.take() else {
            return Ok(None);
        };
        let file = open
            .out
            .into_inner()
            .map_err(|e| io(&open.tmp)(e.into_error()))?;
        file.sync_all().map_err(io(&open.tmp))?;
        std::fs::rename(&open.tmp, &open.path).map_err(io(&open.path))?;
        self.files.push(EvidenceFile {
            file: open.rel,
            sha256: warc::hex(&open.hash.finalize()),
            records: open.records,
            bytes: open.offset,
        });
        Ok(Some(open.path))
    }
}

/// A complete evidence part `rel` of the run directory `dir`, described from its bytes (the
/// parts an interrupted run left): read once, as a stream, hashed and its members counted.
pub(crate) fn described(dir: &Path, rel: &str) -> Result<EvidenceFile, WriteError> {
    use std::io::BufRead;

    let path = dir.join(rel);
    let file = File::open(&path).map_err(io(&path))?;
    let mut reader = std::io::BufReader::new(Hashing {
        inner: file,
        hash: Sha256::new(),
        bytes: 0,
    });
    let mut records = 0;
    // A member that does not inflate ends the count; the hash still covers the whole file.
    while !reader.fill_buf().map_err(io(&path))?.is_empty() {
        let mut gz = flate2::bufread::GzDecoder::new(reader);
        let whole = std::io::copy(&mut gz, &mut std::io::sink()).is_ok();
        reader = gz.into_inner();
        if !whole {
            std::io::copy(&mut reader, &mut std::io::sink()).map_err(io(&path))?;
            break;
        }
        records += 1;
    }
    let hashing = reader.into_inner();
    Ok(EvidenceFile {
        file: rel.to_string(),
        sha256: warc::hex(&hashing.hash.finalize()),
        records,
        bytes: hashing.bytes,
    })
}

/// A reader that hashes and counts what passes through it.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
    bytes: u64,
}

impl<R: std::io::Read> std::io::Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// A probe of a domain whose final response is in the evidence, or whose page has a
/// screenshot, as its `fetches` row says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedProbe {
    /// The host probed.
    pub host: String,
    /// `https` or `http`.
    pub scheme: String,
    /// The first URL requested.
    pub url: String,
    /// The URL of the final response.
    pub final_url: String,
    /// Its status.
    pub status: Option<i32>,
    /// Where its record is.
    pub record: Option<RecordRef>,
    /// The screenshot of its page (`--screenshots`): the file as written, its SHA-256.
    pub screenshot: Option<(String, String)>,
}

/// Where a response's record is, and its body's SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRef {
    /// The part holding it.
    pub file: String,
    /// Its id.
    pub id: String,
    /// Its offset in the part.
    pub offset: u64,
    /// The SHA-256 of the body, hexadecimal.
    pub page_sha256: String,
}

/// The captured probes of `domain` (its ASCII form) in the run directory `dir` (a record or a
/// screenshot), in the table's order.
pub fn captured(dir: &Path, domain: &str) -> Result<Vec<CapturedProbe>, WriteError> {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Int32Type, Int64Type};
    use parquet::arrow::ProjectionMask;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    const COLUMNS: [&str; 12] = [
        "domain",
        "host",
        "scheme",
        "url",
        "final_url",
        "status",
        "page_sha256",
        "warc_file",
        "warc_record_id",
        "warc_offset",
        "screenshot",
        "screenshot_sha256",
    ];
    let table = dir.join(layout::FETCHES);
    let parts = crate::part_files(&table).map_err(io(&table))?;
    let mut out = Vec::new();
    for path in parts {
        let bad = |m: String| WriteError::Evidence {
            path: path.display().to_string(),
            message: m,
        };
        let f = File::open(&path).map_err(io(&path))?;
        let b = ParquetRecordBatchReaderBuilder::try_new(f).map_err(|e| bad(e.to_string()))?;
        let mask = ProjectionMask::columns(b.parquet_schema(), COLUMNS);
        let reader = b
            .with_projection(mask)
            .build()
            .map_err(|e| bad(e.to_string()))?;
        for batch in reader {
            let batch = batch.map_err(|e| bad(e.to_string()))?;
            let text = |name: &str| {
                batch
                    .column_by_name(name)
                    .and_then(|c| c.as_string_opt::<i32>().cloned())
                    .ok_or_else(|| {
                        bad(format!(
                            "{name}: no such string column (schema before 2.10?)"
                        ))
                    })
            };
            let (domains, hosts, schemes, urls) = (
                text("domain")?,
                text("host")?,
                text("scheme")?,
                text("url")?,
            );
            let (finals, digests, files, ids) = (
                text("final_url")?,
                text("page_sha256")?,
                text("warc_file")?,
                text("warc_record_id")?,
            );
            let status = batch
                .column_by_name("status")
                .and_then(|c| c.as_primitive_opt::<Int32Type>().cloned())
                .ok_or_else(|| bad("status: not int32".into()))?;
            let (shots, shot_digests) = (text("screenshot")?, text("screenshot_sha256")?);
            let offsets = batch
                .column_by_name("warc_offset")
                .and_then(|c| c.as_primitive_opt::<Int64Type>().cloned())
                .ok_or_else(|| bad("warc_offset: not int64".into()))?;
            for i in 0..batch.num_rows() {
                if domains.value(i) != domain {
                    continue;
                }
                let value =
                    |a: &arrow_array::StringArray| (!a.is_null(i)).then(|| a.value(i).to_string());
                let record = match (value(&files), value(&ids), value(&digests)) {
                    (Some(file), Some(id), Some(page_sha256)) => Some(RecordRef {
                        file,
                        id,
                        offset: u64::try_from(offsets.value(i)).unwrap_or(0),
                        page_sha256,
                    }),
                    _ => None,
                };
                let screenshot = value(&shots).zip(value(&shot_digests));
                if record.is_none() && screenshot.is_none() {
                    continue;
                }
                out.push(CapturedProbe {
                    host: hosts.value(i).to_string(),
                    scheme: schemes.value(i).to_string(),
                    url: urls.value(i).to_string(),
                    final_url: finals.value(i).to_string(),
                    status: (!status.is_null(i)).then(|| status.value(i)),
                    record,
                    screenshot,
                });
            }
        }
    }
    Ok(out)
}

/// One WARC record as read from its part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarcRecord {
    /// Its named fields, in order.
    pub fields: Vec<(String, String)>,
    /// Its block (for a response: the HTTP message).
    pub block: Vec<u8>,
}

impl WarcRecord {
    /// The value of field `name` (case-insensitive).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// An HTTP record's head (status or request line and headers, with the blank line) and
    /// body.
    pub fn http(&self) -> (&[u8], &[u8]) {
        let at = self
            .block
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(self.block.len(), |p| p + 4);
        self.block.split_at(at)
    }
}

/// The record whose gzip member starts at `offset` of the evidence part `file` (relative to
/// the run directory `dir`).
pub fn read_record(dir: &Path, file: &str, offset: u64) -> Result<WarcRecord, WriteError> {
    use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

    let path = dir.join(file);
    let bad = |m: &str| WriteError::Evidence {
        path: format!("{} at offset {offset}", path.display()),
        message: m.to_string(),
    };
    let mut f = File::open(&path).map_err(io(&path))?;
    f.seek(SeekFrom::Start(offset)).map_err(io(&path))?;
    let mut member = BufReader::new(flate2::bufread::GzDecoder::new(BufReader::new(f)));
    let mut line = String::new();
    let mut read_line = |line: &mut String| {
        line.clear();
        member
            .read_line(line)
            .map_err(|e| bad(&format!("not a WARC record: {e}")))
    };
    read_line(&mut line)?;
    if !line.starts_with("WARC/") {
        return Err(bad("not a WARC record (no version line)"));
    }
    let mut fields = Vec::new();
    loop {
        read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (n, v) = l
            .split_once(':')
            .ok_or_else(|| bad("a field line without a colon"))?;
        fields.push((n.trim().to_string(), v.trim().to_string()));
    }
    let length: usize = fields
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
        .and_then(|(_, v)| v.parse().ok())
        .ok_or_else(|| bad("no Content-Length"))?;
    let mut block = vec![0; length];
    member
        .read_exact(&mut block)
        .map_err(|e| bad(&format!("the block is cut short: {e}")))?;
    Ok(WarcRecord { fields, block })
}

/// The response record `r` names, checked: the record at its offset is the one named, and its
/// body hashes to the SHA-256 the row stored (else the part was changed after the run).
pub fn read_response(dir: &Path, r: &RecordRef) -> Result<WarcRecord, WriteError> {
    let record = read_record(dir, &r.file, r.offset).map_err(|e| match e {
        // The run wrote a record there: anything else means the part is not as written.
        WriteError::Evidence { path, message } => WriteError::Evidence {
            path,
            message: format!("{message}: the part was changed after the run"),
        },
        other => other,
    })?;
    let changed = |m: String| WriteError::Evidence {
        path: format!("{} at offset {}", dir.join(&r.file).display(), r.offset),
        message: format!("{m}: the part was changed after the run"),
    };
    if record.field("WARC-Record-ID") != Some(r.id.as_str()) {
        return Err(changed(format!(
            "the record there is {}, not {}",
            record.field("WARC-Record-ID").unwrap_or("unnamed"),
            r.id
        )));
    }
    let digest = warc::sha256_hex(record.http().1);
    if digest != r.page_sha256 {
        return Err(changed(format!(
            "the body's SHA-256 is {digest}, the run stored {}",
            r.page_sha256
        )));
    }
    Ok(record)
}

/// The screenshot file `path`, checked against the SHA-256 its row stored.
pub fn read_screenshot(path: &Path, sha256: &str) -> Result<Vec<u8>, WriteError> {
    let png = std::fs::read(path).map_err(io(path))?;
    let digest = warc::sha256_hex(&png);
    if digest != sha256 {
        return Err(WriteError::Evidence {
            path: path.display().to_string(),
            message: format!(
                "its SHA-256 is {digest}, the run stored {sha256}: the file was changed after the run"
            ),
        });
    }
    Ok(png)
}
