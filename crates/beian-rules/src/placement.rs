//! ICP-PLACEMENT: the number shown at the bottom centre of the home page, visible and legible
//! (主页底部的中央位置, docs/rulebook.md §5.2), judged on what the browser measured of a rendered
//! page in a desktop and a mobile viewport; and the same visibility for the PSB number and
//! icon (PSB-PRESENT, PSB-ICON).

use beian_types::{CandidateSource, DigitRun, Finding, FooterFacts, Layout, Said, Verdict, said};
use serde::Deserialize;

use crate::ids;

/// The thresholds of ICP-PLACEMENT (`[placement]` in the rules file).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// Below this contrast ratio the text cannot be read (WCAG's 1:1 is invisible; 1.5:1 is
    /// far below its 4.5:1 for body text, so only text a person cannot pick out fails).
    pub min_contrast: f64,
    /// Below this font size, CSS pixels, the number is not legible (browsers' smallest
    /// default minimum font is 6–8 px).
    pub min_font_px: f64,
    /// The number's centre may be this share of the viewport's width off the page's centre.
    pub centre_tolerance: f64,
    /// "Bottom": the number ends within this share of the document's height from its end …
    pub bottom_share: f64,
    /// … or within this many CSS pixels of it (short pages, tall footers).
    pub bottom_px: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            min_contrast: 1.5,
            min_font_px: 8.0,
            centre_tolerance: 0.1,
            bottom_share: 0.25,
            bottom_px: 400.0,
        }
    }
}

/// What the browser measured of a page, or why nothing was.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    /// Not measured: not rendered, or the render failed; the reason.
    NotMeasured(Said),
    /// The desktop layout, and the mobile one when it was measured.
    Measured {
        /// In the desktop viewport.
        desktop: Layout,
        /// In the mobile viewport; `None` when its frame was not measured.
        mobile: Option<Layout>,
    },
}

impl Default for Placement {
    fn default() -> Self {
        Placement::NotMeasured(said!("not rendered", "未渲染"))
    }
}

/// How a number shows in one viewport.
enum Seen {
    /// Cannot be seen, or read: why.
    No(Said),
    /// Visible and legible; where.
    Yes { centred: bool, bottom: bool },
}

fn seen(run: &DigitRun, layout: &Layout, t: &Thresholds) -> Seen {
    if let Some(why) = &run.hidden {
        return Seen::No(said!("{why}", "{why}"));
    }
    if run.contrast < t.min_contrast {
        return Seen::No(said!(
            "contrast {:.1}:1 below {:.1}:1",
            "对比度 {:.1}:1 低于 {:.1}:1",
            run.contrast,
            t.min_contrast
        ));
    }
    if run.font_px < t.min_font_px {
        return Seen::No(said!(
            "font {}px below {}px",
            "字号 {}px 小于 {}px",
            run.font_px,
            t.min_font_px
        ));
    }
    let (doc_w, doc_h) = layout.doc;
    let centre = run.line_x + run.line_w / 2.0;
    Seen::Yes {
        centred: (centre - doc_w / 2.0).abs() <= t.centre_tolerance * layout.viewport.0,
        bottom: doc_h - (run.y + run.h) <= (t.bottom_share * doc_h).max(t.bottom_px),
    }
}

fn describe(name: (&str, &str), layout: &Layout, run: &DigitRun, seen: &Seen) -> Said {
    let what = match seen {
        Seen::No(why) => why
            .clone()
            .map(|w| format!("not visible: {w}"), |w| format!("不可见：{w}")),
        Seen::Yes { centred, bottom } => Said {
            en: format!(
                "{}, {}",
                if *centred { "centred" } else { "off-centre" },
                if *bottom {
                    "at the bottom"
                } else {
                    "not at the bottom"
                }
            ),
            zh: format!(
                "{}，{}",
                if *centred { "居中" } else { "未居中" },
                if *bottom { "在底部" } else { "不在底部" }
            ),
        },
    };
    let (en, zh) = name;
    let (vw, vh) = layout.viewport;
    let (x, y, w, h) = (run.x, run.y, run.w, run.h);
    let (from, to) = (run.line_x, run.line_x + run.line_w);
    let (dw, dh) = layout.doc;
    let (font, contrast) = (run.font_px, run.contrast);
    what.map(
        |what| {
            format!(
                "{en} {vw}×{vh}: box ({x}, {y}) {w}×{h} on a line from x {from} to {to} in a \
                 {dw}×{dh} page, font {font}px, contrast {contrast:.1}:1 — {what}"
            )
        },
        |what| {
            format!(
                "{zh} {vw}×{vh}：位置 ({x}, {y}) {w}×{h}，所在行 x {from} 至 {to}，页面 \
                 {dw}×{dh}，字号 {font}px，对比度 {contrast:.1}:1 — {what}"
            )
        },
    )
}

