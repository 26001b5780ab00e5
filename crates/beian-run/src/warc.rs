//! WARC/1.1 records (ISO 28500:2017) of the audit's HTTP exchanges: the bytes of the run's
//! evidence parts (`evidence.rs` writes them).
//!
//! A part holds a `warcinfo` record, then a `request` and a `response` record per exchange,
//! linked both ways by `WARC-Concurrent-To`, each record its own gzip member so that a reader
//! seeks to a record's offset and inflates it alone (as wget and warcio write them).
//!
//! The response's payload is the body as the audit read it: the client removed the transfer
//! coding (chunked) and the content coding it understood (gzip, deflate, br, zstd). The HTTP
//! headers of the record say so, so that the block is one consistent message: the
//! `Transfer-Encoding` and `Content-Encoding` headers are kept as `X-Original-…`, the
//! `Content-Length` is the decoded body's (the original kept the same way), and the record's
//! `WARC-Beian-Decoding` field names the coding removed. Block and payload digests are SHA-256
//! in hexadecimal, which `warcio check` verifies; the payload digest is the `page_sha256` of the
//! `fetches` row.
//!
//! Written here rather than with a crate: the `warc` crate computes no digests and wraps a
//! whole file in one gzip stream (no record can be read at its offset), and `warcat` is a
//! streaming codec whose model would sit between us and the few lines each record takes.

use beian_types::Exchange;
use sha2::{Digest, Sha256};

