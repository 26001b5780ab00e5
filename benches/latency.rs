//! At internet latency (issue 32): `beian audit` of N simulated domains whose servers answer
//! as from afar (the fleet's network profile, [`beian_fleet::Latency`]), at each concurrency.
//! Prints, per run: domains/s, the audit's CPU and peak RSS, the most file descriptors it held
//! (its sockets), the fleet's requests and connections, and the verdicts graded by the fleet's
//! answer key (`tests/readback/check.py` with the test venv's pyarrow, when `make test` has
//! made it: `.venv/bin/python`).
//!
//! `cargo bench --bench latency -- [--domains N,N] [--concurrency C,C] [--profiles P;P]`
//! (`make bench-latency`). Profiles as `beian demo --latency` takes them, `;` between them
//! (`mainland;overseas,rtt=100`). The audit runs with `--concurrency C` (sites at once) and
//! `--per-ip C` (the fleet's sites share four addresses; a real portfolio's are spread over
//! many), `--render never` (the network, not a browser, is measured here), the fleet's access
//! networks, and otherwise its defaults. The fleet runs in this process on its own runtime (threads named `fleet`); it is
//! started afresh for each run, so no run finds another's connections or certificates.
//!
//! The mix leaves out the behaviours that measure timeouts rather than throughput (`slow`,
//! `dns-timeout`, the 5 MB `huge-page`), as the fleet benchmark does.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark: a failure ends it.
#![allow(clippy::print_stdout, clippy::print_stderr)] // It reports its figures on the terminal.

use std::path::Path;

use beian_fleet::{Behaviour, FleetConfig, Latency};

#[path = "measure.rs"]
mod measure;
use measure::{beian_bin, cpu_of_threads, fleet_audit_command, run_measured, start_fleet_with};

/// The values after flag `name`, split at `sep`, or `default`.
fn list(name: &str, sep: char, default: &str) -> Vec<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, String::as_str)
        .split(sep)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

/// The run in `out` graded by `key`: the number of problems check.py found, or why not.
fn graded(out: &Path, key: &Path, domains: usize) -> String {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    if !python.exists() {
        return "not graded (no .venv: run make test once)".into();
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/readback/check.py");
    let res = std::process::Command::new(python)
        .arg(script)
        .arg(out)
        .arg(key)
        .arg(domains.to_string())
        .output()
        .unwrap();
    let report: serde_json::Value = match serde_json::from_slice(&res.stdout) {
        Ok(v) => v,
        Err(_) => return format!("not graded: {}", String::from_utf8_lossy(&res.stderr)),
    };
    let problems = report["problem_count"].as_u64().unwrap_or(u64::MAX);
    let first: Vec<String> = report["problems"]
        .as_array()
        .map(|p| p.iter().take(3).map(ToString::to_string).collect())
        .unwrap_or_default();
    format!("{problems} problems {first:?}")
}

fn main() {
    let domains: Vec<usize> = list("--domains", ',', "10000")
        .iter()
        .map(|d| d.parse().expect("--domains: numbers"))
        .collect();
    let concurrency: Vec<usize> = list("--concurrency", ',', "256,1024,4096")
        .iter()
        .map(|c| c.parse().expect("--concurrency: numbers"))
        .collect();
    let profiles = list("--profiles", ';', "mainland;overseas");
    let bin = beian_bin();
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    for profile in &profiles {
        for &n in &domains {
            for &c in &concurrency {
                let seed = 5;
                let latency = Latency::profile(profile, seed).unwrap();
                let (_rt, fleet) = start_fleet_with(FleetConfig {
                    domains: n,
                    seed,
                    behaviours: Behaviour::for_throughput(),
                    latency: Some(latency),
                    ..FleetConfig::default()
                });
                let dir = tempfile::tempdir().unwrap();
                fleet.write_files(dir.path()).unwrap();
                let out = dir.path().join("out");
                let mut cmd = fleet_audit_command(
                    &bin,
                    dir.path(),
                    &out,
                    fleet.dns_addr,
                    (fleet.http_port, fleet.https_port),
                );
                let per = c.to_string();
                cmd.args(["--concurrency", &per, "--per-ip", &per])
                    .args(["--render", "never", "--quiet"])
                    // The answer key judges SITE-ACCESS against the fleet's networks.
                    .arg("--access-nets")
                    .arg(dir.path().join("access_nets.txt"));
                let fleet_cpu = cpu_of_threads("fleet");
                let audit = run_measured(&mut cmd);
                let fleet_cpu = cpu_of_threads("fleet") - fleet_cpu;
                let (requests, connections) = fleet.served();
                let secs = audit.wall.as_secs_f64();
                let grade = graded(&out, &dir.path().join("answer_key_no_render.csv"), n);
                println!(
                    "{profile:<18} {n:>7} domains  concurrency {c:>5}: ok={} wall {secs:>7.1} s  {:>6.0} domains/s  CPU {:>6.1} s ({:.0} %)  fleet CPU {:>6.1} s  peak RSS {:>6.1} MiB  peak fds {:>6}  {requests} requests  {connections} connections  {grade}",
                    audit.ok,
                    n as f64 / secs,
                    audit.cpu.as_secs_f64(),
                    100.0 * audit.cpu.as_secs_f64() / secs,
                    fleet_cpu.as_secs_f64(),
                    audit.max_rss_mib,
                    audit.max_fds,
                );
            }
        }
    }
}
