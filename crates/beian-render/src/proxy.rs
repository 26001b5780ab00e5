//! The render's forward proxy on loopback: the browser's only way out. Plain `http://`
//! requests arrive in absolute form; `https://` ones arrive through `CONNECT`, ended here with
//! a certificate of the proxy's own ([`crate::certs`]). The page being rendered is answered
//! from the body the audit already fetched; every other request goes to the [`Upstream`] — the
//! audit's fetcher — and a request it refuses (a private address) is answered 403 and kept in
//! the render's evidence.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use url::Url;

use crate::certs::{Fixed, HostCerts, provider};
use crate::{Page, Upstream};

/// One request the page made through the proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// `GET`, `POST`, …
    pub method: String,
    /// The URL asked for.
    pub url: String,
    /// What the proxy did.
    pub outcome: ExchangeOutcome,
}

/// What the proxy did with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExchangeOutcome {
    /// The page itself, answered from the audit's fetch.
    Page,
    /// Fetched upstream: the final status.
    Fetched(u16),
    /// Refused by the audit's address guard (private or reserved address).
    Blocked(String),
    /// Upstream failed (DNS, connection, timeout, …).
    Failed(String),
    /// Not forwarded: over the request limit, or a method a render does not send.
    Refused(String),
}

/// What one render's proxy knows: the page, where else to fetch, what happened.
pub(crate) struct Session {
    page: Page,
    page_key: String,
    upstream: Arc<dyn Upstream>,
    certs: Arc<HostCerts>,
    max_requests: usize,
    count: AtomicUsize,
    page_served: AtomicBool,
    /// Appended to the page's body: the measuring script, or the screenshot's.
    inject: String,
    /// Passing a gate ([`crate::Renderer::render_past_gate`]): the `Set-Cookie` headers of
    /// the gate's response, given to the browser with it. The page's own origin is then asked
    /// as the browser asks — its cookies sent, redirects left to it, nothing shared between
    /// requests — and the page's URL asked again with a cookie goes to the server too.
    gate: Option<Vec<String>>,
    /// The answer to each URL read so far: the page's copy in the mobile frame (and any repeat)
    /// is answered from it, so a server sees each URL once per render.
    answered: Mutex<HashMap<String, Arc<tokio::sync::OnceCell<Answer>>>>,
    log: Mutex<Vec<Exchange>>,
    tasks: Mutex<JoinSet<()>>,
}

/// How the proxy answered a read.
#[derive(Clone)]
enum Answer {
    /// Upstream's response.
    Fetched {
        status: StatusCode,
        content_type: Option<String>,
        body: Bytes,
    },
    /// The proxy's own refusal or failure.
    Simple(StatusCode, String),
}

impl Answer {
    fn response(&self, method: &Method) -> Response<Full<Bytes>> {
        match self {
            Answer::Fetched {
                status,
                content_type,
                body,
            } => body_response(*status, content_type.as_deref(), body.clone(), method),
            Answer::Simple(status, text) => simple(*status, text),
        }
    }
}

/// A URL as the proxy compares it: without its fragment (the browser sends none anyway).
fn key(url: &Url) -> String {
    let mut u = url.clone();
    u.set_fragment(None);
    u.to_string()
}

impl Session {
    pub(crate) fn new(
        page: Page,
        upstream: Arc<dyn Upstream>,
        certs: Arc<HostCerts>,
        max_requests: usize,
        inject: String,
        gate: Option<Vec<String>>,
    ) -> Self {
        Session {
            inject,
            gate,
            page_key: key(&page.url),
            page,
            upstream,
            certs,
            max_requests,
            count: AtomicUsize::new(0),
            page_served: AtomicBool::new(false),
            answered: Mutex::new(HashMap::new()),
            log: Mutex::new(Vec::new()),
            tasks: Mutex::new(JoinSet::new()),
        }
    }

    /// The requests so far.
    pub(crate) fn exchanges(&self) -> Vec<Exchange> {
        // A poisoned lock only means a proxy task panicked; the log is still sound.
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn record(&self, method: &Method, url: &Url, outcome: ExchangeOutcome) {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Exchange {
                method: method.to_string(),
                url: url.to_string(),
                outcome,
            });
    }

    fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        self.tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .spawn(task);
    }

    /// A request as it reaches the proxy: `CONNECT`, or a plain request in absolute form.
    async fn outer(self: Arc<Self>, req: Request<Incoming>) -> Response<Full<Bytes>> {
        if req.method() == Method::CONNECT {
            let Some(authority) = req.uri().authority().cloned() else {
                return simple(StatusCode::BAD_REQUEST, "CONNECT without host:port");
            };
            let session = self.clone();
            self.spawn(async move {
                // The tunnel starts once the 200 below has gone out.
                if let Ok(upgraded) = hyper::upgrade::on(req).await {
                    session.tunnel(TokioIo::new(upgraded), authority).await;
                }
            });
            return Response::new(Full::new(Bytes::new()));
        }
        let cookie = cookie_of(&req);
        match Url::parse(&req.uri().to_string()) {
            Ok(url) if matches!(url.scheme(), "http") => {
                self.answer(req.method(), url, cookie).await
            }
            _ => simple(StatusCode::BAD_REQUEST, "not a proxy request"),
        }
    }

    /// An https tunnel: TLS ended here with the proxy's certificate for the host, then the
    /// requests inside it.
    async fn tunnel(
        self: Arc<Self>,
        io: TokioIo<hyper::upgrade::Upgraded>,
        authority: hyper::http::uri::Authority,
    ) {
        let Ok(cert) = self.certs.for_host(authority.host()) else {
            return;
        };
        let Ok(builder) = rustls::ServerConfig::builder_with_provider(Arc::new(provider()))
            .with_safe_default_protocol_versions()
        else {
            return;
        };
        let mut config = builder
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Fixed(cert)));
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let Ok(tls) = acceptor.accept(io).await else {
            return;
        };
        let session = self.clone();
        let svc = service_fn(move |req: Request<Incoming>| {
            let session = session.clone();
            let authority = authority.clone();
            async move {
                let path = req
                    .uri()
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .to_string();
                let cookie = cookie_of(&req);
                let resp = match Url::parse(&format!("https://{authority}{path}")) {
                    Ok(url) => session.answer(req.method(), url, cookie).await,
                    Err(_) => simple(StatusCode::BAD_REQUEST, "bad request target"),
                };
                Ok::<_, Infallible>(resp)
            }
        });
        if http1::Builder::new()
            .serve_connection(TokioIo::new(tls), svc)
            .await
            .is_err()
        {
            // The browser went away mid-request: nothing to answer.
        }
    }

    /// The answer to one request for `url` (the browser sent `cookie`).
    async fn answer(
        &self,
        method: &Method,
        url: Url,
        cookie: Option<String>,
    ) -> Response<Full<Bytes>> {
        let reads = method == Method::GET || method == Method::HEAD;
        // Passing a gate, the page asked again with the cookie the gate's script set is the
        // server's to answer: the real page, or the gate again.
        let past_gate =
            self.gate.is_some() && cookie.is_some() && self.page_served.load(Ordering::Acquire);
        if reads && key(&url) == self.page_key && !past_gate {
            if !self.page_served.swap(true, Ordering::AcqRel) {
                self.record(method, &url, ExchangeOutcome::Page);
            }
            // After the end of the document: HTML puts it into the body all the same.
            let body: Bytes = [self.page.body.as_ref(), self.inject.as_bytes()]
                .concat()
                .into();
            let mut r = body_response(
                StatusCode::OK,
                self.page.content_type.as_deref(),
                body,
                method,
            );
            for c in self.gate.iter().flatten() {
                if let Ok(v) = HeaderValue::from_str(c) {
                    r.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            return r;
        }
        if !self.page_served.load(Ordering::Acquire) {
            // Nothing of the page's can be asked before the page: this is the browser's own
            // (sign-in, suggestions), which no server of the audit's should see.
            let why = "the browser's own request, before the page".to_string();
            self.record(method, &url, ExchangeOutcome::Refused(why.clone()));
            return simple(StatusCode::FORBIDDEN, &why);
        }
        if url.path() == "/favicon.ico" {
            // The tab's icon: no part of the page, not worth a request to its server.
            self.record(method, &url, ExchangeOutcome::Refused("favicon".into()));
            return simple(StatusCode::NOT_FOUND, "no favicon in a render");
        }
        if reads && self.gate.is_some() && same_origin(&url, &self.page.url) {
            return self.visit(method, url, cookie).await;
        }
        // Once per URL: the first read goes upstream and is recorded; the others (also those
        // asked meanwhile) get its answer and count for nothing.
        let cell = self
            .answered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key(&url))
            .or_default()
            .clone();
        if let Some(answer) = cell.get() {
            return answer.response(method);
        }
        if let Some(refusal) = self.over_limit(method, &url) {
            return refusal;
        }
        if !reads {
            let why = format!("{method}: a render only reads");
            self.record(method, &url, ExchangeOutcome::Refused(why.clone()));
            return simple(StatusCode::METHOD_NOT_ALLOWED, &why);
        }
        cell.get_or_init(|| async {
            match self.upstream.get(url.clone()).await {
                Ok(f) => {
                    self.record(method, &url, ExchangeOutcome::Fetched(f.status));
                    Answer::Fetched {
                        status: StatusCode::from_u16(f.status).unwrap_or(StatusCode::BAD_GATEWAY),
                        content_type: f.content_type,
                        body: f.body,
                    }
                }
                Err(r) => {
                    let (status, message) = self.refused(method, &url, r);
                    Answer::Simple(status, message)
                }
            }
        })
        .await
        .response(method)
    }
}

