//! Where numbers sit on a rendered page (ICP-PLACEMENT, docs/rulebook.md §5.2): what the
//! browser measured of every run of five or more digits in the page's text, in one viewport.

/// One viewport's measurements of a rendered page.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Layout {
    /// The viewport, CSS pixels (width, height).
    pub viewport: (f64, f64),
    /// The document's scrollable size, CSS pixels (width, height).
    pub doc: (f64, f64),
    /// The digit runs of the page's text, in document order (at most a few hundred).
    pub runs: Vec<DigitRun>,
}

/// A run of digits in the page's text and how it shows.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct DigitRun {
    /// The digits, ASCII.
    pub digits: String,
    /// Its box in document coordinates, CSS pixels.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
    /// The left edge of the line it sits on (its block's text on the same line: a footer line
    /// holds the ICP and PSB numbers side by side, and the line is what is centred).
    pub line_x: f64,
    /// The width of that line.
    pub line_w: f64,
    /// Why it cannot be seen (`display:none`, `visibility:hidden`, `opacity 0.05`, `clipped`,
    /// `zero size`, `off-screen`), or `None` when it can.
    pub hidden: Option<String>,
    /// The computed font size of its text, CSS pixels.
    pub font_px: f64,
    /// The contrast ratio of its text colour against the background behind it (WCAG 2
    /// relative luminance; 1 to 21).
    pub contrast: f64,
    /// Whether an icon (an `<img>` inside its link or just before it, §6.10) can be seen;
    /// `None` when there is no such image.
    pub icon: Option<bool>,
}

impl Layout {
    /// The run showing `digits`: the first visible one, else the first.
    pub fn find(&self, digits: &str) -> Option<&DigitRun> {
        let mut matching = self.runs.iter().filter(|r| r.digits == digits);
        let first = matching.clone().next();
        matching.find(|r| r.hidden.is_none()).or(first)
    }
}
