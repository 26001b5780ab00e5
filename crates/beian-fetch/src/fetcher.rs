//! The HTTP(S) client: a probe follows its URL to the final page within its time budget —
//! per-address permits and pacing ([`crate::limits`]), the site's shared visits
//! ([`crate::visits`]), one request at a time ([`crate::request`]) and the next hop
//! ([`crate::hop`]), each decided in its own place.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use beian_types::ErrorClass;
use rustls::pki_types::CertificateDer;
use tokio::sync::watch;
use tokio::time::Instant;
use url::Url;

use crate::addr::is_restricted;
use crate::budget::Budget;
use crate::limits::{Pacer, PerIp, Permits};
use crate::request::Response;
use crate::visits::{Claim, Visit, Visits};
use crate::{BuildError, FetchConfig, FetchError, FetchOutcome, HostResolve, OnWait, pool, tls};
use crate::{hop, retry};

/// The HTTP(S) client.
pub struct Fetcher<R> {
    pub(crate) cfg: FetchConfig,
    pub(crate) tls: tls::Tls,
    resolver: R,
    per_ip: PerIp,
    pacer: Pacer,
    pub(crate) pool: pool::Pool,
    in_flight: Option<Arc<tokio::sync::Semaphore>>,
}

impl<R: HostResolve> Fetcher<R> {
    /// A fetcher trusting the webpki roots plus `extra_roots`.
    pub fn new(
        cfg: FetchConfig,
        extra_roots: &[CertificateDer<'static>],
        resolver: R,
    ) -> Result<Self, BuildError> {
        Ok(Fetcher {
            per_ip: PerIp {
                limit: cfg.per_ip,
                map: Mutex::new(HashMap::new()),
            },
            pacer: Pacer::new(cfg.rate_per_ip),
            pool: pool::Pool::new(cfg.idle_connections),
            in_flight: (cfg.max_in_flight > 0)
                .then(|| Arc::new(tokio::sync::Semaphore::new(cfg.max_in_flight))),
            cfg,
            tls: tls::build(extra_roots)?,
            resolver,
        })
    }

    /// Waits for the address's permit, then for a probe slot, always in that order.
    async fn take(&self, permits: &mut Permits, ip: Option<IpAddr>, on_wait: &OnWait<'_>) {
        if let Some(ip) = ip {
            permits.ip = self.per_ip.acquire(ip, on_wait).await;
        }
        if let Some(sem) = &self.in_flight {
            permits.slot = sem.clone().acquire_owned().await.ok();
        }
    }

    /// Whether the fetcher may connect to `ip` (private and reserved ranges need
    /// `allow_private`).
    pub(crate) fn allowed(&self, ip: IpAddr) -> bool {
        self.cfg.allow_private
            || !is_restricted(ip)
            || self.cfg.allow_nets.iter().any(|n| n.contains(&ip))
    }

    /// The address a request to `addrs` connects to first (what its per-address permit is for).
    pub(crate) fn first_allowed(&self, addrs: &[IpAddr]) -> Option<IpAddr> {
        addrs.iter().copied().find(|ip| self.allowed(*ip))
    }

    /// Probes `url`, whose host resolved to `addrs`, following redirects. Waiting for the
    /// address's permit (`per_ip`) and for a request's turn (`rate_per_ip`) is not part of the
    /// probe's time budget, so a busy shared host delays its sites instead of timing them out.
    pub async fn fetch(&self, url: Url, addrs: Vec<IpAddr>) -> FetchOutcome {
        self.fetch_with(url, addrs, &|| {}).await
    }

    /// [`Fetcher::fetch`], calling `on_wait` whenever the probe is about to wait for a busy
    /// server address.
    pub async fn fetch_with(
        &self,
        url: Url,
        addrs: Vec<IpAddr>,
        on_wait: &OnWait<'_>,
    ) -> FetchOutcome {
        self.probe(url, addrs, on_wait, None).await
    }

    /// [`Fetcher::fetch_with`] as one of a site's probes: a URL another probe of the site
    /// requested is not requested again ([`Visits`]).
    pub async fn fetch_for_site(
        &self,
        url: Url,
        addrs: Vec<IpAddr>,
        on_wait: &OnWait<'_>,
        visits: &Visits,
    ) -> FetchOutcome {
        self.probe(url, addrs, on_wait, Some(visits)).await
    }

    /// One request as a page in the browser makes it while passing a gate (`--render`):
    /// `url` alone — a redirect goes back to the browser, which follows it — carrying the
    /// browser's `cookie`, the response's headers kept (its `Set-Cookie` and `Location` go
    /// back to the browser). The address's permit, its pacing and the time budget hold as for
    /// a probe; a `Retry-After` is the browser's to honour, not this request's.
    pub async fn visit(&self, url: Url, addrs: Vec<IpAddr>, cookie: Option<&str>) -> FetchOutcome {
        let mut permits = Permits::default();
        let ip = self.first_allowed(&addrs);
        let asked = Instant::now();
        self.take(&mut permits, ip, &|| {}).await;
        if let Some(ip) = ip {
            self.pacer.wait(ip).await;
        }
        let started = Instant::now();
        let mut out = FetchOutcome::default();
        out.timings.wait = started - asked;
        let budget = Budget::starting(self.cfg.total_timeout);
        let result = budget
            .run(Box::pin(self.request(&url, &addrs, &mut out, cookie)))
            .await;
        out.requests = 1;
        match result {
            Ok(resp) => {
                resp.answered(&url, &mut out);
                resp.into_page(&mut out);
            }
            Err(e) => out.error = Some(e),
        }
        out.timings.total = started.elapsed();
        out
    }

    async fn probe(
        &self,
        url: Url,
        addrs: Vec<IpAddr>,
        on_wait: &OnWait<'_>,
        visits: Option<&Visits>,
    ) -> FetchOutcome {
        let mut permits = Permits::default();
        let asked = Instant::now();
        self.take(&mut permits, self.first_allowed(&addrs), on_wait)
            .await;
        let started = Instant::now();
        let mut out = FetchOutcome::default();
        out.timings.wait = started - asked;
        let mut budget = Budget::starting(self.cfg.total_timeout);
        // Boxed: the connection, TLS and HTTP states make the probe's future ~9 KB, and a
        // probe that waits for a permit (above) should not hold that much while it waits.
        let probe = Probe {
            permits: &mut permits,
            budget: &mut budget,
            on_wait,
            visits,
        };
        let run = Box::pin(self.run(url, addrs, probe, &mut out));
        if let Err(e) = run.await {
            out.error = Some(e);
        }
        // Waiting for permits and request slots is the server's politeness, not the probe's
        // time: it is reported apart (`wait_us`), and `total_us` is the rest.
        let waited_within = out.timings.wait.saturating_sub(started - asked);
        out.timings.total = started.elapsed().saturating_sub(waited_within);
        out
    }

    /// Follows `url` to its final page. Network work runs within `budget`; waiting for
    /// permits and request slots moves its deadline instead of using it up.
    async fn run(
        &self,
        mut url: Url,
        mut addrs: Vec<IpAddr>,
        mut probe: Probe<'_, '_>,
        out: &mut FetchOutcome,
    ) -> Result<(), FetchError> {
        let first_url = url.to_string();
        let mut seen: HashSet<String> = HashSet::new();
        let mut refreshed = false;
        loop {
            seen.insert(url.as_str().to_string());
            let ip = self.first_allowed(&addrs);
            self.permit_for(ip, &mut probe, out).await;
            let resp = self
                .response(&url, ip, &addrs, &first_url, &mut probe, out)
                .await?;
            resp.answered(&url, out);
            let chain = hop::Chain {
                url: &url,
                seen: &seen,
                hops: out.hops.len(),
                refreshed,
                max_redirects: self.cfg.max_redirects,
            };
            let body = resp.body.as_deref();
            match hop::next(&chain, resp.status, resp.location.as_deref(), body) {
                hop::Next::Page => {
                    resp.into_page(out);
                    return Ok(());
                }
                hop::Next::Fault { hop, error } => {
                    out.hops.extend(hop);
                    return Err(error);
                }
                hop::Next::Follow {
                    hop,
                    target,
                    refresh,
                } => {
                    refreshed |= refresh;
                    out.hops.push(hop);
                    if let Some(host) = target.host_str().filter(|h| Some(*h) != url.host_str()) {
                        addrs = self.addresses_of(host, probe.budget).await?;
                    }
                    url = target;
                }
            }
        }
    }

    /// Holds the permit of `ip`, the address the next request goes to. A redirect to another
    /// address gives the permits back before waiting again (holding one while waiting for
    /// another could deadlock two probes).
    async fn permit_for(
        &self,
        ip: Option<IpAddr>,
        probe: &mut Probe<'_, '_>,
        out: &mut FetchOutcome,
    ) {
        if ip.is_some() && probe.permits.ip.as_ref().map(|(held, _)| *held) != ip {
            *probe.permits = Permits::default();
            let asked = Instant::now();
            self.take(probe.permits, ip, probe.on_wait).await;
            waited(probe.budget, out, asked.elapsed());
        }
    }

    /// The addresses of a redirect's `host` (a literal address, or resolved within the
    /// budget).
    async fn addresses_of(
        &self,
        host: &str,
        budget: &mut Budget,
    ) -> Result<Vec<IpAddr>, FetchError> {
        match host.parse::<IpAddr>() {
            Ok(ip) => Ok(vec![ip]),
            Err(_) => {
                let bare = host.trim_start_matches('[').trim_end_matches(']');
                budget.run(self.resolver.resolve(bare)).await
            }
        }
    }

    /// The response to `url`: another probe's of the site, when it asked first, else this
    /// probe's own request, published to the site's other probes. Claimed with the address's
    /// permit held: the probe that requests a URL never waits for a permit a probe waiting
    /// for that URL holds.
    async fn response(
        &self,
        url: &Url,
        ip: Option<IpAddr>,
        addrs: &[IpAddr],
        first_url: &str,
        probe: &mut Probe<'_, '_>,
        out: &mut FetchOutcome,
    ) -> Result<Response, FetchError> {
        let mine = match probe.visits.map(|v| v.claim(url)) {
            Some(Claim::Theirs(rx)) => return reuse(url, rx, probe.budget, out).await,
            Some(Claim::Mine(tx)) => Some(tx),
            None => None,
        };
        let result = self.request_in_turn(url, ip, addrs, probe, out).await;
        if let Some(tx) = mine {
            let visit = Visit {
                result: result.clone(),
                remote_addr: out.remote_addr,
                tls: out.tls.clone(),
                by: first_url.to_string(),
            };
            // No receiver left is no error: nobody else wanted it.
            tx.send_replace(Some(Arc::new(visit)));
        }
        result
    }

    /// This probe's own request: the site's turn on the connection first, then the request's
    /// pacing slot (a slot is not spent waiting for the turn), then the request within the
    /// budget.
    async fn request_in_turn(
        &self,
        url: &Url,
        ip: Option<IpAddr>,
        addrs: &[IpAddr],
        probe: &mut Probe<'_, '_>,
        out: &mut FetchOutcome,
    ) -> Result<Response, FetchError> {
        let turn = match (probe.visits, self.origin(url, ip)) {
            (Some(v), Some(origin)) => {
                let asked = Instant::now();
                let turn = v.turn(origin).await;
                waited(probe.budget, out, asked.elapsed());
                Some(turn)
            }
            _ => None,
        };
        if let Some(ip) = ip {
            waited(probe.budget, out, self.pacer.wait(ip).await);
        }
        let mut result = probe.budget.run(self.request(url, addrs, out, None)).await;
        out.requests += 1;
        // A 429 or 503 that says when to come back, within the cap and the budget: wait
        // once (politeness, in `wait_us`) and ask again.
        let retry = result.as_ref().ok().and_then(|r| {
            let left = probe
                .budget
                .deadline
                .saturating_duration_since(Instant::now());
            retry::wait_before_retry(r.status, &r.headers, std::time::SystemTime::now(), left)
        });
        if let Some(d) = retry {
            tokio::time::sleep(d).await;
            waited(probe.budget, out, d);
            if let Some(ip) = ip {
                waited(probe.budget, out, self.pacer.wait(ip).await);
            }
            result = probe.budget.run(self.request(url, addrs, out, None)).await;
            out.requests += 1;
        }
        drop(turn);
        result
    }

    /// Where a request for `url` to `ip` goes, as connections are pooled.
    pub(crate) fn origin(&self, url: &Url, ip: Option<IpAddr>) -> Option<pool::Origin> {
        Some(pool::Origin::new(
            SocketAddr::new(ip?, self.port_for(url)),
            url.scheme() == "https",
            url.host_str()?,
        ))
    }

    pub(crate) fn port_for(&self, url: &Url) -> u16 {
        url.port().unwrap_or(if url.scheme() == "https" {
            self.cfg.https_port
        } else {
            self.cfg.http_port
        })
    }
}

/// The response another probe of the site got for `url` (waited for within the budget).
async fn reuse(
    url: &Url,
    mut rx: watch::Receiver<Option<Arc<Visit>>>,
    budget: &mut Budget,
    out: &mut FetchOutcome,
) -> Result<Response, FetchError> {
    let visit = budget
        .run(async {
            rx.wait_for(Option::is_some)
                .await
                .ok()
                .and_then(|v| v.clone())
                .ok_or_else(|| {
                    FetchError::new(
                        ErrorClass::HttpProtocol,
                        format!("the probe requesting {url} stopped"),
                    )
                })
        })
        .await?;
    out.reused_from.get_or_insert_with(|| visit.by.clone());
    out.timings.clear_phases();
    out.remote_addr = visit.remote_addr;
    if visit.tls.is_some() {
        out.tls = visit.tls.clone();
    }
    visit.result.clone()
}

/// Time a probe spent waiting for its turn (a permit, a request slot, the site's connection):
/// politeness, so it moves the probe's deadline and is reported as `wait_us`.
fn waited(budget: &mut Budget, out: &mut FetchOutcome, d: Duration) {
    budget.extend(d);
    out.timings.wait += d;
}

/// What one probe carries through its redirects: its permits and time budget, what to call
/// when it waits, and the site's [`Visits`] when it is one of a site's probes.
struct Probe<'p, 'w> {
    permits: &'p mut Permits,
    budget: &'p mut Budget,
    on_wait: &'p OnWait<'w>,
    visits: Option<&'p Visits>,
}
