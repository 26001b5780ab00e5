//! The fetcher against the fleet's real HTTP and HTTPS servers.

#![expect(clippy::unwrap_used)] // Test set-up: a failure here is a failed test.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use beian_fetch::{FetchConfig, FetchError, FetchOutcome, Fetcher, HostResolve};
use beian_fleet::{Behaviour, Fleet, FleetConfig, SiteSpec};
use beian_types::ErrorClass;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// Redirect targets resolve to the fleet address of their site.
struct FleetDns(Arc<Vec<(String, IpAddr)>>);

impl HostResolve for FleetDns {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<IpAddr>, FetchError>> + Send + 'a>> {
        Box::pin(async move {
            let apex = host.strip_prefix("www.").unwrap_or(host);
            self.0
                .iter()
                .find(|(d, _)| d == apex)
                .map(|(_, ip)| vec![*ip])
                .ok_or(FetchError {
                    class: ErrorClass::DnsNxdomain,
                    message: host.to_string(),
                })
        })
    }
}

struct Env {
    fleet: Fleet,
}

impl Env {
    async fn start() -> Env {
        let fleet = Fleet::start(FleetConfig {
            domains: 96,
            seed: 5,
            slow_delay: Duration::from_millis(800),
            ..FleetConfig::default()
        })
        .await
        .unwrap();
        Env { fleet }
    }

    fn fetcher(
        &self,
        tweak: impl FnOnce(&mut FetchConfig),
        trust_fleet: bool,
    ) -> Fetcher<FleetDns> {
        let mut cfg = FetchConfig {
            http_port: self.fleet.http_port,
            https_port: self.fleet.https_port,
            allow_private: true,
            ..FetchConfig::default()
        };
        tweak(&mut cfg);
        let roots: Vec<CertificateDer<'static>> = if trust_fleet {
            CertificateDer::pem_slice_iter(self.fleet.ca_pem.as_bytes())
                .collect::<Result<_, _>>()
                .unwrap()
        } else {
            Vec::new()
        };
        let map = self
            .fleet
            .sites
            .iter()
            .map(|s| (s.domain.clone(), self.fleet.addr_of(s)))
            .collect();
        Fetcher::new(cfg, &roots, FleetDns(Arc::new(map))).unwrap()
    }

    fn site(&self, b: Behaviour) -> &SiteSpec {
        self.fleet.site(b).unwrap()
    }

    async fn get(&self, f: &Fetcher<FleetDns>, url: &str, site: &SiteSpec) -> FetchOutcome {
        f.fetch(url.parse().unwrap(), vec![self.fleet.addr_of(site)])
            .await
    }
}

/// The number as it appears in the HTML: some themes wrap the province character in a span.
fn shows_number(o: &FetchOutcome, s: &SiteSpec) -> bool {
    let tail: String = s.icp.chars().skip(1).collect();
    body_text(o).contains(&tail)
}

fn body_text(o: &FetchOutcome) -> String {
    String::from_utf8_lossy(o.body.as_deref().unwrap_or_default()).into_owned()
}

#[tokio::test]
async fn https_page_with_verified_certificate() {
    let env = Env::start().await;
    let f = env.fetcher(|_| {}, true);
    let s = env.site(Behaviour::PsbNoIcon);
    let o = env.get(&f, &format!("https://{}/", s.domain), s).await;
    assert_eq!(o.error, None);
    assert_eq!(o.status, Some(200));
    assert!(o.is_html_page());
    assert!(shows_number(&o, s));
    let tls = o.tls.unwrap();
    assert_eq!(tls.cert_error, None);
    assert_eq!(tls.version, "TLSv1_3");
    assert!(o.timings.connect.is_some() && o.timings.tls.is_some() && o.timings.ttfb.is_some());
}

