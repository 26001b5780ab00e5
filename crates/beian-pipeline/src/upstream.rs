//! The audit's network as others use it: its resolver for the fetcher's redirect targets, and
//! its fetcher as the render proxy's upstream (a rendered page's requests go through the
//! audit's resolver, private-address guard and per-address limits).

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

use beian_fetch::{FetchError, Fetcher, HostResolve};
use beian_resolve::Resolver;
use beian_types::ErrorClass;

/// Resolves redirect targets through the audit's resolver.
pub struct DnsForRedirects(pub Resolver);

impl HostResolve for DnsForRedirects {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<IpAddr>, FetchError>> + Send + 'a>> {
        Box::pin(async move {
            self.0
                .resolve(host)
                .await
                .map(|r| r.addrs)
                .map_err(|e| FetchError {
                    class: e.class,
                    message: e.to_string(),
                })
        })
    }
}

/// The audit's fetcher as the render proxy's upstream: what a rendered page asks for goes
/// through the audit's resolver, private-address guard and per-address limits.
pub(crate) struct AuditUpstream {
    pub(crate) resolver: Resolver,
    pub(crate) fetcher: Arc<Fetcher<DnsForRedirects>>,
}

impl beian_render::Upstream for AuditUpstream {
    fn get(
        &self,
        url: url::Url,
    ) -> Pin<
        Box<dyn Future<Output = Result<beian_render::Fetched, beian_render::Refused>> + Send + '_>,
    > {
        Box::pin(async move {
            let refused = |class: ErrorClass, message: String| beian_render::Refused {
                blocked: class == ErrorClass::AddressBlocked,
                message: format!("{class}: {message}"),
            };
            let host = url.host_str().unwrap_or_default();
            let addrs = match host.trim_matches(['[', ']']).parse::<IpAddr>() {
                Ok(ip) => vec![ip],
                Err(_) => match self.resolver.resolve(host).await {
                    Ok(r) => r.addrs,
                    Err(e) => return Err(refused(e.class, e.message.clone())),
                },
            };
            let out = self.fetcher.fetch(url, addrs).await;
            if let Some(e) = out.error {
                return Err(refused(e.class, e.message));
            }
            Ok(beian_render::Fetched {
                status: out.status.unwrap_or(502),
                content_type: out.content_type,
                body: out.body.unwrap_or_default(),
            })
        })
    }
}
