//! Measuring a child process (wall, CPU, peak RSS from `/proc`) and this process's threads,
//! the benchmarks' flags and the simulated fleet they start: shared by the benchmarks that
//! run the `beian` binary.

use std::process::Command;
use std::time::{Duration, Instant};

/// What a child process used: wall time, CPU time and peak RSS read from `/proc` while it
/// runs (CPU from its zombie's `stat` just before it is reaped; peak RSS is `VmHWM`, sampled
/// every 20 ms — a high-water mark, so the last sample is the peak up to the final 20 ms).
#[derive(Default)]
pub(crate) struct Usage {
    pub(crate) wall: Duration,
    pub(crate) cpu: Duration,
    /// CPU of its children that it waited for (a browser it started, and the browser's own
    /// processes), from `cutime` + `cstime`.
    #[allow(dead_code, reason = "only the render bench starts a browser")]
    pub(crate) children_cpu: Duration,
    pub(crate) max_rss_mib: f64,
    /// The most file descriptors it held open at once (its sockets, mostly), sampled as RSS is.
    #[allow(dead_code, reason = "only the latency bench reports it")]
    pub(crate) max_fds: usize,
    pub(crate) ok: bool,
}

/// Clock ticks per second of `/proc/*/stat` times (USER_HZ, 100 on Linux).
const TICKS: f64 = 100.0;

/// A `/proc/*/stat` line: the command name, the state, the parent and user + system CPU
/// time.
struct Stat<'a> {
    comm: &'a str,
    state: &'a str,
    ppid: u32,
    cpu: Duration,
    children_cpu: Duration,
}

fn parse_stat(stat: &str) -> Option<Stat<'_>> {
    let (head, rest) = stat.rsplit_once(')')?;
    // Fields after the `(comm)`: state is the 1st, utime the 12th, stime the 13th.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
    Some(Stat {
        comm: head.split_once('(').map_or("", |(_, c)| c),
        state: fields.first()?,
        ppid: fields.get(1).and_then(|v| v.parse().ok()).unwrap_or(0),
        cpu: Duration::from_secs_f64((ticks(11)? + ticks(12)?) / TICKS),
        children_cpu: Duration::from_secs_f64((ticks(13)? + ticks(14)?) / TICKS),
    })
}

pub(crate) fn run_measured(cmd: &mut Command) -> Usage {
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn");
    let pid = child.id();
    let mut hwm_kib = 0u64;
    let mut max_fds = 0;
    let mut cpu = Duration::ZERO;
    let mut children_cpu = Duration::ZERO;
    loop {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(kib) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                hwm_kib = hwm_kib.max(kib);
            }
        }
        if let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
            max_fds = max_fds.max(fds.count());
        }
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let Some(stat) = parse_stat(&stat) else { break };
        cpu = stat.cpu;
        children_cpu = stat.children_cpu;
        if stat.state == "Z" || stat.state == "X" {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = child.wait().expect("wait");
    Usage {
        wall: start.elapsed(),
        cpu,
        children_cpu,
        max_rss_mib: hwm_kib as f64 / 1024.0,
        max_fds,
        ok: status.success(),
    }
}

/// CPU time (user + system) of this process's threads whose name starts with `prefix`, or of
/// the whole process for `""`, from `/proc/self/task/*/stat`. The fleet's and the minimal
/// client's runtimes name their threads, so one process can tell their CPU apart.
#[allow(
    dead_code,
    reason = "the fleet bench reads threads; the report bench does not"
)]
pub(crate) fn cpu_of_threads(prefix: &str) -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("stat")).ok())
        .filter_map(|stat| {
            parse_stat(&stat)
                .filter(|s| s.comm.starts_with(prefix))
                .map(|s| s.cpu)
        })
        .sum()
}

/// CPU time (user + system) of process `pid` and its children (a server's master and its
/// workers), from `/proc/*/stat`; children that have exited are not counted.
#[allow(
    dead_code,
    reason = "the nginx bench reads a server's processes; the others do not"
)]
pub(crate) fn cpu_of_process_tree(pid: u32) -> Duration {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Duration::ZERO;
    };
    procs
        .flatten()
        .filter(|p| {
            p.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|p| {
            let me: u32 = p.file_name().to_string_lossy().parse().ok()?;
            let stat = std::fs::read_to_string(p.path().join("stat")).ok()?;
            let s = parse_stat(&stat)?;
            (me == pid || s.ppid == pid).then_some(s.cpu)
        })
        .sum()
}

