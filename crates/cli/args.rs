//! Command-line flags (clap derive): validation only; [`crate::settings`] turns them into the
//! typed configuration each crate takes.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Audit fleets of websites for Chinese ICP / public-security filing footers.
#[derive(Debug, Parser)]
#[command(name = "beian", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Audit the domains listed in a file (text list or CSV with a `domain` column).
    Audit(Box<AuditArgs>),
    /// Print the footer facts and page verdicts of local HTML files as JSON lines, judged in
    /// the context an audit would give them (host, organisation, province, …).
    Extract(ExtractArgs),
    /// Run the simulated fleet (DNS + HTTP + HTTPS on loopback) until Ctrl-C.
    Fleet {
        #[command(subcommand)]
        command: FleetCommand,
    },
    /// Start the simulated fleet in-process, audit it and print the summary.
    Demo(DemoArgs),
    /// Report on a run, compared with an earlier one: report.html (one self-contained page),
    /// report.json (the model) and report.md (a digest for chat).
    Report(ReportArgs),
    /// Check that every shard of a sharded run completed and that together they hold each
    /// input line exactly once, then write the run's _SUCCESS.json (docs/SHARDS.md).
    Finalize {
        /// The sharded run's directory (with its shard=NNNN/ directories).
        run: PathBuf,
        /// The input the shards audited: every one of its lines must have a row.
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
    },
    /// What a run kept of a domain's HTTP exchanges as evidence (WARC; docs/SCHEMA.md,
    /// "Evidence") and its screenshots, or one of them extracted, checked against the SHA-256
    /// the run stored.
    Evidence(EvidenceArgs),
    /// List the rule ids and what each checks.
    Rules {
        /// Print the full catalogue as Markdown (docs/RULES.md).
        #[arg(long)]
        markdown: bool,
        /// Print the response marker table as Markdown (docs/MARKERS.md): what makes a
        /// response a challenge, a block, a parked page, the provider's interception page or
        /// an origin error.
        #[arg(long, conflicts_with = "markdown")]
        markers: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum FleetCommand {
    /// Serve the fleet and write ca.pem, domains.txt, answer_key.csv and fleet.json.
    Serve(FleetArgs),
}

/// `--render`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RenderArg {
    Auto,
    Always,
    Never,
}

/// `beian evidence`.
#[derive(Debug, Args)]
pub(crate) struct EvidenceArgs {
    /// The run directory, or its URL in object storage (s3://bucket/prefix/run, gs://…).
    pub(crate) run: String,
    /// The domain, as in the input.
    pub(crate) domain: String,
    /// Extract one captured response: its number in the listing, or its record id.
    #[arg(long, value_name = "N|RECORD-ID")]
    pub(crate) extract: Option<String>,
    /// What to extract: the HTTP response as recorded (status line, headers, body), its
    /// headers, its body, or the page's screenshot (`--screenshots`).
    #[arg(long, value_enum, default_value_t = EvidencePart::Response)]
    pub(crate) part: EvidencePart,
    /// Write the extract to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

/// `beian evidence --part`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum EvidencePart {
    Response,
    Headers,
    Body,
    Screenshot,
}

/// `--evidence`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum EvidenceArg {
    Failing,
    All,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    /// Exit 1 when any site has a failing rule.
    Fail,
    /// Exit 1 when any site has a failing or warning rule.
    Warn,
}

