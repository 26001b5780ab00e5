//! The resolver against the fleet's real DNS server: answers, CNAME chains and each failure
//! class.

#![expect(clippy::unwrap_used)] // Test set-up: a failure here is a failed test.

use std::time::{Duration, Instant};

use beian_fleet::{Behaviour, Fleet, FleetConfig};
use beian_resolve::{Resolver, ResolverBuilder};
use beian_types::ErrorClass;

async fn setup() -> (Fleet, Resolver) {
    let fleet = Fleet::start(FleetConfig {
        domains: 64,
        seed: 11,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let resolver = ResolverBuilder::default()
        .nameservers(vec![fleet.dns_addr])
        .timeout(Duration::from_millis(300))
        .attempts(1)
        .build()
        .unwrap();
    (fleet, resolver)
}

#[tokio::test]
async fn answers_and_cname_chains() {
    let (fleet, r) = setup().await;
    let site = fleet.site(Behaviour::Compliant).unwrap();
    let res = r.resolve(&site.domain).await.unwrap();
    assert_eq!(res.addrs, vec![fleet.addr_of(site)]);
    assert!(res.cnames.is_empty());

    let site = fleet.site(Behaviour::WwwCname).unwrap();
    let res = r.resolve(&format!("www.{}", site.domain)).await.unwrap();
    assert_eq!(res.cnames, vec![site.domain.clone()]);
    assert_eq!(res.addrs, vec![fleet.addr_of(site)]);
}

#[tokio::test]
async fn failures_are_classified() {
    let (fleet, r) = setup().await;
    let cases = [
        (Behaviour::Nxdomain, "", ErrorClass::DnsNxdomain),
        (Behaviour::MissingWww, "www.", ErrorClass::DnsNxdomain),
        (Behaviour::DnsServfail, "", ErrorClass::DnsServfail),
        (Behaviour::NoAddress, "www.", ErrorClass::DnsNoAddress),
        (Behaviour::DnsTimeout, "www.", ErrorClass::DnsTimeout),
    ];
    for (b, prefix, class) in cases {
        let host = format!("{prefix}{}", fleet.site(b).unwrap().domain);
        let started = Instant::now();
        let err = r.resolve(&host).await.unwrap_err();
        assert_eq!(err.class, class, "{host}: {err}");
        assert!(err.to_string().starts_with(&host), "{err}");
        // The hard deadline bounds even a server that never answers.
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{host} took {:?}",
            started.elapsed()
        );
    }
}
