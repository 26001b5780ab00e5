//! The internet's latency, played by the fleet's own servers (issue 32): a round trip per site
//! drawn from a profile, slow DNS answers, a server's time before its first byte, and the lost
//! packet's retransmission wait. Applied as delays before the servers write, so it runs
//! unprivileged, with no kernel settings: on loopback a client's bytes arrive at once, and a
//! server that waits one round trip before each answer is what the client sees of a distant
//! one.
//!
//! What a client sees of one connection to a site with round trip R: its first answer (the TLS
//! ServerHello, or a plain HTTP response) after 2 R (the TCP handshake, then the exchange), every
//! later answer R after the client spoke, plus the server's time to the first byte of each
//! HTTP response. A lost flight waits a retransmission timeout more (TCP's first RTO, 1 s). DNS
//! answers wait a delay of their own per name. Each draw is fixed by the fleet's seed and the
//! name, so the same fleet is equally slow on every run.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A log-normal spread of delays, clamped: network delays have a long right tail.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// The median, in milliseconds.
    pub median_ms: f64,
    /// σ of the logarithm: 0.5 puts nine in ten draws within ×0.44–×2.3 of the median.
    pub sigma: f64,
    /// Bounds of a draw, in milliseconds.
    pub min_ms: f64,
    pub max_ms: f64,
}

impl Spread {
    fn draw(&self, rng: &mut SmallRng) -> Duration {
        let ms = LogNormal::new(self.median_ms.max(f64::MIN_POSITIVE).ln(), self.sigma)
            .map_or(self.median_ms, |d| d.sample(rng));
        Duration::from_secs_f64(ms.clamp(self.min_ms, self.max_ms) / 1000.0)
    }
}

/// The fleet's network, as a client far from it sees it ([`Latency::profile`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Latency {
    /// The profile's name (`mainland`, `overseas`), with its changes (`,rtt=100`).
    pub name: String,
    /// Round trip to a site (per site: its apex, `www.` and other names are one server).
    pub rtt: Spread,
    /// A DNS answer's wait (per name: a resolver's cache and the authority's distance).
    pub dns: Spread,
    /// A server's time from the request to the first byte of its response (per site).
    pub first_byte: Spread,
    /// Share of a connection's flights lost once and sent again after [`Latency::rto`].
    pub loss: f64,
    /// The retransmission timeout a lost flight waits.
    pub rto: Duration,
    /// Fixes every draw (the fleet's seed).
    pub seed: u64,
}

/// A profile that cannot be read: its text and why.
#[derive(Debug, thiserror::Error)]
#[error(
    "network profile {text:?}: {why} (profiles: mainland, overseas; changes: rtt=MS, dns=MS, loss=SHARE, e.g. \"overseas,rtt=100\")"
)]
pub struct ProfileError {
    text: String,
    why: String,
}

