//! The rulebook against hand-built facts: manifest rules, deadlines (`--as-of`), overseas
//! hosting, copyright against the organisation, licences for commercial sites, evidence and
//! fixes, the rules file, and the catalogue (`docs/RULES.md` must be current); the site rules
//! (`site`) and ICP-PLACEMENT on measured layouts (`placement`).

mod filing;
mod placement;
mod site;

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
        front: None,
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
            waivers: &beian_rules::Waivers::default(),
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
            waivers: &beian_rules::Waivers::default(),
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
                waivers: &beian_rules::Waivers::default(),
            },
        )
    };
    let good = facts(&[GOOD_ICP], Some(GOOD_PSB), None);
    let j = judge(
        good,
        Render::Rendered {
            blocked: Vec::new(),
            passed: None,
        },
    );
    assert_eq!(j.status, SiteStatus::Compliant);
    let (_, present) = verdict(&j.findings, ids::ICP_PRESENT);
    assert!(present.ends_with("(after render)"), "{present}");
    // The page reached past a gate says which.
    let j = judge(
        facts(&[GOOD_ICP], Some(GOOD_PSB), None),
        Render::Rendered {
            blocked: Vec::new(),
            passed: Some(beian_types::said!(
                "a challenge of Alibaba Cloud WAF (marker acw-sc-v2)",
                "Alibaba Cloud WAF 的人机验证页（标记 acw-sc-v2）"
            )),
        },
    );
    assert_eq!(j.status, SiteStatus::Compliant);
    let (_, present) = verdict(&j.findings, ids::ICP_PRESENT);
    assert!(
        present.ends_with(
            "(after challenge: a challenge of Alibaba Cloud WAF (marker acw-sc-v2), passed in the browser)"
        ),
        "{present}"
    );

    let empty = FooterFacts::empty("UTF-8");
    let blocked = vec!["http://10.255.255.1/footer.json (private address)".to_string()];
    let j = judge(
        empty.clone(),
        Render::Rendered {
            blocked,
            passed: None,
        },
    );
    assert_eq!(j.status, SiteStatus::Violation);
    let (_, present) = verdict(&j.findings, ids::ICP_PRESENT);
    assert!(
        present.contains("after render; refused: http://10.255.255.1/footer.json"),
        "{present}"
    );

    let j = judge(empty, Render::Failed("render timed out after 20s".into()));
    assert_eq!(j.status, SiteStatus::Unverified, "{:?}", j.findings);
    let (v, present) = verdict(&j.findings, ids::ICP_PRESENT);
    assert_eq!(v, Verdict::Warn);
    assert!(present.contains("render timed out"), "{present}");
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
                waivers: &beian_rules::Waivers::default(),
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
