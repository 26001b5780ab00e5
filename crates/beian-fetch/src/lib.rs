//! HTTP(S) probes: hyper 1.x over tokio with rustls. Connects to addresses it is given (never
//! re-resolves through the OS), sends SNI = host, follows 3xx redirects and `<meta refresh>`
//! up to a limit recording every hop, decompresses gzip/deflate/br/zstd, caps bodies, times
//! each phase and records TLS facts. A failure at any step is a classified value, not a panic.
//!
//! Rooms: [`FetchConfig`] (limits), [`FetchOutcome`] (what a probe returns), the [`Fetcher`]
//! (connections, requests, redirects), the probe's time budget (`budget`), per-address
//! permits and pacing (`limits`), the connection pool (`pool`), TLS (`tls`), bodies (`body`,
//! `buffer`) and the meta-refresh detector (`refresh`).

mod addr;
mod body;
mod budget;
mod buffer;
mod config;
mod fetcher;
mod hop;
mod limits;
mod outcome;
mod pool;
mod refresh;
mod request;
mod retry;
mod tls;
mod visits;

pub use addr::is_restricted;
pub use config::{BROWSER_USER_AGENT, DEFAULT_USER_AGENT, FetchConfig};
pub use fetcher::Fetcher;
pub use outcome::{FetchOutcome, MAX_KEPT_HEADERS, Timings, TlsFacts};
pub use tls::{TlsSetupError, crypto_provider};
pub use visits::Visits;

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use beian_types::ErrorClass;

/// A classified failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{class}: {message}")]
pub struct FetchError {
    /// Stable class.
    pub class: ErrorClass,
    /// Detail.
    pub message: String,
}

impl FetchError {
    fn new(class: ErrorClass, message: impl Into<String>) -> Self {
        FetchError {
            class,
            message: message.into(),
        }
    }
}

/// Name resolution for redirect targets on other hosts.
pub trait HostResolve: Send + Sync + 'static {
    /// Addresses of `host`.
    fn resolve<'a>(
        &'a self,
        host: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<IpAddr>, FetchError>> + Send + 'a>>;
}

/// Called when a probe is about to wait for a busy server address (`per_ip`): the pipeline
/// lends the site's slot to another site meanwhile.
pub type OnWait<'a> = dyn Fn() + Send + Sync + 'a;

/// Building a [`Fetcher`] failed.
pub type BuildError = TlsSetupError;