impl Session {
    /// A request of the page's own origin while passing its gate, made as the browser asks
    /// it: each one upstream (a cookie changes the answer), counted and recorded; the
    /// response's `Location` and `Set-Cookie` go back to the browser, and an HTML page gets
    /// the render's script as the first page did.
    async fn visit(
        &self,
        method: &Method,
        url: Url,
        cookie: Option<String>,
    ) -> Response<Full<Bytes>> {
        if let Some(refusal) = self.over_limit(method, &url) {
            return refusal;
        }
        match self.upstream.visit(url.clone(), cookie).await {
            Ok(f) => {
                self.record(method, &url, ExchangeOutcome::Fetched(f.status));
                let html = f
                    .content_type
                    .as_deref()
                    .is_some_and(|c| c.to_ascii_lowercase().contains("html"));
                let body = if html && f.status == 200 {
                    [f.body.as_ref(), self.inject.as_bytes()].concat().into()
                } else {
                    f.body
                };
                let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::BAD_GATEWAY);
                let mut r = body_response(status, f.content_type.as_deref(), body, method);
                let headers = r.headers_mut();
                if let Some(v) = f.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
                    headers.insert(header::LOCATION, v);
                }
                for c in &f.set_cookie {
                    if let Ok(v) = HeaderValue::from_str(c) {
                        headers.append(header::SET_COOKIE, v);
                    }
                }
                r
            }
            Err(r) => {
                let (status, message) = self.refused(method, &url, r);
                simple(status, &message)
            }
        }
    }

    /// Records upstream's refusal of `url` (the address guard's, or a failure); the status
    /// and text the browser gets for it.
    fn refused(&self, method: &Method, url: &Url, r: crate::Refused) -> (StatusCode, String) {
        if r.blocked {
            self.record(method, url, ExchangeOutcome::Blocked(r.message.clone()));
            (StatusCode::FORBIDDEN, r.message)
        } else {
            self.record(method, url, ExchangeOutcome::Failed(r.message.clone()));
            (StatusCode::BAD_GATEWAY, r.message)
        }
    }

    /// Counts a request against the render's limit: the refusal once it is over.
    fn over_limit(&self, method: &Method, url: &Url) -> Option<Response<Full<Bytes>>> {
        let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        (n > self.max_requests).then(|| {
            let why = format!("more than {} requests", self.max_requests);
            self.record(method, url, ExchangeOutcome::Refused(why.clone()));
            simple(StatusCode::TOO_MANY_REQUESTS, &why)
        })
    }
}

/// The request's cookies, as one header value.
fn cookie_of<B>(req: &Request<B>) -> Option<String> {
    let all: Vec<&str> = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!all.is_empty()).then(|| all.join("; "))
}

/// Whether `a` and `b` are of one origin (scheme, host and port).
fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

fn simple(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(format!("{text}\n"))));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn body_response(
    status: StatusCode,
    content_type: Option<&str>,
    body: Bytes,
    method: &Method,
) -> Response<Full<Bytes>> {
    let body = if method == Method::HEAD {
        Bytes::new()
    } else {
        body
    };
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    if let Some(v) = content_type.and_then(|c| HeaderValue::from_str(c).ok()) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A render's proxy, listening on loopback until [`Proxy::stop`].
pub(crate) struct Proxy {
    pub(crate) addr: SocketAddr,
    session: Arc<Session>,
}

impl Proxy {
    pub(crate) async fn start(session: Arc<Session>) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let s = session.clone();
        session.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let s2 = s.clone();
                s.spawn(serve(tcp, s2));
            }
        });
        Ok(Proxy { addr, session })
    }

    /// Closes the listener and every connection and tunnel.
    pub(crate) fn stop(self) {
        self.session
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .abort_all();
    }
}

async fn serve(tcp: TcpStream, session: Arc<Session>) {
    let svc = service_fn(move |req: Request<Incoming>| {
        let session = session.clone();
        async move { Ok::<_, Infallible>(session.outer(req).await) }
    });
    if http1::Builder::new()
        .serve_connection(TokioIo::new(tcp), svc)
        .with_upgrades()
        .await
        .is_err()
    {
        // The browser closed the connection: nothing to answer.
    }
}
