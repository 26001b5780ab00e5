//! The rulebook against hand-built facts: manifest rules, deadlines (`--as-of`), overseas
//! hosting, copyright against the organisation, licences for commercial sites, evidence and
//! fixes, the rules file, and the catalogue (`docs/RULES.md` must be current).

use beian_rules::{
    CATALOGUE, HostObservation, PageInput, PageObservation, Placement, ProbeObservation, Render,
    RuleConfig, SiteContext, ids, judge_site, page_rules,
};
use beian_types::{
    CandidateSource, ErrorClass, Finding, FooterFacts, FooterRegion, HostRole, Hosting,
    IcpCandidate, Link, LinkVia, Manifest, PsbCandidate, PsbDue, PsbDuty, Scheme, SiteStatus,
    Verdict,
};
use time::Date;
use time::macros::date;

const AS_OF: Date = date!(2026 - 11 - 23);

fn link(href: &str) -> Option<Link> {
    Some(Link {
        href: href.to_string(),
        host: href
            .split("://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .map(str::to_string),
        via: LinkVia::Anchor,
    })
}

/// A footer showing `icp` (linked to MIIT) and `psb` (linked with its code, icon), and a
/// copyright holder.
fn facts(icp: &[&str], psb: Option<&str>, holder: Option<&str>) -> FooterFacts {
    let mut f = FooterFacts::empty("UTF-8");
    f.region = FooterRegion::Marked;
    f.icp_all = icp
        .iter()
        .enumerate()
        .map(|(order, n)| IcpCandidate {
            number: beian_numbers::parse_icp(n).expect("valid test number"),
            source: CandidateSource::Text,
            in_footer: true,
            link: link("https://beian.miit.gov.cn/"),
            order,
        })
        .collect();
    f.primary = f.icp_all.first().cloned();
    f.psb = psb.map(|p| {
        let number = beian_numbers::parse_psb(p).expect("valid test PSB number");
        PsbCandidate {
            link: link(&format!(
                "https://beian.mps.gov.cn/#/query/webSearch?code={}",
                number.digits
            )),
            link_code: Some(number.digits.clone()),
            number,
            source: CandidateSource::Text,
            icon: true,
        }
    });
    f.copyright_holder = holder.map(str::to_string);
    f
}

fn judge(facts: &FooterFacts, manifest: &Manifest, as_of: Date) -> Vec<Finding> {
    page_rules(&PageInput {
        host: "example.cn",
        url: "https://example.cn/",
        facts,
        manifest,
        as_of,
    })
}

fn verdict(findings: &[Finding], id: &str) -> (Verdict, String) {
    let f = findings
        .iter()
        .find(|f| f.rule_id == id)
        .unwrap_or_else(|| panic!("no {id} finding"));
    (f.verdict, f.evidence.clone())
}

const GOOD_ICP: &str = "京ICP备2021034567号-1";
const GOOD_PSB: &str = "京公网安备11010802017518号";

#[test]
fn every_page_rule_is_judged_once_in_catalogue_order() {
    let f = judge(
        &facts(&[GOOD_ICP], Some(GOOD_PSB), None),
        &Manifest::default(),
        AS_OF,
    );
    let got: Vec<&str> = f.iter().map(|f| f.rule_id).collect();
    assert_eq!(got, ids::PAGE_RULES);
    let catalogue_pages: Vec<&str> = CATALOGUE
        .iter()
        .filter(|r| r.scope == "page")
        .map(|r| r.id)
        .collect();
    assert_eq!(catalogue_pages, ids::PAGE_RULES);
    let catalogue_sites: Vec<&str> = CATALOGUE
        .iter()
        .filter(|r| r.scope == "site")
        .map(|r| r.id)
        .collect();
    assert_eq!(catalogue_sites, ids::SITE_RULES);
}

#[test]
fn findings_carry_number_link_host_and_fix() {
    let mut bad = facts(&[GOOD_ICP], None, None);
    if let Some(p) = bad.primary.as_mut() {
        p.link = link("https://example.cn/beian");
    }
    let f = judge(&bad, &Manifest::default(), AS_OF);
    let link = f
        .iter()
        .find(|f| f.rule_id == ids::ICP_LINK)
        .expect("ICP-LINK");
    assert_eq!(link.verdict, Verdict::Fail);
    assert_eq!(link.number.as_deref(), Some(GOOD_ICP));
    assert_eq!(link.link_host.as_deref(), Some("example.cn"));
    let fix = link.fix.expect("a fail carries a fix");
    assert!(fix.zh.contains("https://beian.miit.gov.cn/"), "{}", fix.zh);
    assert!(fix.en.contains("https://beian.miit.gov.cn/"), "{}", fix.en);
    assert_eq!(link.host.as_deref(), Some("example.cn"));
    assert_eq!(link.url.as_deref(), Some("https://example.cn/"));
    // Passing findings carry no fix.
    let present = f
        .iter()
        .find(|f| f.rule_id == ids::ICP_PRESENT)
        .expect("present");
    assert_eq!(present.verdict, Verdict::Pass);
    assert!(present.fix.is_none());
}

#[test]
fn icp_manifest() {
    let m = Manifest {
        expected_icp: Some(GOOD_ICP.into()),
        ..Manifest::default()
    };
    let f = judge(&facts(&[GOOD_ICP], None, None), &m, AS_OF);
    assert_eq!(verdict(&f, ids::ICP_MANIFEST).0, Verdict::Pass);
    let f = judge(&facts(&["京ICP备2021034567号-2"], None, None), &m, AS_OF);
    let (v, e) = verdict(&f, ids::ICP_MANIFEST);
    assert_eq!(v, Verdict::Fail);
    assert!(e.contains("manifest expects 京ICP备2021034567号-1"), "{e}");
    // Guangdong: the subject number of the expected service number is enough.
    let gd = Manifest {
        expected_icp: Some("粤ICP备17054969号-3".into()),
        ..Manifest::default()
    };
    let f = judge(&facts(&["粤ICP备17054969号"], None, None), &gd, AS_OF);
    assert_eq!(verdict(&f, ids::ICP_MANIFEST).0, Verdict::Pass);
    // No number: ICP-PRESENT reports it; no manifest: n/a.
    let f = judge(&facts(&[], None, None), &m, AS_OF);
    assert_eq!(verdict(&f, ids::ICP_MANIFEST).0, Verdict::NotApplicable);
    assert_eq!(verdict(&f, ids::ICP_PRESENT).0, Verdict::Fail);
    let f = judge(&facts(&[GOOD_ICP], None, None), &Manifest::default(), AS_OF);
    assert_eq!(verdict(&f, ids::ICP_MANIFEST).0, Verdict::NotApplicable);
}

#[test]
fn psb_deadlines_follow_as_of() {
    let approved = Manifest {
        expected_psb: Some("11010802017518".into()),
        psb_approved_on: Some(date!(2026 - 11 - 01)),
        ..Manifest::default()
    };
    let none = facts(&[GOOD_ICP], None, None);
    // Due 2026-12-01: pending before and on the day, overdue after.
    for (as_of, want) in [
        (date!(2026 - 11 - 23), Verdict::Warn),
        (date!(2026 - 12 - 01), Verdict::Warn),
        (date!(2026 - 12 - 02), Verdict::Fail),
    ] {
        let f = judge(&none, &approved, as_of);
        let (v, e) = verdict(&f, ids::PSB_PRESENT);
        assert_eq!(v, want, "{as_of}: {e}");
        assert!(e.contains("2026-12-01"), "{e}");
        let (v, e) = verdict(&f, ids::PSB_MANIFEST);
        assert_eq!(v, want, "{as_of}: {e}");
        assert!(e.contains("2026-12-01"), "{e}");
    }
    // Opened but not yet approved: the filing is due 30 days after opening.
    let opened = Manifest {
        opened_on: Some(date!(2026 - 09 - 01)),
        ..Manifest::default()
    };
    let (v, e) = verdict(&judge(&none, &opened, AS_OF), ids::PSB_PRESENT);
    assert_eq!(v, Verdict::Fail, "{e}");
    assert!(e.contains("2026-10-01") && e.contains("file"), "{e}");
    let (v, _) = verdict(
        &judge(&none, &opened, date!(2026 - 09 - 15)),
        ids::PSB_PRESENT,
    );
    assert_eq!(v, Verdict::Warn);
    // Displayed and equal / different.
    let shown = facts(&[GOOD_ICP], Some(GOOD_PSB), None);
    assert_eq!(
        verdict(&judge(&shown, &approved, AS_OF), ids::PSB_MANIFEST).0,
        Verdict::Pass
    );
    let other = facts(&[GOOD_ICP], Some("京公网安备11010802000001号"), None);
    assert_eq!(
        verdict(&judge(&other, &approved, AS_OF), ids::PSB_MANIFEST).0,
        Verdict::Fail
    );
    // Without any manifest date a missing number stays a warning (§4.4).
    let (v, _) = verdict(&judge(&none, &Manifest::default(), AS_OF), ids::PSB_PRESENT);
    assert_eq!(v, Verdict::Warn);
}

#[test]
fn overseas_hosting_makes_icp_rules_not_applicable() {
    let m = Manifest {
        hosting: Some(Hosting::Overseas),
        expected_icp: Some(GOOD_ICP.into()),
        commercial: Some(true),
        ..Manifest::default()
    };
    let f = judge(&facts(&[], None, None), &m, AS_OF);
    for id in [
        ids::ICP_PRESENT,
        ids::ICP_FORMAT,
        ids::ICP_LINK,
        ids::ICP_KIND,
        ids::ICP_MULTI,
        ids::ICP_MANIFEST,
        ids::LICENCE_PRESENT,
    ] {
        assert_eq!(verdict(&f, id).0, Verdict::NotApplicable, "{id}");
    }
}

#[test]
fn copyright_against_the_organisation() {
    let js = Manifest {
        province: Some('苏'),
        org_name: Some("南京 某某科技有限公司".into()),
        ..Manifest::default()
    };
    // A Jiangsu manifest makes COPYRIGHT apply even to a number from elsewhere.
    let f = judge(
        &facts(&[GOOD_ICP], None, Some("南京某某科技有限公司")),
        &js,
        AS_OF,
    );
    assert_eq!(verdict(&f, ids::COPYRIGHT).0, Verdict::Pass);
    let f = judge(&facts(&[GOOD_ICP], None, Some("别家公司")), &js, AS_OF);
    let (v, e) = verdict(&f, ids::COPYRIGHT);
    assert_eq!(v, Verdict::Fail);
    assert!(e.contains("别家公司"), "{e}");
    let f = judge(&facts(&[GOOD_ICP], None, None), &js, AS_OF);
    assert_eq!(verdict(&f, ids::COPYRIGHT).0, Verdict::Fail);
    let f = judge(&facts(&[GOOD_ICP], None, None), &Manifest::default(), AS_OF);
    assert_eq!(verdict(&f, ids::COPYRIGHT).0, Verdict::NotApplicable);
}

#[test]
fn commercial_sites_need_a_licence() {
    let m = Manifest {
        commercial: Some(true),
        ..Manifest::default()
    };
    let f = judge(&facts(&[GOOD_ICP], None, None), &m, AS_OF);
    assert_eq!(verdict(&f, ids::LICENCE_PRESENT).0, Verdict::Fail);
    let f = judge(&facts(&[GOOD_ICP, "京B2-20090059"], None, None), &m, AS_OF);
    assert_eq!(verdict(&f, ids::LICENCE_PRESENT).0, Verdict::Pass);
    let f = judge(&facts(&[GOOD_ICP], None, None), &Manifest::default(), AS_OF);
    assert_eq!(verdict(&f, ids::LICENCE_PRESENT).0, Verdict::NotApplicable);
}

fn host(role: HostRole, name: &str, facts: FooterFacts) -> HostObservation {
    HostObservation {
        role,
        host: name.into(),
        page: Some(PageObservation {
            final_url: format!("https://{name}/"),
            hops: 0,
            facts,
            render: Render::Static,
            placement: Placement::default(),
        }),
        failure: None,
        probes: Vec::new(),
        dns: None,
    }
}

#[test]
fn rules_file_changes_the_site_status() {
    // A subject number outside Guangdong fails ICP-KIND; a rules file can downgrade it.
    let subject = facts(&["京ICP备2021034567号"], Some(GOOD_PSB), None);
    let hosts = vec![
        host(HostRole::Apex, "example.cn", subject.clone()),
        host(HostRole::Www, "www.example.cn", subject),
    ];
    let manifest = Manifest::default();
    let strict = RuleConfig::default();
    let j = judge_site(
        "example.cn",
        &hosts,
        &SiteContext {
            manifest: &manifest,
            as_of: AS_OF,
            config: &strict,
            access_nets: &[],
        },
    );
    assert_eq!(j.status, SiteStatus::Violation);
    assert_eq!(j.failing, vec![ids::ICP_KIND.to_string()]);
    let lenient = RuleConfig::from_toml("[rules.ICP-KIND]\nfail_as = \"warn\"\n").expect("valid");
    let j = judge_site(
        "example.cn",
        &hosts,
        &SiteContext {
            manifest: &manifest,
            as_of: AS_OF,
            config: &lenient,
            access_nets: &[],
        },
    );
    assert_eq!(j.status, SiteStatus::Warning);
    assert!(j.failing.is_empty());
    assert!(j.warning.contains(&ids::ICP_KIND.to_string()));
}

/// §6.12: a rendered page's findings say "after render" (a fail also names the requests the
/// audit refused); a page whose render failed is not judged missing its number — ICP-PRESENT
/// warns with the reason and the site is `unverified`.
#[test]
fn rendered_and_failed_renders() {
    let judge = |f: FooterFacts, render: Render| {
        let mut hosts = vec![
            host(HostRole::Apex, "example.cn", f.clone()),
            host(HostRole::Www, "www.example.cn", f),
        ];
        for h in &mut hosts {
            if let Some(p) = &mut h.page {
                p.render = render.clone();
            }
        }
        judge_site(
            "example.cn",
            &hosts,
            &SiteContext {
                manifest: &Manifest::default(),
                as_of: AS_OF,
                config: &RuleConfig::default(),
                access_nets: &[],
            },
        )
    };
    let good = facts(&[GOOD_ICP], Some(GOOD_PSB), None);
    let j = judge(
        good,
        Render::Rendered {
            blocked: Vec::new(),
        },
    );
    assert_eq!(j.status, SiteStatus::Compliant);
    let present = j
        .findings
        .iter()
        .find(|f| f.rule_id == ids::ICP_PRESENT)
        .expect("ICP-PRESENT");
    assert!(present.evidence.ends_with("(after render)"), "{present:?}");

    let empty = FooterFacts::empty("UTF-8");
    let blocked = vec!["http://10.255.255.1/footer.json (private address)".to_string()];
    let j = judge(empty.clone(), Render::Rendered { blocked });
    assert_eq!(j.status, SiteStatus::Violation);
    let present = j
        .findings
        .iter()
        .find(|f| f.rule_id == ids::ICP_PRESENT)
        .expect("ICP-PRESENT");
    assert!(
        present
            .evidence
            .contains("after render; refused: http://10.255.255.1/footer.json"),
        "{present:?}"
    );

    let j = judge(empty, Render::Failed("render timed out after 20s".into()));
    assert_eq!(j.status, SiteStatus::Unverified, "{:?}", j.findings);
    let present = j
        .findings
        .iter()
        .find(|f| f.rule_id == ids::ICP_PRESENT)
        .expect("ICP-PRESENT");
    assert_eq!(present.verdict, Verdict::Warn);
    assert!(present.evidence.contains("render timed out"), "{present:?}");
}

#[test]
fn a_site_without_a_psb_number_carries_its_manifest_deadline() {
    let judge = |psb: Option<&str>, manifest: &Manifest| {
        let f = facts(&[GOOD_ICP], psb, None);
        let hosts = vec![
            host(HostRole::Apex, "example.cn", f.clone()),
            host(HostRole::Www, "www.example.cn", f),
        ];
        judge_site(
            "example.cn",
            &hosts,
            &SiteContext {
                manifest,
                as_of: AS_OF,
                config: &RuleConfig::default(),
                access_nets: &[],
            },
        )
    };
    let opened = Manifest {
        opened_on: Some(date!(2026 - 11 - 01)),
        ..Manifest::default()
    };
    assert_eq!(
        judge(None, &opened).psb_due,
        Some(PsbDue {
            date: date!(2026 - 12 - 01),
            duty: PsbDuty::File
        })
    );
    // Approval dates the display, whatever the opening date.
    let approved = Manifest {
        psb_approved_on: Some(date!(2026 - 11 - 10)),
        ..opened.clone()
    };
    assert_eq!(
        judge(None, &approved).psb_due,
        Some(PsbDue {
            date: date!(2026 - 12 - 10),
            duty: PsbDuty::Display
        })
    );
    // Shown, or no date: nothing is due.
    assert_eq!(judge(Some(GOOD_PSB), &approved).psb_due, None);
    assert_eq!(judge(None, &Manifest::default()).psb_due, None);
}

#[test]
fn rules_md_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/RULES.md");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == beian_rules::catalogue_markdown(),
        "docs/RULES.md is out of date: run `cargo run --bin beian -- rules --markdown > docs/RULES.md`"
    );
}

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
                rule_id: id, verdict: v, host: None, url: None, evidence: "e".into(),
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
        }),
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

