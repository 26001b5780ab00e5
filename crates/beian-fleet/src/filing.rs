//! Sites that do not match their filing (issue 30, docs/rulebook.md §5.3): what each shows —
//! a name, a comment widget, a forum, a shop, English text, an other domain (从域名) — and what
//! its filing says, the manifest's filing columns (`site_name`, `subject_type`, `interactive`,
//! `filed_ips`, `languages`, `other_domains`), with the verdicts a correct audit reaches with
//! and without them.

use std::net::IpAddr;

use crate::scenario::{Behaviour, SiteSpec};

/// An address no fleet site is served from: the filed IP of `ip-outside-filed`.
pub const UNUSED_FILED_IP: &str = "127.255.255.254";

/// What a filing behaviour's page shows in place of the ordinary company page's parts.
pub(crate) struct Shown {
    /// The `<title>` and `<h1>`.
    pub(crate) title: String,
    /// The article, in place of the filler.
    pub(crate) body: Option<String>,
    /// Markup after the article (a widget, a form, a script).
    pub(crate) extra: &'static str,
    /// The copyright holder, in place of the organisation.
    pub(crate) holder: Option<&'static str>,
    /// The `<meta name="generator">`, if any.
    pub(crate) generator: Option<&'static str>,
}

/// The organisation's name without its legal form: the name a filing gives the site.
fn short(s: &SiteSpec) -> &str {
    s.org.strip_suffix("有限公司").unwrap_or(&s.org)
}

const PERSON: &str = "张伟";

/// What a filing behaviour's page shows (`None`: the ordinary page).
pub(crate) fn shown(s: &SiteSpec) -> Option<Shown> {
    let plain = |title: String| Shown {
        title,
        body: None,
        extra: "",
        holder: None,
        generator: None,
    };
    Some(match s.behaviour {
        Behaviour::NameSlogan => plain(format!(
            "{} - 专业的网络服务提供商，让连接更简单",
            short(s)
        )),
        Behaviour::CommentsWidget => Shown {
            extra: r#"<div id="SOHUCS" sid="home"></div>
<script type="text/javascript" charset="utf-8" src="https://changyan.sohu.com/upload/changyan.js"></script>
<script type="text/javascript">window.changyan.api.config({appid: 'cyfleet01', conf: 'prod_0123456789abcdef0123456789abcdef'});</script>
"#,
            ..plain(s.org.clone())
        },
        Behaviour::ForumPersonal => Shown {
            body: Some(
                "<table><tr><td><a href=\"/forum.php?mod=forumdisplay&amp;fid=2\">路亚技巧</a> 今日: 12 主题: 3456</td></tr>\
                 <tr><td><a href=\"/forum.php?mod=forumdisplay&amp;fid=3\">渔具评测</a> 今日: 5 主题: 1234</td></tr></table>\
                 <p>欢迎各位钓友在这里交流路亚、台钓和渔具的使用心得，分享每一次出钓的收获。</p>"
                    .into(),
            ),
            extra: r#"<form method="post" id="lsform" action="member.php?mod=logging&amp;action=login"><input type="text" name="username"><input type="password" name="password"><button type="submit">登录</button> <a href="member.php?mod=register">立即注册</a></form>
<p>Powered by <a href="https://www.discuz.vip">Discuz!</a> X3.4</p>
"#,
            holder: Some(PERSON),
            generator: Some("Discuz! X3.4"),
            ..plain(format!("{PERSON}的钓鱼论坛"))
        },
        Behaviour::ShopPersonal => Shown {
            body: Some(
                "<div class=\"goods\"><p><a href=\"/goods.php?id=12\">清香型铁观音 250g</a></p><span class=\"price\">￥128.00元</span> <a href=\"javascript:addToCart(12)\">加入购物车</a></div>\
                 <div class=\"goods\"><p><a href=\"/goods.php?id=13\">浓香型铁观音 500g</a></p><span class=\"price\">￥236.00元</span> <a href=\"javascript:addToCart(13)\">加入购物车</a></div>\
                 <p>自家茶园出品，产地直发，欢迎选购。</p>"
                    .into(),
            ),
            holder: Some(PERSON),
            generator: Some("ECSHOP v4.1.0"),
            ..plain(format!("{PERSON}的茶叶小铺"))
        },
        Behaviour::EnglishOnly => Shown {
            body: Some(
                "<p>We design and run reliable network services for companies of every size: hosting, storage, monitoring and round-the-clock operations, with engineers who answer when you call.</p>\n"
                    .repeat(6),
            ),
            ..plain("Cloud services for growing teams".into())
        },
        Behaviour::NameMismatch | Behaviour::IpOutsideFiled => plain(s.org.clone()),
        _ => return None,
    })
}

