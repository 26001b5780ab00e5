//! The site rules over both hosts: SITE-REDIRECT, SITE-TLS, SITE-PARITY, ICP-MULTI and
//! SITE-ACCESS.

use super::*;

/// A probe of `host` over `scheme` through `hops` (URLs) to `final_url`.
fn probe(host: &str, scheme: Scheme, hops: &[&str], final_url: &str) -> ProbeObservation {
    ProbeObservation {
        host: host.into(),
        scheme,
        url: format!("{}://{host}/", scheme.as_str()),
        hops: hops.iter().map(|u| (*u).into()).collect(),
        final_url: Some(final_url.into()),
        error_class: None,
        cert_valid: (final_url.starts_with("https://")).then_some(true),
        cert_error: None,
    }
}

fn site(probes_apex: Vec<ProbeObservation>, probes_www: Vec<ProbeObservation>) -> Vec<Finding> {
    let page = facts(&[GOOD_ICP], Some(GOOD_PSB), None);
    let mut apex = host(HostRole::Apex, "example.cn", page.clone());
    apex.probes = probes_apex;
    let mut www = host(HostRole::Www, "www.example.cn", page);
    www.probes = probes_www;
    beian_rules::site_rules("example.cn", &[apex, www], &Manifest::default(), &[])
}

#[test]
fn redirect_sanity() {
    let www_ok = vec![
        probe(
            "www.example.cn",
            Scheme::Https,
            &[],
            "https://www.example.cn/",
        ),
        probe(
            "www.example.cn",
            Scheme::Http,
            &["http://www.example.cn/"],
            "https://www.example.cn/",
        ),
    ];
    // Apex to www over HTTPS, HTTP upgraded: pass.
    let f = site(
        vec![probe(
            "example.cn",
            Scheme::Https,
            &["https://example.cn/"],
            "https://www.example.cn/",
        )],
        www_ok.clone(),
    );
    assert_eq!(verdict(&f, ids::SITE_REDIRECT).0, Verdict::Pass);
    assert_eq!(verdict(&f, ids::SITE_TLS).0, Verdict::Pass);
    // HTTPS to HTTP: fail, with both URLs in the evidence.
    let f = site(
        vec![probe(
            "example.cn",
            Scheme::Https,
            &["https://example.cn/"],
            "http://www.example.cn/",
        )],
        www_ok.clone(),
    );
    let (v, e) = verdict(&f, ids::SITE_REDIRECT);
    assert_eq!(v, Verdict::Fail);
    assert!(
        e.contains("https://example.cn/ → http://www.example.cn/"),
        "{e}"
    );
    // Another registrable domain: warn.
    let f = site(
        vec![probe(
            "example.cn",
            Scheme::Https,
            &["https://example.cn/"],
            "https://www.other-brand.com.cn/",
        )],
        www_ok.clone(),
    );
    assert_eq!(verdict(&f, ids::SITE_REDIRECT).0, Verdict::Warn);
    // A subdomain of the same registrable domain is fine.
    let f = site(
        vec![probe(
            "example.cn",
            Scheme::Https,
            &["https://example.cn/"],
            "https://m.example.cn/",
        )],
        www_ok.clone(),
    );
    assert_eq!(verdict(&f, ids::SITE_REDIRECT).0, Verdict::Pass);
    // Loops and chains over the limit: fail.
    for class in [ErrorClass::RedirectLoop, ErrorClass::RedirectLimit] {
        let mut p = probe("example.cn", Scheme::Https, &["https://example.cn/"], "");
        p.final_url = None;
        p.error_class = Some(class);
        let f = site(vec![p], www_ok.clone());
        assert_eq!(
            verdict(&f, ids::SITE_REDIRECT).0,
            Verdict::Fail,
            "{class:?}"
        );
    }
}