#[tokio::test]
async fn certificate_problems_are_facts_not_errors() {
    let env = Env::start().await;
    let s = env.site(Behaviour::ExpiredCert);
    let o = env
        .get(
            &env.fetcher(|_| {}, true),
            &format!("https://{}/", s.domain),
            s,
        )
        .await;
    assert_eq!(o.status, Some(200));
    assert_eq!(o.tls.unwrap().cert_error.as_deref(), Some("expired"));
    let s = env.site(Behaviour::Compliant);
    let o = env
        .get(
            &env.fetcher(|_| {}, false),
            &format!("https://{}/", s.domain),
            s,
        )
        .await;
    assert_eq!(o.status, Some(200));
    assert!(
        o.tls
            .unwrap()
            .cert_error
            .unwrap()
            .contains("unknown issuer")
    );
    let s = env.site(Behaviour::HttpOnly);
    let o = env
        .get(
            &env.fetcher(|_| {}, true),
            &format!("https://{}/", s.domain),
            s,
        )
        .await;
    assert_eq!(o.error.map(|e| e.class), Some(ErrorClass::TlsHandshake));
}

#[tokio::test]
async fn redirects_are_followed_and_recorded() {
    let env = Env::start().await;
    let f = env.fetcher(|_| {}, true);
    let s = env.site(Behaviour::ApexToWww);
    let o = env.get(&f, &format!("http://{}/", s.domain), s).await;
    assert_eq!(o.error, None);
    assert_eq!(o.hops.len(), 1);
    assert_eq!(o.hops[0].status, 301);
    assert_eq!(o.hops[0].location, format!("https://www.{}/", s.domain));
    assert_eq!(
        o.final_url.as_deref(),
        Some(format!("https://www.{}/", s.domain).as_str())
    );

    let s = env.site(Behaviour::MetaRefresh);
    let o = env.get(&f, &format!("https://{}/", s.domain), s).await;
    assert_eq!(o.hops.len(), 1, "{:?}", o.hops);
    assert_eq!(
        o.final_url.as_deref(),
        Some(format!("https://www.{}/", s.domain).as_str())
    );
    assert!(shows_number(&o, s));

    let s = env.site(Behaviour::RedirectLoop);
    let o = env.get(&f, &format!("https://{}/", s.domain), s).await;
    assert_eq!(o.error.map(|e| e.class), Some(ErrorClass::RedirectLoop));
    assert_eq!(o.hops.len(), 2);

    let s = env.site(Behaviour::ApexToWww);
    let strict = env.fetcher(|c| c.max_redirects = 0, true);
    let o = env.get(&strict, &format!("https://{}/", s.domain), s).await;
    assert_eq!(o.error.map(|e| e.class), Some(ErrorClass::RedirectLimit));
}

#[tokio::test]
async fn compressed_bodies_are_decoded() {
    let env = Env::start().await;
    let f = env.fetcher(|_| {}, true);
    let mut seen = std::collections::BTreeSet::new();
    for s in env
        .fleet
        .sites
        .iter()
        .filter(|s| s.behaviour == Behaviour::Compressed)
    {
        let o = env.get(&f, &format!("https://{}/", s.domain), s).await;
        assert_eq!(o.error, None, "{}", s.domain);
        assert!(shows_number(&o, s), "{}", s.domain);
        seen.insert(o.content_encoding.unwrap());
    }
    assert!(seen.len() >= 2, "encodings seen: {seen:?}");
}

#[tokio::test]
async fn limits_and_refusals() {
    let env = Env::start().await;
    let s = env.site(Behaviour::Compliant);
    let url = format!("https://{}/", s.domain);

    let capped = env.fetcher(|c| c.body_cap = 1000, true);
    let o = env.get(&capped, &url, s).await;
    assert!(o.body_truncated);
    // The start and the end of the page are kept, joined at a tag boundary.
    let body = o.body.unwrap();
    assert!(body.len() <= 1000);
    assert!(body.ends_with(b"</html>\n"));
    assert!(body.starts_with(b"<!DOCTYPE html>"));

    let public_only = env.fetcher(|c| c.allow_private = false, true);
    let o = env.get(&public_only, &url, s).await;
    assert_eq!(o.error.map(|e| e.class), Some(ErrorClass::AddressBlocked));
    assert_eq!(o.remote_addr, None, "nothing may be contacted");

    let slow = env.site(Behaviour::Slow);
    let impatient = env.fetcher(|c| c.response_timeout = Duration::from_millis(200), true);
    let o = env
        .get(&impatient, &format!("https://{}/", slow.domain), slow)
        .await;
    assert_eq!(o.error.map(|e| e.class), Some(ErrorClass::HttpTimeout));

    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let closed = env.fetcher(|c| c.http_port = free, true);
    let o = closed
        .fetch(
            format!("http://{}/", s.domain).parse().unwrap(),
            vec!["127.0.0.1".parse().unwrap()],
        )
        .await;
    assert_eq!(o.error.map(|e| e.class), Some(ErrorClass::ConnectRefused));
}

