//! The behaviours a simulated site can have, and the deterministic assignment of behaviours
//! and numbers to domains from a seed. What a correct audit concludes of each is in
//! [`crate::key`].

use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// One site behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Behaviour {
    /// Service number linked to MIIT, PSB number linked with code and icon, on both hosts.
    Compliant,
    /// Guangdong subject number (allowed).
    GuangdongSubject,
    /// Footer without any number.
    NoIcp,
    /// Number not linked, no MIIT link in the footer.
    Unlinked,
    /// Number linked to a third-party lookup site.
    WrongLink,
    /// Number linked to a legacy MIIT host.
    LegacyLink,
    /// Subject number outside Guangdong.
    SubjectOutsideGuangdong,
    /// Wrong ICP alias 川 instead of 蜀.
    WrongAlias,
    /// No PSB number.
    PsbMissing,
    /// PSB link code differs from the digits shown.
    PsbCodeMismatch,
    /// PSB prefix does not match the code.
    PsbProvinceMismatch,
    /// PSB number without its icon.
    PsbNoIcon,
    /// Apex answers 301 to `https://www.`.
    ApexToWww,
    /// `www.` does not exist in DNS.
    MissingWww,
    /// `www.` serves a page without the number.
    WwwNoNumber,
    /// Compliant page encoded in GBK (declared by `<meta charset>`).
    Gbk,
    /// Compliant page sent compressed (gzip, deflate, br or zstd by domain).
    Compressed,
    /// Every URL redirects in a loop.
    RedirectLoop,
    /// Compliant, but answers after a delay.
    Slow,
    /// Every request answers 500.
    ServerError,
    /// No TLS (handshake refused); http works.
    HttpOnly,
    /// Expired certificate on https; the page is compliant.
    ExpiredCert,
    /// Neither host exists in DNS.
    Nxdomain,
    /// Apex serves a `<meta http-equiv="refresh">` to www.
    MetaRefresh,
    /// Jiangsu filing without a copyright line.
    JiangsuNoCopyright,
    /// Jiangsu filing with a copyright line.
    JiangsuCopyright,
    /// Number only in an image's alt text.
    AltOnly,
    /// An APP number (`-1A`) in a website footer.
    AppNumber,
    /// `www.` is a CNAME to the apex (compliant).
    WwwCname,
    /// DNS answers SERVFAIL for both hosts.
    DnsServfail,
    /// DNS never answers for `www.` (the apex is fine).
    DnsTimeout,
    /// `www.` exists in DNS but has no address records.
    NoAddress,
    /// A compliant page of about 5 MB: the footer lies beyond the default 4 MiB body cap.
    HugePage,
    /// The apex's HTTPS URL redirects to `http://www.` (a downgrade); pages compliant.
    HttpsDowngrade,
    /// `www.` and every http URL answer 301 to `https://` + the apex: the four probes of the
    /// site converge on one page (the redirect most sites issue 16 measured had). Not in the
    /// default mix ([`Behaviour::CONVERGENT`]); the nginx benchmark's typical mix is mostly
    /// this.
    WwwToApex,
    // Footers written by scripts (issue 17): not in the default mix ([`Behaviour::SCRIPTED`]).
    /// The footer's numbers written by `document.write` in an inline script.
    ScriptWrite,
    /// The footer's numbers set by `innerHTML` one second after load, the ICP number joined
    /// from pieces (no number in the HTML at all).
    ScriptTimer,
    /// An empty `#app` shell whose script fetches `/config.json` and renders the footer.
    ScriptConfig,
    /// A script that never writes the footer: the footer element stays empty.
    ScriptNever,
    /// The footer fetched by a script from a private address (`http://10.255.255.1/`), which
    /// the audit refuses: it stays empty.
    ScriptPrivate,
    /// A script that never ends (`for (;;) {}`): the render runs out of time.
    ScriptHang,
    // Hostile servers (issue 6): not in the default mix ([`Behaviour::HOSTILE`]).
    /// Accepts the TCP connection, then never sends a byte (no TLS handshake either).
    Silent,
    /// Sends response headers, then one body byte per second, forever.
    Slowloris,
    /// An endless body, sent as fast as the client reads.
    EndlessBody,
    /// A compressed body that inflates to 256 MiB of zeros: gzip on the apex, brotli on
    /// `www.`.
    CompressionBomb,
    /// 1 MiB of response headers.
    HugeHeaders,
    /// A header line without a colon.
    MalformedHeaders,
    /// A chunked body with a chunk size that is not hexadecimal.
    BadChunked,
    /// `Content-Length: 100000`, then a few bytes and the connection closed.
    ShortBody,
    /// Half a body, then the connection reset (RST).
    ResetMidBody,
    /// Garbage instead of a TLS handshake on https (http is fine).
    TlsGarbage,
    /// A chain of 1,000 redirects, each to the next.
    LongRedirectChain,
    /// A redirect to `file:///etc/passwd`.
    RedirectToFile,
    /// `www.` is a CNAME to `loop.`, which is a CNAME back to `www.` (the apex is fine).
    CnameLoop,
    /// Both hosts have only an AAAA record (`::1`); the pages are compliant.
    Ipv6Only,
    /// `www.` exists only through a wildcard record (`*.` + the domain); compliant.
    WildcardDns,
    /// The certificate names another host; the page is compliant.
    WrongNameCert,
    /// The apex redirects to `http://10.255.255.1/`; `www.` resolves to `10.255.255.2` (DNS
    /// rebinding). Both private: refused unless allowed.
    RedirectToPrivate,
    /// Both hosts resolve to an address outside the provider's networks (the site moved to
    /// another provider); the pages are compliant. SITE-ACCESS fails.
    MovedAway,
    /// `www.` is a CNAME to a third party's CDN name whose address is outside the networks;
    /// the apex is inside. SITE-ACCESS warns, naming the CNAME.
    ThirdPartyCdn,
    /// Both hosts have two addresses, one in the networks and one outside. SITE-ACCESS warns.
    SplitNetworks,
    /// The footer sits in a narrow left column: the number is visible at the bottom, but not
    /// centred. ICP-PLACEMENT warns.
    PlaceSideColumn,
    /// The number's line is hidden by a stylesheet (`display: none`). ICP-PLACEMENT fails.
    PlaceHidden,
    /// The number is white on a white page. ICP-PLACEMENT fails.
    PlaceWhiteOnWhite,
    /// The number is set in 1 px type. ICP-PLACEMENT fails.
    PlaceTinyFont,
    /// The number's line is moved far off the page's left edge. ICP-PLACEMENT fails.
    PlaceOffScreen,
    /// A media query hides the number on narrow screens: visible on the desktop only.
    /// ICP-PLACEMENT warns.
    PlaceDesktopOnly,
    /// A stylesheet hides the PSB icon. PSB-ICON warns once rendered.
    PlaceIconHidden,
    // Defended sites (issue 28): not in the default mix ([`Behaviour::DEFENDED`]).
    /// A 200 script page without a title (Alibaba Cloud WAF's JS check): it sets `acw_sc__v2`
    /// and reloads; with the cookie, the compliant page.
    WafJsCookie,
    /// A 521 cookie challenge (加速乐): `__jsluid_s`, a script setting `__jsl_clearance_s`
    /// and reloading; with the cookie, the compliant page.
    JslCookie,
    /// A 403 "Just a moment..." with `cf-mitigated: challenge` (Cloudflare), whose script sets
    /// `cf_clearance` and reloads; with the cookie, the compliant page.
    CfChallenge,
    /// A 200 block page (宝塔 WAF, "您的访问被拦截") for any User-Agent but a browser's.
    UaBlock,
    /// A 403 block page (安全狗) for any User-Agent but a browser's.
    UaBlock403,
    /// Every other request refused with 429 and `Retry-After: 1`: a client that waits gets
    /// the compliant page.
    RateLimited,
    /// Every request refused with 429 and `Retry-After: 3600`, longer than any probe waits.
    RateLimitedLong,
    /// A proof-of-work page (Anubis-like): its script finds the nonce and asks the pass URL,
    /// which sets the pass cookie; with it, the compliant page.
    PowChallenge,
    /// Both hosts serve 宝塔's default "站点创建成功" page: a shell site (空壳).
    Parked,
    /// Both hosts answer with Alibaba Cloud's page for unfiled domains (403, `Server:
    /// Beaver`, "Non-compliance ICP Filing").
    ProviderBlock,
    /// Both hosts answer with Cloudflare's 522 "origin unreachable" page.
    OriginDown,
    /// A compliant page whose article quotes the defences' markers: it stays a page.
    AboutDefences,
    // Real footers, second pass (issue 29): not in the default mix ([`Behaviour::REAL_FOOTERS`]).
    /// The numbers and the copyright sit in a block no name marks (`div.xinxi`), after a
    /// named link bar (`div.footer-links`) that holds none: the unnamed block is the footer.
    FooterUnnamed,
    /// The number written with a dash after 备 (`苏ICP备-12345678号-1`): read as the number,
    /// ICP-FORMAT fails naming the fault.
    MalformedNumber,
    // Does the site match its filing (issue 30): not in the default mix ([`Behaviour::FILING`]).
    /// The filed 网站名称 is a name the page shows nowhere (SITE-NAME warns).
    NameMismatch,
    /// The title carries a slogan after the filed name (SITE-NAME passes).
    NameSlogan,
    /// A 畅言 comment box on a site filed as non-interactive (SITE-INTERACTIVE warns).
    CommentsWidget,
    /// A Discuz! forum on a personal filing (SITE-SCOPE warns).
    ForumPersonal,
    /// An ECShop shop on a personal filing (SITE-SCOPE warns).
    ShopPersonal,
    /// Served from an address the public-security filing does not list (SITE-FILED-IP warns).
    IpOutsideFiled,
    /// English text only, filed as Chinese (SITE-LANG warns).
    EnglishOnly,
    /// Both hosts serve nginx's "Welcome to nginx!" page: a shell site (SITE-SHELL fails).
    DefaultNginx,
    /// The filing's other domain (从域名) serves a parked page (SITE-OTHER-DOMAINS fails).
    OtherDomainParked,
    /// The filing's other domain shows another filing's number (SITE-OTHER-DOMAINS fails).
    OtherDomainNumber,
    /// The filing's other domain redirects to the site (SITE-OTHER-DOMAINS passes).
    OtherDomainRedirect,
}

