//! The access provider's networks (SITE-ACCESS): one CIDR per line of `--access-nets FILE`
//! (`#` comments), a `--access-net` flag, or a manifest `access_nets` cell listing several.
//! A bare address is the network of that one address.

use ipnet::IpNet;

/// Why a network does not parse.
const NOT_A_NETWORK: &str =
    "is not a network (a CIDR such as 203.0.113.0/24 or 2001:db8::/32, or one address)";

/// A network that does not parse, and where it was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {value:?} {reason}")]
pub struct NetsError {
    /// 1-based line of the file.
    pub line: usize,
    /// The text as written.
    pub value: String,
    /// What was expected.
    pub reason: &'static str,
}

/// One network: `203.0.113.0/24`, `2001:db8::/32`, or a bare address (`/32`, `/128`).
pub fn parse_net(s: &str) -> Result<IpNet, &'static str> {
    let s = s.trim();
    if let Ok(net) = s.parse::<IpNet>() {
        // Host bits written after the prefix (`10.1.2.3/8`) name the same network.
        return Ok(net.trunc());
    }
    s.parse::<std::net::IpAddr>()
        .map(IpNet::from)
        .map_err(|_| NOT_A_NETWORK)
}

/// The networks of a manifest cell: separated by spaces, `;`, `,` or `|`.
pub fn parse_net_list(cell: &str) -> Result<Vec<IpNet>, (String, &'static str)> {
    cell.split(|c: char| c.is_whitespace() || matches!(c, ';' | ',' | '|'))
        .filter(|t| !t.is_empty())
        .map(|t| parse_net(t).map_err(|reason| (t.to_string(), reason)))
        .collect()
}

/// The networks of a `--access-nets` file: one per line; blank lines and `#` comments (whole
/// lines or after the network) skipped. The first bad line is the error.
pub fn parse_nets_file(text: &str) -> Result<Vec<IpNet>, NetsError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let value = raw.split('#').next().unwrap_or_default().trim();
        if value.is_empty() {
            continue;
        }
        out.push(parse_net(value).map_err(|reason| NetsError {
            line: i + 1,
            value: value.to_string(),
            reason,
        })?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_addresses_and_host_bits() {
        assert_eq!(
            parse_net("203.0.113.0/24").unwrap().to_string(),
            "203.0.113.0/24"
        );
        assert_eq!(parse_net(" 10.1.2.3/8 ").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(
            parse_net("2001:db8::/32").unwrap().to_string(),
            "2001:db8::/32"
        );
        assert_eq!(parse_net("::1").unwrap().to_string(), "::1/128");
        assert_eq!(parse_net("127.0.1.4").unwrap().to_string(), "127.0.1.4/32");
        for bad in [
            "",
            "10.0.0.0/33",
            "10.0.0",
            "example.com",
            "10.0.0.0/",
            "2001:db8::/129",
        ] {
            assert_eq!(parse_net(bad), Err(NOT_A_NETWORK), "{bad:?}");
        }
    }

    #[test]
    fn a_cell_lists_several() {
        let nets = parse_net_list("10.0.0.0/8; 192.0.2.0/24,2001:db8::/32 | ::1").unwrap();
        assert_eq!(nets.len(), 4);
        assert_eq!(
            parse_net_list("10.0.0.0/8; 300.1.2.3/8"),
            Err(("300.1.2.3/8".to_string(), NOT_A_NETWORK))
        );
    }

    #[test]
    fn a_file_names_its_bad_line() {
        let text = "# our networks\n\n203.0.113.0/24  # Beijing\n2001:db8::/32\n";
        assert_eq!(parse_nets_file(text).unwrap().len(), 2);
        let e = parse_nets_file("203.0.113.0/24\n# ok\n203.0.113.0/40\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(
            e.to_string(),
            format!("line 3: \"203.0.113.0/40\" {NOT_A_NETWORK}")
        );
    }
}
