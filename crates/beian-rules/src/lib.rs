//! The rulebook of icp-rules.md §5 as pure functions: number grammars ([`numbers`]), page rules
//! over [`beian_types::FooterFacts`] and site rules over both hosts' outcomes. No I/O, no async.
//!
//! Every rule id is a constant in [`ids`] spelled exactly as in the spec.
#![deny(missing_docs)]

pub mod numbers;
mod page;
mod site;

pub use page::{PageInput, is_miit_host, page_rules};
pub use site::{HostObservation, PageObservation, SiteJudgement, judge_site, site_rules};

/// Rule ids, exactly as written in icp-rules.md §5.
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
    /// Apex and www both answer.
    pub const SITE_REACH: &str = "SITE-REACH";
    /// Both hosts' final pages carry the same number.
    pub const SITE_PARITY: &str = "SITE-PARITY";

    /// Page rules in catalogue order.
    pub const PAGE_RULES: &[&str] = &[
        ICP_PRESENT,
        ICP_FORMAT,
        ICP_LINK,
        ICP_KIND,
        ICP_MULTI,
        PSB_PRESENT,
        PSB_FORMAT,
        PSB_PROVINCE,
        PSB_LINK,
        PSB_ICON,
        COPYRIGHT,
        LICENCE_FORMAT,
    ];
    /// Site rules in catalogue order.
    pub const SITE_RULES: &[&str] = &[SITE_REACH, SITE_PARITY];
}

/// One line of the rule catalogue (`beian rules`).
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    /// Rule id.
    pub id: &'static str,
    /// `page` or `site`.
    pub scope: &'static str,
    /// What the rule checks.
    pub checks: &'static str,
}

/// The catalogue of implemented rules, in order.
pub const CATALOGUE: &[RuleInfo] = &[
    RuleInfo {
        id: ids::ICP_PRESENT,
        scope: "page",
        checks: "a filing/licence number is shown in the footer",
    },
    RuleInfo {
        id: ids::ICP_FORMAT,
        scope: "page",
        checks: "the primary number is well-formed (prefix, digits, 号, suffix letter)",
    },
    RuleInfo {
        id: ids::ICP_LINK,
        scope: "page",
        checks: "the number links to beian.miit.gov.cn",
    },
    RuleInfo {
        id: ids::ICP_KIND,
        scope: "page",
        checks: "service number (Guangdong: subject allowed); no app/mini-program numbers",
    },
    RuleInfo {
        id: ids::ICP_MULTI,
        scope: "page",
        checks: "all ICP备 numbers in the footer belong to one subject",
    },
    RuleInfo {
        id: ids::PSB_PRESENT,
        scope: "page",
        checks: "a public-security (公网安备) number is shown",
    },
    RuleInfo {
        id: ids::PSB_FORMAT,
        scope: "page",
        checks: "PSB digits: 14, starting with a province code",
    },
    RuleInfo {
        id: ids::PSB_PROVINCE,
        scope: "page",
        checks: "PSB prefix character matches its province code",
    },
    RuleInfo {
        id: ids::PSB_LINK,
        scope: "page",
        checks: "PSB number links to beian.mps.gov.cn with the same code",
    },
    RuleInfo {
        id: ids::PSB_ICON,
        scope: "page",
        checks: "the PSB icon is shown with the number",
    },
    RuleInfo {
        id: ids::COPYRIGHT,
        scope: "page",
        checks: "Jiangsu filings: a copyright line names the holder",
    },
    RuleInfo {
        id: ids::LICENCE_FORMAT,
        scope: "page",
        checks: "every licence number in the footer is well-formed",
    },
    RuleInfo {
        id: ids::SITE_REACH,
        scope: "site",
        checks: "apex and www both reach a 2xx HTML page",
    },
    RuleInfo {
        id: ids::SITE_PARITY,
        scope: "site",
        checks: "apex and www final pages carry the same number",
    },
];

/// The province code (GB/T 2260 first two digits) → accepted PSB prefix characters (§2.1).
pub fn psb_prefixes_for_code(code: &str) -> Option<&'static [char]> {
    Some(match code {
        "11" => &['京'],
        "12" => &['津'],
        "13" => &['冀'],
        "14" => &['晋'],
        "15" => &['蒙'],
        "21" => &['辽'],
        "22" => &['吉'],
        "23" => &['黑'],
        "31" => &['沪'],
        "32" => &['苏'],
        "33" => &['浙'],
        "34" => &['皖'],
        "35" => &['闽'],
        "36" => &['赣'],
        "37" => &['鲁'],
        "41" => &['豫'],
        "42" => &['鄂'],
        "43" => &['湘'],
        "44" => &['粤'],
        "45" => &['桂'],
        "46" => &['琼'],
        "50" => &['渝'],
        "51" => &['川', '蜀'],
        "52" => &['贵', '黔'],
        "53" => &['滇', '云'],
        "54" => &['藏'],
        "61" => &['陕'],
        "62" => &['甘'],
        "63" => &['青'],
        "64" => &['宁'],
        "65" => &['新'],
        _ => return None,
    })
}
