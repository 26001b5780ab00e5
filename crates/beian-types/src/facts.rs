//! What the footer extractor reports about one page (docs/rulebook.md §6). Pure data: the
//! extractor fills it, the rules judge it, the writer stores parts of it.

/// The form of a filing or licence number (docs/rulebook.md §2.2–2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IcpForm {
    /// `<prov>ICP备<digits>号` — a filing number.
    Filing,
    /// `<prov>ICP证<digits>号` — the older provincial licence form.
    IcpLicence,
    /// `[<prov>|合字]B2-<digits>` — a value-added telecom licence.
    Licence,
}

/// The kind of number, for ICP-KIND and the primary-candidate order (§6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NumberKind {
    /// A filing's service number (`…号-1`).
    Service,
    /// A licence number with a service suffix (`粤B2-20090059-1`).
    LicenceService,
    /// A filing's subject number (`…号`).
    Subject,
    /// A bare licence number (`京ICP证030173号`, `粤B2-20090059`).
    Licence,
    /// An APP / mini-program / quick-app number (trailing letter).
    App,
}

impl NumberKind {
    /// Stable name used in output columns.
    pub fn as_str(self) -> &'static str {
        match self {
            NumberKind::Service => "service",
            NumberKind::LicenceService => "licence_service",
            NumberKind::Subject => "subject",
            NumberKind::Licence => "licence",
            NumberKind::App => "app",
        }
    }
}

/// Where a candidate number was found (§6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CandidateSource {
    /// Visible text of the footer region.
    Text,
    /// An `alt` attribute inside the footer region.
    Alt,
    /// A `title` attribute inside the footer region.
    Title,
    /// The text of an inline `<script>`.
    Script,
    /// Visible body text outside the footer region (reported, not judged).
    Body,
}

impl CandidateSource {
    /// Stable name used in output columns.
    pub fn as_str(self) -> &'static str {
        match self {
            CandidateSource::Text => "text",
            CandidateSource::Alt => "alt",
            CandidateSource::Title => "title",
            CandidateSource::Script => "script",
            CandidateSource::Body => "body",
        }
    }
}

/// How a number is linked (§6.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkVia {
    /// A real `<a href>` ancestor.
    Anchor,
    /// A Hexo NexT `<span class="exturl" data-url="base64">` ancestor.
    Exturl,
    /// An `<a href>` literal inside script text.
    Script,
    /// An `<a>` without `href` whose `onclick` opens the URL (JavaScript only).
    Onclick,
}

/// A link around a candidate number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The href as written (exturl: decoded).
    pub href: String,
    /// Lower-case host without port, when the href is an absolute http(s) URL.
    pub host: Option<String>,
    /// How the link was expressed.
    pub via: LinkVia,
}

/// A parsed ICP filing or licence number (docs/rulebook.md §2.2–2.4), independent of where it was
/// found. Produced by `beian_rules::numbers::scan`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcpNumber {
    /// The matched text after normalisation (§2.6).
    pub matched: String,
    /// Canonical form (§2.6 step 4).
    pub canonical: String,
    /// Province character, `None` for cross-regional licences.
    pub province: Option<char>,
    /// `合字` prefix of a foreign-invested licence.
    pub foreign_invested: bool,
    /// Filing, ICP licence or telecom licence.
    pub form: IcpForm,
    /// Licence categories (`B2`, `A2.B1.B2`), licence form only.
    pub categories: Option<String>,
    /// The serial digits without spaces.
    pub digits: String,
    /// Whether the trailing `号` was written.
    pub has_hao: bool,
    /// Service sequence `-<n>`.
    pub seq: Option<u32>,
    /// Trailing letter after the sequence (`A` app, `X` mini program).
    pub letter: Option<char>,
    /// Derived kind (§6.7).
    pub kind: NumberKind,
    /// How the number as written departs from its standard form (docs/rulebook.md §2.8: the
    /// near misses a reader takes for the number at once); empty when it does not.
    pub faults: Vec<IcpFault>,
}

/// A near miss of the ICP number's written form (docs/rulebook.md §2.8): the number is read,
/// and ICP-FORMAT fails it with the standard form to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IcpFault {
    /// `苏ICP备-12345678`: a dash between 备 and the digits.
    DashAfterBei,
    /// `粤ICP备案20231234号`, `粤ICP备案号：…`: 备案 (and a label) where 备 belongs.
    BeiAn,
    /// `京ICP备第14007000号`: 第 before the digits.
    Di,
    /// `京ICP备20007634-1号`: the sequence before 号.
    SeqBeforeHao,
    /// `沪ICP备15008072号-1号`: 号 written again after the sequence.
    HaoTwice,
    /// `陕IPC备16014072号`: IPC for ICP.
    Ipc,
    /// `ICP备16001868号-2`: no province character.
    NoProvince,
}

