//! Each class and vendor marker on a short page written from what the real ones hold, and
//! the ordinary pages that quote the markers, which must stay pages.

use super::*;
use beian_types::PageClass::*;

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn resp<'a>(status: u16, headers: &'a [(String, String)], body: &'a str) -> Response<'a> {
    Response {
        status,
        headers,
        body: body.as_bytes(),
        truncated: false,
        final_url: "https://example.cn/",
        hops: &[],
    }
}

/// `(class, vendor id, marker)` of the full classification.
fn of(r: &Response<'_>) -> (PageClass, Option<&'static str>, &'static str) {
    let c = classify(r);
    (c.class, c.vendor.map(|v| v.id), c.marker)
}

const ORDINARY: &str = "<!DOCTYPE html><html><head><title>某某科技有限公司</title></head><body><main><p>产品与服务</p></main><footer><a href=\"https://beian.miit.gov.cn/\">京ICP备2021034567号-1</a></footer></body></html>";

#[test]
fn an_ordinary_page_is_a_page() {
    let none = h(&[("server", "nginx"), ("content-type", "text/html")]);
    assert_eq!(of(&resp(200, &none, ORDINARY)), (Page, None, ""));
    assert_eq!(by_headers(&resp(200, &none, ORDINARY)), None);
    // An error page of the site's own is a page too: the status says the rest.
    assert_eq!(of(&resp(500, &none, "<h1>Internal error</h1>")).0, Page);
}

#[test]
fn cloudflare_challenge_by_its_header() {
    let hs = h(&[("server", "cloudflare"), ("cf-mitigated", "challenge")]);
    let body = "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><script src=\"/cdn-cgi/challenge-platform/h/b/orchestrate/jsch/v1\"></script></body></html>";
    assert_eq!(
        of(&resp(403, &hs, body)),
        (Challenge, Some("cloudflare"), "cf-mitigated")
    );
    // The cheap phase finds it: a header decides.
    assert_eq!(
        by_headers(&resp(403, &hs, body)).map(|c| c.class),
        Some(Challenge)
    );
    // Without the header, the title with Cloudflare's Server header still does.
    let hs = h(&[("server", "cloudflare")]);
    assert_eq!(of(&resp(503, &hs, body)).2, "cf-just-a-moment");
}

#[test]
fn a_post_about_cloudflare_is_a_page() {
    let hs = h(&[("server", "nginx")]);
    let post = format!(
        "<html><head><title>Why I see \"Just a moment...\" — notes on cf-mitigated and acw_sc__v2</title></head><body><article><p>Cloudflare answers 403 with the title Just a moment... and var arg1= appears in Alibaba's page; Anubis serves /.within.website/ with id=\"anubis_challenge\".</p></article>{}</body></html>",
        "<footer>京ICP备2021034567号-1</footer>"
    );
    assert_eq!(of(&resp(200, &hs, &post)), (Page, None, ""));
    // Even titled exactly so, without Cloudflare's header it is somebody's page.
    let titled =
        "<html><head><title>Just a moment...</title></head><body><p>a poem</p></body></html>";
    assert_eq!(of(&resp(200, &hs, titled)).0, Page);
}

#[test]
fn alibaba_cloud_js_check() {
    let hs = h(&[("server", "Tengine")]);
    let body = "<html><script>var arg1='3F2A9C0D1E2B3C4D5E6F708192A3B4C5D6E7F809';function setCookie(n,v){document.cookie=n+'='+v+';max-age=3600;path=/'}function reload(x){setCookie(\"acw_sc__v2\",x);document.location.reload();}</script></html>";
    assert_eq!(
        of(&resp(200, &hs, body)),
        (Challenge, Some("aliyun_waf"), "acw-sc-v2")
    );
    // Body-only: not decided by the cheap phase.
    assert_eq!(by_headers(&resp(200, &hs, body)), None);
}

