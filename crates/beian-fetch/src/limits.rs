//! Politeness towards server addresses: one semaphore of `per_ip` permits per address, and
//! request pacing per address (`rate_per_ip`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::OnWait;

/// Request pacing per server address (`rate_per_ip`): when each address may next be sent a
/// request. Slots are handed out in order of asking, one interval apart.
pub(crate) struct Pacer {
    interval: Option<Duration>,
    next: Mutex<HashMap<IpAddr, Instant>>,
}

impl Pacer {
    pub(crate) fn new(rate: Option<f64>) -> Self {
        let interval = rate
            .filter(|r| r.is_finite() && *r > 0.0)
            .map(|r| Duration::from_secs_f64(1.0 / r));
        Pacer {
            interval,
            next: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for the next request slot of `ip`; returns how long it waited.
    pub(crate) async fn wait(&self, ip: IpAddr) -> Duration {
        let Some(interval) = self.interval else {
            return Duration::ZERO;
        };
        let now = Instant::now();
        let at = {
            // A poisoned lock only means another probe panicked; the map is still sound.
            let mut map = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            let next = map.entry(ip).or_insert(now);
            let at = (*next).max(now);
            *next = at + interval;
            at
        };
        tokio::time::sleep_until(at).await;
        at.saturating_duration_since(now)
    }
}

/// One semaphore per server address: a probe holds a permit of the address it talks to.
pub(crate) struct PerIp {
    pub(crate) limit: usize,
    pub(crate) map: Mutex<HashMap<IpAddr, Arc<tokio::sync::Semaphore>>>,
}

/// A held per-address permit and the address it is for.
pub(crate) type IpPermit = Option<(IpAddr, tokio::sync::OwnedSemaphorePermit)>;

/// What a probe holds while it talks to a server.
#[derive(Default)]
pub(crate) struct Permits {
    pub(crate) ip: IpPermit,
    pub(crate) slot: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl PerIp {
    /// The address's permit; `on_wait` is called first when it is not free at once.
    pub(crate) async fn acquire(&self, ip: IpAddr, on_wait: &OnWait<'_>) -> IpPermit {
        if self.limit == 0 {
            return None;
        }
        let sem = {
            // A poisoned lock only means another probe panicked; the map is still sound.
            let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
            map.entry(ip)
                .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(self.limit)))
                .clone()
        };
        if let Ok(p) = sem.clone().try_acquire_owned() {
            return Some((ip, p));
        }
        on_wait();
        sem.acquire_owned().await.ok().map(|p| (ip, p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In paused time: the pacer's slots are exact, whatever the machine's speed.
    #[tokio::test(start_paused = true)]
    async fn requests_to_one_address_are_paced_and_others_are_not() {
        let pacer = Pacer::new(Some(5.0));
        let (a, b): (IpAddr, IpAddr) = ([127, 0, 0, 1].into(), [127, 0, 0, 2].into());
        let start = Instant::now();
        assert_eq!(pacer.wait(a).await, Duration::ZERO);
        assert_eq!(pacer.wait(a).await, Duration::from_millis(200));
        // Another address has slots of its own.
        assert_eq!(pacer.wait(b).await, Duration::ZERO);
        assert_eq!(pacer.wait(a).await, Duration::from_millis(200));
        assert_eq!(Instant::now() - start, Duration::from_millis(400));
        // After a pause longer than the interval, the next request goes at once.
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(pacer.wait(a).await, Duration::ZERO);
        // No rate: no wait.
        assert_eq!(Pacer::new(None).wait(a).await, Duration::ZERO);
        assert_eq!(Pacer::new(Some(0.0)).wait(a).await, Duration::ZERO);
    }
}
