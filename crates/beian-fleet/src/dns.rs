//! The fleet's authoritative DNS: a hickory-server `RequestHandler` answering from a map.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use hickory_proto::op::{Metadata, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_server::net::runtime::Time;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;

/// What a name answers.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    /// An address.
    Addr(IpAddr),
    /// A CNAME to another name of the zone.
    Cname(String),
    /// SERVFAIL.
    ServFail,
    /// No answer at all (the client times out).
    Silent,
    /// The name exists with no address records (NOERROR, empty answer).
    NoData,
}

/// Name (lower case, no trailing dot) → answer; absent names are NXDOMAIN.
#[derive(Clone, Default)]
pub(crate) struct Zone {
    pub(crate) names: Arc<HashMap<String, Answer>>,
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
                    let rdata = match (*ip, qtype) {
                        (IpAddr::V4(v4), RecordType::A) => Some(RData::A(A(v4))),
                        (IpAddr::V6(v6), RecordType::AAAA) => Some(RData::AAAA(AAAA(v6))),
                        _ => None,
                    };
                    out.extend(rdata.map(|r| Record::from_rdata(owner, 60, r)));
                    break;
                }
                _ => break,
            }
        }
        out
    }
}

#[async_trait::async_trait]
impl RequestHandler for Zone {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let builder = MessageResponseBuilder::from_message_request(request);
        let Some(query) = request.queries.queries().first() else {
            let resp = builder.error_msg(&request.metadata, ResponseCode::FormErr);
            return send(&mut response_handle, resp, request).await;
        };
        let name = Name::from(query.name().clone())
            .to_ascii()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let qtype = query.query_type();
        let mut meta = Metadata::response_from_request(&request.metadata);
        meta.authoritative = true;
        match self.answer(&name) {
            None => {
                meta.response_code = ResponseCode::NXDomain;
                let resp = builder.build_no_records(meta);
                send(&mut response_handle, resp, request).await
            }
            Some(Answer::ServFail) => {
                meta.response_code = ResponseCode::ServFail;
                let resp = builder.build_no_records(meta);
                send(&mut response_handle, resp, request).await
            }
            Some(Answer::Silent) => {
                // Drop the query: the resolver must time out and say so.
                hickory_proto::op::Header {
                    metadata: meta,
                    counts: Default::default(),
                }
                .into()
            }
            Some(_) => {
                let records = self.records(&name, qtype);
                let resp = builder.build(meta, records.iter(), [], [], []);
                send(&mut response_handle, resp, request).await
            }
        }
    }
}

async fn send<'a, R: ResponseHandler>(
    handle: &mut R,
    resp: hickory_server::zone_handler::MessageResponse<
        '_,
        'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
    >,
    request: &Request,
) -> ResponseInfo {
    match handle.send_response(resp).await {
        Ok(info) => info,
        Err(_) => {
            let mut meta = Metadata::response_from_request(&request.metadata);
            meta.response_code = ResponseCode::ServFail;
            hickory_proto::op::Header {
                metadata: meta,
                counts: Default::default(),
            }
            .into()
        }
    }
}
