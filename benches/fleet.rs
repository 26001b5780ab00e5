//! Fleet benchmark (issue 5): audit N simulated domains on loopback with the `beian` binary,
//! then fetch the same URLs with `curl --parallel` and with a minimal rustls + hyper client at
//! the same concurrency, and print throughput, peak RSS, CPU seconds and the ratios.
//!
//! `cargo bench --bench fleet -- [--domains N] [--concurrency C] [--no-curl] [--no-minimal]
//! [--evidence failing|all|none]` (`make bench-fleet`; without `--evidence` the audit's default,
//! and the evidence it wrote is measured). The audit runs with `--concurrency C/4` (up to C probes in flight, as
//! many as the other clients' connections) and `--per-ip C/4` (the fleet has four addresses).
//! The fleet runs in this process on its own runtime; the audit and curl
//! run as child processes, measured with `wait4` (their own CPU time and peak RSS). All three
//! share the machine's cores with the fleet servers. `BEIAN_BIN=path` audits with another
//! build of `beian` (before/after figures).
//!
//! The fleet leaves out the behaviours that measure timeouts rather than throughput (`slow`,
//! `dns-timeout`, the 5 MB `huge-page`); everything else (redirects, errors, GBK, compression,
//! bad certificates) is in the mix.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark: a failure ends it.
#![allow(clippy::print_stdout, clippy::print_stderr)] // It reports its figures on the terminal.

use std::time::Instant;

use beian_fleet::Behaviour;

#[path = "clients.rs"]
mod clients;
#[path = "measure.rs"]
mod measure;
use clients::{curl_parallel, fleet_ca, run_minimal_client, urls};
use measure::{arg, audit_command, beian_bin, cpu_of_threads, flag, run_measured, start_fleet};

struct Opts {
    domains: usize,
    concurrency: usize,
    curl: bool,
    minimal: bool,
    /// `--evidence` for the audit (`None`: its default; an older build may not know it).
    evidence: Option<String>,
}

fn opts() -> Opts {
    Opts {
        domains: arg("--domains", 10_000),
        concurrency: arg("--concurrency", 256),
        curl: !flag("--no-curl"),
        minimal: !flag("--no-minimal"),
        evidence: {
            let args: Vec<String> = std::env::args().collect();
            args.iter()
                .position(|a| a == "--evidence")
                .and_then(|i| args.get(i + 1).cloned())
        },
    }
}

fn main() {
    let o = opts();
    let (_fleet_rt, fleet) = start_fleet(o.domains, Behaviour::for_throughput());
    // The fleet issues a host's certificate on its first handshake: the first client to run
    // would pay for that in server CPU on the shared cores. Issue them all before a
    // comparison (a scale run, with nothing to compare, leaves them lazy).
    if o.curl || o.minimal {
        let t = Instant::now();
        let n = fleet.issue_certificates().unwrap();
        println!(
            "fleet: {n} certificates issued up front in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let dir = tempfile::tempdir().unwrap();
    fleet.write_files(dir.path()).unwrap();
    let ca_path = dir.path().join("ca.pem");
    println!(
        "fleet: {} domains on {} addresses, concurrency {} (machine: {} cores)",
        o.domains,
        4,
        o.concurrency,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // 1. The audit.
    let out = dir.path().join("out");
    let before = fleet.served();
    let resumed_before = fleet.resumed_handshakes();
    let fleet_cpu_before = cpu_of_threads("fleet");
    let bin = beian_bin();
    let mut cmd = audit_command(
        &bin,
        dir.path(),
        &out,
        fleet.dns_addr,
        (fleet.http_port, fleet.https_port),
        o.concurrency,
    );
    if let Some(mode) = &o.evidence {
        cmd.args(["--evidence", mode]);
    }
    let audit = run_measured(&mut cmd);
    let after = fleet.served();
    let fleet_cpu = cpu_of_threads("fleet") - fleet_cpu_before;
    let audit_requests = after.0 - before.0;
    let secs = audit.wall.as_secs_f64();
    println!(
        "beian audit: ok={} wall {:.2} s, {:.0} domains/s, {} requests ({:.0}/s), {} connections ({} TLS resumed), CPU {:.2} s (fleet servers {:.2} s), peak RSS {:.1} MiB",
        audit.ok,
        secs,
        o.domains as f64 / secs,
        audit_requests,
        audit_requests as f64 / secs,
        after.1 - before.1,
        fleet.resumed_handshakes() - resumed_before,
        audit.cpu.as_secs_f64(),
        fleet_cpu.as_secs_f64(),
        audit.max_rss_mib
    );

    // The evidence it kept (`--evidence`; docs/SCHEMA.md "Evidence").
    let parts: Vec<u64> = std::fs::read_dir(out.join("evidence"))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .collect()
        })
        .unwrap_or_default();
    println!(
        "evidence ({}): {} parts, {:.1} MiB",
        o.evidence.as_deref().unwrap_or("default"),
        parts.len(),
        parts.iter().sum::<u64>() as f64 / (1024.0 * 1024.0)
    );

    let url_list = urls(&fleet, &fleet.sites, (fleet.http_port, fleet.https_port));
    let mut ratios = Vec::new();

    // 2. curl fetching the same first URLs, following redirects as the audit does.
    let before = fleet.served();
    if let Some(u) = o
        .curl
        .then(|| curl_parallel(&url_list, &ca_path, dir.path(), o.concurrency))
        .flatten()
    {
        let (wall, cpu, rss) = (u.wall, u.cpu, u.max_rss_mib);
        let after = fleet.served();
        let req = after.0 - before.0;
        let s = wall.as_secs_f64();
        println!(
            "curl --parallel (chunks of 2,000 URLs): wall {:.2} s, {} URLs, {} requests ({:.0}/s), {} connections, CPU {:.2} s, peak RSS {:.1} MiB",
            s,
            url_list.len(),
            req,
            req as f64 / s,
            after.1 - before.1,
            cpu.as_secs_f64(),
            rss
        );
        ratios.push((
            "audit ÷ curl (requests/s)",
            (audit_requests as f64 / secs) / (req as f64 / s),
        ));
        ratios.push(("audit ÷ curl (wall time, inverse)", s / secs));
    }

    // 3. The minimal client.
    if o.minimal {
        let ca = fleet_ca(&fleet);
        let before = fleet.served();
        let fleet_cpu_before = cpu_of_threads("fleet");
        let n = url_list.len();
        let run = run_minimal_client(url_list, &ca, o.concurrency);
        let (ok, s, client_cpu) = (run.ok, run.wall.as_secs_f64(), run.cpu);
        let after = fleet.served();
        let fleet_cpu = cpu_of_threads("fleet") - fleet_cpu_before;
        let req = after.0 - before.0;
        println!(
            "minimal rustls+hyper client: wall {:.2} s, {} URLs ({} ok), {} requests ({:.0}/s), CPU {:.2} s (fleet servers {:.2} s)",
            s,
            n,
            ok,
            req,
            req as f64 / s,
            client_cpu.as_secs_f64(),
            fleet_cpu.as_secs_f64()
        );
        ratios.push((
            "audit ÷ minimal (requests/s)",
            (audit_requests as f64 / secs) / (req as f64 / s),
        ));
    }
    for (what, r) in ratios {
        println!("{what}: {r:.2}");
    }
}