/// The hexadecimal SHA-256 of `bytes`: how the evidence's digests and the rows' fingerprints
/// are written.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new record id, `<urn:uuid:…>`: a version 4 UUID whose bits are the SHA-256 of the time,
/// the process and a counter — unique, which is all a record id must be.
pub(crate) fn record_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut h = Sha256::new();
    h.update(now.to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h.finalize()[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!(
        "<urn:uuid:{}-{}-{}-{}-{}>",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// `WARC-Date`: UTC, to the microsecond (WARC 1.1 allows a fraction of a second).
pub(crate) fn warc_date(us: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// One record: its named fields (besides the ones every record has) and its block.
pub(crate) struct Record<'a> {
    pub(crate) kind: &'static str,
    pub(crate) id: &'a str,
    pub(crate) date: &'a str,
    pub(crate) fields: Vec<(&'static str, String)>,
    pub(crate) content_type: &'static str,
    pub(crate) block: &'a [u8],
}

impl Record<'_> {
    /// The record as it is written (uncompressed): version line, fields, block, and the two
    /// line ends that close it.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut head = String::with_capacity(512);
        head.push_str("WARC/1.1\r\n");
        let mut field = |name: &str, value: &str| {
            head.push_str(name);
            head.push_str(": ");
            head.push_str(value);
            head.push_str("\r\n");
        };
        field("WARC-Type", self.kind);
        field("WARC-Record-ID", self.id);
        field("WARC-Date", self.date);
        for (name, value) in &self.fields {
            field(name, value);
        }
        field("Content-Type", self.content_type);
        field(
            "WARC-Block-Digest",
            &format!("sha256:{}", sha256_hex(self.block)),
        );
        field("Content-Length", &self.block.len().to_string());
        head.push_str("\r\n");
        let mut out = Vec::with_capacity(head.len() + self.block.len() + 4);
        out.extend_from_slice(head.as_bytes());
        out.extend_from_slice(self.block);
        out.extend_from_slice(b"\r\n\r\n");
        out
    }
}

/// A header value as it can stand on one line: line breaks would end the field.
fn one_line(v: &str) -> String {
    v.replace(['\r', '\n'], " ")
}

/// The request's block: its request line and headers (the audit sends no body).
pub(crate) fn request_block(ex: &Exchange) -> Vec<u8> {
    let mut s = format!("GET {} HTTP/1.1\r\n", one_line(&ex.target));
    for (n, v) in &ex.request_headers {
        s.push_str(&format!("{n}: {}\r\n", one_line(v)));
    }
    s.push_str("\r\n");
    s.into_bytes()
}

/// The response's block: status line, headers made true of the body kept (module docs), body.
pub(crate) fn response_block(ex: &Exchange) -> Vec<u8> {
    let mut s = format!("{} {} {}\r\n", ex.version, ex.status, ex.reason);
    let mut length_written = false;
    for (n, v) in &ex.headers {
        let v = one_line(v);
        let rewritten = match n.as_str() {
            "transfer-encoding" => true,
            "content-encoding" => ex.decoded.is_some(),
            "content-length" => ex.decoded.is_some() || ex.truncated,
            _ => false,
        };
        if rewritten {
            s.push_str(&format!("x-original-{n}: {v}\r\n"));
        } else {
            s.push_str(&format!("{n}: {v}\r\n"));
            length_written |= n == "content-length";
        }
    }
    if !length_written {
        s.push_str(&format!("content-length: {}\r\n", ex.body.len()));
    }
    s.push_str("\r\n");
    let mut out = s.into_bytes();
    out.extend_from_slice(&ex.body);
    out
}

/// The fields of the `warcinfo` record that opens a part.
pub(crate) fn warcinfo_block(run_id: &str, filename: &str) -> Vec<u8> {
    format!(
        "software: beian-audit {}\r\nformat: WARC File Format 1.1\r\nconformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\nisPartOf: {run_id}\r\ndescription: the HTTP exchanges an ICP-filing audit judged its findings on; response bodies as the client decoded them (WARC-Beian-Decoding)\r\nfilename: {filename}\r\n",
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn exchange() -> Exchange {
        Exchange {
            url: "https://example.com/".into(),
            target: "/".into(),
            request_headers: vec![("host".into(), "example.com".into())],
            at_us: 1_765_000_000_123_456,
            remote_addr: None,
            version: "HTTP/1.1",
            status: 200,
            reason: "OK",
            headers: vec![
                ("content-type".into(), "text/html".into()),
                ("content-encoding".into(), "gzip".into()),
                ("content-length".into(), "31".into()),
                ("transfer-encoding".into(), "chunked".into()),
            ],
            body: Bytes::from_static(b"<p>hi</p>"),
            decoded: Some("gzip".into()),
            truncated: false,
        }
    }

    #[test]
    fn a_decoded_body_gets_headers_that_describe_it() {
        let block = String::from_utf8(response_block(&exchange())).unwrap();
        assert_eq!(
            block,
            "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nx-original-content-encoding: gzip\r\n\
             x-original-content-length: 31\r\nx-original-transfer-encoding: chunked\r\n\
             content-length: 9\r\n\r\n<p>hi</p>"
        );
    }

    #[test]
    fn dates_and_ids_have_their_forms() {
        assert_eq!(
            warc_date(1_765_000_000_123_456),
            "2025-12-06T05:46:40.123456Z"
        );
        let id = record_id();
        assert!(id.starts_with("<urn:uuid:") && id.ends_with('>'), "{id}");
        assert_eq!(id.len(), "<urn:uuid:>".len() + 36);
        assert_ne!(id, record_id());
    }

    #[test]
    fn a_record_ends_with_its_block_and_two_line_ends() {
        let r = Record {
            kind: "resource",
            id: "<urn:uuid:x>",
            date: "2026-01-01T00:00:00Z",
            fields: vec![("WARC-Target-URI", "https://a/".into())],
            content_type: "text/plain",
            block: b"abc",
        };
        let text = String::from_utf8(r.to_bytes()).unwrap();
        assert!(
            text.starts_with("WARC/1.1\r\nWARC-Type: resource\r\n"),
            "{text}"
        );
        assert!(text.contains(&format!(
            "WARC-Block-Digest: sha256:{}\r\n",
            sha256_hex(b"abc")
        )));
        assert!(
            text.ends_with("Content-Length: 3\r\n\r\nabc\r\n\r\n"),
            "{text}"
        );
    }
}
