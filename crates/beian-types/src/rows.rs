//! The rows of the three output tables (docs/SCHEMA.md). One [`SiteReport`] per input line
//! travels from the pipeline to the writer, so a site's rows are written together.

use crate::{ErrorClass, Finding, HostRole, Scheme};

/// Overall status of a domain (issue 4's categories; `input_error` for unusable lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SiteStatus {
    /// Every rule passed (or was n/a).
    Compliant,
    /// Every rule passed but for failing or warning findings an exception waives
    /// (`--waivers`; schema 2.10).
    CompliantWithWaivers,
    /// Worst verdict is warn.
    Warning,
    /// At least one rule failed.
    Violation,
    /// Reached, but the verdict needs a render or a person (numbers only in images/scripts).
    Unverified,
    /// Neither host produced a page.
    Unreachable,
    /// The input line was not audited (invalid or duplicate).
    InputError,
}

impl SiteStatus {
    /// Stable name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            SiteStatus::Compliant => "compliant",
            SiteStatus::CompliantWithWaivers => "compliant_with_waivers",
            SiteStatus::Warning => "warning",
            SiteStatus::Violation => "violation",
            SiteStatus::Unverified => "unverified",
            SiteStatus::Unreachable => "unreachable",
            SiteStatus::InputError => "input_error",
        }
    }

    /// Whether a report counts the site as compliant: nothing fails or warns, or what does is
    /// waived by an exception someone owns (`compliant_with_waivers`).
    pub fn is_compliant(self) -> bool {
        matches!(
            self,
            SiteStatus::Compliant | SiteStatus::CompliantWithWaivers
        )
    }

    /// Every status, in the order reports list them.
    pub const ALL: [SiteStatus; 7] = [
        SiteStatus::Compliant,
        SiteStatus::CompliantWithWaivers,
        SiteStatus::Warning,
        SiteStatus::Violation,
        SiteStatus::Unverified,
        SiteStatus::Unreachable,
        SiteStatus::InputError,
    ];

    /// The status named `name` ([`SiteStatus::as_str`]).
    pub fn from_name(name: &str) -> Option<SiteStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// What a site that shows no public-security number must do by its deadline (rulebook §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PsbDuty {
    /// File with the public-security platform (30 days after `opened_on`).
    File,
    /// Display the approved number (30 days after `psb_approved_on`).
    Display,
}

impl PsbDuty {
    /// Stable name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            PsbDuty::File => "file",
            PsbDuty::Display => "display",
        }
    }
}

/// The public-security deadline of a site that does not show its number yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PsbDue {
    /// The last day to do it.
    pub date: time::Date,
    /// What is due.
    pub duty: PsbDuty,
}

/// One row of `sites`: exactly one per input line.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteRow {
    /// 1-based line number in the input file.
    pub input_line: u64,
    /// The line as read (trimmed of the line ending).
    pub input: String,
    /// ASCII (punycode) domain, when the line parsed.
    pub domain: Option<String>,
    /// Unicode form of the domain, when the line parsed.
    pub domain_unicode: Option<String>,
    /// Overall status.
    pub status: SiteStatus,
    /// Rule ids with a `fail` verdict, sorted and unique.
    pub failing_rules: Vec<String>,
    /// Rule ids with a `warn` verdict, sorted and unique.
    pub warning_rules: Vec<String>,
    /// Rule ids whose failing or warning findings an exception waived (`--waivers`; schema
    /// 2.10): not counted in `status`, `failing_rules` or `warning_rules`.
    pub waived_rules: Vec<String>,
    /// Why the line was not audited or no host answered.
    pub error_class: Option<ErrorClass>,
    /// Human-readable detail for `error_class`.
    pub error_message: Option<String>,
    /// Canonical primary ICP number (apex page preferred).
    pub icp_number: Option<String>,
    /// Kind of that number.
    pub icp_kind: Option<String>,
    /// Canonical PSB number (apex page preferred).
    pub psb_number: Option<String>,
    /// When the site's audit finished, UTC microseconds since the epoch.
    pub audited_at_us: i64,
    /// Who must fix the site (manifest `owner`).
    pub owner: Option<String>,
    /// The filing province's short name (江苏): the manifest's `province`, else the shown
    /// number's prefix.
    pub province: Option<String>,
    /// Set when the site shows no public-security number and the manifest dates it: the
    /// deadline and what is due by then (schema 2.2).
    pub psb_due: Option<PsbDue>,
    /// What stood in front of a host that showed no page of its own (schema 2.7).
    pub front: Option<crate::Classified>,
    /// The CDN or WAF in front of the site's hosts, apex first (schema 2.7).
    pub edge_provider: Option<crate::Vendor>,
}

