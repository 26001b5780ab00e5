//! Idle keep-alive connections by origin, so that a request to an origin that was just talked
//! to (a redirect from the apex to www after www's own probe finished, a second hop on one
//! host) skips the connect and the TLS handshake. Bounded in number and in idle time: an idle
//! connection is closed after [`IDLE_TTL`], so servers are not left holding it.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Empty;
use tokio::task::JoinHandle;

use crate::TlsFacts;

/// How long an idle connection is kept (servers keep theirs for 5–75 s).
pub(crate) const IDLE_TTL: Duration = Duration::from_secs(2);

/// The request side of an HTTP/1.1 connection.
pub(crate) type Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

/// Where a connection goes: address, scheme, and the host it was opened for (TLS names the
/// host, and one address serves many hosts).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    pub(crate) addr: SocketAddr,
    pub(crate) https: bool,
    pub(crate) host: String,
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
    idle: HashMap<Origin, (Conn, u64)>,
    /// When each connection was put, oldest first; entries of taken connections are skipped.
    order: VecDeque<(Instant, Origin, u64)>,
    seq: u64,
}

impl Inner {
    /// Closes the connections idle for longer than the TTL, and the oldest beyond `keep`.
    fn expire(&mut self, now: Instant, keep: usize) {
        while let Some((at, origin, seq)) = self.order.front() {
            let live = self.idle.get(origin).is_some_and(|(_, s)| s == seq);
            if live && now.duration_since(*at) < IDLE_TTL && self.idle.len() <= keep {
                break;
            }
            if let Some((_, origin, _)) = self.order.pop_front() {
                if live {
                    self.idle.remove(&origin);
                }
            }
        }
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

    /// An idle connection to `origin`, if one is open.
    pub(crate) fn take(&self, origin: &Origin) -> Option<Conn> {
        if self.cap == 0 {
            return None;
        }
        let mut inner = self.lock();
        inner.expire(Instant::now(), self.cap);
        let (conn, _) = inner.idle.remove(origin)?;
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
        // An older idle connection to the same origin is closed.
        inner.idle.insert(origin, (conn, seq));
    }
}