/// `beian audit` (the binary `bin`) of the fleet files in `dir` (`domains.txt`, `ca.pem`) into
/// `out`, as the fleet and nginx benchmarks run it: names from the fleet's DNS server at `dns`,
/// web on `http_port`/`https_port`, `--concurrency C/4` (up to C probes in flight, as many as
/// the other clients' connections) and `--per-ip C/4` (the fleet has four addresses, so the
/// per-address limit does not cap the run below that).
#[allow(
    dead_code,
    reason = "the fleet and nginx benches audit a fleet; the others do not"
)]
pub(crate) fn audit_command(
    bin: &std::path::Path,
    dir: &std::path::Path,
    out: &std::path::Path,
    dns: std::net::SocketAddr,
    (http_port, https_port): (u16, u16),
    concurrency: usize,
) -> Command {
    let quarter = concurrency.div_ceil(4).to_string();
    let mut cmd = fleet_audit_command(bin, dir, out, dns, (http_port, https_port));
    cmd.args(["--concurrency", &quarter, "--quiet"])
        .args(["--per-ip", &quarter])
        .args(["--dns-timeout", "2"]);
    cmd
}

/// `beian audit` of the domains [`beian_fleet::Fleet::write_files`] wrote to `dir`, pointed at
/// the fleet (its DNS server, ports and CA; its loopback addresses allowed), into `out`.
pub(crate) fn fleet_audit_command(
    bin: &std::path::Path,
    dir: &std::path::Path,
    out: &std::path::Path,
    dns: std::net::SocketAddr,
    (http_port, https_port): (u16, u16),
) -> Command {
    let mut cmd = Command::new(bin);
    cmd.arg("audit")
        .arg(dir.join("domains.txt"))
        .arg("--out")
        .arg(out)
        .args(["--resolver", &dns.to_string()])
        .args(["--http-port", &http_port.to_string()])
        .args(["--https-port", &https_port.to_string()])
        .arg("--allow-private")
        .arg("--ca-cert")
        .arg(dir.join("ca.pem"))
        // The audit checks its own network on the fleet, never beyond loopback.
        .args([
            "--canary",
            &format!("{}:{https_port}", beian_fleet::CANARY_HOST),
        ]);
    cmd
}

/// The `beian` binary the benchmark audits with: this build's, or `BEIAN_BIN` (another
/// build — the commit before a change — measured on the same fleet).
#[allow(dead_code, reason = "the report and shards benches run no audit")]
pub(crate) fn beian_bin() -> std::path::PathBuf {
    std::env::var_os("BEIAN_BIN").map_or_else(
        || env!("CARGO_BIN_EXE_beian").into(),
        std::path::PathBuf::from,
    )
}

/// The number after flag `name` on the command line, or `default`.
#[allow(dead_code, reason = "the report bench takes no flags")]
pub(crate) fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

/// Whether flag `name` is on the command line.
#[allow(dead_code, reason = "the report and shards benches take no switches")]
pub(crate) fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// The simulated fleet of `domains` sites dealt from `behaviours` (seed 5, as every fleet
/// benchmark uses), on a runtime of its own whose threads are named `fleet` (so their CPU is
/// read apart, [`cpu_of_threads`]); the runtime must live as long as the fleet.
#[allow(dead_code, reason = "the report bench starts no fleet")]
pub(crate) fn start_fleet(
    domains: usize,
    behaviours: Vec<beian_fleet::Behaviour>,
) -> (tokio::runtime::Runtime, beian_fleet::Fleet) {
    start_fleet_with(beian_fleet::FleetConfig {
        domains,
        seed: 5,
        behaviours,
        ..beian_fleet::FleetConfig::default()
    })
}

/// [`start_fleet`] of any configuration.
#[allow(dead_code, reason = "the report bench starts no fleet")]
pub(crate) fn start_fleet_with(
    cfg: beian_fleet::FleetConfig,
) -> (tokio::runtime::Runtime, beian_fleet::Fleet) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("fleet")
        .enable_all()
        .build()
        .unwrap();
    let fleet = rt.block_on(beian_fleet::Fleet::start(cfg)).unwrap();
    (rt, fleet)
}
