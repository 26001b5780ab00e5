//! The fleet as files another web server serves (issue 16: measuring the audit against
//! Debian's nginx): each served host's landing page under `sites/<host>/`, its certificate
//! and key under `certs/`, the redirects and server errors as nginx `map` files, and an
//! `nginx.conf` that serves them on the fleet's addresses — the same answers the fleet's own
//! servers give, for the behaviours a static server can give.
//!
//! Left out, and counted in [`Export::left_out`]: `slow` (a delay), the `hostile` answers and
//! `tls-garbage` (not HTTP), and every encoding of `compressed` but gzip (nginx serves a
//! precompressed `index.html.gz`; brotli and zstd need modules Debian's nginx-light lacks).

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use beian_types::HostRole;

use crate::certs::CertKind;
use crate::pages::{config_json, page, refresh_page};
use crate::scenario::Behaviour;
use crate::{Fleet, FleetError};

/// What [`Fleet::export_static`] wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Export {
    /// Hosts with a landing page.
    pub hosts: usize,
    /// Certificates written (one per https host with one).
    pub certificates: usize,
    /// Redirect entries (scheme, host and path → target).
    pub redirects: usize,
    /// Sites whose behaviour a static server does not play, by behaviour name.
    pub left_out: BTreeMap<&'static str, usize>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FleetError + '_ {
    move |source| FleetError::Write {
        path: path.display().to_string(),
        source,
    }
}

/// Writes `bytes` to `path`, making its directory first.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<(), FleetError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::write(path, bytes).map_err(io(path))
}

