//! Which addresses a production crawl must not connect to: a crawl must not be steerable into
//! a private network by DNS answers or redirects.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fn v4_restricted(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || o[0] == 0
        || (o[0] == 100 && (64..128).contains(&o[1])) // shared address space
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (18..20).contains(&o[1])) // benchmarking
        || o[0] >= 240 // reserved
}

fn v6_restricted(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_restricted(v4);
    }
    let s = ip.segments();
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link local
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64 can reach private v4
}

/// True for private, loopback, link-local, multicast, documentation and reserved addresses.
pub fn is_restricted(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_restricted(v4),
        IpAddr::V6(v6) => v6_restricted(v6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        for s in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.0.1",
            "169.254.1.1",
            "::1",
            "fe80::1",
            "fc00::1",
            "::ffff:10.0.0.1",
            "100.64.0.1",
            "240.0.0.1",
        ] {
            assert!(is_restricted(s.parse().unwrap()), "{s}");
        }
        for s in ["1.1.1.1", "223.5.5.5", "2400:3200::1"] {
            assert!(!is_restricted(s.parse().unwrap()), "{s}");
        }
    }
}
