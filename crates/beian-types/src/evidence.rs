//! What the audit keeps of its HTTP exchanges as evidence (issue 31, docs/SCHEMA.md
//! "Evidence"): the request it sent and the response it read, as the WARC records of the run's
//! `evidence/` parts hold them.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;

/// One request and its response, as the audit sent and read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The URL requested.
    pub url: String,
    /// The request line's target (path and query).
    pub target: String,
    /// The request's headers, in the order sent.
    pub request_headers: Vec<(String, String)>,
    /// When the request was sent, UTC microseconds.
    pub at_us: i64,
    /// The address it was sent to.
    pub remote_addr: Option<SocketAddr>,
    /// The response's protocol (`HTTP/1.1`).
    pub version: &'static str,
    /// Its status code.
    pub status: u16,
    /// The status code's reason phrase (the canonical one: the client does not keep the
    /// server's).
    pub reason: &'static str,
    /// Its headers, in order, names as the client read them (lower case).
    pub headers: Vec<(String, String)>,
    /// Its body: decoded when `decoded` names the content coding removed, else as received.
    pub body: Bytes,
    /// The content coding the client removed from the body (`gzip`, `br`, …).
    pub decoded: Option<String>,
    /// The body was cut at the client's cap.
    pub truncated: bool,
}

/// A probe's exchanges that go into the evidence: the hops that led to its final response,
/// then that response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// The probe's row in [`crate::SiteReport::fetches`].
    pub fetch: usize,
    /// In the order they happened; the last is the final response. A response the site's
    /// other probe got first is the same `Arc`, written once.
    pub exchanges: Vec<Arc<Exchange>>,
}

/// Which probes' exchanges a run keeps as evidence (`--evidence`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EvidenceMode {
    /// The pages a failing or warning verdict was judged on, and the hops that led there.
    #[default]
    Failing,
    /// Every probe that got a response.
    All,
    /// None.
    None,
}

impl EvidenceMode {
    /// The name `--evidence` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceMode::Failing => "failing",
            EvidenceMode::All => "all",
            EvidenceMode::None => "none",
        }
    }
}
