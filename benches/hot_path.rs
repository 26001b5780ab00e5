//! Hot-path benchmarks: footer extraction alone, and fetch-and-parse of one page from the
//! loopback fleet (resolve excluded: addresses are given, as in the pipeline after DNS).
//!
//! `make bench` runs them; figures go to BENCHMARKS.md with the command and the machine.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use beian_fetch::{FetchConfig, FetchError, Fetcher, HostResolve};
use beian_fleet::{Behaviour, Fleet, FleetConfig, pages};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// Pages of the simulated fleet: 40 sites, UTF-8 and GBK.
fn corpus() -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
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
enum Footer {
    /// Copyright line, linked ICP number, PSB number with icon.
    Numbers,
    /// Only the copyright line (an unfiled site): a candidate for the copyright holder.
    CopyrightOnly,
    /// Only navigation links: no candidate of any fact.
    Nothing,
}

/// Synthetic large pages (30–200 KB, article text with links, a footer at the end),
/// deterministic.
fn large_corpus(n: usize, footer: Footer) -> Vec<String> {
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

type ExtractFn = fn(&[u8], Option<&str>) -> beian_types::FooterFacts;

/// One benchmark per (name, corpus, extractor), throughput in bytes of the corpus.
fn bench_corpora(c: &mut Criterion, group: &str, runs: &[(&str, &Vec<Vec<u8>>, ExtractFn)]) {
    let mut g = c.benchmark_group(group);
    for &(name, set, f) in runs {
        let bytes: usize = set.iter().map(Vec::len).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                for page in set {
                    black_box(f(black_box(page), None));
                }
            })
        });
    }
    g.finish();
}

