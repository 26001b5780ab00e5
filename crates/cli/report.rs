//! `beian report`: a run (or a history's latest) compared with the one before it, written as
//! the report's files (`beian_report::write_report`), its digest printed and posted to chat
//! webhooks; runs in object storage are read from a local mirror.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use beian_run::history;

use crate::args::{self, NotifyFormat, ReportArgs};
use crate::mirror;

/// Entries of each list of the report model a JSON webhook receives.
const NOTIFY_LIST_MAX: usize = 100;

/// The runs a report is about: the current run directory, the one it is compared with, and
/// the complete runs of the history before the current one (oldest first).
pub(crate) fn report_runs(
    a: &ReportArgs,
) -> Result<(PathBuf, Option<PathBuf>, Vec<history::HistoryRun>)> {
    let complete: Vec<history::HistoryRun> = match &a.history {
        Some(root) => history::runs(root)?
            .into_iter()
            .filter(|r| r.complete)
            .collect(),
        None => Vec::new(),
    };
    let current = match (&a.run, &a.history) {
        (Some(run), _) => run.clone(),
        (None, Some(root)) => match complete.last() {
            Some(r) => r.dir.clone(),
            None => bail!("no complete run under {}", root.display()),
        },
        (None, None) => bail!("name a run directory, or --history ROOT"),
    };
    let at = complete
        .iter()
        .position(|r| r.dir == current)
        .unwrap_or(complete.len());
    let earlier: Vec<history::HistoryRun> = complete.into_iter().take(at).collect();
    let compared = match &a.compare {
        Some(dir) => Some(dir.clone()),
        // The latest complete run before the current one.
        None => earlier.last().map(|r| r.dir.clone()),
    };
    Ok((current, compared, earlier))
}

pub(crate) async fn report_cmd(a: &ReportArgs) -> Result<ExitCode> {
    // Runs in object storage are read from a local mirror.
    let mirrored = mirror::mirror(a).await?;
    let a = mirrored.as_ref().map_or(a, |m| &m.args);
    let (current, compared, earlier) = report_runs(a)?;
    // The report names the runs where they are, not where they were mirrored.
    let shown = |dir: &Path| {
        mirrored
            .as_ref()
            .map_or(dir.to_path_buf(), |m| m.url_of(dir))
    };
    let now = beian_report::load_run(&current)
        .with_context(|| format!("reading run {}", shown(&current).display()))?;
    let before = compared
        .as_ref()
        .map(|dir| {
            beian_report::load_run(dir)
                .with_context(|| format!("reading run {}", shown(dir).display()))
        })
        .transpose()?;
    // A run the audit's own network failed in would read as the fleet going down.
    let lost = now.network_failures();
    if let (true, Some(dir)) = (lost > 0, &compared) {
        bail!(
            "run {} has {lost} sites the audit could not check: its own network failed \
             (error class audit_network); compared with {} they would read as the fleet going \
             down. Once the network is back, `beian audit --resume` audits them again; then report",
            shown(&current).display(),
            shown(dir).display()
        );
    }
    let mut report = beian_report::build(&now, before.as_ref());
    if a.history.is_some() {
        beian_report::add_history(&mut report, &earlier, a.trend)
            .context("reading the history's earlier runs")?;
    }
    if mirrored.is_some() {
        report.set_dirs(shown(&current), compared.as_deref().map(shown));
    }
    let upload = mirrored
        .as_ref()
        .and_then(|m| m.upload.clone().map(|u| (m.staging(), u)));
    let dir = match &upload {
        Some((staging, _)) => staging.clone(),
        None => a.out.clone().unwrap_or_else(|| current.join("report")),
    };
    let lang = match a.lang {
        args::Lang::Zh => beian_report::Lang::Zh,
        args::Lang::En => beian_report::Lang::En,
    };
    let split = a.split_by.map(|s| match s {
        args::SplitBy::Owner => beian_report::SplitBy::Owner,
        args::SplitBy::Province => beian_report::SplitBy::Province,
    });
    let written = beian_report::write_report(
        &report,
        &now,
        &beian_report::ReportFiles {
            dir: &dir,
            lang,
            split,
            page_url: upload
                .as_ref()
                .map(|(_, to)| format!("{}/report.html", to.url())),
        },
    )?;
    if let Some((staging, to)) = &upload {
        mirror::upload(staging, to).await?;
    }
    {
        let mut stdout = std::io::stdout().lock();
        // A closed pipe is not the report's concern: the files are written.
        let _shown = write!(stdout, "{}", written.digest).and_then(|()| stdout.flush());
    }
    if a.notify.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    let notifier = beian_notify::Notifier::new(Vec::new(), &[])?;
    // A webhook takes the model with its lists cut; report.json holds them whole.
    let model =
        serde_json::to_value(report.abridged(NOTIFY_LIST_MAX)).context("serialising the report")?;
    let mut failed = false;
    for url in &a.notify {
        let format = match a.notify_format {
            NotifyFormat::Auto => beian_notify::Format::for_url(url),
            NotifyFormat::Dingtalk => beian_notify::Format::DingTalk,
            NotifyFormat::Wecom => beian_notify::Format::WeCom,
            NotifyFormat::Feishu => beian_notify::Format::Feishu,
            NotifyFormat::Json => beian_notify::Format::Json,
        };
        let body = beian_notify::body(format, &written.title, &written.digest, &model);
        if let Err(e) = notifier.post(url, &body).await {
            eprintln!("beian: notify: {e}");
            failed = true;
        }
    }
    // The report is written either way; a scheduler sees that a notification did not go.
    Ok(if failed {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}