impl IcpFault {
    /// What is wrong, for the evidence.
    pub fn describe(self) -> &'static str {
        match self {
            IcpFault::DashAfterBei => "a dash after 备",
            IcpFault::BeiAn => "备案 written for 备",
            IcpFault::Di => "第 before the digits",
            IcpFault::SeqBeforeHao => "the sequence written before 号",
            IcpFault::HaoTwice => "号 written twice",
            IcpFault::Ipc => "IPC written for ICP",
            IcpFault::NoProvince => "no province character before ICP",
        }
    }

    /// What is wrong, in Chinese.
    pub fn describe_zh(self) -> &'static str {
        match self {
            IcpFault::DashAfterBei => "“备”后多了连字符",
            IcpFault::BeiAn => "“备”写成了“备案”",
            IcpFault::Di => "数字前多了“第”",
            IcpFault::SeqBeforeHao => "序号写在了“号”之前",
            IcpFault::HaoTwice => "“号”写了两次",
            IcpFault::Ipc => "ICP 写成了 IPC",
            IcpFault::NoProvince => "ICP 前缺少省份简称",
        }
    }
}

impl IcpNumber {
    /// The subject core `<prov>ICP备<digits>号` used by ICP-MULTI; `None` for licences.
    pub fn subject_core(&self) -> Option<String> {
        match self.form {
            IcpForm::Filing => Some(format!(
                "{}ICP备{}号",
                self.province.map(String::from).unwrap_or_default(),
                self.digits
            )),
            _ => None,
        }
    }
}

/// A parsed public-security filing number (§2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PsbNumber {
    /// The matched text after normalisation.
    pub matched: String,
    /// Canonical `<prov>公网安备<digits>号`.
    pub canonical: String,
    /// Province character: as written, or, when none was written, the one its province code
    /// stands for.
    pub province: char,
    /// Whether the province character was written.
    pub province_shown: bool,
    /// The label as written when it is not `公网安备` (`公安备案号`, `公安网备`, …).
    pub label: Option<String>,
    /// Digits without spaces.
    pub digits: String,
    /// Whether the trailing `号` was written.
    pub has_hao: bool,
    /// A `-<n>` written after the number (PSB numbers have none).
    pub seq: Option<u32>,
}

impl PsbNumber {
    /// How it departs from the standard `<prov>公网安备<digits>号` (empty: it does not).
    pub fn irregular(&self) -> Vec<crate::Said> {
        let mut out = Vec::new();
        if let Some(l) = &self.label {
            out.push(crate::said!("non-standard label {l}", "非标准的标签 {l}"));
        }
        if !self.province_shown {
            out.push(crate::said!("no province character", "没有省份简称"));
        }
        if let Some(n) = self.seq {
            out.push(crate::said!("a -{n} suffix", "带 -{n} 后缀"));
        }
        out
    }
}

/// One ICP number found on a page, with where and how it was shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcpCandidate {
    /// The number.
    pub number: IcpNumber,
    /// Where it was found.
    pub source: CandidateSource,
    /// True when in the footer region, or in a script that writes into it.
    pub in_footer: bool,
    /// The link around the number, if any.
    pub link: Option<Link>,
    /// Document order, for stable sorting.
    pub order: usize,
}

/// A public-security number found on a page (§6.9, §6.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PsbCandidate {
    /// The number.
    pub number: PsbNumber,
    /// Footer text or script.
    pub source: CandidateSource,
    /// The link around the number.
    pub link: Option<Link>,
    /// `code=` / `recordcode=` of the link, if any.
    pub link_code: Option<String>,
    /// Whether an `<img>` sits inside the link or immediately before it (§6.10).
    pub icon: bool,
}

/// How the footer region was found (§6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FooterRegion {
    /// `<footer>`, `role=contentinfo`, or id/class tokens.
    Marked,
    /// No footer element: the last block holding footer words (or the last top-level child
    /// of `<body>` with visible text).
    LastChild,
    /// No footer region (an SPA shell, an empty page).
    None,
    /// Not looked for: the page holds no anchor of any footer fact (no number, copyright line or
    /// MIIT link can exist on it), so the extractor stopped before the tag scan.
    NotSearched,
}

impl FooterRegion {
    /// Stable name used in output columns.
    pub fn as_str(self) -> &'static str {
        match self {
            FooterRegion::Marked => "marked",
            FooterRegion::LastChild => "last_child",
            FooterRegion::None => "none",
            FooterRegion::NotSearched => "not_searched",
        }
    }
}

/// Everything the footer extractor reports about one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FooterFacts {
    /// The encoding the page was decoded with (WHATWG name).
    pub encoding: &'static str,
    /// How the footer region was found.
    pub region: FooterRegion,
    /// The primary ICP candidate (§6.8), footer or body fallback.
    pub primary: Option<IcpCandidate>,
    /// All footer-region and script ICP candidates, in document order.
    pub icp_all: Vec<IcpCandidate>,
    /// The PSB number (§6.9).
    pub psb: Option<PsbCandidate>,
    /// Host of every link in the footer region that points at an MIIT filing host.
    pub miit_link_hosts: Vec<String>,
    /// The copyright holder (§6.11).
    pub copyright_holder: Option<String>,
    /// What the page shows of the site itself: its name, language, interactive services and
    /// commerce (§6.15), read from the whole page.
    pub page: PageFacts,
}