/// Where DNS queries go, what is trusted and allowed, and how hard servers are pushed.
#[derive(Debug, Args)]
pub(crate) struct NetArgs {
    /// Recursive DNS server to ask, IP:PORT (repeatable, asked in order). Default: the
    /// nameservers of /etc/resolv.conf.
    #[arg(long = "resolver", value_name = "IP:PORT")]
    pub(crate) resolvers: Vec<SocketAddr>,
    /// Extra trusted root certificates (PEM file, repeatable).
    #[arg(long = "ca-cert", value_name = "PEM")]
    pub(crate) ca_certs: Vec<PathBuf>,
    /// Port for http:// URLs without a port.
    #[arg(long, default_value_t = 80)]
    pub(crate) http_port: u16,
    /// Port for https:// URLs without a port.
    #[arg(long, default_value_t = 443)]
    pub(crate) https_port: u16,
    /// Allow connections to private, loopback and link-local addresses.
    #[arg(long)]
    pub(crate) allow_private: bool,
    /// Allow one private or reserved network (CIDR, repeatable), e.g. an internal fleet's
    /// `10.20.0.0/16`; every other such address stays refused, also after redirects.
    #[arg(long = "allow-net", value_name = "CIDR")]
    pub(crate) allow_nets: Vec<ipnet::IpNet>,
    /// Sites audited at once. Each site runs up to four probes (apex and www, https and
    /// http), so up to 4 × N requests are in flight. A site waiting for a busy server address
    /// (`--per-ip`) steps aside for another site meanwhile, so an overloaded shared host does
    /// not hold back the sites elsewhere. Each site may hold five open files: the limit on
    /// open files is raised to fit at start, and where the hard limit is too low the
    /// concurrency is lowered to fit, with a warning.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=25_000))]
    pub(crate) concurrency: u32,
    /// Requests in flight per server address (0: no limit). Shared hosting puts thousands of
    /// domains on a few addresses; a site waiting for a busy address waits outside its probe
    /// time budget.
    #[arg(long, default_value_t = 8)]
    pub(crate) per_ip: usize,
    /// Most requests per second sent to one server address (default: no limit), evenly
    /// spaced; waiting for a turn is outside the probe time budget. `0.5` = one every 2 s.
    #[arg(long, value_name = "PER_SECOND")]
    pub(crate) rate_per_ip: Option<f64>,
    /// The User-Agent sent: `default` names the tool, its version and its URL (what a site's
    /// operator allows in a WAF); `browser` is a desktop Chrome's, ending with the tool's
    /// name, for fleets whose owners ask for it; anything else is sent as given.
    #[arg(long, value_name = "UA", default_value = "default")]
    pub(crate) user_agent: String,
    /// A name the audit's own network must resolve and connect to, HOST or HOST:PORT (443),
    /// repeatable; `none` for no check. A site that reaches no host by a DNS or connection
    /// failure while no canary answers either is `unverified` ("the audit's own network
    /// failed"), not `unreachable`, and the run exits with status 4.
    #[arg(
        long = "canary",
        value_name = "HOST[:PORT]",
        default_values = ["www.baidu.com:443", "www.qq.com:443", "www.gov.cn:443"]
    )]
    pub(crate) canaries: Vec<String>,
    /// Render pages whose footer a script writes in a headless browser (docs/rulebook.md
    /// §6.12): `auto` renders pages without an in-scope number that show a script signal,
    /// and pages whose number only a script writes; `always` every page; `never` none.
    /// `auto` needs a browser (--browser, $CHROME, chromium on PATH): without one rendering
    /// is off and the summary says so.
    #[arg(long, value_enum, default_value_t = RenderArg::Auto)]
    pub(crate) render: RenderArg,
    /// The browser to render with (Chromium or Chrome; Debian: apt-get install chromium).
    #[arg(long, value_name = "PATH")]
    pub(crate) browser: Option<PathBuf>,
    /// Renders at once (default: the number of cores; each keeps about one core busy).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub(crate) render_concurrency: Option<u32>,
    /// Wall-clock limit of one render, browser start included, seconds.
    #[arg(long, default_value_t = 20.0)]
    pub(crate) render_timeout: f64,
    /// Save a PNG of the bottom of each failing page (a page rule fails) as
    /// `DIR/<domain>/<host>.png`, rendered in the browser.
    #[arg(long, value_name = "DIR")]
    pub(crate) screenshots: Option<PathBuf>,
    /// The HTTP exchanges kept as evidence in the run directory, WARC/1.1 files beside the
    /// Parquet parts (`evidence/part-NNNNN.warc.gz`; docs/SCHEMA.md, "Evidence"): `failing`
    /// keeps the pages a failing or warning verdict was judged on and the redirects that led
    /// there, `all` every response, `none` nothing. `beian evidence` lists and extracts them.
    #[arg(long, value_enum, default_value_t = EvidenceArg::Failing)]
    pub(crate) evidence: EvidenceArg,
    /// Connect timeout, seconds.
    #[arg(long, default_value_t = 10.0)]
    pub(crate) connect_timeout: f64,
    /// Time to response headers, seconds.
    #[arg(long, default_value_t = 15.0)]
    pub(crate) response_timeout: f64,
    /// Whole-probe budget per URL (all redirects), seconds.
    #[arg(long, default_value_t = 60.0)]
    pub(crate) probe_timeout: f64,
    /// DNS query timeout, seconds, per attempt (two attempts; an unanswered query is sent
    /// again after 250 ms, 500 ms, … within it).
    #[arg(long, default_value_t = 5.0)]
    pub(crate) dns_timeout: f64,
    /// Most redirects followed per probe.
    #[arg(long, default_value_t = 10)]
    pub(crate) max_redirects: usize,
    /// Most decoded body bytes kept per page.
    #[arg(long, default_value_t = 4 << 20)]
    pub(crate) max_body: usize,
}

