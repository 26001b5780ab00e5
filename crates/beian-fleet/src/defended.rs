//! Sites that defend themselves (issue 28): what real fleets answer an unknown client with —
//! a script that sets a cookie and reloads (Alibaba Cloud WAF's JS check), a 521 cookie
//! challenge (加速乐), a 403 challenge with `cf-mitigated` (Cloudflare), block pages that let a
//! browser's User-Agent through (宝塔, 安全狗), a 429 rate limit with `Retry-After`, a
//! proof-of-work page (Anubis), a parked default page, the access provider's page for an
//! unfiled domain, a CDN's origin error — and an ordinary page that quotes their markers.
//!
//! The pages are this project's own, written from what the real ones hold (docs/MARKERS.md
//! names the markers and their sources); none is copied. A challenge a browser passes is
//! passable here too: its script sets the cookie the server then accepts, and the site's real
//! page follows.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, COOKIE, HeaderValue, LOCATION, SET_COOKIE, USER_AGENT};
use hyper::{HeaderMap, Response, StatusCode};

use crate::scenario::{Behaviour, SiteSpec};

/// The proof-of-work page's difficulty: leading hex zeros of SHA-256(challenge + nonce).
pub const POW_DIFFICULTY: usize = 3;

/// Requests per host and scheme of the rate-limited sites: every other one is refused with a
/// `Retry-After` (a client that waits as told gets the page on its next request).
#[derive(Default)]
pub(crate) struct Limits {
    hits: Mutex<HashMap<String, u64>>,
}

impl Limits {
    /// Counts a request to `host`; whether it is one to refuse.
    fn refuse(&self, host: &str) -> bool {
        // A poisoned lock only means a connection task panicked; the counts are still sound.
        let mut hits = self
            .hits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = hits.entry(host.to_string()).or_default();
        *n += 1;
        *n % 2 == 1
    }
}

/// What a request carried that the defences look at.
pub(crate) struct Asked<'a> {
    pub(crate) host: &'a str,
    pub(crate) https: bool,
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
    pub(crate) headers: &'a HeaderMap,
}

impl Asked<'_> {
    fn cookie(&self, name: &str) -> bool {
        self.headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .any(|c| {
                c.trim()
                    .split_once('=')
                    .is_some_and(|(n, v)| n == name && !v.is_empty())
            })
    }

    /// A browser's User-Agent (what the block pages let through).
    fn browser(&self) -> bool {
        self.headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ua| ua.starts_with("Mozilla/5.0"))
    }
}

/// nginx's own index.html, as a fresh install serves it.
pub(crate) const NGINX_WELCOME: &str = "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\nhtml { color-scheme: light dark; }\nbody { width: 35em; margin: 0 auto;\nfont-family: Tahoma, Verdana, Arial, sans-serif; }\n</style>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed and\nworking. Further configuration is required.</p>\n</body>\n</html>\n";

fn html(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

fn header(r: &mut Response<Full<Bytes>>, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().append(name, v);
    }
}

