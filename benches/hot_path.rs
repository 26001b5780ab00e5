//! Hot-path benchmarks: footer extraction alone, and fetch-and-parse of one page from the
//! loopback fleet (resolve excluded: addresses are given, as in the pipeline after DNS).
//!
//! `make bench` runs them; figures go to BENCHMARKS.md with the command and the machine.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use beian_fetch::{FetchConfig, FetchError, Fetcher, HostResolve};
use beian_fleet::{Behaviour, Fleet, FleetConfig};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

mod corpus;
use corpus::{Footer, as_gbk, corpus, large_corpus};

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
