//! One request and its response on a connection: connecting (at most two addresses), the TLS
//! handshake and its facts, the exchange, the body read and decoded, the connection back to
//! the pool when it is reusable.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use beian_types::{ErrorClass, Exchange};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::header::{self, HeaderValue};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};
use url::Url;

use crate::fetcher::Fetcher;
use crate::{FetchError, FetchOutcome, HostResolve, MAX_KEPT_HEADERS, TlsFacts, body, pool, tls};

/// One response before redirect handling.
#[derive(Clone)]
pub(crate) struct Response {
    pub(crate) status: u16,
    /// The protocol it came over (`HTTP/1.1`).
    pub(crate) version: &'static str,
    pub(crate) location: Option<String>,
    /// Its headers, names in lower case (at most [`MAX_KEPT_HEADERS`]).
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) content_type: Option<String>,
    pub(crate) content_encoding: Option<String>,
    pub(crate) body: Option<Bytes>,
    pub(crate) truncated: bool,
    /// The exchange, kept for the evidence ([`crate::FetchConfig::capture`]).
    pub(crate) exchange: Option<Arc<Exchange>>,
}

impl Response {
    /// Records in `out` that `url` answered with this response (the last one so far).
    pub(crate) fn answered(&self, url: &Url, out: &mut FetchOutcome) {
        out.final_url = Some(url.to_string());
        out.http_version = Some(self.version.to_string());
        out.status = Some(self.status);
        out.exchanges.extend(self.exchange.clone());
    }

    /// Records in `out` this response as the page the fetch ended on.
    pub(crate) fn into_page(self, out: &mut FetchOutcome) {
        out.headers = self.headers;
        out.content_type = self.content_type;
        out.content_encoding = self.content_encoding;
        out.body = self.body;
        out.body_truncated = self.truncated;
    }
}

