//! What a response is, before any footer rule reads it (docs/rulebook.md §6.14): the site's own
//! page, or a challenge, a block, a parked or default page, the access provider's
//! interception page, a CDN's origin error — with the vendor and the marker that decided.
//! Pure: a response's status, headers, final URL, redirects and body in, a [`Classified`] out.
//!
//! Three axes stay apart: the transport (DNS, TCP, TLS, timeouts) is the fetch's error class,
//! the status is the status, and this is what the body is. The marker table ([`markers`])
//! is in one place, documented in docs/MARKERS.md.
//!
//! Cost: every response is checked by the rules that start with a status, header, cookie or
//! redirect marker ([`by_headers`], no body read unless such a marker holds). The rules that
//! read a title or a body alone run on the responses that could otherwise accuse a site: a
//! page whose footer shows no number, and every response that is not a 2xx page
//! ([`classify`]). A page that shows its number is the site's own.
#![deny(missing_docs)]

mod markers;

use beian_types::{Classified, Hop, PageClass, Vendor};
use markers::{Cond, RULES, Rule, Text};
use memchr::memmem;

pub use markers_doc::markers_markdown;

/// A response as the classifier sees it.
#[derive(Debug, Clone, Copy)]
pub struct Response<'a> {
    /// Its HTTP status.
    pub status: u16,
    /// Its headers, names in lower case, in order (a repeated header repeats).
    pub headers: &'a [(String, String)],
    /// Its body after content decoding (as much as was kept).
    pub body: &'a [u8],
    /// The body was longer than the fetch's cap: `body` is its kept start and end (a body of
    /// filler, cut so, may keep nothing).
    pub truncated: bool,
    /// The URL it came from (after redirects).
    pub final_url: &'a str,
    /// The redirects taken to get there.
    pub hops: &'a [Hop],
}

/// Where a page's `<title>` is looked for: a `<head>` puts it near the top.
const TITLE_WINDOW: usize = 8 * 1024;

/// A response read once: its title found on first use.
struct Seen<'a> {
    resp: &'a Response<'a>,
    title: std::cell::OnceCell<Option<&'a str>>,
}

impl<'a> Seen<'a> {
    fn new(resp: &'a Response<'a>) -> Self {
        Seen {
            resp,
            title: std::cell::OnceCell::new(),
        }
    }

