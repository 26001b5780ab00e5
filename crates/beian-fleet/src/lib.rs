//! The simulated fleet: a real DNS server (its own UDP and TCP loop over hickory-proto
//! messages, [`dns`]) and real HTTP and HTTPS servers
//! (hyper + rustls, per-host certificates from a CA generated at start) on 127.0.0.0/8,
//! serving N generated domains with a deterministic mix of behaviours, plus the answer key
//! tests grade the auditor with.
//!
//! Tests, benchmarks, `beian demo` and `beian fleet serve` all use this one world.

mod certs;
pub mod days;
mod defended;
pub mod dns;
pub mod export;
pub mod filing;
mod host;
mod hostile;
mod http;
pub mod key;
pub mod latency;
pub mod pages;
pub mod scenario;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use beian_types::HostRole;
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinSet;

pub use defended::POW_DIFFICULTY;
pub use key::{answer_key_csv, expectations, expectations_without_browser, expected_errors};
pub use latency::Latency;
pub use scenario::{Behaviour, SiteSpec, generate, generate_from};

use certs::{Ca, CertKind, Certs};
use dns::{Answer, Zone};

/// Starting or running the fleet failed.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// A socket could not be bound.
    #[error("cannot bind {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Certificate generation failed.
    #[error("certificate generation failed: {0}")]
    Cert(String),
    /// Writing the fleet files failed.
    #[error("writing {path}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl FleetError {
    fn cert(e: rcgen::Error) -> Self {
        FleetError::Cert(e.to_string())
    }
}

/// How to start a fleet.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// Number of domains.
    pub domains: usize,
    /// Seed for behaviours and numbers.
    pub seed: u64,
    /// Loopback addresses the web servers listen on (shared hosting: many domains per IP):
    /// the access provider's networks are theirs (their /24s, [`Fleet::access_nets`]).
    pub ips: Vec<Ipv4Addr>,
    /// Loopback addresses outside those networks, where the web servers also listen: another
    /// provider's server (`moved-away`, `split-networks`) and a third party's CDN edge
    /// (`third-party-cdn`).
    pub elsewhere: [Ipv4Addr; 2],
    /// HTTP port (0 = any free port, the same on every address).
    pub http_port: u16,
    /// HTTPS port (0 = any free port).
    pub https_port: u16,
    /// DNS address (port 0 = any free port).
    pub dns_addr: SocketAddr,
    /// Delay of `Slow` sites.
    pub slow_delay: Duration,
    /// Behaviours to draw from (empty: all of them).
    pub behaviours: Vec<Behaviour>,
    /// Addresses of overloaded shared hosts: every response there waits `slow_delay`, whatever
    /// the site (head-of-line tests: sites on other addresses must not wait for them).
    pub slow_ips: Vec<Ipv4Addr>,
    /// The fleet's day (1-based; [`days::on_day`]): later days have fixed, broken, added and
    /// removed sites.
    pub day: u32,
    /// The date it is audited on; day 1 was [`days::DAYS_APART`] days before day 2, and so
    /// on. Dates the manifest and the answer key.
    pub as_of: time::Date,
    /// The network between the audit and the fleet ([`Latency::profile`]); `None`: loopback's.
    pub latency: Option<Latency>,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            domains: 200,
            seed: 1,
            ips: (1..=4).map(|i| Ipv4Addr::new(127, 0, 1, i)).collect(),
            elsewhere: [Ipv4Addr::new(127, 0, 2, 1), Ipv4Addr::new(127, 0, 2, 2)],
            http_port: 0,
            https_port: 0,
            dns_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            slow_delay: Duration::from_millis(1500),
            behaviours: Vec::new(),
            slow_ips: Vec::new(),
            day: 1,
            as_of: time::OffsetDateTime::now_utc().date(),
            latency: None,
        }
    }
}

