//! The HTTP(S) client: connections (pooled, per-address permits, pacing), one request and
//! response at a time, redirects and meta refreshes followed within the probe's budget.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use beian_types::ErrorClass;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::header::{self, HeaderValue};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio::time::timeout;
use url::Url;

use crate::addr::is_restricted;
use crate::budget::Budget;
use crate::hop;
use crate::limits::{Pacer, PerIp, Permits};
use crate::{
    BuildError, FetchConfig, FetchError, FetchOutcome, HostResolve, OnWait, TlsFacts, body, pool,
    tls,
};

/// One response before redirect handling.
#[derive(Clone)]
struct Response {
    status: u16,
    /// The protocol it came over (`HTTP/1.1`).
    version: &'static str,
    location: Option<String>,
    content_type: Option<String>,
    content_encoding: Option<String>,
    body: Option<Bytes>,
    truncated: bool,
}

/// The requests of one site's probes (docs/SCHEMA.md, `fetches.reused_from`): each URL is
/// requested once per site. A probe that reaches a URL another probe of the site requested,
/// or is requesting, waits for that response and reuses it instead of asking the server
/// again — the four probes of a site (apex and www, https and http) mostly converge on one
/// page. A failure is shared as well: the URL failed for this site.
///
/// The probes of a site also take turns on its connections: one request at a time per origin
/// (address, scheme and host, the apex and `www.` being one host for plain HTTP), so the http
/// probes of the apex and `www.` on one address ride one keep-alive connection instead of
/// opening one each.
#[derive(Default)]
pub struct Visits {
    map: Mutex<HashMap<String, tokio::sync::watch::Receiver<Option<Arc<Visit>>>>>,
    conns: Mutex<HashMap<pool::Origin, Arc<tokio::sync::Mutex<()>>>>,
}

/// A response (or failure) one probe got, as the site's other probes reuse it.
struct Visit {
    result: Result<Response, FetchError>,
    remote_addr: Option<SocketAddr>,
    tls: Option<TlsFacts>,
    /// The first URL of the probe that made the request.
    by: String,
}

/// Who requests a URL: this probe (it must publish what it gets), or another one.
enum Claim {
    Mine(tokio::sync::watch::Sender<Option<Arc<Visit>>>),
    Theirs(tokio::sync::watch::Receiver<Option<Arc<Visit>>>),
}

impl Visits {
    /// Claims `url` for the caller unless another probe of the site has.
    fn claim(&self, url: &Url) -> Claim {
        let mut key = url.clone();
        key.set_fragment(None);
        // A poisoned lock only means another probe panicked; the map is still sound.
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(rx) = map.get(key.as_str()) {
            return Claim::Theirs(rx.clone());
        }
        let (tx, rx) = tokio::sync::watch::channel(None);
        map.insert(key.to_string(), rx);
        Claim::Mine(tx)
    }

    /// The site's turn on `origin`: held while a probe requests from it, so that the next
    /// probe of the site finds the connection back in the pool.
    async fn turn(&self, origin: pool::Origin) -> tokio::sync::OwnedMutexGuard<()> {
        let gate = {
            // A poisoned lock only means another probe panicked; the map is still sound.
            let mut conns = self.conns.lock().unwrap_or_else(PoisonError::into_inner);
            conns.entry(origin).or_default().clone()
        };
        gate.lock_owned().await
    }
}

/// The HTTP(S) client.
pub struct Fetcher<R> {
    cfg: FetchConfig,
    tls: tls::Tls,
    resolver: R,
    per_ip: PerIp,
    pacer: Pacer,
    pool: pool::Pool,
    in_flight: Option<Arc<tokio::sync::Semaphore>>,
}

