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

/// How much of a long body's start is kept (the `<head>`: charset and meta refresh).
const HEAD_KEEP: usize = 64 * 1024;
/// Reading stops after this many times the cap: an endless body must not run the probe's
/// whole time budget down at loopback speed.
const READ_LIMIT_FACTOR: u64 = 16;

/// Reads at most `cap` bytes of memory: the whole body when it fits, else its start and its
/// end — the footer is at the end of a page, so a long page keeps its tail (icp-rules.md §6;
/// issue 3). The two parts are joined at tag boundaries (`…>` + `<…`).
async fn read_capped<R: AsyncRead + Unpin>(
    mut reader: R,
    cap: usize,
    compressed: bool,
) -> Result<(Bytes, bool), FetchError> {
    let head_cap = HEAD_KEEP.min(cap / 4);
    let tail_cap = cap - head_cap;
    let mut head: Vec<u8> = Vec::with_capacity(cap.min(64 * 1024));
    let mut tail: std::collections::VecDeque<u8> = std::collections::VecDeque::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let mut total: u64 = 0;
    let limit = (cap as u64).saturating_mul(READ_LIMIT_FACTOR);
    let mut cut_short = false;
    loop {
        let n = match reader.read(&mut chunk).await {
            Ok(0) => break,
            Ok(n) => n,
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
        };
        total += n as u64;
        let mut data = &chunk[..n];
        if head.len() < cap && tail.is_empty() {
            let room = cap - head.len();
            let take = room.min(data.len());
            head.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        if !data.is_empty() {
            // Over the cap: from now on the head keeps its first `head_cap` bytes and the
            // tail the last `tail_cap` bytes seen.
            if head.len() > head_cap {
                tail.extend(head.drain(head_cap..));
            }
            tail.extend(data);
            if tail.len() > tail_cap {
                let excess = tail.len() - tail_cap;
                tail.drain(..excess);
            }
        }
        if total > limit {
            cut_short = true;
            break;
        }
    }
    if tail.is_empty() && !cut_short {
        return Ok((Bytes::from(head), false));
    }
    let tail = Vec::from(tail);
    let head_end = memchr::memrchr(b'>', &head).map_or(0, |p| p + 1);
    let tail_start = memchr::memchr(b'<', &tail).unwrap_or(tail.len());
    let mut body = Vec::with_capacity(head_end + tail.len() - tail_start);
    body.extend_from_slice(&head[..head_end]);
    body.extend_from_slice(&tail[tail_start..]);
    Ok((Bytes::from(body), true))
}

#[cfg(test)]
mod cap_tests {
    use super::*;

    async fn capped(body: &[u8], cap: usize) -> (Vec<u8>, bool) {
        let (b, t) = read_capped(body, cap, false).await.expect("reads");
        (b.to_vec(), t)
    }

    #[tokio::test]
    async fn short_bodies_are_kept_whole() {
        assert_eq!(
            capped(b"<p>hi</p>", 100).await,
            (b"<p>hi</p>".to_vec(), false)
        );
    }

    #[tokio::test]
    async fn long_bodies_keep_head_and_tail_at_tag_boundaries() {
        let mut page = b"<html><head><meta charset=utf-8></head><body>".to_vec();
        for i in 0..20_000 {
            page.extend_from_slice(format!("<p>filler {i}</p>").as_bytes());
        }
        page.extend_from_slice("<footer>京ICP备2021034567号-1</footer></body></html>".as_bytes());
        let (body, truncated) = capped(&page, 64 * 1024).await;
        assert!(truncated);
        assert!(body.len() <= 64 * 1024);
        assert!(body.starts_with(b"<html><head><meta charset=utf-8>"));
        assert!(body.ends_with("京ICP备2021034567号-1</footer></body></html>".as_bytes()));
        let text = String::from_utf8(body).expect("cut at tag boundaries keeps UTF-8 whole");
        assert!(text.contains("</p><p>"));
    }
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
