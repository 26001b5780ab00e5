//! One domain value → a [`Target`]: URL/path stripping, IDNA (UTS #46, STD3), DNS length
//! limits, and the public-suffix list to decide which hosts to probe.

use beian_types::{HostRole, Manifest};

/// What to audit for one input line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// ASCII (punycode) domain, lower case, no trailing dot.
    pub domain: String,
    /// Unicode form for display.
    pub domain_unicode: String,
    /// Hosts to probe: apex and `www.` for a registrable domain, the host alone otherwise.
    pub hosts: Vec<(HostRole, String)>,
    /// What the CSV input's manifest columns say (empty for a plain list).
    pub manifest: Manifest,
}

/// Why a value is not a usable domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Nothing left after trimming.
    #[error("empty")]
    Empty,
    /// IDNA processing rejected it.
    #[error("invalid characters or IDNA error")]
    Idna,
    /// A label is empty (`a..b`).
    #[error("empty label")]
    EmptyLabel,
    /// A label exceeds 63 octets.
    #[error("label {0:?} is longer than 63 octets")]
    LabelTooLong(String),
    /// The name exceeds 253 octets.
    #[error("name is {0} octets long (max 253)")]
    TooLong(usize),
    /// A single label, an IP address or an all-numeric TLD.
    #[error("not a domain name (need a name under a public suffix, not an IP address)")]
    NotADomain,
    /// The name is itself a public suffix (`com.cn`).
    #[error("{0} is a public suffix, not a registrable domain")]
    PublicSuffix(String),
    /// A URL scheme other than http/https.
    #[error("unsupported URL scheme {0:?}")]
    Scheme(String),
}

/// Normalises one domain value (a bare name, or a URL whose host is taken).
pub fn normalise_domain(value: &str) -> Result<Target, DomainError> {
    let mut v = value.trim();
    if let Some((scheme, rest)) = v.split_once("://") {
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(DomainError::Scheme(scheme.to_string()));
        }
        v = rest;
    }
    let v = v.split(['/', '?', '#']).next().unwrap_or("");
    // Drop userinfo and port of a URL-ish value.
    let v = v.rsplit('@').next().unwrap_or(v);
    let v = match v.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => v,
    };
    let v = v.trim_end_matches('.');
    if v.is_empty() {
        return Err(DomainError::Empty);
    }
    if v.split('.').any(str::is_empty) {
        return Err(DomainError::EmptyLabel);
    }
    if v.parse::<std::net::IpAddr>().is_ok() || v.starts_with('[') {
        return Err(DomainError::NotADomain);
    }
    // Non-strict UTS #46 so that length errors get their own message; STD3 is checked below.
    let ascii = idna::domain_to_ascii(v).map_err(|_| DomainError::Idna)?;
    if let Some(l) = ascii.split('.').find(|l| l.len() > 63) {
        return Err(DomainError::LabelTooLong(l.to_string()));
    }
    let std3 = |l: &str| {
        l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if !ascii.split('.').all(std3) {
        return Err(DomainError::Idna);
    }
    if ascii.len() > 253 {
        return Err(DomainError::TooLong(ascii.len()));
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    if labels.len() < 2
        || labels
            .last()
            .is_some_and(|t| t.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(DomainError::NotADomain);
    }
    let registrable =
        psl::domain_str(&ascii).ok_or_else(|| DomainError::PublicSuffix(ascii.clone()))?;
    let (domain, hosts) = if registrable == ascii {
        (
            ascii.clone(),
            vec![
                (HostRole::Apex, ascii.clone()),
                (HostRole::Www, format!("www.{ascii}")),
            ],
        )
    } else if let Some(rest) = ascii
        .strip_prefix("www.")
        .filter(|rest| *rest == registrable)
    {
        (
            rest.to_string(),
            vec![
                (HostRole::Apex, rest.to_string()),
                (HostRole::Www, ascii.clone()),
            ],
        )
    } else {
        (ascii.clone(), vec![(HostRole::Apex, ascii.clone())])
    };
    let (domain_unicode, _) = idna::domain_to_unicode(&domain);
    Ok(Target {
        domain,
        domain_unicode,
        hosts,
        manifest: Manifest::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let t = normalise_domain("https://WWW.Example.CN:443/path").expect("ok");
        assert_eq!(t.domain, "example.cn");
        assert_eq!(t.hosts.len(), 2);
        let t = normalise_domain("shop.example.cn").expect("ok");
        assert_eq!(
            t.hosts,
            vec![(HostRole::Apex, "shop.example.cn".to_string())]
        );
        assert_eq!(
            normalise_domain("com.cn"),
            Err(DomainError::PublicSuffix("com.cn".into()))
        );
        assert_eq!(normalise_domain("127.0.0.1"), Err(DomainError::NotADomain));
        assert_eq!(normalise_domain("localhost"), Err(DomainError::NotADomain));
        assert_eq!(
            normalise_domain("ftp://example.cn"),
            Err(DomainError::Scheme("ftp".into()))
        );
        assert_eq!(normalise_domain("exa mple.cn"), Err(DomainError::Idna));
        assert_eq!(
            normalise_domain("例子.中国").map(|t| t.domain_unicode),
            Ok("例子.中国".into())
        );
    }
}