#[test]
fn tls_validity_per_host() {
    let mut expired = probe(
        "www.example.cn",
        Scheme::Https,
        &[],
        "https://www.example.cn/",
    );
    expired.cert_valid = Some(false);
    expired.cert_error = Some("expired".into());
    let f = site(
        vec![probe(
            "example.cn",
            Scheme::Https,
            &[],
            "https://example.cn/",
        )],
        vec![expired],
    );
    let (v, e) = verdict(&f, ids::SITE_TLS);
    assert_eq!(v, Verdict::Fail);
    assert!(e.contains("https://www.example.cn/: expired"), "{e}");
    // HTTP only: nothing to judge.
    let f = site(
        vec![probe("example.cn", Scheme::Http, &[], "http://example.cn/")],
        vec![probe(
            "www.example.cn",
            Scheme::Http,
            &[],
            "http://www.example.cn/",
        )],
    );
    assert_eq!(verdict(&f, ids::SITE_TLS).0, Verdict::NotApplicable);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn day(n: i64) -> Date {
        date!(2020 - 01 - 01).saturating_add(time::Duration::days(n))
    }

    proptest! {
        /// A missing PSB number is pending (warn) up to and including the due day (approval +
        /// 30 days) and overdue (fail) after it, for any dates; the evidence names the day.
        #[test]
        fn psb_deadline_is_monotone(approved in 0i64..3000, audit in 0i64..3000) {
            let m = Manifest {
                psb_approved_on: Some(day(approved)),
                ..Manifest::default()
            };
            let f = judge(&facts(&[GOOD_ICP], None, None), &m, day(audit));
            let (v, e) = verdict(&f, ids::PSB_PRESENT);
            let due = day(approved + 30);
            prop_assert_eq!(v, if day(audit) <= due { Verdict::Warn } else { Verdict::Fail });
            prop_assert!(e.contains(&due.to_string()), "{}", e);
        }

        /// The rules file only ever moves a rule's own verdicts, as told; an empty file and
        /// settings for other rules change nothing.
        #[test]
        fn rules_file_moves_only_what_it_names(
            rule in 0usize..17,
            v in prop_oneof![Just(Verdict::Pass), Just(Verdict::Warn), Just(Verdict::Fail), Just(Verdict::NotApplicable)],
            fail_as in prop_oneof![Just("pass"), Just("warn"), Just("fail")],
            enabled in any::<bool>(),
        ) {
            let id = CATALOGUE[rule % CATALOGUE.len()].id;
            let other = CATALOGUE[(rule + 1) % CATALOGUE.len()].id;
            let f0 = Finding {
                rule_id: id, verdict: v, host: None, url: None, evidence: "e".into(), evidence_zh: "e".into(),
                number: None, link_host: None, fix: None,
            };
            let mut f = f0.clone();
            RuleConfig::default().apply(&mut f);
            prop_assert_eq!(&f, &f0);
            let text = format!("[rules.{other}]\nenabled = {enabled}\nfail_as = \"{fail_as}\"\n");
            RuleConfig::from_toml(&text).expect("valid").apply(&mut f);
            prop_assert_eq!(&f, &f0);
            let text = format!("[rules.{id}]\nenabled = {enabled}\nfail_as = \"{fail_as}\"\n");
            RuleConfig::from_toml(&text).expect("valid").apply(&mut f);
            let want = match (enabled, v) {
                (false, _) => Verdict::NotApplicable,
                (true, Verdict::Fail) => match fail_as { "pass" => Verdict::Pass, "warn" => Verdict::Warn, _ => Verdict::Fail },
                (true, other) => other,
            };
            prop_assert_eq!(f.verdict, want);
            prop_assert_eq!(f.fix.is_some(), matches!(want, Verdict::Warn | Verdict::Fail) && want != v);
        }
    }
}

/// SITE-PARITY when a host has no page (issue 15): that host shows no number, so the site
/// fails; with no page on either host the rule has nothing to compare.
#[test]
fn parity_fails_when_one_host_has_no_page() {
    let page = facts(&[GOOD_ICP], Some(GOOD_PSB), None);
    let apex = host(HostRole::Apex, "example.cn", page.clone());
    let mut www = host(HostRole::Www, "www.example.cn", page);
    www.page = None;
    let f = beian_rules::site_rules(
        "example.cn",
        &[apex.clone(), www.clone()],
        &Manifest::default(),
        &[],
    );
    let (v, e) = verdict(&f, ids::SITE_PARITY);
    assert_eq!(v, Verdict::Fail);
    assert!(e.contains("www.example.cn"), "{e}");
    let mut apex = apex;
    apex.page = None;
    let f = beian_rules::site_rules("example.cn", &[apex, www], &Manifest::default(), &[]);
    assert_eq!(verdict(&f, ids::SITE_PARITY).0, Verdict::NotApplicable);
}

