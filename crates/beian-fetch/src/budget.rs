//! A probe's time budget: the deadline of its network work, moved later by waiting, and the
//! rule that a phase timeout firing once the budget is spent is the budget's.

use std::future::Future;
use std::time::{Duration, Instant};

use beian_types::ErrorClass;

use crate::FetchError;

/// A probe's time budget: network work must end by `deadline`, which waiting for a permit or
/// a request slot moves later.
pub(crate) struct Budget {
    pub(crate) deadline: Instant,
    pub(crate) total: Duration,
}

impl Budget {
    pub(crate) fn extend(&mut self, waited: Duration) {
        self.deadline += waited;
    }

    /// Runs `work` unless the budget runs out first. A phase timeout of `work` that fired
    /// once the budget was spent is the budget's ([`Budget::claim`]).
    pub(crate) async fn run<T>(
        &self,
        work: impl Future<Output = Result<T, FetchError>>,
    ) -> Result<T, FetchError> {
        match tokio::time::timeout_at(self.deadline.into(), work).await {
            Ok(r) => r.map_err(|e| self.claim(e)),
            Err(_) => Err(self.exceeded()),
        }
    }

    pub(crate) fn exceeded(&self) -> FetchError {
        FetchError::new(
            ErrorClass::TotalTimeout,
            format!("probe exceeded {:?}", self.total),
        )
    }

    /// A phase timeout that fired once the budget was spent is the budget's: the two timers
    /// can expire in the same tick, and the inner one is seen first.
    pub(crate) fn claim(&self, e: FetchError) -> FetchError {
        let phase_timeout = matches!(
            e.class,
            ErrorClass::ConnectTimeout
                | ErrorClass::TlsTimeout
                | ErrorClass::HttpTimeout
                | ErrorClass::BodyTimeout
        );
        if phase_timeout && Instant::now() >= self.deadline {
            self.exceeded()
        } else {
            e
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phase_timeout_after_the_budget_is_the_budget_s() {
        let spent = Budget {
            deadline: Instant::now(),
            total: Duration::from_secs(4),
        };
        let body = || FetchError::new(ErrorClass::BodyTimeout, "body");
        assert_eq!(spent.claim(body()).class, ErrorClass::TotalTimeout);
        // Other failures keep their class.
        let broken = FetchError::new(ErrorClass::HttpProtocol, "closed");
        assert_eq!(spent.claim(broken).class, ErrorClass::HttpProtocol);
        // Before the deadline a phase timeout is the phase's.
        let fresh = Budget {
            deadline: Instant::now() + Duration::from_secs(60),
            total: Duration::from_secs(60),
        };
        assert_eq!(fresh.claim(body()).class, ErrorClass::BodyTimeout);
    }
}
