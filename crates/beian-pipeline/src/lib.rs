//! The run, in flow order: input lines are read lazily ([`beian_input`]), each site is
//! audited in its own task under a concurrency bound ([`schedule`]: resolve → fetch →
//! extract → judge, in [`Auditor`]), and exactly one [`SiteReport`](beian_types::SiteReport) per input line goes to the
//! run directory's writer ([`beian_run`]) behind a bounded channel, with checkpoints,
//! resuming and a clean stop on request ([`job`]). A site task that fails still yields a row
//! (`internal`). The binary only chooses the settings, shows progress and prints the summary.
#![deny(missing_docs)]

mod assemble;
mod audit;
mod canary;
mod evidence;
mod finalize;
pub mod job;
pub mod remote;
pub mod schedule;
mod upstream;

pub use audit::{Auditor, BuildError, Judging, NetConfig, RenderMode, RenderOptions};
pub use canary::Canary;
pub use finalize::{FinalizeRunError, finalize_run};
pub use job::{Job, JobError, Output, RenderJob, RunReport, Tally, run_job, stop_on};
pub use schedule::{AuditSite, Control, RunStats, run};
pub use upstream::DnsForRedirects;

use std::path::Path;
use std::time::Duration;

use beian_types::SiteRow;

pub use beian_types::now_us;

/// Progress callbacks; the binary implements them with a progress bar and messages.
pub trait Reporter: Send + Sync {
    /// A site's report is complete (called before it is handed to the writer).
    fn site_done(&self, row: &SiteRow);
    /// A stop was asked for: the sites in flight get `drain` to finish.
    fn stopping(&self, _drain: Duration) {}
    /// Resuming removed an unfinished part file of the interrupted run.
    fn part_removed(&self, _path: &Path) {}
    /// Resuming: `lines` input lines were done by the interrupted run and are skipped.
    fn resumed(&self, _lines: u64) {}
    /// Resuming: `lines` input lines the audit's own network had lost (their rows said so)
    /// were taken out of the run, to be audited again.
    fn audited_again(&self, _lines: u64) {}
}

/// How much work runs at once, resolved once from `--concurrency N` (sites audited at once).
///
/// Each site runs up to four probes (apex and www, https and http), so `N` sites fill `4N`
/// probe slots. Sites hold *working* slots; a site whose probe must wait for a busy server
/// address moves to a *parked* slot so that sites on other addresses can work meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// Probes in flight at most (the fetcher's request slots): `4N`.
    pub probes: usize,
    /// Sites working at once: `4N`, so that sites waiting for a busy shared address leave
    /// the probe slots to sites on other addresses.
    pub working: usize,
    /// Sites parked (waiting for a busy address) at most: `16N`.
    pub parked: usize,
}

impl Capacity {
    /// Probes a site runs at most: apex and www, https and http.
    pub const PROBES_PER_SITE: usize = 4;

    /// The capacity for `sites` audited at once (`--concurrency`).
    pub fn for_sites(sites: usize) -> Capacity {
        let sites = sites.max(1);
        let working = sites * Self::PROBES_PER_SITE;
        Capacity {
            probes: working,
            working,
            parked: working * 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_scales_from_the_flag() {
        let c = Capacity::for_sites(64);
        assert_eq!((c.probes, c.working, c.parked), (256, 256, 1024));
        assert_eq!(Capacity::for_sites(0), Capacity::for_sites(1));
    }
}
