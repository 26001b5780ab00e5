//! The fleet's web servers: one hyper service for every host, over plain TCP or rustls;
//! hostile sites answer raw ([`crate::hostile`]).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use beian_types::HostRole;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_ENCODING, CONTENT_TYPE, HOST, LOCATION};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use crate::host::host_name;
use crate::hostile;
use crate::latency::{Latency, Paced, RttCell};
use crate::pages::{config_json, page, refresh_page};
use crate::scenario::{Behaviour, SiteSpec};

pub(crate) struct World {
    pub(crate) sites: Arc<Vec<SiteSpec>>,
    pub(crate) by_host: Arc<HashMap<String, (usize, HostRole)>>,
    pub(crate) slow_delay: Duration,
    /// Whether any site answers raw (then plain HTTP connections are peeked at for their
    /// `Host` before the HTTP server gets them; otherwise that work is skipped).
    pub(crate) raw_sites: bool,
    /// Addresses where every response waits `slow_delay`.
    pub(crate) slow_ips: Vec<std::net::IpAddr>,
    /// HTTP requests answered and TCP connections accepted (benchmarks compare clients).
    pub(crate) requests: std::sync::atomic::AtomicU64,
    pub(crate) connections: std::sync::atomic::AtomicU64,
    /// TLS handshakes that resumed an earlier session.
    pub(crate) resumed: std::sync::atomic::AtomicU64,
    /// Per listening address: what tests of a client's per-address limits read.
    pub(crate) open: Arc<std::sync::Mutex<HashMap<std::net::IpAddr, AddrStats>>>,
    /// Requests per host of the rate-limited sites.
    pub(crate) limits: crate::defended::Limits,
    /// The web servers' switch ([`crate::Fleet::set_uplink`]): off, nothing listens.
    pub(crate) uplink: tokio::sync::watch::Sender<bool>,
    /// The network a client crosses to reach the servers ([`Paced`]).
    pub(crate) latency: Option<Arc<Latency>>,
}

/// Requests on one listening address, as tests of a client's politeness see them.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct AddrStats {
    /// Requests being answered now, and the most ever at once.
    pub(crate) in_flight: u64,
    pub(crate) max_in_flight: u64,
    /// When the last request arrived, and the shortest time between two arrivals.
    pub(crate) last_start: Option<std::time::Instant>,
    pub(crate) min_gap: Option<Duration>,
    /// When the first request arrived, and how many have.
    pub(crate) first_start: Option<std::time::Instant>,
    pub(crate) requests: u64,
}

/// Counts a request in flight on `ip` until dropped.
struct InFlight {
    ip: std::net::IpAddr,
    open: Arc<std::sync::Mutex<HashMap<std::net::IpAddr, AddrStats>>>,
}

impl InFlight {
    fn new(
        ip: std::net::IpAddr,
        open: Arc<std::sync::Mutex<HashMap<std::net::IpAddr, AddrStats>>>,
    ) -> Self {
        {
            let mut m = open
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let e = m.entry(ip).or_default();
            e.in_flight += 1;
            e.max_in_flight = e.max_in_flight.max(e.in_flight);
            let now = std::time::Instant::now();
            if let Some(last) = e.last_start {
                let gap = now.saturating_duration_since(last);
                e.min_gap = Some(e.min_gap.map_or(gap, |g| g.min(gap)));
            }
            e.last_start = Some(now);
            e.first_start.get_or_insert(now);
            e.requests += 1;
        }
        InFlight { ip, open }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut m = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(e) = m.get_mut(&self.ip) {
            e.in_flight = e.in_flight.saturating_sub(1);
        }
    }
}

impl World {
    /// The site a host name belongs to, and which of its hosts it is.
    fn site_of(&self, host: &str) -> Option<(&SiteSpec, HostRole)> {
        let &(idx, role) = self.by_host.get(host)?;
        self.sites.get(idx).map(|s| (s, role))
    }

