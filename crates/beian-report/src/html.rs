//! `report.html`: one self-contained page rendered from the [`Report`] model — inline CSS and
//! SVG bars, no script, nothing fetched (CDNs are slow or blocked in China); it opens offline
//! and prints. The template is `templates/report.html` (minijinja, auto-escaped as HTML).

use minijinja::value::{Serde, Value};
use minijinja::{Environment, context};

use crate::labels::{Lang, labels};
use crate::model::Report;

/// Rows of each diff list shown; the page says how many more there are.
const LIST_MAX: usize = 200;
/// Width of the bars of the rule table, in pixels.
const BAR_WIDTH: u64 = 240;

/// Rendering the template failed (a bug in the template).
#[derive(Debug, thiserror::Error)]
#[error("rendering report.html")]
pub struct HtmlError(#[source] minijinja::Error);

/// The report as one HTML page.
pub fn html(report: &Report, lang: Lang) -> Result<String, HtmlError> {
    let mut env = Environment::new();
    env.add_template("report.html", include_str!("../templates/report.html"))
        .map_err(HtmlError)?;
    // A screenshot is named by its host (`DIR/<domain>/<host>.png`).
    env.add_filter("basename", |p: String| {
        std::path::Path::new(&p)
            .file_stem()
            .map_or(p.clone(), |s| s.to_string_lossy().into_owned())
    });
    let l = labels(lang);
    let date = |r: &crate::RunInfo| r.as_of.clone().unwrap_or_else(|| r.run_id.clone());
    let rule_max = report
        .rules
        .iter()
        .map(|r| r.failing.max(r.failing_before.unwrap_or(0)))
        .max()
        .unwrap_or(0)
        .max(1);
    // The template sees the lists cut to what it shows (a million-site report's lists would
    // otherwise be converted whole into template values), and their full lengths.
    let shown = report.abridged(LIST_MAX);
    let lists = [
        (
            l.newly_failing_h,
            &shown.newly_failing,
            "newly-failing",
            report.newly_failing.len(),
        ),
        (l.fixed_h, &shown.fixed, "fixed", report.fixed.len()),
        (
            l.still_failing,
            &shown.still_failing,
            "still-failing",
            report.still_failing.len(),
        ),
    ];
    // The lists compare two runs; a single run has none.
    let lists: Vec<_> = if report.compared.is_some() {
        lists.to_vec()
    } else {
        Vec::new()
    };
    let groups = [
        (l.owners_h, l.owner, &report.owners, "owners"),
        (l.provinces_h, l.province, &report.provinces, "provinces"),
    ];
    // The trend as SVG coordinates: x evenly spaced, y from 0 to 100 %.
    let (w, h, pad) = (640.0_f64, 150.0_f64, 30.0_f64);
    let n = report.trend.len();
    #[expect(clippy::cast_precision_loss, reason = "a handful of runs")]
    let step = if n > 1 {
        (w - 2.0 * pad) / (n - 1) as f64
    } else {
        0.0
    };
    #[expect(clippy::cast_precision_loss, reason = "a handful of runs")]
    let at = |i: usize, pct: f64| (pad + step * i as f64, h - 20.0 - (h - 40.0) * pct / 100.0);
    let points: Vec<_> = report
        .trend
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (x, y) = at(i, p.compliant_pct);
            context! { x => x.round(), y => y.round(), date => p.run_date.clone(),
            pct => p.compliant_pct, failing => p.failing }
        })
        .collect();
    let polyline = report
        .trend
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (x, y) = at(i, p.compliant_pct);
            format!("{x:.0},{y:.0}")
        })
        .collect::<Vec<_>>()
        .join(" ");
    // The appendix's queries, titled by the figure each reproduces.
    let sql_titles: std::collections::BTreeMap<&str, String> = [
        ("statuses", l.statuses.to_string()),
        ("compliant_pct", format!("{} %", l.compliant)),
        ("rules", l.rules_h.to_string()),
        ("owners", l.owners_h.to_string()),
        ("provinces", l.provinces_h.to_string()),
        ("unreachable", l.unreachable_h.to_string()),
        ("waived", l.waived.to_string()),
        ("worst", l.worst_h.to_string()),
        ("psb_due", l.due_h.to_string()),
        ("newly_failing", l.newly_failing_h.to_string()),
        ("fixed", l.fixed_h.to_string()),
    ]
    .into_iter()
    .collect();
    let template = env.get_template("report.html").map_err(HtmlError)?;
    template
        .render(context! {
            r => Value::from(Serde(&shown)),
            psb_due_total => report.psb_due.len(),
            l => Value::from(Serde(l)),
            lang => match lang { Lang::Zh => "zh", Lang::En => "en" },
            run_date => date(&report.run),
            compared_date => report.compared.as_ref().map(date),
            rule_max => rule_max,
            bar_width => BAR_WIDTH,
            list_max => LIST_MAX,
            lists => Value::from(Serde(&lists)),
            groups => Value::from(Serde(&groups)),
            trend => points,
            trend_line => polyline,
            trend_width => w,
            trend_height => h,
            sql_titles => sql_titles,
            status_names => l.status_names.iter().copied().collect::<std::collections::BTreeMap<_, _>>(),
        })
        .map_err(HtmlError)
}
