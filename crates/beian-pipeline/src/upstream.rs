//! The audit's network as others use it: its resolver for the fetcher's redirect targets, and
//! its fetcher as the render proxy's upstream (a rendered page's requests go through the
//! audit's resolver, private-address guard and per-address limits).

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

use beian_fetch::{FetchError, FetchOutcome, Fetcher, HostResolve};
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

impl AuditUpstream {
    /// The addresses of `url`'s host, through the audit's resolver.
    async fn addresses(&self, url: &url::Url) -> Result<Vec<IpAddr>, beian_render::Refused> {
        let host = url.host_str().unwrap_or_default();
        match host.trim_matches(['[', ']']).parse::<IpAddr>() {
            Ok(ip) => Ok(vec![ip]),
            Err(_) => self
                .resolver
                .resolve(host)
                .await
                .map(|r| r.addrs)
                .map_err(|e| refused(e.class, &e.message)),
        }
    }
}

fn refused(class: ErrorClass, message: &str) -> beian_render::Refused {
    beian_render::Refused {
        blocked: class == ErrorClass::AddressBlocked,
        message: format!("{class}: {message}"),
    }
}

/// What the proxy gives the browser of a fetch.
fn fetched(out: FetchOutcome) -> Result<beian_render::Fetched, beian_render::Refused> {
    if let Some(e) = out.error {
        return Err(refused(e.class, &e.message));
    }
    let header = |name: &'static str| {
        out.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    Ok(beian_render::Fetched {
        status: out.status.unwrap_or(502),
        location: header("location").next(),
        set_cookie: header("set-cookie").collect(),
        content_type: out.content_type,
        body: out.body.unwrap_or_default(),
    })
}

impl beian_render::Upstream for AuditUpstream {
    fn get(&self, url: url::Url) -> beian_render::Fetching<'_> {
        Box::pin(async move {
            let addrs = self.addresses(&url).await?;
            fetched(self.fetcher.fetch(url, addrs).await)
        })
    }

    fn visit(&self, url: url::Url, cookie: Option<String>) -> beian_render::Fetching<'_> {
        Box::pin(async move {
            let addrs = self.addresses(&url).await?;
            fetched(self.fetcher.visit(url, addrs, cookie.as_deref()).await)
        })
    }
}
