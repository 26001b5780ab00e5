//! Progress on a terminal (indicatif): sites done, rate, ETA, errors. Silent when stderr is
//! not a terminal or with --quiet. The run's messages (a stop, a resume's clean-up) go to
//! stderr.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use beian_pipeline::Reporter;
use beian_types::{SiteRow, SiteStatus};
use indicatif::{ProgressBar, ProgressStyle};

pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    problems: AtomicU64,
}

impl Progress {
    pub(crate) fn new(total: Option<u64>, quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = total.map_or_else(ProgressBar::no_length, ProgressBar::new);
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} sites {per_sec} ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Progress {
            bar,
            problems: AtomicU64::new(0),
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Reporter for Progress {
    fn stopping(&self, drain: Duration) {
        eprintln!(
            "\nbeian: interrupted: finishing the sites in flight (at most {} s; Ctrl-C again \
             to stop them now), then closing the output; `--resume` finishes the run",
            drain.as_secs()
        );
    }

    fn part_removed(&self, path: &Path) {
        eprintln!("beian: resume: removed unfinished part {}", path.display());
    }

    fn resumed(&self, lines: u64) {
        if let (Some(b), Some(len)) = (&self.bar, self.bar.as_ref().and_then(ProgressBar::length)) {
            b.set_length(len.saturating_sub(lines));
        }
    }

    fn site_done(&self, row: &SiteRow) {
        if matches!(row.status, SiteStatus::InputError | SiteStatus::Unreachable) {
            self.problems.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(b) = &self.bar {
            b.inc(1);
            b.set_message(format!(
                "{} unreachable/invalid",
                self.problems.load(Ordering::Relaxed)
            ));
        }
    }
}