    /// The behaviour of the site a host name belongs to.
    fn behaviour_of(&self, host: &str) -> Option<Behaviour> {
        self.site_of(host).map(|(s, _)| s.behaviour)
    }

    /// The server a host name is served by, as the network sees it: its site's domain.
    fn server_of<'h>(&'h self, host: &'h str) -> &'h str {
        self.site_of(host).map_or(host, |(s, _)| s.domain.as_str())
    }
}

/// Garbage in place of a TLS ServerHello (`tls-garbage` sites).
const TLS_GARBAGE: &[u8] = b"HTTP/1.0 400 Bad Request\r\n\r\nthis is not TLS\x00\x01\x02";

/// The listener of `addr` again, once the port is free (a few tries).
async fn rebind(addr: Option<std::net::SocketAddr>) -> Option<TcpListener> {
    for _ in 0..100 {
        if let Ok(l) = TcpListener::bind(addr?).await {
            return Some(l);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    world: Arc<World>,
) {
    let https = tls.is_some();
    let addr = listener.local_addr().ok();
    let mut listener = Some(listener);
    let mut uplink = world.uplink.subscribe();
    loop {
        let Some(l) = &listener else {
            // The uplink is cut: nothing listens, so connections are refused. Back on, the
            // address is bound again.
            if uplink.wait_for(|on| *on).await.is_err() {
                return;
            }
            listener = rebind(addr).await;
            if listener.is_none() {
                return;
            }
            continue;
        };
        let accepted = tokio::select! {
            r = l.accept() => r.ok().map(|(stream, _)| stream),
            _ = uplink.wait_for(|on| !*on) => None,
        };
        let Some(stream) = accepted else {
            if !*uplink.borrow() {
                listener = None;
            }
            continue;
        };
        let world = world.clone();
        world
            .connections
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tls = tls.clone();
        let ip = stream
            .local_addr()
            .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |a| a.ip());
        let raw_world = world.clone();
        let stream = Paced::new(stream, world.latency.as_ref());
        let rtt = stream.rtt_cell();
        let svc_rtt = rtt.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let world = world.clone();
                let rtt = svc_rtt.clone();
                world
                    .requests
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                async move {
                    // Counted while the request is being answered: within the client's hold
                    // on the address, whatever the TCP teardown timing.
                    let _busy = InFlight::new(ip, world.open.clone());
                    if world.slow_ips.contains(&ip) {
                        tokio::time::sleep(world.slow_delay).await;
                    }
                    if let Some(rtt) = &rtt {
                        let host = host_of(&req);
                        let server = world.server_of(&host);
                        rtt.set(server);
                        tokio::time::sleep(rtt.first_byte(server)).await;
                    }
                    Ok::<_, Infallible>(respond(req, &world, https).await)
                }
            });
            let builder = hyper::server::conn::http1::Builder::new();
            match tls {
                Some(config) => {
                    // The SNI names the site before the handshake: hostile sites answer raw.
                    let start = tokio_rustls::LazyConfigAcceptor::new(
                        rustls::server::Acceptor::default(),
                        stream,
                    );
                    let Ok(Ok(start)) = tokio::time::timeout(Duration::from_secs(10), start).await
                    else {
                        return;
                    };
                    let sni = start
                        .client_hello()
                        .server_name()
                        .map(str::to_ascii_lowercase)
                        .unwrap_or_default();
                    set_rtt(rtt.as_ref(), &raw_world, &sni);
                    let hostile = raw_world.behaviour_of(&sni);
                    match hostile {
                        Some(Behaviour::TlsGarbage) => {
                            let mut io = start.io;
                            io.write_all(TLS_GARBAGE).await.ok();
                            return;
                        }
                        Some(Behaviour::Silent) => {
                            return hostile::answer(start.io, Behaviour::Silent, "").await;
                        }
                        _ => {}
                    }
                    let Ok(Ok(s)) =
                        tokio::time::timeout(Duration::from_secs(10), start.into_stream(config))
                            .await
                    else {
                        return;
                    };
                    if s.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed) {
                        raw_world
                            .resumed
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    if let Some(b) = hostile.filter(|b| b.is_raw()) {
                        if b == Behaviour::ResetMidBody {
                            s.get_ref().0.get_ref().set_zero_linger().ok();
                        }
                        return hostile::answer(s, b, &sni).await;
                    }
                    // A client hanging up mid-exchange is normal for a test server.
                    builder.serve_connection(TokioIo::new(s), svc).await.ok();
                }
                None => {
                    if raw_world.raw_sites {
                        let host = hostile::peek_host(stream.get_ref())
                            .await
                            .unwrap_or_default();
                        let hostile = raw_world.behaviour_of(&host);
                        if let Some(b) = hostile.filter(|b| b.is_raw()) {
                            set_rtt(rtt.as_ref(), &raw_world, &host);
                            if b == Behaviour::ResetMidBody {
                                stream.get_ref().set_zero_linger().ok();
                            }
                            return hostile::answer(stream, b, &host).await;
                        }
                    }
                    builder
                        .serve_connection(TokioIo::new(stream), svc)
                        .await
                        .ok();
                }
            }
        });
    }
}