/// The answer of a defended site's gate, or `None` when the request passes it (the site's
/// own page follows).
pub(crate) fn answer(
    site: &SiteSpec,
    asked: &Asked<'_>,
    limits: &Limits,
) -> Option<Response<Full<Bytes>>> {
    match site.behaviour {
        Behaviour::WafJsCookie if !asked.cookie("acw_sc__v2") => {
            // A script page without a title or text: it computes a value, sets the cookie
            // and reloads.
            let arg1 = format!("{:040X}", site.index as u128 * 0x9E37_79B9_7F4A_7C15);
            let body = format!(
                "<html><script>var arg1='{arg1}';var _0x5e8b=[0x2,0x13,0x7];function setCookie(n,v){{var e=new Date();e.setTime(e.getTime()+3600*1000);document.cookie=n+'='+v+';expires='+e.toGMTString()+';max-age=3600;path=/';}}function reload(x){{setCookie(\"acw_sc__v2\",x);document.location.reload();}}var arg2=arg1.split('').reverse().join('');setTimeout('reload(arg2)',2);</script></html>"
            );
            Some(html(StatusCode::OK, body))
        }
        Behaviour::JslCookie if !asked.cookie("__jsl_clearance_s") => {
            let mut r = html(
                StatusCode::from_u16(521).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
                "<script>document.cookie=('_')+('_')+('j')+('s')+('l')+('_')+('c')+('l')+('e')+('a')+('r')+('a')+('n')+('c')+('e')+('_')+('s')+('=')+('1764000000.123|0|'+'fleet')+';max-age=3600;path=/';location.href=location.pathname+location.search</script>".to_string(),
            );
            header(&mut r, "set-cookie", "__jsluid_s=f1ee7c0ffee; max-age=31536000; path=/; HttpOnly");
            header(&mut r, "server", "jiasule-waf");
            Some(r)
        }
        Behaviour::CfChallenge if !asked.cookie("cf_clearance") => {
            let mut r = html(
                StatusCode::FORBIDDEN,
                "<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title><meta name=\"robots\" content=\"noindex,nofollow\"></head><body><div class=\"main-wrapper\"><h1>Checking your browser</h1><noscript>Enable JavaScript and cookies to continue</noscript></div><script>window._cf_chl_opt={cType:'managed'};setTimeout(function(){document.cookie='cf_clearance=fleet-ok;max-age=1800;path=/';location.reload();},50);</script></body></html>".to_string(),
            );
            header(&mut r, "server", "cloudflare");
            header(&mut r, "cf-mitigated", "challenge");
            header(&mut r, "cf-ray", "8f00fleet0000-HKG");
            Some(r)
        }
        Behaviour::UaBlock if !asked.browser() => Some(html(
            StatusCode::OK,
            "<html><head><meta charset=\"utf-8\"><title>网站防火墙</title></head><body><h2>您的访问被拦截</h2><p>您的请求带有不合法参数，已被网站管理员设置拦截。</p><p>可能原因：您提交的内容包含危险的攻击请求</p><p><a href=\"https://www.bt.cn/new/btwaf.html\">堡塔云WAF</a> 提供防护</p></body></html>".to_string(),
        )),
        Behaviour::UaBlock403 if !asked.browser() => {
            let mut r = html(
                StatusCode::FORBIDDEN,
                "<html><head><meta charset=\"utf-8\"><title>访问被拦截</title></head><body><img src=\"http://404.safedog.cn/images/safedogsite/broswer_logo.jpg\"><p>您的访问被拦截：可能对网站造成安全威胁。</p><p>如果您是网站管理员，请登录安全狗查看拦截记录。</p></body></html>".to_string(),
            );
            header(&mut r, "set-cookie", "safedog-flow-item=F1EE7; path=/");
            Some(r)
        }
        Behaviour::RateLimited if limits.refuse(&format!("{}:{}", asked.host, asked.https)) => {
            let mut r = html(
                StatusCode::TOO_MANY_REQUESTS,
                "<html><body><h1>429 Too Many Requests</h1></body></html>".to_string(),
            );
            header(&mut r, "retry-after", "1");
            Some(r)
        }
        Behaviour::RateLimitedLong => {
            let mut r = html(
                StatusCode::TOO_MANY_REQUESTS,
                "<html><body><h1>429 Too Many Requests</h1></body></html>".to_string(),
            );
            header(&mut r, "retry-after", "3600");
            Some(r)
        }
        Behaviour::PowChallenge => pow(site, asked),
        Behaviour::Parked => Some(html(
            StatusCode::OK,
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>恭喜，站点创建成功！</title></head><body><div class=\"container\"><h1>恭喜, 站点创建成功！</h1><h3>这是默认index.html，本页面由系统自动生成</h3><ul><li>本页面在FTP根目录下的index.html</li><li>您可以修改、删除或覆盖本页面</li></ul></div></body></html>".to_string(),
        )),
        Behaviour::DefaultNginx => Some(html(StatusCode::OK, NGINX_WELCOME.to_string())),
        Behaviour::ProviderBlock => {
            let mut r = html(
                StatusCode::FORBIDDEN,
                "<html><head><meta charset=\"utf-8\"><title>Non-compliance ICP Filing</title></head><body><iframe id=\"mainFrame\" style=\"border:0;width:100%;height:100%\"></iframe><script>document.getElementById(\"mainFrame\").src=\"http://www.aliyun.com/beian/beian-block?id=20260000000000000001\";</script></body></html>".to_string(),
            );
            header(&mut r, "server", "Beaver");
            Some(r)
        }
        Behaviour::OriginDown => {
            let mut r = html(
                StatusCode::from_u16(522).unwrap_or(StatusCode::GATEWAY_TIMEOUT),
                format!(
                    "<!DOCTYPE html><html><head><title>{} | 522: Connection timed out</title></head><body><div id=\"cf-wrapper\"><div id=\"cf-error-details\"><h1>Connection timed out</h1><span>Error code 522</span><p><a href=\"https://www.cloudflare.com/5xx-error-landing\">cloudflare.com</a></p></div></div></body></html>",
                    asked.host
                ),
            );
            header(&mut r, "server", "cloudflare");
            header(&mut r, "cf-ray", "8f00fleet0522-HKG");
            Some(r)
        }
        _ => None,
    }
}

