//! Idle keep-alive connections by origin, so that a request to an origin that was just talked
//! to (a redirect from the apex to www after www's own probe finished, a second hop on one
//! host) skips the connect and the TLS handshake. Bounded in number and in idle time: an idle
//! connection is closed after [`IDLE_TTL`], so servers are not left holding it.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Empty;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::TlsFacts;

/// How long an idle connection is kept (servers keep theirs for 5–75 s).
pub(crate) const IDLE_TTL: Duration = Duration::from_secs(2);

/// The request side of an HTTP/1.1 connection.
pub(crate) type Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

/// Where a connection goes: address, scheme, and the host it was opened for (TLS names the
/// host, and one address serves many hosts). A plain HTTP connection carries requests for the
/// apex and `www.` of one domain alike (the `Host` header names each): the two http probes of a
/// site on one address ride one connection. Not another site's, though the protocol would
/// allow it: a proxy that routes a connection by its first request (HAProxy's old tunnel mode,
/// some L4 balancers) would answer another site's request from the first site's server, and
/// the audit would judge the wrong page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    pub(crate) addr: SocketAddr,
    pub(crate) https: bool,
    host: String,
}

impl Origin {
    pub(crate) fn new(addr: SocketAddr, https: bool, host: &str) -> Self {
        let host = if https {
            host
        } else {
            host.strip_prefix("www.").unwrap_or(host)
        };
        Origin {
            addr,
            https,
            host: host.to_string(),
        }
    }
}

/// An open connection: its sender, the task that drives it, and the TLS facts of its
/// handshake (reported again for each request it carries).
pub(crate) struct Conn {
    pub(crate) sender: Sender,
    pub(crate) task: JoinHandle<()>,
    pub(crate) tls: Option<TlsFacts>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        // Closes the socket: a connection nobody keeps is not left open at the server.
        self.task.abort();
    }
}

/// The idle connections.
pub(crate) struct Pool {
    cap: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Per origin, the idle connections, most recently put last.
    idle: HashMap<Origin, Vec<(Conn, u64)>>,
    /// How many connections `idle` holds.
    count: usize,
    /// When each connection was put, oldest first; entries of taken connections are skipped.
    order: VecDeque<(Instant, Origin, u64)>,
    seq: u64,
}

impl Inner {
    /// Closes the connections idle for longer than the TTL, and the oldest beyond `keep`.
    fn expire(&mut self, now: Instant, keep: usize) {
        while let Some((at, origin, seq)) = self.order.front() {
            let live = self
                .idle
                .get(origin)
                .is_some_and(|conns| conns.iter().any(|(_, s)| s == seq));
            if live && now.duration_since(*at) < IDLE_TTL && self.count <= keep {
                break;
            }
            if let Some((_, origin, seq)) = self.order.pop_front() {
                if live {
                    self.remove(&origin, |s| s == seq);
                }
            }
        }
    }

    /// Removes the most recent idle connection to `origin` whose serial `pick` accepts
    /// (dropping it closes it).
    fn remove(&mut self, origin: &Origin, pick: impl Fn(u64) -> bool) -> Option<Conn> {
        let conns = self.idle.get_mut(origin)?;
        let i = conns.iter().rposition(|(_, s)| pick(*s))?;
        let (conn, _) = conns.remove(i);
        if conns.is_empty() {
            self.idle.remove(origin);
        }
        self.count -= 1;
        Some(conn)
    }
}

impl Pool {
    /// A pool keeping up to `cap` idle connections (0: none).
    pub(crate) fn new(cap: usize) -> Self {
        Pool {
            cap,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned lock only means a probe panicked; the map is still sound.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An idle connection to `origin`, if one is open (the most recently used one).
    pub(crate) fn take(&self, origin: &Origin) -> Option<Conn> {
        if self.cap == 0 {
            return None;
        }
        let mut inner = self.lock();
        inner.expire(Instant::now(), self.cap);
        let conn = inner.remove(origin, |_| true)?;
        drop(inner);
        (!conn.sender.is_closed()).then_some(conn)
    }

    /// Keeps `conn` for the next request to `origin`.
    pub(crate) fn put(&self, origin: Origin, conn: Conn) {
        if self.cap == 0 || conn.sender.is_closed() {
            return;
        }
        let now = Instant::now();
        let mut inner = self.lock();
        inner.expire(now, self.cap.saturating_sub(1));
        inner.seq += 1;
        let seq = inner.seq;
        inner.order.push_back((now, origin.clone(), seq));
        inner.idle.entry(origin).or_default().push((conn, seq));
        inner.count += 1;
    }
}
