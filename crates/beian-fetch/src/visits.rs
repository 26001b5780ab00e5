//! What the probes of one site share: the responses to the URLs they request (each URL is
//! requested once per site) and their turns on the site's connections.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use url::Url;

use crate::request::Response;
use crate::{FetchError, TlsFacts, pool};

/// The requests of one site's probes (docs/SCHEMA.md, `fetches.reused_from`): each URL is
/// requested once per site. A probe that reaches a URL another probe of the site requested,
/// or is requesting, waits for that response and reuses it instead of asking the server
/// again — the four probes of a site (apex and www, https and http) mostly converge on one
/// page. A failure is shared as well: the URL failed for this site.
///
/// The probes of a site also take turns on its connections: one request at a time per origin
/// (address, scheme and host, the apex and `www.` being one host for plain HTTP), so the http
/// probes of the apex and `www.` on one address ride one keep-alive connection instead of
/// opening one each.
#[derive(Default)]
pub struct Visits {
    map: Mutex<HashMap<String, tokio::sync::watch::Receiver<Option<Arc<Visit>>>>>,
    conns: Mutex<HashMap<pool::Origin, Arc<tokio::sync::Mutex<()>>>>,
}

/// A response (or failure) one probe got, as the site's other probes reuse it.
pub(crate) struct Visit {
    pub(crate) result: Result<Response, FetchError>,
    pub(crate) remote_addr: Option<SocketAddr>,
    pub(crate) tls: Option<TlsFacts>,
    /// The first URL of the probe that made the request.
    pub(crate) by: String,
}

/// Who requests a URL: this probe (it must publish what it gets), or another one.
pub(crate) enum Claim {
    Mine(tokio::sync::watch::Sender<Option<Arc<Visit>>>),
    Theirs(tokio::sync::watch::Receiver<Option<Arc<Visit>>>),
}

impl Visits {
    /// Claims `url` for the caller unless another probe of the site has.
    pub(crate) fn claim(&self, url: &Url) -> Claim {
        let mut key = url.clone();
        key.set_fragment(None);
        // A poisoned lock only means another probe panicked; the map is still sound.
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(rx) = map.get(key.as_str()) {
            return Claim::Theirs(rx.clone());
        }
        let (tx, rx) = tokio::sync::watch::channel(None);
        map.insert(key.to_string(), rx);
        Claim::Mine(tx)
    }

    /// The site's turn on `origin`: held while a probe requests from it, so that the next
    /// probe of the site finds the connection back in the pool.
    pub(crate) async fn turn(&self, origin: pool::Origin) -> tokio::sync::OwnedMutexGuard<()> {
        let gate = {
            // A poisoned lock only means another probe panicked; the map is still sound.
            let mut conns = self.conns.lock().unwrap_or_else(PoisonError::into_inner);
            conns.entry(origin).or_default().clone()
        };
        gate.lock_owned().await
    }
}
