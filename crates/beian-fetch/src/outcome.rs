//! What one probe returns: the final response, its hops, timings and TLS facts, or the
//! classified failure.

use std::net::SocketAddr;
use std::time::Duration;

use std::sync::Arc;

use beian_types::{Exchange, Hop};
use bytes::Bytes;

use crate::FetchError;

/// TLS facts of an https connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFacts {
    /// Negotiated protocol version (`TLSv1_3`).
    pub version: String,
    /// `None` when the certificate verified (chain, name, dates); else why not.
    pub cert_error: Option<String>,
}

/// Phase timings of the last request and the whole probe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    /// TCP connect.
    pub connect: Option<Duration>,
    /// TLS handshake.
    pub tls: Option<Duration>,
    /// Request sent → response headers.
    pub ttfb: Option<Duration>,
    /// Whole probe, all hops, without the waiting below.
    pub total: Duration,
    /// Waiting for a server address's permit (`per_ip`), a request slot (`rate_per_ip`) or
    /// the site's turn on a connection, before the probe and between its hops: politeness,
    /// outside the probe's time budget.
    pub wait: Duration,
}

impl Timings {
    /// Forgets the phases of the last request (another one starts, or a response another
    /// probe got stands in), keeping the probe's totals.
    pub(crate) fn clear_phases(&mut self) {
        self.connect = None;
        self.tls = None;
        self.ttfb = None;
    }
}

/// Most headers of a response kept in [`FetchOutcome::headers`].
pub const MAX_KEPT_HEADERS: usize = 64;

/// The result of one probe.
#[derive(Debug, Clone, Default)]
pub struct FetchOutcome {
    /// Redirect hops before the final response.
    pub hops: Vec<Hop>,
    /// URL of the final response.
    pub final_url: Option<String>,
    /// Status of the final response.
    pub status: Option<u16>,
    /// Why the probe did not complete.
    pub error: Option<FetchError>,
    /// Where the last request went.
    pub remote_addr: Option<SocketAddr>,
    /// Timings.
    pub timings: Timings,
    /// TLS facts of the last https connection.
    pub tls: Option<TlsFacts>,
    /// Headers of the final response, names in lower case, in order (at most
    /// [`MAX_KEPT_HEADERS`]): what classifies the response (a WAF's cookie, `cf-mitigated`).
    pub headers: Vec<(String, String)>,
    /// Content-Type of the final response.
    pub content_type: Option<String>,
    /// Content-Encoding of the final response.
    pub content_encoding: Option<String>,
    /// Decoded body (up to the cap) of the final response.
    pub body: Option<Bytes>,
    /// The body was longer than the cap.
    pub body_truncated: bool,
    /// Requests this probe sent itself (responses reused from the site's other probes are
    /// not counted).
    pub requests: u32,
    /// The first URL of the site's probe whose response this probe reused first, if any.
    pub reused_from: Option<String>,
    /// The protocol of the final response (`HTTP/1.1`, `HTTP/2`).
    pub http_version: Option<String>,
    /// With [`FetchConfig::capture`](crate::FetchConfig::capture): each response of the probe
    /// with its request, in order, the final one last. A response another probe of the site
    /// got is that probe's `Arc`.
    pub exchanges: Vec<Arc<Exchange>>,
}

impl FetchOutcome {
    /// True when the final response is 2xx with an HTML (or untyped) body.
    pub fn is_html_page(&self) -> bool {
        let ok = self.status.is_some_and(|s| (200..300).contains(&s));
        let html = self.content_type.as_deref().is_none_or(|ct| {
            let ct = ct.to_ascii_lowercase();
            ct.contains("html") || ct.starts_with("text/plain")
        });
        ok && html && self.body.is_some() && self.error.is_none()
    }
}
