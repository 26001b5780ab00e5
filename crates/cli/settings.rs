//! Flags → typed configuration for the library crates (they never see clap).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use beian_fetch::FetchConfig;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use beian_pipeline::{Capacity, Judging, NetConfig};
use beian_rules::RuleConfig;

use crate::args::{JudgeArgs, NetArgs};

/// Network settings resolved from flags, once: the auditor's configuration and the run's
/// capacity.
pub(crate) struct NetSettings {
    pub(crate) net: NetConfig,
    pub(crate) capacity: Capacity,
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
        let capacity = Capacity::for_sites(a.concurrency as usize);
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
            ..FetchConfig::default()
        };
        Ok(NetSettings {
            net: NetConfig {
                resolvers: a.resolvers.clone(),
                dns_timeout: secs("dns-timeout", a.dns_timeout)?,
                fetch,
                extra_roots: load_roots(&a.ca_certs)?,
            },
            capacity,
        })
    }
}

/// `--as-of` and `--rules` → the judging settings.
pub(crate) fn judging(a: &JudgeArgs) -> Result<Judging> {
    let as_of = match &a.as_of {
        Some(d) => beian_input::manifest::parse_date(d)
            .with_context(|| format!("--as-of {d:?}: not a date (YYYY-MM-DD)"))?,
        None => time::OffsetDateTime::now_utc().date(),
    };
    let config = match &a.rules {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("--rules {}: cannot read", p.display()))?;
            RuleConfig::from_toml(&text)
                .with_context(|| format!("--rules {}: invalid rules file", p.display()))?
        }
        None => RuleConfig::default(),
    };
    Ok(Judging { as_of, config })
}
