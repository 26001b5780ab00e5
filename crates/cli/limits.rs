//! The process's limit on open files, fitted to `--concurrency` at start (issue 32). A site
//! in flight holds up to four connections and a pooled one; past the limit a connection
//! fails as the site's fault (`connect_error`), which a compliance audit must never report.
//! So the soft limit is raised as far as the hard one allows, and where that is not far
//! enough the concurrency is lowered to fit, and the run says so.

/// Files a site in flight may hold: its four probes' connections and one kept for reuse.
const FILES_PER_SITE: u64 = 5;
/// Files the rest of the run may hold: the resolver's sockets, the Parquet and WARC parts,
/// standard streams, a browser's pipes.
const FILES_BESIDE: u64 = 256;

/// What [`fit`] settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fitted {
    /// Sites audited at once.
    pub(crate) sites: usize,
    /// The soft limit to set, when it must be raised.
    pub(crate) raise_to: Option<u64>,
}

/// The files `sites` at once may hold.
fn needed(sites: usize) -> u64 {
    u64::try_from(sites)
        .unwrap_or(u64::MAX)
        .saturating_mul(FILES_PER_SITE)
        .saturating_add(FILES_BESIDE)
}

/// `sites` at once under a soft limit `current` and a hard limit `maximum` (`None`: no
/// limit): the limit to raise to, and the sites that fit under what can be had.
pub(crate) fn plan(sites: usize, current: Option<u64>, maximum: Option<u64>) -> Fitted {
    let need = needed(sites);
    if current.is_none_or(|c| c >= need) {
        return Fitted {
            sites,
            raise_to: None,
        };
    }
    let can = maximum.map_or(need, |m| m.min(need));
    let fits = can.saturating_sub(FILES_BESIDE) / FILES_PER_SITE;
    Fitted {
        sites: usize::try_from(fits).unwrap_or(usize::MAX).clamp(1, sites),
        raise_to: (current < Some(can)).then_some(can),
    }
}

/// Raises the soft limit on open files for `sites` at once; returns the sites that fit, and
/// a note when they are fewer than asked.
pub(crate) fn fit(sites: usize) -> (usize, Option<String>) {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    let wanted = plan(sites, limit.current, limit.maximum);
    if let Some(to) = wanted.raise_to {
        let mut raised = limit;
        raised.current = Some(to);
        if setrlimit(Resource::Nofile, raised).is_ok() {
            limit = getrlimit(Resource::Nofile);
        }
    }
    // What the limit now allows (a refused raise leaves the old one).
    let got = plan(sites, limit.current, limit.current);
    let note = (got.sites < sites).then(|| {
        let show = |v: Option<u64>| v.map_or("unlimited".to_string(), |v| v.to_string());
        format!(
            "--concurrency {sites} lowered to {}: {sites} sites at once may hold {} open files, and this process may open {} (hard limit {}; raise it with `ulimit -Hn` or the service's LimitNOFILE=)",
            got.sites,
            needed(sites),
            show(limit.current),
            show(limit.maximum),
        )
    });
    (got.sites, note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_raised_as_far_as_needed_and_the_sites_fit_under_it() {
        // 1,024 sites want 5,376 files.
        let enough = plan(1024, Some(1024), Some(1 << 20));
        assert_eq!((enough.sites, enough.raise_to), (1024, Some(5376)));
        // Already enough, or no limit at all: nothing to do.
        assert_eq!(plan(1024, Some(10_000), Some(10_000)).raise_to, None);
        assert_eq!(plan(1024, None, None).raise_to, None);
        // A hard limit of 4,096: raised to it, and (4,096 − 256) / 5 = 768 sites fit.
        let capped = plan(1024, Some(1024), Some(4096));
        assert_eq!((capped.sites, capped.raise_to), (768, Some(4096)));
        // Nothing to raise to: the soft limit is the hard one.
        let stuck = plan(1024, Some(300), Some(300));
        assert_eq!((stuck.sites, stuck.raise_to), (8, None));
        // Never below one site.
        assert_eq!(plan(64, Some(100), Some(100)).sites, 1);
    }
}