/// An nginx `map` key or value, quoted.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Fleet {
    /// Writes the fleet's sites under `dir` for another web server ([`Fleet::nginx_conf`]).
    pub fn export_static(&self, dir: &Path) -> Result<Export, FleetError> {
        let mut out = Export::default();
        // (status, from, to): the fleet's own servers answer 302 for the loops, chains and
        // unusable targets and 301 for the moves.
        let mut redirects: Vec<(u16, String, String)> = Vec::new();
        let mut errors: Vec<String> = Vec::new();
        for site in &self.sites {
            let b = site.behaviour;
            if matches!(b, Behaviour::Slow | Behaviour::TlsGarbage) {
                *out.left_out.entry(b.name()).or_default() += 1;
                continue;
            }
            if b == Behaviour::Compressed && site.variant % 4 != 0 {
                *out.left_out.entry("compressed (not gzip)").or_default() += 1;
            }
            let www = format!("www.{}", site.domain);
            for (host, role) in [
                (site.domain.clone(), HostRole::Apex),
                (www.clone(), HostRole::Www),
            ] {
                let Some(kind) = self.certs.kind(&host) else {
                    continue; // not served (no DNS record)
                };
                if kind != CertKind::None {
                    let (cert, key) = self.certs.ca.leaf_pem(&host, kind)?;
                    write(&dir.join(format!("certs/{host}.crt")), cert.as_bytes())?;
                    write(&dir.join(format!("certs/{host}.key")), key.as_bytes())?;
                    out.certificates += 1;
                }
                let mut to = |status: u16, from: &str, target: String| {
                    redirects.push((status, from.to_string(), target));
                };
                for scheme in ["https", "http"] {
                    let root = format!("{scheme}://{host}/");
                    match b {
                        Behaviour::RedirectLoop => {
                            to(302, &root, "/loop-a".into());
                            to(302, &format!("{root}loop-a"), "/".into());
                        }
                        Behaviour::LongRedirectChain => {
                            to(302, &root, "/hop/1".into());
                            for n in 1..=1000 {
                                let next = if n >= 1000 {
                                    "/".to_string()
                                } else {
                                    format!("/hop/{}", n + 1)
                                };
                                to(302, &format!("{root}hop/{n}"), next);
                            }
                        }
                        Behaviour::RedirectToFile => to(302, &root, "file:///etc/passwd".into()),
                        Behaviour::RedirectToPrivate => {
                            to(302, &root, "http://10.255.255.1/".into())
                        }
                        Behaviour::ApexToWww if role == HostRole::Apex => {
                            to(301, &root, format!("https://{www}/"));
                        }
                        Behaviour::WwwToApex if role == HostRole::Www || scheme == "http" => {
                            to(301, &root, format!("https://{}/", site.domain));
                        }
                        Behaviour::HttpsDowngrade
                            if role == HostRole::Apex && scheme == "https" =>
                        {
                            to(301, &root, format!("http://{www}/"));
                        }
                        Behaviour::Compliant if scheme == "http" && site.index % 2 == 0 => {
                            to(301, &root, format!("https://{host}/"));
                        }
                        _ => {}
                    }
                }
                if b == Behaviour::ServerError {
                    errors.push(host.clone());
                }
                let with_number = !(b == Behaviour::WwwNoNumber && role == HostRole::Www);
                let html: Vec<u8> = if b == Behaviour::MetaRefresh && role == HostRole::Apex {
                    refresh_page(&format!("https://{www}/")).into_bytes()
                } else if b == Behaviour::Gbk {
                    let text = page(site, with_number, "gbk");
                    encoding_rs::GBK.encode(&text).0.into_owned()
                } else {
                    page(site, with_number, "utf-8").into_bytes()
                };
                let index = dir.join(format!("sites/{host}/index.html"));
                if b == Behaviour::Compressed && site.variant % 4 == 0 {
                    let mut gz =
                        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                    gz.write_all(&html).map_err(io(&index))?;
                    let gz = gz.finish().map_err(io(&index))?;
                    write(&index.with_extension("html.gz"), &gz)?;
                }
                write(&index, &html)?;
                if b == Behaviour::ScriptConfig {
                    let config = dir.join(format!("sites/{host}/config.json"));
                    write(&config, config_json(site).as_bytes())?;
                }
                out.hosts += 1;
            }
        }
        out.redirects = redirects.len();
        for status in [301, 302] {
            let mut map = String::new();
            for (_, from, target) in redirects.iter().filter(|r| r.0 == status) {
                map.push_str(&format!("{} {};\n", quoted(from), quoted(target)));
            }
            write(&dir.join(format!("redirects-{status}.map")), map.as_bytes())?;
        }
        let mut map = String::new();
        for host in &errors {
            map.push_str(&format!("{} 1;\n", quoted(host)));
        }
        write(&dir.join("errors.map"), map.as_bytes())?;
        Ok(out)
    }

    /// An nginx configuration serving what [`Fleet::export_static`] wrote under `dir` on the
    /// fleet's addresses, plain HTTP on `http_port` and HTTPS on `https_port` (one
    /// certificate per host, chosen by SNI), logging each request with its connection's
    /// serial, its place on the connection and whether the TLS session was resumed to
    /// `dir/access.log`.
    pub fn nginx_conf(
        &self,
        dir: &Path,
        http_port: u16,
        https_port: u16,
        workers: usize,
    ) -> String {
        let d = dir.display();
        let mut listen = String::new();
        // The access behaviours' sites are served from the addresses outside the networks too.
        for ip in self.ips.iter().chain(&self.elsewhere) {
            listen.push_str(&format!("        listen {ip}:{http_port};\n"));
            listen.push_str(&format!("        listen {ip}:{https_port} ssl http2;\n"));
        }
        format!(
            r#"# Generated by beian-fleet (crates/beian-fleet/src/export.rs).
worker_processes {workers};
pid {d}/nginx.pid;
error_log {d}/error.log error;
daemon off;
events {{ worker_connections 8192; }}
http {{
    include /etc/nginx/mime.types;
    default_type text/html;
    access_log off;
    log_format beian '$connection $connection_requests $scheme $host $request_uri $status $ssl_session_reused $request_time $server_protocol';
    sendfile on;
    keepalive_timeout 30s;
    keepalive_requests 1000;
    gzip_static on;
    # Locations as written (`/loop-a`), as the fleet's own servers send them: an absolute
    # one would carry nginx's port, which the audit maps from the default ones.
    absolute_redirect off;
    server_tokens off;
    map_hash_max_size 262144;
    map_hash_bucket_size 256;
    map "$scheme://$host$request_uri" $beian_301 {{
        default "";
        include {d}/redirects-301.map;
    }}
    map "$scheme://$host$request_uri" $beian_302 {{
        default "";
        include {d}/redirects-302.map;
    }}
    map $host $beian_error {{
        default "";
        include {d}/errors.map;
    }}
    server {{
{listen}        server_name _;
        access_log {d}/access.log beian;
        ssl_certificate {d}/certs/$ssl_server_name.crt;
        ssl_certificate_key {d}/certs/$ssl_server_name.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:beian:32m;
        ssl_session_tickets on;
        root {d}/sites/$host;
        location = /config.json {{
            try_files /config.json =404;
        }}
        location / {{
            if ($beian_error) {{ return 500 "internal error\n"; }}
            if ($beian_301) {{ return 301 $beian_301; }}
            if ($beian_302) {{ return 302 $beian_302; }}
            try_files /index.html =404;
        }}
    }}
}}
"#
        )
    }
}

