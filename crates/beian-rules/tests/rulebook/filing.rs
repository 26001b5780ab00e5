//! The filing rules (docs/rulebook.md §5.3): SITE-NAME, SITE-INTERACTIVE, SITE-SCOPE,
//! SITE-FILED-IP and SITE-LANG over both hosts' page facts and DNS answers, against the
//! manifest's filing columns; n/a without them.

use beian_rules::DnsObservation;
use beian_types::{
    Feature, FeatureKind, NameSource, PageFacts, ShownName, SubjectType, TextLanguage,
};

use super::*;

fn page(title: &str, features: Vec<Feature>, lang: &str, holder: Option<&str>) -> FooterFacts {
    let mut f = facts(&[GOOD_ICP], Some(GOOD_PSB), holder);
    f.page = PageFacts {
        title: Some(title.into()),
        names: vec![ShownName {
            source: NameSource::Logo,
            text: "Logo 图".into(),
        }],
        lang_declared: Some("zh-CN".into()),
        lang: Some(TextLanguage {
            tag: lang.into(),
            share: 90,
            sampled: 200,
        }),
        features,
    };
    f
}

fn feature(kind: FeatureKind, what: &'static str) -> Feature {
    Feature {
        kind,
        what,
        marker: "https://vendor.example/embed.js".into(),
    }
}

fn at(addr: &str) -> Option<DnsObservation> {
    Some(DnsObservation {
        addrs: vec![addr.parse().expect("an address")],
        ..DnsObservation::default()
    })
}

/// Both hosts show `facts` and resolve to `addr`; the filing rules' findings.
fn filing(facts: FooterFacts, addr: &str, manifest: &Manifest) -> Vec<Finding> {
    let mut apex = host(HostRole::Apex, "example.cn", facts.clone());
    apex.dns = at(addr);
    let mut www = host(HostRole::Www, "www.example.cn", facts);
    www.dns = at(addr);
    beian_rules::site_rules("example.cn", &[apex, www], manifest, &[])
}

fn filed() -> Manifest {
    Manifest {
        site_name: Some("华信科技官网".into()),
        subject_type: Some(SubjectType::Organisation),
        interactive: Some(false),
        filed_ips: Some(vec!["203.0.113.0/28".parse().expect("a network")]),
        languages: Some(vec!["zh".into()]),
        ..Manifest::default()
    }
}

const RULES: [&str; 5] = [
    ids::SITE_NAME,
    ids::SITE_INTERACTIVE,
    ids::SITE_SCOPE,
    ids::SITE_FILED_IP,
    ids::SITE_LANG,
];

#[test]
fn without_the_filing_columns_every_filing_rule_is_not_applicable() {
    let shop = page(
        "张伟的小店",
        vec![feature(FeatureKind::Shop, "ECShop")],
        "en",
        None,
    );
    let f = filing(shop, "203.0.113.5", &Manifest::default());
    for id in RULES {
        let (v, why) = verdict(&f, id);
        assert_eq!(v, Verdict::NotApplicable, "{id}: {why}");
        assert!(why.starts_with("manifest: no "), "{why}");
    }
}

#[test]
fn a_site_that_matches_its_filing_passes_or_is_not_applicable() {
    let f = filing(
        page(
            "华信科技 - 让连接更简单",
            Vec::new(),
            "zh",
            Some("华信科技有限公司"),
        ),
        "203.0.113.5",
        &filed(),
    );
    let (v, why) = verdict(&f, ids::SITE_NAME);
    assert_eq!(v, Verdict::Pass);
    assert_eq!(
        why,
        "the title shows 华信科技 - 让连接更简单 (filed 网站名称 华信科技官网)"
    );
    assert_eq!(verdict(&f, ids::SITE_INTERACTIVE).0, Verdict::Pass);
    // An organisation's filing has no personal-filing limits.
    assert_eq!(verdict(&f, ids::SITE_SCOPE).0, Verdict::NotApplicable);
    let (v, why) = verdict(&f, ids::SITE_FILED_IP);
    assert_eq!(v, Verdict::Pass, "{why}");
    assert_eq!(verdict(&f, ids::SITE_LANG).0, Verdict::Pass);
}

