//! DNS for the audit: the only place a host name becomes addresses. A stub resolver: asks the
//! configured (or the system's) recursive nameservers for A and AAAA over UDP (TCP when the
//! answer is truncated), follows the CNAME chain inside the answer, caches answers for the run
//! and classifies failures (NXDOMAIN / SERVFAIL / REFUSED / timeout / no address).
//!
//! The wire format is hickory-proto's (`wire`); `transport` shares a few UDP sockets among
//! all queries. hickory-resolver did this job before and cost ~210 µs of CPU per host (A and
//! AAAA) against the fleet's DNS, a sixth of the audit's CPU (BENCHMARKS.md).
#![deny(missing_docs)]

mod transport;
mod wire;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use beian_types::ErrorClass;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RecordType};

use transport::{TransportError, UdpPool};
use wire::{Answer, Mismatch};

/// The addresses of a host and how DNS got there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// A then AAAA addresses.
    pub addrs: Vec<IpAddr>,
    /// CNAME targets in chain order (without the trailing dot).
    pub cnames: Vec<String>,
    /// Wall time of the lookup (near zero when the answer was cached).
    pub elapsed: Duration,
}

/// A failed lookup, classified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{host}: {message}")]
pub struct ResolveError {
    /// The host looked up.
    pub host: String,
    /// Stable class (`dns_*`).
    pub class: ErrorClass,
    /// Detail from the resolver.
    pub message: String,
    /// Wall time until the failure.
    pub elapsed: Duration,
}

/// Building the resolver failed (unreadable system configuration).
#[derive(Debug, thiserror::Error)]
#[error("cannot configure DNS resolver: {0}")]
pub struct BuildError(String);

/// Configuration for [`Resolver`].
#[derive(Debug, Clone)]
pub struct ResolverBuilder {
    nameservers: Vec<SocketAddr>,
    timeout: Duration,
    attempts: usize,
}

impl Default for ResolverBuilder {
    fn default() -> Self {
        ResolverBuilder {
            nameservers: Vec::new(),
            timeout: Duration::from_secs(5),
            attempts: 2,
        }
    }
}

/// Where the system's nameservers are listed.
const RESOLV_CONF: &str = "/etc/resolv.conf";

/// Answers kept for the run at most; beyond it the entries nearest expiry go. Answers are
/// reused within a site's audit (apex → www redirects), which runs close in time: a cache far
/// larger than the sites in flight only grows memory.
const CACHE_ENTRIES: usize = 4096;

/// Longest an answer is kept, whatever its TTL.
const MAX_CACHE_TTL: Duration = Duration::from_secs(3600);

/// How long a name that does not exist (or has no address) is remembered.
const NEGATIVE_TTL: Duration = Duration::from_secs(60);

impl ResolverBuilder {
    /// Use these nameservers instead of the system's (`/etc/resolv.conf`).
    pub fn nameservers(mut self, servers: Vec<SocketAddr>) -> Self {
        self.nameservers = servers;
        self
    }

    /// Per-query timeout.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Attempts per query.
    pub fn attempts(mut self, n: usize) -> Self {
        self.attempts = n.max(1);
        self
    }

    /// Builds the resolver: reads the system's nameservers when none were given and binds
    /// the UDP sockets. Must be called inside a tokio runtime.
    pub fn build(self) -> Result<Resolver, BuildError> {
        let addrs = if self.nameservers.is_empty() {
            system_nameservers(Path::new(RESOLV_CONF))?
        } else {
            self.nameservers
        };
        // A server this machine cannot reach at all (an IPv6 address without IPv6) is left
        // out; the audit fails to start only if no server is left.
        let mut servers = Vec::new();
        let mut unusable = Vec::new();
        for addr in addrs {
            match UdpPool::bind(addr) {
                Ok(udp) => servers.push(Server { addr, udp }),
                Err(e) => unusable.push(format!("{addr}: {e}")),
            }
        }
        if servers.is_empty() {
            return Err(BuildError(format!(
                "no usable nameserver ({})",
                unusable.join("; ")
            )));
        }
        // Retries go over every server; a silent server can then hold a lookup for several
        // times the per-query timeout. This is the hard bound per lookup.
        let deadline = self.timeout * u32::try_from(self.attempts).unwrap_or(1);
        Ok(Resolver {
            inner: Arc::new(Inner {
                lookups: tokio::sync::Semaphore::new(LOOKUPS_IN_FLIGHT),
                servers,
                timeout: self.timeout,
                attempts: self.attempts,
                deadline,
                cache: Mutex::new(HashMap::new()),
            }),
        })
    }
}