/// Where the run directory is and how the run starts in it.
#[derive(Debug, Args)]
pub(crate) struct OutputArgs {
    /// Output directory (tables sites/, fetches/, findings/ and run.json), or
    /// s3://bucket/prefix or gs://bucket/prefix in object storage (credentials and endpoint
    /// from AWS_* / GOOGLE_* variables).
    #[arg(
        long = "out",
        short = 'o',
        value_name = "DIR",
        default_value = "results"
    )]
    pub(crate) dir: PathBuf,
    /// Keep every run under ROOT instead of --out: each run gets its own directory
    /// ROOT/run_date=YYYY-MM-DD/run=RUN_ID/ (the audit date, --as-of), so DuckDB, Polars and
    /// Spark read all runs at once with Hive partitioning. With --resume: continue the latest
    /// run under ROOT that did not complete.
    #[arg(long, value_name = "ROOT", conflicts_with_all = ["dir", "overwrite"])]
    pub(crate) history: Option<PathBuf>,
    /// Replace earlier output in --out.
    #[arg(long, conflicts_with = "resume")]
    pub(crate) overwrite: bool,
    /// Finish an interrupted run in --out (same input): lines that already have a `sites`
    /// row are skipped, the others audited and added as new part files. Unfinished parts
    /// are removed first. On an empty --out, starts the run.
    #[arg(long)]
    pub(crate) resume: bool,
    /// Close the output's part files every N sites (and at least every 30 s), so that a
    /// crash loses at most the sites since (`--resume` audits them again).
    #[arg(long, default_value_t = 10_000, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) checkpoint_every: u64,
    /// Exit with status 1 when findings reach this level (for CI).
    #[arg(long, value_enum)]
    pub(crate) fail_on: Option<FailOn>,
    /// This process's shard of the input (0-based) when it is split into --shard-count
    /// shards; by default $JOB_COMPLETION_INDEX, a Kubernetes Indexed Job's pod index.
    #[arg(
        long,
        env = "JOB_COMPLETION_INDEX",
        default_value_t = 0,
        value_name = "I"
    )]
    pub(crate) shard_index: u32,
    /// Split the input into N shards, audited by N processes (docs/SHARDS.md): a domain's
    /// shard is fixed by its registrable domain; each shard writes its own `shard=NNNN/`
    /// directory of the run and needs --run-id. `--per-ip` holds per process.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) shard_count: u32,
    /// The run's id (default: the start time and the process id). Every shard of one run is
    /// given the same id.
    #[arg(long, env = "BEIAN_RUN_ID", value_name = "ID")]
    pub(crate) run_id: Option<String>,
    /// After Ctrl-C or SIGTERM, the seconds the sites in flight may take to finish before
    /// they are stopped and run.json is written (a second signal stops them at once). Keep it
    /// below the scheduler's grace: Kubernetes' terminationGracePeriodSeconds (30 s by
    /// default), systemd's TimeoutStopSec (90 s).
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub(crate) stop_grace: f64,
    /// No progress bar or summary.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

impl Default for NetArgs {
    /// The flags' own defaults (what `beian audit` uses when none is given).
    fn default() -> Self {
        #[derive(Parser)]
        struct Defaults {
            #[command(flatten)]
            net: NetArgs,
        }
        Defaults::try_parse_from(["beian"])
            .expect("every network flag has a default")
            .net
    }
}

