//! What a fleet manifest says about one domain (the optional CSV columns of the input, issue 4):
//! validated values, so rules never see free text where they expect a date or a number.

use time::Date;

/// Where the site is hosted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hosting {
    /// On the mainland: the ICP rules apply.
    Mainland,
    /// Outside the mainland: no ICP filing, the ICP rules are n/a.
    Overseas,
}

/// Who holds the filing (`subject_type`, the filing's 主办单位性质).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectType {
    /// A person (个人).
    Personal,
    /// An organisation: a company, a government body, a school (单位, 企业, …).
    Organisation,
}

/// The manifest columns of one input line; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// Canonical form of the number the site should show (`expected_icp`).
    pub expected_icp: Option<String>,
    /// Digits of the PSB number the platform issued (`expected_psb`).
    pub expected_psb: Option<String>,
    /// The filing organisation's name (`org_name`), for COPYRIGHT.
    pub org_name: Option<String>,
    /// ICP prefix character of the filing province (`province`: 江苏, 苏, Jiangsu …).
    pub province: Option<char>,
    /// The site does business (`commercial`): it needs a licence number.
    pub commercial: Option<bool>,
    /// Mainland or overseas hosting (`hosting`).
    pub hosting: Option<Hosting>,
    /// When the site went live (`opened_on`): the PSB filing is due 30 days later.
    pub opened_on: Option<Date>,
    /// When the PSB filing was approved (`psb_approved_on`): the number is due 30 days later.
    pub psb_approved_on: Option<Date>,
    /// Who must fix the site (`owner`: a customer, a business unit), for reports.
    pub owner: Option<String>,
    /// The access provider's networks the site must be served from (`access_nets`), in place
    /// of `--access-nets` for this row (SITE-ACCESS).
    pub access_nets: Option<Vec<ipnet::IpNet>>,
    /// The site's name as filed (`site_name`, 网站名称), for SITE-NAME (issue 30).
    pub site_name: Option<String>,
    /// Who holds the filing (`subject_type`): a person or an organisation.
    pub subject_type: Option<SubjectType>,
    /// Whether the filing says the site offers interactive services (`interactive`,
    /// 是否提供互联网交互服务).
    pub interactive: Option<bool>,
    /// The public addresses on the public-security filing (`filed_ips`; a network stands for
    /// its addresses).
    pub filed_ips: Option<Vec<ipnet::IpNet>>,
    /// The filing's other domains (`other_domains`, 从域名), as sites: ASCII (IDNA) forms, `www.`
    /// dropped as for an input line.
    pub other_domains: Option<Vec<String>>,
    /// The filed languages (`languages`, 网站语种): lower-case primary language subtags (`zh`,
    /// `en`).
    pub languages: Option<Vec<String>>,
}

impl Manifest {
    /// Whether no column was given.
    pub fn is_empty(&self) -> bool {
        *self == Manifest::default()
    }
}
