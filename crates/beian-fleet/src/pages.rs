//! HTML of the simulated sites: a plausible company page (header, nav, article filler) with
//! the footer each behaviour calls for.

use crate::scenario::{Behaviour, SiteSpec};

const MIIT: &str = "https://beian.miit.gov.cn/";

fn psb_code(psb: &str) -> String {
    psb.chars().filter(char::is_ascii_digit).collect()
}

fn icp_html(s: &SiteSpec) -> String {
    let n = &s.icp;
    match s.behaviour {
        Behaviour::NoIcp => String::new(),
        Behaviour::Unlinked => format!("<span>{n}</span>"),
        Behaviour::WrongLink => format!(
            r#"<a href="https://icp.chinaz.com/{}" target="_blank">{n}</a>"#,
            s.domain
        ),
        Behaviour::LegacyLink => {
            format!(r#"<a href="http://www.miitbeian.gov.cn/" target="_blank">{n}</a>"#)
        }
        Behaviour::AltOnly => {
            format!(r#"<a href="{MIIT}" target="_blank"><img src="/icp.png" alt="{n}"></a>"#)
        }
        // A dash after 备, as some footers write it.
        Behaviour::MalformedNumber => {
            let n = n.replacen("ICP备", "ICP备-", 1);
            format!(r#"<a href="{MIIT}" target="_blank">{n}</a>"#)
        }
        // Split across inline elements, as many CMS themes write it.
        _ if s.index % 3 == 1 => {
            let mut chars = n.chars();
            let first: String = chars.next().map(String::from).unwrap_or_default();
            let rest: String = chars.collect();
            format!(
                r#"<a href="{MIIT}" target="_blank" rel="nofollow"><span>{first}</span>{rest}</a>"#
            )
        }
        _ => format!(r#"<a href="{MIIT}" target="_blank">{n}</a>"#),
    }
}

fn psb_html(s: &SiteSpec) -> String {
    let code = psb_code(&s.psb);
    let shown = &s.psb;
    match s.behaviour {
        Behaviour::PsbMissing | Behaviour::NoIcp => String::new(),
        Behaviour::PsbCodeMismatch => {
            let wrong: String = code.chars().take(8).chain("999999".chars()).collect();
            format!(
                r#"<img src="/gongan.png" alt=""><a href="https://beian.mps.gov.cn/#/query/webSearch?code={wrong}" rel="noreferrer" target="_blank">{shown}</a>"#
            )
        }
        Behaviour::PsbNoIcon => format!(
            r#"<a href="https://beian.mps.gov.cn/#/query/webSearch?code={code}" rel="noreferrer" target="_blank">{shown}</a>"#
        ),
        _ => format!(
            r#"<img src="/gongan.png" alt="公安备案图标"><a href="https://beian.mps.gov.cn/#/query/webSearch?code={code}" rel="noreferrer" target="_blank">{shown}</a>"#
        ),
    }
}

fn filler(index: usize) -> String {
    let para = "我们致力于为客户提供安全、稳定、高效的云计算与网络服务，覆盖网站建设、数据存储与运维管理等业务。\
                Our team builds reliable infrastructure for enterprises across the region. ";
    let n = 8 + index % 40;
    let mut out = String::with_capacity(n * 300);
    for i in 0..n {
        out.push_str(&format!(
            "<p class=\"para\">{para} <a href=\"/news/{i}.html\">了解更多</a></p>\n"
        ));
    }
    // A decoy: an explanation of the format in body text must never be taken as the number.
    out.push_str("<p>备案号格式类似“京ICP备12345678号-1”，请以工信部查询结果为准。</p>\n");
    out
}

/// The page a host serves. `with_number = false` drops the number (www of `WwwNoNumber`).
pub fn page(s: &SiteSpec, with_number: bool, charset: &str) -> String {
    let icp = if with_number {
        icp_html(s)
    } else {
        String::new()
    };
    let psb = if with_number {
        psb_html(s)
    } else {
        String::new()
    };
    // What a site that does not match its filing shows instead (issue 30).
    let shown = crate::filing::shown(s);
    let holder = shown.as_ref().and_then(|x| x.holder).unwrap_or(&s.org);
    let copyright = match s.behaviour {
        Behaviour::JiangsuNoCopyright => String::new(),
        _ => format!("<p class=\"copy\">© 2015-2025 {holder} 版权所有</p>"),
    };
    let body = if s.behaviour == Behaviour::HugePage {
        // ~5 MB of article text: past the auditor's default 4 MiB body cap.
        filler(47).repeat(1200)
    } else if s.behaviour == Behaviour::AboutDefences {
        format!(
            "{}{}",
            crate::defended::about_defences_article(),
            filler(s.index)
        )
    } else if let Some(own) = shown.as_ref().and_then(|x| x.body.clone()) {
        own
    } else {
        filler(s.index)
    };
    let title = shown.as_ref().map_or(s.org.as_str(), |x| x.title.as_str());
    let extra = shown.as_ref().map_or("", |x| x.extra);
    let content = format!(
        r#"<header class="site-header"><nav><a href="/">首页</a> <a href="/about.html">关于我们</a> <a href="/contact.html">联系我们</a></nav></header>
<main><article><h1>{title}</h1>
{body}</article>
{extra}</main>
<!-- <a href="http://www.miitbeian.gov.cn/">京ICP备00000001号-1</a> old footer -->
"#
    );
    let footer = |inner: &str| {
        format!("<footer class=\"footer\" role=\"contentinfo\">\n{inner}\n</footer>\n")
    };
    let page = match s.behaviour {
        Behaviour::ScriptWrite => format!(
            "{content}{}",
            footer(&format!(
                "{copyright}\n<p><script>document.write('{icp} {psb}');</script></p>"
            ))
        ),
        Behaviour::ScriptTimer => {
            // The ICP number only exists once the script joined its pieces.
            let mut chars = s.icp.chars();
            let first: String = chars.next().map(String::from).unwrap_or_default();
            let rest: String = chars.collect();
            format!(
                r#"{content}{}<script>var SITE = {{ icp: ['{first}', '{rest}'] }};
setTimeout(function () {{
  document.getElementById('beian').innerHTML = '<a href="{MIIT}" target="_blank">' + SITE.icp.join('') + '</a> {psb}';
}}, 1000);</script>
"#,
                footer(&format!("{copyright}\n<p id=\"beian\"></p>"))
            )
        }
        // The whole page comes from `/config.json` ([`config_json`]).
        Behaviour::ScriptConfig => r#"<div id="app"></div>
<script>fetch('/config.json').then(function (r) { return r.json(); }).then(function (c) {
  document.getElementById('app').innerHTML = c.html;
});</script>
"#
        .to_string(),
        Behaviour::ScriptNever => format!(
            r#"{content}<footer class="footer" role="contentinfo"></footer>
<script>window.addEventListener('load', function () {{ /* the footer: beian.js, never shipped */ }});</script>
"#
        ),
        Behaviour::ScriptPrivate => format!(
            r#"{content}<footer class="footer" role="contentinfo" id="ft"></footer>
<script>fetch('http://10.255.255.1/footer.json').then(function (r) {{ return r.json(); }})
  .then(function (c) {{ document.getElementById('ft').innerHTML = c.html; }})
  .catch(function () {{}});</script>
"#
        ),
        Behaviour::ScriptHang => format!(
            r#"{content}<footer class="footer" role="contentinfo"></footer>
<script>for (;;) {{}}</script>
"#
        ),
        // A named link bar with no number, then the footer no name marks.
        Behaviour::FooterUnnamed => format!(
            r#"{content}<div class="footer-links"><a href="/about.html">关于我们</a> | <a href="/sitemap.html">网站地图</a></div>
<div class="xinxi">
{copyright}
<p>{icp} {psb}</p>
</div>
"#
        ),
        _ => format!(
            "{content}{}",
            footer(&format!("{copyright}\n<p>{icp} {psb}</p>"))
        ),
    };
    let placement = placement_css(s.behaviour);
    let generator = shown
        .as_ref()
        .and_then(|x| x.generator)
        .map(|g| format!("<meta name=\"generator\" content=\"{g}\">"))
        .unwrap_or_default();
    format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="{charset}"><title>{title}</title>{generator}
<script>var _hmt = _hmt || []; // analytics stub</script>
<style>.footer {{ text-align: center; }}{placement}</style></head>
<body>
{page}</body></html>
"#
    )
}

/// The stylesheet of a placement behaviour: the number's line is the footer's last `<p>`.
fn placement_css(b: Behaviour) -> &'static str {
    match b {
        Behaviour::PlaceSideColumn => " .footer { width: 220px; text-align: left; }",
        Behaviour::PlaceHidden => " .footer p:last-child { display: none; }",
        Behaviour::PlaceWhiteOnWhite => {
            " body { background: #fff; } .footer p:last-child, .footer p:last-child a { color: #fff; }"
        }
        Behaviour::PlaceTinyFont => " .footer p:last-child { font-size: 1px; }",
        Behaviour::PlaceOffScreen => " .footer p:last-child { position: absolute; left: -9999px; }",
        Behaviour::PlaceDesktopOnly => {
            " @media (max-width: 600px) { .footer p:last-child { display: none; } }"
        }
        Behaviour::PlaceIconHidden => " .footer img { display: none; }",
        _ => "",
    }
}

/// `/config.json` of a `script-config` site: the page its shell renders (a compliant one).
pub fn config_json(s: &SiteSpec) -> String {
    let mut plain = s.clone();
    plain.behaviour = Behaviour::Compliant;
    let html = page(&plain, true, "utf-8");
    let body = html
        .split_once("<body>\n")
        .and_then(|(_, b)| b.rsplit_once("</body>"))
        .map_or(html.as_str(), |(b, _)| b);
    format!("{}\n", serde_json::json!({ "html": body }))
}

/// A page that only redirects by `<meta refresh>`.
pub fn refresh_page(target: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html><head><meta http-equiv="refresh" content="0; url={target}"><title>跳转</title></head><body><p>正在跳转…</p></body></html>"#
    )
}