#[test]
fn jiasule_521_cookie_challenge() {
    let hs = h(&[(
        "set-cookie",
        "__jsluid_s=5a1b2c; max-age=31536000; path=/; HttpOnly",
    )]);
    let body = "<script>document.cookie=('_')+('_')+('j')+('s')+('l')+('_')+('c')+'learance_s=1700000000.123|0|abc';location.href=location.pathname+location.search</script>";
    assert_eq!(
        of(&resp(521, &hs, body)),
        (Challenge, Some("jiasule"), "jsl-clearance")
    );
}

#[test]
fn a_521_alone_decides_nothing() {
    // Cloudflare's "web server is down" is an origin error, not 加速乐's challenge.
    let cf = h(&[("server", "cloudflare"), ("cf-ray", "8a1b2c3d4e5f-HKG")]);
    let body = "<html><head><title>example.cn | 521: Web server is down</title></head><body><div id=\"cf-wrapper\"><div id=\"cf-error-details\">Error code 521</div></div></body></html>";
    assert_eq!(
        of(&resp(521, &cf, body)),
        (OriginError, Some("cloudflare"), "cf-origin-error")
    );
    // A bare 521 with a page of its own: the status says the rest.
    assert_eq!(of(&resp(521, &[], "<p>down</p>")).0, Page);
}

#[test]
fn anubis_proof_of_work_and_deny() {
    let body = "<!doctype html><html><head><title>Making sure you&#39;re not a bot!</title><script id=\"anubis_challenge\" type=\"application/json\">{\"challenge\":{\"randomData\":\"ab\",\"difficulty\":2}}</script></head><body><img src=\"/.within.website/x/cmd/anubis/static/img/pensive.webp\"></body></html>";
    assert_eq!(
        of(&resp(200, &[], body)),
        (Challenge, Some("anubis"), "anubis-challenge")
    );
    let deny = "<html><head><title>Oh noes!</title></head><body><img src=\"/.within.website/x/cmd/anubis/static/img/reject.webp\"></body></html>";
    assert_eq!(
        of(&resp(200, &[], deny)),
        (Block, Some("anubis"), "anubis-deny")
    );
}

/// `(status, headers, body, vendor id)`.
type BlockCase = (
    u16,
    &'static [(&'static str, &'static str)],
    &'static str,
    &'static str,
);

#[test]
fn waf_block_pages() {
    let cases: &[BlockCase] = &[
        (
            405,
            &[],
            "<html><body><img src=\"https://g.alicdn.com/sd-base/static/1.0.5/image/405.png\"><p>errors.aliyun.com</p></body></html>",
            "aliyun_waf",
        ),
        (
            403,
            &[],
            "<html><body>创宇盾提示您：当前访问疑似黑客攻击，已被网站管理员设置为拦截 <a href=\"https://www.365cyd.com\">365cyd</a></body></html>",
            "chuangyudun",
        ),
        (
            403,
            &[("server", "yunjiasu-nginx")],
            "<html><body>blocked</body></html>",
            "yunjiasu",
        ),
        (
            403,
            &[],
            "<html><body>腾讯云Web应用防火墙 拦截了您的请求</body></html>",
            "tencent_waf",
        ),
        (
            418,
            &[("server", "HuaweiCloudWAF")],
            "<html><body>YOUR REQUEST HAS BEEN DENIED! event_id: 1</body></html>",
            "huawei_waf",
        ),
        (
            200,
            &[],
            "<html><head><title>网站防火墙</title></head><body>您的访问被拦截 <a href=\"https://www.bt.cn/new/btwaf.html\">堡塔云WAF</a></body></html>",
            "baota",
        ),
        (
            403,
            &[("set-cookie", "safedog-flow-item=1; path=/")],
            "<html><body><img src=\"http://404.safedog.cn/images/safedogsite/broswer_logo.jpg\">如果您是网站管理员，请登录安全狗</body></html>",
            "safedog",
        ),
        (
            403,
            &[],
            "<html><body><div class=\"yunsuologo\"></div></body></html>",
            "yunsuo",
        ),
        (
            493,
            &[("wzws-ray", "1")],
            "<html><body><a href=\"/wzws-waf-cgi/\">抱歉！您的访问可能对网站造成威胁，已被云防护拦截！</a></body></html>",
            "qianxin",
        ),
        (567, &[("eo-log-uuid", "123")], "", "edgeone"),
        (
            403,
            &[("server", "cloudflare")],
            "<html><head><title>Attention Required! | Cloudflare</title></head><body>Sorry, you have been blocked</body></html>",
            "cloudflare",
        ),
    ];
    for (status, headers, body, vendor) in cases {
        let hs = h(headers);
        let got = of(&resp(*status, &hs, body));
        assert_eq!((got.0, got.1), (Block, Some(*vendor)), "{vendor}: {got:?}");
    }
}

