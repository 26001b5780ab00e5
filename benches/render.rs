//! Renders (issue 17): the simulated fleet's script-written footers audited with `--render
//! auto`, each page rendered in a fresh headless Chromium through the audit's proxy. Renders
//! per second, and CPU per render: the audit's own and the browsers' (its waited-for
//! children, `cutime` + `cstime`), from `/proc`.
//!
//! `cargo bench --bench render -- [--domains N] [--render-concurrency R]` (`make
//! bench-render`; Debian's chromium, which `make test` installs). The mix: `script-write`,
//! `script-timer`, `script-config`, `script-never` (the private-address and never-ending
//! ones measure the guard and the time limit, not throughput; and the bench runs with
//! `--allow-private`). Every site's two pages are rendered once each.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark: a failure ends it.
#![allow(clippy::print_stdout, clippy::print_stderr)] // It reports its figures on the terminal.

use beian_fleet::Behaviour;

#[path = "measure.rs"]
mod measure;
use measure::{arg, beian_bin, fleet_audit_command, run_measured, start_fleet};

fn main() {
    let domains = arg("--domains", 200);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let concurrency = arg("--render-concurrency", cores);
    let mix = vec![
        Behaviour::ScriptWrite,
        Behaviour::ScriptTimer,
        Behaviour::ScriptConfig,
        Behaviour::ScriptNever,
    ];
    let (_fleet_rt, fleet) = start_fleet(domains, mix);
    let dir = tempfile::tempdir().unwrap();
    fleet.write_files(dir.path()).unwrap();
    let bin = beian_bin();
    let out = dir.path().join("out");
    // Not quiet: the summary counts the renders.
    let mut cmd = fleet_audit_command(
        &bin,
        dir.path(),
        &out,
        fleet.dns_addr,
        (fleet.http_port, fleet.https_port),
    );
    cmd.args(["--render", "auto"])
        .args(["--render-concurrency", &concurrency.to_string()]);
    let summary = dir.path().join("summary.txt");
    cmd.stdout(std::fs::File::create(&summary).unwrap());
    let used = run_measured(&mut cmd);
    let text = std::fs::read_to_string(&summary).unwrap_or_default();
    let renders: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("rendered in the browser: "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let secs = used.wall.as_secs_f64();
    let per = |d: std::time::Duration| d.as_secs_f64() * 1e3 / renders.max(1) as f64;
    println!(
        "render: {domains} scripted sites, {renders} pages rendered (ok={}), --render-concurrency {concurrency} (machine: {cores} cores)",
        used.ok
    );
    println!(
        "wall {secs:.2} s: {:.2} renders/s; CPU per render {:.0} ms (audit {:.0} ms, browser {:.0} ms); audit peak RSS {:.1} MiB",
        renders as f64 / secs,
        per(used.cpu + used.children_cpu),
        per(used.cpu),
        per(used.children_cpu),
        used.max_rss_mib
    );
    if let Some(line) = text
        .lines()
        .find(|l| l.starts_with("rendered in the browser"))
    {
        println!("{line}");
    }
    // What one render's browser costs the machine: its processes' PSS summed, the largest
    // seen (sampled every 200 ms), and the browser that gave it.
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    println!(
        "browser memory per render (PSS, peak of all renders): {} MiB; {}",
        run["render"]["peak_memory_mib"],
        run["render"]["browser"]
            .as_str()
            .unwrap_or("browser unknown")
    );
}