impl Latency {
    /// A named profile:
    /// - `mainland`: an auditor in a mainland data centre, the sites on mainland networks —
    ///   round trips of 10–120 ms (median 40, across carriers more), DNS answers of 5–300 ms
    ///   (median 30), 0.5 % of flights lost;
    /// - `overseas`: an auditor abroad (Europe, the Americas) — round trips of 60–1,000 ms
    ///   (median 180, the cross-border links' tail to a second), DNS of 20–800 ms (median
    ///   150), 2 % of flights lost.
    ///
    /// Both give servers 5–2,000 ms to their first byte (median 40: a dynamic page's time).
    ///
    /// A profile's name may be followed by changes: `mainland,rtt=100` sets the median round
    /// trip to 100 ms; `dns=MS` the median DNS wait; `loss=SHARE` (0–0.5).
    pub fn profile(text: &str, seed: u64) -> Result<Latency, ProfileError> {
        let err = |why: &str| ProfileError {
            text: text.to_string(),
            why: why.to_string(),
        };
        let mut parts = text.split(',').map(str::trim);
        let first_byte = Spread {
            median_ms: 40.0,
            sigma: 1.0,
            min_ms: 5.0,
            max_ms: 2_000.0,
        };
        let mut l = match parts.next().unwrap_or_default() {
            "mainland" => Latency {
                name: String::new(),
                rtt: Spread {
                    median_ms: 40.0,
                    sigma: 0.5,
                    min_ms: 10.0,
                    max_ms: 600.0,
                },
                dns: Spread {
                    median_ms: 30.0,
                    sigma: 0.8,
                    min_ms: 5.0,
                    max_ms: 300.0,
                },
                first_byte,
                loss: 0.005,
                rto: Duration::from_secs(1),
                seed,
            },
            "overseas" => Latency {
                name: String::new(),
                rtt: Spread {
                    median_ms: 180.0,
                    sigma: 0.45,
                    min_ms: 60.0,
                    max_ms: 1_000.0,
                },
                dns: Spread {
                    median_ms: 150.0,
                    sigma: 0.6,
                    min_ms: 20.0,
                    max_ms: 800.0,
                },
                first_byte,
                loss: 0.02,
                rto: Duration::from_secs(1),
                seed,
            },
            "" => return Err(err("no profile named")),
            _ => return Err(err("no such profile")),
        };
        for change in parts {
            let (key, value) = change
                .split_once('=')
                .ok_or_else(|| err(&format!("{change:?} is not KEY=VALUE")))?;
            let value: f64 = value
                .trim_end_matches("ms")
                .parse()
                .map_err(|_| err(&format!("{key}: {value:?} is not a number")))?;
            match key {
                "rtt" if value > 0.0 => l.rtt.median_ms = value,
                "dns" if value > 0.0 => l.dns.median_ms = value,
                "loss" if (0.0..=0.5).contains(&value) => l.loss = value,
                "rtt" | "dns" => return Err(err(&format!("{key} must be above 0 ms"))),
                "loss" => return Err(err("loss must be a share from 0 to 0.5")),
                _ => return Err(err(&format!("no setting {key:?}"))),
            }
            // A median outside the bounds would be clamped away: the bounds follow it.
            l.rtt.min_ms = l.rtt.min_ms.min(l.rtt.median_ms);
            l.rtt.max_ms = l.rtt.max_ms.max(l.rtt.median_ms * 4.0);
            l.dns.min_ms = l.dns.min_ms.min(l.dns.median_ms);
            l.dns.max_ms = l.dns.max_ms.max(l.dns.median_ms * 4.0);
        }
        l.name = text.to_string();
        Ok(l)
    }

    /// A generator fixed by the seed, what is drawn and `name`.
    fn rng(&self, what: u64, name: &str) -> SmallRng {
        // FNV-1a: stable across Rust releases, unlike the standard library's hasher.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in name.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        SmallRng::seed_from_u64(h ^ self.seed.rotate_left(17) ^ what.rotate_left(41))
    }

    /// The round trip to the server of `site` (its apex domain).
    pub fn rtt(&self, site: &str) -> Duration {
        self.rtt.draw(&mut self.rng(1, site))
    }

    /// How long the answer for `name` waits.
    pub fn dns_delay(&self, name: &str) -> Duration {
        self.dns.draw(&mut self.rng(2, name))
    }

    /// The server of `site`'s time to the first byte of a response.
    pub fn first_byte(&self, site: &str) -> Duration {
        self.first_byte.draw(&mut self.rng(3, site))
    }

    /// Whether flight `flight` of connection `connection` is lost once.
    fn lost(&self, connection: u64, flight: u32) -> bool {
        let mut rng = self.rng(4 ^ (connection << 8) ^ u64::from(flight), "");
        rng.random::<f64>() < self.loss
    }
}

/// Connections numbered for [`Latency::lost`].
static CONNECTIONS: AtomicU64 = AtomicU64::new(0);