impl Behaviour {
    /// Every behaviour.
    pub const ALL: &'static [Behaviour] = &[
        Behaviour::Compliant,
        Behaviour::GuangdongSubject,
        Behaviour::NoIcp,
        Behaviour::Unlinked,
        Behaviour::WrongLink,
        Behaviour::LegacyLink,
        Behaviour::SubjectOutsideGuangdong,
        Behaviour::WrongAlias,
        Behaviour::PsbMissing,
        Behaviour::PsbCodeMismatch,
        Behaviour::PsbProvinceMismatch,
        Behaviour::PsbNoIcon,
        Behaviour::ApexToWww,
        Behaviour::MissingWww,
        Behaviour::WwwNoNumber,
        Behaviour::Gbk,
        Behaviour::Compressed,
        Behaviour::RedirectLoop,
        Behaviour::Slow,
        Behaviour::ServerError,
        Behaviour::HttpOnly,
        Behaviour::ExpiredCert,
        Behaviour::Nxdomain,
        Behaviour::MetaRefresh,
        Behaviour::JiangsuNoCopyright,
        Behaviour::JiangsuCopyright,
        Behaviour::AltOnly,
        Behaviour::AppNumber,
        Behaviour::WwwCname,
        Behaviour::DnsServfail,
        Behaviour::DnsTimeout,
        Behaviour::NoAddress,
        Behaviour::HugePage,
        Behaviour::HttpsDowngrade,
    ];

    /// Behaviours kept out of the default mix only so that the demo's fleet stays as its
    /// documents describe it; compliant, and graded by the answer key like the rest.
    pub const CONVERGENT: &'static [Behaviour] = &[Behaviour::WwwToApex];

    /// Where a filed site is served from (issue 18, SITE-ACCESS): judged against the fleet's
    /// access networks ([`crate::Fleet::access_nets`]), which every audit graded by the key
    /// passes. Kept out of the default mix (the benchmarks' figures stay comparable); the demo
    /// adds them.
    pub const ACCESS: &'static [Behaviour] = &[
        Behaviour::MovedAway,
        Behaviour::ThirdPartyCdn,
        Behaviour::SplitNetworks,
    ];

    /// Where and how the number shows (issue 19, ICP-PLACEMENT): a stylesheet decides, which
    /// only a render sees. Their answer key is the verdict of `--render always`; out of the
    /// default mix, whose key holds without a browser.
    pub const PLACEMENT: &'static [Behaviour] = &[
        Behaviour::PlaceSideColumn,
        Behaviour::PlaceHidden,
        Behaviour::PlaceWhiteOnWhite,
        Behaviour::PlaceTinyFont,
        Behaviour::PlaceOffScreen,
        Behaviour::PlaceDesktopOnly,
        Behaviour::PlaceIconHidden,
    ];

    /// Sites that defend themselves (issue 28): challenges, blocks, a rate limit, a parked
    /// page, the provider's interception page, an origin error, and a page that only quotes
    /// their markers. Out of the default mix (the benchmarks' figures stay comparable).
    /// Their answer key is the verdict of an audit with a browser (`--render auto`, the
    /// default); [`Behaviour::passes_in_browser`] says which a render gets through, whose
    /// verdict without one is [`crate::expectations_without_browser`]'s.
    pub const DEFENDED: &'static [Behaviour] = &[
        Behaviour::WafJsCookie,
        Behaviour::JslCookie,
        Behaviour::CfChallenge,
        Behaviour::UaBlock,
        Behaviour::UaBlock403,
        Behaviour::RateLimited,
        Behaviour::RateLimitedLong,
        Behaviour::PowChallenge,
        Behaviour::Parked,
        Behaviour::ProviderBlock,
        Behaviour::OriginDown,
        Behaviour::AboutDefences,
    ];

    /// Real footers, second pass (issue 29): a footer no name marks, a number written with a
    /// near miss's fault. Out of the default mix (the benchmarks' figures stay comparable);
    /// the demo adds them.
    pub const REAL_FOOTERS: &'static [Behaviour] =
        &[Behaviour::FooterUnnamed, Behaviour::MalformedNumber];

    /// Sites that do not match their filing (issue 30): their manifest rows carry the filing
    /// columns ([`crate::filing`]). Out of the default mix; the demo adds them.
    pub const FILING: &'static [Behaviour] = &[
        Behaviour::NameMismatch,
        Behaviour::NameSlogan,
        Behaviour::CommentsWidget,
        Behaviour::ForumPersonal,
        Behaviour::ShopPersonal,
        Behaviour::IpOutsideFiled,
        Behaviour::EnglishOnly,
        Behaviour::DefaultNginx,
        Behaviour::OtherDomainParked,
        Behaviour::OtherDomainNumber,
        Behaviour::OtherDomainRedirect,
    ];

    /// A defended site whose gate a headless browser passes (`--render`): a script that sets
    /// a cookie and reloads, or a proof of work. (The block pages that let a browser's
    /// User-Agent through are not passed by a render, which sends the audit's own: they let
    /// `--user-agent browser` through.)
    pub fn passes_in_browser(self) -> bool {
        matches!(
            self,
            Behaviour::WafJsCookie
                | Behaviour::JslCookie
                | Behaviour::CfChallenge
                | Behaviour::PowChallenge
        )
    }

    /// The demo's mix: the default one, the access behaviours, the defended sites, the real
    /// footers and the sites that do not match their filing.
    pub fn for_demo() -> Vec<Behaviour> {
        Behaviour::ALL
            .iter()
            .chain(Behaviour::ACCESS)
            .chain(Behaviour::DEFENDED)
            .chain(Behaviour::REAL_FOOTERS)
            .chain(Behaviour::FILING)
            .copied()
            .collect()
    }

    /// Footers written by scripts (issue 17): verdicts need a browser, so they are kept out of
    /// the default mix, whose answer key holds without one. Their answer key is the rendered
    /// verdict.
    pub const SCRIPTED: &'static [Behaviour] = &[
        Behaviour::ScriptWrite,
        Behaviour::ScriptTimer,
        Behaviour::ScriptConfig,
        Behaviour::ScriptNever,
        Behaviour::ScriptPrivate,
        Behaviour::ScriptHang,
    ];

    /// Hostile servers and odd networks, each a case the auditor must turn into a row (issue
    /// 6); kept out of the default mix because they cost the client its timeouts.
    pub const HOSTILE: &'static [Behaviour] = &[
        Behaviour::Silent,
        Behaviour::Slowloris,
        Behaviour::EndlessBody,
        Behaviour::CompressionBomb,
        Behaviour::HugeHeaders,
        Behaviour::MalformedHeaders,
        Behaviour::BadChunked,
        Behaviour::ShortBody,
        Behaviour::ResetMidBody,
        Behaviour::TlsGarbage,
        Behaviour::LongRedirectChain,
        Behaviour::RedirectToFile,
        Behaviour::CnameLoop,
        Behaviour::Ipv6Only,
        Behaviour::WildcardDns,
        Behaviour::WrongNameCert,
        Behaviour::RedirectToPrivate,
    ];

    /// Whether the fleet answers this behaviour below HTTP (raw bytes on the socket).
    pub(crate) fn is_raw(self) -> bool {
        matches!(
            self,
            Behaviour::Silent
                | Behaviour::Slowloris
                | Behaviour::EndlessBody
                | Behaviour::CompressionBomb
                | Behaviour::HugeHeaders
                | Behaviour::MalformedHeaders
                | Behaviour::BadChunked
                | Behaviour::ShortBody
                | Behaviour::ResetMidBody
        )
    }

    /// Every behaviour but those that measure timeouts rather than throughput (`slow`,
    /// `dns-timeout`, the 5 MB `huge-page`): the benchmarks' mix.
    pub fn for_throughput() -> Vec<Behaviour> {
        Behaviour::ALL
            .iter()
            .copied()
            .filter(|b| {
                !matches!(
                    b,
                    Behaviour::Slow | Behaviour::DnsTimeout | Behaviour::HugePage
                )
            })
            .collect()
    }

    /// Stable kebab-case name (used in domain names and the answer key).
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Compliant => "compliant",
            Behaviour::GuangdongSubject => "gd-subject",
            Behaviour::NoIcp => "no-icp",
            Behaviour::Unlinked => "unlinked",
            Behaviour::WrongLink => "wrong-link",
            Behaviour::LegacyLink => "legacy-link",
            Behaviour::SubjectOutsideGuangdong => "subject-outside-gd",
            Behaviour::WrongAlias => "wrong-alias",
            Behaviour::PsbMissing => "psb-missing",
            Behaviour::PsbCodeMismatch => "psb-code-mismatch",
            Behaviour::PsbProvinceMismatch => "psb-province-mismatch",
            Behaviour::PsbNoIcon => "psb-no-icon",
            Behaviour::ApexToWww => "apex-to-www",
            Behaviour::MissingWww => "missing-www",
            Behaviour::WwwNoNumber => "www-no-number",
            Behaviour::Gbk => "gbk",
            Behaviour::Compressed => "compressed",
            Behaviour::RedirectLoop => "redirect-loop",
            Behaviour::Slow => "slow",
            Behaviour::ServerError => "server-error",
            Behaviour::HttpOnly => "http-only",
            Behaviour::ExpiredCert => "expired-cert",
            Behaviour::Nxdomain => "nxdomain",
            Behaviour::MetaRefresh => "meta-refresh",
            Behaviour::JiangsuNoCopyright => "js-no-copyright",
            Behaviour::JiangsuCopyright => "js-copyright",
            Behaviour::AltOnly => "alt-only",
            Behaviour::AppNumber => "app-number",
            Behaviour::WwwCname => "www-cname",
            Behaviour::DnsServfail => "dns-servfail",
            Behaviour::DnsTimeout => "dns-timeout",
            Behaviour::NoAddress => "no-address",
            Behaviour::HugePage => "huge-page",
            Behaviour::HttpsDowngrade => "https-downgrade",
            Behaviour::WwwToApex => "www-to-apex",
            Behaviour::ScriptWrite => "script-write",
            Behaviour::ScriptTimer => "script-timer",
            Behaviour::ScriptConfig => "script-config",
            Behaviour::ScriptNever => "script-never",
            Behaviour::ScriptPrivate => "script-private",
            Behaviour::ScriptHang => "script-hang",
            Behaviour::Silent => "silent",
            Behaviour::Slowloris => "slowloris",
            Behaviour::EndlessBody => "endless-body",
            Behaviour::CompressionBomb => "compression-bomb",
            Behaviour::HugeHeaders => "huge-headers",
            Behaviour::MalformedHeaders => "malformed-headers",
            Behaviour::BadChunked => "bad-chunked",
            Behaviour::ShortBody => "short-body",
            Behaviour::ResetMidBody => "reset-mid-body",
            Behaviour::TlsGarbage => "tls-garbage",
            Behaviour::LongRedirectChain => "long-redirect-chain",
            Behaviour::RedirectToFile => "redirect-to-file",
            Behaviour::CnameLoop => "cname-loop",
            Behaviour::Ipv6Only => "ipv6-only",
            Behaviour::WildcardDns => "wildcard-dns",
            Behaviour::WrongNameCert => "wrong-name-cert",
            Behaviour::RedirectToPrivate => "redirect-to-private",
            Behaviour::MovedAway => "moved-away",
            Behaviour::ThirdPartyCdn => "third-party-cdn",
            Behaviour::SplitNetworks => "split-networks",
            Behaviour::PlaceSideColumn => "place-side-column",
            Behaviour::PlaceHidden => "place-hidden",
            Behaviour::PlaceWhiteOnWhite => "place-white-on-white",
            Behaviour::PlaceTinyFont => "place-tiny-font",
            Behaviour::PlaceOffScreen => "place-off-screen",
            Behaviour::PlaceDesktopOnly => "place-desktop-only",
            Behaviour::PlaceIconHidden => "place-icon-hidden",
            Behaviour::WafJsCookie => "waf-js-cookie",
            Behaviour::JslCookie => "jsl-cookie",
            Behaviour::CfChallenge => "cf-challenge",
            Behaviour::UaBlock => "ua-block",
            Behaviour::UaBlock403 => "ua-block-403",
            Behaviour::RateLimited => "rate-limited",
            Behaviour::RateLimitedLong => "rate-limited-long",
            Behaviour::PowChallenge => "pow-challenge",
            Behaviour::Parked => "parked",
            Behaviour::ProviderBlock => "provider-block",
            Behaviour::OriginDown => "origin-down",
            Behaviour::AboutDefences => "about-defences",
            Behaviour::FooterUnnamed => "footer-unnamed",
            Behaviour::MalformedNumber => "malformed-number",
            Behaviour::NameMismatch => "name-mismatch",
            Behaviour::NameSlogan => "name-slogan",
            Behaviour::CommentsWidget => "comments-widget",
            Behaviour::ForumPersonal => "forum-personal",
            Behaviour::ShopPersonal => "shop-personal",
            Behaviour::IpOutsideFiled => "ip-outside-filed",
            Behaviour::EnglishOnly => "english-only",
            Behaviour::DefaultNginx => "default-nginx",
            Behaviour::OtherDomainParked => "other-domain-parked",
            Behaviour::OtherDomainNumber => "other-domain-number",
            Behaviour::OtherDomainRedirect => "other-domain-redirect",
        }
    }
}

