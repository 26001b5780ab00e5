//! The marker table, in one place: each rule names a class, the vendor when the markers name
//! one, the conditions that must all hold and where they come from. docs/MARKERS.md is
//! generated from it (`beian rules --markers`; a test keeps it current).
//!
//! A rule never decides by a status alone (521 is 加速乐's challenge and a CDN's "origin
//! down"), nor by words an ordinary page may hold (a post *about* Cloudflare, a footer saying
//! 备案): each pairs a status or a vendor's header, cookie or exact title with a structural
//! marker, and body markers count only in a short body. The rules are tried in order; the
//! first that holds decides.

use beian_types::{PageClass, Vendor};

/// How a text is matched.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Text {
    /// Equal (ASCII case ignored).
    Is(&'static str),
    /// Starts with (ASCII case ignored).
    Prefix(&'static str),
    /// Contains (case kept).
    Has(&'static str),
}

/// One condition of a rule.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cond {
    /// The status is one of these.
    Status(&'static [u16]),
    /// The status is in this range (inclusive).
    StatusIn(u16, u16),
    /// A response header (lower-case name) is present with a value matching.
    Header(&'static str, Text),
    /// A response header (lower-case name) is present.
    HasHeader(&'static str),
    /// A `Set-Cookie` sets a cookie whose name starts with this.
    Cookie(&'static str),
    /// The page's `<title>` matches.
    Title(Text),
    /// The page has no `<title>`.
    NoTitle,
    /// The body (no longer than the rule's `max_body`) contains this.
    Body(&'static str),
    /// The body (no longer than the rule's `max_body`) is empty or only white space.
    EmptyBody,
    /// The final URL or a redirect's target contains this.
    Redirected(&'static str),
    /// One of these holds.
    Any(&'static [Cond]),
}

/// One rule of the table.
#[derive(Debug)]
pub(crate) struct Rule {
    /// Stable id (`fetches.page_marker`).
    pub(crate) id: &'static str,
    pub(crate) class: PageClass,
    pub(crate) vendor: Option<Vendor>,
    /// All must hold, tried in order (the cheap ones first: status, headers, title).
    pub(crate) all: &'static [Cond],
    /// The longest body the rule applies to, bytes (a challenge or block page is short; a
    /// page that long is the site's own).
    pub(crate) max_body: usize,
    /// Where the markers come from.
    pub(crate) source: &'static str,
}

const fn vendor(id: &'static str, name: &'static str) -> Option<Vendor> {
    Some(Vendor { id, name })
}

const ALIYUN_WAF: Option<Vendor> = vendor("aliyun_waf", "Alibaba Cloud WAF");
const ALIYUN: Option<Vendor> = vendor("aliyun", "Alibaba Cloud");
const ALIYUN_CDN: Option<Vendor> = vendor("aliyun_cdn", "Alibaba Cloud CDN");
const JIASULE: Option<Vendor> = vendor("jiasule", "加速乐 (Jiasule)");
const CHUANGYU: Option<Vendor> = vendor("chuangyudun", "创宇盾 (Chuangyu)");
const YUNJIASU: Option<Vendor> = vendor("yunjiasu", "百度云加速 (Yunjiasu)");
const TENCENT_WAF: Option<Vendor> = vendor("tencent_waf", "Tencent Cloud T-Sec WAF");
const EDGEONE: Option<Vendor> = vendor("edgeone", "Tencent EdgeOne");
const TENCENT: Option<Vendor> = vendor("tencent_cloud", "Tencent Cloud");
const HUAWEI_WAF: Option<Vendor> = vendor("huawei_waf", "Huawei Cloud WAF");
const BAOTA: Option<Vendor> = vendor("baota", "宝塔 (BT panel)");
const SAFEDOG: Option<Vendor> = vendor("safedog", "安全狗 (Safedog)");
const YUNSUO: Option<Vendor> = vendor("yunsuo", "云锁 (Yunsuo)");
const QIANXIN: Option<Vendor> = vendor("qianxin", "360/奇安信 网站卫士");
const CLOUDFLARE: Option<Vendor> = vendor("cloudflare", "Cloudflare");
const ANUBIS: Option<Vendor> = vendor("anubis", "Anubis");
const CERBERUS: Option<Vendor> = vendor("cerberus", "Cerberus");
const NGINX: Option<Vendor> = vendor("nginx", "nginx");
const APACHE: Option<Vendor> = vendor("apache", "Apache httpd");
const IIS: Option<Vendor> = vendor("iis", "Microsoft IIS");
const PARKING: Option<Vendor> = vendor("parking", "a domain parking service");

/// A challenge or block page: a few KB.
const SHORT: usize = 32 * 1024;
/// A default or interception page: shorter still.
const TINY: usize = 16 * 1024;
/// Rules on headers and status alone read no body.
const ANY: usize = usize::MAX;

const WAFW00F: &str = "EnableSecurity/wafw00f plugins (marker catalogue only)";

/// The table. Order matters: the first rule that holds decides.
pub(crate) static RULES: &[Rule] = &[
    // Provider interception first: its 403 would otherwise read as a block.
    Rule {
        id: "aliyun-beian-block",
        class: PageClass::ProviderInterception,
        vendor: ALIYUN,
        all: &[
            Cond::Header("server", Text::Is("Beaver")),
            Cond::Any(&[
                Cond::Title(Text::Is("Non-compliance ICP Filing")),
                Cond::Body("beian/beian-block"),
            ]),
        ],
        max_body: TINY,
        source: "Alibaba Cloud's block page for unfiled domains (403, Server: Beaver, a frame of aliyun.com/beian/beian-block), as captured in public deploy logs",
    },
    Rule {
        id: "dnspod-webblock",
        class: PageClass::ProviderInterception,
        vendor: TENCENT,
        all: &[Cond::Redirected("dnspod.qcloud.com/static/webblock.html")],
        max_body: ANY,
        source: "Tencent Cloud (DNSPod) redirects unfiled domains to dnspod.qcloud.com/static/webblock.html (cloud.tencent.com/document/api/243/18907; public reports)",
    },
    Rule {
        id: "unfiled-notice",
        class: PageClass::ProviderInterception,
        vendor: None,
        all: &[
            Cond::Any(&[
                Cond::Title(Text::Has("暂时无法访问")),
                Cond::Title(Text::Has("备案阻断")),
            ]),
            Cond::Any(&[
                Cond::Body("未备案"),
                Cond::Body("已阻断"),
                Cond::Body("备案状态不符合"),
                Cond::Body("尚未进行备案"),
            ]),
        ],
        max_body: TINY,
        source: "the wording of access providers' notices (Alibaba Cloud 2020, Baidu AI Cloud, Upyun): 该网站暂时无法访问 … 未备案 / 已阻断",
    },
    // Challenges.
    Rule {
        id: "cf-mitigated",
        class: PageClass::Challenge,
        vendor: CLOUDFLARE,
        all: &[Cond::Header("cf-mitigated", Text::Is("challenge"))],
        max_body: ANY,
        source: "developers.cloudflare.com/cloudflare-challenges/challenge-types/challenge-pages/detect-response",
    },
    Rule {
        id: "cf-just-a-moment",
        class: PageClass::Challenge,
        vendor: CLOUDFLARE,
        all: &[
            Cond::Status(&[403, 429, 503]),
            Cond::Header("server", Text::Prefix("cloudflare")),
            Cond::Title(Text::Is("Just a moment...")),
        ],
        max_body: ANY,
        source: "Cloudflare's challenge page title with its Server header (FlareSolverr, cloudscraper)",
    },
    Rule {
        id: "acw-sc-v2",
        class: PageClass::Challenge,
        vendor: ALIYUN_WAF,
        all: &[
            Cond::NoTitle,
            Cond::Body("var arg1="),
            Cond::Body("acw_sc__v2"),
        ],
        max_body: SHORT,
        source: "Alibaba Cloud WAF's JS check: a script page with var arg1='<hex>' that sets acw_sc__v2 and reloads (alibabacloud.com/help/en/waf; WangYihang/acw-sc-v2.js)",
    },
    Rule {
        id: "jsl-clearance",
        class: PageClass::Challenge,
        vendor: JIASULE,
        all: &[
            Cond::Status(&[521]),
            Cond::Any(&[
                Cond::Cookie("__jsluid"),
                Cond::Header("server", Text::Prefix("jiasule")),
            ]),
            Cond::Any(&[Cond::Body("document.cookie"), Cond::Body("__jsl_clearance")]),
        ],
        max_body: SHORT,
        source: "加速乐's 521 cookie challenge: __jsluid(_s) cookie, a script setting __jsl_clearance(_s) and reloading (wafw00f jiasule.py; public write-ups)",
    },
    Rule {
        id: "anubis-challenge",
        class: PageClass::Challenge,
        vendor: ANUBIS,
        // Markup, not words: a post quoting the id has it escaped (`&lt;script`).
        all: &[
            Cond::Body("<script id=\"anubis_challenge\""),
            Cond::Body("/.within.website/"),
        ],
        max_body: SHORT,
        source: "TecharoHQ/anubis web/index.templ: <script id=\"anubis_challenge\" type=\"application/json\">, static files under /.within.website/x/cmd/anubis/",
    },
    Rule {
        id: "anubis-deny",
        class: PageClass::Block,
        vendor: ANUBIS,
        all: &[
            Cond::Title(Text::Is("Oh noes!")),
            Cond::Body("/.within.website/"),
        ],
        max_body: SHORT,
        source: "TecharoHQ/anubis lib/http.go: the deny page's title",
    },
    Rule {
        id: "cerberus",
        class: PageClass::Challenge,
        vendor: CERBERUS,
        all: &[Cond::Header("x-cerberus-status", Text::Is("CHALLENGE"))],
        max_body: ANY,
        source: "sjtug/cerberus directives/common.go: X-Cerberus-Status",
    },
    Rule {
        id: "cerberus-block",
        class: PageClass::Block,
        vendor: CERBERUS,
        all: &[Cond::Any(&[
            Cond::Header("x-cerberus-status", Text::Is("BLOCKED")),
            Cond::Header("x-cerberus-status", Text::Is("FAIL")),
        ])],
        max_body: ANY,
        source: "sjtug/cerberus directives/common.go: X-Cerberus-Status",
    },
    // Origin errors (before the blocks: a CDN's 52x page is neither).
    Rule {
        id: "cf-origin-error",
        class: PageClass::OriginError,
        vendor: CLOUDFLARE,
        all: &[
            Cond::Any(&[Cond::StatusIn(520, 527), Cond::Status(&[530])]),
            Cond::Header("server", Text::Prefix("cloudflare")),
            Cond::Any(&[
                Cond::Body("cf-error-details"),
                Cond::Body("cf-wrapper"),
                Cond::Body("5xx-error-landing"),
            ]),
        ],
        max_body: SHORT,
        source: "Cloudflare 5xx error pages: title '<host> | 52x: …', cf-error-details, cloudflare.com/5xx-error-landing (developers.cloudflare.com/support/troubleshooting/http-status-codes/cloudflare-5xx-errors)",
    },
    Rule {
        id: "edgeone-origin-error",
        class: PageClass::OriginError,
        vendor: EDGEONE,
        all: &[
            Cond::HasHeader("eo-log-uuid"),
            Cond::Any(&[Cond::StatusIn(520, 525), Cond::StatusIn(550, 555)]),
        ],
        max_body: ANY,
        source: "cloud.tencent.com/document/product/1552/101095: EdgeOne's 52x/55x origin statuses",
    },
    Rule {
        id: "aliyun-cdn-origin-error",
        class: PageClass::OriginError,
        vendor: ALIYUN_CDN,
        all: &[Cond::Status(&[502, 504]), Cond::HasHeader("eagleid")],
        max_body: ANY,
        source: "help.aliyun.com/en/cdn/developer-reference/http-status-code-description; the EagleId header on Alibaba Cloud CDN responses",
    },
    Rule {
        id: "baota-502",
        class: PageClass::OriginError,
        vendor: BAOTA,
        all: &[
            Cond::Status(&[502]),
            Cond::Body("bt.cn"),
            Cond::Body("Power by"),
        ],
        max_body: TINY,
        source: "aaPanel/BaoTa data/502_cn.html",
    },
    // Blocks.
    Rule {
        id: "edgeone-block",
        class: PageClass::Block,
        vendor: EDGEONE,
        all: &[Cond::Status(&[566, 567]), Cond::HasHeader("eo-log-uuid")],
        max_body: ANY,
        source: "edgeone.ai/document/zh/58009: 566 managed-rule block, 567 custom rule / rate limit / bot block",
    },
    Rule {
        id: "cf-blocked",
        class: PageClass::Block,
        vendor: CLOUDFLARE,
        all: &[
            Cond::Status(&[403]),
            Cond::Header("server", Text::Prefix("cloudflare")),
            Cond::Any(&[
                Cond::Title(Text::Prefix("Attention Required!")),
                Cond::Body("Sorry, you have been blocked"),
            ]),
        ],
        max_body: SHORT,
        source: "Cloudflare's block page ('Attention Required! | Cloudflare', 'Sorry, you have been blocked')",
    },
    Rule {
        id: "aliyun-waf-block",
        class: PageClass::Block,
        vendor: ALIYUN_WAF,
        all: &[
            Cond::Status(&[405]),
            Cond::Any(&[
                Cond::Body("errors.aliyun.com"),
                Cond::Body("alicdn.com/sd-base/static"),
                Cond::Body("/sd/punish/waf_block"),
            ]),
        ],
        max_body: SHORT,
        source: WAFW00F,
    },
    Rule {
        id: "chuangyudun-block",
        class: PageClass::Block,
        vendor: CHUANGYU,
        all: &[Cond::Any(&[
            Cond::Body("365cyd.com"),
            Cond::Body("创宇盾提示"),
        ])],
        max_body: SHORT,
        source: WAFW00F,
    },
    Rule {
        id: "yunjiasu-block",
        class: PageClass::Block,
        vendor: YUNJIASU,
        all: &[
            Cond::Header("server", Text::Prefix("yunjiasu")),
            Cond::Any(&[Cond::Status(&[403]), Cond::Body("yunjiasu-cgi")]),
        ],
        max_body: SHORT,
        source: WAFW00F,
    },
    Rule {
        id: "tencent-waf-block",
        class: PageClass::Block,
        vendor: TENCENT_WAF,
        all: &[Cond::Any(&[
            Cond::Body("腾讯云Web应用防火墙"),
            Cond::Redirected("waf.tencent-cloud.com/"),
            Cond::Redirected("waf.tencent.com/"),
            Cond::Body("waf-static.tencent.com/"),
        ])],
        max_body: SHORT,
        source: WAFW00F,
    },
    Rule {
        id: "huawei-waf-block",
        class: PageClass::Block,
        vendor: HUAWEI_WAF,
        all: &[
            Cond::Any(&[
                Cond::Header("server", Text::Prefix("HuaweiCloudWAF")),
                Cond::Cookie("HWWAFSESID"),
                Cond::Body("hwclouds.com"),
            ]),
            Cond::Any(&[
                Cond::Body("hws_security"),
                Cond::Body("YOUR REQUEST HAS BEEN DENIED"),
            ]),
        ],
        max_body: SHORT,
        source: WAFW00F,
    },
    Rule {
        id: "baota-waf-block",
        class: PageClass::Block,
        vendor: BAOTA,
        all: &[
            Cond::Any(&[
                Cond::Body("bt.cn/new/btwaf"),
                Cond::Body("堡塔云WAF"),
                Cond::Body("宝塔网站防火墙"),
            ]),
            Cond::Any(&[
                Cond::Body("访问被拦截"),
                Cond::Title(Text::Has("防火墙")),
                Cond::Title(Text::Has("拦截")),
            ]),
        ],
        max_body: SHORT,
        source: "pbuff07/waf_repeater config/waf_config.py (堡塔云WAF's block page links bt.cn/new/btwaf.html)",
    },
    Rule {
        id: "safedog-block",
        class: PageClass::Block,
        vendor: SAFEDOG,
        all: &[Cond::Any(&[
            Cond::Body("safedog.cn"),
            Cond::Body("safedogsite"),
            Cond::Body("请登录安全狗"),
        ])],
        max_body: SHORT,
        source: WAFW00F,
    },
    Rule {
        id: "yunsuo-block",
        class: PageClass::Block,
        vendor: YUNSUO,
        all: &[Cond::Body("class=\"yunsuologo\"")],
        max_body: SHORT,
        source: WAFW00F,
    },
    Rule {
        id: "qianxin-block",
        class: PageClass::Block,
        vendor: QIANXIN,
        all: &[
            Cond::Any(&[
                Cond::Status(&[493]),
                Cond::Header("server", Text::Prefix("qianxin-waf")),
                Cond::HasHeader("wzws-ray"),
            ]),
            Cond::Any(&[
                Cond::Body("wzws-waf-cgi"),
                Cond::Body("已被云防护拦截"),
                Cond::Status(&[493]),
            ]),
        ],
        max_body: SHORT,
        source: WAFW00F,
    },
    Rule {
        id: "blocked-notice",
        class: PageClass::Block,
        vendor: None,
        all: &[
            Cond::Any(&[
                Cond::Title(Text::Has("拦截")),
                Cond::Title(Text::Has("Access Denied")),
                Cond::Title(Text::Has("访问被拒绝")),
            ]),
            Cond::Any(&[
                Cond::Body("访问被拦截"),
                Cond::Body("拦截"),
                Cond::Body("denied"),
            ]),
        ],
        max_body: TINY,
        source: "the wording of WAF block pages (您的访问被拦截, Access Denied) in a short page titled so",
    },
    Rule {
        id: "rate-limit",
        class: PageClass::Block,
        vendor: None,
        all: &[Cond::Status(&[429])],
        max_body: ANY,
        source: "RFC 6585 §4: 429 Too Many Requests",
    },
    // Parked and default pages.
    Rule {
        id: "baota-default",
        class: PageClass::Parked,
        vendor: BAOTA,
        all: &[Cond::Any(&[
            Cond::Title(Text::Is("恭喜，站点创建成功！")),
            Cond::Body("恭喜, 站点创建成功！"),
        ])],
        max_body: TINY,
        source: "aaPanel/BaoTa data/defaultDoc.html",
    },
    Rule {
        id: "nginx-default",
        class: PageClass::Parked,
        vendor: NGINX,
        all: &[Cond::Title(Text::Is("Welcome to nginx!"))],
        max_body: TINY,
        source: "nginx/nginx docs/html/index.html",
    },
    Rule {
        id: "empty-page",
        class: PageClass::Parked,
        vendor: None,
        all: &[Cond::StatusIn(200, 299), Cond::EmptyBody],
        max_body: TINY,
        source: "issue 30: the providers' 空壳网站 checks (网站内容无法访问) — a 2xx answer with nothing in it",
    },
    Rule {
        id: "apache-default",
        class: PageClass::Parked,
        vendor: APACHE,
        all: &[Cond::Any(&[
            Cond::Title(Text::Has("Default Page: It works")),
            Cond::Title(Text::Prefix("Apache HTTP Server Test Page")),
        ])],
        max_body: ANY,
        source: "Debian/Ubuntu/CentOS default pages (intrigueio/intrigue-ident checks/http)",
    },
    Rule {
        id: "iis-default",
        class: PageClass::Parked,
        vendor: IIS,
        all: &[Cond::Any(&[
            Cond::Title(Text::Is("IIS Windows Server")),
            Cond::Title(Text::Is("IIS7")),
        ])],
        max_body: TINY,
        source: "intrigueio/intrigue-ident checks/http/microsoft.rb",
    },
    Rule {
        id: "parking-service",
        class: PageClass::Parked,
        vendor: PARKING,
        all: &[Cond::Any(&[
            Cond::Body("sedoParkingUrl"),
            Cond::Body("This Web page is parked"),
            Cond::Body("is a parked domain"),
            Cond::Title(Text::Is("Domain Parked")),
            Cond::Body("/js/parking"),
        ])],
        max_body: SHORT,
        source: "intrigueio/intrigue-ident checks (Sedo, GoDaddy, ParkingCrew, generic); parkingtma/parkingtma.github.io",
    },
    Rule {
        id: "for-sale",
        class: PageClass::Parked,
        vendor: None,
        all: &[Cond::Any(&[
            Cond::Title(Text::Has("is for sale")),
            Cond::Title(Text::Has("域名出售")),
            Cond::Title(Text::Has("域名正在出售")),
        ])],
        max_body: TINY,
        source: "for-sale landers titled so (Dan.com, Afternic, Chinese registrars' 域名出售)",
    },
];
