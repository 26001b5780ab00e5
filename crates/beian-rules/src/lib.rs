//! The rules of docs/rulebook.md §5 as pure functions: page rules over
//! [`beian_types::FooterFacts`] and the site's manifest ([`page_rules`]), site rules over both
//! hosts' observations ([`judge_site`], which also names the number the site shows and why it
//! is unreachable), the rules file ([`RuleConfig`]) and the catalogue with its fixes
//! ([`CATALOGUE`], docs/RULES.md). No I/O, no async. The number grammars, the province table
//! and the filing systems' hosts are `beian-numbers`'.
//!
//! Every rule id is a constant in [`ids`] spelled exactly as in the spec (the issue-4
//! additions LICENCE-PRESENT, SITE-REDIRECT and SITE-TLS follow the same style).
#![deny(missing_docs)]

mod access;
mod catalogue;
mod config;
mod filing;
mod front;
mod observation;
mod page;
mod placement;
mod site;
mod waivers;

pub use access::{network_of, networks_for};
pub use catalogue::{CATALOGUE, RuleInfo, catalogue_markdown, rule, rules_version};
pub use config::{ConfigError, Level, RuleConfig, RuleSetting};
pub use filing::matching_name;
pub use observation::{DnsObservation, HostObservation, PageObservation, ProbeObservation, Render};
pub use page::{PageInput, page_rules};
pub use placement::{Placement, Thresholds};
pub use site::{SiteContext, SiteJudgement, Unreachable, judge_site, rules_with, site_rules};
pub use waivers::{Waiver, WaiverError, Waivers};

/// Rule ids, exactly as written in docs/rulebook.md §5.
pub mod ids {
    /// A filing/licence number is shown in the footer.
    pub const ICP_PRESENT: &str = "ICP-PRESENT";
    /// The primary number is well-formed.
    pub const ICP_FORMAT: &str = "ICP-FORMAT";
    /// The number links to the MIIT filing system.
    pub const ICP_LINK: &str = "ICP-LINK";
    /// The right kind of number for a website.
    pub const ICP_KIND: &str = "ICP-KIND";
    /// All filing numbers in the footer belong to one subject.
    pub const ICP_MULTI: &str = "ICP-MULTI";
    /// A PSB number is shown.
    pub const PSB_PRESENT: &str = "PSB-PRESENT";
    /// PSB digits are well-formed.
    pub const PSB_FORMAT: &str = "PSB-FORMAT";
    /// PSB prefix character matches the code.
    pub const PSB_PROVINCE: &str = "PSB-PROVINCE";
    /// PSB number links to the platform with the same code.
    pub const PSB_LINK: &str = "PSB-LINK";
    /// PSB icon shown with the number.
    pub const PSB_ICON: &str = "PSB-ICON";
    /// Jiangsu: copyright line names the organisation.
    pub const COPYRIGHT: &str = "COPYRIGHT";
    /// Licence numbers are well-formed.
    pub const LICENCE_FORMAT: &str = "LICENCE-FORMAT";
    /// Commercial sites show a licence number (manifest `commercial=true`).
    pub const LICENCE_PRESENT: &str = "LICENCE-PRESENT";
    /// The number is visible and legible at the bottom centre of the rendered page.
    pub const ICP_PLACEMENT: &str = "ICP-PLACEMENT";
    /// The displayed number equals the manifest.
    pub const ICP_MANIFEST: &str = "ICP-MANIFEST";
    /// The PSB number the manifest says was issued is displayed.
    pub const PSB_MANIFEST: &str = "PSB-MANIFEST";
    /// Apex and www both answer.
    pub const SITE_REACH: &str = "SITE-REACH";
    /// Both hosts' final pages carry the same number.
    pub const SITE_PARITY: &str = "SITE-PARITY";
    /// Redirects are sane: no loops, no endless chains, no HTTPS→HTTP downgrade.
    pub const SITE_REDIRECT: &str = "SITE-REDIRECT";
    /// Every HTTPS host has a valid certificate.
    pub const SITE_TLS: &str = "SITE-TLS";
    /// Every address of both hosts lies in the access provider's networks.
    pub const SITE_ACCESS: &str = "SITE-ACCESS";
    /// No host answers with the access provider's page for unfiled domains.
    pub const ICP_PROVIDER: &str = "ICP-PROVIDER";
    /// The hosts show the site, not a parked or default page (空壳).
    pub const SITE_SHELL: &str = "SITE-SHELL";
    /// A name the pages show matches the filed 网站名称 (manifest `site_name`).
    pub const SITE_NAME: &str = "SITE-NAME";
    /// Interactive services only on a site filed as interactive (manifest `interactive`).
    pub const SITE_INTERACTIVE: &str = "SITE-INTERACTIVE";
    /// A personal filing shows no commerce, forum or organisation (manifest `subject_type`).
    pub const SITE_SCOPE: &str = "SITE-SCOPE";
    /// The hosts' addresses are the public-security filing's IPs (manifest `filed_ips`).
    pub const SITE_FILED_IP: &str = "SITE-FILED-IP";
    /// The pages' language is a filed 网站语种 (manifest `languages`).
    pub const SITE_LANG: &str = "SITE-LANG";
    /// Every other domain of the filing (从域名, manifest `other_domains`) shows the site with
    /// its number.
    pub const SITE_OTHER_DOMAINS: &str = "SITE-OTHER-DOMAINS";

    /// Page rules in catalogue order.
    pub const PAGE_RULES: &[&str] = &[
        ICP_PRESENT,
        ICP_FORMAT,
        ICP_LINK,
        ICP_KIND,
        ICP_MULTI,
        ICP_MANIFEST,
        PSB_PRESENT,
        PSB_FORMAT,
        PSB_PROVINCE,
        PSB_LINK,
        PSB_ICON,
        PSB_MANIFEST,
        COPYRIGHT,
        LICENCE_FORMAT,
        LICENCE_PRESENT,
        ICP_PLACEMENT,
    ];
    /// Site rules in catalogue order.
    pub const SITE_RULES: &[&str] = &[
        SITE_REACH,
        SITE_PARITY,
        SITE_REDIRECT,
        SITE_TLS,
        SITE_ACCESS,
        ICP_PROVIDER,
        SITE_SHELL,
        SITE_NAME,
        SITE_INTERACTIVE,
        SITE_SCOPE,
        SITE_FILED_IP,
        SITE_LANG,
        SITE_OTHER_DOMAINS,
    ];
    /// The rules that judge a site against its filing (docs/rulebook.md §5.3): the last six
    /// site rules, from SITE-NAME. A report counts their warns apart from the footer's
    /// violations.
    pub const FILING_RULES: &[&str] = SITE_RULES.split_at(SITE_RULES.len() - 6).1;
}
