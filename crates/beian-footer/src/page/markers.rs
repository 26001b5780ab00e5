//! The markers of interactive services and commerce (docs/rulebook.md §6.15, sources in the
//! rulebook's table): our own list, written from the vendors' embed documentation and published
//! pages. A marker is a vendor's host, file or global name as it appears in a script's URL or
//! text, a form's action or a link; product names are read after "Powered by" and in
//! `<meta name="generator">`.

use beian_types::FeatureKind::{
    self, Account, Cart, Chat, Comments, Forum, Payment, Product, Shop,
};

/// A needle and what it shows.
pub(super) struct Marker {
    pub(super) needle: &'static str,
    pub(super) kind: FeatureKind,
    pub(super) what: &'static str,
}

const fn m(needle: &'static str, kind: FeatureKind, what: &'static str) -> Marker {
    Marker { needle, kind, what }
}

/// Searched in script URLs and inline script text, iframe URLs, form actions and the links an
/// anchor of [`super::BODY_ANCHORS`] stands in. Case-sensitive: vendors' hosts and globals are
/// written one way.
pub(super) const VENDORS: &[Marker] = &[
    // Comment widgets.
    m("changyan.sohu.com", Comments, "畅言 (Changyan)"),
    m("changyan.api.config", Comments, "畅言 (Changyan)"),
    m("Valine.min.js", Comments, "Valine"),
    m("npm/valine", Comments, "Valine"),
    m("new Valine(", Comments, "Valine"),
    m("@waline/client", Comments, "Waline"),
    m("Waline.init(", Comments, "Waline"),
    m("twikoo", Comments, "Twikoo"),
    m("gitalk.min.js", Comments, "Gitalk"),
    m("npm/gitalk", Comments, "Gitalk"),
    m("new Gitalk(", Comments, "Gitalk"),
    m("giscus.app", Comments, "Giscus"),
    m("utteranc.es", Comments, "utterances"),
    m("disqus.com/embed.js", Comments, "Disqus"),
    m("disqus.com/count.js", Comments, "Disqus"),
    m("disqus_shortname", Comments, "Disqus"),
    m("disqus_config", Comments, "Disqus"),
    m("Artalk.init(", Comments, "Artalk"),
    m("new Artalk(", Comments, "Artalk"),
    m("Artalk.js", Comments, "Artalk"),
    m("livere.com", Comments, "来必力 (LiveRe)"),
    m("hypercomments.com", Comments, "HyperComments"),
    m("wp-comments-post.php", Comments, "WordPress comment form"),
    m("act=cmt", Comments, "Z-Blog comment form"),
    // Forums.
    m("discuz_uid", Forum, "Discuz!"),
    m("nodebb.min.js", Forum, "NodeBB"),
    m("flarum.core", Forum, "Flarum"),
    // Accounts.
    m("member.php?mod=logging", Account, "Discuz! login form"),
    m("member.php?mod=register", Account, "Discuz! registration"),
    // Live chat.
    m("53kf.com", Chat, "53KF"),
    m("meiqia.com", Chat, "美洽 (Meiqia)"),
    m("_MEIQIA", Chat, "美洽 (Meiqia)"),
    m("qiyukf.com", Chat, "网易七鱼 (Qiyu)"),
    m("udesk.cn", Chat, "Udesk"),
    m("sobot.com/chat", Chat, "智齿 (Sobot)"),
    m("kuaishang.cn", Chat, "快商通 (Kuaishang)"),
    m("looyu.com", Chat, "乐语 (Looyu)"),
    m("live800.com", Chat, "Live800"),
    m("affim.baidu.com", Chat, "爱番番 (Baidu Aifanfan)"),
    m("qiao.baidu.com", Chat, "百度商桥 (Baidu Shangqiao)"),
    m("wp.qiye.qq.com/qidian", Chat, "腾讯企点 (Tencent Qidian)"),
    m("work.weixin.qq.com/kfid", Chat, "企业微信客服 (WeCom)"),
    m("kefu.easemob.com", Chat, "环信客服 (Easemob)"),
    m("7moor.com", Chat, "容联七陌 (7moor)"),
    m("embed.tawk.to", Chat, "Tawk.to"),
    m("Tawk_API", Chat, "Tawk.to"),
    m("client.crisp.chat", Chat, "Crisp"),
    m("CRISP_WEBSITE_ID", Chat, "Crisp"),
    m("code.tidio.co", Chat, "Tidio"),
    m("widget.intercom.io", Chat, "Intercom"),
    m("intercomSettings", Chat, "Intercom"),
    m("static.zdassets.com", Chat, "Zendesk"),
    m("zopim.com", Chat, "Zendesk"),
    m("livechatinc.com", Chat, "LiveChat"),
    // Shops, carts, products, payment.
    m("__currency_symbol__", Shop, "ShopXO"),
    m("wc_add_to_cart_params", Shop, "WooCommerce"),
    m("/woocommerce/", Shop, "WooCommerce"),
    m("cdn.shopify.com", Shop, "Shopify"),
    m("shopping_flow.js", Shop, "ECShop"),
    m("flow.php", Cart, "ECShop cart"),
    m("add-to-cart", Cart, "an add-to-cart control"),
    m("addToCart", Cart, "an add-to-cart control"),
    m("\"@type\":\"Product\"", Product, "schema.org Product"),
    m("\"@type\": \"Product\"", Product, "schema.org Product"),
    m("schema.org/Product", Product, "schema.org Product"),
    m("paypal.com/sdk/js", Payment, "PayPal"),
    m("paypal.com/cgi-bin/webscr", Payment, "PayPal"),
    m("alipay.com/gateway.do", Payment, "支付宝 (Alipay) gateway"),
];

