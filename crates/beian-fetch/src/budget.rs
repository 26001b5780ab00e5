//! A probe's time budget: the deadline of its network work, moved later by waiting, and the
//! rule that a phase timeout firing once the budget is spent is the budget's.

use std::future::Future;
use std::time::Duration;

use beian_types::ErrorClass;
use tokio::time::Instant;

use crate::FetchError;

/// A probe's time budget: network work must end by `deadline`, which waiting for a permit or
/// a request slot moves later.
pub(crate) struct Budget {
    pub(crate) deadline: Instant,
    pub(crate) total: Duration,
}

impl Budget {
    /// A budget of `total` from now.
    pub(crate) fn starting(total: Duration) -> Budget {
        Budget {
            deadline: Instant::now() + total,
            total,
        }
    }

    pub(crate) fn extend(&mut self, waited: Duration) {
        self.deadline += waited;
    }

    /// Runs `work` unless the budget runs out first. A phase timeout of `work` that fired
    /// once the budget was spent is the budget's ([`Budget::claim`]).
    pub(crate) async fn run<T>(
        &self,
        work: impl Future<Output = Result<T, FetchError>>,
    ) -> Result<T, FetchError> {
        match tokio::time::timeout_at(self.deadline, work).await {
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

    /// In paused time: the budget ends work at its deadline, and waiting moves the deadline.
    #[tokio::test(start_paused = true)]
    async fn work_ends_at_the_deadline_that_waiting_moved() {
        let mut budget = Budget {
            deadline: Instant::now() + Duration::from_secs(4),
            total: Duration::from_secs(4),
        };
        budget.extend(Duration::from_secs(1));
        let started = Instant::now();
        let never = async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok::<(), FetchError>(())
        };
        let err = budget.run(never).await.unwrap_err();
        assert_eq!(err.class, ErrorClass::TotalTimeout);
        assert_eq!(err.message, "probe exceeded 4s");
        assert_eq!(Instant::now() - started, Duration::from_secs(5));
        // Work that ends in time keeps its result.
        let mut budget = Budget {
            deadline: Instant::now() + Duration::from_secs(4),
            total: Duration::from_secs(4),
        };
        budget.extend(Duration::ZERO);
        let quick = async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            Ok::<u8, FetchError>(7)
        };
        assert_eq!(budget.run(quick).await, Ok(7));
    }
}