impl SiteRow {
    /// A row for an input line that could not be audited.
    pub fn input_error(
        input_line: u64,
        input: String,
        class: ErrorClass,
        message: String,
        at_us: i64,
    ) -> Self {
        SiteRow {
            input_line,
            input,
            domain: None,
            domain_unicode: None,
            status: SiteStatus::InputError,
            failing_rules: Vec::new(),
            warning_rules: Vec::new(),
            waived_rules: Vec::new(),
            error_class: Some(class),
            error_message: Some(message),
            icp_number: None,
            icp_kind: None,
            psb_number: None,
            audited_at_us: at_us,
            owner: None,
            province: None,
            psb_due: None,
            front: None,
            edge_provider: None,
        }
    }
}

/// One HTTP redirect hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// The URL requested.
    pub url: String,
    /// The status it answered with (a `<meta refresh>` hop: the page's own status, 2xx).
    pub status: u16,
    /// The `Location` (or refresh target) as written.
    pub location: String,
}

/// One row of `fetches`: one per host × scheme probe.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FetchRow {
    /// Input line of the site.
    pub input_line: u64,
    /// The site's ASCII domain.
    pub domain: String,
    /// The host probed.
    pub host: String,
    /// Apex or www (`None` only in `Default`).
    pub role: Option<HostRole>,
    /// https or http.
    pub scheme: Option<Scheme>,
    /// The first URL requested.
    pub url: String,
    /// The URL of the last response.
    pub final_url: Option<String>,
    /// The last response's status.
    pub status: Option<u16>,
    /// Failure class, when the probe did not complete.
    pub error_class: Option<ErrorClass>,
    /// Failure detail.
    pub error_message: Option<String>,
    /// Addresses DNS returned for the host.
    pub addresses: Vec<String>,
    /// CNAME chain DNS returned, in order.
    pub cname_chain: Vec<String>,
    /// For each of `addresses`, the access network it lies in (`None`: in none of them);
    /// `None` when the site was given no access networks (SITE-ACCESS).
    pub address_nets: Option<Vec<Option<String>>>,
    /// The socket address the last request was sent to.
    pub remote_addr: Option<String>,
    /// Redirect hops before the final response (HTTP 3xx and meta refresh).
    pub hops: Vec<Hop>,
    /// DNS time of the first host, microseconds.
    pub dns_us: Option<i64>,
    /// TCP connect time of the last request.
    pub connect_us: Option<i64>,
    /// TLS handshake time of the last request.
    pub tls_us: Option<i64>,
    /// Time from sending the last request to its response headers.
    pub ttfb_us: Option<i64>,
    /// Whole probe, all hops, without `wait_us`.
    pub total_us: Option<i64>,
    /// Waiting for a server address's permit or request slot (politeness), before the probe
    /// and between its hops.
    pub wait_us: Option<i64>,
    /// Requests the probe sent itself.
    pub requests: u32,
    /// The first URL of the site's probe whose response this probe reused instead of asking
    /// again (`None`: it reused none).
    pub reused_from: Option<String>,
    /// Protocol of the final response (`HTTP/1.1`).
    pub http_version: Option<String>,
    /// The page's footer facts are those of the page rendered in a browser (`--render`).
    pub rendered: bool,
    /// Time the render took (render slot waits not included); set when a render ran, also
    /// one that failed.
    pub render_ms: Option<i64>,
    /// Decoded body size of the final response.
    pub body_bytes: Option<u64>,
    /// The body was longer than the cap.
    pub body_truncated: bool,
    /// Content-Type of the final response.
    pub content_type: Option<String>,
    /// Content-Encoding of the final response.
    pub content_encoding: Option<String>,
    /// Encoding used to decode the page.
    pub charset: Option<String>,
    /// TLS protocol version of the last https connection.
    pub tls_version: Option<String>,
    /// Certificate verified (chain, name, dates) for the last https connection.
    pub cert_valid: Option<bool>,
    /// Why verification failed.
    pub cert_error: Option<String>,
    /// Canonical primary ICP number on the final page.
    pub icp_number: Option<String>,
    /// Canonical PSB number on the final page.
    pub psb_number: Option<String>,
    /// The final page's `<title>` (schema 2.9, docs/rulebook.md §6.15).
    pub page_title: Option<String>,
    /// The language of the final page's text (`zh`, `en`, …; schema 2.9).
    pub page_lang: Option<String>,
    /// The language the final page declares (`<html lang>`; schema 2.9).
    pub page_lang_declared: Option<String>,
    /// The interactive services the final page offers, `kind: what (marker)` (schema 2.9).
    pub interactive: Vec<String>,
    /// The commerce signals of the final page, `kind: what (marker)` (schema 2.9).
    pub commerce: Vec<String>,
    /// When the probe started, UTC microseconds.
    pub started_at_us: i64,
    /// What the final response was (docs/rulebook.md §6.14); `None` when there was none.
    pub page_class: Option<crate::Classified>,
    /// The CDN or WAF in front of the host, named by its CNAME or address (schema 2.7).
    pub edge_provider: Option<crate::Vendor>,
    /// The SHA-256 of the final response's body as read (hexadecimal), when the probe's
    /// exchanges went into the evidence (schema 2.10).
    pub page_sha256: Option<String>,
    /// The evidence part holding the final response's record (`evidence/part-00003.warc.gz`).
    pub warc_file: Option<String>,
    /// That record's `WARC-Record-ID`.
    pub warc_record_id: Option<String>,
    /// The offset of that record's gzip member in the part.
    pub warc_offset: Option<u64>,
    /// The screenshot of the final page (`--screenshots`), its path as written.
    pub screenshot: Option<String>,
    /// The SHA-256 of that PNG file (hexadecimal).
    pub screenshot_sha256: Option<String>,
}

