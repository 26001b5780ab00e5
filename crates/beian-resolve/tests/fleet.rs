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
    // A timeout no answer takes on a loaded machine: only the server that never answers
    // reaches it.
    let resolver = ResolverBuilder::default()
        .nameservers(vec![fleet.dns_addr])
        .timeout(Duration::from_secs(5))
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
        // The hard deadline (5 s) bounds even a server that never answers: the lookup ends
        // (the bound is far above the deadline, so the machine's speed does not decide).
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{host} took {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn many_lookups_at_once_each_get_their_own_answer() {
    let fleet = Fleet::start(FleetConfig {
        domains: 1000,
        seed: 12,
        behaviours: vec![Behaviour::Compliant, Behaviour::WwwCname],
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let r = ResolverBuilder::default()
        .nameservers(vec![fleet.dns_addr])
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    // Two thousand queries share the resolver's few sockets: each must come back with the
    // answer to its own question.
    let lookups = fleet.sites.iter().flat_map(|s| {
        let r = r.clone();
        [s.domain.clone(), format!("www.{}", s.domain)]
            .into_iter()
            .map(move |h| {
                let r = r.clone();
                async move { (h.clone(), r.resolve(&h).await) }
            })
    });
    let results = futures_util::future::join_all(lookups).await;
    assert_eq!(results.len(), 2000);
    for (host, res) in results {
        let domain = host.trim_start_matches("www.");
        let site = fleet.sites.iter().find(|s| s.domain == domain).unwrap();
        assert_eq!(res.unwrap().addrs, vec![fleet.addr_of(site)], "{host}");
    }
}

#[tokio::test]
async fn a_closed_port_fails_fast() {
    // A port nobody listens on: the kernel's "port unreachable" ends the lookup long before
    // the timeout.
    let probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let closed = probe.local_addr().unwrap();
    drop(probe);
    let r = resolver_of(closed);
    let started = Instant::now();
    let err = r.resolve("example.com").await.unwrap_err();
    assert_eq!(err.class, ErrorClass::DnsError, "{err}");
    assert!(started.elapsed() < Duration::from_secs(60), "{err}");
}

/// The answer to the query in `query`: `addrs` A records 127.0.3.0, .1, … for an A question,
/// none for any other; flagged truncated (and empty) if `truncated`.
fn answer_with_addrs(query: &[u8], addrs: u8, truncated: bool) -> Vec<u8> {
    use hickory_proto::op::{Message, MessageType, OpCode};
    use hickory_proto::rr::rdata::A;
    use hickory_proto::rr::{RData, Record, RecordType};

    let q = Message::from_vec(query).unwrap();
    let mut m = Message::new(q.metadata.id, MessageType::Response, OpCode::Query);
    m.metadata.truncation = truncated;
    let question = q.queries[0].clone();
    if !truncated && question.query_type() == RecordType::A {
        for i in 0..addrs {
            m.add_answer(Record::from_rdata(
                question.name().clone(),
                60,
                RData::A(A::new(127, 0, 3, i)),
            ));
        }
    }
    m.add_query(question);
    m.to_vec().unwrap()
}

/// A resolver asking only `server`, one attempt of 5 s.
/// A resolver whose timeout (120 s) no test reaches: a lookup that ends within half of it
/// ended for another reason than the timeout, however loaded the machine.
fn resolver_of(server: std::net::SocketAddr) -> Resolver {
    ResolverBuilder::default()
        .nameservers(vec![server])
        .timeout(Duration::from_secs(120))
        .attempts(1)
        .build()
        .unwrap()
}

/// A nameserver whose UDP answers are all truncated and whose TCP answers hold 40 addresses.
async fn truncating_server() -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    // A UDP and a TCP socket on one port: the port the system picks for UDP may be taken for
    // TCP by another test's server (seen in a CI run), so pick again (as the fleet does).
    let mut attempt = 0;
    let (udp, tcp, addr) = loop {
        attempt += 1;
        let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = udp.local_addr().unwrap();
        match tokio::net::TcpListener::bind(addr).await {
            Ok(tcp) => break (udp, tcp, addr),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && attempt < 20 => {}
            Err(e) => panic!("binding TCP {addr}: {e}"),
        }
    };
    tokio::spawn(async move {
        let mut buf = vec![0u8; 2048];
        while let Ok((n, from)) = udp.recv_from(&mut buf).await {
            udp.send_to(&answer_with_addrs(&buf[..n], 40, true), from)
                .await
                .unwrap();
        }
    });
    tokio::spawn(async move {
        while let Ok((mut s, _)) = tcp.accept().await {
            tokio::spawn(async move {
                let mut len = [0u8; 2];
                s.read_exact(&mut len).await.unwrap();
                let mut q = vec![0u8; usize::from(u16::from_be_bytes(len))];
                s.read_exact(&mut q).await.unwrap();
                let a = answer_with_addrs(&q, 40, false);
                let framed = [&u16::try_from(a.len()).unwrap().to_be_bytes()[..], &a].concat();
                s.write_all(&framed).await.unwrap();
            });
        }
    });
    addr
}

#[tokio::test]
async fn truncated_answers_are_asked_again_over_tcp() {
    let r = resolver_of(truncating_server().await);
    let res = r.resolve("big.example").await.unwrap();
    assert_eq!(res.addrs.len(), 40);
    assert_eq!(res.addrs[39], std::net::IpAddr::from([127, 0, 3, 39]));
}

#[tokio::test]
async fn a_lost_datagram_costs_a_retransmission_not_a_timeout() {
    // A nameserver that ignores the first copy of every query, as a server whose socket
    // buffer overflowed in a burst would.
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let server = udp.local_addr().unwrap();
    tokio::spawn(async move {
        let mut seen = std::collections::HashSet::new();
        let mut buf = vec![0u8; 2048];
        while let Ok((n, from)) = udp.recv_from(&mut buf).await {
            // The message id: the first two bytes.
            if seen.insert([buf[0], buf[1]]) {
                continue;
            }
            udp.send_to(&answer_with_addrs(&buf[..n], 1, false), from)
                .await
                .unwrap();
        }
    });
    let r = resolver_of(server);
    let started = Instant::now();
    let res = r.resolve("lossy.example").await.unwrap();
    assert_eq!(res.addrs, vec![std::net::IpAddr::from([127, 0, 3, 0])]);
    // A retransmission (after 250 ms), not the timeout (120 s).
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}