/// A redirect to an origin that was just talked to reuses the idle connection (no connect, no
/// TLS handshake); with `idle_connections: 0` every request opens its own, and the second
/// connection to a host resumes the TLS session of the first.
#[tokio::test]
async fn idle_connections_carry_the_next_request_to_their_origin() {
    let env = Env::start().await;
    let s = env.site(Behaviour::ApexToWww);
    for (idle, connections, resumed) in [(256, 2, 0), (0, 3, 1)] {
        let f = env.fetcher(|c| c.idle_connections = idle, true);
        let (req0, conn0) = env.fleet.served();
        let resumed0 = env.fleet.resumed_handshakes();
        // www's page first, then the apex, which redirects to that page.
        let www = env.get(&f, &format!("https://www.{}/", s.domain), s).await;
        assert_eq!(www.status, Some(200), "{www:?}");
        let apex = env.get(&f, &format!("https://{}/", s.domain), s).await;
        assert_eq!(apex.status, Some(200), "{apex:?}");
        assert_eq!(apex.hops.len(), 1, "{apex:?}");
        assert_eq!(
            apex.final_url.as_deref(),
            Some(format!("https://www.{}/", s.domain).as_str())
        );
        // The facts of the reused connection's handshake are still reported.
        assert_eq!(apex.tls.as_ref().map(|t| t.cert_error.clone()), Some(None));
        let (req1, conn1) = env.fleet.served();
        assert_eq!(req1 - req0, 3, "idle_connections {idle}");
        assert_eq!(conn1 - conn0, connections, "idle_connections {idle}");
        assert_eq!(
            env.fleet.resumed_handshakes() - resumed0,
            resumed,
            "idle_connections {idle}"
        );
        assert_eq!(
            apex.timings.connect.is_none(),
            idle > 0,
            "{:?}",
            apex.timings
        );
    }
}

/// A plain HTTP connection carries the requests for a domain's apex and `www.`: the apex's
/// page and then `www.`'s ride one connection; another site on the same address gets its own.
#[tokio::test]
async fn a_plain_connection_carries_the_apex_and_www_not_another_site() {
    use Behaviour as B;
    let env = Env::start().await;
    // Sites that serve their page on http too (no redirect to https).
    let plain = [
        B::PsbMissing,
        B::NoIcp,
        B::Unlinked,
        B::WrongLink,
        B::PsbNoIcon,
    ];
    let s = env.site(Behaviour::PsbMissing);
    let other = env
        .fleet
        .sites
        .iter()
        .find(|o| {
            o.domain != s.domain
                && plain.contains(&o.behaviour)
                && env.fleet.addr_of(o) == env.fleet.addr_of(s)
        })
        .unwrap();
    let f = env.fetcher(|_| {}, true);
    let (req0, conn0) = env.fleet.served();
    for host in [s.domain.clone(), format!("www.{}", s.domain)] {
        let o = env.get(&f, &format!("http://{host}/"), s).await;
        assert_eq!(o.status, Some(200), "{o:?}");
        assert!(shows_number(&o, s), "{host}");
    }
    let (req1, conn1) = env.fleet.served();
    assert_eq!((req1 - req0, conn1 - conn0), (2, 1));
    let o = env
        .get(&f, &format!("http://{}/", other.domain), other)
        .await;
    assert_eq!(o.status, Some(200), "{o:?}");
    let (req2, conn2) = env.fleet.served();
    assert_eq!((req2 - req1, conn2 - conn1), (1, 1));
}
