//! Stable error classes: every failure becomes a row with one of these codes, so failures can
//! be counted with `GROUP BY error_class` across runs. The strings are part of the output schema
//! (docs/SCHEMA.md): add new variants, never rename old ones.

use std::fmt;

/// Why an input line, a lookup or a probe did not produce a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The input line is not a usable domain name.
    InputInvalid,
    /// The input line repeats a domain listed earlier.
    InputDuplicate,
    /// DNS answered NXDOMAIN.
    DnsNxdomain,
    /// DNS answered SERVFAIL.
    DnsServfail,
    /// DNS answered REFUSED.
    DnsRefused,
    /// No DNS answer within the timeout.
    DnsTimeout,
    /// The name exists but has no A/AAAA records.
    DnsNoAddress,
    /// Any other resolver failure.
    DnsError,
    /// Every address is private/loopback/link-local and `--allow-private` is off.
    AddressBlocked,
    /// TCP connection refused.
    ConnectRefused,
    /// TCP connect did not finish within the timeout.
    ConnectTimeout,
    /// Other TCP connect failure (unreachable, reset).
    ConnectError,
    /// The TLS handshake failed (not a certificate problem: those are recorded as facts).
    TlsHandshake,
    /// The TLS handshake did not finish within the timeout.
    TlsTimeout,
    /// No response headers within the timeout.
    HttpTimeout,
    /// The server broke the HTTP protocol or closed the connection.
    HttpProtocol,
    /// The body did not arrive within the timeout.
    BodyTimeout,
    /// The body could not be decompressed.
    BodyDecode,
    /// A redirect chain revisited a URL.
    RedirectLoop,
    /// More redirects than the configured limit.
    RedirectLimit,
    /// A redirect to a scheme other than http/https, or an unparsable Location.
    RedirectInvalid,
    /// The probe as a whole took longer than its total budget.
    TotalTimeout,
    /// Site level: the hosts answered, but none with a 2xx HTML page (HTTP 5xx/4xx, not HTML).
    NoPage,
    /// A bug: a worker task failed. Reported, never silently dropped.
    Internal,
    /// Site level: the site was not reached while the audit's own network failed (its
    /// canaries did not answer either): not the site's fault, `unverified`.
    AuditNetwork,
}

impl ErrorClass {
    /// Every class, for documentation and tests.
    pub const ALL: &'static [ErrorClass] = &[
        ErrorClass::InputInvalid,
        ErrorClass::InputDuplicate,
        ErrorClass::DnsNxdomain,
        ErrorClass::DnsServfail,
        ErrorClass::DnsRefused,
        ErrorClass::DnsTimeout,
        ErrorClass::DnsNoAddress,
        ErrorClass::DnsError,
        ErrorClass::AddressBlocked,
        ErrorClass::ConnectRefused,
        ErrorClass::ConnectTimeout,
        ErrorClass::ConnectError,
        ErrorClass::TlsHandshake,
        ErrorClass::TlsTimeout,
        ErrorClass::HttpTimeout,
        ErrorClass::HttpProtocol,
        ErrorClass::BodyTimeout,
        ErrorClass::BodyDecode,
        ErrorClass::RedirectLoop,
        ErrorClass::RedirectLimit,
        ErrorClass::RedirectInvalid,
        ErrorClass::TotalTimeout,
        ErrorClass::NoPage,
        ErrorClass::Internal,
        ErrorClass::AuditNetwork,
    ];

    /// The stable snake_case code stored in Parquet.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::InputInvalid => "input_invalid",
            ErrorClass::InputDuplicate => "input_duplicate",
            ErrorClass::DnsNxdomain => "dns_nxdomain",
            ErrorClass::DnsServfail => "dns_servfail",
            ErrorClass::DnsRefused => "dns_refused",
            ErrorClass::DnsTimeout => "dns_timeout",
            ErrorClass::DnsNoAddress => "dns_no_address",
            ErrorClass::DnsError => "dns_error",
            ErrorClass::AddressBlocked => "address_blocked",
            ErrorClass::ConnectRefused => "connect_refused",
            ErrorClass::ConnectTimeout => "connect_timeout",
            ErrorClass::ConnectError => "connect_error",
            ErrorClass::TlsHandshake => "tls_handshake",
            ErrorClass::TlsTimeout => "tls_timeout",
            ErrorClass::HttpTimeout => "http_timeout",
            ErrorClass::HttpProtocol => "http_protocol",
            ErrorClass::BodyTimeout => "body_timeout",
            ErrorClass::BodyDecode => "body_decode",
            ErrorClass::RedirectLoop => "redirect_loop",
            ErrorClass::RedirectLimit => "redirect_limit",
            ErrorClass::RedirectInvalid => "redirect_invalid",
            ErrorClass::TotalTimeout => "total_timeout",
            ErrorClass::NoPage => "no_page",
            ErrorClass::Internal => "internal",
            ErrorClass::AuditNetwork => "audit_network",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorClass;

    /// The codes are a public interface: every one is documented in docs/SCHEMA.md.
    #[test]
    fn every_class_is_documented() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/SCHEMA.md");
        let doc = std::fs::read_to_string(path).expect("docs/SCHEMA.md");
        for c in ErrorClass::ALL {
            assert!(
                doc.contains(&format!("| `{}` |", c.as_str())),
                "{c} missing from SCHEMA.md"
            );
        }
    }
}
