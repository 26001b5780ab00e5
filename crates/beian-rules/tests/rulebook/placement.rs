//! ICP-PLACEMENT on measured layouts of rendered pages.

use super::*;

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
            passed: None,
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
            waivers: &beian_rules::Waivers::default(),
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
            waivers: &beian_rules::Waivers::default(),
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
        Placement::NotMeasured(beian_types::said!("not rendered: x", "未渲染：x")),
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
            passed: None,
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
            waivers: &beian_rules::Waivers::default(),
        },
    );
    let (v, e) = verdict(&j.findings, ids::ICP_PLACEMENT);
    assert_eq!(v, Verdict::NotApplicable);
    assert!(e.starts_with("manifest: hosting=overseas"), "{e}");
}