#[test]
fn icp_multi_compares_the_footers_numbers() {
    let m = Manifest::default();
    // Two subjects in the footer: a template left over from another company.
    let two = facts(&["京ICP备20001234号-1", "沪ICP备20005678号-2"], None, None);
    assert_eq!(
        verdict(&judge(&two, &m, AS_OF), ids::ICP_MULTI).0,
        Verdict::Warn
    );

    // Another subject's number outside the footer (an article, a script template) is not a
    // leftover in the footer.
    let mut elsewhere = two.clone();
    elsewhere.icp_all[1].in_footer = false;
    let (v, evidence) = verdict(&judge(&elsewhere, &m, AS_OF), ids::ICP_MULTI);
    assert_eq!(
        (v, evidence.as_str()),
        (Verdict::Pass, "1 filing subject(s) in the footer")
    );

    // No footer region: the page's numbers are all there is to compare.
    let mut nowhere = elsewhere.clone();
    nowhere.icp_all[0].in_footer = false;
    assert_eq!(
        verdict(&judge(&nowhere, &m, AS_OF), ids::ICP_MULTI).0,
        Verdict::Warn
    );
}

/// A host without a page (not needed by SITE-ACCESS) that DNS answered with `addrs` through
/// `cnames`; `None` addresses: the lookup failed.
fn resolved(
    role: HostRole,
    name: &str,
    addrs: Option<&[&str]>,
    cnames: &[&str],
) -> HostObservation {
    HostObservation {
        role,
        host: name.into(),
        page: None,
        failure: None,
        probes: Vec::new(),
        dns: addrs.map(|a| beian_rules::DnsObservation {
            addrs: a.iter().map(|s| s.parse().expect("test address")).collect(),
            cnames: cnames.iter().map(|s| s.to_string()).collect(),
            edge: None,
        }),
        front: None,
    }
}

fn access(hosts: &[HostObservation], manifest: &Manifest, nets: &[&str]) -> (Verdict, String) {
    let nets: Vec<ipnet::IpNet> = nets.iter().map(|n| n.parse().expect("test net")).collect();
    let f = beian_rules::site_rules("example.cn", hosts, manifest, &nets);
    let finding = f
        .iter()
        .find(|f| f.rule_id == ids::SITE_ACCESS)
        .expect("a SITE-ACCESS finding");
    if matches!(finding.verdict, Verdict::Warn | Verdict::Fail) {
        assert!(finding.fix.is_some(), "{finding:?}");
    }
    (finding.verdict, finding.evidence.clone())
}

/// A host whose addresses lie in a CDN's published range (no CNAME: the zone's records point
/// at the CDN) has the CDN in front, not an origin elsewhere: warn naming it, never fail.
#[test]
fn site_access_names_the_cdn_an_address_lies_in() {
    let m = Manifest::default();
    let mut apex = resolved(HostRole::Apex, "example.cn", Some(&["104.16.1.1"]), &[]);
    if let Some(d) = apex.dns.as_mut() {
        d.edge = Some((
            beian_types::Vendor {
                id: "cloudflare",
                name: "Cloudflare",
            },
            "Cloudflare (waf, 104.16.1.1 in 104.16.0.0/13)".to_string(),
        ));
    }
    let www = resolved(HostRole::Www, "www.example.cn", Some(&["203.0.113.5"]), &[]);
    let (v, e) = access(&[apex.clone(), www], &m, &["203.0.113.0/24"]);
    assert_eq!(v, Verdict::Warn, "{e}");
    assert!(
        e.starts_with(
            "example.cn reaches its addresses through Cloudflare (waf, 104.16.1.1 in 104.16.0.0/13)"
        ),
        "{e}"
    );
    // Without the range table's word, the same host is served elsewhere.
    let mut bare = apex;
    if let Some(d) = bare.dns.as_mut() {
        d.edge = None;
    }
    let www = resolved(HostRole::Www, "www.example.cn", Some(&["203.0.113.5"]), &[]);
    let (v, e) = access(&[bare, www], &m, &["203.0.113.0/24"]);
    assert_eq!(v, Verdict::Fail, "{e}");
}