/// One row of `findings`.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingRow {
    /// Input line of the site.
    pub input_line: u64,
    /// The site's ASCII domain.
    pub domain: String,
    /// The finding.
    pub finding: Finding,
    /// The id of the exception that waives it (`--waivers`; schema 2.10).
    pub waiver: Option<String>,
}

/// Everything the audit of one input line produced.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteReport {
    /// The `sites` row.
    pub site: SiteRow,
    /// The `fetches` rows.
    pub fetches: Vec<FetchRow>,
    /// The `findings` rows.
    pub findings: Vec<FindingRow>,
    /// What the browser did for the site that no row holds (run totals, `run.json`).
    pub browser: BrowserWork,
    /// The probes whose exchanges go into the evidence (`--evidence`).
    pub evidence: Vec<crate::Capture>,
}

/// What the browser did for one site beyond its rows: the memory its renders took and the
/// screenshots it was asked for (`--screenshots`), written or not and why.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BrowserWork {
    /// The most memory one render's browser held (PSS), bytes; 0 without a render.
    pub peak_memory: u64,
    /// Screenshots written.
    pub screenshots: u64,
    /// Screenshots that failed: each one's reason class (`timeout`, `memory`, `no_output`,
    /// `start`, `directory`) and message.
    pub screenshot_failures: Vec<(&'static str, String)>,
}
