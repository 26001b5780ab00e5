//! The fleet's authoritative DNS: answers from a map over UDP and TCP, messages encoded by
//! hickory-proto. (hickory-server's UDP path queues at most 32 answers and drops the rest,
//! which lost answers under the benchmarks' bursts: a fleet must not be lossy by accident.)

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

use crate::latency::Latency;

/// What a name answers.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    /// An address.
    Addr(IpAddr),
    /// Several addresses.
    Addrs(Vec<IpAddr>),
    /// A CNAME to another name of the zone.
    Cname(String),
    /// SERVFAIL.
    ServFail,
    /// No answer at all (the client times out).
    Silent,
    /// The name exists with no address records (NOERROR, empty answer).
    NoData,
}

/// The A or AAAA record of `ip` when it is of the type asked.
fn address_record(owner: &Name, ip: IpAddr, qtype: RecordType) -> Option<Record> {
    let rdata = match (ip, qtype) {
        (IpAddr::V4(v4), RecordType::A) => RData::A(A(v4)),
        (IpAddr::V6(v6), RecordType::AAAA) => RData::AAAA(AAAA(v6)),
        _ => return None,
    };
    Some(Record::from_rdata(owner.clone(), 60, rdata))
}

/// Name (lower case, no trailing dot) → answer; absent names are NXDOMAIN.
#[derive(Clone, Default)]
pub(crate) struct Zone {
    pub(crate) names: Arc<HashMap<String, Answer>>,
    /// Cleared to cut the resolver (tests of an outage of the audit's own network): queries
    /// are then read and never answered.
    pub(crate) answering: Arc<std::sync::atomic::AtomicBool>,
    /// Each answer waits its name's delay ([`Latency::dns_delay`]).
    pub(crate) latency: Option<Arc<Latency>>,
}

impl Zone {
    /// The answer for `name`: its own, else a wildcard's (`*.` + its parent), as RFC 4592
    /// has it for names that do not exist.
    fn answer(&self, name: &str) -> Option<&Answer> {
        self.names.get(name).or_else(|| {
            let (_, parent) = name.split_once('.')?;
            self.names.get(&format!("*.{parent}"))
        })
    }

    /// Answer records for `name`, following CNAMEs inside the zone (at most 8 deep).
    fn records(&self, name: &str, qtype: RecordType) -> Vec<Record> {
        let mut out = Vec::new();
        let mut cur = name.to_string();
        for _ in 0..8 {
            let Ok(owner) = Name::from_ascii(format!("{cur}.")) else {
                break;
            };
            match self.answer(&cur) {
                Some(Answer::Cname(target)) => {
                    let Ok(t) = Name::from_ascii(format!("{target}.")) else {
                        break;
                    };
                    out.push(Record::from_rdata(
                        owner,
                        60,
                        RData::CNAME(hickory_proto::rr::rdata::CNAME(t)),
                    ));
                    cur = target.clone();
                }
                Some(Answer::Addr(ip)) => {
                    out.extend(address_record(&owner, *ip, qtype));
                    break;
                }
                Some(Answer::Addrs(ips)) => {
                    out.extend(
                        ips.iter()
                            .filter_map(|ip| address_record(&owner, *ip, qtype)),
                    );
                    break;
                }
                _ => break,
            }
        }
        out
    }
}

/// How a query arrived: UDP answers longer than the client's payload size are truncated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Udp,
    Tcp,
}

impl Zone {
    /// The response to one query message and how long it waits ([`Latency::dns_delay`]), or
    /// `None` when the name is silent (or the bytes are not a query at all).
    fn reply(&self, query: &[u8], transport: Transport) -> Option<(Vec<u8>, Duration)> {
        let (bytes, name) = self.respond(query, transport)?;
        let wait = self
            .latency
            .as_ref()
            .map_or(Duration::ZERO, |l| l.dns_delay(&name));
        Some((bytes, wait))
    }

    /// The response to one query message and the name asked, or `None` when the name is
    /// silent (or the bytes are not a query at all).
    fn respond(&self, query: &[u8], transport: Transport) -> Option<(Vec<u8>, String)> {
        let req = Message::from_vec(query).ok()?;
        if req.metadata.message_type != MessageType::Query {
            return None;
        }
        let mut resp = Message::new(req.metadata.id, MessageType::Response, req.metadata.op_code);
        resp.metadata.recursion_desired = req.metadata.recursion_desired;
        resp.metadata.authoritative = true;
        let Some(q) = req.queries.first() else {
            resp.metadata.response_code = ResponseCode::FormErr;
            return Some((resp.to_vec().ok()?, String::new()));
        };
        resp.add_query(q.clone());
        let name = q
            .name()
            .to_ascii()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        match self.answer(&name) {
            None => resp.metadata.response_code = ResponseCode::NXDomain,
            Some(Answer::ServFail) => resp.metadata.response_code = ResponseCode::ServFail,
            // Drop the query: the resolver must time out and say so.
            Some(Answer::Silent) => return None,
            Some(_) => {
                resp.add_answers(self.records(&name, q.query_type()));
            }
        }
        let bytes = resp.to_vec().ok()?;
        if transport == Transport::Udp && bytes.len() > usize::from(req.max_payload()) {
            return Some((resp.truncate().to_vec().ok()?, name));
        }
        Some((bytes, name))
    }