#[test]
fn each_mismatch_warns_with_what_was_seen() {
    let comments = feature(FeatureKind::Comments, "畅言 (Changyan)");
    let f = filing(
        page("云帆旅游", vec![comments], "en", Some("云帆旅游有限公司")),
        "198.51.100.7",
        &filed(),
    );
    for id in RULES.iter().filter(|r| **r != ids::SITE_SCOPE) {
        let (v, why) = verdict(&f, id);
        assert_eq!(v, Verdict::Warn, "{id}: {why}");
        assert!(
            f.iter().any(|x| x.rule_id == *id && x.fix.is_some()),
            "{id} carries a fix"
        );
    }
    let why = |id| verdict(&f, id).1;
    assert!(
        why(ids::SITE_NAME).contains("title 云帆旅游; logo Logo 图; copyright 云帆旅游有限公司"),
        "{}",
        why(ids::SITE_NAME)
    );
    assert!(
        why(ids::SITE_INTERACTIVE)
            .contains("comments: 畅言 (Changyan) (https://vendor.example/embed.js)")
    );
    assert!(
        why(ids::SITE_FILED_IP).contains("example.cn → 198.51.100.7"),
        "{}",
        why(ids::SITE_FILED_IP)
    );
    assert!(
        why(ids::SITE_LANG).contains("英文 (en)"),
        "{}",
        why(ids::SITE_LANG)
    );
}

#[test]
fn a_personal_filing_warns_on_commerce_forums_and_an_organisation() {
    let personal = Manifest {
        subject_type: Some(SubjectType::Personal),
        ..Manifest::default()
    };
    let plain = filing(
        page("张伟的博客", Vec::new(), "zh", Some("张伟")),
        "203.0.113.5",
        &personal,
    );
    assert_eq!(verdict(&plain, ids::SITE_SCOPE).0, Verdict::Pass);
    for (features, holder, says) in [
        (
            vec![feature(FeatureKind::Cart, "an add-to-cart control")],
            "张伟",
            "commerce: cart",
        ),
        (
            vec![feature(FeatureKind::Forum, "Discuz!")],
            "张伟",
            "a forum: forum: Discuz!",
        ),
        (
            Vec::new(),
            "北京某某科技有限公司",
            "the copyright holder 北京某某科技有限公司 is an organisation",
        ),
    ] {
        let f = filing(
            page("张伟的博客", features, "zh", Some(holder)),
            "203.0.113.5",
            &personal,
        );
        let (v, why) = verdict(&f, ids::SITE_SCOPE);
        assert_eq!(v, Verdict::Warn, "{why}");
        assert!(why.contains(says), "{why}");
    }
}

#[test]
fn a_cdn_s_addresses_are_not_judged_against_the_filed_ips() {
    let mut apex = host(
        HostRole::Apex,
        "example.cn",
        page("华信科技", Vec::new(), "zh", None),
    );
    apex.dns = at("198.51.100.7");
    if let Some(d) = apex.dns.as_mut() {
        let cdn = beian_types::Vendor {
            id: "aliyun_cdn",
            name: "Alibaba Cloud CDN",
        };
        d.edge = Some((
            cdn,
            "Alibaba Cloud CDN (cdn, CNAME x.w.kunlunsl.com)".into(),
        ));
    }
    let f = beian_rules::site_rules("example.cn", &[apex], &filed(), &[]);
    let (v, why) = verdict(&f, ids::SITE_FILED_IP);
    assert_eq!(v, Verdict::NotApplicable, "{why}");
    assert!(why.contains("its addresses are the CDN's"), "{why}");
}

/// A host of the filing's other domain showing `facts` (`None`: no page, `front` in front).
fn other(
    name: &str,
    facts: Option<FooterFacts>,
    front: Option<beian_types::Classified>,
) -> HostObservation {
    let mut h = host(
        HostRole::Other,
        name,
        facts.clone().unwrap_or_else(|| FooterFacts::empty("UTF-8")),
    );
    if facts.is_none() {
        h.page = None;
        h.failure = Some("dns_nxdomain: no such domain".into());
    }
    h.front = front;
    h
}