/// The nameservers of a resolv.conf file, on port 53.
fn system_nameservers(path: &Path) -> Result<Vec<SocketAddr>, BuildError> {
    let text = std::fs::read(path)
        .map_err(|e| BuildError(format!("{}: {e} (pass --resolver)", path.display())))?;
    let conf = resolv_conf::Config::parse(&text)
        .map_err(|e| BuildError(format!("{}: {e}", path.display())))?;
    let servers: Vec<SocketAddr> = conf
        .nameservers
        .into_iter()
        .map(|ip| SocketAddr::new(IpAddr::from(ip), 53))
        .collect();
    if servers.is_empty() {
        return Err(BuildError(format!(
            "{} lists no nameserver (pass --resolver)",
            path.display()
        )));
    }
    Ok(servers)
}

/// A shared, caching DNS resolver.
#[derive(Clone)]
pub struct Resolver {
    inner: Arc<Inner>,
}

/// Lookups in flight at most (politeness: a stub resolver should not burst thousands of
/// queries at a shared server). A lookup asks A and AAAA at once, of one server at a time:
/// at most 1,024 queries in flight to a server. Above it lookups wait for a slot before their
/// timeout starts: a query is given up on when its server is slow, not when the audit's own
/// queue is long (issue 32: at 4,096 sites at once and internet latency, the queue outlasted
/// the timeout, and names that answer were reported `dns_timeout`).
const LOOKUPS_IN_FLIGHT: usize = 512;

struct Inner {
    /// Slots of [`LOOKUPS_IN_FLIGHT`].
    lookups: tokio::sync::Semaphore,
    servers: Vec<Server>,
    timeout: Duration,
    attempts: usize,
    deadline: Duration,
    cache: Mutex<HashMap<String, Cached>>,
}

struct Server {
    addr: SocketAddr,
    udp: UdpPool,
}

