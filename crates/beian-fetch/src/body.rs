//! Response bodies: streaming decompression (async-compression) with a cap on decoded bytes.

use beian_types::ErrorClass;
use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::BodyStream;
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

/// Whether [`read_decoded`] removes the content coding `e` (lower case) from a body.
pub(crate) fn decodes(e: &str) -> bool {
    matches!(e, "gzip" | "x-gzip" | "deflate" | "br" | "zstd")
}

/// Reading stops after this many times the cap: an endless body must not run the probe's
/// whole time budget down at loopback speed.
const READ_LIMIT_FACTOR: u64 = 16;

/// Reads at most `cap` bytes of memory: the whole body when it fits, else its start and its
/// end — the footer is at the end of a page, so a long page keeps its tail (docs/rulebook.md §6;
/// issue 3). [`crate::buffer::PageBuffer`] does the keeping.
async fn read_capped<R: AsyncRead + Unpin>(
    mut reader: R,
    cap: usize,
    compressed: bool,
) -> Result<(Bytes, bool), FetchError> {
    let mut page = crate::buffer::PageBuffer::new(cap);
    let mut chunk = vec![0u8; 16 * 1024];
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
        page.push(&chunk[..n]);
        if page.total() > limit {
            cut_short = true;
            break;
        }
    }
    let (body, truncated) = page.finish(cut_short);
    Ok((Bytes::from(body), truncated))
}

#[cfg(test)]
mod cap_tests {
    use super::*;

    #[tokio::test]
    async fn long_bodies_keep_their_footer_and_stay_under_the_cap() {
        let mut page = b"<html><head><meta charset=utf-8></head><body>".to_vec();
        for i in 0..20_000 {
            page.extend_from_slice(format!("<p>filler {i}</p>").as_bytes());
        }
        page.extend_from_slice("<footer>京ICP备2021034567号-1</footer></body></html>".as_bytes());
        let (body, truncated) = read_capped(&page[..], 64 * 1024, false)
            .await
            .expect("reads");
        assert!(truncated);
        assert!(body.len() <= 64 * 1024);
        assert!(body.ends_with("京ICP备2021034567号-1</footer></body></html>".as_bytes()));
        let (short, cut) = read_capped(&b"<p>hi</p>"[..], 100, false)
            .await
            .expect("reads");
        assert_eq!((&short[..], cut), (&b"<p>hi</p>"[..], false));
    }
}