fn with_others(others: Vec<HostObservation>) -> Finding {
    let page = facts(&[GOOD_ICP], Some(GOOD_PSB), None);
    let mut hosts = vec![
        host(HostRole::Apex, "example.cn", page.clone()),
        host(HostRole::Www, "www.example.cn", page),
    ];
    hosts.extend(others);
    let manifest = Manifest {
        other_domains: Some(vec!["example.com.cn".into()]),
        ..Manifest::default()
    };
    let j = beian_rules::judge_site(
        "example.cn",
        &hosts,
        &beian_rules::SiteContext {
            manifest: &manifest,
            as_of: AS_OF,
            config: &beian_rules::RuleConfig::default(),
            access_nets: &[],
            waivers: &beian_rules::Waivers::default(),
        },
    );
    // The other domain's hosts are audited by the page rules too, under their own names.
    for h in &hosts[2..] {
        assert!(
            j.findings
                .iter()
                .any(|f| f.host.as_deref() == Some(&h.host) && f.rule_id == ids::ICP_PRESENT)
        );
    }
    j.findings
        .into_iter()
        .find(|f| f.rule_id == ids::SITE_OTHER_DOMAINS)
        .expect("SITE-OTHER-DOMAINS")
}

#[test]
fn each_other_domain_shows_the_site_s_number() {
    let same = || Some(facts(&[GOOD_ICP], Some(GOOD_PSB), None));
    let f = with_others(vec![
        other("example.com.cn", same(), None),
        other("www.example.com.cn", same(), None),
    ]);
    assert_eq!(f.verdict, Verdict::Pass, "{}", f.evidence);
    assert_eq!(
        f.evidence,
        format!("example.com.cn shows {GOOD_ICP}; www.example.com.cn shows {GOOD_ICP}")
    );

    let another = Some(facts(&["沪ICP备20190012号-1"], Some(GOOD_PSB), None));
    let f = with_others(vec![other("example.com.cn", another, None)]);
    assert_eq!(f.verdict, Verdict::Fail);
    assert!(
        f.evidence
            .contains("shows 沪ICP备20190012号-1, another filing's number"),
        "{}",
        f.evidence
    );
    assert!(f.fix.is_some());

    // Another website of the same subject warns.
    let sibling = Some(facts(&["京ICP备2021034567号-2"], Some(GOOD_PSB), None));
    assert_eq!(
        with_others(vec![other("example.com.cn", sibling, None)]).verdict,
        Verdict::Warn
    );

    let none = Some(facts(&[], Some(GOOD_PSB), None));
    let f = with_others(vec![other("example.com.cn", none, None)]);
    assert_eq!(
        (f.verdict, f.evidence.contains("shows no filing number")),
        (Verdict::Fail, true),
        "{}",
        f.evidence
    );

    let parked = beian_types::Classified {
        class: beian_types::PageClass::Parked,
        vendor: None,
        marker: "nginx-default",
    };
    let f = with_others(vec![other("example.com.cn", None, Some(parked))]);
    assert_eq!(f.verdict, Verdict::Fail);
    assert!(
        f.evidence.contains("a shell (空壳) domain"),
        "{}",
        f.evidence
    );

    // A domain that does not answer is not accused: it warns.
    let f = with_others(vec![other("example.com.cn", None, None)]);
    assert_eq!(f.verdict, Verdict::Warn, "{}", f.evidence);
    assert!(f.evidence.contains("dns_nxdomain"), "{}", f.evidence);
}

#[test]
fn the_filing_rules_are_the_last_six_site_rules() {
    assert_eq!(
        ids::FILING_RULES,
        RULES
            .iter()
            .chain([&ids::SITE_OTHER_DOMAINS])
            .copied()
            .collect::<Vec<_>>()
    );
}
