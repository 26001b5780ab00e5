//! Renders in Debian's chromium (`make test` installs it), every request through the render's
//! proxy and the audit's fetcher against the simulated fleet.

#![expect(clippy::unwrap_used)] // Test set-up: a failure here is a failed test.
#![expect(clippy::print_stderr)] // The test output says which browser and how much memory.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use beian_fetch::{FetchConfig, FetchError, Fetcher, HostResolve};
use beian_fleet::{Behaviour, Fleet, FleetConfig};
use beian_render::{
    ExchangeOutcome, Fetched, Page, Refused, RenderConfig, RenderFailure, Renderer, Upstream,
    browser_version, find_browser,
};
use beian_types::ErrorClass;
use bytes::Bytes;
use url::Url;

/// Fleet hosts resolve to their site's address.
#[derive(Clone)]
struct FleetDns(Arc<Vec<(String, IpAddr)>>);

impl FleetDns {
    fn lookup(&self, host: &str) -> Result<Vec<IpAddr>, FetchError> {
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        let apex = host.strip_prefix("www.").unwrap_or(host);
        self.0
            .iter()
            .find(|(d, _)| d == apex)
            .map(|(_, ip)| vec![*ip])
            .ok_or(FetchError {
                class: ErrorClass::DnsNxdomain,
                message: host.to_string(),
            })
    }
}

impl HostResolve for FleetDns {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<IpAddr>, FetchError>> + Send + 'a>> {
        Box::pin(async move { self.lookup(host) })
    }
}

/// The audit's fetcher as the proxy's upstream: the fleet's addresses allowed, every other
/// private address refused.
struct ViaFetcher {
    fetcher: Fetcher<FleetDns>,
    dns: FleetDns,
}

impl ViaFetcher {
    fn refused(e: FetchError) -> Refused {
        Refused {
            blocked: e.class == ErrorClass::AddressBlocked,
            message: format!("{}: {}", e.class, e.message),
        }
    }

    fn fetched(out: beian_fetch::FetchOutcome) -> Result<Fetched, Refused> {
        if let Some(e) = out.error {
            return Err(Self::refused(e));
        }
        let header = |name: &'static str| {
            out.headers
                .iter()
                .filter(move |(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        Ok(Fetched {
            status: out.status.unwrap_or(502),
            location: header("location").next(),
            set_cookie: header("set-cookie").collect(),
            content_type: out.content_type,
            body: out.body.unwrap_or_default(),
        })
    }
}

impl Upstream for ViaFetcher {
    fn get(&self, url: Url) -> beian_render::Fetching<'_> {
        Box::pin(async move {
            let addrs = self
                .dns
                .lookup(url.host_str().unwrap_or_default())
                .map_err(Self::refused)?;
            Self::fetched(self.fetcher.fetch(url, addrs).await)
        })
    }

    fn visit(&self, url: Url, cookie: Option<String>) -> beian_render::Fetching<'_> {
        Box::pin(async move {
            let addrs = self
                .dns
                .lookup(url.host_str().unwrap_or_default())
                .map_err(Self::refused)?;
            Self::fetched(self.fetcher.visit(url, addrs, cookie.as_deref()).await)
        })
    }
}

async fn setup() -> (Fleet, Renderer) {
    setup_with(|_| {}).await
}

