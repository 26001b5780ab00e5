//! The hosts of the two filing systems a footer links to (docs/rulebook.md §3): the MIIT
//! ICP filing system and the public-security (MPS) filing platform, current and legacy.

/// The current MIIT filing host (§3.1).
pub const MIIT_HOST: &str = "beian.miit.gov.cn";

/// Legacy MIIT hosts: still answered, but a link to them warns (§3.1).
pub const MIIT_LEGACY_HOSTS: &[&str] = &[
    "www.beian.miit.gov.cn",
    "www.miitbeian.gov.cn",
    "miitbeian.gov.cn",
    "www.miibeian.gov.cn",
    "miibeian.gov.cn",
];

/// The current public-security filing platform host (§3.2).
pub const MPS_HOST: &str = "beian.mps.gov.cn";

/// Legacy public-security platform hosts (§3.2).
pub const MPS_LEGACY_HOSTS: &[&str] = &["www.beian.gov.cn", "beian.gov.cn"];

/// Whether a host is an MIIT filing host, current or legacy.
pub fn is_miit_host(host: &str) -> bool {
    host == MIIT_HOST || MIIT_LEGACY_HOSTS.contains(&host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn miit_hosts() {
        assert!(is_miit_host("beian.miit.gov.cn"));
        assert!(is_miit_host("miitbeian.gov.cn"));
        assert!(!is_miit_host("miit.gov.cn"));
        assert!(!is_miit_host("beian.mps.gov.cn"));
    }
}