/// ICP-PLACEMENT for a page whose primary number is `facts.primary`.
pub(crate) fn icp_placement(
    facts: &FooterFacts,
    placement: &Placement,
    t: &Thresholds,
) -> (Verdict, Said) {
    let na = |why: Said| (Verdict::NotApplicable, why);
    // The shown number (§5 preamble): one only in the body text is no footer to place.
    let Some(primary) = facts
        .primary
        .as_ref()
        .filter(|c| c.source != CandidateSource::Body)
    else {
        return na(said!(
            "no number in the footer (see ICP-PRESENT)",
            "页脚没有编号（见 ICP-PRESENT）"
        ));
    };
    let (desktop, mobile) = match placement {
        Placement::NotMeasured(why) => return na(why.clone()),
        Placement::Measured { desktop, mobile } => (desktop, mobile),
    };
    let digits = &primary.number.digits;
    let Some(run) = desktop.find(digits) else {
        return na(said!(
            "{} not found in the rendered page's text (an image, or digits split by markup)",
            "渲染后的页面文字中没有 {}（是图片，或数字被标签拆开）",
            primary.number.canonical
        ));
    };
    let on_desktop = seen(run, desktop, t);
    let mut evidence = vec![describe(("desktop", "桌面端"), desktop, run, &on_desktop)];
    let on_mobile = mobile.as_ref().map(|m| match m.find(digits) {
        Some(r) => {
            let s = seen(r, m, t);
            evidence.push(describe(("mobile", "移动端"), m, r, &s));
            s
        }
        None => {
            evidence.push(said!(
                "mobile {}×{}: the number is not in the page",
                "移动端 {}×{}：页面中没有该编号",
                m.viewport.0,
                m.viewport.1
            ));
            Seen::No(said!("not in the page", "页面中没有"))
        }
    });
    let verdict = match (&on_desktop, &on_mobile) {
        (Seen::No(_), _) => Verdict::Fail,
        (Seen::Yes { .. }, Some(Seen::No(_))) => Verdict::Warn,
        (Seen::Yes { centred, bottom }, other) => {
            let well = |c: bool, b: bool| c && b;
            let mobile_well = match other {
                Some(Seen::Yes { centred, bottom }) => well(*centred, *bottom),
                _ => true,
            };
            if well(*centred, *bottom) && mobile_well {
                Verdict::Pass
            } else {
                Verdict::Warn
            }
        }
    };
    let n = &primary.number.canonical;
    let evidence = Said::join(&evidence).map(|e| format!("{n}: {e}"), |e| format!("{n}：{e}"));
    (verdict, evidence)
}

/// The PSB number and icon as the desktop render shows them: a PSB number that cannot be
/// seen is not shown (PSB-PRESENT warns), an icon that cannot be seen is no icon (PSB-ICON
/// warns).
pub(crate) fn psb_visibility(findings: &mut [Finding], facts: &FooterFacts, placement: &Placement) {
    let (Some(psb), Placement::Measured { desktop, .. }) = (&facts.psb, placement) else {
        return;
    };
    let Some(run) = desktop.find(&psb.number.digits) else {
        return;
    };
    for f in findings {
        match f.rule_id {
            id if id == ids::PSB_PRESENT && f.verdict == Verdict::Pass => {
                if let Some(why) = &run.hidden {
                    f.verdict = Verdict::Warn;
                    let e = said!(
                        "{} is in the page but not visible ({why})",
                        "{} 在页面中但不可见（{why}）",
                        psb.number.canonical
                    );
                    (f.evidence, f.evidence_zh) = (e.en, e.zh);
                    f.fix = crate::catalogue::fix_for(f.rule_id, f.verdict);
                }
            }
            id if id == ids::PSB_ICON && f.verdict == Verdict::Pass && run.icon == Some(false) => {
                f.verdict = Verdict::Warn;
                let e = said!(
                    "the PSB icon is in the page but not visible",
                    "公安备案图标在页面中但不可见"
                );
                (f.evidence, f.evidence_zh) = (e.en, e.zh);
                f.fix = crate::catalogue::fix_for(f.rule_id, f.verdict);
            }
            _ => {}
        }
    }
}
