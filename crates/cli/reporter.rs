//! Progress on a terminal (indicatif): sites done, rate, ETA, errors. Silent when stderr is
//! not a terminal or with --quiet. The run's messages (a stop, a resume's clean-up) go to
//! stderr.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use beian_pipeline::Reporter;
use beian_types::{SiteRow, SiteStatus};
use indicatif::{ProgressBar, ProgressState, ProgressStyle};

pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    problems: AtomicU64,
}

impl Progress {
    pub(crate) fn new(total: Option<u64>, quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = total.map_or_else(ProgressBar::no_length, ProgressBar::new);
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} sites, {rate}, ETA {eta}, {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                // A closed terminal is not the audit's concern.
                let _shown = w.write_str(&rate(s.per_sec()));
            });
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

    fn audited_again(&self, lines: u64) {
        eprintln!(
            "beian: resume: {lines} site(s) the audit's own network failed are audited again"
        );
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
            b.set_message(problems(self.problems.load(Ordering::Relaxed)));
        }
    }
}

/// Sites per second as people read it: a whole number (`102 sites/s`), one decimal below 10.
fn rate(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        "0 sites/s".to_string()
    } else if per_sec < 9.95 {
        format!("{per_sec:.1} sites/s")
    } else {
        format!("{per_sec:.0} sites/s")
    }
}

/// The sites that could not be audited, in words read at a glance.
fn problems(n: u64) -> String {
    format!("{n} unreachable or invalid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_line_reads_at_a_glance() {
        assert_eq!(rate(102.300_7), "102 sites/s");
        assert_eq!(rate(3.26), "3.3 sites/s");
        assert_eq!(rate(0.0), "0 sites/s");
        assert_eq!(rate(f64::NAN), "0 sites/s");
        assert_eq!(problems(209), "209 unreachable or invalid");
    }
}