impl<R: HostResolve> Fetcher<R> {
    /// A fetcher trusting the webpki roots plus `extra_roots`.
    pub fn new(
        cfg: FetchConfig,
        extra_roots: &[CertificateDer<'static>],
        resolver: R,
    ) -> Result<Self, BuildError> {
        Ok(Fetcher {
            per_ip: PerIp {
                limit: cfg.per_ip,
                map: Mutex::new(HashMap::new()),
            },
            pacer: Pacer::new(cfg.rate_per_ip),
            pool: pool::Pool::new(cfg.idle_connections),
            in_flight: (cfg.max_in_flight > 0)
                .then(|| Arc::new(tokio::sync::Semaphore::new(cfg.max_in_flight))),
            cfg,
            tls: tls::build(extra_roots)?,
            resolver,
        })
    }

    /// Waits for the address's permit, then for a probe slot, always in that order.
    async fn take(&self, permits: &mut Permits, ip: Option<IpAddr>, on_wait: &OnWait<'_>) {
        if let Some(ip) = ip {
            permits.ip = self.per_ip.acquire(ip, on_wait).await;
        }
        if let Some(sem) = &self.in_flight {
            permits.slot = sem.clone().acquire_owned().await.ok();
        }
    }

    /// Whether the fetcher may connect to `ip` (private and reserved ranges need
    /// `allow_private`).
    fn allowed(&self, ip: IpAddr) -> bool {
        self.cfg.allow_private
            || !is_restricted(ip)
            || self.cfg.allow_nets.iter().any(|n| n.contains(&ip))
    }

    /// The address a request to `addrs` connects to first (what its per-address permit is for).
    fn first_allowed(&self, addrs: &[IpAddr]) -> Option<IpAddr> {
        addrs.iter().copied().find(|ip| self.allowed(*ip))
    }

    /// Probes `url`, whose host resolved to `addrs`, following redirects. Waiting for the
    /// address's permit (`per_ip`) and for a request's turn (`rate_per_ip`) is not part of the
    /// probe's time budget, so a busy shared host delays its sites instead of timing them out.
    pub async fn fetch(&self, url: Url, addrs: Vec<IpAddr>) -> FetchOutcome {
        self.fetch_with(url, addrs, &|| {}).await
    }

    /// [`Fetcher::fetch`], calling `on_wait` whenever the probe is about to wait for a busy
    /// server address.
    pub async fn fetch_with(
        &self,
        url: Url,
        addrs: Vec<IpAddr>,
        on_wait: &OnWait<'_>,
    ) -> FetchOutcome {
        self.probe(url, addrs, on_wait, None).await
    }

    /// [`Fetcher::fetch_with`] as one of a site's probes: a URL another probe of the site
    /// requested is not requested again ([`Visits`]).
    pub async fn fetch_for_site(
        &self,
        url: Url,
        addrs: Vec<IpAddr>,
        on_wait: &OnWait<'_>,
        visits: &Visits,
    ) -> FetchOutcome {
        self.probe(url, addrs, on_wait, Some(visits)).await
    }

    async fn probe(
        &self,
        url: Url,
        addrs: Vec<IpAddr>,
        on_wait: &OnWait<'_>,
        visits: Option<&Visits>,
    ) -> FetchOutcome {
        let mut permits = Permits::default();
        let asked = Instant::now();
        self.take(&mut permits, self.first_allowed(&addrs), on_wait)
            .await;
        let started = Instant::now();
        let mut out = FetchOutcome::default();
        out.timings.wait = started - asked;
        let mut budget = Budget {
            deadline: Instant::now() + self.cfg.total_timeout,
            total: self.cfg.total_timeout,
        };
        // Boxed: the connection, TLS and HTTP states make the probe's future ~9 KB, and a
        // probe that waits for a permit (above) should not hold that much while it waits.
        let probe = Probe {
            permits: &mut permits,
            budget: &mut budget,
            on_wait,
            visits,
        };
        let run = Box::pin(self.run(url, addrs, probe, &mut out));
        if let Err(e) = run.await {
            out.error = Some(e);
        }
        // Waiting for permits and request slots is the server's politeness, not the probe's
        // time: it is reported apart (`wait_us`), and `total_us` is the rest.
        let waited_within = out.timings.wait.saturating_sub(started - asked);
        out.timings.total = started.elapsed().saturating_sub(waited_within);
        out
    }

    /// Follows `url` to its final page. Network work runs within `budget`; waiting for
    /// permits and request slots moves its deadline instead of using it up.
    async fn run(
        &self,
        mut url: Url,
        mut addrs: Vec<IpAddr>,
        probe: Probe<'_, '_>,
        out: &mut FetchOutcome,
    ) -> Result<(), FetchError> {
        let Probe {
            permits,
            budget,
            on_wait,
            visits,
        } = probe;
        let first_url = url.to_string();
        let mut seen: HashSet<String> = HashSet::new();
        let mut refreshed = false;
        loop {
            seen.insert(url.as_str().to_string());
            // A redirect to another address: give the permits back before waiting again
            // (holding one while waiting for another could deadlock two probes).
            let ip = self.first_allowed(&addrs);
            if ip.is_some() && permits.ip.as_ref().map(|(held, _)| *held) != ip {
                *permits = Permits::default();
                let asked = Instant::now();
                self.take(permits, ip, on_wait).await;
                waited(budget, out, asked.elapsed());
            }
            // Claimed with the address's permit held: the probe that requests a URL never
            // waits for a permit a probe waiting for that URL holds.
            let claim = visits.map(|v| v.claim(&url));
            let resp = if let Some(Claim::Theirs(mut rx)) = claim {
                // Another probe of the site asked for this URL: its answer is this one's.
                let visit = budget
                    .run(async {
                        rx.wait_for(Option::is_some)
                            .await
                            .ok()
                            .and_then(|v| v.clone())
                            .ok_or_else(|| {
                                FetchError::new(
                                    ErrorClass::HttpProtocol,
                                    format!("the probe requesting {url} stopped"),
                                )
                            })
                    })
                    .await?;
                out.reused_from.get_or_insert_with(|| visit.by.clone());
                out.timings.clear_phases();
                out.remote_addr = visit.remote_addr;
                if visit.tls.is_some() {
                    out.tls = visit.tls.clone();
                }
                visit.result.clone()?
            } else {
                // The site's turn on the connection first, then the request's pacing slot
                // (a slot is not spent waiting for the turn).
                let turn = match (visits, self.origin(&url, ip)) {
                    (Some(v), Some(origin)) => {
                        let asked = Instant::now();
                        let turn = v.turn(origin).await;
                        waited(budget, out, asked.elapsed());
                        Some(turn)
                    }
                    _ => None,
                };
                if let Some(ip) = ip {
                    waited(budget, out, self.pacer.wait(ip).await);
                }
                let result = budget.run(self.request(&url, &addrs, out)).await;
                drop(turn);
                out.requests += 1;
                if let Some(Claim::Mine(tx)) = claim {
                    let visit = Visit {
                        result: result.clone(),
                        remote_addr: out.remote_addr,
                        tls: out.tls.clone(),
                        by: first_url.clone(),
                    };
                    // No receiver left is no error: nobody else wanted it.
                    tx.send_replace(Some(Arc::new(visit)));
                }
                result?
            };
            out.final_url = Some(url.to_string());
            out.http_version = Some(resp.version.to_string());
            out.status = Some(resp.status);
            let chain = hop::Chain {
                url: &url,
                seen: &seen,
                hops: out.hops.len(),
                refreshed,
                max_redirects: self.cfg.max_redirects,
            };
            match hop::next(
                &chain,
                resp.status,
                resp.location.as_deref(),
                resp.body.as_deref(),
            ) {
                hop::Next::Page => {
                    out.content_type = resp.content_type;
                    out.content_encoding = resp.content_encoding;
                    out.body = resp.body;
                    out.body_truncated = resp.truncated;
                    return Ok(());
                }
                hop::Next::Fault { hop, error } => {
                    out.hops.extend(hop);
                    return Err(error);
                }
                hop::Next::Follow {
                    hop,
                    target,
                    refresh,
                } => {
                    refreshed |= refresh;
                    out.hops.push(hop);
                    if let Some(host) = target.host_str().filter(|h| Some(*h) != url.host_str()) {
                        addrs = match host.parse::<IpAddr>() {
                            Ok(ip) => vec![ip],
                            Err(_) => {
                                let lookup = self
                                    .resolver
                                    .resolve(host.trim_start_matches('[').trim_end_matches(']'));
                                budget.run(lookup).await?
                            }
                        };
                    }
                    url = target;
                }
            }
        }
    }

    /// Where a request for `url` to `ip` goes, as connections are pooled.
    fn origin(&self, url: &Url, ip: Option<IpAddr>) -> Option<pool::Origin> {
        Some(pool::Origin::new(
            SocketAddr::new(ip?, self.port_for(url)),
            url.scheme() == "https",
            url.host_str()?,
        ))
    }

    fn port_for(&self, url: &Url) -> u16 {
        url.port().unwrap_or(if url.scheme() == "https" {
            self.cfg.https_port
        } else {
            self.cfg.http_port
        })
    }

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

    async fn request(
        &self,
        url: &Url,
        addrs: &[IpAddr],
        out: &mut FetchOutcome,
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
                    match self.exchange(conn, origin, url, &host, out).await {
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
        self.exchange(conn, origin, url, &host, out)
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
        let req = hyper::Request::get(if path.is_empty() { "/" } else { path })
            .header(header::HOST, host_header)
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
        let location = text(headers.get(header::LOCATION));
        let content_type = text(headers.get(header::CONTENT_TYPE));
        let content_encoding = text(headers.get(header::CONTENT_ENCODING));
        if (300..400).contains(&status) && location.is_some() {
            // A redirect's body is short: read it, and the connection can carry the next
            // request (a server that stalls it only loses its connection).
            let drained = timeout(
                REDIRECT_BODY_TIME,
                Limited::new(resp.into_body(), REDIRECT_BODY_CAP).collect(),
            )
            .await;
            if matches!(drained, Ok(Ok(_))) {
                self.pool.put(origin, conn);
            }
            return Ok(Response {
                status,
                version,
                location,
                content_type,
                content_encoding,
                body: None,
                truncated: false,
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
        Ok(Response {
            status,
            version,
            location,
            content_type,
            content_encoding,
            body: Some(body),
            truncated,
        })
    }
}

/// Time a probe spent waiting for its turn (a permit, a request slot, the site's connection):
/// politeness, so it moves the probe's deadline and is reported as `wait_us`.
fn waited(budget: &mut Budget, out: &mut FetchOutcome, d: Duration) {
    budget.extend(d);
    out.timings.wait += d;
}

/// What one probe carries through its redirects: its permits and time budget, what to call
/// when it waits, and the site's [`Visits`] when it is one of a site's probes.
struct Probe<'p, 'w> {
    permits: &'p mut Permits,
    budget: &'p mut Budget,
    on_wait: &'p OnWait<'w>,
    visits: Option<&'p Visits>,
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
