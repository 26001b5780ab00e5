//! The audit against real servers (issue 16): the simulated fleet's sites exported to disk
//! (`beian_fleet::export`: pages, redirects, one certificate per host) and served by Debian's
//! nginx on the fleet's loopback addresses, names answered by the fleet's DNS server. One
//! audit of all domains; nginx's access log (`$connection`, `$connection_requests`,
//! `$ssl_session_reused`) says what reached the servers.
//!
//! `cargo bench --bench nginx -- [--domains N] [--concurrency C] [--workers W] [--mix fleet]
//! [--curl-sites N | --no-curl] [--no-minimal]`
//! (`make bench-nginx`, which installs nginx when missing); `BEIAN_BIN=path` audits with
//! another build of `beian` (a before/after comparison on the same export),
//! `BEIAN_AUDIT_ARGS="--http2"` adds flags to the audit, `BEIAN_BENCH_KEEP=1` keeps the export, the log and the audit's output. Figures: requests and the
//! distinct URLs they asked for (scheme, host, path), connections, full and resumed TLS
//! handshakes and the distinct https hosts, nginx's CPU (master and workers), the audit's CPU
//! and peak RSS, the DNS server's CPU (the fleet's threads; its web servers sit idle); then
//! `curl --parallel` and the minimal client of `clients.rs` on the same servers (first URLs
//! only; curl follows redirects, the minimal client makes one connection each), for what nginx
//! spends on a common tool's and on the bare minimum of that work.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark: a failure ends it.
#![allow(clippy::print_stdout, clippy::print_stderr)] // It reports its figures on the terminal.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use beian_fleet::Behaviour;
use beian_fleet::export::Nginx;

#[path = "clients.rs"]
mod clients;
#[path = "measure.rs"]
mod measure;
use clients::{curl_parallel, fleet_ca, run_minimal_client, urls};
use measure::{
    arg, audit_command, beian_bin, cpu_of_process_tree, cpu_of_threads, flag, run_measured,
    start_fleet,
};

struct Opts {
    domains: usize,
    concurrency: usize,
    workers: usize,
    /// `typical` (default): mostly redirecting sites, as issue 16 measured; `fleet`: the
    /// fleet bench's mix (every behaviour but the slow ones, once each).
    typical: bool,
    /// Also run curl on the same servers, on the first this many sites (curl spends ~5 ms of
    /// CPU per URL here: all 10,000 sites took it 11 minutes); 0: not at all.
    curl_sites: usize,
    /// Also run the minimal client on the same servers.
    minimal: bool,
}

/// Issue 16's "typical mix": most sites redirect — www → apex and http → https, so that a
/// site's four probes converge on one page (`www-to-apex`; the issue measured 7.1 requests
/// for 4.0 distinct URLs per domain) — and some apex → www, with some loops, missing www, bad
/// certificates, GBK and gzip pages, and the usual footer faults. Repeating a behaviour
/// weighs it (the fleet deals them out round by round).
fn typical_mix() -> Vec<Behaviour> {
    use Behaviour as B;
    let mut mix = Vec::new();
    for (b, weight) in [
        (B::WwwToApex, 14),
        (B::ApexToWww, 3),
        (B::Compliant, 2),
        (B::MetaRefresh, 1),
        (B::RedirectLoop, 1),
        (B::MissingWww, 1),
        (B::ExpiredCert, 1),
        (B::WrongNameCert, 1),
        (B::Gbk, 1),
        (B::Compressed, 1),
        (B::Unlinked, 1),
        (B::PsbMissing, 1),
    ] {
        mix.extend(std::iter::repeat_n(b, weight));
    }
    mix
}

fn opts() -> Opts {
    let args: Vec<String> = std::env::args().collect();
    let mix = args
        .iter()
        .position(|a| a == "--mix")
        .and_then(|i| args.get(i + 1));
    Opts {
        domains: arg("--domains", 10_000),
        concurrency: arg("--concurrency", 256),
        workers: arg("--workers", 2),
        typical: mix.is_none_or(|m| m != "fleet"),
        curl_sites: if flag("--no-curl") {
            0
        } else {
            arg("--curl-sites", 2_000)
        },
        minimal: !flag("--no-minimal"),
    }
}

/// What nginx's access log says.
#[derive(Debug, Default)]
struct Served {
    requests: u64,
    urls: u64,
    connections: u64,
    https_connections: u64,
    resumed: u64,
    https_hosts: u64,
    statuses: HashMap<String, u64>,
    protocols: HashMap<String, u64>,
}