#[test]
fn site_access_judges_every_address_of_both_hosts() {
    let m = Manifest::default();
    let ours = ["203.0.113.0/24", "2001:db8::/32"];
    let apex =
        |addrs: &'static [&'static str]| resolved(HostRole::Apex, "example.cn", Some(addrs), &[]);
    let www = |addrs: &'static [&'static str], cnames: &'static [&'static str]| {
        resolved(HostRole::Www, "www.example.cn", Some(addrs), cnames)
    };

    // Both hosts inside (IPv6, and an IPv4-mapped address read as IPv4); www through a CNAME
    // to the apex is the site's own name.
    let (v, e) = access(
        &[
            apex(&["203.0.113.7", "2001:db8::7"]),
            www(&["::ffff:203.0.113.7"], &["example.cn"]),
        ],
        &m,
        &ours,
    );
    assert_eq!(v, Verdict::Pass, "{e}");
    assert!(e.contains("203.0.113.7 (in 203.0.113.0/24)"), "{e}");
    assert!(e.contains("2001:db8::7 (in 2001:db8::/32)"), "{e}");

    // One address in, one out.
    let (v, e) = access(
        &[
            apex(&["203.0.113.7", "198.51.100.9"]),
            www(&["203.0.113.7"], &[]),
        ],
        &m,
        &ours,
    );
    assert_eq!(v, Verdict::Warn, "{e}");
    assert!(e.contains("198.51.100.9 (outside)"), "{e}");

    // A third party's CNAME in front: warn naming it, whatever its addresses.
    let (v, e) = access(
        &[
            apex(&["203.0.113.7"]),
            www(&["198.51.100.20"], &["example.cn.cdn.example-edge.net"]),
        ],
        &m,
        &ours,
    );
    assert_eq!(v, Verdict::Warn, "{e}");
    assert!(
        e.contains(
            "www.example.cn → CNAME example.cn.cdn.example-edge.net: 198.51.100.20 (outside)"
        ),
        "{e}"
    );

    // Moved: a host served only from elsewhere fails, even when the other host is inside.
    let (v, e) = access(
        &[apex(&["198.51.100.9"]), www(&["198.51.100.9"], &[])],
        &m,
        &ours,
    );
    assert_eq!(v, Verdict::Fail, "{e}");
    assert!(
        e.starts_with("served outside the access networks: example.cn: 198.51.100.9 (outside)"),
        "{e}"
    );
    let (v, e) = access(
        &[apex(&["203.0.113.7"]), www(&["198.51.100.9"], &[])],
        &m,
        &ours,
    );
    assert_eq!(v, Verdict::Fail, "{e}");
    assert!(
        !e.contains("203.0.113.7"),
        "only the host served elsewhere: {e}"
    );

    // A host DNS did not answer is left to SITE-REACH; with none, nothing to judge.
    let missing = resolved(HostRole::Www, "www.example.cn", None, &[]);
    let (v, e) = access(&[apex(&["203.0.113.7"]), missing.clone()], &m, &ours);
    assert_eq!(v, Verdict::Pass, "{e}");
    let (v, _) = access(
        &[resolved(HostRole::Apex, "example.cn", None, &[]), missing],
        &m,
        &ours,
    );
    assert_eq!(v, Verdict::NotApplicable);

    // No networks, or an overseas site: not applicable.
    let hosts = [apex(&["198.51.100.9"]), www(&["198.51.100.9"], &[])];
    assert_eq!(access(&hosts, &m, &[]).0, Verdict::NotApplicable);
    let overseas = Manifest {
        hosting: Some(beian_types::Hosting::Overseas),
        ..Manifest::default()
    };
    assert_eq!(access(&hosts, &overseas, &ours).0, Verdict::NotApplicable);

    // A manifest row's networks replace the audit's (a fleet filed through several providers).
    let other_provider = Manifest {
        access_nets: Some(vec!["198.51.100.0/24".parse().unwrap()]),
        ..Manifest::default()
    };
    assert_eq!(access(&hosts, &other_provider, &ours).0, Verdict::Pass);
    assert_eq!(access(&hosts, &other_provider, &[]).0, Verdict::Pass);
}
