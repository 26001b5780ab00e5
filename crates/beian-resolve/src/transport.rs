//! Getting a DNS message to a nameserver and its answer back: a few UDP sockets per server,
//! each shared by many queries and matched by message id (one socket per query cost ~100 µs
//! of CPU in socket set-up and teardown, measured in hickory-resolver), and TCP for truncated
//! answers.

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Sockets per nameserver: queries spread over several source ports.
const SOCKETS_PER_SERVER: usize = 4;

/// Queries waiting on one socket at most; beyond it a query fails at once rather than hunt
/// for a free id.
const MAX_PENDING: usize = 16_384;

/// A query unanswered after this long is sent again (same id), then after twice as long,
/// and so on, until the caller's timeout. UDP loses datagrams when a server's socket buffer
/// overflows in a burst: without this, each loss would cost a whole timeout (measured on the
/// 3,000-domain demo: 1,382 of 13,254 queries dropped by the kernel at the fleet's socket, and
/// hosts whose names answer were reported `dns_timeout`).
const FIRST_RETRANSMIT: Duration = Duration::from_millis(250);

/// Receive buffer asked for each socket (the kernel caps it at `net.core.rmem_max`): room for
/// the answers of a burst while the reader task waits for a core.
const RECV_BUFFER: usize = 1 << 20;

/// What a socket's reader hands a waiting query: the datagram, or the socket's error.
type Reply = Result<Vec<u8>, String>;

/// A transport failure, as text for the error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TransportError(pub(crate) String);

impl From<io::Error> for TransportError {
    fn from(e: io::Error) -> Self {
        TransportError(e.to_string())
    }
}

/// The UDP sockets of one nameserver.
pub(crate) struct UdpPool {
    sockets: Vec<UdpMux>,
    next: AtomicUsize,
}

impl UdpPool {
    /// Binds the sockets (OS-chosen ports) and starts their readers. Needs a tokio runtime.
    pub(crate) fn bind(server: SocketAddr) -> io::Result<UdpPool> {
        let sockets = (0..SOCKETS_PER_SERVER)
            .map(|_| UdpMux::bind(server))
            .collect::<io::Result<_>>()?;
        Ok(UdpPool {
            sockets,
            next: AtomicUsize::new(0),
        })
    }

    /// Sends the query `encode(id)` builds for a fresh id and waits for the datagram
    /// answering that id, sending it again at growing intervals. Returns the id with the
    /// datagram. No timeout: the caller has one.
    pub(crate) async fn exchange(
        &self,
        encode: impl FnOnce(u16) -> Option<Vec<u8>>,
    ) -> Result<(u16, Vec<u8>), TransportError> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.sockets.len();
        self.sockets[i].exchange(encode).await
    }
}

/// One connected UDP socket, its reader task and the queries waiting on it.
struct UdpMux {
    shared: Arc<MuxShared>,
    reader: JoinHandle<()>,
}

struct MuxShared {
    socket: UdpSocket,
    /// id → the query waiting for it.
    pending: Mutex<HashMap<u16, Pending>>,
    tokens: AtomicU64,
}

/// A query waiting on a socket.
struct Pending {
    /// Tells a query's own entry from a later query's that reused the id.
    token: u64,
    /// Its question section: an answer must repeat it.
    question: Vec<u8>,
    reply: oneshot::Sender<Reply>,
}

/// The question section of a DNS message (RFC 1035 §4.1.2: its first name, type and class;
/// the first name of a message is never compressed).
fn question(message: &[u8]) -> Option<&[u8]> {
    let mut at = 12;
    loop {
        let len = usize::from(*message.get(at)?);
        if len == 0 {
            break;
        }
        if len & 0xC0 != 0 {
            return None;
        }
        at += 1 + len;
    }
    message.get(12..at + 1 + 4)
}

/// Whether `answer` answers the question `asked` (names in any ASCII case).
fn answers(answer: &[u8], asked: &[u8]) -> bool {
    question(answer).is_some_and(|q| q.eq_ignore_ascii_case(asked))
}

impl Drop for UdpMux {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Removes a query's entry when it ends without an answer (timeout, cancellation).
struct PendingGuard<'a> {
    shared: &'a MuxShared,
    id: u16,
    token: u64,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        let mut pending = self
            .shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if pending.get(&self.id).is_some_and(|p| p.token == self.token) {
            pending.remove(&self.id);
        }
    }
}

