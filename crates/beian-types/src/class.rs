//! What a response is, decided before any footer rule reads it (docs/rulebook.md §6.14): the
//! site's own page, or something standing in front of it — a challenge, a block, a parked or
//! default page, the access provider's interception page, a CDN's origin error.

/// The class of a response's body. Only [`PageClass::Page`] goes to the footer rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageClass {
    /// The site's own page (whatever its status).
    Page,
    /// A script or proof-of-work gate a browser passes (a JS cookie check, a PoW page).
    Challenge,
    /// A firewall's refusal, or a rate limit (HTTP 429).
    Block,
    /// A registrar's or hosting panel's default or for-sale page: the 空壳 (shell-site) signal.
    Parked,
    /// The access provider's own page for a domain without a filing on its network.
    ProviderInterception,
    /// A CDN's "origin unreachable" page.
    OriginError,
}

impl PageClass {
    /// Stable name used in output (`fetches.page_class`).
    pub fn as_str(self) -> &'static str {
        match self {
            PageClass::Page => "page",
            PageClass::Challenge => "challenge",
            PageClass::Block => "block",
            PageClass::Parked => "parked",
            PageClass::ProviderInterception => "provider_interception",
            PageClass::OriginError => "origin_error",
        }
    }

    /// Every class, in the order the rulebook lists them.
    pub const ALL: [PageClass; 6] = [
        PageClass::Page,
        PageClass::Challenge,
        PageClass::Block,
        PageClass::Parked,
        PageClass::ProviderInterception,
        PageClass::OriginError,
    ];

    /// The class of a stable name.
    pub fn from_name(name: &str) -> Option<PageClass> {
        PageClass::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// A gate in front of the page (a challenge or a block): the page was not seen, and the
    /// host cannot be judged by it.
    pub fn is_gate(self) -> bool {
        matches!(self, PageClass::Challenge | PageClass::Block)
    }
}

/// Who stands in front of a site: a WAF, a CDN, a cloud, a hosting panel, a parking service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Vendor {
    /// Stable id (`fetches.page_vendor`): `aliyun_waf`, `cloudflare`, …
    pub id: &'static str,
    /// The name a report shows ("Alibaba Cloud WAF", "加速乐 (Jiasule)").
    pub name: &'static str,
}

/// What a response was classified as, and the marker that decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classified {
    /// The class.
    pub class: PageClass,
    /// Who stands in front, when a marker names them.
    pub vendor: Option<Vendor>,
    /// The marker table's rule that decided (its id, docs/MARKERS.md); empty for a page.
    pub marker: &'static str,
}

impl Classified {
    /// The site's own page.
    pub const PAGE: Classified = Classified {
        class: PageClass::Page,
        vendor: None,
        marker: "",
    };

    /// "behind Alibaba Cloud WAF's challenge", "a parked page (宝塔)": for evidence and
    /// messages.
    pub fn describe(&self) -> String {
        self.said().en
    }

    /// [`Classified::describe`] in English and Chinese.
    pub fn said(&self) -> crate::Said {
        let (what, zh) = match self.class {
            PageClass::Page => ("the site's own page", "网站自己的页面"),
            PageClass::Challenge => ("a challenge", "人机验证页"),
            PageClass::Block => ("a block page", "拦截页"),
            PageClass::Parked => ("a parked or default page", "停放页或默认页"),
            PageClass::ProviderInterception => (
                "the access provider's page for unfiled domains",
                "接入商对未备案域名的拦截页",
            ),
            PageClass::OriginError => ("an origin error page", "源站错误页"),
        };
        let marker = self.marker;
        match self.vendor {
            Some(v) => {
                let name = v.name;
                crate::said!(
                    "{what} of {name} (marker {marker})",
                    "{name} 的{zh}（标记 {marker}）"
                )
            }
            None if marker.is_empty() => crate::said!("{what}", "{zh}"),
            None => crate::said!("{what} (marker {marker})", "{zh}（标记 {marker}）"),
        }
    }
}
