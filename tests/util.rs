//! Test support: a fleet started in a background runtime, the binary, and the Python reader.
#![expect(clippy::unwrap_used)] // Test support: a failure here is a failed test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use beian_fleet::{Behaviour, Fleet, FleetConfig};

pub(crate) struct TestFleet {
    pub(crate) fleet: Fleet,
    pub(crate) dir: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

impl TestFleet {
    /// Cuts (`false`) or restores the fleet's uplink ([`Fleet::set_uplink`]); restored, it
    /// returns once the web servers listen again, so that the next run can connect.
    pub(crate) fn set_uplink(&self, on: bool) {
        self.fleet.set_uplink(on);
        if on {
            let addr = std::net::SocketAddr::new(
                self.fleet.addr_of(&self.fleet.sites[0]),
                self.fleet.https_port,
            );
            wait_until(30, "the fleet listens again", || {
                std::net::TcpStream::connect(addr).is_ok()
            });
        }
    }

    pub(crate) fn start(domains: usize, seed: u64) -> TestFleet {
        TestFleet::start_with(FleetConfig {
            domains,
            seed,
            ..FleetConfig::default()
        })
    }

    /// A fleet of `behaviours`, each `times` over (in the seed's order).
    pub(crate) fn each(behaviours: Vec<Behaviour>, times: usize, seed: u64) -> TestFleet {
        TestFleet::start_with(FleetConfig {
            domains: behaviours.len() * times,
            seed,
            behaviours,
            ..FleetConfig::default()
        })
    }