#[test]
fn a_safedog_cookie_on_a_real_page_is_a_page() {
    // Safedog installed and letting the request through: its cookie, the site's page.
    let hs = h(&[("set-cookie", "safedog-flow-item=ABC; path=/")]);
    assert_eq!(of(&resp(200, &hs, ORDINARY)).0, Page);
}

#[test]
fn rate_limit_is_a_block() {
    let hs = h(&[("retry-after", "30")]);
    assert_eq!(
        of(&resp(429, &hs, "slow down")),
        (Block, None, "rate-limit")
    );
}

#[test]
fn provider_interception() {
    let hs = h(&[("server", "Beaver")]);
    let body = "<html><head><title>Non-compliance ICP Filing</title></head><body><iframe id=\"mainFrame\"></iframe><script>document.getElementById(\"mainFrame\").src=\"http://www.aliyun.com/beian/beian-block?id=1\"</script></body></html>";
    assert_eq!(
        of(&resp(403, &hs, body)),
        (ProviderInterception, Some("aliyun"), "aliyun-beian-block")
    );
    // A 403 of nginx is no such page.
    let nginx = h(&[("server", "nginx")]);
    assert_eq!(of(&resp(403, &nginx, "<h1>403 Forbidden</h1>")).0, Page);
    // Tencent's redirect to its notice.
    let hops = [Hop {
        url: "http://example.cn/".into(),
        status: 302,
        location: "https://dnspod.qcloud.com/static/webblock.html?d=example.cn".into(),
    }];
    let r = Response {
        status: 200,
        headers: &[],
        body: b"<html></html>",
        truncated: false,
        final_url: "https://dnspod.qcloud.com/static/webblock.html?d=example.cn",
        hops: &hops,
    };
    assert_eq!(
        of(&r),
        (
            ProviderInterception,
            Some("tencent_cloud"),
            "dnspod-webblock"
        )
    );
    // The generic notice, in a short page.
    let notice = "<html><head><title>网站暂时无法访问</title></head><body><p>该网站暂时无法访问，根据工信部相关法律法规已阻断。原因：未备案</p></body></html>";
    assert_eq!(of(&resp(200, &[], notice)).0, ProviderInterception);
}

#[test]
fn a_filed_sites_footer_is_no_interception() {
    // 备案 words everywhere, as every filed site has them: still the site's page.
    let page = "<html><head><title>首页 - 某某公司</title></head><body><p>本站已备案，备案号查询请访问工信部网站。该网站暂时无法访问的问题已修复。</p><footer>京ICP备2021034567号-1 京公网安备11010802017518号</footer></body></html>";
    assert_eq!(of(&resp(200, &[], page)).0, Page);
}

#[test]
fn parked_and_default_pages() {
    let cases: &[(&str, &str)] = &[
        (
            "<html><head><title>恭喜，站点创建成功！</title></head><body><h1>恭喜, 站点创建成功！</h1><p>这是默认index.html，本页面由系统自动生成</p></body></html>",
            "baota",
        ),
        (
            "<html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to nginx!</h1></body></html>",
            "nginx",
        ),
        (
            "<html><head><title>Apache2 Debian Default Page: It works</title></head><body></body></html>",
            "apache",
        ),
        (
            "<html><head><title>IIS Windows Server</title></head><body><img src=\"iisstart.png\"></body></html>",
            "iis",
        ),
        (
            "<html><head><title>example.cn</title></head><body><script>var sedoParkingUrl='x';</script></body></html>",
            "parking",
        ),
    ];
    for (body, vendor) in cases {
        let got = of(&resp(200, &[], body));
        assert_eq!((got.0, got.1), (Parked, Some(*vendor)), "{vendor}");
    }
    let sale =
        "<html><head><title>example.cn is for sale</title></head><body>Buy now</body></html>";
    assert_eq!(of(&resp(200, &[], sale)).0, Parked);
}

