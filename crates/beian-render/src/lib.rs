//! Pages rendered in a real headless browser (Debian's `chromium`), for footers that scripts
//! write. The browser never reaches the network itself: every request it makes goes to a
//! forward proxy this crate runs on loopback for the render (`proxy`), which serves the page
//! body the audit already fetched and fetches anything else through the caller's
//! [`Upstream`] — the audit's own fetcher, with its resolver, private-address guard and
//! per-address limits. Renders are bounded in number ([`RenderConfig::concurrency`]), time
//! and memory (`browser`).

mod browser;
mod certs;
mod layout;
mod proxy;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use url::Url;

pub use browser::{BrowserNotFound, browser_version, find_browser};
pub use certs::CertError;
pub use proxy::{Exchange, ExchangeOutcome};

/// What the proxy gets from upstream for a URL the page asks for.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// HTTP status of the final response (redirects followed).
    pub status: u16,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
    /// Its body, decoded (no content coding).
    pub body: Bytes,
    /// Its `Location` (a [`Upstream::visit`] does not follow it: the browser does).
    pub location: Option<String>,
    /// Its `Set-Cookie` headers, for the browser ([`Upstream::visit`]).
    pub set_cookie: Vec<String>,
}

/// Why upstream gave no response.
#[derive(Debug, Clone)]
pub struct Refused {
    /// The address is one the audit refuses (private, reserved): the page's script reached
    /// for it and was stopped.
    pub blocked: bool,
    /// What happened, for the evidence.
    pub message: String,
}

/// A response of [`Upstream`], or why there is none.
pub type Fetching<'a> = Pin<Box<dyn Future<Output = Result<Fetched, Refused>> + Send + 'a>>;

/// Where the proxy gets what a page asks for: the audit's fetcher.
pub trait Upstream: Send + Sync + 'static {
    /// GETs `url`, following redirects.
    fn get(&self, url: Url) -> Fetching<'_>;

    /// GETs `url` as the browser asked for it while passing a gate
    /// ([`Renderer::render_past_gate`]): with the browser's `cookie`, a redirect not followed
    /// (its `Location` goes back to the browser), the response's `Set-Cookie` kept.
    fn visit(&self, url: Url, cookie: Option<String>) -> Fetching<'_>;
}

/// A page to render: the response the audit already has.
#[derive(Debug, Clone)]
pub struct Page {
    /// Its final URL (after redirects).
    pub url: Url,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
    /// Its body, decoded.
    pub body: Bytes,
}

/// How renders run.
#[derive(Debug, Clone)]
pub struct RenderConfig {
    /// The browser's executable ([`find_browser`]).
    pub browser: PathBuf,
    /// Renders at once.
    pub concurrency: usize,
    /// Time the page's scripts get, in the browser's virtual time (timers fire early,
    /// network waits are real).
    pub script_time: Duration,
    /// Wall-clock limit of one render, browser start included; the browser is killed then.
    pub timeout: Duration,
    /// Memory limit of one render's browser processes (their PSS summed: what they add to
    /// the machine, shared pages counted once), killed beyond it.
    pub memory_limit: u64,
    /// Most requests one page may make to servers through the proxy (the page itself, served
    /// from the audit's fetch, not counted).
    pub max_requests: usize,
    /// Viewport, CSS pixels (the mobile one, 390×844, is a frame inside it: `measure.js`).
    pub window: (u32, u32),
}

impl RenderConfig {
    /// Defaults for `browser`: renders fitted to the cores (a render keeps about one core
    /// busy for a second), 5 s of script time, 20 s in all, 1 GiB, 64 requests, 1366×768 (a
    /// common desktop screen).
    pub fn new(browser: PathBuf) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        RenderConfig {
            browser,
            concurrency: cores.max(1),
            script_time: Duration::from_secs(5),
            timeout: Duration::from_secs(20),
            memory_limit: 1 << 30,
            max_requests: 64,
            window: (1366, 768),
        }
    }
}