/// A layout of a 1366-wide, 2000-tall page (1366×768 viewport) with the runs given.
fn layout(viewport_w: f64, runs: Vec<beian_types::DigitRun>) -> beian_types::Layout {
    beian_types::Layout {
        viewport: (viewport_w, 768.0),
        doc: (viewport_w, 2000.0),
        runs,
    }
}

/// A visible, legible run of `digits` centred at `cx`, ending `from_end` px above the end.
fn run(digits: &str, cx: f64, from_end: f64) -> beian_types::DigitRun {
    beian_types::DigitRun {
        digits: digits.into(),
        x: cx - 40.0,
        y: 2000.0 - from_end - 16.0,
        w: 80.0,
        h: 16.0,
        line_x: cx - 40.0,
        line_w: 80.0,
        hidden: None,
        font_px: 12.0,
        contrast: 4.6,
        icon: Some(true),
    }
}

fn placed(placement: Placement, config: &RuleConfig) -> Vec<beian_types::Finding> {
    let facts = facts(&[GOOD_ICP], Some(GOOD_PSB), None);
    let mut h = host(HostRole::Apex, "example.cn", facts);
    if let Some(p) = h.page.as_mut() {
        p.placement = placement;
        p.render = Render::Rendered {
            blocked: Vec::new(),
        };
    }
    judge_site(
        "example.cn",
        &[h],
        &SiteContext {
            manifest: &Manifest::default(),
            as_of: AS_OF,
            config,
            access_nets: &[],
        },
    )
    .findings
}