/// How sites are judged.
#[derive(Debug, Clone, Args)]
pub(crate) struct JudgeArgs {
    /// Audit date for the PSB deadlines, YYYY-MM-DD (default: today, UTC), so a report can be
    /// reproduced later.
    #[arg(long, value_name = "DATE")]
    pub(crate) as_of: Option<String>,
    /// Rules file (TOML): switch rules off or change what their warn/fail verdicts become.
    #[arg(long = "rules", value_name = "TOML")]
    pub(crate) rules: Option<PathBuf>,
    /// The access provider's networks, one CIDR per line (`#` comments; repeatable), for
    /// SITE-ACCESS: is each filed site still served from them (接入准确性)? A manifest column
    /// access_nets replaces them for its row.
    #[arg(long = "access-nets", value_name = "FILE")]
    pub(crate) access_nets_files: Vec<PathBuf>,
    /// Exceptions (TOML, docs/rulebook.md §5.4): findings someone accepted, each with a reason
    /// and an end date. A waived finding keeps its verdict and names its waiver; the site's
    /// status does not count it (`compliant_with_waivers` when nothing else fails or warns).
    #[arg(long = "waivers", value_name = "TOML")]
    pub(crate) waivers: Option<PathBuf>,
    /// One access network (CIDR or address, repeatable), with or instead of --access-nets.
    #[arg(long = "access-net", value_name = "CIDR", value_parser = access_net)]
    pub(crate) access_nets: Vec<ipnet::IpNet>,
}

fn access_net(s: &str) -> Result<ipnet::IpNet, &'static str> {
    beian_input::nets::parse_net(s)
}

