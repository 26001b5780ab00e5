//! The report job: a built [`Report`] written as its files — `report.json` (the model,
//! streamed), `report.html`, the exports per owner or province, and the digest `report.md` —
//! in one directory; what was written comes back typed, the digest and its title with it.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::export::{ExportError, SplitBy, failures, write_exports};
use crate::html::{HtmlError, html};
use crate::labels::Lang;
use crate::load::{LoadError, RunData};
use crate::markdown::{markdown, title};
use crate::model::Report;

/// How the report's files are written.
#[derive(Debug, Clone)]
pub struct ReportFiles<'a> {
    /// The directory they go to (made when missing).
    pub dir: &'a Path,
    /// Their language.
    pub lang: Lang,
    /// The exports' grouping (`--split-by`), when wanted.
    pub split: Option<SplitBy>,
    /// Where the digest says the full report is, when not at its local path (a bucket's
    /// URL).
    pub page_url: Option<String>,
}

/// What the report job wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// `report.json`.
    pub json: PathBuf,
    /// `report.html`.
    pub html: PathBuf,
    /// `report.md`, the digest.
    pub markdown: PathBuf,
    /// The exports (`--split-by`).
    pub exports: Vec<PathBuf>,
    /// The digest's text.
    pub digest: String,
    /// The digest's title (its first line, without the Markdown heading).
    pub title: String,
}

/// Writing the report failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A file or the directory could not be written.
    #[error("writing {path}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The page could not be rendered.
    #[error(transparent)]
    Html(#[from] HtmlError),
    /// The run's findings could not be read for the exports.
    #[error("reading the findings of {run}")]
    Findings {
        /// The run directory.
        run: String,
        /// Why.
        #[source]
        source: LoadError,
    },
    /// The exports could not be written.
    #[error(transparent)]
    Export(#[from] ExportError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes `report` of the run `now` as `files` says.
pub fn write_report(
    report: &Report,
    now: &RunData,
    files: &ReportFiles<'_>,
) -> Result<Written, WriteError> {
    let dir = files.dir;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let json = dir.join("report.json");
    // Streamed: a million sites make a report.json of ~80 MB.
    let write_json = || -> std::io::Result<()> {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&json)?);
        serde_json::to_writer_pretty(&mut w, report)?;
        w.write_all(b"\n")?;
        w.flush()
    };
    write_json().map_err(io(&json))?;
    let page = dir.join("report.html");
    std::fs::write(&page, html(report, files.lang)?).map_err(io(&page))?;
    let exports = match files.split {
        Some(split) => {
            let failures =
                failures(now, split, files.lang).map_err(|source| WriteError::Findings {
                    run: now.info.dir.display().to_string(),
                    source,
                })?;
            write_exports(dir, report, &failures, split, files.lang)?
        }
        None => Vec::new(),
    };
    let md = dir.join("report.md");
    let shown = files
        .page_url
        .clone()
        .unwrap_or_else(|| page.display().to_string());
    let digest = markdown(report, files.lang, &shown);
    std::fs::write(&md, &digest).map_err(io(&md))?;
    Ok(Written {
        json,
        html: page,
        markdown: md,
        exports,
        digest,
        title: title(report, files.lang),
    })
}
