//! Flags → typed configuration for the library crates (they never see clap).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use beian_fetch::FetchConfig;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use beian_pipeline::{Capacity, Judging, NetConfig, RenderMode, RenderOptions};
use beian_rules::{RuleConfig, Waivers};
use beian_types::EvidenceMode;

use crate::args::{EvidenceArg, ExtractArgs, JudgeArgs, NetArgs, RenderArg};

/// Network settings resolved from flags, once: the auditor's configuration and the run's
/// capacity.
pub(crate) struct NetSettings {
    pub(crate) net: NetConfig,
    pub(crate) capacity: Capacity,
    /// What the summary says of the settings: why rendering is off under `--render auto`,
    /// why fewer sites run at once than `--concurrency` asked.
    pub(crate) notes: Vec<String>,
}

pub(crate) fn secs(name: &str, v: f64) -> Result<Duration> {
    if !(v.is_finite() && v > 0.0 && v <= 3600.0) {
        bail!("--{name} must be a number of seconds between 0 and 3600, got {v}");
    }
    Ok(Duration::from_secs_f64(v))
}

/// A rate in requests per second: at least one an hour, at most a million a second.
fn rate(name: &str, v: f64) -> Result<f64> {
    if !(v.is_finite() && (1.0 / 3600.0..=1e6).contains(&v)) {
        bail!("--{name} must be requests per second between 1/3600 and 1000000, got {v}");
    }
    Ok(v)
}

/// `--canary`: the canaries, none for `none`.
fn canaries(v: &[String]) -> Result<Vec<beian_pipeline::Canary>> {
    if v.iter().any(|c| c == "none") {
        return Ok(Vec::new());
    }
    v.iter()
        .map(|c| {
            c.parse()
                .map_err(|e: String| anyhow::anyhow!("--canary {e}"))
        })
        .collect()
}

/// `--user-agent`: a preset's value, or the text given (one line of visible ASCII).
fn user_agent(v: &str) -> Result<String> {
    match v {
        "default" => Ok(beian_fetch::DEFAULT_USER_AGENT.to_string()),
        "browser" => Ok(beian_fetch::BROWSER_USER_AGENT.to_string()),
        ua if !ua.trim().is_empty() && ua.bytes().all(|b| (0x20..0x7f).contains(&b)) => {
            Ok(ua.to_string())
        }
        ua => bail!(
            "--user-agent must be `default`, `browser` or one line of visible ASCII, got {ua:?}"
        ),
    }
}

pub(crate) fn load_roots(paths: &[PathBuf]) -> Result<Vec<CertificateDer<'static>>> {
    let mut roots = Vec::new();
    for p in paths {
        let before = roots.len();
        for c in CertificateDer::pem_file_iter(p)
            .with_context(|| format!("--ca-cert {}: cannot read", p.display()))?
        {
            roots.push(
                c.with_context(|| format!("--ca-cert {}: not a PEM certificate", p.display()))?,
            );
        }
        if roots.len() == before {
            bail!("--ca-cert {}: no certificate in the file", p.display());
        }
    }
    Ok(roots)
}