#[test]
fn a_tutorial_quoting_the_default_page_is_a_page() {
    // A long article that shows nginx's default page title in its text is somebody's page.
    let article = format!(
        "<html><head><title>How to set up nginx</title></head><body><p>You will see Welcome to nginx! and 恭喜, 站点创建成功！</p>{}</body></html>",
        "<p>text</p>".repeat(3000)
    );
    assert_eq!(of(&resp(200, &[], &article)).0, Page);
}

#[test]
fn origin_errors() {
    let eo = h(&[("eo-log-uuid", "abc")]);
    assert_eq!(of(&resp(522, &eo, "")).1, Some("edgeone"));
    let ali = h(&[("eagleid", "0b2c"), ("server", "Tengine")]);
    assert_eq!(
        of(&resp(504, &ali, "<h1>504</h1>")),
        (OriginError, Some("aliyun_cdn"), "aliyun-cdn-origin-error")
    );
    let bt = "<html><head><title>502 Bad Gateway</title></head><body>Power by <a href=\"https://www.bt.cn\">堡塔</a></body></html>";
    assert_eq!(of(&resp(502, &[], bt)).1, Some("baota"));
}

#[test]
fn titles_are_read_from_the_head() {
    assert_eq!(title_of(b"<html><head><TITLE> A b </TITLE>"), Some("A b"));
    assert_eq!(title_of(b"<html><body>no title</body>"), None);
    assert_eq!(title_of(b"<title>unterminated"), Some("unterminated"));
}

#[test]
fn every_rule_has_an_id_a_source_and_a_first_condition() {
    let mut ids = std::collections::HashSet::new();
    for r in RULES {
        assert!(ids.insert(r.id), "duplicate id {}", r.id);
        assert!(!r.source.is_empty() && !r.all.is_empty(), "{}", r.id);
        assert!(r.class != Page, "{}", r.id);
    }
}

#[test]
fn markers_md_is_current() {
    let doc = include_str!("../../../docs/MARKERS.md");
    assert_eq!(
        doc,
        markers_markdown(),
        "docs/MARKERS.md is stale: run `beian rules --markers > docs/MARKERS.md`"
    );
}

proptest::proptest! {
    /// Any bytes, any status: no panic.
    #[test]
    fn any_response_is_classified(status in 100u16..600, body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
        let r = Response { status, headers: &[], body: &body, truncated: false, final_url: "", hops: &[] };
        let _ = classify(&r);
        let _ = by_headers(&r);
    }
}

#[test]
fn an_empty_answer_is_a_shell_and_an_empty_error_is_not() {
    let none = h(&[("content-type", "text/html")]);
    assert_eq!(of(&resp(200, &none, "")), (Parked, None, "empty-page"));
    assert_eq!(of(&resp(200, &none, " \r\n\t")).2, "empty-page");
    // Markup, however little, is somebody's page; a 5xx with nothing in it is an error.
    assert_eq!(of(&resp(200, &none, "<div id=\"app\"></div>")).0, Page);
    assert_eq!(of(&resp(502, &none, "")).0, Page);
}

#[test]
fn megabytes_of_white_space_are_no_empty_page() {
    // What a compression bomb unpacks to is a hostile server's, not a shell's page.
    let none = h(&[("content-type", "text/html")]);
    let spaces = " ".repeat(64 * 1024);
    assert_eq!(of(&resp(200, &none, &spaces)).0, Page);
}

#[test]
fn a_body_cut_at_the_cap_is_no_empty_page() {
    // A compression bomb's zeros, cut at the cap, keep nothing: not an empty answer.
    let none = h(&[("content-type", "text/html")]);
    let cut = Response {
        truncated: true,
        ..resp(200, &none, "")
    };
    assert_eq!(of(&cut).0, Page);
}
