//! The fetcher's limits and overrides: timeouts, redirects, body cap, ports, the private-address
//! guard and the per-address politeness settings.

use std::time::Duration;

/// The User-Agent the audit sends unless told otherwise: it names the tool, its version and
/// where to read about it, so a site's operator can tell what is calling and allow it.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "beian-audit/",
    env!("CARGO_PKG_VERSION"),
    " (+",
    env!("CARGO_PKG_REPOSITORY"),
    "; ICP footer audit)"
);

/// `--user-agent browser`: a desktop Chrome's User-Agent, for fleets whose owners ask the
/// audit to look like a browser to their bot filters; it still names the tool at its end.
pub const BROWSER_USER_AGENT: &str = concat!(
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 beian-audit/",
    env!("CARGO_PKG_VERSION")
);

/// Limits and overrides of a [`Fetcher`](crate::Fetcher).
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// TCP connect timeout per address.
    pub connect_timeout: Duration,
    /// TLS handshake timeout.
    pub tls_timeout: Duration,
    /// From request sent to response headers.
    pub response_timeout: Duration,
    /// Reading the whole body.
    pub body_timeout: Duration,
    /// A whole probe, all hops.
    pub total_timeout: Duration,
    /// Most redirects (HTTP and meta refresh) followed.
    pub max_redirects: usize,
    /// Most decoded body bytes kept.
    pub body_cap: usize,
    /// Port for `http://` URLs without an explicit port.
    pub http_port: u16,
    /// Port for `https://` URLs without an explicit port.
    pub https_port: u16,
    /// Allow private, loopback and link-local addresses (the simulated fleet needs it).
    pub allow_private: bool,
    /// Private or reserved networks allowed all the same (an internal fleet), while every
    /// other restricted address stays refused.
    pub allow_nets: Vec<ipnet::IpNet>,
    /// User-Agent header.
    pub user_agent: String,
    /// Requests in flight per server address (0: no limit). Politeness for shared hosting,
    /// where thousands of domains sit on a few addresses.
    pub per_ip: usize,
    /// Probes in flight in all (0: no limit), taken after the address's permit: a site that
    /// waits for a busy address holds no slot that a site on another address could use.
    pub max_in_flight: usize,
    /// Most requests per second started on one server address (`None`: no limit), spaced
    /// evenly. Like the wait for `per_ip`, the wait for a request's turn is not part of the
    /// probe's time budget.
    pub rate_per_ip: Option<f64>,
    /// Idle keep-alive connections kept for the next request to the same origin (0: every
    /// request opens its own connection), each for at most 2 s.
    pub idle_connections: usize,
    /// Keep each exchange (the request sent, the response's headers and body) in
    /// [`FetchOutcome::exchanges`](crate::FetchOutcome::exchanges), for the evidence.
    pub capture: bool,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            connect_timeout: Duration::from_secs(10),
            tls_timeout: Duration::from_secs(10),
            response_timeout: Duration::from_secs(15),
            body_timeout: Duration::from_secs(20),
            total_timeout: Duration::from_secs(60),
            max_redirects: 10,
            body_cap: 4 << 20,
            http_port: 80,
            https_port: 443,
            allow_private: false,
            allow_nets: Vec::new(),
            user_agent: DEFAULT_USER_AGENT.to_string(),
            per_ip: 8,
            max_in_flight: 0,
            rate_per_ip: None,
            idle_connections: 256,
            capture: false,
        }
    }
}
