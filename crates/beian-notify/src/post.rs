//! Posting a body to a webhook over HTTP/1.1 (rustls for https), through the project's own
//! resolver, with bounded retries.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use beian_resolve::{Resolver, ResolverBuilder};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header;
use hyper_util::rt::TokioIo;
use rustls::RootCertStore;
use rustls_pki_types::{CertificateDer, ServerName};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use url::Url;

/// Attempts per webhook: the first and two retries.
const ATTEMPTS: u32 = 3;
/// The whole of one attempt: connect, TLS, request, response.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Most of a webhook's answer read (robots answer a small JSON object).
const ANSWER_MAX: usize = 64 * 1024;

/// A webhook refused or could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// Every attempt failed, or the robot refused the message.
    #[error("{url}: {reason} (attempts: {attempts})")]
    Failed {
        /// The webhook (its query, which holds the robot's token, left out).
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        reason: String,
    },
    /// Not an http(s) URL with a host.
    #[error("{0}: not an http or https URL with a host")]
    Url(String),
    /// The TLS client could not be set up.
    #[error("TLS client: {0}")]
    Tls(String),
}

/// A delivered message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// Attempts it took.
    pub attempts: u32,
    /// The webhook's HTTP status.
    pub status: u16,
}

/// Posts bodies to webhooks.
pub struct Notifier {
    resolver: Option<Resolver>,
    tls: TlsConnector,
    backoff: Duration,
}

/// How one attempt ended.
enum Attempt {
    Delivered(u16),
    /// Worth another attempt: no connection, a timeout, 429 or 5xx.
    Retry(String),
    /// Not worth another: the robot refused the message.
    Refused(String),
}

/// The URL without its query (robots put their secret token there).
fn shown(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.to_string()
}

impl Notifier {
    /// A notifier asking `resolvers` (empty: the system's) and trusting the webpki roots plus
    /// `extra_roots`. Retries wait 1 s, then 2 s.
    pub fn new(
        resolvers: Vec<SocketAddr>,
        extra_roots: &[CertificateDer<'static>],
    ) -> Result<Notifier, NotifyError> {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for c in extra_roots {
            roots
                .add(c.clone())
                .map_err(|e| NotifyError::Tls(e.to_string()))?;
        }
        let config =
            rustls::ClientConfig::builder_with_provider(Arc::new(beian_fetch::crypto_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| NotifyError::Tls(e.to_string()))?
                .with_root_certificates(roots)
                .with_no_client_auth();
        // A machine without a usable nameserver can still post to an address.
        let resolver = ResolverBuilder::default()
            .nameservers(resolvers)
            .build()
            .ok();
        Ok(Notifier {
            resolver,
            tls: TlsConnector::from(Arc::new(config)),
            backoff: Duration::from_secs(1),
        })
    }

    /// The wait before the first retry (doubled for each next one).
    #[must_use]
    pub fn backoff(mut self, first: Duration) -> Notifier {
        self.backoff = first;
        self
    }

    /// Posts `body` to `url` as JSON: one message, retried on failures worth retrying.
    pub async fn post(&self, url: &Url, body: &Value) -> Result<Delivery, NotifyError> {
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(NotifyError::Url(shown(url)));
        }
        let payload = Bytes::from(body.to_string());
        let mut wait = self.backoff;
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            let outcome = tokio::time::timeout(ATTEMPT_TIMEOUT, self.attempt(url, payload.clone()))
                .await
                .unwrap_or_else(|_| {
                    Attempt::Retry(format!("no answer within {ATTEMPT_TIMEOUT:?}"))
                });
            match outcome {
                Attempt::Delivered(status) => {
                    return Ok(Delivery {
                        attempts: attempt,
                        status,
                    });
                }
                Attempt::Refused(reason) => {
                    return Err(NotifyError::Failed {
                        url: shown(url),
                        attempts: attempt,
                        reason,
                    });
                }
                Attempt::Retry(reason) => last = reason,
            }
            if attempt < ATTEMPTS {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
        }
        Err(NotifyError::Failed {
            url: shown(url),
            attempts: ATTEMPTS,
            reason: last,
        })
    }

    async fn addrs(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        let resolver = self
            .resolver
            .as_ref()
            .ok_or_else(|| format!("no DNS resolver to look up {host}"))?;
        let found = resolver.resolve(host).await.map_err(|e| e.to_string())?;
        Ok(found
            .addrs
            .into_iter()
            .map(|ip| SocketAddr::new(ip, port))
            .collect())
    }

    async fn attempt(&self, url: &Url, payload: Bytes) -> Attempt {
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return Attempt::Refused("no host".into());
        };
        let addrs = match self.addrs(host, port).await {
            Ok(a) => a,
            Err(e) => return Attempt::Retry(e),
        };
        let mut last = format!("{host} has no address");
        for addr in addrs {
            let tcp = match TcpStream::connect(addr).await {
                Ok(s) => s,
                Err(e) => {
                    last = format!("connecting to {addr}: {e}");
                    continue;
                }
            };
            if url.scheme() == "https" {
                let name = match ServerName::try_from(host.to_string()) {
                    Ok(n) => n,
                    Err(e) => return Attempt::Refused(format!("{host}: {e}")),
                };
                return match self.tls.connect(name, tcp).await {
                    Ok(tls) => exchange(tls, url, host, payload).await,
                    Err(e) => Attempt::Retry(format!("TLS with {addr}: {e}")),
                };
            }
            return exchange(tcp, url, host, payload).await;
        }
        Attempt::Retry(last)
    }
}

