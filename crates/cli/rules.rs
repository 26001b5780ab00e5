//! `beian rules [--markdown | --markers]`: the rule catalogue, and the response markers.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;

/// Prints the catalogue: a line per rule, or the rulebook's Markdown table, or the marker
/// table. A closed pipe (`beian rules | head`) is not an error.
pub(crate) fn rules_cmd(markdown: bool, markers: bool) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let doc = if markdown {
        Some(beian_rules::catalogue_markdown())
    } else if markers {
        Some(beian_classify::markers_markdown())
    } else {
        None
    };
    if let Some(doc) = doc {
        out.write_all(doc.as_bytes()).or_else(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => Ok(()),
            _ => Err(e),
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    for r in beian_rules::CATALOGUE {
        if writeln!(out, "{:<15} {:<5} {}", r.id, r.scope, r.checks).is_err() {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}
