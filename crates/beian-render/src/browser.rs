//! Finding the browser and running one render: a fresh headless Chromium with a profile of its
//! own, every request sent to the render's proxy, the DOM printed after the scripts' time
//! (`--dump-dom`, `--virtual-time-budget`), killed with all its processes past the time or
//! memory limit.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use url::Url;

use crate::{RenderConfig, RenderFailure};

/// No browser was found.
#[derive(Debug, Clone, thiserror::Error)]
#[error("no browser found: {0}")]
pub struct BrowserNotFound(pub String);

/// Browser names looked for on `PATH`, in order.
const NAMES: &[&str] = &["chromium", "chromium-browser", "google-chrome", "chrome"];

/// The browser to render with: `explicit` (`--browser PATH`), else `$CHROME`, else the first
/// of `chromium`, `chromium-browser`, `google-chrome`, `chrome` on `PATH`.
pub fn find_browser(explicit: Option<&Path>) -> Result<PathBuf, BrowserNotFound> {
    if let Some(p) = explicit {
        return runnable(p).then(|| p.to_path_buf()).ok_or_else(|| {
            BrowserNotFound(format!("--browser {}: not an executable file", p.display()))
        });
    }
    if let Some(p) = std::env::var_os("CHROME").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return runnable(&p).then(|| p.clone()).ok_or_else(|| {
            BrowserNotFound(format!("$CHROME={}: not an executable file", p.display()))
        });
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in NAMES {
            let p = dir.join(name);
            if runnable(&p) {
                return Ok(p);
            }
        }
    }
    Err(BrowserNotFound(
        "none of chromium, chromium-browser, google-chrome on PATH (Debian: apt-get install chromium; or --browser PATH)".into(),
    ))
}

/// What the browser at `path` says of itself (`--version`: "Chromium 156.0.8078.129 built on
/// Debian …"), for run records and test output; `None` when it says nothing within 10 s.
pub async fn browser_version(path: &Path) -> Option<String> {
    let run = tokio::process::Command::new(path)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn runnable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// What a render produces.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Output<'a> {
    /// The serialised DOM, on standard output.
    Dom,
    /// A PNG of the viewport, at this path.
    Screenshot(&'a Path),
}

/// The browser's flags for one render through the proxy at `proxy`.
fn args(cfg: &RenderConfig, profile: &Path, proxy: SocketAddr, output: Output<'_>) -> Vec<String> {
    let mut a: Vec<String> = [
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        // No requests of the browser's own (updates, sync, safe browsing, metrics).
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-domain-reliability",
        "--metrics-recording-only",
        "--mute-audio",
        "--hide-scrollbars",
        // Only the proxy talks to servers; its certificates are its own (the audit's fetcher
        // checks the origin's).
        "--ignore-certificate-errors",
        // Loopback too goes through the proxy (Chromium bypasses it for loopback by default).
        "--proxy-bypass-list=<-loopback>",
        // No UDP around the proxy.
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--disable-quic",
        // Images are not needed to read a footer; not loading them spares the servers.
        "--blink-settings=imagesEnabled=false",
        // None of the browser's own services (time, sign-in, suggestions, safe browsing):
        // their requests would reach the proxy like the page's.
        "--disable-client-side-phishing-detection",
        "--safebrowsing-disable-auto-update",
        "--disable-component-extensions-with-background-pages",
        "--disable-breakpad",
        "--no-pings",
        "--bwsi",
        "--password-store=basic",
        "--use-mock-keychain",
        // The page is rendered at its own URL: no upgrade of an http page to https.
        "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,HttpsFirstModeV2ForEngagedSites,NetworkTimeServiceQuerying,OptimizationHints,Translate,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions,PrivacySandboxSettings4,SafeBrowsing",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    if running_as_root() {
        // Chromium's sandbox refuses to run as root (CI containers).
        a.push("--no-sandbox".into());
    }
    a.push(format!("--user-data-dir={}", profile.display()));
    a.push(format!("--proxy-server=http://{proxy}"));
    a.push(format!("--window-size={},{}", cfg.window.0, cfg.window.1));
    a.push(format!(
        "--virtual-time-budget={}",
        cfg.script_time.as_millis()
    ));
    match output {
        Output::Dom => a.push("--dump-dom".into()),
        Output::Screenshot(path) => a.push(format!("--screenshot={}", path.display())),
    }
    a
}

fn running_as_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Largest DOM read back.
const MAX_DOM: u64 = 32 << 20;

/// Renders `url` in a fresh browser whose requests go to `proxy`; the serialised DOM (empty
/// for a screenshot, which is at its path). `peak` gets the largest memory the browser was
/// seen to hold ([`group_memory`]), whatever the outcome.
pub(crate) async fn run(
    cfg: &RenderConfig,
    url: &Url,
    proxy: SocketAddr,
    output: Output<'_>,
    peak: &std::sync::atomic::AtomicU64,
) -> Result<String, RenderFailure> {
    let profile = tempfile::Builder::new()
        .prefix("beian-render-")
        .tempdir()
        .map_err(|e| RenderFailure::Start(format!("browser profile directory: {e}")))?;
    let mut child = tokio::process::Command::new(&cfg.browser)
        .args(args(cfg, profile.path(), proxy, output))
        .arg(url.as_str())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        // Its own process group: the renderer, GPU and network processes are killed with it.
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| RenderFailure::Start(format!("{}: {e}", cfg.browser.display())))?;
    let group = child.id();
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| RenderFailure::Start("no browser output".into()))?;
    let started = Instant::now();
    let read = async {
        let mut dom = Vec::new();
        let got = (&mut stdout).take(MAX_DOM).read_to_end(&mut dom).await;
        let status = child.wait().await;
        (got, status, dom)
    };
    let watch = watch_memory(group, cfg.memory_limit, peak);
    let outcome = tokio::select! {
        r = tokio::time::timeout(cfg.timeout, read) => match r {
            Ok(r) => Ok(r),
            Err(_) => Err(RenderFailure::Timeout(started.elapsed())),
        },
        () = watch => Err(RenderFailure::Memory(cfg.memory_limit >> 20)),
    };
    // Whatever happened, no process of this render outlives it.
    kill_group(group);
    let (got, status, dom) = outcome?;
    let dom = String::from_utf8_lossy(&dom).into_owned();
    let produced = match output {
        Output::Dom => !dom.trim().is_empty(),
        Output::Screenshot(path) => std::fs::metadata(path).is_ok_and(|m| m.len() > 0),
    };
    match (got, status) {
        (Ok(_), Ok(s)) if produced && s.success() => Ok(dom),
        (Ok(_), Ok(s)) => Err(RenderFailure::NoOutput(format!("exit status {s}"))),
        (Err(e), _) | (_, Err(e)) => Err(RenderFailure::NoOutput(e.to_string())),
    }
}

