//! What a history of runs adds to a report: the trend of compliant % and failing sites over
//! the last runs, and since when each still-failing site has been failing (the first run of
//! its current streak). Reads only the `status` (and for the streaks `domain`) column of each
//! earlier run, and keeps only the still-failing domains in memory.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use arrow_array::Array;
use beian_run::history::HistoryRun;
use beian_run::layout;
use beian_run::schema::col;
use beian_types::SiteStatus;
use serde::Serialize;

use crate::figures::{pct, worst_offenders};
use crate::load::{LoadError, for_each_batch, strings};
use crate::model::{Offender, Report};

/// One run of the trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    /// Its audit date.
    pub run_date: String,
    /// Its run id.
    pub run_id: String,
    /// Compliant in percent of its audited sites.
    pub compliant_pct: f64,
    /// Its failing sites.
    pub failing: u64,
}

/// Calls `each(domain, status)` for every `sites` row of the run in `dir`.
fn scan(dir: &Path, mut each: impl FnMut(Option<&str>, &str)) -> Result<(), LoadError> {
    for_each_batch(
        dir,
        layout::SITES,
        &[col::DOMAIN, col::STATUS],
        |path, batch| {
            let (domain, status) = (
                strings(path, batch, col::DOMAIN)?,
                strings(path, batch, col::STATUS)?,
            );
            for i in 0..batch.num_rows() {
                each(domain.is_valid(i).then(|| domain.value(i)), status.value(i));
            }
            Ok(())
        },
    )
}

/// Adds the history to `report`: the trend over `earlier` (complete runs before the reported
/// one, oldest first; the last `points - 1` of them) and the reported run, and the
/// `failing_since` date of every still-failing site.
pub fn add_history(
    report: &mut Report,
    earlier: &[HistoryRun],
    points: usize,
) -> Result<(), LoadError> {
    let keep = points.saturating_sub(1);
    let recent = &earlier[earlier.len().saturating_sub(keep)..];
    let mut trend = Vec::with_capacity(recent.len() + 1);
    for run in recent {
        let (mut audited, mut compliant, mut failing) = (0u64, 0u64, 0u64);
        scan(&run.dir, |_, status| {
            audited += u64::from(status != "input_error");
            compliant +=
                u64::from(SiteStatus::from_name(status).is_some_and(SiteStatus::is_compliant));
            failing += u64::from(status == "violation");
        })?;
        trend.push(TrendPoint {
            run_date: run.run_date.clone(),
            run_id: run.run_id.clone(),
            compliant_pct: pct(compliant, audited),
            failing,
        });
    }
    trend.push(TrendPoint {
        run_date: report.run.as_of.clone().unwrap_or_default(),
        run_id: report.run.run_id.clone(),
        compliant_pct: report.tiles.compliant_pct,
        failing: report.tiles.failing,
    });
    report.trend = trend;

    // Failing since: walk back while a still-failing site kept failing. The compared run is
    // the newest earlier one; every still-failing site failed in it.
    let compared_date = report.compared.as_ref().and_then(|c| c.as_of.clone());
    let mut since: HashMap<String, Option<String>> = report
        .still_failing
        .iter()
        .map(|c| (c.domain.clone(), compared_date.clone()))
        .collect();
    let mut streak: HashSet<String> = since.keys().cloned().collect();
    let compared_dir = report.compared.as_ref().map(|c| c.dir.clone());
    for run in earlier
        .iter()
        .rev()
        .filter(|r| Some(&r.dir) != compared_dir.as_ref())
    {
        if streak.is_empty() {
            break;
        }
        let mut failing_here = HashSet::new();
        scan(&run.dir, |domain, status| {
            if let Some(d) = domain.filter(|d| streak.contains(*d)) {
                if status == "violation" {
                    failing_here.insert(d.to_string());
                }
            }
        })?;
        for d in &failing_here {
            since.insert(d.clone(), Some(run.run_date.clone()));
        }
        streak = failing_here;
    }
    for c in &mut report.still_failing {
        c.failing_since = since.remove(&c.domain).flatten();
    }
    // The streaks are longer now: rank the worst offenders again. The others (streaks that
    // start in the reported run) keep their place after them.
    let others: Vec<Offender> = std::mem::take(&mut report.worst)
        .into_iter()
        .filter(|o| !report.still_failing.iter().any(|c| c.domain == o.domain))
        .collect();
    report.worst = worst_offenders(&report.still_failing, others);
    Ok(())
}
