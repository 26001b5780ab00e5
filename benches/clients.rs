//! The other clients the benchmarks compare the audit with: the URLs an audit requests first,
//! and a minimal rustls + hyper client that only connects, handshakes, sends one GET and reads
//! the body (the machine's limit for that work).

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use beian_fleet::{Fleet, SiteSpec};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::sync::Semaphore;

/// The fleet's CA certificate.
pub(crate) fn fleet_ca(fleet: &Fleet) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(fleet.ca_pem.as_bytes())
        .collect::<Result<_, _>>()
        .expect("fleet CA")
}

/// The URLs of hosts that exist in DNS: what an audit requests first (apex and www, https and
/// http), with the address each host resolves to, served on `http_port`/`https_port`.
pub(crate) fn urls(
    fleet: &Fleet,
    sites: &[SiteSpec],
    (http_port, https_port): (u16, u16),
) -> Vec<(String, String, SocketAddr, bool)> {
    let mut out = Vec::new();
    for s in sites {
        let dns_fails = beian_fleet::expected_errors(s);
        for (role, host) in [
            ("apex", s.domain.clone()),
            ("www", format!("www.{}", s.domain)),
        ] {
            if dns_fails
                .iter()
                .any(|(r, _, class)| *r == role && class.starts_with("dns_"))
            {
                continue;
            }
            let ip = fleet.addr_of(s);
            out.push((
                format!("https://{host}:{}/", https_port),
                host.clone(),
                SocketAddr::new(ip, https_port),
                true,
            ));
            out.push((
                format!("http://{host}:{}/", http_port),
                host,
                SocketAddr::new(ip, http_port),
                false,
            ));
        }
    }
    out
}

/// curl fetching `urls` as the audit does (following redirects, decompressing), `concurrency`
/// transfers at once, the hosts pinned to their addresses; `None` when curl is missing. One
/// curl process per chunk of URLs, one after another: curl 7.88 spends minutes of CPU before
/// its first transfer when one `-K` file holds tens of thousands of URLs (measured: 9 requests
/// in 578 s for 36,128 URLs), while chunks of 2,000 run at its normal rate. The figures are
/// the chunks' sums (peak RSS: the largest).
pub(crate) fn curl_parallel(
    urls: &[(String, String, SocketAddr, bool)],
    ca_path: &Path,
    dir: &Path,
    concurrency: usize,
) -> Option<crate::measure::Usage> {
    Command::new("curl").arg("--version").output().ok()?;
    let mut all = crate::measure::Usage {
        ok: true,
        ..Default::default()
    };
    for (n, chunk) in urls.chunks(2000).enumerate() {
        let cfg_path = dir.join(format!("curl-{n}.cfg"));
        let mut cfg = std::fs::File::create(&cfg_path).unwrap();
        let mut resolved = std::collections::BTreeSet::new();
        for (url, host, addr, _) in chunk {
            if resolved.insert((host.clone(), addr.port())) {
                writeln!(cfg, "resolve = \"{host}:{}:{}\"", addr.port(), addr.ip()).unwrap();
            }
            writeln!(cfg, "url = \"{url}\"\noutput = \"/dev/null\"").unwrap();
        }
        drop(cfg);
        let u = crate::measure::run_measured(
            Command::new("curl")
                .args(["--parallel", "--parallel-max", &concurrency.to_string()])
                .args(["-s", "--no-progress-meter", "-L", "--max-redirs", "10"])
                .args(["--compressed", "--max-time", "10"])
                .arg("--cacert")
                .arg(ca_path)
                .arg("-K")
                .arg(&cfg_path),
        );
        all.wall += u.wall;
        all.cpu += u.cpu;
        all.max_rss_mib = all.max_rss_mib.max(u.max_rss_mib);
    }
    Some(all)
}

/// One HTTP/1.1 exchange on an open stream, body read to the end.
async fn get<S>(io: S, req: hyper::Request<Empty<Bytes>>) -> Option<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut send, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io))
        .await
        .ok()?;
    tokio::spawn(conn);
    let resp = send.send_request(req).await.ok()?;
    resp.into_body().collect().await.ok()?;
    Some(())
}

/// What a run of the minimal client did: URLs fetched whole, its wall time and its CPU.
pub(crate) struct MinimalRun {
    pub(crate) ok: usize,
    pub(crate) wall: Duration,
    pub(crate) cpu: Duration,
}

/// Runs [`minimal_client`] on a runtime of its own whose threads are named `minimal`, so its
/// CPU is told apart from the fleet's in this process.
pub(crate) fn run_minimal_client(
    urls: Vec<(String, String, SocketAddr, bool)>,
    ca: &[CertificateDer<'static>],
    concurrency: usize,
) -> MinimalRun {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("minimal")
        .enable_all()
        .build()
        .unwrap();
    let t = std::time::Instant::now();
    let ok = rt.block_on(minimal_client(urls, ca, concurrency));
    MinimalRun {
        ok,
        wall: t.elapsed(),
        // Read while the runtime's threads still exist.
        cpu: crate::measure::cpu_of_threads("minimal"),
    }
}

/// The machine's limit for this work: connect, handshake, GET, read the body; no parsing, no
/// redirects, one connection per URL.
async fn minimal_client(
    urls: Vec<(String, String, SocketAddr, bool)>,
    ca: &[CertificateDer<'static>],
    concurrency: usize,
) -> usize {
    let mut roots = rustls::RootCertStore::empty();
    for c in ca {
        roots.add(c.clone()).expect("fleet CA");
    }
    // The audit's TLS provider (its cipher-suite order): the server follows the client's
    // order, so both clients cost the fleet the same per handshake.
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(beian_fetch::crypto_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(tls));
    let sem = Arc::new(Semaphore::new(concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    for (url, host, addr, https) in urls {
        let permit = sem.clone().acquire_owned().await.expect("semaphore");
        let connector = connector.clone();
        tasks.spawn(async move {
            let _permit = permit;
            let fetch = async {
                let tcp = tokio::net::TcpStream::connect(addr).await.ok()?;
                let req = hyper::Request::get(url)
                    .header(hyper::header::HOST, host.as_str())
                    .body(Empty::<Bytes>::new())
                    .ok()?;
                if https {
                    let name = ServerName::try_from(host.clone()).ok()?;
                    let tls = connector.connect(name, tcp).await.ok()?;
                    get(tls, req).await
                } else {
                    get(tcp, req).await
                }
            };
            tokio::time::timeout(Duration::from_secs(10), fetch)
                .await
                .ok()
                .flatten()
                .is_some()
        });
    }
    let mut ok = 0;
    while let Some(r) = tasks.join_next().await {
        ok += usize::from(r.unwrap_or(false));
    }
    ok
}
