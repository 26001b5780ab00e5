//! `beian fleet serve`: the simulated fleet on loopback until Ctrl-C, with the files an
//! audit of it needs.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use beian_fleet::{Behaviour, Fleet, FleetConfig, Latency};

use crate::args::{FleetArgs, FleetShape};

/// The demo's fleet (also `beian fleet serve`'s): the default mix and the sites served
/// outside their provider's networks.
pub(crate) fn fleet_config(shape: &FleetShape) -> Result<FleetConfig> {
    let latency = shape
        .latency
        .as_deref()
        .map(|p| Latency::profile(p, shape.seed))
        .transpose()?;
    Ok(FleetConfig {
        domains: shape.domains,
        seed: shape.seed,
        day: shape.day,
        behaviours: Behaviour::for_demo(),
        latency,
        ..FleetConfig::default()
    })
}

pub(crate) async fn fleet_serve(a: FleetArgs) -> Result<ExitCode> {
    let cfg = FleetConfig {
        dns_addr: a.dns,
        http_port: a.http_port,
        https_port: a.https_port,
        ..fleet_config(&a.shape)?
    };
    let fleet = Fleet::start(cfg).await?;
    fleet.write_files(&a.dir)?;
    println!(
        "fleet of {} domains: dns {} http port {} https port {}\nfiles in {}\naudit it with:\n  beian audit {}/domains.txt --resolver {} --ca-cert {}/ca.pem --http-port {} --https-port {} --allow-private --access-nets {}/access_nets.txt --canary {} --out results\n(or sites.csv: the list with its manifest of owners and opening dates)",
        fleet.sites.len(),
        fleet.dns_addr,
        fleet.http_port,
        fleet.https_port,
        a.dir.display(),
        a.dir.display(),
        fleet.dns_addr,
        a.dir.display(),
        fleet.http_port,
        fleet.https_port,
        a.dir.display(),
        fleet.canary()
    );
    std::io::stdout().flush().ok();
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(ExitCode::SUCCESS)
}