/// A running fleet. Dropping it stops every server.
pub struct Fleet {
    /// Where the DNS server listens (UDP and TCP).
    pub dns_addr: SocketAddr,
    /// HTTP port on every fleet address.
    pub http_port: u16,
    /// HTTPS port on every fleet address.
    pub https_port: u16,
    /// The CA certificate (PEM) to trust.
    pub ca_pem: String,
    /// The simulated sites.
    pub sites: Vec<SiteSpec>,
    /// Whether the web servers also listen on `::1` (`ipv6-only` sites are reachable).
    pub ipv6: bool,
    /// The fleet's day ([`FleetConfig::day`]).
    pub day: u32,
    /// The date it is audited on ([`FleetConfig::as_of`]).
    pub as_of: time::Date,
    ips: Vec<Ipv4Addr>,
    elsewhere: [Ipv4Addr; 2],
    tasks: JoinSet<()>,
    /// What the web servers share: their counters are read here.
    world: Arc<http::World>,
    certs: Arc<Certs>,
    /// The DNS server's switch ([`Fleet::set_dns_answering`]).
    answering: Arc<std::sync::atomic::AtomicBool>,
}

/// The fleet's canary name: what an audit of the fleet passes as `--canary` (with the
/// fleet's https port), so that its check of its own network stays on loopback.
pub const CANARY_HOST: &str = "canary.beian-fleet.cn";

