//! `beian demo`: the simulated fleet started and audited in one process, its answer key
//! written beside the run.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context, Result};
use beian_fleet::{Fleet, FleetConfig};
use beian_pipeline::job::OpenInput;

use crate::args::{DemoArgs, NetArgs};
use crate::fleet::fleet_config;
use crate::run::run_job;
use crate::settings::{self, NetSettings};
use crate::summary::print_summary;

pub(crate) async fn demo(a: DemoArgs) -> Result<ExitCode> {
    // The fleet's manifest dates and answer key follow the audit date.
    let as_of = settings::judging(&a.judge)?.as_of;
    let fleet = Fleet::start(FleetConfig {
        as_of,
        ..fleet_config(&a.shape)?
    })
    .await?;
    // The audit trusts the fleet's CA from a file; the fleet's files end up in the run
    // directory, written once the run has made it.
    let ca = std::env::temp_dir().join(format!("beian-demo-ca-{}.pem", std::process::id()));
    std::fs::write(&ca, &fleet.ca_pem).with_context(|| format!("writing {}", ca.display()))?;
    // The audit's defaults, pointed at the fleet; loopback answers in milliseconds, so the
    // fleet's slow and silent sites are given up on sooner than real servers would be.
    let net_args = NetArgs {
        resolvers: vec![fleet.dns_addr],
        ca_certs: vec![ca.clone()],
        http_port: fleet.http_port,
        https_port: fleet.https_port,
        allow_private: true,
        concurrency: a.concurrency,
        connect_timeout: 5.0,
        response_timeout: 10.0,
        probe_timeout: 30.0,
        dns_timeout: 2.0,
        // The audit checks its own network on the fleet, never beyond loopback.
        canaries: vec![fleet.canary()],
        ..NetArgs::default()
    };
    let net = NetSettings::from_args(&net_args)?;
    // The list with its manifest: owners, and when the sites without a PSB number opened.
    let domains = fleet.sites_csv();
    let total = Some(fleet.sites.len() as u64);
    let open: OpenInput = Box::new(move || {
        Ok(Box::new(std::io::Cursor::new(domains.into_bytes())) as Box<dyn BufRead + Send>)
    });
    let desc = format!(
        "simulated fleet ({} domains, seed {}, day {})",
        fleet.sites.len(),
        a.shape.seed,
        a.shape.day
    );
    // The fleet's access networks, so SITE-ACCESS shows (unless the flags name others).
    let mut judge = a.judge.clone();
    if judge.access_nets_files.is_empty() && judge.access_nets.is_empty() {
        judge.access_nets = fleet.access_nets();
    }
    // A small waivers file, so the exceptions show (unless the flags name one).
    let waivers =
        std::env::temp_dir().join(format!("beian-demo-waivers-{}.toml", std::process::id()));
    if judge.waivers.is_none() {
        std::fs::write(&waivers, demo_waivers(&fleet, as_of))
            .with_context(|| format!("writing {}", waivers.display()))?;
        judge.waivers = Some(waivers.clone());
    }
    let started = std::time::Instant::now();
    let run = run_job(open, desc, total, &net, &judge, &a.output).await;
    std::fs::remove_file(&ca).ok();
    let done = run?;
    let dir = done.dir.join("fleet");
    fleet.write_files(&dir)?;
    if judge.waivers.as_ref() == Some(&waivers) {
        std::fs::copy(&waivers, dir.join("waivers.toml"))
            .with_context(|| format!("copying {}", waivers.display()))?;
        std::fs::remove_file(&waivers).ok();
    }
    if !a.output.quiet {
        let mut extra = vec![
            // The demo audits the list with its manifest: the filing columns are judged.
            format!("answer key: {}", dir.join("answer_key_filed.csv").display()),
            format!("elapsed: {:.1}s", started.elapsed().as_secs_f64()),
        ];
        extra.extend(net.notes.iter().cloned());
        print_summary(&done.report, &done.dir, &extra);
    }
    drop(fleet);
    Ok(done.exit_code(a.output.fail_on))
}

/// The demo's exceptions (docs/rulebook.md §5.4): one in force, on a rule whose site fails
/// another rule as well (so its status and the fleet's answer key stay as they are), and one
/// that lapsed five days ago, which the run names.
fn demo_waivers(fleet: &Fleet, as_of: time::Date) -> String {
    let first = |b: beian_fleet::Behaviour| fleet.site(b).map(|s| s.domain.clone());
    let mut out = String::from(
        "# The demo's exceptions (`--waivers`, docs/rulebook.md §5.4): a finding someone\n\
         # accepted, with a reason and an end date. Waived findings keep their verdict.\n",
    );
    if let Some(d) = first(beian_fleet::Behaviour::NoIcp) {
        out.push_str(&format!(
            "\n[[waiver]]\nid = \"OPS-2291\"\ndomains = [\"{d}\"]\nrules = [\"SITE-PARITY\"]\n\
             reason = \"www. is being retired with the DNS change of OPS-2291; parity is not owed until then\"\n\
             owner = \"ops@example.cn\"\nexpires = {}\nticket = \"OPS-2291\"\n",
            as_of + time::Duration::days(20)
        ));
    }
    if let Some(d) = first(beian_fleet::Behaviour::PsbProvinceMismatch) {
        out.push_str(&format!(
            "\n[[waiver]]\nid = \"CS-1187\"\ndomains = [\"{d}\"]\nrules = [\"PSB-PROVINCE\"]\n\
             reason = \"the customer moved provinces; the new public-security filing was due by the date below\"\n\
             owner = \"customer-success@example.cn\"\nexpires = {}\nticket = \"CS-1187\"\n",
            as_of - time::Duration::days(5)
        ));
    }
    out
}