/// The host a request names (its `Host` header, without a port), or "".
fn host_of<B>(req: &Request<B>) -> String {
    req.headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(host_name)
        .unwrap_or_default()
}

/// The connection's round trip, now that it is known to be to `host`.
fn set_rtt(rtt: Option<&RttCell>, world: &World, host: &str) {
    if let Some(rtt) = rtt {
        rtt.set(world.server_of(host));
    }
}

fn simple(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        "text/plain; charset=utf-8".parse().expect("static header"),
    );
    r
}

fn redirect(status: StatusCode, location: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    if let Ok(v) = location.parse() {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

async fn compress(body: &[u8], enc: &str) -> std::io::Result<Vec<u8>> {
    use async_compression::tokio::write::{BrotliEncoder, GzipEncoder, ZlibEncoder, ZstdEncoder};
    async fn run<W: tokio::io::AsyncWrite + Unpin>(mut w: W, body: &[u8]) -> std::io::Result<W> {
        w.write_all(body).await?;
        w.shutdown().await?;
        Ok(w)
    }
    Ok(match enc {
        "gzip" => run(GzipEncoder::new(Vec::new()), body).await?.into_inner(),
        "deflate" => run(ZlibEncoder::new(Vec::new()), body).await?.into_inner(),
        "br" => run(BrotliEncoder::new(Vec::new()), body)
            .await?
            .into_inner(),
        _ => run(ZstdEncoder::new(Vec::new()), body).await?.into_inner(),
    })
}

async fn respond(
    req: Request<hyper::body::Incoming>,
    world: &World,
    https: bool,
) -> Response<Full<Bytes>> {
    let host = host_of(&req);
    let Some((site, role)) = world.site_of(&host) else {
        return simple(StatusCode::NOT_FOUND, "unknown host\n");
    };
    let path = req.uri().path();
    if role == HostRole::Other {
        return match crate::filing::other_domain_page(site) {
            crate::filing::OtherAnswer::Page(body) => {
                let mut r = Response::new(Full::new(Bytes::from(body)));
                r.headers_mut().insert(
                    CONTENT_TYPE,
                    "text/html; charset=utf-8".parse().expect("static header"),
                );
                r
            }
            crate::filing::OtherAnswer::Redirect(to) => redirect(StatusCode::MOVED_PERMANENTLY, to),
        };
    }
    let asked = crate::defended::Asked {
        host: &host,
        https,
        path,
        query: req.uri().query().unwrap_or_default(),
        headers: req.headers(),
    };
    if let Some(r) = crate::defended::answer(site, &asked, &world.limits) {
        return r;
    }
    // Redirect targets carry no port: the auditor maps default ports to the fleet's ports,
    // as it would map 80/443 on the internet.
    let www = format!("www.{}", site.domain);
    match site.behaviour {
        Behaviour::RedirectLoop => {
            let next = if path == "/" { "/loop-a" } else { "/" };
            return redirect(StatusCode::FOUND, next.to_string());
        }
        Behaviour::ServerError => {
            return simple(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n");
        }
        Behaviour::LongRedirectChain => {
            // `/` → `/hop/1` → … → `/hop/1000` → `/`.
            let n: u32 = path
                .strip_prefix("/hop/")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let next = if n >= 1000 {
                "/".to_string()
            } else {
                format!("/hop/{}", n + 1)
            };
            return redirect(StatusCode::FOUND, next);
        }
        Behaviour::RedirectToFile => {
            return redirect(StatusCode::FOUND, "file:///etc/passwd".to_string());
        }
        Behaviour::RedirectToPrivate => {
            return redirect(StatusCode::FOUND, "http://10.255.255.1/".to_string());
        }
        Behaviour::ApexToWww if role == HostRole::Apex => {
            return redirect(StatusCode::MOVED_PERMANENTLY, format!("https://{www}/"));
        }
        Behaviour::WwwToApex if role == HostRole::Www || !https => {
            return redirect(
                StatusCode::MOVED_PERMANENTLY,
                format!("https://{}{path}", site.domain),
            );
        }
        Behaviour::HttpsDowngrade if role == HostRole::Apex && https => {
            return redirect(StatusCode::MOVED_PERMANENTLY, format!("http://{www}/"));
        }
        Behaviour::Compliant if !https && site.index % 2 == 0 => {
            return redirect(
                StatusCode::MOVED_PERMANENTLY,
                format!("https://{host}{path}"),
            );
        }
        Behaviour::Slow => tokio::time::sleep(world.slow_delay).await,
        _ => {}
    }
    if site.behaviour == Behaviour::ScriptConfig && path == "/config.json" {
        let mut r = Response::new(Full::new(Bytes::from(config_json(site))));
        r.headers_mut().insert(
            CONTENT_TYPE,
            "application/json".parse().expect("static header"),
        );
        return r;
    }
    if path != "/" && path != "/index.html" {
        return simple(StatusCode::NOT_FOUND, "not found\n");
    }
    if site.behaviour == Behaviour::MetaRefresh && role == HostRole::Apex {
        let mut r = Response::new(Full::new(Bytes::from(refresh_page(&format!(
            "https://{www}/"
        )))));
        r.headers_mut().insert(
            CONTENT_TYPE,
            "text/html; charset=utf-8".parse().expect("static header"),
        );
        return r;
    }
    let with_number = !(site.behaviour == Behaviour::WwwNoNumber && role == HostRole::Www);
    let (bytes, ctype) = if site.behaviour == Behaviour::Gbk {
        let html = page(site, with_number, "gbk");
        let (b, _, _) = encoding_rs::GBK.encode(&html);
        (b.into_owned(), "text/html")
    } else {
        (
            page(site, with_number, "utf-8").into_bytes(),
            "text/html; charset=utf-8",
        )
    };
    let mut enc = None;
    let body = if site.behaviour == Behaviour::Compressed {
        let e = ["gzip", "deflate", "br", "zstd"][site.variant % 4];
        enc = Some(e);
        match compress(&bytes, e).await {
            Ok(b) => b,
            Err(_) => return simple(StatusCode::INTERNAL_SERVER_ERROR, "compression failed\n"),
        }
    } else {
        bytes
    };
    let mut r = Response::new(Full::new(Bytes::from(body)));
    r.headers_mut()
        .insert(CONTENT_TYPE, ctype.parse().expect("static header"));
    if let Some(e) = enc {
        r.headers_mut()
            .insert(CONTENT_ENCODING, e.parse().expect("static header"));
    }
    r
}
