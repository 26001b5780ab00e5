//! `beian extract FILE…`: the footer facts and page verdicts of saved pages, as JSON lines.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::args::ExtractArgs;
use crate::settings;

pub(crate) fn extract_cmd(a: &ExtractArgs) -> Result<ExitCode> {
    let (host, manifest) = settings::extract_context(a)?;
    let as_of = settings::as_of(a.as_of.as_deref())?;
    let mut out = std::io::stdout().lock();
    for f in &a.files {
        let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        let facts = beian_footer::extract(&bytes, a.charset.as_deref());
        let name = f.display().to_string();
        let findings = beian_rules::page_rules(&beian_rules::PageInput {
            host: &host,
            url: &name,
            facts: &facts,
            manifest: &manifest,
            as_of,
        });
        let cand = |c: &beian_types::IcpCandidate| {
            serde_json::json!({
                "number": c.number.canonical,
                "kind": c.number.kind.as_str(),
                "source": c.source.as_str(),
                "in_footer": c.in_footer,
                "link": c.link.as_ref().map(|l| &l.href),
                "link_host": c.link.as_ref().and_then(|l| l.host.as_ref()),
            })
        };
        let v = serde_json::json!({
            "file": name,
            "host": host,
            "encoding": facts.encoding,
            "footer_region": facts.region.as_str(),
            "icp_primary": facts.primary.as_ref().map(cand),
            "icp_all": facts.icp_all.iter().map(cand).collect::<Vec<_>>(),
            "psb": facts.psb.as_ref().map(|p| serde_json::json!({
                "number": p.number.canonical,
                "source": p.source.as_str(),
                "link": p.link.as_ref().map(|l| &l.href),
                "link_code": p.link_code,
                "icon": p.icon,
            })),
            "copyright_holder": facts.copyright_holder,
            "verdicts": findings.iter().map(|f| serde_json::json!({
                "rule_id": f.rule_id, "verdict": f.verdict.as_str(), "evidence": f.evidence,
                "fix_zh": f.fix.map(|x| x.zh), "fix_en": f.fix.map(|x| x.en),
            })).collect::<Vec<_>>(),
        });
        if writeln!(out, "{v}").is_err() {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}
