//! The DNS wire format, without I/O: a query for one name and type, and what a response says
//! about it (addresses at the end of the CNAME chain, the chain, the TTL, the response code).
//! Encoding and decoding are hickory-proto's.

use std::net::IpAddr;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};

/// The UDP payload we advertise (EDNS0): the DNS flag day 2020 value, below common path MTUs.
pub(crate) const EDNS_PAYLOAD: u16 = 1232;

/// Longest CNAME chain followed inside one answer.
const MAX_CHAIN: usize = 16;

/// A recursive query for `name`/`rtype` with message id `id`.
pub(crate) fn encode_query(id: u16, name: &Name, rtype: RecordType) -> Option<Vec<u8>> {
    let mut msg = Message::new(id, MessageType::Query, OpCode::Query);
    msg.metadata.recursion_desired = true;
    msg.add_query(Query::query(name.clone(), rtype));
    let mut edns = Edns::new();
    edns.set_max_payload(EDNS_PAYLOAD);
    msg.set_edns(edns);
    msg.to_vec().ok()
}

/// What one response says about one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    /// The response code (NOERROR, NXDOMAIN, SERVFAIL…).
    pub(crate) code: ResponseCode,
    /// The server truncated the answer (retry over TCP).
    pub(crate) truncated: bool,
    /// Addresses of the chain's last name, in answer order.
    pub(crate) addrs: Vec<IpAddr>,
    /// CNAME targets from the query name on (without the trailing dot).
    pub(crate) cnames: Vec<String>,
    /// Smallest TTL of the records used, in seconds (0 without records).
    pub(crate) ttl: u32,
}

/// Why a datagram is not the answer to our query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mismatch {
    /// Not a DNS message.
    Malformed(String),
    /// A query, or an answer to another id or question.
    NotOurs,
}

/// Reads `bytes` as the response to query `id` for `name`/`rtype`.
pub(crate) fn decode_answer(
    bytes: &[u8],
    id: u16,
    name: &Name,
    rtype: RecordType,
) -> Result<Answer, Mismatch> {
    let msg = Message::from_vec(bytes).map_err(|e| Mismatch::Malformed(e.to_string()))?;
    let ours = msg.metadata.id == id
        && msg.metadata.message_type == MessageType::Response
        && msg
            .queries
            .first()
            .is_some_and(|q| q.query_type() == rtype && q.name() == name);
    if !ours {
        return Err(Mismatch::NotOurs);
    }
    let mut ttl = u32::MAX;
    let mut owner = name.clone();
    let mut cnames = Vec::new();
    // Follow the chain from the query name: each step must start where the last ended, and a
    // name seen before ends it (a loop answers nothing).
    for _ in 0..MAX_CHAIN {
        let next = msg.answers.iter().find_map(|r| match &r.data {
            RData::CNAME(c) if r.name == owner => Some((c.0.clone(), r.ttl)),
            _ => None,
        });
        let Some((target, t)) = next else { break };
        if target == *name || cnames.iter().any(|(n, _)| *n == target) {
            break;
        }
        ttl = ttl.min(t);
        cnames.push((target.clone(), t));
        owner = target;
    }
    let mut addrs = Vec::new();
    for r in msg.answers.iter().filter(|r| r.name == owner) {
        let ip = match &r.data {
            RData::A(a) if rtype == RecordType::A => IpAddr::V4(a.0),
            RData::AAAA(a) if rtype == RecordType::AAAA => IpAddr::V6(a.0),
            _ => continue,
        };
        ttl = ttl.min(r.ttl);
        addrs.push(ip);
    }
    Ok(Answer {
        code: msg.metadata.response_code,
        truncated: msg.metadata.truncation,
        addrs,
        cnames: cnames
            .into_iter()
            .map(|(n, _)| n.to_ascii().trim_end_matches('.').to_string())
            .collect(),
        ttl: if ttl == u32::MAX { 0 } else { ttl },
    })
}

#[cfg(test)]
mod tests {