/// The other domain (从域名) a site's filing lists, for the behaviours that have one.
pub fn other_domain(s: &SiteSpec) -> Option<String> {
    matches!(
        s.behaviour,
        Behaviour::OtherDomainParked
            | Behaviour::OtherDomainNumber
            | Behaviour::OtherDomainRedirect
    )
    .then(|| format!("alt-{}", s.domain))
}

/// What another filing's number looks like on `s`'s other domain (`other-domain-number`).
pub(crate) fn other_number(s: &SiteSpec) -> String {
    format!("沪ICP备{}号-1", 20_190_000 + s.index)
}

/// The filing columns of a site's manifest row, `site_name,subject_type,interactive,
/// filed_ips,languages,other_domains` (empty for a site that is not a filing behaviour).
/// `addr` is the address the fleet serves the site from.
pub fn manifest_columns(s: &SiteSpec, addr: IpAddr) -> String {
    if let Some(other) = other_domain(s) {
        return format!(",,,,,{other}");
    }
    let (name, subject, interactive) = match s.behaviour {
        Behaviour::NameMismatch => ("云帆旅游网".to_string(), "单位", "no"),
        Behaviour::NameSlogan => (format!("{}官网", short(s)), "单位", "no"),
        Behaviour::CommentsWidget | Behaviour::IpOutsideFiled | Behaviour::EnglishOnly => {
            (short(s).to_string(), "单位", "no")
        }
        Behaviour::ForumPersonal => (format!("{PERSON}的钓鱼论坛"), "个人", "yes"),
        Behaviour::ShopPersonal => (format!("{PERSON}的茶叶小铺"), "个人", "no"),
        _ => return ",,,,,".to_string(),
    };
    let ips = if s.behaviour == Behaviour::IpOutsideFiled {
        UNUSED_FILED_IP.to_string()
    } else {
        addr.to_string()
    };
    format!("{name},{subject},{interactive},{ips},zh,")
}

/// The filing rules' verdicts for a site (site rules): `filed` — audited with the manifest's
/// filing columns; without them every rule is n/a.
pub fn expectations(s: &SiteSpec, filed: bool) -> Vec<(&'static str, &'static str)> {
    const RULES: [&str; 6] = [
        "SITE-NAME",
        "SITE-INTERACTIVE",
        "SITE-SCOPE",
        "SITE-FILED-IP",
        "SITE-LANG",
        "SITE-OTHER-DOMAINS",
    ];
    let warned: &[&str] = match s.behaviour {
        Behaviour::NameMismatch => &["SITE-NAME"],
        Behaviour::CommentsWidget => &["SITE-INTERACTIVE"],
        Behaviour::ForumPersonal | Behaviour::ShopPersonal => &["SITE-SCOPE"],
        Behaviour::IpOutsideFiled => &["SITE-FILED-IP"],
        Behaviour::EnglishOnly => &["SITE-LANG"],
        Behaviour::NameSlogan
        | Behaviour::OtherDomainParked
        | Behaviour::OtherDomainNumber
        | Behaviour::OtherDomainRedirect => &[],
        _ => return RULES.iter().map(|r| (*r, "n/a")).collect(),
    };
    let other = other_domain(s).is_some();
    let personal = matches!(
        s.behaviour,
        Behaviour::ForumPersonal | Behaviour::ShopPersonal
    );
    let verdict = |r: &str| match r {
        _ if !filed => "n/a",
        // Only the other domain is filed for those behaviours, and only it for the others.
        "SITE-OTHER-DOMAINS" if other => match s.behaviour {
            Behaviour::OtherDomainRedirect => "pass",
            _ => "fail",
        },
        _ if other => "n/a",
        "SITE-OTHER-DOMAINS" => "n/a",
        _ if warned.contains(&r) => "warn",
        "SITE-SCOPE" if !personal => "n/a",
        _ => "pass",
    };
    RULES.iter().map(|&r| (r, verdict(r))).collect()
}

/// The answer of a site's other domain (its name and `www.`): a parked page, a page with
/// another filing's number, or a redirect to the site.
pub(crate) fn other_domain_page(s: &SiteSpec) -> OtherAnswer {
    match s.behaviour {
        Behaviour::OtherDomainParked => {
            OtherAnswer::Page(crate::defended::NGINX_WELCOME.to_string())
        }
        Behaviour::OtherDomainNumber => {
            let other = SiteSpec {
                icp: other_number(s),
                behaviour: Behaviour::Compliant,
                ..s.clone()
            };
            OtherAnswer::Page(crate::pages::page(&other, true, "utf-8"))
        }
        _ => OtherAnswer::Redirect(format!("https://{}/", s.domain)),
    }
}

/// What an other domain answers.
pub(crate) enum OtherAnswer {
    /// This page (200).
    Page(String),
    /// A 301 to this URL.
    Redirect(String),
}