/// A lookup's outcome without its timing, as the cache keeps it.
type Outcome = Result<Found, Failure>;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Found {
    addrs: Vec<IpAddr>,
    cnames: Vec<String>,
    ttl: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Failure {
    class: ErrorClass,
    message: String,
}

struct Cached {
    expires: Instant,
    outcome: Outcome,
}

/// What a lookup of `host` that began at `started` gives the caller.
fn answer(host: &str, outcome: Outcome, started: Instant) -> Result<Resolution, ResolveError> {
    let elapsed = started.elapsed();
    match outcome {
        Ok(found) => Ok(Resolution {
            addrs: found.addrs,
            cnames: found.cnames,
            elapsed,
        }),
        Err(f) => Err(ResolveError {
            host: host.to_string(),
            class: f.class,
            message: f.message,
            elapsed,
        }),
    }
}

impl Resolver {
    /// A and AAAA addresses of `host`, with its CNAME chain.
    pub async fn resolve(&self, host: &str) -> Result<Resolution, ResolveError> {
        let started = Instant::now();
        let key = host.trim_end_matches('.').to_ascii_lowercase();
        let outcome = match self.cached(&key, started) {
            Some(hit) => hit,
            None => {
                let outcome = self.look_up(&key).await;
                self.remember(key, &outcome);
                outcome
            }
        };
        answer(host, outcome, started)
    }

    /// [`Resolver::resolve`] asking the servers now, past the cache (and leaving it as it
    /// is): whether the resolver answers at this moment (the audit's canaries).
    pub async fn resolve_fresh(&self, host: &str) -> Result<Resolution, ResolveError> {
        let started = Instant::now();
        let key = host.trim_end_matches('.').to_ascii_lowercase();
        let outcome = self.look_up(&key).await;
        answer(host, outcome, started)
    }

    fn cached(&self, key: &str, now: Instant) -> Option<Outcome> {
        let cache = self
            .inner
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        cache
            .get(key)
            .filter(|c| c.expires > now)
            .map(|c| c.outcome.clone())
    }

    /// Keeps answers and definite negatives (no such name, no address); a timeout or a
    /// server failure is asked again next time.
    fn remember(&self, key: String, outcome: &Outcome) {
        let keep = match outcome {
            Ok(found) => Duration::from_secs(found.ttl.into()).min(MAX_CACHE_TTL),
            Err(f) if matches!(f.class, ErrorClass::DnsNxdomain | ErrorClass::DnsNoAddress) => {
                NEGATIVE_TTL
            }
            Err(_) => Duration::ZERO,
        };
        if keep.is_zero() {
            return;
        }
        let now = Instant::now();
        let mut cache = self
            .inner
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= CACHE_ENTRIES {
            evict(&mut cache, now);
        }
        cache.insert(
            key,
            Cached {
                expires: now + keep,
                outcome: outcome.clone(),
            },
        );
    }

    async fn look_up(&self, key: &str) -> Outcome {
        // Fully qualified: no search-domain expansion, ever.
        let name = Name::from_ascii(format!("{key}.")).map_err(|e| Failure {
            class: ErrorClass::DnsError,
            message: format!("not a DNS name: {e}"),
        })?;
        let both = async {
            tokio::join!(
                self.query(&name, RecordType::A),
                self.query(&name, RecordType::AAAA)
            )
        };
        let Ok(_slot) = self.inner.lookups.acquire().await else {
            return Err(Failure {
                class: ErrorClass::DnsError,
                message: "the resolver is closed".into(),
            });
        };
        match tokio::time::timeout(self.inner.deadline, both).await {
            Ok((a, aaaa)) => combine(a, aaaa),
            Err(_) => Err(Failure {
                class: ErrorClass::DnsTimeout,
                message: format!("no DNS answer within {:?}", self.inner.deadline),
            }),
        }
    }

    /// One record type: every server in turn, `attempts` rounds, until one answers NOERROR
    /// or NXDOMAIN.
    async fn query(&self, name: &Name, rtype: RecordType) -> Result<Answer, Failure> {
        let inner = &*self.inner;
        let mut last = Failure {
            class: ErrorClass::DnsTimeout,
            message: "no nameserver".into(),
        };
        for _ in 0..inner.attempts {
            // Asking again helps only if some server did not answer.
            let mut all_answered = true;
            for server in &inner.servers {
                let asked = tokio::time::timeout(inner.timeout, self.ask(server, name, rtype));
                let failure = match asked.await {
                    Ok(Ok(answer)) => match answer.code {
                        ResponseCode::NoError => return Ok(answer),
                        ResponseCode::NXDomain => {
                            return Err(Failure {
                                class: ErrorClass::DnsNxdomain,
                                message: format!("NXDOMAIN (no such name) from {}", server.addr),
                            });
                        }
                        code => Failure {
                            class: classify_code(code),
                            message: format!("{code} from {}", server.addr),
                        },
                    },
                    Ok(Err(e)) => {
                        all_answered = false;
                        e
                    }
                    Err(_) => {
                        all_answered = false;
                        Failure {
                            class: ErrorClass::DnsTimeout,
                            message: format!(
                                "no answer from {} within {:?}",
                                server.addr, inner.timeout
                            ),
                        }
                    }
                };
                last = failure;
            }
            if all_answered {
                break;
            }
        }
        Err(last)
    }

    /// One question to one server: UDP, then TCP if the answer was truncated.
    async fn ask(
        &self,
        server: &Server,
        name: &Name,
        rtype: RecordType,
    ) -> Result<Answer, Failure> {
        let io_failure = |e: TransportError| Failure {
            class: ErrorClass::DnsError,
            message: format!("{}: {}", server.addr, e.0),
        };
        let (id, datagram) = server
            .udp
            .exchange(|id| wire::encode_query(id, name, rtype))
            .await
            .map_err(io_failure)?;
        let answer = read(&datagram, id, name, rtype, server.addr)?;
        if !answer.truncated {
            return Ok(answer);
        }
        let query = wire::encode_query(id, name, rtype).ok_or_else(|| Failure {
            class: ErrorClass::DnsError,
            message: "cannot encode the query".into(),
        })?;
        let stream = transport::tcp_exchange(server.addr, &query)
            .await
            .map_err(io_failure)?;
        read(&stream, id, name, rtype, server.addr)
    }
}

fn read(
    bytes: &[u8],
    id: u16,
    name: &Name,
    rtype: RecordType,
    server: SocketAddr,
) -> Result<Answer, Failure> {
    wire::decode_answer(bytes, id, name, rtype).map_err(|m| Failure {
        class: ErrorClass::DnsError,
        message: match m {
            Mismatch::Malformed(e) => format!("malformed answer from {server}: {e}"),
            Mismatch::NotOurs => format!("answer from {server} to another question"),
        },
    })
}

/// Drops expired entries, then, if the cache is still full, the half nearest expiry.
fn evict(cache: &mut HashMap<String, Cached>, now: Instant) {
    cache.retain(|_, c| c.expires > now);
    if cache.len() < CACHE_ENTRIES {
        return;
    }
    let mut expiries: Vec<Instant> = cache.values().map(|c| c.expires).collect();
    let mid = expiries.len() / 2;
    let (_, median, _) = expiries.select_nth_unstable(mid);
    let median = *median;
    cache.retain(|_, c| c.expires > median);
}

/// The host's answer from its A and AAAA answers: any address is an answer; otherwise the A
/// query's failure, else the AAAA query's, else "no address".
fn combine(a: Result<Answer, Failure>, aaaa: Result<Answer, Failure>) -> Outcome {
    let mut addrs = Vec::new();
    let mut cnames = Vec::new();
    let mut ttl = u32::MAX;
    for answer in [&a, &aaaa].into_iter().flatten() {
        if answer.addrs.is_empty() {
            continue;
        }
        addrs.extend_from_slice(&answer.addrs);
        ttl = ttl.min(answer.ttl);
        if cnames.is_empty() {
            cnames.clone_from(&answer.cnames);
        }
    }
    if !addrs.is_empty() {
        return Ok(Found { addrs, cnames, ttl });
    }
    match (a, aaaa) {
        (Err(f), _) | (Ok(_), Err(f)) => Err(f),
        (Ok(_), Ok(_)) => Err(Failure {
            class: ErrorClass::DnsNoAddress,
            message: "no A or AAAA records".into(),
        }),
    }
}

fn classify_code(code: ResponseCode) -> ErrorClass {
    match code {
        ResponseCode::NXDomain => ErrorClass::DnsNxdomain,
        ResponseCode::ServFail => ErrorClass::DnsServfail,
        ResponseCode::Refused => ErrorClass::DnsRefused,
        ResponseCode::NoError => ErrorClass::DnsNoAddress,
        _ => ErrorClass::DnsError,
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn answer(addrs: &[IpAddr], cnames: &[&str], ttl: u32) -> Result<Answer, Failure> {
        Ok(Answer {
            code: ResponseCode::NoError,
            truncated: false,
            addrs: addrs.to_vec(),
            cnames: cnames.iter().map(|c| c.to_string()).collect(),
            ttl,
        })
    }

    fn failure(class: ErrorClass) -> Result<Answer, Failure> {
        Err(Failure {
            class,
            message: class.to_string(),
        })
    }

    const V4: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

    #[test]
    fn any_address_is_an_answer() {
        let found = combine(answer(&[V4], &["cdn.example"], 300), answer(&[V6], &[], 60)).unwrap();
        assert_eq!(found.addrs, vec![V4, V6]);
        assert_eq!(found.cnames, vec!["cdn.example"]);
        assert_eq!(found.ttl, 60);
        // An IPv6-only host whose A query timed out still has its address.
        let found = combine(failure(ErrorClass::DnsTimeout), answer(&[V6], &["x"], 9)).unwrap();
        assert_eq!(found.addrs, vec![V6]);
        assert_eq!(found.cnames, vec!["x"]);
    }

    #[test]
    fn without_addresses_the_failure_says_why() {
        let class = |r: Outcome| r.unwrap_err().class;
        assert_eq!(
            class(combine(
                failure(ErrorClass::DnsNxdomain),
                failure(ErrorClass::DnsNxdomain)
            )),
            ErrorClass::DnsNxdomain
        );
        assert_eq!(
            class(combine(
                answer(&[], &[], 0),
                failure(ErrorClass::DnsTimeout)
            )),
            ErrorClass::DnsTimeout
        );
        assert_eq!(
            class(combine(
                failure(ErrorClass::DnsServfail),
                answer(&[], &[], 0)
            )),
            ErrorClass::DnsServfail
        );
        assert_eq!(
            class(combine(answer(&[], &["a"], 0), answer(&[], &[], 0))),
            ErrorClass::DnsNoAddress
        );
    }

    #[test]
    fn eviction_keeps_the_cache_bounded() {
        let now = Instant::now();
        let mut cache: HashMap<String, Cached> = (0..CACHE_ENTRIES)
            .map(|i| {
                (
                    format!("h{i}"),
                    Cached {
                        expires: now + Duration::from_secs(i as u64 + 1),
                        outcome: Err(Failure {
                            class: ErrorClass::DnsNxdomain,
                            message: String::new(),
                        }),
                    },
                )
            })
            .collect();
        evict(&mut cache, now);
        assert!(cache.len() <= CACHE_ENTRIES / 2);
        // The entries that live longest stay.
        assert!(cache.contains_key(&format!("h{}", CACHE_ENTRIES - 1)));
        assert!(!cache.contains_key("h0"));
    }

    #[test]
    fn system_configuration_is_read() {
        let dir = std::env::temp_dir().join(format!("beian-resolv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("resolv.conf");
        std::fs::write(
            &path,
            "search example\nnameserver 127.0.0.53\nnameserver ::1\n",
        )
        .unwrap();
        assert_eq!(
            system_nameservers(&path).unwrap(),
            vec![
                SocketAddr::from((Ipv4Addr::new(127, 0, 0, 53), 53)),
                SocketAddr::from((Ipv6Addr::LOCALHOST, 53))
            ]
        );
        std::fs::write(&path, "search example\n").unwrap();
        let err = system_nameservers(&path).unwrap_err().to_string();
        assert!(err.contains("no nameserver"), "{err}");
        let err = system_nameservers(&dir.join("missing"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
