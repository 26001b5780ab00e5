//! Response bodies: streaming decompression (async-compression) with a cap on decoded bytes,
//! and `<meta http-equiv="refresh">` detection on landing pages.

use std::sync::LazyLock;

use beian_types::ErrorClass;
use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::BodyStream;
use regex::bytes::Regex;
use tokio::io::{AsyncRead, AsyncReadExt, BufReader};
use tokio_util::io::StreamReader;

use crate::FetchError;

/// Reads a body, decoding `Content-Encoding`, keeping at most `cap` decoded bytes.
/// Returns the bytes and whether more were available.
pub(crate) async fn read_decoded(
    body: hyper::body::Incoming,
    encoding: Option<&str>,
    cap: usize,
) -> Result<(Bytes, bool), FetchError> {
    let stream = BodyStream::new(body)
        .map_ok(|frame| frame.into_data().unwrap_or_default())
        .map_err(std::io::Error::other);
    let raw = BufReader::new(StreamReader::new(stream));
    let enc = encoding
        .map(|e| e.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match enc.as_str() {
        "" | "identity" => read_capped(raw, cap, false).await,
        "gzip" | "x-gzip" => {
            read_capped(
                async_compression::tokio::bufread::GzipDecoder::new(raw),
                cap,
                true,
            )
            .await
        }
        // HTTP `deflate` is zlib-wrapped (RFC 9110).
        "deflate" => {
            read_capped(
                async_compression::tokio::bufread::ZlibDecoder::new(raw),
                cap,
                true,
            )
            .await
        }
        "br" => {
            read_capped(
                async_compression::tokio::bufread::BrotliDecoder::new(raw),
                cap,
                true,
            )
            .await
        }
        "zstd" => {
            read_capped(
                async_compression::tokio::bufread::ZstdDecoder::new(raw),
                cap,
                true,
            )
            .await
        }
        other => Err(FetchError::new(
            ErrorClass::BodyDecode,
            format!("unsupported Content-Encoding {other:?}"),
        )),
    }
}

async fn read_capped<R: AsyncRead + Unpin>(
    reader: R,
    cap: usize,
    compressed: bool,
) -> Result<(Bytes, bool), FetchError> {
    let mut buf = Vec::with_capacity(cap.min(64 * 1024));
    let mut limited = reader.take(cap as u64 + 1);
    match limited.read_to_end(&mut buf).await {
        Ok(_) => {}
        Err(e) => {
            // Transport errors arrive as `Other` (see `read_decoded`); decoders report
            // `InvalidData` and friends.
            let class = if compressed && e.kind() != std::io::ErrorKind::Other {
                ErrorClass::BodyDecode
            } else {
                ErrorClass::HttpProtocol
            };
            return Err(FetchError::new(class, format!("reading body: {e}")));
        }
    }
    let truncated = buf.len() > cap;
    buf.truncate(cap);
    Ok((Bytes::from(buf), truncated))
}

static REFRESH_A: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)<meta[^>]*http-equiv\s*=\s*["']?refresh["']?[^>]*content\s*=\s*["']\s*[0-9.]*\s*[;,]\s*(?:url\s*=\s*)?['"]?([^"'>]+)"#)
        .expect("static regex")
});
static REFRESH_B: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)<meta[^>]*content\s*=\s*["']\s*[0-9.]*\s*[;,]\s*(?:url\s*=\s*)?['"]?([^"'>]+)["'][^>]*http-equiv\s*=\s*["']?refresh"#)
        .expect("static regex")
});

/// The target of a `<meta http-equiv="refresh">` in the first 64 KiB, if any.
pub(crate) fn meta_refresh(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(64 * 1024)];
    let caps = REFRESH_A
        .captures(head)
        .or_else(|| REFRESH_B.captures(head))?;
    let target = String::from_utf8_lossy(caps.get(1)?.as_bytes())
        .trim()
        .to_string();
    (!target.is_empty()).then_some(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_both_attribute_orders() {
        assert_eq!(
            meta_refresh(br#"<meta http-equiv="refresh" content="0; url=https://www.a.cn/">"#)
                .as_deref(),
            Some("https://www.a.cn/")
        );
        assert_eq!(
            meta_refresh(br#"<META CONTENT="3;URL='/x'" HTTP-EQUIV="Refresh">"#).as_deref(),
            Some("/x")
        );
        assert_eq!(
            meta_refresh(br#"<meta http-equiv="refresh" content="300">"#),
            None
        );
    }
}
