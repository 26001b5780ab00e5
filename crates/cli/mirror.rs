//! `beian report` over runs in object storage (`s3://…`, `gs://…`): what the report reads —
//! the runs' records (`run.json`, `_SUCCESS.json`) and `sites` parts, the reported run's
//! `findings` for the exports — is brought to a local mirror first (a history's tables only
//! for the runs the report reads: the reported one, the one compared, the trend's), the report
//! is made from the mirror, and its files go up beside the run (`RUN/report/`) or to `--out`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use beian_store::{Remote, is_remote};

use crate::args::ReportArgs;

/// A report's inputs brought down from object storage.
pub(crate) struct Mirrored {
    /// The report's arguments with the mirror's local paths.
    pub(crate) args: ReportArgs,
    /// Where the report's files go up (`None`: `--out` is local).
    pub(crate) upload: Option<Remote>,
    dir: tempfile::TempDir,
}

impl Mirrored {
    /// The object-storage URL a mirrored path stands for (other paths as they are).
    pub(crate) fn url_of(&self, local: &Path) -> PathBuf {
        let Ok(rest) = local.strip_prefix(self.dir.path()) else {
            return local.to_path_buf();
        };
        let mut parts = rest.iter().map(|p| p.to_string_lossy().into_owned());
        let scheme = parts.next().unwrap_or_default();
        PathBuf::from(format!(
            "{scheme}://{}",
            parts.collect::<Vec<_>>().join("/")
        ))
    }

    /// The local directory the report is written to before it goes up.
    pub(crate) fn staging(&self) -> PathBuf {
        self.dir.path().join(".report")
    }
}

fn remote_str(p: Option<&PathBuf>) -> Option<String> {
    p.and_then(|p| p.to_str())
        .filter(|s| is_remote(s))
        .map(|s| s.trim_end_matches('/').to_string())
}

/// Brings what a report of `a` reads down from object storage; `None` when nothing is there.
pub(crate) async fn mirror(a: &ReportArgs) -> Result<Option<Mirrored>> {
    let (run, compare, history, out) = (
        remote_str(a.run.as_ref()),
        remote_str(a.compare.as_ref()),
        remote_str(a.history.as_ref()),
        remote_str(a.out.as_ref()),
    );
    if run.is_none() && compare.is_none() && history.is_none() && out.is_none() {
        return Ok(None);
    }
    let dir = tempfile::Builder::new()
        .prefix("beian-report-")
        .tempdir()
        .context("creating a local mirror")?;
    let local_of = |url: &str| dir.path().join(url.replacen("://", "/", 1));
    let records = beian_run::layout::is_record;
    let exports = a.split_by.is_some();
    let tables = move |rel: &str, findings: bool| {
        let table = |t: &str| rel.contains(&format!("{t}/"));
        records(rel)
            || table(beian_run::layout::SITES)
            || (findings && table(beian_run::layout::FINDINGS))
    };
    for (url, findings) in [(&run, exports), (&compare, false)] {
        if let Some(u) = url {
            Remote::open(u)?
                .pull(&local_of(u), |rel| tables(rel, findings))
                .await?;
        }
    }
    let mut args = a.clone();
    args.run = run.as_deref().map(local_of).or(args.run);
    args.compare = compare.as_deref().map(local_of).or(args.compare);
    if let Some(u) = &history {
        let root = local_of(u);
        let store = Remote::open(u)?;
        // The records first; then the tables of the runs this report reads.
        store.pull(&root, records).await?;
        args.history = Some(root.clone());
        let (current, compared, earlier) = crate::report::report_runs(&args)?;
        let keep = args.trend.saturating_sub(1);
        let mut wanted: Vec<(PathBuf, bool)> = earlier
            .iter()
            .skip(earlier.len().saturating_sub(keep))
            .map(|r| (r.dir.clone(), false))
            .collect();
        wanted.extend(compared.map(|c| (c, false)));
        wanted.push((current, exports));
        for (local, findings) in wanted {
            if let Ok(rel) = local.strip_prefix(&root) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                store
                    .join(&rel)
                    .pull(&local, |r| tables(r, findings))
                    .await?;
            }
        }
    }
    let mirrored = Mirrored {
        args,
        upload: None,
        dir,
    };
    // Where the files go: a remote --out, else beside a remote run.
    let upload = match (&out, &a.out) {
        (Some(u), _) => Some(u.clone()),
        (None, None) => {
            let (current, _, _) = crate::report::report_runs(&mirrored.args)?;
            let url = mirrored.url_of(&current);
            url.to_str()
                .filter(|u| is_remote(u))
                .map(|u| format!("{u}/report"))
        }
        (None, Some(_)) => None,
    };
    let upload = upload.map(|u| Remote::open(&u)).transpose()?;
    Ok(Some(Mirrored { upload, ..mirrored }))
}

/// Puts every file of the local directory `from` under `to`.
pub(crate) async fn upload(from: &Path, to: &Remote) -> Result<Vec<String>> {
    let mut done = Vec::new();
    let mut stack = vec![from.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let path = e
                .with_context(|| format!("reading {}", d.display()))?
                .path();
            if path.is_dir() {
                stack.push(path);
            } else if let Some(rel) = beian_store::relative(from, &path) {
                to.put_file(&rel, &path).await?;
                done.push(rel);
            }
        }
    }
    Ok(done)
}