    pub(crate) fn start_with(cfg: FleetConfig) -> TestFleet {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let fleet = rt.block_on(Fleet::start(cfg)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        fleet.write_files(dir.path()).unwrap();
        TestFleet {
            fleet,
            dir,
            _rt: rt,
        }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The run in `out` graded by this fleet's answer key (`tests/readback/check.py`, read
    /// with pyarrow): no problem, one row per site; check.py's report.
    pub(crate) fn assert_graded(&self, out: &Path) -> serde_json::Value {
        self.assert_graded_by(out, "answer_key.csv")
    }

    /// [`TestFleet::assert_graded`] for an audit of `sites.csv`, whose filing columns the
    /// filing rules judge (issue 30).
    pub(crate) fn assert_graded_filed(&self, out: &Path) -> serde_json::Value {
        self.assert_graded_by(out, "answer_key_filed.csv")
    }

    /// [`TestFleet::assert_graded`] for an audit without a browser (`--render never`).
    pub(crate) fn assert_graded_without_browser(&self, out: &Path) -> serde_json::Value {
        self.assert_graded_by(out, "answer_key_no_render.csv")
    }

    fn assert_graded_by(&self, out: &Path, key: &str) -> serde_json::Value {
        let report = run_python(&[
            readback_script().as_os_str(),
            out.as_os_str(),
            self.path(key).as_os_str(),
            self.fleet.sites.len().to_string().as_ref(),
        ]);
        let v: serde_json::Value = serde_json::from_str(&report).unwrap();
        assert_eq!(v["problem_count"], 0, "{report}");
        v
    }

    /// `beian audit INPUT --out OUT` with the flags that point at this fleet, run.
    pub(crate) fn audit(&self, input: &Path, out: &Path, extra: &[&str]) -> Output {
        let mut cmd = self.audit_command(input, out);
        cmd.args(extra);
        cmd.output().unwrap()
    }

    /// [`TestFleet::audit`], which must succeed (a failure shows the audit's output).
    pub(crate) fn audit_ok(&self, input: &Path, out: &Path, extra: &[&str]) -> Output {
        let res = self.audit(input, out, extra);
        assert!(
            res.status.success(),
            "audit failed: {}\n{}",
            String::from_utf8_lossy(&res.stdout),
            String::from_utf8_lossy(&res.stderr)
        );
        res
    }

    /// `beian audit INPUT --out OUT` with the flags that point at this fleet.
    pub(crate) fn audit_command(&self, input: &Path, out: &Path) -> Command {
        let mut cmd = self.audit_command_restricted(input, out);
        cmd.arg("--allow-private");
        cmd
    }

    /// [`TestFleet::audit_command`] without `--allow-private`: the caller allows what it
    /// needs (`--allow-net`).
    pub(crate) fn audit_command_restricted(&self, input: &Path, out: &Path) -> Command {
        let mut cmd = self.fleet_command(input);
        cmd.arg("--out").arg(out);
        cmd
    }

    /// `beian audit INPUT --history ROOT --allow-private` with the flags that point at this
    /// fleet.
    pub(crate) fn history_command(&self, input: &Path, root: &Path) -> Command {
        let mut cmd = self.fleet_command(input);
        cmd.arg("--history").arg(root).arg("--allow-private");
        cmd
    }

    /// `beian audit INPUT --out OUT --allow-private` with this fleet's DNS and CA, its web
    /// served on other ports (another server serving the fleet's export).
    pub(crate) fn audit_command_on(
        &self,
        input: &Path,
        out: &Path,
        http_port: u16,
        https_port: u16,
    ) -> Command {
        let mut cmd = self.command_with_ports(input, http_port, https_port);
        cmd.arg("--out").arg(out).arg("--allow-private");
        cmd
    }

    /// `beian audit INPUT` with the flags that point at this fleet, no output flag.
    fn fleet_command(&self, input: &Path) -> Command {
        self.command_with_ports(input, self.fleet.http_port, self.fleet.https_port)
    }

    fn command_with_ports(&self, input: &Path, http_port: u16, https_port: u16) -> Command {
        let dns = self.fleet.dns_addr.to_string();
        let http = http_port.to_string();
        let https = https_port.to_string();
        let ca = self.path("ca.pem");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_beian"));
        cmd.arg("audit").arg(input);
        cmd.args([
            "--resolver",
            &dns,
            "--http-port",
            &http,
            "--https-port",
            &https,
        ]);
        cmd.arg("--ca-cert").arg(ca);
        // The answer key judges SITE-ACCESS against the fleet's networks.
        cmd.arg("--access-nets").arg(self.path("access_nets.txt"));
        // The fleet has names that never answer; keep those waits short.
        cmd.args(["--dns-timeout", "1"]);
        // The audit checks its own network on the fleet, never beyond loopback.
        cmd.args(["--canary", &self.fleet.canary()]);
        cmd
    }
}

/// The Python with pyarrow: `$BEIAN_PYTHON`, else the project's `.venv` made by `make test`.
pub(crate) fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("BEIAN_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    assert!(
        venv.exists(),
        "no Python with pyarrow: run `make test` (it creates .venv) or set BEIAN_PYTHON"
    );
    venv
}

/// Runs `cmd` to its end and asserts that it succeeded, showing its stderr when not.
pub(crate) fn run_ok(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd.get_args().collect::<Vec<_>>(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs a Python script (file or `-c` code) and returns stdout; panics with stderr on failure.
pub(crate) fn run_python(args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(python()).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "python failed:\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs `code` (Python, with the test venv's readers) on `dir` (its `sys.argv[1]`) and
/// parses the JSON it prints.
pub(crate) fn python_json(code: &str, dir: &Path) -> serde_json::Value {
    let printed = run_python(&["-c".as_ref(), code.as_ref(), dir.as_os_str()]);
    serde_json::from_str(&printed).unwrap_or_else(|e| panic!("{e}: {printed}"))
}

pub(crate) fn readback_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/readback/check.py")
}

/// A run still going after this long hangs: far beyond any run of the tests on a loaded
/// machine (minutes at most), so a verdict of this watchdog never depends on speed.
const HANG: std::time::Duration = std::time::Duration::from_secs(900);

/// What a finished child process did, with its peak RSS (`VmHWM`, polled).
pub(crate) struct Measured {
    pub(crate) status: std::process::ExitStatus,
    pub(crate) stderr: String,
    pub(crate) peak_rss_kib: u64,
}

pub(crate) fn run_measured(cmd: &mut std::process::Command) -> Measured {
    let started = std::time::Instant::now();
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let status = loop {
        if let Ok(s) = std::fs::read_to_string(&status_path) {
            let hwm = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok());
            peak = peak.max(hwm.unwrap_or(0));
        }
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > HANG {
            child.kill().ok();
            panic!("the run did not end within {HANG:?}: it hangs");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    Measured {
        status,
        stderr,
        peak_rss_kib: peak,
    }
}

/// Waits until `ready` holds, checking every 20 ms, at most `secs` seconds: a condition that
/// never comes is a failure saying `what` did not happen, not a stuck test run.
pub(crate) fn wait_until(secs: u64, what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !ready() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} (waited {secs} s)"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Waits for `child` at most `secs` seconds: a hang is a failure, not a stuck test run.
pub(crate) fn wait_bounded(mut child: std::process::Child, secs: u64) -> std::process::Output {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("still running after {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Debian's chromium, headless, on `page` with a fresh profile (`make test` installs it).
fn chromium(page: &Path, extra: &[String]) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]);
    cmd.arg(format!("--user-data-dir={}", profile.path().display()));
    cmd.args(extra);
    cmd.arg(format!("file://{}", page.display()));
    let out = cmd
        .output()
        .expect("chromium is needed for this test: `make test` installs it");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The DOM chromium renders from `page`.
pub(crate) fn chromium_dom(page: &Path) -> String {
    String::from_utf8_lossy(&chromium(page, &["--dump-dom".to_string()]).stdout).into_owned()
}

/// A 1280-pixel-wide screenshot of `page`, written to `shot`.
pub(crate) fn chromium_screenshot(page: &Path, shot: &Path) {
    chromium(
        page,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,1600".to_string(),
            "--hide-scrollbars".to_string(),
        ],
    );
}

/// moto's S3 server on a free loopback port, stopped when dropped.
pub(crate) struct S3Server {
    child: std::process::Child,
    pub(crate) endpoint: String,
    /// The clients' `TMPDIR`: a run writing to the bucket stages its parts locally, and a
    /// client the test kills leaves its staging directory behind — here, not in /tmp.
    staging: tempfile::TempDir,
}

impl S3Server {
    pub(crate) fn start() -> S3Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let moto = python().with_file_name("moto_server");
        let child = Command::new(&moto)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{}: {e} (make test installs moto[server])", moto.display())
            });
        wait_until(30, "moto_server did not start", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        S3Server {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            staging: tempfile::tempdir().unwrap(),
        }
    }

    /// Makes bucket `name` (with boto3, moto's own client).
    pub(crate) fn create_bucket(&self, name: &str) {
        let code = r#"
import sys, boto3
boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
             aws_access_key_id="test", aws_secret_access_key="test").create_bucket(Bucket=sys.argv[2])
"#;
        run_python(&[
            "-c".as_ref(),
            code.as_ref(),
            self.endpoint.as_ref(),
            name.as_ref(),
        ]);
    }

