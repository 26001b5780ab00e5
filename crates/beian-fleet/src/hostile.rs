//! Hostile servers (issue 6): answers below HTTP, written as raw bytes on the socket (plain
//! or TLS), for the faults a real fleet meets: silence, a body dripping one byte a second,
//! endless and bomb bodies, oversized headers, broken framing, resets.

use std::sync::OnceLock;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::scenario::Behaviour;

/// How long a hostile connection is kept at most (the client's timeouts end it first).
const HOLD: Duration = Duration::from_secs(300);

/// Reads a request head (to its blank line, at most 16 KiB).
async fn read_head<S: AsyncRead + Unpin>(io: &mut S) -> bool {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match tokio::time::timeout(Duration::from_secs(10), io.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => head.extend_from_slice(&buf[..n]),
            _ => return false,
        }
    }
    true
}

/// 256 MiB of zeros, compressed (a few hundred KB), made once per encoding.
async fn bomb(brotli: bool) -> &'static [u8] {
    static GZIP: OnceLock<Vec<u8>> = OnceLock::new();
    static BROTLI: OnceLock<Vec<u8>> = OnceLock::new();
    let cell = if brotli { &BROTLI } else { &GZIP };
    if let Some(b) = cell.get() {
        return b;
    }
    async fn zeros<W: AsyncWrite + Unpin>(mut enc: W) -> W {
        let zeros = vec![0u8; 1 << 20];
        // Writing into a Vec cannot fail; an error would only leave a shorter bomb.
        for _ in 0..256 {
            if enc.write_all(&zeros).await.is_err() {
                break;
            }
        }
        enc.shutdown().await.ok();
        enc
    }
    let fast = async_compression::Level::Fastest;
    let bytes = if brotli {
        zeros(async_compression::tokio::write::BrotliEncoder::with_quality(Vec::new(), fast))
            .await
            .into_inner()
    } else {
        zeros(async_compression::tokio::write::GzipEncoder::with_quality(
            Vec::new(),
            fast,
        ))
        .await
        .into_inner()
    };
    cell.get_or_init(|| bytes)
}

/// Answers one connection the hostile way of `b` (a raw behaviour) for `host`.
pub(crate) async fn answer<S: AsyncRead + AsyncWrite + Unpin>(mut io: S, b: Behaviour, host: &str) {
    // Every write error ends the connection: the client gave up, as it should. After HOLD the
    // connection is closed whether or not the client hung up.
    tokio::time::timeout(HOLD, async {
        if b != Behaviour::Silent && !read_head(&mut io).await {
            return Ok(());
        }
        match b {
            Behaviour::Silent => {
                // Never a byte; wait for the client to hang up.
                let mut buf = [0u8; 1024];
                while io.read(&mut buf).await? > 0 {}
            }
            Behaviour::Slowloris => {
                io.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n<html>")
                    .await?;
                loop {
                    io.write_all(b" ").await?;
                    io.flush().await?;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
            Behaviour::EndlessBody => {
                io.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .await?;
                let filler = "<p>lorem ipsum dolor sit amet</p>\n".repeat(120);
                let chunk = format!("{:x}\r\n{filler}\r\n", filler.len());
                loop {
                    io.write_all(chunk.as_bytes()).await?;
                }
            }
            Behaviour::CompressionBomb => {
                let brotli = host.starts_with("www.");
                let body = bomb(brotli).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    if brotli { "br" } else { "gzip" },
                    body.len()
                );
                io.write_all(head.as_bytes()).await?;
                io.write_all(body).await?;
            }
            Behaviour::HugeHeaders => {
                io.write_all(b"HTTP/1.1 200 OK\r\n").await?;
                let line = format!("X-Filler: {}\r\n", "a".repeat(1000));
                for _ in 0..1024 {
                    io.write_all(line.as_bytes()).await?;
                }
                io.write_all(b"Content-Length: 0\r\n\r\n").await?;
            }
            Behaviour::MalformedHeaders => {
                io.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nthis line is not a header\r\nContent-Length: 6\r\n\r\n<html>")
                    .await?;
            }
            Behaviour::BadChunked => {
                io.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n<html>\r\n0\r\n\r\n")
                    .await?;
            }
            Behaviour::ShortBody => {
                io.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n<html><body>short")
                    .await?;
                io.shutdown().await?;
            }
            Behaviour::ResetMidBody => {
                // The caller set SO_LINGER 0: dropping the socket sends RST.
                io.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
                    .await?;
                io.write_all("<p>half a page</p>\n".repeat(200).as_bytes()).await?;
                io.flush().await?;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            _ => {}
        }
        Ok::<(), std::io::Error>(())
    })
    .await
    .ok();
}

/// The `Host` of a request head that has arrived on `stream`, read without consuming it (so
/// that an ordinary request still goes to the HTTP server whole).
pub(crate) async fn peek_host(stream: &tokio::net::TcpStream) -> Option<String> {
    let mut buf = vec![0u8; 8192];
    let mut seen = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let n = tokio::time::timeout_at(deadline, stream.peek(&mut buf))
            .await
            .ok()?
            .ok()?;
        let head = &buf[..n];
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            let text = String::from_utf8_lossy(&head[..end]);
            return text.lines().skip(1).find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case("host")
                    .then(|| crate::host::host_name(v.trim()))
            });
        }
        if n == buf.len() || n == 0 {
            return None;
        }
        if n == seen {
            // Nothing new yet: the rest of the head is on its way.
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        seen = n;
    }
}
