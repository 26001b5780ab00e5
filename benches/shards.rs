//! Shards and object storage benchmark (issue 14): audit N simulated domains (the fleet bench's
//! fast mix) with one `beian` process, then with four shard processes at once sharing the same
//! total concurrency and per-address limit, then with one process writing to an S3-compatible
//! server on loopback (moto's server from the test venv); the one-process run is repeated last
//! to see the drift. Targets: four shards within 10% of one process's throughput; writing to
//! the loopback S3 server costs at most 5% against local disk.
//!
//! `cargo bench --bench shards -- [--domains N] [--concurrency C]` (`make bench-shards`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark: a failure ends it.
#![allow(clippy::print_stdout, clippy::print_stderr)] // It reports its figures on the terminal.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use beian_fleet::Behaviour;

#[path = "measure.rs"]
mod measure;
use measure::{arg, run_measured, start_fleet};

fn main() {
    let (domains, concurrency) = (arg("--domains", 10_000), arg("--concurrency", 256));
    let (_rt, fleet) = start_fleet(domains, Behaviour::for_throughput());
    fleet.issue_certificates().unwrap();
    let dir = tempfile::tempdir().unwrap();
    fleet.write_files(dir.path()).unwrap();
    let input = dir.path().join("domains.txt");
    let audit = |out: &str, share: usize| -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_beian"));
        cmd.arg("audit")
            .arg(&input)
            .args([
                "--out",
                out,
                "--quiet",
                "--allow-private",
                "--dns-timeout",
                "2",
            ])
            .args(["--resolver", &fleet.dns_addr.to_string()])
            .args(["--canary", &fleet.canary()])
            .args(["--http-port", &fleet.http_port.to_string()])
            .args(["--https-port", &fleet.https_port.to_string()])
            .arg("--ca-cert")
            .arg(dir.path().join("ca.pem"))
            // The same totals as the fleet bench, split across `share` processes.
            .args([
                "--concurrency",
                &(concurrency / 4 / share).max(1).to_string(),
            ])
            .args(["--per-ip", &(concurrency / 4 / share).max(1).to_string()]);
        cmd
    };
    let path = |name: &str| dir.path().join(name).display().to_string();
    let rate = |wall: Duration| domains as f64 / wall.as_secs_f64();
    println!(
        "fleet: {domains} domains, total concurrency {concurrency} (machine: {} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let one = run_measured(&mut audit(&path("one"), 1));
    println!(
        "one process: ok={} wall {:.2} s, {:.0} domains/s, CPU {:.2} s, peak RSS {:.1} MiB",
        one.ok,
        one.wall.as_secs_f64(),
        rate(one.wall),
        one.cpu.as_secs_f64(),
        one.max_rss_mib
    );

    let started = Instant::now();
    let shards: Vec<_> = (0..4)
        .map(|i| {
            let mut cmd = audit(&path("sharded"), 4);
            cmd.args([
                "--shard-count",
                "4",
                "--shard-index",
                &i.to_string(),
                "--run-id",
                "bench",
            ]);
            std::thread::spawn(move || run_measured(&mut cmd))
        })
        .collect();
    let usages: Vec<_> = shards.into_iter().map(|h| h.join().unwrap()).collect();
    let four = started.elapsed();
    let cpu: f64 = usages.iter().map(|u| u.cpu.as_secs_f64()).sum();
    println!(
        "four shards: ok={} wall {:.2} s, {:.0} domains/s, CPU {:.2} s in all, peak RSS {:.1} MiB each at most",
        usages.iter().all(|u| u.ok),
        four.as_secs_f64(),
        rate(four),
        cpu,
        usages.iter().map(|u| u.max_rss_mib).fold(0.0, f64::max)
    );

    let moto = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server");
    let s3_wall = if moto.exists() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server: Child = Command::new(&moto)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            std::thread::sleep(Duration::from_millis(50));
        }
        let endpoint = format!("http://127.0.0.1:{port}");
        // An empty PUT on the bucket's path makes it (moto takes it unsigned).
        let made = Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-X",
                "PUT",
                &format!("{endpoint}/bench"),
            ])
            .status()
            .unwrap();
        assert!(made.success());
        let s3 = run_measured(
            audit("s3://bench/run", 1)
                .env("AWS_ACCESS_KEY_ID", "bench")
                .env("AWS_SECRET_ACCESS_KEY", "bench")
                .env("AWS_REGION", "us-east-1")
                .env("AWS_ENDPOINT_URL", &endpoint),
        );
        // The run is in the bucket: run.json, last, among the objects.
        let listed = Command::new("curl")
            .args(["-s", &format!("{endpoint}/bench?list-type=2&prefix=run/")])
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&listed.stdout).contains("run/run.json"),
            "the S3 run left no run.json in the bucket"
        );
        server.kill().ok();
        server.wait().ok();
        println!(
            "one process to S3 (moto on loopback): ok={} wall {:.2} s, {:.0} domains/s, CPU {:.2} s, peak RSS {:.1} MiB",
            s3.ok,
            s3.wall.as_secs_f64(),
            rate(s3.wall),
            s3.cpu.as_secs_f64(),
            s3.max_rss_mib
        );
        Some(s3.wall)
    } else {
        println!(
            "no {}: the S3 run is skipped (make test creates the venv with moto)",
            moto.display()
        );
        None
    };

    let again = run_measured(&mut audit(&path("again"), 1));
    println!(
        "one process again: ok={} wall {:.2} s, {:.0} domains/s",
        again.ok,
        again.wall.as_secs_f64(),
        rate(again.wall)
    );
    let base = (one.wall.as_secs_f64() + again.wall.as_secs_f64()) / 2.0;
    let shard_ratio = base / four.as_secs_f64();
    println!(
        "four shards ÷ one process throughput: {shard_ratio:.3} (target ≥ 0.90: {})",
        if shard_ratio >= 0.9 { "met" } else { "NOT met" }
    );
    if let Some(s3) = s3_wall {
        let cost = s3.as_secs_f64() / base - 1.0;
        println!(
            "S3 ÷ local disk wall time: {:+.1}% (target ≤ +5%: {})",
            cost * 100.0,
            if cost <= 0.05 { "met" } else { "NOT met" }
        );
    }
}