    use super::*;
    use hickory_proto::rr::Record;
    use hickory_proto::rr::rdata::{A, AAAA, CNAME};
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn name(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    fn response(id: u16, q: &str, rtype: RecordType, records: Vec<Record>) -> Vec<u8> {
        let mut m = Message::new(id, MessageType::Response, OpCode::Query);
        m.add_query(Query::query(name(q), rtype));
        m.add_answers(records);
        m.to_vec().unwrap()
    }

    fn cname(from: &str, to: &str, ttl: u32) -> Record {
        Record::from_rdata(name(from), ttl, RData::CNAME(CNAME(name(to))))
    }

    fn a(owner: &str, ip: [u8; 4], ttl: u32) -> Record {
        Record::from_rdata(name(owner), ttl, RData::A(A(Ipv4Addr::from(ip))))
    }

    #[test]
    fn query_round_trips() {
        let bytes = encode_query(7, &name("Example.COM."), RecordType::AAAA).unwrap();
        let m = Message::from_vec(&bytes).unwrap();
        assert_eq!(m.metadata.id, 7);
        assert!(m.metadata.recursion_desired);
        assert_eq!(m.queries[0].query_type(), RecordType::AAAA);
        assert_eq!(m.max_payload(), EDNS_PAYLOAD);
    }

    #[test]
    fn addresses_at_the_end_of_the_chain() {
        let bytes = response(
            9,
            "www.example.com.",
            RecordType::A,
            vec![
                cname("www.example.com.", "cdn.example.net.", 300),
                cname("cdn.example.net.", "edge.example.org.", 60),
                a("edge.example.org.", [192, 0, 2, 1], 120),
                a("edge.example.org.", [192, 0, 2, 2], 120),
                // An address for a name off the chain is not ours to use.
                a("other.example.", [192, 0, 2, 9], 5),
            ],
        );
        // Names compare without regard to case, as DNS does.
        let ans = decode_answer(&bytes, 9, &name("WWW.example.com."), RecordType::A).unwrap();
        assert_eq!(ans.cnames, vec!["cdn.example.net", "edge.example.org"]);
        assert_eq!(
            ans.addrs,
            vec![
                IpAddr::from(Ipv4Addr::new(192, 0, 2, 1)),
                IpAddr::from(Ipv4Addr::new(192, 0, 2, 2))
            ]
        );
        assert_eq!(ans.ttl, 60);
        assert_eq!(ans.code, ResponseCode::NoError);
    }

    #[test]
    fn a_cname_loop_answers_nothing() {
        let bytes = response(
            1,
            "a.example.",
            RecordType::A,
            vec![
                cname("a.example.", "b.example.", 60),
                cname("b.example.", "a.example.", 60),
                cname("a.example.", "b.example.", 60),
            ],
        );
        let ans = decode_answer(&bytes, 1, &name("a.example."), RecordType::A).unwrap();
        assert!(ans.addrs.is_empty());
        assert_eq!(ans.cnames, vec!["b.example"]);
    }

    #[test]
    fn only_the_queried_type_counts() {
        let v6 = Record::from_rdata(
            name("h.example."),
            60,
            RData::AAAA(AAAA(Ipv6Addr::LOCALHOST)),
        );
        let bytes = response(3, "h.example.", RecordType::A, vec![v6.clone()]);
        let ans = decode_answer(&bytes, 3, &name("h.example."), RecordType::A).unwrap();
        assert!(ans.addrs.is_empty());
        let bytes = response(3, "h.example.", RecordType::AAAA, vec![v6]);
        let ans = decode_answer(&bytes, 3, &name("h.example."), RecordType::AAAA).unwrap();
        assert_eq!(ans.addrs, vec![IpAddr::from(Ipv6Addr::LOCALHOST)]);
    }

    #[test]
    fn answers_to_other_questions_are_refused() {
        let bytes = response(5, "h.example.", RecordType::A, vec![]);
        let q = name("h.example.");
        assert_eq!(
            decode_answer(&bytes, 6, &q, RecordType::A),
            Err(Mismatch::NotOurs)
        );
        assert_eq!(
            decode_answer(&bytes, 5, &q, RecordType::AAAA),
            Err(Mismatch::NotOurs)
        );
        assert_eq!(
            decode_answer(&bytes, 5, &name("x.example."), RecordType::A),
            Err(Mismatch::NotOurs)
        );
        // Our own query echoed back is not an answer.
        let query = encode_query(5, &q, RecordType::A).unwrap();
        assert_eq!(
            decode_answer(&query, 5, &q, RecordType::A),
            Err(Mismatch::NotOurs)
        );
        assert!(matches!(
            decode_answer(&[0, 5, 1], 5, &q, RecordType::A),
            Err(Mismatch::Malformed(_))
        ));
    }

    #[test]
    fn codes_and_truncation_are_reported() {
        let mut m = Message::new(2, MessageType::Response, OpCode::Query);
        m.add_query(Query::query(name("n.example."), RecordType::A));
        m.metadata.response_code = ResponseCode::NXDomain;
        m.metadata.truncation = true;
        let ans =
            decode_answer(&m.to_vec().unwrap(), 2, &name("n.example."), RecordType::A).unwrap();
        assert_eq!(ans.code, ResponseCode::NXDomain);
        assert!(ans.truncated);
        assert_eq!(ans.ttl, 0);
    }

    proptest::proptest! {
        /// Any datagram: an answer or a mismatch, never a panic.
        #[test]
        fn any_bytes_decode_or_fail(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let _answer = decode_answer(&bytes, 0, &name("x.example."), RecordType::A);
        }
    }
}