/// A server's connection that answers as from afar: each write that follows the client's
/// bytes waits a round trip first (two for the first: the TCP handshake). Without a latency,
/// it passes everything straight through.
pub(crate) struct Paced<S> {
    io: S,
    pace: Option<Pace>,
}

struct Pace {
    latency: Arc<Latency>,
    /// The round trip, in microseconds, once the site is known ([`Paced::rtt_cell`]); 0 until
    /// then, when a first answer is owed before the site is known, the median's.
    rtt_us: Arc<AtomicU64>,
    connection: u64,
    /// Whether the client has sent bytes since the server last wrote.
    heard: bool,
    /// Flights written so far.
    flights: u32,
    wait: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> Paced<S> {
    pub(crate) fn new(io: S, latency: Option<&Arc<Latency>>) -> Paced<S> {
        Paced {
            io,
            pace: latency.map(|l| Pace {
                latency: l.clone(),
                rtt_us: Arc::new(AtomicU64::new(0)),
                connection: CONNECTIONS.fetch_add(1, Ordering::Relaxed),
                heard: true,
                flights: 0,
                wait: None,
            }),
        }
    }

    pub(crate) fn get_ref(&self) -> &S {
        &self.io
    }

    /// Where the round trip of this connection is set once its site is known (from the SNI
    /// or the `Host` header); `None` without a latency.
    pub(crate) fn rtt_cell(&self) -> Option<RttCell> {
        self.pace.as_ref().map(|p| RttCell {
            latency: p.latency.clone(),
            rtt_us: p.rtt_us.clone(),
        })
    }
}

/// Sets a connection's round trip by its site.
#[derive(Clone)]
pub(crate) struct RttCell {
    latency: Arc<Latency>,
    rtt_us: Arc<AtomicU64>,
}

impl RttCell {
    /// The connection is to `site` (its apex domain).
    pub(crate) fn set(&self, site: &str) {
        let us = u64::try_from(self.latency.rtt(site).as_micros()).unwrap_or(u64::MAX);
        self.rtt_us.store(us.max(1), Ordering::Relaxed);
    }

    /// The site's time to its first byte.
    pub(crate) fn first_byte(&self, site: &str) -> Duration {
        self.latency.first_byte(site)
    }
}

impl Pace {
    /// Waits before a write that answers the client.
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.heard && self.wait.is_none() {
            self.heard = false;
            let rtt = match self.rtt_us.load(Ordering::Relaxed) {
                0 => Duration::from_secs_f64(self.latency.rtt.median_ms / 1000.0),
                us => Duration::from_micros(us),
            };
            let mut wait = if self.flights == 0 { rtt * 2 } else { rtt };
            if self.latency.lost(self.connection, self.flights) {
                wait += self.latency.rto;
            }
            self.flights += 1;
            self.wait = Some(Box::pin(tokio::time::sleep(wait)));
        }
        if let Some(w) = &mut self.wait {
            ready!(w.as_mut().poll(cx));
            self.wait = None;
        }
        Poll::Ready(())
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Paced<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = ready!(Pin::new(&mut self.io).poll_read(cx, buf));
        if buf.filled().len() > before {
            if let Some(p) = &mut self.pace {
                p.heard = true;
            }
        }
        Poll::Ready(r)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Paced<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if let Some(p) = &mut self.pace {
            ready!(p.poll_ready(cx));
        }
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        if let Some(p) = &mut self.pace {
            ready!(p.poll_ready(cx));
        }
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quantile(mut v: Vec<Duration>, q: f64) -> Duration {
        v.sort_unstable();
        let i = ((v.len() - 1) as f64 * q).round() as usize;
        v[i]
    }

