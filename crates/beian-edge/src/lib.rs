//! Who stands in front of a host: the CDN, WAF or cloud its CNAME chain or its addresses
//! belong to (issue 28). Pure: a host's resolved addresses and CNAME targets in, the provider
//! and what named it out.
//!
//! Two dated data files under `datasets/edge/` (README there: sources, licence, refresh with
//! `make edge-data`): the project's own table of CNAME suffixes the Chinese providers assign
//! (`suffixes.csv`, each row with its source), tried first, then a snapshot of
//! projectdiscovery/cdncheck's data (MIT; its `cdn` and `waf` address ranges and its
//! `common` CNAME suffixes). A suffix matches on a label boundary (`x.w.kunlunsl.com` ends with
//! `.w.kunlunsl.com`), not only on the registrable domain.
#![deny(missing_docs)]

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::OnceLock;

use beian_types::Vendor;
use ipnet::IpNet;

/// The project's CNAME suffix table.
const SUFFIXES: &str = include_str!("../../../datasets/edge/suffixes.csv");
/// The cdncheck snapshot (its `cdn`, `waf` and `common` parts).
const CDNCHECK: &str = include_str!("../../../datasets/edge/cdncheck.json");

/// What the provider does in front of the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// A content delivery network.
    Cdn,
    /// A web application firewall or protection service.
    Waf,
}

impl Category {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Cdn => "cdn",
            Category::Waf => "waf",
        }
    }
}

/// How the provider was recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A CNAME target under one of its suffixes.
    Cname {
        /// The CNAME target.
        target: String,
        /// The suffix it matched.
        suffix: &'static str,
    },
    /// An address in one of its ranges.
    Address {
        /// The address.
        ip: IpAddr,
        /// The range.
        net: IpNet,
    },
}

/// The provider in front of a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// Who (`fetches.edge_provider` is its id).
    pub provider: Vendor,
    /// What it does.
    pub category: Category,
    /// What named it.
    pub via: Via,
}

impl std::fmt::Display for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.via {
            Via::Cname { target, .. } => write!(
                f,
                "{} ({}, CNAME {target})",
                self.provider.name,
                self.category.as_str()
            ),
            Via::Address { ip, net } => write!(
                f,
                "{} ({}, {ip} in {net})",
                self.provider.name,
                self.category.as_str()
            ),
        }
    }
}

struct Suffix {
    suffix: &'static str,
    provider: Vendor,
    category: Category,
}

/// The ranges of one prefix length: the network's address bits → its provider.
type Ranges<T> = (u8, HashMap<T, (Vendor, Category)>);

/// The tables, parsed once.
struct Data {
    suffixes: Vec<Suffix>,
    /// By prefix length, most specific first: a lookup per length.
    v4: Vec<Ranges<u32>>,
    v6: Vec<Ranges<u128>>,
}

fn leak(s: String) -> &'static str {
    // The tables live as long as the process: parsed once, never dropped.
    Box::leak(s.into_boxed_str())
}

fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let mut suffixes: Vec<Suffix> = SUFFIXES
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut cells = line.splitn(5, ',');
                let (id, name, category, suffix) =
                    (cells.next()?, cells.next()?, cells.next()?, cells.next()?);
                Some(Suffix {
                    suffix: leak(suffix.trim().to_ascii_lowercase()),
                    provider: Vendor {
                        id: leak(id.to_string()),
                        name: leak(name.to_string()),
                    },
                    category: if category == "waf" {
                        Category::Waf
                    } else {
                        Category::Cdn
                    },
                })
            })
            .collect();
        let json: serde_json::Value = serde_json::from_str(CDNCHECK).unwrap_or_default();
        let named = |name: &str| Vendor {
            id: leak(name.to_string()),
            name: leak(name.to_string()),
        };
        if let Some(common) = json.get("common").and_then(|c| c.as_object()) {
            for (name, list) in common {
                let provider = named(name);
                for s in list
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.as_str())
                {
                    let suffix = s.to_ascii_lowercase();
                    // The project's own row for a suffix wins.
                    if suffixes.iter().any(|x| x.suffix == suffix) {
                        continue;
                    }
                    suffixes.push(Suffix {
                        suffix: leak(suffix),
                        provider,
                        category: Category::Cdn,
                    });
                }
            }
        }
        // Longest suffix first: `cdn.dnsv1.com` before `dnsv1.com`.
        suffixes.sort_by_key(|s| std::cmp::Reverse(s.suffix.len()));
        let mut v4: HashMap<u8, HashMap<u32, (Vendor, Category)>> = HashMap::new();
        let mut v6: HashMap<u8, HashMap<u128, (Vendor, Category)>> = HashMap::new();
        for (key, category) in [("cdn", Category::Cdn), ("waf", Category::Waf)] {
            let Some(table) = json.get(key).and_then(|c| c.as_object()) else {
                continue;
            };
            for (name, list) in table {
                let provider = named(name);
                for net in list
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.as_str()?.parse::<IpNet>().ok())
                {
                    match net.trunc() {
                        IpNet::V4(n) => {
                            v4.entry(n.prefix_len())
                                .or_default()
                                .entry(u32::from(n.network()))
                                .or_insert((provider, category));
                        }
                        IpNet::V6(n) => {
                            v6.entry(n.prefix_len())
                                .or_default()
                                .entry(u128::from(n.network()))
                                .or_insert((provider, category));
                        }
                    }
                }
            }
        }
        // Most specific range first.
        let mut v4: Vec<_> = v4.into_iter().collect();
        v4.sort_by_key(|r| std::cmp::Reverse(r.0));
        let mut v6: Vec<_> = v6.into_iter().collect();
        v6.sort_by_key(|r| std::cmp::Reverse(r.0));
        Data { suffixes, v4, v6 }
    })
}