/// The pages encoded GBK, declared so by their `<meta charset>`.
fn as_gbk(pages: &[String]) -> Vec<Vec<u8>> {
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

fn extraction(c: &mut Criterion) {
    let large: Vec<Vec<u8>> = large_corpus(200, Footer::Numbers)
        .into_iter()
        .map(String::into_bytes)
        .collect();
    let large_gbk = as_gbk(&large_corpus(200, Footer::Numbers));
    let copyright_only: Vec<Vec<u8>> = large_corpus(200, Footer::CopyrightOnly)
        .into_iter()
        .map(String::into_bytes)
        .collect();
    let none: Vec<Vec<u8>> = large_corpus(200, Footer::Nothing)
        .into_iter()
        .map(String::into_bytes)
        .collect();
    let none_gbk = as_gbk(&large_corpus(200, Footer::Nothing));
    bench_corpora(
        c,
        "extract_large",
        &[
            ("fast_utf8", &large, beian_footer::extract),
            ("fast_gbk", &large_gbk, beian_footer::extract),
            (
                "fast_copyright_only",
                &copyright_only,
                beian_footer::extract,
            ),
            ("fast_no_candidate", &none, beian_footer::extract),
            ("fast_no_candidate_gbk", &none_gbk, beian_footer::extract),
            ("reference_utf8", &large, beian_footer::extract_reference),
            ("reference_gbk", &large_gbk, beian_footer::extract_reference),
            (
                "reference_no_candidate",
                &none,
                beian_footer::extract_reference,
            ),
        ],
    );

    let (utf8, gbk) = corpus();
    bench_corpora(
        c,
        "extract",
        &[
            ("fast_utf8", &utf8, beian_footer::extract),
            ("fast_gbk", &gbk, beian_footer::extract),
            ("reference_utf8", &utf8, beian_footer::extract_reference),
            ("reference_gbk", &gbk, beian_footer::extract_reference),
        ],
    );
    classification(c, &[("fleet_utf8", &utf8), ("large_utf8", &large)]);
    page_facts(
        c,
        &[
            ("fleet_utf8", &utf8),
            ("large_utf8", &large),
            ("large_gbk", &large_gbk),
            ("large_no_candidate", &none),
        ],
    );
}

/// What reading the page facts costs (issue 30, target under 10 % of extraction, which
/// includes it): the same corpora as `extract/*` and `extract_large/*`.
fn page_facts(c: &mut Criterion, corpora: &[(&str, &Vec<Vec<u8>>)]) {
    let mut g = c.benchmark_group("page_facts");
    for (name, pages) in corpora {
        let bytes: usize = pages.iter().map(Vec::len).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(*name, |b| {
            b.iter(|| {
                for page in pages.iter() {
                    black_box(beian_footer::page_facts(black_box(page), None));
                }
            })
        });
    }
    g.finish();
}

/// What classifying the responses costs the audit (issue 28, target under 2 % of
/// extraction): every page through the rules that start with a status or header marker, and
/// the pages whose footer shows no number through every rule — as the pipeline does.
/// Throughput in bytes of the corpus, comparable with `extract/*` and `extract_large/*`.
fn classification(c: &mut Criterion, corpora: &[(&str, &Vec<Vec<u8>>)]) {
    let headers = vec![
        ("server".to_string(), "nginx".to_string()),
        (
            "content-type".to_string(),
            "text/html; charset=utf-8".to_string(),
        ),
        ("content-length".to_string(), "4096".to_string()),
    ];
    let mut g = c.benchmark_group("classify");
    for (name, pages) in corpora {
        // Which pages show no number is the extraction's answer, known before classifying.
        let unnumbered: Vec<bool> = pages
            .iter()
            .map(|p| {
                let f = beian_footer::extract(p, None);
                f.primary.is_none() && f.psb.is_none()
            })
            .collect();
        let bytes: usize = pages.iter().map(Vec::len).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(*name, |b| {
            b.iter(|| {
                for (page, bare) in pages.iter().zip(&unnumbered) {
                    let resp = beian_classify::Response {
                        status: 200,
                        headers: &headers,
                        body: page,
                        truncated: false,
                        final_url: "https://example.cn/",
                        hops: &[],
                    };
                    let c = beian_classify::by_headers(&resp).unwrap_or_else(|| {
                        if *bare {
                            beian_classify::classify(&resp)
                        } else {
                            beian_types::Classified::PAGE
                        }
                    });
                    black_box(c);
                }
            })
        });
    }
    g.finish();
}

struct NoDns;

impl HostResolve for NoDns {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<Vec<std::net::IpAddr>, FetchError>> + Send + 'a,
        >,
    > {
        Box::pin(async move {
            Err(FetchError {
                class: beian_types::ErrorClass::DnsError,
                message: format!("no DNS in this bench: {host}"),
            })
        })
    }
}

fn fetch_and_parse(c: &mut Criterion) {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("runtime: {e}"),
    };
    let fleet = match rt.block_on(Fleet::start(FleetConfig {
        domains: 64,
        seed: 3,
        ..FleetConfig::default()
    })) {
        Ok(f) => f,
        Err(e) => panic!("fleet: {e}"),
    };
    let roots: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(fleet.ca_pem.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap_or_default();
    let cfg = FetchConfig {
        http_port: fleet.http_port,
        https_port: fleet.https_port,
        allow_private: true,
        response_timeout: Duration::from_secs(5),
        ..FetchConfig::default()
    };
    let fetcher = match Fetcher::new(cfg, &roots, NoDns) {
        Ok(f) => Arc::new(f),
        Err(e) => panic!("fetcher: {e}"),
    };
    let Some(site) = fleet.site(Behaviour::PsbNoIcon).cloned() else {
        panic!("no site")
    };
    let addr = fleet.addr_of(&site);
    let mut g = c.benchmark_group("fetch_and_parse");
    for scheme in ["https", "http"] {
        let url: url::Url = match format!("{scheme}://{}/", site.domain).parse() {
            Ok(u) => u,
            Err(e) => panic!("url: {e}"),
        };
        g.throughput(Throughput::Elements(1));
        g.bench_function(scheme, |b| {
            b.to_async(&rt).iter(|| {
                let f = fetcher.clone();
                let url = url.clone();
                async move {
                    let out = f.fetch(url, vec![addr]).await;
                    let body = out.body.unwrap_or_default();
                    black_box(beian_footer::extract(&body, None))
                }
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(5));
    targets = extraction, fetch_and_parse
}
criterion_main!(benches);
