//! `beian rules [--markdown]`: the rule catalogue.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;

/// Prints the catalogue: a line per rule, or the rulebook's Markdown table. A closed pipe
/// (`beian rules | head`) is not an error.
pub(crate) fn rules_cmd(markdown: bool) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if markdown {
        out.write_all(beian_rules::catalogue_markdown().as_bytes())
            .or_else(|e| match e.kind() {
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