/// `beian extract`: local pages and what the page rules need to know about their site.
#[derive(Debug, Args)]
pub(crate) struct ExtractArgs {
    /// HTML files.
    #[arg(required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// The host the pages were fetched from: the rules name it, and it picks the row of
    /// --manifest.
    #[arg(long, value_name = "HOST")]
    pub(crate) host: Option<String>,
    /// A CSV input with manifest columns (as `beian audit` takes): the row of --host gives
    /// the context; the flags below override its cells.
    #[arg(long, value_name = "FILE", requires = "host")]
    pub(crate) manifest: Option<PathBuf>,
    /// The filing organisation, for COPYRIGHT (manifest column org_name).
    #[arg(long, value_name = "NAME")]
    pub(crate) org_name: Option<String>,
    /// The filing province: 江苏, 苏, Jiangsu or 32 (manifest column province).
    #[arg(long, value_name = "PROVINCE")]
    pub(crate) province: Option<String>,
    /// Whether the site does business and needs a licence: true or false.
    #[arg(long, value_name = "BOOL")]
    pub(crate) commercial: Option<String>,
    /// Where the site is hosted: mainland or overseas.
    #[arg(long, value_name = "WHERE")]
    pub(crate) hosting: Option<String>,
    /// The ICP number the site should show (manifest column expected_icp).
    #[arg(long, value_name = "NUMBER")]
    pub(crate) expected_icp: Option<String>,
    /// The PSB number (or its digits) the platform issued (manifest column expected_psb).
    #[arg(long, value_name = "NUMBER")]
    pub(crate) expected_psb: Option<String>,
    /// The charset of the HTTP Content-Type the pages were served with.
    #[arg(long, value_name = "LABEL")]
    pub(crate) charset: Option<String>,
    /// Date the PSB deadlines are judged on, YYYY-MM-DD (default: today, UTC).
    #[arg(long, value_name = "DATE")]
    pub(crate) as_of: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// Domain list: text (one per line) or CSV with a `domain` column and optional manifest
    /// columns (expected_icp, expected_psb, org_name, owner, province, commercial, hosting,
    /// opened_on, psb_approved_on); `-` for stdin.
    pub(crate) input: PathBuf,
    #[command(flatten)]
    pub(crate) net: NetArgs,
    #[command(flatten)]
    pub(crate) judge: JudgeArgs,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// Which simulated fleet: size and seed.
#[derive(Debug, Args)]
pub(crate) struct FleetShape {
    /// Number of simulated domains.
    #[arg(long, default_value_t = 200)]
    pub(crate) domains: usize,
    /// Seed for behaviours and numbers.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// The fleet's day: each day, a week after the one before, some sites are fixed, some
    /// break, a few domains join the list and a few leave it.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) day: u32,
    /// The network between the audit and the fleet, played by the fleet's servers:
    /// `mainland` (round trips of 10–120 ms, median 40) or `overseas` (60–1,000 ms, median
    /// 180), each with slow DNS, servers' time to first byte and lost packets; changed with
    /// `,rtt=MS`, `,dns=MS`, `,loss=SHARE` (e.g. `overseas,rtt=100`). Default: loopback's.
    #[arg(long, value_name = "PROFILE")]
    pub(crate) latency: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct FleetArgs {
    #[command(flatten)]
    pub(crate) shape: FleetShape,
    /// Where to write ca.pem, domains.txt, sites.csv (with the manifest), answer_key.csv,
    /// fleet.json.
    #[arg(long, default_value = "fleet")]
    pub(crate) dir: PathBuf,
    /// DNS listen address.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub(crate) dns: SocketAddr,
    /// HTTP port on every fleet address (0 = any free port).
    #[arg(long, default_value_t = 0)]
    pub(crate) http_port: u16,
    /// HTTPS port on every fleet address (0 = any free port).
    #[arg(long, default_value_t = 0)]
    pub(crate) https_port: u16,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    #[command(flatten)]
    pub(crate) shape: FleetShape,
    /// Sites audited at once.
    #[arg(long, default_value_t = 64)]
    pub(crate) concurrency: u32,
    #[command(flatten)]
    pub(crate) judge: JudgeArgs,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// What a report is about and where it goes.
#[derive(Debug, Clone, Args)]
pub(crate) struct ReportArgs {
    /// The run directory to report on (`beian audit --out DIR`). With --history: omit it to
    /// report on the latest complete run under ROOT.
    #[arg(required_unless_present = "history")]
    pub(crate) run: Option<PathBuf>,
    /// The run directory to compare with.
    #[arg(long, value_name = "DIR")]
    pub(crate) compare: Option<PathBuf>,
    /// A history root (`beian audit --history ROOT`): the run is its latest complete run
    /// unless RUN is given, compared with the complete run before it unless --compare is.
    #[arg(long, value_name = "ROOT")]
    pub(crate) history: Option<PathBuf>,
    /// Runs in the trend of a --history report (the reported run and those before it).
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub(crate) trend: usize,
    /// Where report.html, report.json and report.md go (default: RUN/report).
    #[arg(long, short, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Language of the labels, and of the evidence and fixes the exports hold.
    #[arg(long, value_enum, default_value_t = Lang::Zh)]
    pub(crate) lang: Lang,
    /// Also write, per owner (or province), a CSV (UTF-8 with BOM) and a Markdown page of its
    /// failing sites with rule, evidence and fix, and report.xlsx (summary, findings and
    /// exceptions).
    #[arg(long, value_enum, value_name = "GROUP")]
    pub(crate) split_by: Option<SplitBy>,
    /// Post the digest to this chat webhook once the report is written (repeatable). A post
    /// that still fails after two retries is reported and the exit status is 3; the report
    /// stays written.
    #[arg(long = "notify", value_name = "URL")]
    pub(crate) notify: Vec<url::Url>,
    /// The webhook's message format; `auto` goes by the URL's host (oapi.dingtalk.com,
    /// qyapi.weixin.qq.com, open.feishu.cn), else a JSON object with the title, the digest
    /// and the report.
    #[arg(long, value_enum, default_value_t = NotifyFormat::Auto)]
    pub(crate) notify_format: NotifyFormat,
}

/// What exports are split by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SplitBy {
    /// The manifest's `owner` column.
    Owner,
    /// The filing province.
    Province,
}

/// A webhook's message format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum NotifyFormat {
    /// By the URL's host.
    Auto,
    /// DingTalk custom robot (Markdown).
    Dingtalk,
    /// WeCom group robot (Markdown).
    Wecom,
    /// Feishu / Lark custom bot (text).
    Feishu,
    /// `{"title", "text", "report"}`.
    Json,
}

/// A report's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Lang {
    /// Chinese.
    Zh,
    /// English.
    En,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_defaults_are_the_flags_defaults() {
        let d = NetArgs::default();
        assert_eq!((d.concurrency, d.per_ip, d.https_port), (64, 8, 443));
        assert!(d.resolvers.is_empty() && !d.allow_private);
    }

    #[test]
    fn the_cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