impl FooterFacts {
    /// Facts of a page with nothing on it.
    pub fn empty(encoding: &'static str) -> Self {
        FooterFacts {
            encoding,
            region: FooterRegion::None,
            primary: None,
            icp_all: Vec::new(),
            psb: None,
            miit_link_hosts: Vec::new(),
            copyright_holder: None,
            page: PageFacts::default(),
        }
    }
}

/// What a page shows of the site itself (docs/rulebook.md §6.15): the names it gives itself, its
/// language, and the interactive services and commerce it offers, each feature with the marker
/// that showed it. Read from the HTML as served (or rendered): a home page shows a part of a
/// site, so an empty list means "none seen on this page", not "none".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageFacts {
    /// The `<title>`, entities decoded and white space collapsed.
    pub title: Option<String>,
    /// The names the page gives the site besides its title, in document order.
    pub names: Vec<ShownName>,
    /// The language the page declares (`<html lang>`, else a `Content-Language` meta), as
    /// written.
    pub lang_declared: Option<String>,
    /// The language of the page's text, from the script of its visible text (§6.15):
    /// `None` when the page holds too little text to tell.
    pub lang: Option<TextLanguage>,
    /// Interactive services and commerce, in document order, one per kind and vendor.
    pub features: Vec<Feature>,
}

impl PageFacts {
    /// The interactive services (SITE-INTERACTIVE).
    pub fn interactive(&self) -> impl Iterator<Item = &Feature> {
        self.features.iter().filter(|f| f.kind.is_interactive())
    }

    /// The commerce signals (SITE-SCOPE).
    pub fn commerce(&self) -> impl Iterator<Item = &Feature> {
        self.features.iter().filter(|f| !f.kind.is_interactive())
    }
}

/// Where a page names its site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameSource {
    /// `<meta property="og:site_name">`.
    SiteName,
    /// `<meta name="application-name">` or `apple-mobile-web-app-title`.
    AppName,
    /// The `alt` (or `title`) of the logo.
    Logo,
}

impl NameSource {
    /// Stable name used in evidence and output.
    pub fn as_str(self) -> &'static str {
        match self {
            NameSource::SiteName => "og:site_name",
            NameSource::AppName => "application-name",
            NameSource::Logo => "logo",
        }
    }
}

/// A name the page gives the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownName {
    /// Where.
    pub source: NameSource,
    /// The name, entities decoded and white space collapsed.
    pub text: String,
}

/// The language of a page's visible text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextLanguage {
    /// Primary language subtag: `zh`, `ja`, `ko`, `ru`, or for Latin script the declared
    /// language when it is one written in Latin script, else `en`.
    pub tag: String,
    /// The share of the text in that language's script, percent.
    pub share: u8,
    /// How many units were counted (Han, kana and hangul characters; Latin and Cyrillic words).
    pub sampled: u32,
}

/// What kind of service or signal a [`Feature`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FeatureKind {
    /// A comment box or comment widget (畅言, Valine, Disqus, a WordPress comment form, …).
    Comments,
    /// A forum or community (Discuz!, phpBB, Discourse, …).
    Forum,
    /// Accounts: a login or registration form (a password field).
    Account,
    /// A form that uploads files.
    Upload,
    /// A live-chat widget (53KF, 美洽, Tawk.to, …).
    Chat,
    /// A shop system (ECShop, ShopXO, WooCommerce, …).
    Shop,
    /// Add-to-cart or buy controls.
    Cart,
    /// Product and price markup (schema.org `Product`, `price`).
    Product,
    /// A payment form (PayPal buy button, Alipay gateway).
    Payment,
}

impl FeatureKind {
    /// Stable name used in evidence and output.
    pub fn as_str(self) -> &'static str {
        match self {
            FeatureKind::Comments => "comments",
            FeatureKind::Forum => "forum",
            FeatureKind::Account => "account",
            FeatureKind::Upload => "upload",
            FeatureKind::Chat => "chat",
            FeatureKind::Shop => "shop",
            FeatureKind::Cart => "cart",
            FeatureKind::Product => "product",
            FeatureKind::Payment => "payment",
        }
    }

    /// Whether it is an interactive service (互联网交互服务) rather than a commerce signal.
    pub fn is_interactive(self) -> bool {
        matches!(
            self,
            FeatureKind::Comments
                | FeatureKind::Forum
                | FeatureKind::Account
                | FeatureKind::Upload
                | FeatureKind::Chat
        )
    }
}

/// An interactive service or commerce signal seen on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    /// What kind.
    pub kind: FeatureKind,
    /// Which product or element (`畅言 (Changyan)`, `a password field`).
    pub what: &'static str,
    /// The marker as found: the script URL, the element id, the form action (shortened).
    pub marker: String,
}

impl Feature {
    /// `kind: what (marker)`, for evidence and the `fetches` column.
    pub fn describe(&self) -> String {
        format!("{}: {} ({})", self.kind.as_str(), self.what, self.marker)
    }
}