/// Debian's nginx serving an export on the fleet's addresses, on ports free on all of them;
/// stopped gracefully (its log complete) by [`Nginx::stop`] or when dropped.
pub struct Nginx {
    child: Child,
    /// Plain HTTP port on every fleet address.
    pub http_port: u16,
    /// HTTPS port on every fleet address.
    pub https_port: u16,
    /// Where the export, `nginx.conf` and `access.log` are.
    pub dir: PathBuf,
}

/// nginx could not be started.
#[derive(Debug, thiserror::Error)]
pub enum NginxError {
    /// No port is free on every fleet address.
    #[error("no port free on every fleet address")]
    NoPort,
    /// Writing the configuration failed.
    #[error(transparent)]
    Write(#[from] FleetError),
    /// The `nginx` binary could not be run.
    #[error("cannot run nginx (Debian's package nginx-light)")]
    Spawn(#[source] std::io::Error),
    /// nginx exited or did not listen within 20 s.
    #[error("nginx did not start: see {0}")]
    NotListening(String),
}

impl Nginx {
    /// Serves what [`Fleet::export_static`] wrote under `dir` with `workers` worker
    /// processes. `dir` must be readable by nginx's unprivileged workers.
    pub fn start(fleet: &Fleet, dir: &Path, workers: usize) -> Result<Nginx, NginxError> {
        let (http_port, https_port) = (free_port(fleet)?, free_port(fleet)?);
        let conf = dir.join("nginx.conf");
        write(
            &conf,
            fleet
                .nginx_conf(dir, http_port, https_port, workers)
                .as_bytes(),
        )?;
        let child = Command::new("nginx")
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&conf)
            .spawn()
            .map_err(NginxError::Spawn)?;
        let mut nginx = Nginx {
            child,
            http_port,
            https_port,
            dir: dir.to_path_buf(),
        };
        let probe = SocketAddr::new(fleet.ips[0].into(), https_port);
        let until = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect_timeout(&probe, Duration::from_millis(200)).is_err() {
            // Exited (a configuration it refused) or too slow: its error log says why.
            if Instant::now() > until || !matches!(nginx.child.try_wait(), Ok(None)) {
                return Err(NginxError::NotListening(
                    dir.join("error.log").display().to_string(),
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(nginx)
    }

    /// The master process's id (its workers are its children).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops nginx gracefully (`SIGQUIT`: requests in flight end, the log is complete).
    pub fn stop(mut self) {
        self.quit();
    }

    fn quit(&mut self) {
        let pid = self.child.id().to_string();
        if Command::new("kill").args(["-QUIT", &pid]).status().is_err() {
            self.child.kill().ok();
        }
        self.child.wait().ok();
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.quit();
        }
    }
}

/// A port free on every fleet address.
fn free_port(fleet: &Fleet) -> Result<u16, NginxError> {
    for _ in 0..100 {
        let Ok(port) = TcpListener::bind((fleet.ips[0], 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
        else {
            continue;
        };
        let free = fleet
            .ips
            .iter()
            .all(|ip| TcpListener::bind((*ip, port)).is_ok());
        if free {
            return Ok(port);
        }
    }
    Err(NginxError::NoPort)
}
