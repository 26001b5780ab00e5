//! The page corpora of the extraction benchmarks (`hot_path`, `extract_ab`): fleet pages and
//! synthetic large pages, UTF-8 and GBK.

use beian_fleet::{Behaviour, pages};

/// Pages of the simulated fleet: 40 sites, UTF-8 and GBK.
pub(crate) fn corpus() -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    // The 5 MB huge-page site would dominate the small-page figure; it has its own role.
    let sites: Vec<_> = beian_fleet::generate(40, 7)
        .into_iter()
        .filter(|s| s.behaviour != Behaviour::HugePage)
        .collect();
    let utf8: Vec<Vec<u8>> = sites
        .iter()
        .map(|s| pages::page(s, true, "utf-8").into_bytes())
        .collect();
    let gbk = sites
        .iter()
        .map(|s| {
            encoding_rs::GBK
                .encode(&pages::page(s, true, "gbk"))
                .0
                .into_owned()
        })
        .collect();
    (utf8, gbk)
}

/// What the footer of a synthetic large page holds.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Footer {
    /// Copyright line, linked ICP number, PSB number with icon.
    Numbers,
    /// Only the copyright line (an unfiled site): a candidate for the copyright holder.
    CopyrightOnly,
    /// Only navigation links: no candidate of any fact.
    Nothing,
}

/// Synthetic large pages (30–200 KB, article text with links, a footer at the end),
/// deterministic.
pub(crate) fn large_corpus(n: usize, footer: Footer) -> Vec<String> {
    let para = "<p class=\"para\">我们致力于为客户提供安全、稳定、高效的云计算与网络服务，覆盖网站建设、数据存储与运维管理等业务。Our team builds reliable infrastructure for enterprises. <a href=\"/news/1.html\">了解更多</a></p>\n";
    let footer_numbers = "<p><a href=\"https://beian.miit.gov.cn/\">京ICP备2021034567号-1</a> <img src=\"b.png\"><a href=\"https://beian.mps.gov.cn/#/query/webSearch?code=11010802017518\">京公网安备11010802017518号</a></p>";
    (0..n)
        .map(|i| {
            // 30–200 KB: a para is ~300 bytes.
            let paras = 100 + (i * 7919) % 570;
            format!(
                "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>t{i}</title><script>var _hmt = [];</script></head><body><header class=\"site-header\"><nav><a href=\"/\">首页</a></nav></header><main>{}</main><footer class=\"footer\"><p><a href=\"/about\">关于我们</a> | <a href=\"/contact\">联系方式</a></p>{}{}</footer></body></html>",
                para.repeat(paras),
                if footer == Footer::Nothing { "" } else { "<p>© 2015-2024 某某科技有限公司 版权所有</p>" },
                if footer == Footer::Numbers { footer_numbers } else { "" }
            )
        })
        .collect()
}

/// The pages encoded GBK, declared so by their `<meta charset>`.
pub(crate) fn as_gbk(pages: &[String]) -> Vec<Vec<u8>> {
    pages
        .iter()
        .map(|p| {
            encoding_rs::GBK
                .encode(&p.replace("charset=\"utf-8\"", "charset=\"gbk\""))
                .0
                .into_owned()
        })
        .collect()
}