impl NetSettings {
    pub(crate) fn from_args(a: &NetArgs) -> Result<Self> {
        let (sites, files_note) = crate::limits::fit(a.concurrency as usize);
        if let Some(note) = &files_note {
            eprintln!("warning: {note}");
        }
        let capacity = Capacity::for_sites(sites);
        let probe = secs("probe-timeout", a.probe_timeout)?;
        let fetch = FetchConfig {
            connect_timeout: secs("connect-timeout", a.connect_timeout)?,
            tls_timeout: secs("connect-timeout", a.connect_timeout)?,
            response_timeout: secs("response-timeout", a.response_timeout)?,
            body_timeout: probe,
            total_timeout: probe,
            max_redirects: a.max_redirects,
            body_cap: a.max_body.max(1024),
            http_port: a.http_port,
            https_port: a.https_port,
            allow_private: a.allow_private,
            allow_nets: a.allow_nets.clone(),
            per_ip: a.per_ip,
            rate_per_ip: a.rate_per_ip.map(|r| rate("rate-per-ip", r)).transpose()?,
            max_in_flight: capacity.probes,
            user_agent: user_agent(&a.user_agent)?,
            ..FetchConfig::default()
        };
        let (render, render_note) = render_options(a)?;
        Ok(NetSettings {
            notes: render_note.into_iter().chain(files_note).collect(),
            net: NetConfig {
                canaries: canaries(&a.canaries)?,
                render,
                resolvers: a.resolvers.clone(),
                dns_timeout: secs("dns-timeout", a.dns_timeout)?,
                fetch,
                extra_roots: load_roots(&a.ca_certs)?,
                evidence: match a.evidence {
                    EvidenceArg::Failing => EvidenceMode::Failing,
                    EvidenceArg::All => EvidenceMode::All,
                    EvidenceArg::None => EvidenceMode::None,
                },
            },
            capacity,
        })
    }
}

/// `--render`, `--browser`, `--render-concurrency`, `--render-timeout`: the render options,
/// or why rendering is off. An explicit request (`--render always`, `--browser`) without a
/// usable browser is an error; `auto` without one turns rendering off.
fn render_options(a: &NetArgs) -> Result<(Option<RenderOptions>, Option<String>)> {
    let mode = match a.render {
        RenderArg::Never if a.screenshots.is_some() => {
            bail!("--screenshots needs the browser, which --render never turns off")
        }
        RenderArg::Never => return Ok((None, None)),
        RenderArg::Auto => RenderMode::Auto,
        RenderArg::Always => RenderMode::Always,
    };
    let browser = match beian_render::find_browser(a.browser.as_deref()) {
        Ok(b) => b,
        Err(e) if a.browser.is_some() => bail!("{e}"),
        Err(e) if mode == RenderMode::Always => bail!("--render always: {e}"),
        Err(e) if a.screenshots.is_some() => bail!("--screenshots: {e}"),
        Err(e) => return Ok((None, Some(format!("rendering off: {e}")))),
    };
    let mut config = beian_render::RenderConfig::new(browser);
    if let Some(n) = a.render_concurrency {
        config.concurrency = n as usize;
    }
    config.timeout = secs("render-timeout", a.render_timeout)?;
    Ok((
        Some(RenderOptions {
            mode,
            config,
            screenshots: a.screenshots.clone(),
        }),
        None,
    ))
}

/// `--as-of DATE`, or today (UTC).
pub(crate) fn as_of(flag: Option<&str>) -> Result<time::Date> {
    Ok(match flag {
        Some(d) => beian_input::manifest::parse_date(d)
            .with_context(|| format!("--as-of {d:?}: not a date (YYYY-MM-DD)"))?,
        None => time::OffsetDateTime::now_utc().date(),
    })
}

/// `--as-of`, `--rules` and the access networks → the judging settings.
pub(crate) fn judging(a: &JudgeArgs) -> Result<Judging> {
    let as_of = as_of(a.as_of.as_deref())?;
    let config = match &a.rules {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("--rules {}: cannot read", p.display()))?;
            RuleConfig::from_toml(&text)
                .with_context(|| format!("--rules {}: invalid rules file", p.display()))?
        }
        None => RuleConfig::default(),
    };
    let mut access_nets = Vec::new();
    for p in &a.access_nets_files {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("--access-nets {}: cannot read", p.display()))?;
        access_nets.extend(
            beian_input::nets::parse_nets_file(&text)
                .with_context(|| format!("--access-nets {}", p.display()))?,
        );
    }
    access_nets.extend(a.access_nets.iter().copied());
    let waivers = match &a.waivers {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("--waivers {}: cannot read", p.display()))?;
            let waivers = Waivers::from_toml(&text)
                .with_context(|| format!("--waivers {}: invalid waivers file", p.display()))?;
            // An exception past its date no longer applies: its owner should know.
            for w in waivers.expired(as_of) {
                eprintln!(
                    "waiver {} (--waivers {} line {}) expired on {}: it no longer applies{}{}",
                    w.id,
                    p.display(),
                    w.line,
                    w.expires,
                    w.owner
                        .as_deref()
                        .map(|o| format!("; owner {o}"))
                        .unwrap_or_default(),
                    w.ticket
                        .as_deref()
                        .map(|t| format!("; ticket {t}"))
                        .unwrap_or_default(),
                );
            }
            waivers
        }
        None => Waivers::default(),
    };
    Ok(Judging {
        as_of,
        config,
        access_nets,
        waivers,
    })
}