fn kill_group(group: Option<u32>) {
    let Some(pid) = group
        .and_then(|p| i32::try_from(p).ok())
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    if rustix::process::kill_process_group(pid, rustix::process::Signal::KILL).is_err() {
        // Already gone.
    }
}

/// How often a render's memory is sampled.
const MEMORY_SAMPLE: Duration = Duration::from_millis(200);

/// Resolves when the processes of `group` hold more than `limit` bytes
/// ([`group_memory`]), sampled every 200 ms; records the largest sample in `peak`.
async fn watch_memory(group: Option<u32>, limit: u64, peak: &std::sync::atomic::AtomicU64) {
    let Some(group) = group else {
        return std::future::pending().await;
    };
    loop {
        tokio::time::sleep(MEMORY_SAMPLE).await;
        let used = group_memory(group);
        peak.fetch_max(used, std::sync::atomic::Ordering::Relaxed);
        if used > limit {
            return;
        }
    }
}

/// The memory the processes of `group` really cost: the sum of their proportional set sizes
/// (PSS, `/proc/PID/smaps_rollup`). Chromium's processes share most of their pages (the
/// binary, fonts, shared memory between the browser and its renderers): a sum of resident
/// sizes counts each shared page once per process, and a newer Chromium with one more
/// process crosses a limit without using more memory. PSS divides a shared page among its
/// sharers, so the sum is what the render adds to the machine. Where `smaps_rollup` cannot be
/// read (kernels before 4.14), the private resident pages (`statm`: resident − shared).
pub(crate) fn group_memory(group: u32) -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .filter(|e| process_group(&e.path()) == Some(group))
        .map(|e| process_memory(&e.path()))
        .sum()
}

/// The process group of the process at `/proc/PID`.
fn process_group(proc_dir: &Path) -> Option<u32> {
    let stat = std::fs::read_to_string(proc_dir.join("stat")).ok()?;
    // After `(comm)`: state, ppid, pgrp, …
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(2)?
        .parse()
        .ok()
}

/// What the process at `/proc/PID` costs, bytes: its PSS, else its private resident pages.
fn process_memory(proc_dir: &Path) -> u64 {
    if let Ok(rollup) = std::fs::read_to_string(proc_dir.join("smaps_rollup")) {
        if let Some(kib) = pss_kib(&rollup) {
            return kib * 1024;
        }
    }
    let Ok(statm) = std::fs::read_to_string(proc_dir.join("statm")) else {
        return 0;
    };
    let mut pages = statm.split_whitespace().skip(1).map(str::parse::<u64>);
    match (pages.next(), pages.next()) {
        (Some(Ok(resident)), Some(Ok(shared))) => resident.saturating_sub(shared) * 4096,
        _ => 0,
    }
}

/// The `Pss:` line of an `smaps_rollup`, KiB.
fn pss_kib(rollup: &str) -> Option<u64> {
    rollup
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pss_is_read_from_smaps_rollup() {
        let rollup = "55a4c7a1e000-7ffd5a5f9000 ---p 00000000 00:00 0  [rollup]\n\
Rss:              884524 kB\nPss:              341208 kB\nPss_Anon:          90000 kB\n";
        assert_eq!(pss_kib(rollup), Some(341_208));
        assert_eq!(pss_kib("Rss: 10 kB\n"), None);
    }

    #[test]
    fn this_process_costs_something_and_no_more_than_its_resident_size() {
        let me = Path::new("/proc/self");
        let used = process_memory(me);
        assert!(used > 0);
        let status = std::fs::read_to_string(me.join("status")).unwrap();
        let rss_kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap();
        // PSS never exceeds RSS (a little slack: the two are read at different moments).
        assert!(used <= (rss_kib + 4096) * 1024, "{used} > {rss_kib} KiB");
        let group = process_group(me).unwrap();
        assert!(group_memory(group) >= used / 2);
    }
}
