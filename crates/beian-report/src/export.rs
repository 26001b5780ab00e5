//! Exports for the people who fix things: per owner (or province), a CSV (UTF-8 with a BOM, so
//! Excel opens it as UTF-8) and a Markdown page listing that group's failing sites with the
//! rule, the evidence and the fix; and one Excel workbook with a summary sheet and a findings
//! sheet (frozen header, filters) — what gets forwarded.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use arrow_array::{Array, BooleanArray, StringArray};
use beian_run::layout;
use beian_run::schema::col;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::labels::{Lang, labels};
use crate::load::{LoadError, RunData, for_each_batch, strings};
use crate::model::Report;

/// One failing rule of one failing site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The group it belongs to (owner or province; `-` for none).
    pub group: String,
    /// The site's domain.
    pub domain: String,
    /// The host whose page failed (null for site rules).
    pub host: String,
    /// The rule id.
    pub rule_id: String,
    /// What was seen.
    pub evidence: String,
    /// What to do (in the report's language).
    pub fix: String,
}

/// What the exports are split by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitBy {
    /// The manifest's `owner`.
    Owner,
    /// The filing province.
    Province,
}

/// Writing the exports failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the run's findings failed.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A file could not be written.
    #[error("cannot write {path}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The workbook could not be written.
    #[error("cannot write the workbook {path}")]
    Workbook {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: XlsxError,
    },
}

/// The `fail` findings of the run's failing sites, with each site's group; not those an
/// exception waived (what an owner receives is what they must fix).
pub fn failures(run: &RunData, split: SplitBy, lang: Lang) -> Result<Vec<Failure>, LoadError> {
    let group: HashMap<&str, &str> = run
        .sites
        .iter()
        .filter(|s| s.status == beian_types::SiteStatus::Violation)
        .filter_map(|s| {
            let g = match split {
                SplitBy::Owner => s.owner.as_deref(),
                SplitBy::Province => s.province.as_deref(),
            };
            s.domain.as_deref().map(|d| (d, g.unwrap_or("-")))
        })
        .collect();
    let fix_col = match lang {
        Lang::Zh => col::FIX_ZH,
        Lang::En => col::FIX_EN,
    };
    let columns = [
        col::DOMAIN,
        col::HOST,
        col::RULE_ID,
        col::VERDICT,
        col::EVIDENCE,
        fix_col,
    ];
    let mut out = Vec::new();
    let mut read = columns.to_vec();
    read.extend([col::WAIVED, col::EVIDENCE_ZH]);
    for_each_batch(&run.info.dir, layout::FINDINGS, &read, |path, batch| {
        let [domain, host, rule, verdict, evidence, fix] =
            columns.map(|name| strings(path, batch, name));
        let (domain, host, rule, verdict, evidence, fix) =
            (domain?, host?, rule?, verdict?, evidence?, fix?);
        // Schema 2.11; older runs have their evidence in English only.
        let evidence = match lang {
            Lang::Zh => batch
                .column_by_name(col::EVIDENCE_ZH)
                .and_then(|c| c.as_any().downcast_ref::<StringArray>())
                .unwrap_or(evidence),
            Lang::En => evidence,
        };
        // Schema 2.10; older runs waived nothing.
        let waived = batch
            .column_by_name(col::WAIVED)
            .and_then(|c| c.as_any().downcast_ref::<BooleanArray>());
        for i in 0..batch.num_rows() {
            if verdict.value(i) != "fail" || waived.is_some_and(|w| w.is_valid(i) && w.value(i)) {
                continue;
            }
            let Some(g) = group.get(domain.value(i)) else {
                continue;
            };
            let text = |c: &StringArray| {
                if c.is_valid(i) {
                    c.value(i).to_string()
                } else {
                    String::new()
                }
            };
            out.push(Failure {
                group: (*g).to_string(),
                domain: domain.value(i).to_string(),
                host: text(host),
                rule_id: rule.value(i).to_string(),
                evidence: evidence.value(i).to_string(),
                fix: text(fix),
            });
        }
        Ok(())
    })?;
    out.sort_by(|a, b| (&a.group, &a.domain, &a.rule_id).cmp(&(&b.group, &b.domain, &b.rule_id)));
    Ok(out)
}