/// One simulated domain.
#[derive(Debug, Clone)]
pub struct SiteSpec {
    /// ASCII domain (punycode for IDN names).
    pub domain: String,
    /// Unicode form.
    pub domain_unicode: String,
    /// What it does.
    pub behaviour: Behaviour,
    /// ICP number shown (canonical).
    pub icp: String,
    /// PSB number shown (canonical).
    pub psb: String,
    /// Organisation name for the copyright line.
    pub org: String,
    /// Index in the fleet (drives the address).
    pub index: usize,
    /// How many earlier sites share the behaviour (drives variants such as the encoding).
    pub variant: usize,
}

const PROVINCES: &[(char, char, &str)] = &[
    ('京', '京', "110108"),
    ('沪', '沪', "310104"),
    ('浙', '浙', "330106"),
    ('湘', '湘', "430102"),
    ('鲁', '鲁', "370102"),
    ('蜀', '川', "510104"),
];
const TLDS: &[&str] = &["cn", "com.cn", "com", "net.cn", "org.cn"];
const ORGS: &[&str] = &[
    "华信科技有限公司",
    "蓝海网络有限公司",
    "云启信息技术有限公司",
    "星河传媒有限公司",
];

fn digits(rng: &mut SmallRng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// Generates `n` sites from `seed`; every behaviour appears when `n >= Behaviour::ALL.len()`.
pub fn generate(n: usize, seed: u64) -> Vec<SiteSpec> {
    generate_from(n, seed, Behaviour::ALL)
}

/// [`generate`] over a subset of the behaviours (benchmarks leave out the slow ones).
pub fn generate_from(n: usize, seed: u64, behaviours: &[Behaviour]) -> Vec<SiteSpec> {
    let behaviours = if behaviours.is_empty() {
        Behaviour::ALL
    } else {
        behaviours
    };
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut order: Vec<Behaviour> = Vec::with_capacity(n);
    while order.len() < n {
        let mut round = behaviours.to_vec();
        round.shuffle(&mut rng);
        order.extend(round);
    }
    order.truncate(n);
    let mut seen: std::collections::HashMap<Behaviour, usize> = std::collections::HashMap::new();
    order
        .into_iter()
        .enumerate()
        .map(|(i, behaviour)| {
            let counter = seen.entry(behaviour).or_default();
            let variant = *counter;
            *counter += 1;
            let tld = TLDS[i % TLDS.len()];
            let (domain_unicode, domain) = if i % 25 == 7 {
                let u = format!("测试{i}.cn");
                let a = idna_ascii(&u);
                (u, a)
            } else {
                let d = format!("s{i:05}-{}.{tld}", behaviour.name());
                (d.clone(), d)
            };
            let (mut icp_prov, mut psb_prov, mut area) =
                PROVINCES[rng.random_range(0..PROVINCES.len())];
            match behaviour {
                Behaviour::GuangdongSubject => (icp_prov, psb_prov, area) = ('粤', '粤', "440305"),
                Behaviour::JiangsuCopyright | Behaviour::JiangsuNoCopyright => {
                    (icp_prov, psb_prov, area) = ('苏', '苏', "320102")
                }
                Behaviour::WrongAlias => (icp_prov, psb_prov, area) = ('川', '川', "510104"),
                // Jiangsu triggers COPYRIGHT; keep other behaviours away from it.
                _ => {}
            }
            let year = 2015 + rng.random_range(0..10);
            let serial = format!("{year}{}", digits(&mut rng, 6));
            let icp = match behaviour {
                Behaviour::GuangdongSubject | Behaviour::SubjectOutsideGuangdong => {
                    format!("{icp_prov}ICP备{serial}号")
                }
                Behaviour::AppNumber => format!("{icp_prov}ICP备{serial}号-1A"),
                _ => format!("{icp_prov}ICP备{serial}号-{}", 1 + rng.random_range(0..3)),
            };
            if behaviour == Behaviour::PsbProvinceMismatch {
                psb_prov = if psb_prov == '浙' { '沪' } else { '浙' };
            }
            let psb = format!("{psb_prov}公网安备{area}02{}号", digits(&mut rng, 6));
            let org = ORGS[rng.random_range(0..ORGS.len())].to_string();
            SiteSpec {
                domain,
                domain_unicode,
                behaviour,
                icp,
                psb,
                org,
                index: i,
                variant,
            }
        })
        .collect()
}

/// Punycode via the `idna` crate directly: the fleet uses no auditor crate for its answers.
fn idna_ascii(u: &str) -> String {
    idna::domain_to_ascii(u).unwrap_or_else(|_| u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::expectations;

    #[test]
    fn deterministic_and_complete() {
        let a = generate(60, 7);
        let b = generate(60, 7);
        assert_eq!(
            a.iter().map(|s| &s.domain).collect::<Vec<_>>(),
            b.iter().map(|s| &s.domain).collect::<Vec<_>>()
        );
        for beh in Behaviour::ALL {
            assert!(a.iter().any(|s| s.behaviour == *beh), "{beh:?} missing");
        }
        assert!(a.iter().any(|s| s.domain.starts_with("xn--")));
        for s in &a {
            let (rows, status) = expectations(s);
            assert!(!status.is_empty() && !rows.is_empty(), "{:?}", s.behaviour);
            assert!(
                rows.iter()
                    .all(|(_, rule, v)| !rule.is_empty() && !v.is_empty())
            );
        }
    }
}