impl Drop for Fleet {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

/// The web server address of a site's apex: one of the fleet's IPv4 addresses, `::1` for
/// `ipv6-only` sites, another provider's for `moved-away` ones.
fn address(site: &SiteSpec, ips: &[Ipv4Addr], elsewhere: &[Ipv4Addr; 2]) -> IpAddr {
    match site.behaviour {
        Behaviour::Ipv6Only => IpAddr::V6(Ipv6Addr::LOCALHOST),
        Behaviour::MovedAway => IpAddr::V4(elsewhere[0]),
        _ => IpAddr::V4(ips[site.index % ips.len().max(1)]),
    }
}

/// The name a `third-party-cdn` site's `www.` is a CNAME to: a CDN's, outside the site's
/// domain.
pub fn cdn_name(site: &SiteSpec) -> String {
    // A name under a suffix Alibaba Cloud CDN assigns: the audit names the provider.
    format!("www.{}.w.kunlunsl.com", site.domain)
}

/// HTTP and HTTPS listeners on every address.
async fn bind_both(
    ips: &[IpAddr],
    http: u16,
    https: u16,
) -> Result<(Vec<TcpListener>, u16, Vec<TcpListener>, u16), FleetError> {
    let (h, hp) = bind_same_port(ips, http).await?;
    let (s, sp) = bind_same_port(ips, https).await?;
    Ok((h, hp, s, sp))
}

async fn bind_same_port(ips: &[IpAddr], port: u16) -> Result<(Vec<TcpListener>, u16), FleetError> {
    // Ephemeral ports: take one on the first address, then ask for it on the others; retry a
    // few times in case another process holds it there.
    for _ in 0..20 {
        let first_addr = SocketAddr::from((ips[0], port));
        let first = TcpListener::bind(first_addr)
            .await
            .map_err(|source| FleetError::Bind {
                addr: first_addr,
                source,
            })?;
        let chosen = first
            .local_addr()
            .map_err(|source| FleetError::Bind {
                addr: first_addr,
                source,
            })?
            .port();
        let mut all = vec![first];
        let mut ok = true;
        for ip in &ips[1..] {
            let addr = SocketAddr::from((*ip, chosen));
            match TcpListener::bind(addr).await {
                Ok(l) => all.push(l),
                Err(source) if port != 0 => return Err(FleetError::Bind { addr, source }),
                Err(_) => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            return Ok((all, chosen));
        }
    }
    Err(FleetError::Bind {
        addr: SocketAddr::from((ips[0], port)),
        source: std::io::Error::other("no port free on every fleet address"),
    })
}

impl Fleet {
    /// Generates the sites and starts DNS, HTTP and HTTPS servers.
    pub async fn start(cfg: FleetConfig) -> Result<Fleet, FleetError> {
        let sites = days::on_day(cfg.domains, cfg.seed, &cfg.behaviours, cfg.day);
        let ips = if cfg.ips.is_empty() {
            FleetConfig::default().ips
        } else {
            cfg.ips.clone()
        };
        let mut names = HashMap::new();
        let mut cert_kinds = HashMap::new();
        let mut by_host = HashMap::new();
        let sites_arc: Arc<Vec<SiteSpec>> = Arc::new(sites.clone());
        for (i, s) in sites.iter().enumerate() {
            // The same as `addr_of`.
            let ip = address(s, &ips, &cfg.elsewhere);
            let www = format!("www.{}", s.domain);
            let cert = match s.behaviour {
                Behaviour::HttpOnly => CertKind::None,
                Behaviour::ExpiredCert => CertKind::Expired,
                Behaviour::WrongNameCert => CertKind::WrongName,
                _ => CertKind::Valid,
            };
            let (apex_answer, www_answer) = match s.behaviour {
                Behaviour::Nxdomain => (None, None),
                Behaviour::MissingWww => (Some(Answer::Addr(ip)), None),
                Behaviour::DnsServfail => (Some(Answer::ServFail), Some(Answer::ServFail)),
                Behaviour::DnsTimeout => (Some(Answer::Addr(ip)), Some(Answer::Silent)),
                Behaviour::NoAddress => (Some(Answer::Addr(ip)), Some(Answer::NoData)),
                Behaviour::WwwCname => (
                    Some(Answer::Addr(ip)),
                    Some(Answer::Cname(s.domain.clone())),
                ),
                Behaviour::WildcardDns => {
                    names.insert(format!("*.{}", s.domain), Answer::Addr(ip));
                    (Some(Answer::Addr(ip)), None)
                }
                Behaviour::RedirectToPrivate => (
                    Some(Answer::Addr(ip)),
                    Some(Answer::Addr(IpAddr::from([10, 255, 255, 2]))),
                ),
                Behaviour::CnameLoop => {
                    let back = format!("loop.{}", s.domain);
                    names.insert(back.clone(), Answer::Cname(www.clone()));
                    (Some(Answer::Addr(ip)), Some(Answer::Cname(back)))
                }
                Behaviour::ThirdPartyCdn => {
                    let edge = cdn_name(s);
                    names.insert(edge.clone(), Answer::Addr(IpAddr::V4(cfg.elsewhere[1])));
                    (Some(Answer::Addr(ip)), Some(Answer::Cname(edge)))
                }
                Behaviour::SplitNetworks => {
                    let both = Answer::Addrs(vec![ip, IpAddr::V4(cfg.elsewhere[0])]);
                    (Some(both.clone()), Some(both))
                }
                _ => (Some(Answer::Addr(ip)), Some(Answer::Addr(ip))),
            };
            // The filing's other domain (从域名) and its www., served by the site's server.
            let others = filing::other_domain(s).into_iter().flat_map(|o| {
                [
                    (format!("www.{o}"), Some(Answer::Addr(ip)), HostRole::Other),
                    (o, Some(Answer::Addr(ip)), HostRole::Other),
                ]
            });
            let own = [
                (s.domain.clone(), apex_answer, HostRole::Apex),
                (www, www_answer, HostRole::Www),
            ];
            for (host, answer, role) in own.into_iter().chain(others) {
                // A wildcard's `www.` has no record of its own, but it is served.
                let served = answer.is_some() || s.behaviour == Behaviour::WildcardDns;
                if let Some(a) = answer {
                    names.insert(host.clone(), a);
                }
                if served {
                    cert_kinds.insert(host.clone(), cert);
                    by_host.insert(host, (i, role));
                }
            }
        }

        let mut tasks = JoinSet::new();
        // DNS on UDP and TCP, same port. An ephemeral UDP port can be taken on TCP (after a
        // benchmark, thousands of client ports sit in TIME_WAIT): then try another.
        let mut attempt = 0;
        let (udp, tcp, dns_addr) = loop {
            attempt += 1;
            let udp = UdpSocket::bind(cfg.dns_addr)
                .await
                .map_err(|source| FleetError::Bind {
                    addr: cfg.dns_addr,
                    source,
                })?;
            let dns_addr = udp.local_addr().map_err(|source| FleetError::Bind {
                addr: cfg.dns_addr,
                source,
            })?;
            match TcpListener::bind(dns_addr).await {
                Ok(tcp) => break (udp, tcp, dns_addr),
                Err(_) if cfg.dns_addr.port() == 0 && attempt < 20 => {}
                Err(source) => {
                    return Err(FleetError::Bind {
                        addr: dns_addr,
                        source,
                    });
                }
            }
        };
        // The audit's canary: a name of its own on the first address (`Fleet::canary`).
        names.insert(
            CANARY_HOST.to_string(),
            Answer::Addr(IpAddr::V4(
                cfg.ips.first().copied().unwrap_or(Ipv4Addr::LOCALHOST),
            )),
        );
        let answering = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let latency = cfg.latency.clone().map(Arc::new);
        let zone = Zone {
            names: Arc::new(names),
            answering: answering.clone(),
            latency: latency.clone(),
        };
        tasks.spawn(zone.clone().serve_udp(udp));
        tasks.spawn(zone.serve_tcp(tcp));

        let ca = Ca::generate()?;
        let ca_pem = ca.pem.clone();
        let certs = Arc::new(Certs::new(ca, Arc::new(cert_kinds)));
        let resolver = certs.clone();
        let mut tls = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| FleetError::Cert(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let tls = Arc::new(tls);

        let world = Arc::new(http::World {
            sites: sites_arc,
            by_host: Arc::new(by_host),
            slow_delay: cfg.slow_delay,
            raw_sites: sites.iter().any(|s| s.behaviour.is_raw()),
            slow_ips: cfg.slow_ips.iter().map(|ip| IpAddr::V4(*ip)).collect(),
            requests: Default::default(),
            connections: Default::default(),
            resumed: Default::default(),
            open: Default::default(),
            limits: Default::default(),
            uplink: tokio::sync::watch::Sender::new(true),
            latency,
        });
        // The web servers also listen on `::1`, the address of `ipv6-only` sites, where the
        // machine has IPv6 (containers often do not).
        let v4: Vec<IpAddr> = ips
            .iter()
            .chain(&cfg.elsewhere)
            .map(|ip| IpAddr::V4(*ip))
            .collect();
        let mut with_v6 = v4.clone();
        with_v6.push(IpAddr::V6(Ipv6Addr::LOCALHOST));
        let (http_listeners, http_port, https_listeners, https_port, ipv6) =
            match bind_both(&with_v6, cfg.http_port, cfg.https_port).await {
                Ok((h, hp, s, sp)) => (h, hp, s, sp, true),
                Err(_) => {
                    let (h, hp, s, sp) = bind_both(&v4, cfg.http_port, cfg.https_port).await?;
                    (h, hp, s, sp, false)
                }
            };
        for l in http_listeners {
            tasks.spawn(http::serve(l, None, world.clone()));
        }
        for l in https_listeners {
            tasks.spawn(http::serve(l, Some(tls.clone()), world.clone()));
        }
        Ok(Fleet {
            dns_addr,
            http_port,
            https_port,
            ca_pem,
            sites,
            ipv6,
            day: cfg.day,
            as_of: cfg.as_of,
            ips,
            elsewhere: cfg.elsewhere,
            tasks,
            world,
            certs,
            answering,
        })
    }

    /// `--canary` for an audit of this fleet: its canary name and https port.
    pub fn canary(&self) -> String {
        format!("{CANARY_HOST}:{}", self.https_port)
    }

    /// Stops (`false`) or restarts the DNS server's answers over UDP: the audit's resolver
    /// cut, as in an outage of its own network.
    pub fn set_dns_answering(&self, on: bool) {
        self.answering
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Closes (`false`) or reopens the web servers' listeners, the canary's included: the
    /// audit's uplink cut, as in an outage of its own network (connections are refused).
    /// Reopening binds the same addresses again, within moments of the call.
    pub fn set_uplink(&self, on: bool) {
        self.world.uplink.send_replace(on);
    }

    /// Issues the certificate of every HTTPS host now instead of on its first handshake, so
    /// that clients compared in a benchmark meet a fleet in the same state (issuing costs the
    /// servers a key pair and a signature per host). Returns how many certificates it holds.
    pub fn issue_certificates(&self) -> Result<usize, FleetError> {
        self.certs.issue_all()
    }

    /// HTTP requests the web servers have answered so far, and TCP connections accepted.
    pub fn served(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (
            self.world.requests.load(Relaxed),
            self.world.connections.load(Relaxed),
        )
    }

    /// TLS handshakes so far that resumed an earlier session instead of a full handshake.
    pub fn resumed_handshakes(&self) -> u64 {
        self.world
            .resumed
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The most requests ever in flight at once on any one fleet address (HTTP and HTTPS).
    pub fn max_in_flight_per_ip(&self) -> u64 {
        let m = self
            .world
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        m.values().map(|a| a.max_in_flight).max().unwrap_or(0)
    }

    /// The shortest time between the arrivals of two requests on one fleet address (`None`
    /// before any address has had two): a client's request rate per address shows here.
    pub fn min_request_gap_per_ip(&self) -> Option<Duration> {
        let m = self
            .world
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        m.values().filter_map(|a| a.min_gap).min()
    }

    /// For each fleet address that had requests: how many, and the time from the first
    /// arrival to the last. A paced client's rate shows here whatever the machine's load: a
    /// late arrival can bunch two requests, but not shorten the span of many by more than
    /// its own delay.
    pub fn request_spans_per_ip(&self) -> Vec<(u64, Duration)> {
        let m = self
            .world
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        m.values()
            .filter_map(|a| {
                let span = a.last_start?.saturating_duration_since(a.first_start?);
                Some((a.requests, span))
            })
            .collect()
    }

    /// The web server address of a site's hosts (what its A record says, when it has one).
    pub fn addr_of(&self, site: &SiteSpec) -> IpAddr {
        address(site, &self.ips, &self.elsewhere)
    }

    /// The access provider's networks (SITE-ACCESS): the /24 of each fleet address, and
    /// `::1` where the web servers listen on it. The `elsewhere` addresses lie outside.
    pub fn access_nets(&self) -> Vec<ipnet::IpNet> {
        let mut nets: Vec<ipnet::IpNet> = self
            .ips
            .iter()
            .filter_map(|ip| ipnet::Ipv4Net::new(*ip, 24).ok())
            .map(|n| ipnet::IpNet::V4(n.trunc()))
            .collect();
        nets.sort();
        nets.dedup();
        if self.ipv6 {
            nets.push(ipnet::IpNet::from(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        }
        nets
    }

    /// `access_nets.txt`: [`Fleet::access_nets`], one per line, for `--access-nets`.
    pub fn access_nets_txt(&self) -> String {
        let mut s = String::from("# the simulated fleet's access provider: its networks\n");
        for n in self.access_nets() {
            s.push_str(&format!("{n}\n"));
        }
        s
    }

    /// The first site with a behaviour.
    pub fn site(&self, b: Behaviour) -> Option<&SiteSpec> {
        self.sites.iter().find(|s| s.behaviour == b)
    }

    /// The domain list, one per line (Unicode for IDN names, as a user would write them).
    pub fn domains_txt(&self) -> String {
        let mut s = String::from("# beian-audit simulated fleet\n");
        for site in &self.sites {
            s.push_str(&site.domain_unicode);
            s.push('\n');
        }
        s
    }

    /// The list with its manifest ([`days::manifest_csv`]): owners, opening dates of the
    /// sites without a public-security number, and the filing columns of the sites that do
    /// not match their filing ([`filing::manifest_columns`]).
    pub fn sites_csv(&self) -> String {
        days::manifest_csv(&self.sites, days::day_one(self.as_of, self.day), |s| {
            self.addr_of(s)
        })
    }

    /// Writes `ca.pem`, `domains.txt`, `sites.csv`, `access_nets.txt`, `answer_key.csv` (the
    /// verdicts of an audit with a browser, the default), `answer_key_no_render.csv` (without:
    /// `--render never`), `answer_key_filed.csv` (an audit of `sites.csv`, whose filing
    /// columns the filing rules judge) and `fleet.json` into `dir`.
    pub fn write_files(&self, dir: &Path) -> Result<(), FleetError> {
        let w = |name: &str, content: &str| export::write(&dir.join(name), content.as_bytes());
        w("ca.pem", &self.ca_pem)?;
        w("domains.txt", &self.domains_txt())?;
        w("sites.csv", &self.sites_csv())?;
        w("access_nets.txt", &self.access_nets_txt())?;
        let day1 = days::day_one(self.as_of, self.day);
        w(
            "answer_key.csv",
            &answer_key_csv(&self.sites, Some((day1, self.as_of)), true),
        )?;
        w(
            "answer_key_no_render.csv",
            &answer_key_csv(&self.sites, Some((day1, self.as_of)), false),
        )?;
        w(
            "answer_key_filed.csv",
            &key::answer_key_filed_csv(&self.sites, Some((day1, self.as_of))),
        )?;
        let info = serde_json::json!({
            "dns": self.dns_addr.to_string(),
            "http_port": self.http_port,
            "https_port": self.https_port,
            "domains": self.sites.len(),
            "day": self.day,
            "as_of": self.as_of.to_string(),
        });
        w("fleet.json", &format!("{info:#}\n"))
    }
}