    #[test]
    fn profiles_draw_their_spreads_and_the_same_again() {
        for (name, median, low, high) in [
            ("mainland", 40.0, 10.0, 600.0),
            ("overseas", 180.0, 60.0, 1_000.0),
            ("overseas,rtt=100", 100.0, 60.0, 1_000.0),
        ] {
            let l = Latency::profile(name, 7).expect("a profile");
            let rtts: Vec<Duration> = (0..4000).map(|i| l.rtt(&format!("s{i}.cn"))).collect();
            let mid = quantile(rtts.clone(), 0.5).as_secs_f64() * 1000.0;
            assert!((mid / median - 1.0).abs() < 0.1, "{name}: median {mid} ms");
            for r in &rtts {
                let ms = r.as_secs_f64() * 1000.0;
                assert!((low..=high).contains(&ms), "{name}: {ms} ms");
            }
            // Fixed by the seed and the name.
            assert_eq!(l.rtt("s1.cn"), l.rtt("s1.cn"));
            assert_eq!(l.dns_delay("www.s1.cn"), l.dns_delay("www.s1.cn"));
            let again = Latency::profile(name, 7).expect("a profile");
            assert_eq!(l.rtt("s9.cn"), again.rtt("s9.cn"));
            // A long tail: the slowest tenth is well above the median.
            assert!(quantile(rtts, 0.9).as_secs_f64() * 1000.0 > mid * 1.5);
        }
        let l = Latency::profile("mainland", 7).expect("a profile");
        let lost = (0..20_000).filter(|&c| l.lost(c, 0)).count();
        assert!((50..=150).contains(&lost), "0.5 % of 20,000: {lost}");
    }

    #[test]
    fn a_bad_profile_is_refused_with_the_reason() {
        for (text, why) in [
            ("lunar", "no such profile"),
            ("", "no profile named"),
            ("mainland,rtt", "is not KEY=VALUE"),
            ("mainland,rtt=fast", "is not a number"),
            ("mainland,rtt=0", "must be above 0 ms"),
            ("mainland,loss=0.9", "share from 0 to 0.5"),
            ("mainland,jitter=3", "no setting"),
        ] {
            let e = Latency::profile(text, 1).expect_err(text).to_string();
            assert!(e.contains(why), "{text}: {e}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_paced_connection_answers_after_two_round_trips_then_one() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let l = Arc::new(Latency::profile("mainland,loss=0", 1).expect("a profile"));
        let rtt = l.rtt("s1.cn");
        let (client, server) = tokio::io::duplex(1024);
        let mut server = Paced::new(server, Some(&l));
        server.rtt_cell().expect("paced").set("s1.cn");
        let (mut cr, mut cw) = tokio::io::split(client);
        let start = tokio::time::Instant::now();
        let mut buf = [0u8; 4];
        for (round, trips) in [(0, 2), (1, 1), (2, 1)] {
            cw.write_all(b"ping").await.expect("write");
            server.read_exact(&mut buf).await.expect("read");
            let sent = tokio::time::Instant::now();
            // Two writes of one answer: only the first waits.
            server.write_all(b"po").await.expect("write");
            server.write_all(b"ng").await.expect("write");
            cr.read_exact(&mut buf).await.expect("read");
            assert_eq!(&buf, b"pong");
            // Tokio's timer counts whole milliseconds.
            let waited = sent.elapsed();
            let owed = rtt * trips;
            assert!(
                waited >= owed && waited <= owed + Duration::from_millis(1),
                "round {round}: {waited:?} for {owed:?}"
            );
        }
        let waited = start.elapsed();
        assert!(waited >= rtt * 4 && waited <= rtt * 4 + Duration::from_millis(3));
        // No latency: nothing waits.
        let (client, server) = tokio::io::duplex(64);
        let mut server = Paced::new(server, None);
        assert!(server.rtt_cell().is_none());
        let (mut cr, _cw) = tokio::io::split(client);
        let t = tokio::time::Instant::now();
        server.write_all(b"x").await.expect("write");
        cr.read_exact(&mut buf[..1]).await.expect("read");
        assert_eq!(t.elapsed(), Duration::ZERO);
    }
}