    fn title(&self) -> Option<&'a str> {
        *self.title.get_or_init(|| title_of(self.resp.body))
    }

    fn header<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a str> + 'n
    where
        'a: 'n,
    {
        self.resp
            .headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn holds(&self, cond: &Cond, rule: &Rule) -> bool {
        let r = self.resp;
        match *cond {
            Cond::Status(set) => set.contains(&r.status),
            Cond::StatusIn(lo, hi) => (lo..=hi).contains(&r.status),
            Cond::Header(name, text) => self.header(name).any(|v| matches(v.trim(), text)),
            Cond::HasHeader(name) => self.header(name).next().is_some(),
            Cond::Cookie(prefix) => self.header("set-cookie").any(|v| {
                v.trim_start()
                    .get(..prefix.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
            }),
            Cond::Title(text) => self.title().is_some_and(|t| matches(t, text)),
            Cond::NoTitle => self.title().is_none(),
            Cond::Body(needle) => {
                r.body.len() <= rule.max_body && memmem::find(r.body, needle.as_bytes()).is_some()
            }
            Cond::EmptyBody => {
                !r.truncated
                    && r.body.len() <= rule.max_body
                    && r.body.iter().all(u8::is_ascii_whitespace)
            }
            Cond::Redirected(needle) => {
                r.final_url.contains(needle) || r.hops.iter().any(|h| h.location.contains(needle))
            }
            Cond::Any(conds) => conds.iter().any(|c| self.holds(c, rule)),
        }
    }

    fn rule_holds(&self, rule: &Rule) -> bool {
        rule.all.iter().all(|c| self.holds(c, rule))
    }
}

fn matches(value: &str, text: Text) -> bool {
    match text {
        Text::Is(t) => value.eq_ignore_ascii_case(t),
        Text::Prefix(t) => value
            .get(..t.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(t)),
        Text::Has(t) => value.contains(t),
    }
}

/// The text of the first `<title>` in the top of `body`, trimmed (`None`: no title).
fn title_of(body: &[u8]) -> Option<&str> {
    let window = &body[..body.len().min(TITLE_WINDOW)];
    let open = memmem::find(window, b"<title")
        .or_else(|| memmem::find(window, b"<TITLE"))
        .or_else(|| memmem::find(window, b"<Title"))?;
    let start = open + memchr::memchr(b'>', &window[open..])? + 1;
    let len = memchr::memchr(b'<', &body[start..]).unwrap_or(body.len() - start);
    let text = std::str::from_utf8(&body[start..start + len.min(1024)]).ok()?;
    Some(text.trim())
}

/// Whether a rule's first condition is a cheap one: it reads no title and no body.
fn cheap(rule: &Rule) -> bool {
    fn cheap_cond(c: &Cond) -> bool {
        match c {
            Cond::Status(_)
            | Cond::StatusIn(..)
            | Cond::Header(..)
            | Cond::HasHeader(_)
            | Cond::Cookie(_)
            | Cond::Redirected(_) => true,
            Cond::Title(_) | Cond::NoTitle | Cond::Body(_) | Cond::EmptyBody => false,
            Cond::Any(cs) => cs.iter().all(cheap_cond),
        }
    }
    rule.all.first().is_some_and(cheap_cond)
}

fn decided(rule: &Rule) -> Classified {
    Classified {
        class: rule.class,
        vendor: rule.vendor,
        marker: rule.id,
    }
}

/// The rules that start with a status, header, cookie or redirect marker: what every
/// response is checked by (`None`: none holds).
pub fn by_headers(resp: &Response<'_>) -> Option<Classified> {
    let seen = Seen::new(resp);
    RULES
        .iter()
        .filter(|r| cheap(r))
        .find(|r| seen.rule_holds(r))
        .map(decided)
}

/// Every rule: for a page whose footer shows no number, and for a response that is not a
/// 2xx page. The cheap rules first, as [`by_headers`]; then the others in table order.
pub fn classify(resp: &Response<'_>) -> Classified {
    let seen = Seen::new(resp);
    RULES
        .iter()
        .filter(|r| cheap(r))
        .chain(RULES.iter().filter(|r| !cheap(r)))
        .find(|r| seen.rule_holds(r))
        .map_or(Classified::PAGE, decided)
}

/// The vendor of a stable id (`fetches.page_vendor`), as the marker table names it.
pub fn vendor(id: &str) -> Option<Vendor> {
    RULES.iter().filter_map(|r| r.vendor).find(|v| v.id == id)
}

/// Whether a class of response can be passed by a headless browser (a script or
/// proof-of-work gate; `--render` tries it).
pub fn passable(c: &Classified) -> bool {
    c.class == PageClass::Challenge
}

mod markers_doc {
    //! docs/MARKERS.md, generated from the table.

    use super::markers::{Cond, RULES, Text};

    fn text(t: &Text) -> String {
        match t {
            Text::Is(s) => format!("is `{s}`"),
            Text::Prefix(s) => format!("starts `{s}`"),
            Text::Has(s) => format!("holds `{s}`"),
        }
    }

    fn cond(c: &Cond) -> String {
        match c {
            Cond::Status(s) => format!(
                "status {}",
                s.iter().map(u16::to_string).collect::<Vec<_>>().join("/")
            ),
            Cond::StatusIn(a, b) => format!("status {a}–{b}"),
            Cond::Header(n, t) => format!("header `{n}` {}", text(t)),
            Cond::HasHeader(n) => format!("header `{n}` present"),
            Cond::Cookie(p) => format!("sets cookie `{p}…`"),
            Cond::Title(t) => format!("title {}", text(t)),
            Cond::NoTitle => "no title".to_string(),
            Cond::Body(s) => format!("body holds `{}`", s.replace('|', "\\|")),
            Cond::EmptyBody => "empty body".to_string(),
            Cond::Redirected(s) => format!("redirected to `{s}`"),
            Cond::Any(cs) => format!("({})", cs.iter().map(cond).collect::<Vec<_>>().join(" or ")),
        }
    }

    /// The marker table as Markdown (docs/MARKERS.md).
    pub fn markers_markdown() -> String {
        let mut s = String::from(
            "# Response markers\n\n\
             Generated by `beian rules --markers` from `crates/beian-classify/src/markers.rs`; \
             docs/rulebook.md §6.14 says how they are used. The first rule that holds decides; \
             the rules starting with a status, header, cookie or redirect are tried first. A \
             body marker counts only in a body no longer than the rule's limit.\n\n\
             | id | class | vendor | all of | body limit | source |\n\
             |---|---|---|---|---|---|\n",
        );
        for r in RULES {
            let limit = if r.max_body == usize::MAX {
                "—".to_string()
            } else {
                format!("{} KiB", r.max_body / 1024)
            };
            s.push_str(&format!(
                "| `{}` | `{}` | {} | {} | {} | {} |\n",
                r.id,
                r.class.as_str(),
                r.vendor
                    .map_or("—".to_string(), |v| format!("{} (`{}`)", v.name, v.id)),
                r.all.iter().map(cond).collect::<Vec<_>>().join(" and "),
                limit,
                r.source.replace('|', "\\|"),
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests;