    /// What the Python program `code` prints as JSON, given this server's endpoint as its
    /// argument (pyarrow's S3 file system reads the bucket back).
    pub(crate) fn python_json(&self, code: &str) -> serde_json::Value {
        let printed = run_python(&["-c".as_ref(), code.as_ref(), self.endpoint.as_ref()]);
        serde_json::from_str(&printed).unwrap_or_else(|e| panic!("{e}: {printed}"))
    }

    /// The environment a client of this server needs.
    pub(crate) fn env(&self) -> [(&'static str, String); 5] {
        [
            ("AWS_ACCESS_KEY_ID", "test".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("TMPDIR", self.staging.path().display().to_string()),
        ]
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// A TCP relay to the S3 server that can be cut (every connection refused and the open ones
/// closed) and mended: a bucket that fails mid-run.
pub(crate) struct Relay {
    pub(crate) port: u16,
    down: std::sync::Arc<std::sync::atomic::AtomicBool>,
    open: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl Relay {
    pub(crate) fn start(to: u16) -> Relay {
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let down = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let open = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (d, o) = (down.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if d.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is closed at once
                }
                let Ok(server) = std::net::TcpStream::connect(("127.0.0.1", to)) else {
                    continue;
                };
                let mut open = o.lock().unwrap();
                open.push(client.try_clone().unwrap());
                open.push(server.try_clone().unwrap());
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        std::io::copy(&mut from, &mut to).ok();
                        to.shutdown(std::net::Shutdown::Both).ok();
                    });
                }
            }
        });
        Relay { port, down, open }
    }

    pub(crate) fn cut(&self) {
        self.down.store(true, std::sync::atomic::Ordering::SeqCst);
        for s in self.open.lock().unwrap().drain(..) {
            s.shutdown(std::net::Shutdown::Both).ok();
        }
    }

    pub(crate) fn mend(&self) {
        self.down.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}