/// A group's name as a file name: path separators, control characters and a leading dot
/// replaced, at most 80 characters.
fn file_stem(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() || c == ':' {
                '_'
            } else {
                c
            }
        })
        .take(80)
        .collect();
    if s.starts_with('.') || s.is_empty() {
        s.insert(0, '_');
    }
    s
}

fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Write {
        path: path.display().to_string(),
        source,
    }
}

/// Writes `dir/by-<split>/<group>.csv` and `.md` for every group with failures, and
/// `dir/report.xlsx`; returns the files written.
pub fn write_exports(
    dir: &Path,
    report: &Report,
    failures: &[Failure],
    split: SplitBy,
    lang: Lang,
) -> Result<Vec<PathBuf>, ExportError> {
    let l = labels(lang);
    let sub = dir.join(match split {
        SplitBy::Owner => "by-owner",
        SplitBy::Province => "by-province",
    });
    std::fs::create_dir_all(&sub).map_err(write_err(&sub))?;
    let mut written = Vec::new();
    let header = [l.domain, l.host, l.rule, l.evidence, l.fix];
    for chunk in failures.chunk_by(|a, b| a.group == b.group) {
        let Some(first) = chunk.first() else { continue };
        let stem = file_stem(&first.group);
        let csv_path = sub.join(format!("{stem}.csv"));
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        {
            let mut w = csv::Writer::from_writer(&mut bytes);
            let rows = std::iter::once(header.map(str::to_string)).chain(chunk.iter().map(|f| {
                [
                    f.domain.clone(),
                    f.host.clone(),
                    f.rule_id.clone(),
                    f.evidence.clone(),
                    f.fix.clone(),
                ]
            }));
            for row in rows {
                w.write_record(&row).map_err(|e| ExportError::Write {
                    path: csv_path.display().to_string(),
                    source: e.into(),
                })?;
            }
            w.flush().map_err(write_err(&csv_path))?;
        }
        std::fs::write(&csv_path, bytes).map_err(write_err(&csv_path))?;
        written.push(csv_path);

        let md_path = sub.join(format!("{stem}.md"));
        let mut md = format!("# {} — {}\n\n", l.title, first.group);
        let mut sites: Vec<&str> = chunk.iter().map(|f| f.domain.as_str()).collect();
        sites.dedup();
        md.push_str(&format!("{} {}\n\n", l.failing, sites.len()));
        for site in chunk.chunk_by(|a, b| a.domain == b.domain) {
            if let Some(f) = site.first() {
                md.push_str(&format!("## {}\n\n", f.domain));
            }
            for f in site {
                md.push_str(&format!(
                    "- **{}**{}: {}\n  - {}: {}\n",
                    f.rule_id,
                    if f.host.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", f.host)
                    },
                    f.evidence,
                    l.fix,
                    f.fix
                ));
            }
            md.push('\n');
        }
        std::fs::write(&md_path, md).map_err(write_err(&md_path))?;
        written.push(md_path);
    }
    let xlsx = dir.join("report.xlsx");
    workbook(&xlsx, report, failures, split, lang).map_err(|source| ExportError::Workbook {
        path: xlsx.display().to_string(),
        source,
    })?;
    written.push(xlsx);
    Ok(written)
}