impl<R: HostResolve> Fetcher<R> {
    async fn connect(
        &self,
        addrs: &[IpAddr],
        port: u16,
    ) -> Result<(TcpStream, SocketAddr), FetchError> {
        let allowed: Vec<IpAddr> = addrs
            .iter()
            .copied()
            .filter(|ip| self.allowed(*ip))
            .collect();
        if allowed.is_empty() {
            return Err(FetchError::new(
                ErrorClass::AddressBlocked,
                format!(
                    "refusing private/reserved address(es) {} (--allow-net CIDR or --allow-private for internal fleets)",
                    addrs
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let mut last = FetchError::new(ErrorClass::ConnectError, "no address tried");
        // Two addresses at most: a dead first address must not cost the whole budget.
        for ip in allowed.into_iter().take(2) {
            let sa = SocketAddr::new(ip, port);
            match timeout(self.cfg.connect_timeout, TcpStream::connect(sa)).await {
                Ok(Ok(s)) => {
                    // Small requests and responses: do not wait for Nagle.
                    if s.set_nodelay(true).is_err() {
                        // Nagle stays on: slower, not wrong.
                    }
                    return Ok((s, sa));
                }
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    last = FetchError::new(
                        ErrorClass::ConnectRefused,
                        format!("{sa}: connection refused"),
                    )
                }
                Ok(Err(e)) => {
                    last = FetchError::new(ErrorClass::ConnectError, format!("{sa}: {e}"))
                }
                Err(_) => {
                    last = FetchError::new(
                        ErrorClass::ConnectTimeout,
                        format!("{sa}: no connection within {:?}", self.cfg.connect_timeout),
                    )
                }
            }
        }
        Err(last)
    }

    /// One request for `url` (carrying a browser's `cookie`, when it has one).
    pub(crate) async fn request(
        &self,
        url: &Url,
        addrs: &[IpAddr],
        out: &mut FetchOutcome,
        cookie: Option<&str>,
    ) -> Result<Response, FetchError> {
        let host = url
            .host_str()
            .ok_or_else(|| {
                FetchError::new(
                    ErrorClass::RedirectInvalid,
                    format!("URL without host: {url}"),
                )
            })?
            .to_string();
        let port = self.port_for(url);
        let https = url.scheme() == "https";
        // The phases of this request only (a reused connection has no connect or handshake).
        out.timings.clear_phases();
        if let Some(origin) = self.origin(url, self.first_allowed(addrs)) {
            if let Some(mut conn) = self.pool.take(&origin) {
                // Ready at once, or the server closed it meanwhile.
                if matches!(
                    timeout(Duration::from_millis(50), conn.sender.ready()).await,
                    Ok(Ok(()))
                ) {
                    out.remote_addr = Some(origin.addr);
                    match self.exchange(conn, origin, url, &host, out, cookie).await {
                        Ok(r) => return Ok(r),
                        // Closed by the server as the request went out: a new connection.
                        Err(ExchangeError::NoResponse(_)) => {}
                        Err(ExchangeError::Failed(e)) => return Err(e),
                    }
                }
            }
        }
        let t0 = Instant::now();
        let (tcp, sa) = self.connect(addrs, port).await?;
        out.remote_addr = Some(sa);
        out.timings.connect = Some(t0.elapsed());
        let origin = pool::Origin::new(sa, https, &host);
        let conn = if https {
            let t1 = Instant::now();
            let name = ServerName::try_from(host.clone()).map_err(|e| {
                FetchError::new(
                    ErrorClass::TlsHandshake,
                    format!("bad server name {host}: {e}"),
                )
            })?;
            let connector = tokio_rustls::TlsConnector::from(self.tls.config.clone());
            let stream = match timeout(self.cfg.tls_timeout, connector.connect(name, tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    return Err(FetchError::new(
                        ErrorClass::TlsHandshake,
                        format!("{sa}: {e}"),
                    ));
                }
                Err(_) => {
                    return Err(FetchError::new(
                        ErrorClass::TlsTimeout,
                        format!("{sa}: no TLS handshake within {:?}", self.cfg.tls_timeout),
                    ));
                }
            };
            out.timings.tls = Some(t1.elapsed());
            let (_, conn) = stream.get_ref();
            let chain: Vec<CertificateDer<'static>> = conn
                .peer_certificates()
                .map(|c| c.iter().map(|c| c.clone().into_owned()).collect())
                .unwrap_or_default();
            let facts = TlsFacts {
                version: conn
                    .protocol_version()
                    .map(|v| format!("{v:?}"))
                    .unwrap_or_default(),
                cert_error: tls::judge_chain(&self.tls.verifier, &chain, &host),
            };
            open_conn(stream, Some(facts)).await?
        } else {
            open_conn(tcp, None).await?
        };
        self.exchange(conn, origin, url, &host, out, cookie)
            .await
            .map_err(ExchangeError::into_error)
    }

    /// One request on `conn`; the connection goes back to the pool when the response was read
    /// to its end.
    async fn exchange(
        &self,
        mut conn: pool::Conn,
        origin: pool::Origin,
        url: &Url,
        host: &str,
        out: &mut FetchOutcome,
        cookie: Option<&str>,
    ) -> Result<Response, ExchangeError> {
        // The TLS facts of the connection's handshake, for each request it carries (an http
        // request keeps those of the probe's last https connection).
        if let Some(t) = &conn.tls {
            out.tls = Some(t.clone());
        }
        let host_header = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        let path = &url[url::Position::BeforePath..url::Position::AfterQuery];
        let mut req = hyper::Request::get(if path.is_empty() { "/" } else { path })
            .header(header::HOST, host_header);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let req = req
            .header(header::USER_AGENT, self.cfg.user_agent.as_str())
            .header(
                header::ACCEPT,
                "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
            )
            .header(header::ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9,en;q=0.5")
            .header(header::ACCEPT_ENCODING, "gzip, deflate, br, zstd")
            .body(Empty::<Bytes>::new())
            .map_err(|e| {
                ExchangeError::Failed(FetchError::new(
                    ErrorClass::HttpProtocol,
                    format!("building request: {e}"),
                ))
            })?;
        // What the evidence keeps of the request, taken before it is sent.
        let sent = self.cfg.capture.then(|| Sent {
            target: req.uri().to_string(),
            headers: header_list(req.headers(), usize::MAX),
            at_us: beian_types::now_us(),
        });
        let t = Instant::now();
        let resp = match timeout(self.cfg.response_timeout, conn.sender.send_request(req)).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                return Err(ExchangeError::NoResponse(FetchError::new(
                    ErrorClass::HttpProtocol,
                    e.to_string(),
                )));
            }
            Err(_) => {
                return Err(ExchangeError::Failed(FetchError::new(
                    ErrorClass::HttpTimeout,
                    format!("no response headers within {:?}", self.cfg.response_timeout),
                )));
            }
        };
        out.timings.ttfb = Some(t.elapsed());
        let status = resp.status().as_u16();
        let version = match resp.version() {
            hyper::Version::HTTP_09 => "HTTP/0.9",
            hyper::Version::HTTP_10 => "HTTP/1.0",
            hyper::Version::HTTP_2 => "HTTP/2",
            hyper::Version::HTTP_3 => "HTTP/3",
            _ => "HTTP/1.1",
        };
        let text = |v: Option<&HeaderValue>| v.and_then(|v| v.to_str().ok()).map(str::to_string);
        let headers = resp.headers();
        let kept = header_list(headers, MAX_KEPT_HEADERS);
        let location = text(headers.get(header::LOCATION));
        let content_type = text(headers.get(header::CONTENT_TYPE));
        let content_encoding = text(headers.get(header::CONTENT_ENCODING));
        // The evidence keeps every header, not only the first MAX_KEPT_HEADERS.
        let all_headers = sent.as_ref().map(|_| header_list(headers, usize::MAX));
        let reason = resp.status().canonical_reason().unwrap_or("");
        let remote_addr = out.remote_addr;
        let exchange = move |body: &Bytes, decoded: Option<String>, truncated: bool| {
            let sent = sent?;
            Some(Arc::new(Exchange {
                url: url.to_string(),
                target: sent.target,
                request_headers: sent.headers,
                at_us: sent.at_us,
                remote_addr,
                version,
                status,
                reason,
                headers: all_headers.unwrap_or_default(),
                body: body.clone(),
                decoded,
                truncated,
            }))
        };
        if (300..400).contains(&status) && location.is_some() {
            // A redirect's body is short: read it, and the connection can carry the next
            // request (a server that stalls it only loses its connection).
            let drained = timeout(
                REDIRECT_BODY_TIME,
                Limited::new(resp.into_body(), REDIRECT_BODY_CAP).collect(),
            )
            .await;
            let drained = match drained {
                Ok(Ok(body)) => {
                    self.pool.put(origin, conn);
                    Some(body.to_bytes())
                }
                _ => None,
            };
            // The body as received (not decoded); one not read to its end is cut.
            let exchange = exchange(
                &drained.clone().unwrap_or_default(),
                None,
                drained.is_none(),
            );
            return Ok(Response {
                status,
                version,
                location,
                headers: kept,
                content_type,
                content_encoding,
                body: None,
                truncated: false,
                exchange,
            });
        }
        let read = body::read_decoded(
            resp.into_body(),
            content_encoding.as_deref(),
            self.cfg.body_cap,
        );
        let result = timeout(self.cfg.body_timeout, read).await;
        let (body, truncated) = match result {
            Ok(r) => r.map_err(ExchangeError::Failed)?,
            Err(_) => {
                return Err(ExchangeError::Failed(FetchError::new(
                    ErrorClass::BodyTimeout,
                    format!("body not complete within {:?}", self.cfg.body_timeout),
                )));
            }
        };
        if !truncated {
            // Read to its end: the connection is free for the next request.
            self.pool.put(origin, conn);
        }
        let decoded = content_encoding
            .as_deref()
            .map(|e| e.trim().to_ascii_lowercase())
            .filter(|e| body::decodes(e));
        let exchange = exchange(&body, decoded, truncated);
        Ok(Response {
            status,
            version,
            location,
            headers: kept,
            content_type,
            content_encoding,
            body: Some(body),
            truncated,
            exchange,
        })
    }
}

/// How much of a redirect's body is read, and for how long, to keep its connection.
const REDIRECT_BODY_CAP: usize = 64 * 1024;
const REDIRECT_BODY_TIME: Duration = Duration::from_millis(250);

/// How an exchange on a connection failed.
enum ExchangeError {
    /// No response came: on a reused connection, the server may have closed it just as the
    /// request went out (then a new connection is tried).
    NoResponse(FetchError),
    /// Anything else.
    Failed(FetchError),
}

impl ExchangeError {
    fn into_error(self) -> FetchError {
        match self {
            ExchangeError::NoResponse(e) | ExchangeError::Failed(e) => e,
        }
    }
}

/// HTTP/1.1 over `io`, driven by a task of its own.
async fn open_conn<S>(io: S, tls: Option<TlsFacts>) -> Result<pool::Conn, FetchError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::Builder::new()
        .max_buf_size(256 * 1024)
        .handshake::<_, Empty<Bytes>>(TokioIo::new(io))
        .await
        .map_err(|e| FetchError::new(ErrorClass::HttpProtocol, e.to_string()))?;
    let task = tokio::spawn(async move {
        // Errors surface through the request future; the task only drives the socket.
        match conn.await {
            Ok(()) | Err(_) => {}
        }
    });
    Ok(pool::Conn { sender, task, tls })
}

/// The request as the evidence keeps it.
struct Sent {
    target: String,
    headers: Vec<(String, String)>,
    at_us: i64,
}

/// The first `max` headers of `map`, names as the client holds them (lower case), values
/// as text.
fn header_list(map: &hyper::HeaderMap, max: usize) -> Vec<(String, String)> {
    map.iter()
        .take(max)
        .map(|(n, v)| {
            let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
            (n.as_str().to_string(), v)
        })
        .collect()
}
