//! What the rules are given about a site: per host, the page it ended on (its footer facts,
//! whether rendered), its probes (redirects, errors, certificates) and what DNS answered.
//! Built by the pipeline from the fetch outcomes; the rules read nothing else.

use beian_types::{Classified, ErrorClass, FooterFacts, HostRole, Scheme};

/// A 2xx HTML page a host ended on.
#[derive(Debug, Clone)]
pub struct PageObservation {
    /// The final URL.
    pub final_url: String,
    /// Redirect hops taken to get there.
    pub hops: usize,
    /// The extracted facts.
    pub facts: FooterFacts,
    /// Whether the facts are those of the page rendered in a browser (docs/rulebook.md §6.12).
    pub render: Render,
    /// Where the browser showed the numbers (ICP-PLACEMENT), or why it was not measured.
    pub placement: crate::Placement,
}

/// How a page's facts were read: from the HTML as served, or after a render.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Render {
    /// From the HTML as the server sent it.
    #[default]
    Static,
    /// From the DOM after the page's scripts ran; the requests the audit refused (private
    /// addresses) are listed.
    Rendered {
        /// `URL (reason)` of each refused request.
        blocked: Vec<String>,
        /// The gate the browser passed to reach the page (`--render`, docs/rulebook.md
        /// §6.14): what the server first answered, described ("a challenge of Alibaba Cloud
        /// WAF (marker acw-sc-v2)").
        passed: Option<beian_types::Said>,
    },
    /// The page needed a render and it failed: the facts are the static ones.
    Failed(String),
}

/// What one probe of a host (https or http) showed the site rules: the URLs it requested,
/// where it ended, how it failed and its certificate check. The rules' own view of a probe,
/// so that a change of the `fetches` columns does not reach the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeObservation {
    /// The probe's scheme.
    pub scheme: Scheme,
    /// The host probed.
    pub host: String,
    /// The URL first requested.
    pub url: String,
    /// The URL of every redirect hop, in order (HTTP 3xx and meta refresh).
    pub hops: Vec<String>,
    /// The URL of the final response, if one came.
    pub final_url: Option<String>,
    /// Why the probe failed, if it did.
    pub error_class: Option<ErrorClass>,
    /// Whether the certificate verified; `None` without a completed TLS handshake.
    pub cert_valid: Option<bool>,
    /// Why the certificate did not verify.
    pub cert_error: Option<String>,
}

/// What DNS answered for a host: its addresses after the CNAME chain, and the chain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DnsObservation {
    /// A and AAAA addresses.
    pub addrs: Vec<std::net::IpAddr>,
    /// CNAME targets in chain order.
    pub cnames: Vec<String>,
    /// Who stands in front (a CDN or WAF named by its CNAME suffix or address range), and
    /// how it was named ("Alibaba Cloud CDN (cdn, CNAME x.w.kunlunsl.com)").
    pub edge: Option<(beian_types::Vendor, String)>,
}

/// What probing one host produced.
#[derive(Debug, Clone)]
pub struct HostObservation {
    /// Apex or www.
    pub role: HostRole,
    /// The host name.
    pub host: String,
    /// The page, when the host reached a 2xx HTML page over https or http.
    pub page: Option<PageObservation>,
    /// Why there is no page (DNS, connect, status …), when there is none.
    pub failure: Option<String>,
    /// The host's probes (https and http): redirects, errors, certificates.
    pub probes: Vec<ProbeObservation>,
    /// What DNS answered; `None` when the lookup failed.
    pub dns: Option<DnsObservation>,
    /// What a probe met instead of the site's page (a challenge, a block, a parked page, the
    /// provider's interception page, an origin error), https first; `None` when every
    /// response was the site's own.
    pub front: Option<Classified>,
}
