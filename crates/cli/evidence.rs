//! `beian evidence RUN DOMAIN`: what a run kept of a domain's HTTP exchanges (docs/SCHEMA.md,
//! "Evidence") and its screenshots — one entry per captured page — and, with `--extract`, one
//! response as it was recorded (headers, body, or both) or the page's screenshot, checked
//! against the SHA-256 the run stored: the thing a compliance officer attaches to a ticket. A run in object storage is read from
//! a local copy of its `fetches` table and of the one evidence part extracted from.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use beian_run::{CapturedProbe, layout};
use beian_store::{Remote, is_remote};

use crate::args::{EvidenceArgs, EvidencePart};

pub(crate) async fn evidence_cmd(a: &EvidenceArgs) -> Result<std::process::ExitCode> {
    // The domain as the run's rows spell it: normalised as the input's lines are.
    let domain = beian_input::normalise_domain(&a.domain)
        .map(|t| t.domain)
        .with_context(|| format!("{:?}: not a domain name", a.domain))?;
    // A run in object storage: its `fetches` parts (and below, one evidence part) come down.
    let staging;
    let (dir, remote) = if is_remote(&a.run) {
        staging = tempfile::Builder::new()
            .prefix("beian-evidence-")
            .tempdir()
            .context("making a local directory for the run's files")?;
        let remote = Remote::open(a.run.trim_end_matches('/'))?;
        let fetches = format!("{}/", layout::FETCHES);
        remote
            .pull(staging.path(), |rel| rel.starts_with(&fetches))
            .await?;
        (staging.path().to_path_buf(), Some(remote))
    } else {
        (PathBuf::from(&a.run), None)
    };
    if !dir.join(layout::FETCHES).is_dir() {
        bail!("{}: not a run directory (no {}/)", a.run, layout::FETCHES);
    }
    let probes = beian_run::captured(&dir, &domain)?;
    let Some(which) = &a.extract else {
        print_list(&a.run, &domain, &probes);
        return Ok(std::process::ExitCode::SUCCESS);
    };
    let probe = chosen(&probes, which).with_context(|| {
        format!(
            "{domain}: no captured response {which:?} in {} (`beian evidence {} {domain}` lists them)",
            a.run, a.run
        )
    })?;
    let (bytes, said) = if a.part == EvidencePart::Screenshot {
        let (path, sha256) = probe.screenshot.as_ref().with_context(|| {
            format!(
                "{}: no screenshot of this page (--screenshots)",
                probe.final_url
            )
        })?;
        let png = beian_run::read_screenshot(std::path::Path::new(path), sha256)?;
        (
            png,
            format!(
                "{} screenshot {path}, SHA-256 {sha256} as the run stored it",
                probe.final_url
            ),
        )
    } else {
        let r = probe.record.as_ref().with_context(|| {
            format!(
                "{}: its response is not in the evidence (--evidence)",
                probe.final_url
            )
        })?;
        if let Some(remote) = &remote {
            remote.pull(&dir, |rel| rel == r.file).await?;
        }
        let record = beian_run::read_response(&dir, r)?;
        let (head, body) = record.http();
        let bytes = match a.part {
            EvidencePart::Headers => head.to_vec(),
            EvidencePart::Body => body.to_vec(),
            _ => [head, body].concat(),
        };
        let said = format!(
            "{} {} {} (recorded {}), body SHA-256 {} as the run stored it",
            probe.final_url,
            r.file,
            r.id,
            record.field("WARC-Date").unwrap_or("?"),
            r.page_sha256
        );
        (bytes, said)
    };
    match &a.output {
        Some(path) => {
            std::fs::write(path, &bytes).with_context(|| format!("writing {}", path.display()))?
        }
        None => std::io::stdout()
            .write_all(&bytes)
            .context("writing to standard output")?,
    }
    eprintln!("{said}");
    Ok(std::process::ExitCode::SUCCESS)
}

/// The probe `which` names: its number in the listing (from 1), or its record id (with or
/// without the angle brackets).
fn chosen<'p>(probes: &'p [CapturedProbe], which: &str) -> Option<&'p CapturedProbe> {
    if let Ok(n) = which.parse::<usize>() {
        return n.checked_sub(1).and_then(|i| probes.get(i));
    }
    let bare = |id: &str| id.trim_start_matches('<').trim_end_matches('>').to_string();
    probes.iter().find(|p| {
        p.record
            .as_ref()
            .is_some_and(|r| bare(&r.id) == bare(which))
    })
}

fn print_list(run: &str, domain: &str, probes: &[CapturedProbe]) {
    if probes.is_empty() {
        println!(
            "{domain}: nothing captured in {run} (the run keeps the pages of failing and warning verdicts unless --evidence all)"
        );
        return;
    }
    println!("{domain}: {} captured pages in {run}", probes.len());
    for (i, p) in probes.iter().enumerate() {
        let status = p.status.map_or("-".to_string(), |s| s.to_string());
        println!(
            "{:>3}  {} {:<5} {} -> {} ({status})",
            i + 1,
            p.host,
            p.scheme,
            p.url,
            p.final_url
        );
        if let Some(r) = &p.record {
            println!(
                "     response {} {} @{}  sha256 {}",
                r.file, r.id, r.offset, r.page_sha256
            );
        }
        if let Some((path, sha256)) = &p.screenshot {
            println!("     screenshot {path}  sha256 {sha256}");
        }
    }
    println!(
        "extract one: beian evidence {run} {domain} --extract N [--part response|headers|body|screenshot] [--output FILE]"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(id: &str) -> CapturedProbe {
        CapturedProbe {
            host: "a.cn".into(),
            scheme: "https".into(),
            url: "https://a.cn/".into(),
            final_url: "https://a.cn/".into(),
            status: Some(200),
            record: Some(beian_run::RecordRef {
                file: "evidence/part-00000.warc.gz".into(),
                id: id.into(),
                offset: 0,
                page_sha256: String::new(),
            }),
            screenshot: None,
        }
    }

    #[test]
    fn a_probe_is_chosen_by_number_or_record_id() {
        let probes = [probe("<urn:uuid:a>"), probe("<urn:uuid:b>")];
        assert_eq!(chosen(&probes, "2"), Some(&probes[1]));
        assert_eq!(chosen(&probes, "urn:uuid:a"), Some(&probes[0]));
        assert_eq!(chosen(&probes, "<urn:uuid:b>"), Some(&probes[1]));
        assert_eq!(chosen(&probes, "0"), None);
        assert_eq!(chosen(&probes, "3"), None);
    }
}