async fn setup_with(tweak: impl FnOnce(&mut RenderConfig)) -> (Fleet, Renderer) {
    let fleet = Fleet::start(FleetConfig {
        domains: 40,
        seed: 1717,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let dns = FleetDns(Arc::new(
        fleet
            .sites
            .iter()
            .map(|s| (s.domain.clone(), fleet.addr_of(s)))
            .collect(),
    ));
    let cfg = FetchConfig {
        http_port: fleet.http_port,
        https_port: fleet.https_port,
        allow_nets: vec!["127.0.1.0/24".parse().unwrap()],
        connect_timeout: Duration::from_secs(2),
        ..FetchConfig::default()
    };
    let roots: Vec<_> = rustls_roots(&fleet.ca_pem);
    let fetcher = Fetcher::new(cfg, &roots, dns.clone()).unwrap();
    let browser = find_browser(None).expect("chromium: make test installs it");
    // Which browser the verdicts came from, in the test's output.
    eprintln!(
        "browser: {} ({})",
        browser.display(),
        browser_version(&browser)
            .await
            .as_deref()
            .unwrap_or("version unknown")
    );
    let mut rc = RenderConfig::new(browser);
    // Far above a render's time on a loaded machine: a render that should finish is never
    // stopped by the clock here (the tests of the limits set their own).
    rc.timeout = Duration::from_secs(120);
    tweak(&mut rc);
    let renderer = Renderer::new(rc, Arc::new(ViaFetcher { fetcher, dns })).unwrap();
    (fleet, renderer)
}

fn rustls_roots(pem: &str) -> Vec<rustls_pki_types::CertificateDer<'static>> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap()
}

fn page(url: &str, html: &str) -> Page {
    Page {
        url: url.parse().unwrap(),
        content_type: Some("text/html; charset=utf-8".into()),
        body: Bytes::from(html.to_string()),
    }
}

/// A footer written by `document.write`, one set by a timer, and one filled from a JSON the
/// page fetches from its own site: all in the rendered DOM; the page itself is served from
/// the given body (the fleet never sees a request for it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_write_the_footer_and_the_proxy_serves_the_page() {
    let (fleet, renderer) = setup().await;
    let site = fleet
        .sites
        .iter()
        .find(|s| s.behaviour == Behaviour::Unlinked)
        .unwrap();
    let url = format!("https://www.{}/", site.domain);
    // The site's own page, fetched by the script through the proxy, holds the site's number.
    let html = r#"<!doctype html><html><head><meta charset="utf-8"></head><body>
<div id="app"></div><footer id="f"></footer>
<script>document.write('<p id="w">京ICP备11111111号-1</p>');
setTimeout(function () { document.getElementById('f').textContent = '沪ICP备22222222号-2'; }, 3000);
fetch('/index.html').then(function (r) { return r.text(); }).then(function (t) {
  document.getElementById('app').textContent =
    'from the site: ' + (t.indexOf('NUMBER') >= 0 ? 'NUMBER' : 'none');
});</script></body></html>"#
        .replace("NUMBER", &site.icp);
    let (before, _) = fleet.served();
    let r = renderer.render(page(&url, &html), &|| {}).await.unwrap();
    let (after, _) = fleet.served();
    assert!(r.html.contains("京ICP备11111111号-1"), "{}", r.html);
    assert!(r.html.contains("沪ICP备22222222号-2"), "{}", r.html);
    assert!(
        r.html.contains(&format!("from the site: {}", site.icp)),
        "{} {:?}",
        r.html,
        r.exchanges
    );
    // The page came from the given body; only the script's fetch reached the fleet. The
    // browser's own requests (before the page) and the favicon were refused by the proxy.
    assert_eq!(after - before, 1, "{:?}", r.exchanges);
    let forwarded: Vec<(String, ExchangeOutcome)> = r
        .exchanges
        .iter()
        .filter(|e| !matches!(e.outcome, ExchangeOutcome::Refused(_)))
        .map(|e| (e.url.clone(), e.outcome.clone()))
        .collect();
    assert_eq!(
        forwarded,
        [
            (url.clone(), ExchangeOutcome::Page),
            (format!("{url}index.html"), ExchangeOutcome::Fetched(200))
        ],
        "{:?}",
        r.exchanges
    );
}

/// A script that reaches for a private address is refused by the audit's guard, and the
/// render says so; the page still renders.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_address_is_blocked_and_reported() {
    let (fleet, renderer) = setup().await;
    let site = &fleet.sites[0];
    let url = format!("http://{}/", site.domain);
    let html = r#"<html><body><footer id="f">pending</footer><script>
fetch('http://10.255.255.1/footer.json').then(function (r) { return r.status; })
  .then(function (s) { document.getElementById('f').textContent = 'status ' + s; })
  .catch(function (e) { document.getElementById('f').textContent = 'failed'; });
</script></body></html>"#;
    let r = renderer.render(page(&url, html), &|| {}).await.unwrap();
    let blocked: Vec<_> = r.blocked().collect();
    assert_eq!(blocked.len(), 1, "{:?}", r.exchanges);
    assert_eq!(blocked[0].url, "http://10.255.255.1/footer.json");
    // The script got nothing (a 403 without CORS headers fails the fetch).
    assert!(r.html.contains(">failed<"), "{}", r.html);
    // Nothing but the page and that request got past the proxy.
    let forwarded = r
        .exchanges
        .iter()
        .filter(|e| !matches!(e.outcome, ExchangeOutcome::Refused(_)))
        .count();
    assert_eq!(forwarded, 2, "{:?}", r.exchanges);
}

/// A page whose script never ends: the render is stopped at the time limit and leaves no
/// browser process behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_that_never_ends_times_out() {
    // The page never ends, so the limit is reached however fast the machine is.
    let (fleet, renderer) = setup_with(|c| c.timeout = Duration::from_secs(5)).await;
    let url = format!("https://{}/", fleet.sites[1].domain);
    let html = "<html><body><footer>x</footer><script>for (;;) {}</script></body></html>";
    let err = renderer.render(page(&url, html), &|| {}).await.unwrap_err();
    assert!(matches!(err.reason, RenderFailure::Timeout(_)), "{err}");
    // Every process of the render is gone.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let left = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path().join("cmdline")).ok())
        .filter(|c| c.contains(&url) && c.contains("--dump-dom"))
        .count();
    assert_eq!(left, 0);
}