/// A rendered page.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The DOM after the scripts ran, serialised.
    pub html: String,
    /// Wall time of the render (waiting for a render slot not included).
    pub elapsed: Duration,
    /// Waiting for a render slot.
    pub waited: Duration,
    /// Every request the page made, in order.
    pub exchanges: Vec<Exchange>,
    /// Where the page's digit runs sit and how they show (docs/rulebook.md §5.2), when the
    /// measuring script ran.
    pub layout: Option<beian_types::Layout>,
    /// The same in the mobile viewport, when its frame was measured.
    pub mobile_layout: Option<beian_types::Layout>,
    /// The most memory the browser's processes were seen to hold together (PSS, sampled
    /// every 200 ms; 0 for a render shorter than one sample), bytes.
    pub peak_memory: u64,
}

impl Rendered {
    /// The requests the audit refused (private or reserved addresses).
    pub fn blocked(&self) -> impl Iterator<Item = &Exchange> {
        self.exchanges
            .iter()
            .filter(|e| matches!(e.outcome, ExchangeOutcome::Blocked(_)))
    }
}

/// A render that produced no DOM.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RenderFailure {
    /// The browser ran past [`RenderConfig::timeout`].
    #[error("render timed out after {0:?}")]
    Timeout(Duration),
    /// The browser's processes went past [`RenderConfig::memory_limit`].
    #[error("render stopped: browser memory above {0} MiB")]
    Memory(u64),
    /// The browser exited without a DOM.
    #[error("browser exited without a page ({0})")]
    NoOutput(String),
    /// The browser or the proxy could not be started.
    #[error("render could not start: {0}")]
    Start(String),
}

impl RenderFailure {
    /// A stable name of the failure's kind, for counts: `timeout`, `memory`, `no_output`,
    /// `start`.
    pub fn class(&self) -> &'static str {
        match self {
            RenderFailure::Timeout(_) => "timeout",
            RenderFailure::Memory(_) => "memory",
            RenderFailure::NoOutput(_) => "no_output",
            RenderFailure::Start(_) => "start",
        }
    }
}

/// Added to a page rendered for a screenshot, with `DIGITS` replaced by the number's digits
/// (or nothing): once the page's scripts had their time, the element showing the digits is
/// outlined and the page moved up so that the viewport — the footer's height — shows it, or
/// the page's bottom when the number is not there (a scroll is not kept by the headless
/// screenshot).
const FOCUS: &str = "<script>window.addEventListener('load', function () { setTimeout(function () { \
var digits = 'DIGITS', d = document.documentElement, b = document.body, y = null; \
if (digits && b) { var w = document.createTreeWalker(b, NodeFilter.SHOW_TEXT, null), n; \
while ((n = w.nextNode())) { if (n.data.indexOf(digits) < 0 || !n.parentElement) continue; \
var el = n.parentElement, r = el.getBoundingClientRect(); if (r.width < 1 || r.height < 1) continue; \
el.style.outline = '3px solid #e00'; el.style.outlineOffset = '3px'; \
y = r.top + window.scrollY + r.height / 2; break; } } \
var h = Math.max(d.scrollHeight, b ? b.scrollHeight : 0), v = window.innerHeight; \
var top = y === null ? h - v : Math.min(h - v, y - v / 2); \
var s = document.createElement('style'); \
s.textContent = 'html { transform: translateY(-' + Math.max(0, top) + 'px); }'; \
(document.head || d).appendChild(s); }, 1500); });</script>";

/// The height of a screenshot's viewport, CSS pixels: about a footer's.
const SCREENSHOT_HEIGHT: u32 = 480;

/// A render that failed, and the time it took (waiting for a slot not included).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{reason}")]
pub struct RenderError {
    /// What went wrong.
    pub reason: RenderFailure,
    /// Time from the browser's start (or the attempt) to the failure.
    pub elapsed: Duration,
    /// The most memory the browser's processes were seen to hold ([`Rendered::peak_memory`]).
    pub peak_memory: u64,
}

/// Renders pages, bounded in number at once.
pub struct Renderer {
    cfg: RenderConfig,
    slots: Arc<tokio::sync::Semaphore>,
    certs: Arc<certs::HostCerts>,
    upstream: Arc<dyn Upstream>,
}

/// The renderer could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The proxy's certificate key could not be made.
    #[error("the render proxy's certificate key")]
    Key(#[source] certs::CertError),
}

impl Renderer {
    /// A renderer fetching through `upstream`.
    pub fn new(cfg: RenderConfig, upstream: Arc<dyn Upstream>) -> Result<Self, SetupError> {
        Ok(Renderer {
            slots: Arc::new(tokio::sync::Semaphore::new(cfg.concurrency.max(1))),
            certs: Arc::new(certs::HostCerts::new().map_err(SetupError::Key)?),
            upstream,
            cfg,
        })
    }