    /// Answers UDP queries one after another (each answer takes microseconds; one that waits
    /// a latency's delay is sent by a task of its own); a client's closed port (an ICMP error
    /// on the next read) is skipped.
    pub(crate) async fn serve_udp(self, socket: UdpSocket) {
        // Room for a burst of queries while this task waits for a core (the demo runs the
        // fleet and the audit on one runtime). Best effort: capped by `net.core.rmem_max`.
        socket2::SockRef::from(&socket)
            .set_recv_buffer_size(4 << 20)
            .ok();
        let socket = Arc::new(socket);
        let mut buf = vec![0u8; usize::from(u16::MAX)];
        loop {
            let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                continue;
            };
            if !self.answering.load(std::sync::atomic::Ordering::Relaxed) {
                continue;
            }
            match self.reply(&buf[..n], Transport::Udp) {
                Some((resp, Duration::ZERO)) => {
                    socket.send_to(&resp, from).await.ok();
                }
                // A slow answer must not hold up the others.
                Some((resp, wait)) => {
                    let socket = socket.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(wait).await;
                        socket.send_to(&resp, from).await.ok();
                    });
                }
                None => {}
            }
        }
    }

    /// Answers DNS over TCP (two length bytes, then the message), any number of queries per
    /// connection; a connection idle for 5 s is closed.
    pub(crate) async fn serve_tcp(self, listener: TcpListener) {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let zone = self.clone();
            tokio::spawn(async move {
                zone.serve_connection(stream).await.ok();
            });
        }
    }

    async fn serve_connection(&self, mut stream: TcpStream) -> std::io::Result<()> {
        loop {
            let mut len = [0u8; 2];
            match tokio::time::timeout(TCP_IDLE, stream.read_exact(&mut len)).await {
                Ok(Ok(_)) => {}
                _ => return Ok(()),
            }
            let mut query = vec![0u8; usize::from(u16::from_be_bytes(len))];
            stream.read_exact(&mut query).await?;
            let Some((resp, wait)) = self.reply(&query, Transport::Tcp) else {
                continue;
            };
            tokio::time::sleep(wait).await;
            let Ok(n) = u16::try_from(resp.len()) else {
                continue;
            };
            let mut framed = Vec::with_capacity(resp.len() + 2);
            framed.extend_from_slice(&n.to_be_bytes());
            framed.extend_from_slice(&resp);
            stream.write_all(&framed).await?;
        }
    }
}

/// How long a DNS-over-TCP connection may sit idle.
const TCP_IDLE: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {

    use super::*;
    use hickory_proto::op::{OpCode, Query};

    fn zone() -> Zone {
        let names = [
            ("a.example", Answer::Addr(IpAddr::from([127, 0, 1, 1]))),
            ("www.a.example", Answer::Cname("a.example".into())),
            ("fail.example", Answer::ServFail),
            ("silent.example", Answer::Silent),
            ("empty.example", Answer::NoData),
        ];
        Zone {
            names: Arc::new(names.into_iter().map(|(n, a)| (n.to_string(), a)).collect()),
            answering: Arc::new(std::sync::atomic::AtomicBool::new(true)),
            latency: None,
        }
    }

    fn query(name: &str, rtype: RecordType) -> Vec<u8> {
        let mut m = Message::new(42, MessageType::Query, OpCode::Query);
        m.add_query(Query::query(Name::from_ascii(name).unwrap(), rtype));
        m.to_vec().unwrap()
    }

    fn ask(zone: &Zone, name: &str, rtype: RecordType) -> Option<Message> {
        zone.respond(&query(name, rtype), Transport::Udp)
            .map(|(b, _)| Message::from_vec(&b).unwrap())
    }

    #[test]
    fn answers_follow_the_zone() {
        let z = zone();
        let m = ask(&z, "WWW.a.example.", RecordType::A).unwrap();
        assert_eq!(m.metadata.id, 42);
        assert_eq!(m.metadata.message_type, MessageType::Response);
        assert_eq!(m.answers.len(), 2, "CNAME then A");
        assert!(matches!(m.answers[1].data, RData::A(_)));
        let m = ask(&z, "a.example.", RecordType::AAAA).unwrap();
        assert!(m.answers.is_empty());
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        let code = |n: &str| ask(&z, n, RecordType::A).unwrap().metadata.response_code;
        assert_eq!(code("nope.example."), ResponseCode::NXDomain);
        assert_eq!(code("fail.example."), ResponseCode::ServFail);
        assert_eq!(code("empty.example."), ResponseCode::NoError);
        assert!(ask(&z, "silent.example.", RecordType::A).is_none());
        // Not a query: no answer.
        assert!(z.respond(&[1, 2, 3], Transport::Udp).is_none());
    }

    #[tokio::test]
    async fn tcp_answers_framed_queries_on_one_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(zone().serve_tcp(listener));
        let mut s = TcpStream::connect(addr).await.unwrap();
        for _ in 0..2 {
            let q = query("a.example.", RecordType::A);
            let len = u16::try_from(q.len()).unwrap().to_be_bytes();
            s.write_all(&[&len[..], &q].concat()).await.unwrap();
            let mut len = [0u8; 2];
            s.read_exact(&mut len).await.unwrap();
            let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
            s.read_exact(&mut buf).await.unwrap();
            let m = Message::from_vec(&buf).unwrap();
            assert_eq!(m.answers.len(), 1);
        }
        server.abort();
    }
}