fn mask4(ip: u32, len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        ip & (u32::MAX << (32 - u32::from(len)))
    }
}

fn mask6(ip: u128, len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        ip & (u128::MAX << (128 - u32::from(len)))
    }
}

/// The provider whose range holds `ip`.
fn by_address(ip: IpAddr) -> Option<Edge> {
    let d = data();
    let (provider, category, net) = match ip {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            d.v4.iter().find_map(|(len, m)| {
                let n = mask4(bits, *len);
                m.get(&n).map(|(p, c)| {
                    let net = ipnet::Ipv4Net::new(n.into(), *len).map(IpNet::V4);
                    (*p, *c, net)
                })
            })?
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            d.v6.iter().find_map(|(len, m)| {
                let n = mask6(bits, *len);
                m.get(&n).map(|(p, c)| {
                    let net = ipnet::Ipv6Net::new(n.into(), *len).map(IpNet::V6);
                    (*p, *c, net)
                })
            })?
        }
    };
    Some(Edge {
        provider,
        category,
        via: Via::Address { ip, net: net.ok()? },
    })
}

/// The provider whose suffix a CNAME target ends with.
fn by_cname(target: &str) -> Option<Edge> {
    let t = target.trim_end_matches('.').to_ascii_lowercase();
    data()
        .suffixes
        .iter()
        .find(|s| {
            // On a label boundary: the suffix itself, or a dot before it.
            t.strip_suffix(s.suffix)
                .is_some_and(|head| head.is_empty() || head.ends_with('.'))
        })
        .map(|s| Edge {
            provider: s.provider,
            category: s.category,
            via: Via::Cname {
                target: target.trim_end_matches('.').to_string(),
                suffix: s.suffix,
            },
        })
}

/// The provider of a stable id (`fetches.edge_provider`), as the tables name it.
pub fn provider(id: &str) -> Option<Vendor> {
    let d = data();
    d.suffixes
        .iter()
        .map(|s| s.provider)
        .chain(d.v4.iter().flat_map(|(_, m)| m.values().map(|(p, _)| *p)))
        .chain(d.v6.iter().flat_map(|(_, m)| m.values().map(|(p, _)| *p)))
        .find(|p| p.id == id)
}

/// Who stands in front of a host that resolved through `cnames` to `addrs`: the first CNAME
/// target under a known suffix, else the first address in a known range.
pub fn edge_of(addrs: &[IpAddr], cnames: &[String]) -> Option<Edge> {
    cnames
        .iter()
        .find_map(|c| by_cname(c))
        .or_else(|| addrs.iter().find_map(|ip| by_address(*ip)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(e: Option<Edge>) -> Option<&'static str> {
        e.map(|e| e.provider.name)
    }

    #[test]
    fn cnames_of_chinese_providers() {
        let of = |c: &str| name(edge_of(&[], &[c.to_string()]));
        assert_eq!(of("www.a.cn.w.kunlunsl.com."), Some("Alibaba Cloud CDN"));
        assert_eq!(of("www.a.cn.cdn.dnsv1.com"), Some("Tencent Cloud CDN"));
        assert_eq!(of("www.a.cn.eo.dnse5.com"), Some("Tencent EdgeOne"));
        assert_eq!(of("abc.vip1.huaweicloudwaf.com"), Some("Huawei Cloud WAF"));
        assert_eq!(of("x.volcgslb.com"), Some("Volcengine CDN"));
        assert_eq!(of("www.a.cn.cdn.cloudflare.net"), Some("Cloudflare"));
        // cdncheck's suffixes for providers the project's table lacks.
        assert_eq!(of("www.a.cn.edgekey.net"), Some("akamai"));
        // A label boundary: a name that merely ends with the letters is nobody's.
        assert_eq!(of("notkunlunsl.com"), None);
        assert_eq!(of("www.a.cn"), None);
    }

    #[test]
    fn addresses_in_published_ranges() {
        // Cloudflare's 104.16.0.0/13 is in cdncheck's WAF ranges.
        let e = edge_of(&["104.16.1.1".parse().unwrap()], &[]).unwrap();
        assert_eq!(e.provider.name, "cloudflare");
        assert_eq!(e.category, Category::Waf);
        assert!(matches!(e.via, Via::Address { .. }));
        assert_eq!(edge_of(&["127.0.1.1".parse().unwrap()], &[]), None);
        assert_eq!(edge_of(&["::1".parse().unwrap()], &[]), None);
    }

    #[test]
    fn providers_by_id() {
        assert_eq!(
            provider("aliyun_cdn").map(|p| p.name),
            Some("Alibaba Cloud CDN")
        );
        assert_eq!(provider("cloudflare").map(|p| p.name), Some("Cloudflare"));
        assert_eq!(provider("nobody"), None);
    }

    #[test]
    fn the_tables_parse() {
        let d = data();
        assert!(d.suffixes.len() > 100, "{}", d.suffixes.len());
        let v4: usize = d.v4.iter().map(|(_, m)| m.len()).sum();
        assert!(v4 > 2000, "{v4}");
        // Every row of the project's table has five cells and a category.
        for line in SUFFIXES.lines().skip(1) {
            let cells: Vec<&str> = line.splitn(5, ',').collect();
            assert_eq!(cells.len(), 5, "{line}");
            assert!(matches!(cells[2], "cdn" | "waf"), "{line}");
        }
    }
}