    /// The browser this renderer starts.
    pub fn browser(&self) -> &Path {
        &self.cfg.browser
    }

    /// Renders `page`: waits for a render slot (calling `on_wait` first when none is free, so
    /// the caller can step aside for work that needs no render), serves the page to a fresh
    /// browser through a proxy of its own, and returns the DOM after the scripts ran.
    pub async fn render(
        &self,
        page: Page,
        on_wait: &(dyn Fn() + Sync),
    ) -> Result<Rendered, RenderError> {
        self.run(
            page,
            on_wait,
            browser::Output::Dom,
            &self.cfg,
            (layout::MEASURE.to_string(), None),
        )
        .await
    }

    /// Renders `page`, a gate a browser passes (a script that sets a cookie and reloads, a
    /// proof of work), as [`Renderer::render`] does, except that the browser gets the gate's
    /// cookies (`set_cookie`, its response's `Set-Cookie`) and, once its script has run, asks
    /// the site itself for what follows: the page's own origin is asked as the browser asks it
    /// (its cookies sent, redirects left to it), through the same proxy and address guard. The
    /// DOM is that of the page the browser ended on: the site's own, when the gate let it
    /// through. Never a solver: what passes is the page's own script, in the browser.
    pub async fn render_past_gate(
        &self,
        page: Page,
        set_cookie: Vec<String>,
        on_wait: &(dyn Fn() + Sync),
    ) -> Result<Rendered, RenderError> {
        self.run(
            page,
            on_wait,
            browser::Output::Dom,
            &self.cfg,
            (layout::MEASURE.to_string(), Some(set_cookie)),
        )
        .await
    }

    /// A PNG of `page`'s footer at `path`, rendered as [`Renderer::render`] does: the
    /// element showing `digits` (the number's) outlined in red in the middle of the picture,
    /// or the page's bottom when they are not shown; a footer's height, the viewport's width.
    pub async fn screenshot(
        &self,
        page: Page,
        path: &Path,
        digits: Option<&str>,
        on_wait: &(dyn Fn() + Sync),
    ) -> Result<Rendered, RenderError> {
        let cfg = RenderConfig {
            window: (self.cfg.window.0, SCREENSHOT_HEIGHT),
            ..self.cfg.clone()
        };
        // Digits only: nothing of the page's text reaches the script's source.
        let digits: String = digits
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let script = FOCUS.replace("DIGITS", &digits);
        self.run(
            page,
            on_wait,
            browser::Output::Screenshot(path),
            &cfg,
            (script, None),
        )
        .await
    }

    async fn run(
        &self,
        page: Page,
        on_wait: &(dyn Fn() + Sync),
        output: browser::Output<'_>,
        cfg: &RenderConfig,
        (inject, gate): (String, Option<Vec<String>>),
    ) -> Result<Rendered, RenderError> {
        let asked = Instant::now();
        let failed = |reason, started: Instant| RenderError {
            reason,
            elapsed: started.elapsed(),
            peak_memory: 0,
        };
        let _slot = match self.slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                on_wait();
                self.slots
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(|e| failed(RenderFailure::Start(e.to_string()), Instant::now()))?
            }
        };
        let waited = asked.elapsed();
        let started = Instant::now();
        let url = page.url.clone();
        let session = Arc::new(proxy::Session::new(
            page,
            self.upstream.clone(),
            self.certs.clone(),
            self.cfg.max_requests,
            inject,
            gate,
        ));
        let proxy = proxy::Proxy::start(session.clone())
            .await
            .map_err(|e| failed(RenderFailure::Start(format!("proxy: {e}")), started))?;
        let peak = std::sync::atomic::AtomicU64::new(0);
        let result = browser::run(cfg, &url, proxy.addr, output, &peak).await;
        proxy.stop();
        let peak_memory = peak.into_inner();
        let mut html = result.map_err(|reason| RenderError {
            peak_memory,
            ..failed(reason, started)
        })?;
        let (layout, mobile_layout) = layout::take(&mut html);
        Ok(Rendered {
            html,
            elapsed: started.elapsed(),
            waited,
            exchanges: session.exchanges(),
            layout,
            mobile_layout,
            peak_memory,
        })
    }
}