/// Products named after "Powered by" or in `<meta name="generator">` / `author`, matched
/// ASCII-case-insensitively at the start of the name.
pub(super) const PRODUCTS: &[Marker] = &[
    m("discuz!", Forum, "Discuz!"),
    m("phpbb", Forum, "phpBB"),
    m("discourse", Forum, "Discourse"),
    m("phpwind", Forum, "PHPWind"),
    m("vbulletin", Forum, "vBulletin"),
    m("mybb", Forum, "MyBB"),
    m("xenforo", Forum, "XenForo"),
    m("xiunobbs", Forum, "Xiuno BBS"),
    m("wecenter", Forum, "WeCenter"),
    m("hybbs", Forum, "HYBBS"),
    m("flarum", Forum, "Flarum"),
    m("nodebb", Forum, "NodeBB"),
    m("ecshop", Shop, "ECShop"),
    m("shopex", Shop, "ShopEx"),
    m("ecmall", Shop, "ECMall"),
    m("shopxo", Shop, "ShopXO"),
    m("woocommerce", Shop, "WooCommerce"),
];

/// The element ids of comment widgets' containers and of comment and login forms (an id alone:
/// the widget's script may come from a theme file).
pub(super) const IDS: &[Marker] = &[
    m("SOHUCS", Comments, "畅言 (Changyan)"),
    m("disqus_thread", Comments, "Disqus"),
    m("lv-container", Comments, "来必力 (LiveRe)"),
    m("commentform", Comments, "WordPress comment form"),
    m("lsform", Account, "Discuz! login form"),
];

/// Script `type`s whose text is a template, not a program (a published snippet or markup
/// the page may show later): not searched.
pub(super) const TEMPLATE_TYPES: &[&str] = &[
    "text/template",
    "text/x-template",
    "text/html",
    "text/x-handlebars-template",
    "text/x-jsrender",
    "text/ng-template",
];

/// The product a name starts with.
pub(super) fn product(name: &str) -> Option<&'static Marker> {
    let lower = name.trim_start().to_ascii_lowercase();
    PRODUCTS.iter().find(|p| lower.starts_with(p.needle))
}