/// The pixels of a screenshot that are the outline's red, and its size.
fn red_pixels(path: &std::path::Path) -> (usize, (u32, u32)) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let red = buf[..info.buffer_size()]
        .chunks(channels)
        .filter(|p| p[0] > 200 && p[1] < 60 && p[2] < 60)
        .count();
    (red, (info.width, info.height))
}

/// A screenshot shows the footer: the element with the number outlined in red, in the
/// middle of a footer-high picture; without a number, the page's bottom.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screenshot_of_the_footer_outlines_the_number() {
    let (fleet, renderer) = setup().await;
    let url = format!("https://{}/", fleet.sites[2].domain);
    let lines: String = (0..200).map(|i| format!("<p>line {i}</p>")).collect();
    let html = format!(
        r#"<html><head><meta charset="utf-8"></head><body>{lines}
<footer style="text-align:center;background:#fde"><p>© 2024 某某公司 <a href="https://beian.miit.gov.cn/">京ICP备12345678号-1</a></p>{lines}</footer></body></html>"#
    );
    let dir = tempfile_dir();
    let path = dir.join("footer.png");
    let r = renderer
        .screenshot(page(&url, &html), &path, Some("12345678"), &|| {})
        .await
        .unwrap();
    let png = std::fs::read(&path).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(r.peak_memory < 1 << 30, "{} bytes", r.peak_memory);
    // Far from the page's bottom (200 lines follow), the number is in the picture, outlined.
    let (red, size) = red_pixels(&path);
    assert_eq!(size, (1366, 480));
    assert!(red > 300, "{red} red pixels");
    if std::env::var_os("BEIAN_KEEP_SCREENSHOT").is_some() {
        std::fs::copy(&path, "/tmp/beian-render-footer.png").unwrap();
    }
    // No number: the bottom of the page, nothing outlined.
    let bottom = dir.join("bottom.png");
    renderer
        .screenshot(page(&url, &html), &bottom, None, &|| {})
        .await
        .unwrap();
    assert_eq!(red_pixels(&bottom).0, 0);
    std::fs::remove_dir_all(&dir).ok();
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("beian-render-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A page that eats memory: its browser is killed at the render's memory limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_past_the_memory_limit_is_stopped() {
    let (fleet, renderer) = setup_with(|c| {
        c.memory_limit = 400 << 20;
        // The page allocates until stopped: the memory limit comes first, on any machine.
        c.timeout = Duration::from_secs(300);
    })
    .await;
    let url = format!("https://{}/", fleet.sites[3].domain);
    let html = "<html><body><footer>x</footer><script>var keep = [];
for (;;) { keep.push(new Array(1 << 20).fill(keep.length)); }</script></body></html>";
    let err = renderer.render(page(&url, html), &|| {}).await.unwrap_err();
    assert!(matches!(err.reason, RenderFailure::Memory(400)), "{err}");
    assert!(err.peak_memory > 400 << 20, "{err:?}");
}

/// An ordinary page on today's Chromium stays well inside the default limit (1 GiB): the
/// limit counts what the browser's processes cost together (PSS), not each shared page once
/// per process — a sum of resident sizes put a plain page past 1 GiB on Chromium 156.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ordinary_page_renders_within_the_default_memory_limit() {
    let (fleet, renderer) = setup_with(|c| *c = RenderConfig::new(c.browser.clone())).await;
    let limit = RenderConfig::new(renderer.browser().to_path_buf()).memory_limit;
    let url = format!("https://{}/", fleet.sites[2].domain);
    // A timer keeps the page alive past several memory samples.
    let html = r#"<html><head><meta charset="utf-8"></head><body><main><h1>新闻</h1><p>正文</p></main>
<footer id="f"></footer><script>setTimeout(function () {
document.getElementById('f').textContent = '京ICP备12345678号-1'; }, 2000);</script></body></html>"#;
    let r = renderer.render(page(&url, html), &|| {}).await.unwrap();
    assert!(r.html.contains("京ICP备12345678号-1"), "{}", r.html);
    eprintln!("peak browser memory (PSS): {} MiB", r.peak_memory >> 20);
    assert!(r.peak_memory > 0, "never sampled");
    // Well inside: a sum of resident sizes, counting shared pages per process, came close
    // to the limit or past it for the same page.
    assert!(r.peak_memory < limit / 4 * 3, "{} MiB", r.peak_memory >> 20);
}