impl UdpMux {
    fn bind(server: SocketAddr) -> io::Result<UdpMux> {
        let local: SocketAddr = if server.is_ipv4() {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = std::net::UdpSocket::bind(local)?;
        // Best effort: a smaller buffer only makes losses (and retransmissions) likelier.
        socket2::SockRef::from(&socket)
            .set_recv_buffer_size(RECV_BUFFER)
            .ok();
        // Connected: the kernel drops datagrams from any other source.
        socket.connect(server)?;
        socket.set_nonblocking(true)?;
        let shared = Arc::new(MuxShared {
            socket: UdpSocket::from_std(socket)?,
            pending: Mutex::new(HashMap::new()),
            tokens: AtomicU64::new(0),
        });
        let reader = tokio::spawn(read_loop(Arc::clone(&shared)));
        Ok(UdpMux { shared, reader })
    }

    async fn exchange(
        &self,
        encode: impl FnOnce(u16) -> Option<Vec<u8>>,
    ) -> Result<(u16, Vec<u8>), TransportError> {
        let shared = &*self.shared;
        let (tx, rx) = oneshot::channel();
        let token = shared.tokens.fetch_add(1, Ordering::Relaxed);
        let (id, query) = {
            let mut pending = shared
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if pending.len() >= MAX_PENDING {
                return Err(TransportError("too many DNS queries in flight".into()));
            }
            // Ids are random (RFC 5452): an off-path forger must guess one among 65,536.
            let mut id: u16 = rand::random();
            while pending.contains_key(&id) {
                id = rand::random();
            }
            let query =
                encode(id).ok_or_else(|| TransportError("cannot encode the query".into()))?;
            let question = question(&query)
                .ok_or_else(|| TransportError("the query has no question".into()))?
                .to_vec();
            pending.insert(
                id,
                Pending {
                    token,
                    question,
                    reply: tx,
                },
            );
            (id, query)
        };
        let _guard = PendingGuard { shared, id, token };
        let mut rx = rx;
        let mut wait = FIRST_RETRANSMIT;
        loop {
            shared.socket.send(&query).await?;
            match tokio::time::timeout(wait, &mut rx).await {
                Ok(Ok(Ok(datagram))) => return Ok((id, datagram)),
                Ok(Ok(Err(e))) => return Err(TransportError(e)),
                Ok(Err(_)) => return Err(TransportError("DNS socket closed".into())),
                Err(_) => wait *= 2,
            }
        }
    }
}

/// Hands each datagram to the query waiting for its id that asked its question; the others
/// (late, duplicated or forged) are dropped (RFC 5452 §9.1). A late one is no rarity: a query
/// sent again after [`FIRST_RETRANSMIT`] to a server slower than that is answered twice, and
/// the second answer may find its id taken by another query since.
async fn read_loop(shared: Arc<MuxShared>) {
    let mut buf = vec![0u8; usize::from(u16::MAX)];
    loop {
        match shared.socket.recv(&mut buf).await {
            Ok(n) => {
                let datagram = &buf[..n];
                let Some(id) = datagram.get(..2).filter(|_| n >= 12) else {
                    continue;
                };
                let id = u16::from_be_bytes([id[0], id[1]]);
                let waiting = {
                    let mut pending = shared
                        .pending
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    match pending.get(&id) {
                        Some(p) if answers(datagram, &p.question) => pending.remove(&id),
                        _ => None,
                    }
                };
                if let Some(p) = waiting {
                    // The query may have given up meanwhile.
                    p.reply.send(Ok(datagram.to_vec())).ok();
                }
            }
            Err(e) => {
                // An ICMP error (port unreachable) lands on the next read of a connected
                // socket. Every query waiting here went to that server: fail them now rather
                // than at their timeout.
                let waiting: Vec<_> = shared
                    .pending
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .drain()
                    .collect();
                for (_, p) in waiting {
                    p.reply.send(Err(format!("{e}"))).ok();
                }
                tokio::task::yield_now().await;
            }
        }
    }
}

/// One query over TCP (RFC 1035 §4.2.2: two length bytes, then the message).
pub(crate) async fn tcp_exchange(
    server: SocketAddr,
    query: &[u8],
) -> Result<Vec<u8>, TransportError> {
    let mut stream = TcpStream::connect(server).await?;
    let len =
        u16::try_from(query.len()).map_err(|_| TransportError("query too long for TCP".into()))?;
    let mut framed = Vec::with_capacity(query.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(query);
    stream.write_all(&framed).await?;
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).await?;
    let mut answer = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut answer).await?;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::{Name, RecordType};

    fn query(id: u16, name: &str) -> Vec<u8> {
        let name = Name::from_ascii(name).expect("a name");
        crate::wire::encode_query(id, &name, RecordType::A).expect("encoded")
    }

    #[test]
    fn the_question_section_is_read_and_compared_in_any_case() {
        let q = query(7, "www.Example.cn.");
        let asked = question(&q).expect("a question");
        // The name's labels, the root, then type and class.
        assert_eq!(asked.len(), 1 + 3 + 1 + 7 + 1 + 2 + 1 + 4);
        assert!(answers(&query(9, "WWW.example.CN."), asked));
        assert!(!answers(&query(7, "www.example.com."), asked));
        assert!(!answers(&q[..14], asked), "cut short");
        assert!(question(&[0u8; 11]).is_none());
    }

    /// A late answer to another question, carrying the id of the query now waiting, is
    /// dropped; the query takes its own answer.
    #[tokio::test]
    async fn an_answer_to_another_question_is_not_taken_for_ours() {
        let server = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let addr = server.local_addr().expect("addr");
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            let (n, from) = server.recv_from(&mut buf).await.expect("a query");
            let id = u16::from_be_bytes([buf[0], buf[1]]);
            // Another name's answer with this id first, then this query's own.
            let mut stray = query(id, "old.example.cn.");
            stray[2] |= 0x80;
            server.send_to(&stray, from).await.expect("send");
            let mut own = buf[..n].to_vec();
            own[2] |= 0x80;
            server.send_to(&own, from).await.expect("send");
        });
        let pool = UdpPool::bind(addr).expect("bound");
        let (id, answer) = tokio::time::timeout(
            Duration::from_secs(10),
            pool.exchange(|id| Some(query(id, "www.example.cn."))),
        )
        .await
        .expect("answered")
        .expect("no error");
        assert_eq!(&answer[..2], &id.to_be_bytes());
        assert!(answers(
            &answer,
            question(&query(id, "www.example.cn.")).expect("q")
        ));
    }
}