#[test]
fn icp_placement_judges_the_measured_layout() {
    let icp = beian_numbers::parse_icp(GOOD_ICP).unwrap().digits;
    let psb = beian_numbers::parse_psb(GOOD_PSB).unwrap().digits;
    let strict = RuleConfig::default();
    let measured = |desktop: Vec<beian_types::DigitRun>,
                    mobile: Option<Vec<beian_types::DigitRun>>| {
        Placement::Measured {
            desktop: layout(1366.0, desktop),
            mobile: mobile.map(|m| layout(500.0, m)),
        }
    };
    let check = |p: Placement, want: Verdict, has: &str| {
        let f = placed(p, &strict);
        let (v, e) = verdict(&f, ids::ICP_PLACEMENT);
        assert_eq!(v, want, "{e}");
        assert!(e.contains(has), "{has:?} not in {e}");
        f
    };
    // Centred at the bottom on both viewports; the evidence carries box, font and contrast.
    check(
        measured(
            vec![run(&icp, 683.0, 20.0)],
            Some(vec![run(&icp, 250.0, 20.0)]),
        ),
        Verdict::Pass,
        "desktop 1366×768: box (643, 1964) 80×16 on a line from x 643 to 723 in a 1366×2000 page, font 12px, contrast 4.6:1 — centred, at the bottom; mobile 500×768",
    );
    // A side column; the top of the page; visible on the desktop only.
    check(
        measured(vec![run(&icp, 150.0, 20.0)], None),
        Verdict::Warn,
        "off-centre, at the bottom",
    );
    check(
        measured(vec![run(&icp, 683.0, 1800.0)], None),
        Verdict::Warn,
        "centred, not at the bottom",
    );
    let mut gone = run(&icp, 0.0, 0.0);
    gone.hidden = Some("display:none".into());
    check(
        measured(vec![run(&icp, 683.0, 20.0)], Some(vec![gone.clone()])),
        Verdict::Warn,
        "mobile 500×768: box",
    );
    // Hidden, white on white, 1 px: not shown.
    check(
        measured(vec![gone], None),
        Verdict::Fail,
        "not visible: display:none",
    );
    let mut white = run(&icp, 683.0, 20.0);
    white.contrast = 1.0;
    check(
        measured(vec![white.clone()], None),
        Verdict::Fail,
        "contrast 1.0:1 below 1.5:1",
    );
    let mut tiny = run(&icp, 683.0, 20.0);
    tiny.font_px = 1.0;
    check(
        measured(vec![tiny], None),
        Verdict::Fail,
        "font 1px below 8px",
    );
    // A number only in the body text (a footer without one) is not placed.
    let mut body_only = facts(&[GOOD_ICP], None, None);
    for c in body_only
        .icp_all
        .iter_mut()
        .chain(body_only.primary.as_mut())
    {
        c.source = CandidateSource::Body;
        c.in_footer = false;
    }
    let mut h = host(HostRole::Apex, "example.cn", body_only);
    if let Some(p) = h.page.as_mut() {
        p.placement = measured(vec![run(&icp, 150.0, 20.0)], None);
    }
    let j = judge_site(
        "example.cn",
        &[h],
        &SiteContext {
            manifest: &Manifest::default(),
            as_of: AS_OF,
            config: &strict,
            access_nets: &[],
        },
    );
    assert_eq!(
        verdict(&j.findings, ids::ICP_PLACEMENT),
        (
            Verdict::NotApplicable,
            "no number in the footer (see ICP-PRESENT)".into()
        )
    );
    // Not rendered, or the digits not in the text: n/a with the reason.
    check(
        Placement::NotMeasured("not rendered: x".into()),
        Verdict::NotApplicable,
        "not rendered: x",
    );
    check(
        measured(vec![run("99999999", 683.0, 20.0)], None),
        Verdict::NotApplicable,
        "not found",
    );

    // The PSB number and icon: visible passes, a hidden icon is no icon, a hidden number
    // is not shown.
    let f = check(
        measured(vec![run(&icp, 683.0, 20.0), run(&psb, 683.0, 0.0)], None),
        Verdict::Pass,
        "centred",
    );
    assert_eq!(verdict(&f, ids::PSB_ICON).0, Verdict::Pass);
    let mut no_icon = run(&psb, 683.0, 0.0);
    no_icon.icon = Some(false);
    let f = check(
        measured(vec![run(&icp, 683.0, 20.0), no_icon], None),
        Verdict::Pass,
        "centred",
    );
    assert_eq!(
        verdict(&f, ids::PSB_ICON),
        (
            Verdict::Warn,
            "the PSB icon is in the page but not visible".into()
        )
    );
    let mut hidden_psb = run(&psb, 683.0, 0.0);
    hidden_psb.hidden = Some("off-screen".into());
    let f = check(
        measured(vec![run(&icp, 683.0, 20.0), hidden_psb], None),
        Verdict::Pass,
        "centred",
    );
    let (v, e) = verdict(&f, ids::PSB_PRESENT);
    assert_eq!(v, Verdict::Warn, "{e}");
    assert!(
        e.ends_with("is in the page but not visible (off-screen)"),
        "{e}"
    );

    // The rules file moves the thresholds.
    let lenient = RuleConfig::from_toml("[placement]\nmin_contrast = 1.0\n").expect("valid");
    let f = placed(measured(vec![white], None), &lenient);
    assert_eq!(verdict(&f, ids::ICP_PLACEMENT).0, Verdict::Pass);
    assert!(RuleConfig::from_toml("[placement]\nmin_contrats = 1.0\n").is_err());
}

#[test]
fn an_overseas_site_is_not_placed() {
    let facts = facts(&[GOOD_ICP], None, None);
    let mut h = host(HostRole::Apex, "example.cn", facts);
    if let Some(p) = h.page.as_mut() {
        p.render = Render::Rendered {
            blocked: Vec::new(),
        };
        p.placement = Placement::Measured {
            desktop: layout(1366.0, Vec::new()),
            mobile: None,
        };
    }
    let overseas = Manifest {
        hosting: Some(beian_types::Hosting::Overseas),
        ..Manifest::default()
    };
    let j = judge_site(
        "example.cn",
        &[h],
        &SiteContext {
            manifest: &overseas,
            as_of: AS_OF,
            config: &RuleConfig::default(),
            access_nets: &[],
        },
    );
    let (v, e) = verdict(&j.findings, ids::ICP_PLACEMENT);
    assert_eq!(v, Verdict::NotApplicable);
    assert!(e.starts_with("manifest: hosting=overseas"), "{e}");
}