/// The lines of nginx's access log so far.
fn log_lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn read_log(lines: &[String]) -> Served {
    let mut s = Served::default();
    let mut urls = HashSet::new();
    let mut conns: HashMap<String, (bool, bool)> = HashMap::new();
    let mut hosts = HashSet::new();
    for line in lines {
        // $connection $connection_requests $scheme $host $request_uri $status $ssl_session_reused
        // $request_time $server_protocol
        let f: Vec<&str> = line.split(' ').collect();
        let [
            conn,
            nth,
            scheme,
            host,
            uri,
            status,
            reused,
            _,
            protocol,
            ..,
        ] = f.as_slice()
        else {
            continue;
        };
        s.requests += 1;
        *s.protocols.entry((*protocol).to_string()).or_default() += 1;
        urls.insert(format!("{scheme}://{host}{uri}"));
        *s.statuses.entry((*status).to_string()).or_default() += 1;
        let https = *scheme == "https";
        if https {
            hosts.insert((*host).to_string());
        }
        let e = conns.entry((*conn).to_string()).or_insert((https, false));
        if *nth == "1" && *reused == "r" {
            e.1 = true;
        }
    }
    s.urls = urls.len() as u64;
    s.connections = conns.len() as u64;
    s.https_connections = conns.values().filter(|c| c.0).count() as u64;
    s.resumed = conns.values().filter(|c| c.0 && c.1).count() as u64;
    s.https_hosts = hosts.len() as u64;
    s
}