/// `beian extract`'s context: the host (ASCII, lower case; empty without `--host`) and the
/// manifest the page rules see — the `--manifest` row of the host, then the flags, checked
/// as the manifest's cells are.
pub(crate) fn extract_context(a: &ExtractArgs) -> Result<(String, beian_types::Manifest)> {
    let host = match &a.host {
        Some(h) => {
            let t = beian_input::normalise_domain(h)
                .map_err(|e| anyhow::anyhow!("--host {h:?}: {e}"))?;
            // The host as given (`www.` kept) when it is one the audit would fetch.
            let given = h.trim().trim_end_matches('.').to_ascii_lowercase();
            t.hosts
                .into_iter()
                .map(|(_, x)| x)
                .find(|x| *x == given)
                .unwrap_or(t.domain)
        }
        None => String::new(),
    };
    let mut manifest = match &a.manifest {
        Some(path) => manifest_row(path, &host)?,
        None => beian_types::Manifest::default(),
    };
    let flags = [
        ("org_name", &a.org_name),
        ("province", &a.province),
        ("commercial", &a.commercial),
        ("hosting", &a.hosting),
        ("expected_icp", &a.expected_icp),
        ("expected_psb", &a.expected_psb),
    ];
    let cells: std::collections::BTreeMap<String, String> = flags
        .iter()
        .filter_map(|(k, v)| Some(((*k).to_string(), (*v).clone()?)))
        .collect();
    let given = beian_input::manifest::typed(&cells).map_err(|e| {
        anyhow::anyhow!(
            "--{} {:?}: {}",
            e.column.replace('_', "-"),
            e.value,
            e.reason
        )
    })?;
    let beian_types::Manifest {
        expected_icp,
        expected_psb,
        org_name,
        province,
        commercial,
        hosting,
        ..
    } = given;
    manifest.expected_icp = expected_icp.or(manifest.expected_icp);
    manifest.expected_psb = expected_psb.or(manifest.expected_psb);
    manifest.org_name = org_name.or(manifest.org_name);
    manifest.province = province.or(manifest.province);
    manifest.commercial = commercial.or(manifest.commercial);
    manifest.hosting = hosting.or(manifest.hosting);
    Ok((host, manifest))
}

/// The manifest of `host`'s row (its domain or one of its hosts) in the CSV at `path`; a row
/// of that domain with a bad cell is an error naming the line.
fn manifest_row(path: &std::path::Path, host: &str) -> Result<beian_types::Manifest> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("--manifest {}: cannot open", path.display()))?;
    let mut reader = beian_input::Reader::new(std::io::BufReader::new(file));
    while let Some(item) = reader
        .next_item()
        .with_context(|| format!("--manifest {}", path.display()))?
    {
        match item.result {
            Ok(t) if t.domain == host || t.hosts.iter().any(|(_, h)| h == host) => {
                return Ok(t.manifest);
            }
            Err(e) if item.raw.to_ascii_lowercase().contains(host) => {
                bail!("--manifest {}: {e}", path.display());
            }
            _ => {}
        }
    }
    bail!("--manifest {}: no row for {host}", path.display())
}