/// One POST on a fresh connection, and what its answer means.
async fn exchange<S>(io: S, url: &Url, host: &str, payload: Bytes) -> Attempt
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = match hyper::client::conn::http1::handshake(TokioIo::new(io)).await {
        Ok(x) => x,
        Err(e) => return Attempt::Retry(format!("HTTP: {e}")),
    };
    let driver = tokio::spawn(async move {
        // Errors surface through the request; the task only drives the socket.
        match conn.await {
            Ok(()) | Err(_) => {}
        }
    });
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let host_header = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let request = hyper::Request::post(path)
        .header(header::HOST, host_header)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .header(
            header::USER_AGENT,
            concat!("beian-audit/", env!("CARGO_PKG_VERSION")),
        )
        .body(Full::new(payload));
    let request = match request {
        Ok(r) => r,
        Err(e) => return Attempt::Refused(format!("request: {e}")),
    };
    let outcome = match sender.send_request(request).await {
        Err(e) => Attempt::Retry(format!("HTTP: {e}")),
        Ok(resp) => {
            let status = resp.status().as_u16();
            let answer = Limited::new(resp.into_body(), ANSWER_MAX)
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            judge(status, &answer)
        }
    };
    driver.abort();
    outcome
}

/// A robot's answer: 2xx with no error code in its JSON is delivered; 429 and 5xx are worth
/// another attempt; anything else (a bad token, a refused body) is not.
fn judge(status: u16, answer: &[u8]) -> Attempt {
    let text = String::from_utf8_lossy(answer);
    let short: String = text.chars().take(200).collect();
    if status == 429 || status >= 500 {
        return Attempt::Retry(format!("HTTP {status}: {short}"));
    }
    if !(200..300).contains(&status) {
        return Attempt::Refused(format!("HTTP {status}: {short}"));
    }
    // DingTalk and WeCom answer `errcode`, Feishu `code`; 0 is success.
    let code = serde_json::from_slice::<Value>(answer).ok().and_then(|v| {
        v.get("errcode")
            .or_else(|| v.get("code"))
            .and_then(Value::as_i64)
    });
    match code {
        Some(c) if c != 0 => Attempt::Refused(format!("refused by the robot: {short}")),
        _ => Attempt::Delivered(status),
    }
}