/// The workbook: a summary sheet (tiles and the groups) and a findings sheet.
fn workbook(
    path: &Path,
    report: &Report,
    failures: &[Failure],
    split: SplitBy,
    lang: Lang,
) -> Result<(), XlsxError> {
    let l = labels(lang);
    let bold = Format::new().set_bold();
    let mut book = Workbook::new();
    let summary = book.add_worksheet();
    summary.set_name(l.summary)?;
    let t = &report.tiles;
    #[expect(clippy::cast_precision_loss, reason = "site counts are far below 2^52")]
    let tiles: [(&str, f64); 9] = [
        (l.input_lines, t.sites as f64),
        (l.audited, t.audited as f64),
        (l.compliant, t.compliant as f64),
        ("%", t.compliant_pct),
        (l.with_waivers, t.compliant_with_waivers as f64),
        (l.waived, report.exceptions.waived as f64),
        (l.failing, t.failing as f64),
        (l.unverified, t.unverified as f64),
        (l.unreachable, t.unreachable as f64),
    ];
    summary.write_string_with_format(0, 0, l.title, &bold)?;
    summary.write_string(
        0,
        1,
        report
            .run
            .as_of
            .clone()
            .unwrap_or_else(|| report.run.run_id.clone()),
    )?;
    for (i, (k, v)) in tiles.iter().enumerate() {
        let row = u32::try_from(i).unwrap_or(u32::MAX) + 2;
        summary.write_string(row, 0, *k)?;
        summary.write_number(row, 1, *v)?;
    }
    let groups = match split {
        SplitBy::Owner => (&report.owners, l.owner),
        SplitBy::Province => (&report.provinces, l.province),
    };
    let top = 12;
    for (c, h) in [groups.1, l.sites, l.compliant, "%", l.failing]
        .iter()
        .enumerate()
    {
        summary.write_string_with_format(top, u16::try_from(c).unwrap_or(0), *h, &bold)?;
    }
    for (i, g) in groups.0.iter().enumerate() {
        let row = top + 1 + u32::try_from(i).unwrap_or(u32::MAX - top - 1);
        summary.write_string(row, 0, &g.name)?;
        #[expect(clippy::cast_precision_loss, reason = "site counts are far below 2^52")]
        let cells = [
            g.sites as f64,
            g.compliant as f64,
            g.compliant_pct,
            g.failing as f64,
        ];
        for (c, v) in cells.iter().enumerate() {
            summary.write_number(row, u16::try_from(c + 1).unwrap_or(0), *v)?;
        }
    }
    summary.set_column_width(0, 28)?;

    let sheet = book.add_worksheet();
    sheet.set_name(l.findings)?;
    let header = [groups.1, l.domain, l.host, l.rule, l.evidence, l.fix];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, u16::try_from(c).unwrap_or(0), *h, &bold)?;
    }
    for (i, f) in failures.iter().enumerate() {
        let row = 1 + u32::try_from(i).unwrap_or(u32::MAX - 1);
        for (c, v) in [
            &f.group,
            &f.domain,
            &f.host,
            &f.rule_id,
            &f.evidence,
            &f.fix,
        ]
        .iter()
        .enumerate()
        {
            sheet.write_string(row, u16::try_from(c).unwrap_or(0), v.as_str())?;
        }
    }
    let last = u32::try_from(failures.len()).unwrap_or(u32::MAX);
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, last, 5)?;
    for (c, w) in [16, 28, 24, 16, 60, 60].iter().enumerate() {
        sheet.set_column_width(u16::try_from(c).unwrap_or(0), *w)?;
    }
    exceptions_sheet(book.add_worksheet(), report, l, &bold)?;
    book.save(path)
}

/// The exceptions that expire within 30 days, then those that lapsed, with owner and ticket.
fn exceptions_sheet(
    sheet: &mut rust_xlsxwriter::Worksheet,
    report: &Report,
    l: &crate::labels::Labels,
    bold: &Format,
) -> Result<(), XlsxError> {
    sheet.set_name(l.exceptions_h)?;
    let header = [
        l.state,
        l.exception,
        l.owner,
        l.ticket,
        l.expires,
        l.days_left,
        l.rule,
        l.names,
        l.reason,
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, u16::try_from(c).unwrap_or(0), *h, bold)?;
    }
    let e = &report.exceptions;
    let rows = (e.expiring.iter().map(|x| (l.expiring_h, x)))
        .chain(e.lapsed.iter().map(|x| (l.lapsed_h, x)));
    let mut last = 0;
    for (i, (state, x)) in rows.enumerate() {
        let row = 1 + u32::try_from(i).unwrap_or(u32::MAX - 1);
        last = row;
        let text = [
            state,
            &x.id,
            x.owner.as_deref().unwrap_or("-"),
            x.ticket.as_deref().unwrap_or("-"),
            &x.expires,
        ];
        for (c, v) in text.iter().enumerate() {
            sheet.write_string(row, u16::try_from(c).unwrap_or(0), *v)?;
        }
        #[expect(clippy::cast_precision_loss, reason = "a count of days")]
        sheet.write_number(row, 5, x.days_left as f64)?;
        sheet.write_string(row, 6, x.rules.join(", "))?;
        sheet.write_string(row, 7, x.names.join(", "))?;
        sheet.write_string(row, 8, &x.reason)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, last, 8)?;
    for (c, w) in [24, 16, 24, 16, 12, 10, 24, 28, 60].iter().enumerate() {
        sheet.set_column_width(u16::try_from(c).unwrap_or(0), *w)?;
    }
    Ok(())
}
