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
}

/// Name (lower case, no trailing dot) → answer; absent names are NXDOMAIN.
#[derive(Clone, Default)]
pub(crate) struct Zone {
    pub(crate) names: Arc<HashMap<String, Answer>>,
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
        match self.names.get(&name) {
            None => {
                meta.response_code = ResponseCode::NXDomain;
                let resp = builder.build_no_records(meta);
                send(&mut response_handle, resp, request).await
            }
            Some(Answer::Addr(ip)) => {
                let owner = Name::from(query.name().clone());
                let rdata = match (*ip, qtype) {
                    (IpAddr::V4(v4), RecordType::A) => Some(RData::A(A(v4))),
                    (IpAddr::V6(v6), RecordType::AAAA) => Some(RData::AAAA(AAAA(v6))),
                    _ => None,
                };
                let records: Vec<Record> = rdata
                    .into_iter()
                    .map(|r| Record::from_rdata(owner.clone(), 60, r))
                    .collect();
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