fn main() {
    let o = opts();
    let mix = if o.typical {
        typical_mix()
    } else {
        Behaviour::for_throughput()
    };
    let (_fleet_rt, fleet) = start_fleet(o.domains, mix);
    let dir = tempfile::tempdir().unwrap();
    // nginx's workers run as an unprivileged user: they must be able to read the export.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    fleet.write_files(dir.path()).unwrap();
    let site_dir = dir.path().join("nginx");
    let t = Instant::now();
    let export = fleet.export_static(&site_dir).unwrap();
    println!(
        "export: {} hosts, {} certificates, {} redirects in {:.1} s; left out: {:?}",
        export.hosts,
        export.certificates,
        export.redirects,
        t.elapsed().as_secs_f64(),
        export.left_out
    );
    let nginx = Nginx::start(&fleet, &site_dir, o.workers)
        .expect("nginx (make bench-nginx installs Debian's nginx)");
    let (http_port, https_port) = (nginx.http_port, nginx.https_port);
    println!(
        "nginx: {} workers on 127.0.1.1–4:{http_port}/{https_port}, {} domains ({} mix), concurrency {} (machine: {} cores)",
        o.workers,
        o.domains,
        if o.typical { "typical" } else { "fleet" },
        o.concurrency,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let out = dir.path().join("out");
    let nginx_cpu_before = cpu_of_process_tree(nginx.pid());
    let dns_cpu_before = cpu_of_threads("fleet");
    let bin = beian_bin();
    let mut cmd = audit_command(
        &bin,
        dir.path(),
        &out,
        fleet.dns_addr,
        (http_port, https_port),
        o.concurrency,
    );
    // `BEIAN_AUDIT_ARGS` adds flags to the audit (e.g. `--http2`), space-separated.
    if let Ok(extra) = std::env::var("BEIAN_AUDIT_ARGS") {
        cmd.args(extra.split_whitespace());
    }
    let audit = run_measured(&mut cmd);
    let nginx_cpu = cpu_of_process_tree(nginx.pid()) - nginx_cpu_before;
    let dns_cpu = cpu_of_threads("fleet") - dns_cpu_before;
    let log = site_dir.join("access.log");
    let audit_lines = log_lines(&log).len();
    let list = urls(&fleet, &fleet.sites, (http_port, https_port));

    // curl on the same servers: the first URLs, following redirects (a redirect's target names
    // no port, as the fleet's do: curl goes to 80/443, where nothing listens, and that transfer
    // ends there, as it does in the fleet bench).
    let curl_sites = o.curl_sites.min(fleet.sites.len());
    let curl = (curl_sites > 0).then(|| {
        let sample = urls(&fleet, &fleet.sites[..curl_sites], (http_port, https_port));
        let before = cpu_of_process_tree(nginx.pid());
        let used = curl_parallel(
            &sample,
            &dir.path().join("ca.pem"),
            dir.path(),
            o.concurrency,
        );
        (used, cpu_of_process_tree(nginx.pid()) - before)
    });
    let curl_lines = log_lines(&log).len();

    // The minimal client on the same servers: the first URLs only, one connection each.
    let minimal = o.minimal.then(|| {
        let before = cpu_of_process_tree(nginx.pid());
        let run = run_minimal_client(list, &fleet_ca(&fleet), o.concurrency);
        (
            run.wall,
            run.ok,
            run.cpu,
            cpu_of_process_tree(nginx.pid()) - before,
        )
    });
    nginx.stop();
    let lines = log_lines(&log);
    let slice =
        |from: usize, to: usize| read_log(&lines[from.min(lines.len())..to.min(lines.len())]);
    let served = slice(0, audit_lines);
    let n = o.domains as f64;
    let secs = audit.wall.as_secs_f64();
    println!(
        "beian audit: ok={} wall {secs:.2} s, {:.0} domains/s, CPU {:.2} s, peak RSS {:.1} MiB",
        audit.ok,
        n / secs,
        audit.cpu.as_secs_f64(),
        audit.max_rss_mib
    );
    println!(
        "nginx saw: {} requests for {} distinct URLs ({:.3}×), {} connections, {} https connections = {} full + {} resumed handshakes, {} distinct https hosts; statuses {:?}, protocols {:?}",
        served.requests,
        served.urls,
        served.requests as f64 / served.urls.max(1) as f64,
        served.connections,
        served.https_connections,
        served.https_connections - served.resumed,
        served.resumed,
        served.https_hosts,
        served.statuses,
        served.protocols
    );
    println!(
        "per site: {:.2} requests, {:.2} distinct URLs, {:.2} connections, {:.2} full handshakes ({:.2} resumed), {:.2} distinct https hosts",
        served.requests as f64 / n,
        served.urls as f64 / n,
        served.connections as f64 / n,
        (served.https_connections - served.resumed) as f64 / n,
        served.resumed as f64 / n,
        served.https_hosts as f64 / n
    );
    if std::env::var_os("BEIAN_BENCH_KEEP").is_some() {
        // The export, nginx's log and the audit's output, for a closer look.
        println!("kept: {}", dir.keep().display());
    }
    match curl {
        Some((Some(u), nginx_cpu_curl)) => {
            let c = slice(audit_lines, curl_lines);
            let per = |x: f64| x / curl_sites as f64;
            println!(
                "curl --parallel on the first {curl_sites} sites (chunks of 2,000 URLs): wall {:.2} s, {} requests ({:.0}/s) for {} distinct URLs; per site {:.2} requests, {:.2} connections, {:.2} full + {:.2} resumed handshakes; CPU {:.2} s, peak RSS {:.1} MiB, nginx CPU {:.2} s ({:.0} µs per site)",
                u.wall.as_secs_f64(),
                c.requests,
                c.requests as f64 / u.wall.as_secs_f64(),
                c.urls,
                per(c.requests as f64),
                per(c.connections as f64),
                per((c.https_connections - c.resumed) as f64),
                per(c.resumed as f64),
                u.cpu.as_secs_f64(),
                u.max_rss_mib,
                nginx_cpu_curl.as_secs_f64(),
                per(nginx_cpu_curl.as_secs_f64() * 1e6)
            );
        }
        Some((None, _)) => println!("curl: not found, not measured"),
        None => {}
    }
    if let Some((wall, ok, cpu, nginx_cpu_min)) = minimal {
        let m = slice(curl_lines, lines.len());
        println!(
            "minimal rustls+hyper client: wall {:.2} s, {ok} URLs ok, {} requests ({:.0}/s), {} connections, {} full handshakes, CPU {:.2} s, nginx CPU {:.2} s ({:.0} µs per site)",
            wall.as_secs_f64(),
            m.requests,
            m.requests as f64 / wall.as_secs_f64(),
            m.connections,
            m.https_connections - m.resumed,
            cpu.as_secs_f64(),
            nginx_cpu_min.as_secs_f64(),
            nginx_cpu_min.as_secs_f64() * 1e6 / n
        );
    }
    let total = audit.cpu + nginx_cpu + dns_cpu;
    println!(
        "CPU per site: nginx {:.0} µs, audit {:.0} µs, DNS {:.0} µs, total {:.0} µs (nginx {:.2} s, DNS {:.2} s)",
        nginx_cpu.as_secs_f64() * 1e6 / n,
        audit.cpu.as_secs_f64() * 1e6 / n,
        dns_cpu.as_secs_f64() * 1e6 / n,
        total.as_secs_f64() * 1e6 / n,
        nginx_cpu.as_secs_f64(),
        dns_cpu.as_secs_f64()
    );
}