/// The proof-of-work gate: a page whose script finds a nonce such that SHA-256(challenge +
/// nonce) starts with [`POW_DIFFICULTY`] hex zeros and asks the pass URL with it; the server
/// checks the hash, sets the pass cookie and sends the browser back.
fn pow(site: &SiteSpec, asked: &Asked<'_>) -> Option<Response<Full<Bytes>>> {
    const PASS: &str = "/.within.website/x/cmd/anubis/api/pass-challenge";
    let challenge = format!("fleet{:08x}", site.index * 2_654_435_761 % 0xffff_ffff);
    if asked.path == PASS {
        let nonce = asked
            .query
            .split('&')
            .find_map(|kv| kv.strip_prefix("nonce="))
            .unwrap_or_default();
        let ok = !nonce.is_empty()
            && nonce.bytes().all(|b| b.is_ascii_digit())
            && sha256_hex(format!("{challenge}{nonce}").as_bytes())
                .starts_with(&"0".repeat(POW_DIFFICULTY));
        if !ok {
            return Some(html(StatusCode::FORBIDDEN, "<html><head><title>Oh noes!</title></head><body><img src=\"/.within.website/x/cmd/anubis/static/img/reject.webp\"></body></html>".to_string()));
        }
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = StatusCode::FOUND;
        r.headers_mut()
            .insert(LOCATION, HeaderValue::from_static("/"));
        header(
            &mut r,
            SET_COOKIE.as_str(),
            "techaro.lol-anubis-auth=fleet-pass; max-age=604800; path=/",
        );
        return Some(r);
    }
    if asked.cookie("techaro.lol-anubis-auth") {
        return None;
    }
    let body = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>正在确认你是不是机器人！</title><meta name=\"robots\" content=\"noindex,nofollow\"><script id=\"anubis_version\" type=\"application/json\">\"fleet\"</script><script id=\"anubis_challenge\" type=\"application/json\">{{\"rules\":{{\"algorithm\":\"fast\",\"difficulty\":{POW_DIFFICULTY}}},\"challenge\":{{\"randomData\":\"{challenge}\",\"difficulty\":{POW_DIFFICULTY}}}}}</script></head><body><img id=\"image\" src=\"/.within.website/x/cmd/anubis/static/img/pensive.webp\"><p id=\"status\">Loading...</p><script>{SHA256_JS}\
(function(){{var c=JSON.parse(document.getElementById('anubis_challenge').textContent).challenge;var want='0'.repeat(c.difficulty);for(var n=0;n<10000000;n++){{if(sha256(c.randomData+n).slice(0,c.difficulty)===want){{location.replace('{PASS}?nonce='+n+'&redir='+encodeURIComponent(location.href));return;}}}}}})();</script></body></html>"
    );
    Some(html(StatusCode::OK, body))
}

/// SHA-256 in the page (a secure context is not given: the page may be plain http).
const SHA256_JS: &str = "function sha256(s){var K=[],H=[],p=2,n=0;function f(x){return(x-Math.floor(x))*4294967296|0}while(n<64){var q=true;for(var d=2;d*d<=p;d++)if(p%d===0){q=false;break}if(q){if(n<8)H[n]=f(Math.pow(p,1/2));K[n++]=f(Math.pow(p,1/3))}p++}var b=unescape(encodeURIComponent(s)),l=b.length,w=[];b+='\\x80';while(b.length%64!==56)b+='\\x00';for(var i=0;i<b.length;i++)w[i>>2]|=b.charCodeAt(i)<<(24-(i%4)*8);w[w.length]=0;w[(b.length>>2)+1]=l*8;var h=H.slice(0),W=[];for(var j=0;j<w.length;j+=16){var a=h.slice(0);for(i=0;i<64;i++){var t=i<16?w[j+i]|0:(((W[i-2]>>>17|W[i-2]<<15)^(W[i-2]>>>19|W[i-2]<<13)^W[i-2]>>>10)+W[i-7]+((W[i-15]>>>7|W[i-15]<<25)^(W[i-15]>>>18|W[i-15]<<14)^W[i-15]>>>3)+W[i-16])|0;W[i]=t;var e=a[4],x=(a[7]+((e>>>6|e<<26)^(e>>>11|e<<21)^(e>>>25|e<<7))+(e&a[5]^~e&a[6])+K[i]+t)|0,g=a[0],y=(((g>>>2|g<<30)^(g>>>13|g<<19)^(g>>>22|g<<10))+(g&a[1]^g&a[2]^a[1]&a[2]))|0;a=[(x+y)|0].concat(a);a[4]=(a[4]+x)|0;a.pop()}for(i=0;i<8;i++)h[i]=(h[i]+a[i])|0}var o='';for(i=0;i<8;i++)o+=('00000000'+(h[i]>>>0).toString(16)).slice(-8);return o}";

/// SHA-256 of `data`, lower-case hex (the server's check of the proof of work).
fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A compliant site's article that quotes the defences' markers: it must stay a page.
pub(crate) fn about_defences_article() -> &'static str {
    "<section class=\"post\"><h2>网站防护笔记</h2><p>访问某些站点时会看到“Just a moment...”页面（响应头 cf-mitigated: challenge），阿里云 WAF 会下发 var arg1= 与 acw_sc__v2 Cookie，加速乐返回 521 并设置 __jsl_clearance_s；宝塔防火墙提示“您的访问被拦截”，Anubis 的页面地址在 /.within.website/ 下，id=\"anubis_challenge\"。新建站点常见“恭喜, 站点创建成功！”与 Welcome to nginx!。</p></section>"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_checks_the_proof_of_work() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let challenge = "fleet00000001";
        let nonce = (0u64..)
            .find(|n| sha256_hex(format!("{challenge}{n}").as_bytes()).starts_with("000"))
            .unwrap();
        assert!(nonce < 1_000_000);
    }

    #[test]
    fn every_other_request_is_limited() {
        let l = Limits::default();
        assert!(l.refuse("a.cn"));
        assert!(!l.refuse("a.cn"));
        assert!(l.refuse("b.cn"));
        assert!(l.refuse("a.cn"));
    }
}
