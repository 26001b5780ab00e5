//! The fleet's network profile (issue 32) as a client sees it: its answers come no sooner
//! than the profile's draws say. Only lower bounds are checked: a loaded machine is slower,
//! never faster.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use beian_fleet::{Behaviour, Fleet, FleetConfig, Latency};
use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn fleet(latency: Option<Latency>) -> Fleet {
    Fleet::start(FleetConfig {
        domains: 4,
        seed: 3,
        behaviours: vec![Behaviour::Compliant],
        latency,
        ..FleetConfig::default()
    })
    .await
    .unwrap()
}

/// Seconds from connecting to a site's web server over plain HTTP to its response's last
/// byte, and the response.
async fn get(fleet: &Fleet, host: &str, ip: std::net::IpAddr) -> (Duration, String) {
    let t = Instant::now();
    let mut s = tokio::net::TcpStream::connect((ip, fleet.http_port))
        .await
        .unwrap();
    let req = format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut body = Vec::new();
    s.read_to_end(&mut body).await.unwrap();
    (t.elapsed(), String::from_utf8_lossy(&body).into_owned())
}

async fn ask(fleet: &Fleet, name: &str) -> (Duration, Message) {
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut m = Message::new(7, MessageType::Query, OpCode::Query);
    m.add_query(Query::query(
        Name::from_ascii(format!("{name}.")).unwrap(),
        RecordType::A,
    ));
    let t = Instant::now();
    sock.send_to(&m.to_vec().unwrap(), fleet.dns_addr)
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let (n, _) = sock.recv_from(&mut buf).await.unwrap();
    (t.elapsed(), Message::from_vec(&buf[..n]).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_wait_the_profiles_round_trips_and_dns_delays() {
    let latency = Latency::profile("overseas,loss=0", 3).unwrap();
    let fleet = fleet(Some(latency.clone())).await;
    for site in &fleet.sites {
        let ip = fleet.addr_of(site);
        // Plain HTTP: the handshake and the exchange (two round trips), and the server's time
        // to its first byte; `www.` is the same server.
        let floor = latency.rtt(&site.domain) * 2 + latency.first_byte(&site.domain);
        for host in [site.domain.clone(), format!("www.{}", site.domain)] {
            let (took, response) = get(&fleet, &host, ip).await;
            assert!(response.starts_with("HTTP/1.1 "), "{host}: {response}");
            assert!(took >= floor, "{host}: {took:?} before {floor:?}");
        }
        let (took, answer) = ask(&fleet, &site.domain).await;
        assert_eq!(answer.answers.len(), 1, "{}", site.domain);
        let floor = latency.dns_delay(&site.domain);
        assert!(took >= floor, "{}: {took:?} before {floor:?}", site.domain);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answers_do_not_hold_up_the_others() {
    // One DNS socket answers every name: a query whose answer waits long must not delay the
    // answers after it. Two names, the slower asked first.
    let latency = Latency::profile("overseas,loss=0", 3).unwrap();
    let fleet = fleet(Some(latency.clone())).await;
    let mut names: Vec<String> = fleet.sites.iter().map(|s| s.domain.clone()).collect();
    names.sort_by_key(|n| std::cmp::Reverse(latency.dns_delay(n)));
    let (slow, fast) = (names[0].clone(), names[names.len() - 1].clone());
    let gap = latency.dns_delay(&slow) - latency.dns_delay(&fast);
    // The seed draws 220 ms between them: more than a loaded machine's scheduling moves.
    assert!(gap > Duration::from_millis(200), "draws too close: {gap:?}");
    let t = Instant::now();
    let (first, second) = tokio::join!(ask(&fleet, &slow), async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        ask(&fleet, &fast).await
    });
    assert_eq!(first.1.answers.len(), 1);
    assert_eq!(second.1.answers.len(), 1);
    // The fast answer came first: its own wait, not the slow one's (which is still owed).
    assert!(t.elapsed() >= latency.dns_delay(&slow));
    assert!(second.0 < first.0, "{:?} vs {:?}", second.0, first.0);
}
