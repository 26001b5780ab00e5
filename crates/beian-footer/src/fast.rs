//! The fast extractor: one pass over the page with a light tag scanner (no DOM) that finds the
//! footer regions (§6.3), the inline scripts and the meta refresh; only the footer regions are
//! then parsed as HTML5 fragments and read by the same procedure as the reference
//! ([`crate::dom`]). The numbers and links live in a small part of the page, so most bytes are
//! only looked at by `memchr`.
//!
//! The scanner models the parts of HTML5 tree building that decide where an element ends:
//! void elements, raw-text elements, end tags within scope, and the common implied end tags
//! (`p`, `li`, `dd`/`dt`, table rows and cells, `option`, headings). Differential tests keep it
//! in agreement with the reference on `datasets/pages/` and generated pages.

use beian_types::{FooterFacts, FooterRegion};
use encoding_rs::Encoding;
use memchr::{memchr, memmem};
use scraper::Html;
use std::ops::Range;

use crate::names::{
    CLOSES_P, COUNTED, FORMATTING, FOSTER_EXEMPT, HEAD_ONLY, MARKER, NO_RECONSTRUCT, NOT_UNDER,
    RAW_TEXT, SCOPE, SPECIAL, START_RULE, TABLE_SECTION, VOID,
};
use crate::{anchors, dom, names};

#[derive(Clone)]
struct Open<'a> {
    name: &'a str,
    /// [`names`] flags of the name (0 for unknown names).
    flags: u16,
    start: usize,
    /// Just past the start tag's `>`.
    tag_end: usize,
    /// Whether its own attributes mark a footer region (it is one if nothing encloses it).
    marked: bool,
    /// For content moved in front of a table: where that table starts.
    fostered: Option<usize>,
    /// How many inserts existed when it opened (see [`Cut::first_insert`]).
    first_insert: usize,
    /// Its entry in the list of active formatting elements, for formatting elements.
    fmt: Option<u32>,
    region: bool,
    body_child: bool,
    had_text: bool,
}

impl Open<'_> {
    fn cut(&self, end: usize) -> Cut {
        Cut {
            range: self.start..end,
            first_insert: self.first_insert,
        }
    }
}

/// What the scanner finds in one pass.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub(crate) regions: Vec<Cut>,
    pub(crate) last_child: Option<Cut>,
    pub(crate) scripts: Vec<Range<usize>>,
    pub(crate) meta_refresh: Option<String>,
    /// Markup the parser adds that the source lacks, sorted by position: the clone of a
    /// formatting element that the adoption agency wraps around a furthest block's content
    /// (`<a href=…><div class=footer>…</a>`). Applied when a region is cut out.
    pub(crate) inserts: Vec<(usize, usize, Insert)>,
}

/// A part of the source to parse as a footer region.
#[derive(Debug, Clone)]
pub(crate) struct Cut {
    pub(crate) range: Range<usize>,
    /// Inserts at `range.start` with a sequence number below this belong to what encloses
    /// the region (copies reopened before it), not to it.
    pub(crate) first_insert: usize,
}

/// One piece of markup to add at a position of the source.
#[derive(Debug, Clone)]
pub(crate) enum Insert {
    /// A copy of the start tag at source range `tag`, of an element that began at `from`
    /// (a region that starts after `from` lacks the element, so the copy must be added).
    StartTag { tag: Range<usize>, from: usize },
    /// The end tag of such a copy, of an element that began at the second field.
    EndTag(&'static str, usize),
    /// Source up to `end` that the parser moved in front of the table starting at `table`
    /// ("foster parenting"): not part of a region cut from inside that table.
    Skip { end: usize, table: usize },
}

struct Scanner<'a> {
    /// The page (ASCII-compatible bytes) and, when it is UTF-8, the same as text.
    src: &'a [u8],
    utf8: Option<&'a str>,
    stack: Vec<Open<'a>>,
    /// Open elements that matter for every start tag, kept as counts instead of stack scans.
    body: usize,
    head: usize,
    foreign: usize,
    template: usize,
    blocks_region: usize,
    /// Open `main`/`article`/`head`/`template` elements (nothing under them is a region).
    under: usize,
    out: Scan,
    quirks: bool,
    /// The list of active formatting elements (HTML5 §13.2.4.3); `None` is a marker.
    formatting: Vec<Option<Fmt<'a>>>,
    next_fmt: u32,
    /// Set when a formatting element left the stack without leaving the list: the next
    /// content reopens it ("reconstruct the active formatting elements").
    reconstruct: bool,
    /// Where the last visible text started.
    last_visible: Option<usize>,
}

/// An entry of the list of active formatting elements.
#[derive(Debug, Clone)]
struct Fmt<'a> {
    id: u32,
    name: &'a str,
    flags: u16,
    /// The source of its start tag (what a reopened copy looks like).
    tag: Range<usize>,
    /// Whether its attributes mark a footer region.
    marked: bool,
}

/// Name equality without a `memcmp` call: names are short, and most comparisons are of two
/// names of the same length (`a`/`p`/`b`), where `==` calls `memcmp`.
#[inline]
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// `memchr` for a byte that is usually a few bytes away (the `>` of an end tag, the closing
/// quote of an attribute value): a short scalar look first saves `memchr`'s set-up per call.
#[inline]
fn find_near(needle: u8, hay: &[u8]) -> Option<usize> {
    const NEAR: usize = 16;
    let near = &hay[..hay.len().min(NEAR)];
    match near.iter().position(|&c| c == needle) {
        Some(p) => Some(p),
        None if hay.len() > NEAR => memchr(needle, &hay[NEAR..]).map(|p| p + NEAR),
        None => None,
    }
}

fn is_name_byte(b: u8) -> bool {
    !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>')
}

/// Iterates `name=value` pairs of a tag's attribute text (values without entity decoding
/// beyond the common references).
pub(crate) fn attrs(raw: &str) -> impl Iterator<Item = (&str, std::borrow::Cow<'_, str>)> {
    let b = raw.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() {
                return None;
            }
            let ns = i;
            while i < b.len()
                && !b[i].is_ascii_whitespace()
                && b[i] != b'='
                && b[i] != b'/'
                && (i == ns || b[i] != b'>')
            {
                i += 1;
            }
            let name = &raw[ns..i];
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && b[i] == b'=' {
                i += 1;
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                let value = if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                    let q = b[i];
                    let vs = i + 1;
                    let ve = memchr(q, &b[vs..]).map_or(b.len(), |p| vs + p);
                    i = (ve + 1).min(b.len());
                    &raw[vs..ve]
                } else {
                    let vs = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    &raw[vs..i]
                };
                if name.is_empty() {
                    continue;
                }
                return Some((name, decode_refs(value)));
            }
            if name.is_empty() {
                i += 1;
                continue;
            }
            return Some((name, std::borrow::Cow::Borrowed("")));
        }
    })
}

/// Decodes numeric character references and the few named ones that occur in attributes.
fn decode_refs(v: &str) -> std::borrow::Cow<'_, str> {
    if !v.contains('&') {
        return std::borrow::Cow::Borrowed(v);
    }
    let mut out = String::with_capacity(v.len());
    let mut rest = v;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let end = rest.find(';').filter(|&e| e <= 12);
        let decoded = end.and_then(|e| {
            let body = &rest[1..e];
            let c = if let Some(hex) = body.strip_prefix("#x").or_else(|| body.strip_prefix("#X")) {
                u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
            } else if let Some(dec) = body.strip_prefix('#') {
                dec.parse::<u32>().ok().and_then(char::from_u32)
            } else {
                match body {
                    "amp" => Some('&'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "nbsp" => Some('\u{a0}'),
                    _ => None,
                }
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

fn marked(raw_attrs: &str) -> bool {
    attrs(raw_attrs).any(|(k, v)| {
        if k.eq_ignore_ascii_case("role") {
            return v.trim().eq_ignore_ascii_case("contentinfo");
        }
        if k.eq_ignore_ascii_case("id") || k.eq_ignore_ascii_case("class") {
            // `id` is matched whole, `class` per token; both reduce to a substring test.
            let v = v.as_bytes();
            return ["foot", "bottom", "copyright", "colophon"].iter().any(|m| {
                v.windows(m.len())
                    .any(|w| w.eq_ignore_ascii_case(m.as_bytes()))
            });
        }
        false
    })
}

impl<'a> Scanner<'a> {
    /// The attribute text of a tag as UTF-8, made only when it is read (lossy for GBK bytes:
    /// the names and the markers looked for are ASCII).
    fn attr_text(&self, r: Range<usize>) -> std::borrow::Cow<'a, str> {
        let (src, utf8) = (self.src, self.utf8);
        match utf8.and_then(|t| t.get(r.clone())) {
            Some(t) => std::borrow::Cow::Borrowed(t),
            None => String::from_utf8_lossy(&src[r]),
        }
    }

    /// Index of `name` in scope: searching down from the top, stopping at a scope boundary.
    fn in_scope(&self, name: &str, extra_bounds: &[&str]) -> Option<usize> {
        for (i, o) in self.stack.iter().enumerate().rev() {
            if same(o.name, name) {
                return Some(i);
            }
            if o.flags & SCOPE != 0 || extra_bounds.iter().any(|b| same(b, o.name)) {
                return None;
            }
        }
        None
    }

    /// Counts an element entering (`delta` 1) or leaving (-1) the stack. Takes the parts by
    /// value: with a `&Open`, a new entry was written out and read back before its push (a
    /// store-forwarding stall on every tag).
    fn count(&mut self, name: &str, flags: u16, region: bool, delta: isize) {
        if flags & COUNTED != 0 {
            let slot = match name {
                "body" => Some(&mut self.body),
                "head" => Some(&mut self.head),
                "svg" | "math" => Some(&mut self.foreign),
                "template" => Some(&mut self.template),
                _ => None,
            };
            if let Some(slot) = slot {
                *slot = slot.saturating_add_signed(delta);
            }
        }
        if region || flags & NOT_UNDER != 0 {
            self.blocks_region = self.blocks_region.saturating_add_signed(delta);
        }
        if flags & NOT_UNDER != 0 {
            self.under = self.under.saturating_add_signed(delta);
        }
    }

    fn pop_to(&mut self, idx: usize, at: usize) {
        while self.stack.len() > idx {
            let Some(o) = self.stack.pop() else { break };
            self.closed(&o, at);
        }
    }

    /// Bookkeeping for an element that left the stack at `at`.
    fn closed(&mut self, o: &Open<'a>, at: usize) {
        self.count(o.name, o.flags, o.region, -1);
        if o.fmt.is_some_and(|id| self.in_list(id)) {
            self.reconstruct = true;
        }
        if o.flags & MARKER != 0 {
            // Clear the list up to the last marker.
            while let Some(e) = self.formatting.pop() {
                if e.is_none() {
                    break;
                }
            }
        }
        if o.region {
            self.out.regions.push(o.cut(at));
        }
        if o.body_child && o.had_text {
            self.out.last_child = Some(o.cut(at));
        }
        if let Some(table) = o.fostered {
            self.insert(o.start, Insert::Skip { end: at, table });
        }
    }

    /// Pops while the current element matches `pred` (implied end tags).
    fn pop_while(&mut self, at: usize, pred: impl Fn(&str) -> bool) {
        while self.stack.last().is_some_and(|o| pred(o.name)) {
            let n = self.stack.len() - 1;
            self.pop_to(n, at);
        }
    }

    /// The adoption agency (HTML5 §13.2.6.4.7) as it affects the open elements, for an end tag
    /// of formatting element `name` (or an `<a>` inside an `<a>`). With no special element
    /// above the formatting element, everything up to it closes; otherwise it and the
    /// ordinary elements between it and the first special element (the furthest block) leave
    /// the stack, and the furthest block stays open with a copy of the formatting element
    /// wrapped around its content so far. Returns false when the list holds no such element
    /// (the end tag is then an ordinary one).
    fn adoption(&mut self, name: &'static str, at: usize) -> bool {
        // The current node is the element: it closes (spec step 1 when it is not in the list;
        // the well-nested case when it is the list's newest entry, which goes too).
        if let Some(cur) = self.stack.last().filter(|c| same(c.name, name)) {
            let listed = cur.fmt.is_some_and(|id| self.in_list(id));
            let newest = self
                .formatting
                .last()
                .and_then(Option::as_ref)
                .map(|f| f.id);
            if !listed || newest == cur.fmt {
                if listed {
                    self.formatting.pop();
                }
                let n = self.stack.len() - 1;
                self.pop_to(n, at);
                return true;
            }
        }
        let Some((li, fe_tag)) = self
            .formatting
            .iter()
            .rev()
            .take_while(|e| e.is_some())
            .flatten()
            .find(|f| same(f.name, name))
            .map(|f| (f.id, f.tag.clone()))
        else {
            return false;
        };
        self.formatting
            .retain(|e| e.as_ref().is_none_or(|f| f.id != li));
        let Some(i) = self.stack.iter().rposition(|o| o.fmt == Some(li)) else {
            return true;
        };
        if self.stack[i + 1..].iter().any(|o| o.flags & SCOPE != 0) {
            // Not in scope: ignored (the entry is dropped, as the parser's error handling
            // leaves no trace in the text).
            return true;
        }
        let Some(j) = (i + 1..self.stack.len()).find(|&k| self.stack[k].flags & SPECIAL != 0)
        else {
            self.pop_to(i, at);
            return true;
        };
        // A region cut out below the formatting element would miss the copy the parser puts
        // into the furthest block.
        let (fe, fb) = (&self.stack[i], &self.stack[j]);
        // The list entry holds the start tag's source (elsewhere for a reopened copy).
        let copy = Insert::StartTag {
            tag: fe_tag,
            from: fe.start,
        };
        let (fb_tag_end, fe_start, fe_marked) = (fb.tag_end, fe.start, fe.marked);
        let first_insert = self.out.inserts.len();
        self.insert(fb_tag_end, copy);
        self.insert(at, Insert::EndTag(name, fe_start));
        // A marked copy in a furthest block outside any region is a region itself.
        if fe_marked
            && !self.stack[..=j]
                .iter()
                .enumerate()
                .any(|(k, a)| k != i && (a.region || a.flags & NOT_UNDER != 0))
        {
            self.out.regions.push(Cut {
                range: fb_tag_end..at,
                first_insert,
            });
        }
        // The furthest block moves to the formatting element's parent.
        if i > 0 && self.stack[i - 1].name == "body" {
            let fb = &mut self.stack[j];
            fb.body_child = true;
            fb.had_text = self.last_visible.is_some_and(|v| v >= fb.tag_end);
        }
        // What leaves the stack ends where the furthest block began (it moved out of them).
        let fb_start = self.stack[j].start;
        let mut fb = j;
        for k in (i..j).rev() {
            if k == i || self.stack[k].flags & FORMATTING == 0 {
                self.remove_at(k, fb_start);
                fb -= 1;
            }
        }
        // Out from under a region, a marked furthest block is a region of its own.
        let o = &self.stack[fb];
        if o.marked
            && !o.region
            && !self.stack[..fb]
                .iter()
                .any(|a| a.region || a.flags & NOT_UNDER != 0)
        {
            let (name, flags) = (o.name, o.flags);
            self.count(name, flags, false, -1);
            self.stack[fb].region = true;
            self.count(name, flags, true, 1);
        }
        true
    }

    /// Whether the parser is in a table outside any cell (the insertion mode, roughly).
    fn in_table_mode(&self) -> bool {
        for o in self.stack.iter().rev() {
            match o.name {
                "table" => return true,
                "td" | "th" | "caption" | "template" | "html" => return false,
                _ => {}
            }
        }
        false
    }

    fn in_list(&self, id: u32) -> bool {
        self.formatting.iter().flatten().any(|f| f.id == id)
    }

    /// Reopens the formatting elements that were closed around content that continues
    /// (`<p><a href=…>x<div class=footer>y` puts a copy of the link around `y`).
    fn reconstruct_at(&mut self, at: usize) {
        if !self.reconstruct {
            return;
        }
        self.reconstruct = false;
        let first = self
            .formatting
            .iter()
            .rposition(Option::is_none)
            .map_or(0, |m| m + 1);
        let closed: Vec<Fmt<'a>> = self.formatting[first..]
            .iter()
            .flatten()
            .filter(|f| !self.stack.iter().any(|o| o.fmt == Some(f.id)))
            .cloned()
            .collect();
        for f in closed {
            let copy = Insert::StartTag {
                tag: f.tag.clone(),
                from: f.tag.start,
            };
            let first_insert = self.out.inserts.len();
            self.insert(at, copy);
            let open = Open {
                flags: f.flags,
                marked: f.marked,
                fostered: None,
                first_insert,
                name: f.name,
                start: at,
                tag_end: at,
                fmt: Some(f.id),
                region: f.marked && self.blocks_region == 0,
                body_child: self.stack.last().is_some_and(|o| o.name == "body"),
                had_text: false,
            };
            self.count(open.name, open.flags, open.region, 1);
            self.stack.push(open);
        }
    }

    /// Takes one element off the stack, wherever it is (it closes at `at`).
    fn insert(&mut self, at: usize, what: Insert) {
        let seq = self.out.inserts.len();
        self.out.inserts.push((at, seq, what));
    }

    fn remove_at(&mut self, k: usize, at: usize) {
        let o = self.stack.remove(k);
        self.closed(&o, at);
    }

    /// An end tag of an ordinary element (`span`, unknown names): it closes the nearest open
    /// element of that name unless a special element (`div`, `footer`, …) is nearer.
    fn any_other_end_tag(&mut self, name: &str, at: usize) {
        for i in (0..self.stack.len()).rev() {
            let o = self.stack[i].name;
            if o.eq_ignore_ascii_case(name) {
                self.pop_to(i, at);
                return;
            }
            if self.stack[i].flags & SPECIAL != 0 {
                return;
            }
        }
    }

    fn close_named(&mut self, name: &str, extra_bounds: &[&str], at: usize) {
        if let Some(i) = self.in_scope(name, extra_bounds) {
            self.pop_to(i, at);
        }
    }

    fn text(&mut self, t: &[u8], at: usize) {
        let t_len = t.len();
        if self.reconstruct && self.head == 0 && !t.is_empty() {
            self.reconstruct_at(at);
        }
        // Visible unless only whitespace and references to it (`&nbsp;` is whitespace); the
        // first byte usually decides.
        let visible = match t.iter().find(|b| !b.is_ascii_whitespace()) {
            None => false,
            Some(b'&') => decode_refs(&String::from_utf8_lossy(t))
                .chars()
                .any(|c| !c.is_whitespace()),
            Some(_) => true,
        };
        if !visible {
            return;
        }
        self.last_visible = Some(at);
        // Only the nearest body child's "has visible text" matters (last-child fallback).
        // Text directly inside a table is moved in front of it ("foster parenting"), so it
        // belongs to the table's parent.
        let in_table_text = self
            .stack
            .last()
            .is_some_and(|o| o.flags & TABLE_SECTION != 0);
        if in_table_text {
            if let Some(t) = self.stack.iter().rposition(|o| o.name == "table") {
                let table = self.stack[t].start;
                self.insert(
                    at,
                    Insert::Skip {
                        end: at + t_len,
                        table,
                    },
                );
            }
        }
        let mut above = self.stack.iter_mut().rev();
        if in_table_text {
            for o in above.by_ref() {
                if o.name == "table" {
                    break;
                }
            }
        }
        if let Some(o) = above.find(|o| o.body_child) {
            o.had_text = true;
        }
    }

    fn start_tag(
        &mut self,
        name: &'a str,
        flags: u16,
        raw_attrs: Range<usize>,
        tag: Range<usize>,
        self_closing: bool,
    ) {
        let start = tag.start;
        // Body content ends an open `<head>`.
        if self.head > 0 && flags & HEAD_ONLY == 0 && name != "noscript" {
            if let Some(i) = self.stack.iter().rposition(|o| o.name == "head") {
                self.pop_to(i, start);
            }
        }
        // Implied end tags (the common cases of HTML5 tree construction).
        if flags & CLOSES_P != 0 || (name == "table" && !self.quirks) {
            self.close_named("p", &["button"], start);
        }
        match if flags & START_RULE != 0 { name } else { "" } {
            // A table directly inside a table closes the first one.
            "table" if self.in_table_mode() => {
                if let Some(t) = self.stack.iter().rposition(|o| o.name == "table") {
                    self.pop_to(t, start);
                }
            }
            "li" => self.close_named("li", &["ul", "ol"], start),
            "dd" | "dt" => {
                if let Some(i) = self
                    .stack
                    .iter()
                    .rposition(|o| o.name == "dd" || o.name == "dt")
                {
                    if !self.stack[i..]
                        .iter()
                        .any(|o| o.flags & SCOPE != 0 || o.name == "div")
                    {
                        self.pop_to(i, start);
                    }
                }
            }
            "tr" => self.pop_while(start, |n| matches!(n, "td" | "th" | "tr")),
            "td" | "th" => self.pop_while(start, |n| matches!(n, "td" | "th")),
            "tbody" | "thead" | "tfoot" => self.pop_while(start, |n| {
                matches!(n, "td" | "th" | "tr" | "tbody" | "thead" | "tfoot")
            }),
            "option" => self.pop_while(start, |n| n == "option"),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.pop_while(start, |n| {
                    matches!(n, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
                });
            }
            // An `<a>` inside an open `<a>` first closes it the way a misnested `</a>` would.
            "a" => {
                self.adoption("a", start);
            }
            _ => {}
        }
        if self.reconstruct && self.head == 0 && flags & NO_RECONSTRUCT == 0 {
            self.reconstruct_at(start);
        }
        if name == "meta" && self.out.meta_refresh.is_none() {
            let mut refresh = false;
            let mut content = None;
            for (k, v) in attrs(&self.attr_text(raw_attrs.clone())) {
                if k.eq_ignore_ascii_case("http-equiv") && v.eq_ignore_ascii_case("refresh") {
                    refresh = true;
                } else if k.eq_ignore_ascii_case("content") && content.is_none() {
                    content = Some(v.into_owned());
                }
            }
            if refresh {
                self.out.meta_refresh = content.as_deref().and_then(dom::refresh_target);
            }
        }
        if name == "html" || (name == "body" && self.body > 0) || (name == "head" && self.head > 0)
        {
            return;
        }
        if flags & VOID != 0 {
            return;
        }
        if self_closing && self.foreign > 0 {
            return;
        }
        let mut parent = self.stack.last().map(|o| o.name);
        let mut fostered = None;
        // Content directly inside a table is moved in front of it ("foster parenting").
        if self
            .stack
            .last()
            .is_some_and(|o| o.flags & TABLE_SECTION != 0)
            && flags & FOSTER_EXEMPT == 0
        {
            if let Some(t) = self.stack.iter().rposition(|o| o.name == "table") {
                parent = t.checked_sub(1).map(|p| self.stack[p].name);
                fostered = Some(self.stack[t].start);
            }
        }
        let in_body = self.body > 0;
        let body_child = match parent {
            Some("body") => true,
            Some("html") | None => !in_body && flags & HEAD_ONLY == 0 && name != "body",
            _ => false,
        };
        // Attribute parsing is the costly part of a tag, and nothing under `<main>` or
        // `<article>` is a region. Inside a region it still matters: the adoption agency may
        // move an element out of it.
        let is_marked =
            self.under == 0 && (name == "footer" || marked(&self.attr_text(raw_attrs.clone())));
        let region = self.blocks_region == 0 && is_marked;
        let fmt = (flags & FORMATTING != 0).then(|| {
            self.next_fmt += 1;
            self.formatting.push(Some(Fmt {
                id: self.next_fmt,
                name,
                flags,
                tag: tag.clone(),
                marked: is_marked,
            }));
            self.next_fmt
        });
        if flags & MARKER != 0 {
            self.formatting.push(None);
        }
        let open = Open {
            flags,
            marked: is_marked,
            fostered,
            first_insert: self.out.inserts.len(),
            name,
            start,
            tag_end: tag.end,
            fmt,
            region,
            body_child,
            had_text: false,
        };
        self.count(name, flags, region, 1);
        self.stack.push(open);
    }
}

/// A tag name as text; names are ASCII in practice, anything else becomes one unknown name.
fn name_str(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or("\u{fffd}")
}

/// The index of the `>` that ends a start tag whose name ends at `from`: the first `>` outside
/// a quoted attribute value (or the end of input).
fn tag_end(b: &[u8], from: usize) -> usize {
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'>' => return i,
            b'=' => {
                i += 1;
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                    let q = b[i];
                    i = find_near(q, &b[i + 1..]).map_or(b.len(), |p| i + 1 + p + 1);
                }
            }
            _ => i += 1,
        }
    }
    b.len()
}

/// Where the raw text of `name` that starts at `from` ends: (content end, after the end tag).
fn find_end_tag(b: &[u8], from: usize, name: &str) -> (usize, usize) {
    let n = name.as_bytes();
    let mut at = from;
    while let Some(p) = memmem::find(&b[at..], b"</") {
        let start = at + p;
        let after = start + 2 + n.len();
        let name_ok = b
            .get(start + 2..after)
            .is_some_and(|x| x.eq_ignore_ascii_case(n));
        let delim_ok = b
            .get(after)
            .is_none_or(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>'));
        if name_ok && delim_ok {
            let end = memchr(b'>', &b[after..]).map_or(b.len(), |q| after + q + 1);
            return (start, end);
        }
        at = start + 2;
    }
    (b.len(), b.len())
}

/// One pass over the document.
/// `b` is the page in an ASCII-compatible encoding; `utf8` is the same bytes as a `str` when
/// they are valid UTF-8 (slicing it is free; GBK bytes are converted per tag).
pub(crate) fn scan_document<'a>(b: &'a [u8], utf8: Option<&'a str>) -> Scan {
    // No DOCTYPE means quirks mode, where `<table>` does not close an open `<p>`.
    let quirks = memmem::find(&b[..b.len().min(1024)].to_ascii_lowercase(), b"<!doctype").is_none();
    let mut sc = Scanner {
        src: b,
        utf8,
        stack: Vec::new(),
        body: 0,
        head: 0,
        foreign: 0,
        template: 0,
        blocks_region: 0,
        under: 0,
        out: Scan::default(),
        quirks,
        formatting: Vec::new(),
        next_fmt: 0,
        reconstruct: false,
        last_visible: None,
    };
    let mut pos = 0;
    while pos < b.len() {
        let Some(lt) = memchr(b'<', &b[pos..]).map(|p| pos + p) else {
            sc.text(&b[pos..], pos);
            break;
        };
        if lt > pos {
            sc.text(&b[pos..lt], pos);
        }
        let rest = &b[lt + 1..];
        match rest.first() {
            Some(b'!') => {
                if rest.starts_with(b"!--") {
                    // Comment: to `-->` (or `--!>`), else to the end.
                    let body = lt + 4;
                    pos = match memmem::find(&b[body.min(b.len())..], b"-->") {
                        Some(p) => body + p + 3,
                        None => b.len(),
                    };
                    if rest.starts_with(b"!-->") {
                        pos = lt + 5;
                    } else if rest.starts_with(b"!--->") {
                        pos = lt + 6;
                    }
                } else {
                    pos = memchr(b'>', rest).map_or(b.len(), |p| lt + 1 + p + 1);
                }
            }
            Some(b'?') => pos = memchr(b'>', rest).map_or(b.len(), |p| lt + 1 + p + 1),
            Some(b'/') if rest.get(1).is_some_and(u8::is_ascii_alphabetic) => {
                let ns = lt + 2;
                let mut ne = ns;
                while ne < b.len() && is_name_byte(b[ne]) {
                    ne += 1;
                }
                let end = find_near(b'>', &b[ne..]).map_or(b.len(), |p| ne + p + 1);
                let known = names::lookup_in(b, ns..ne);
                pos = end;
                match known {
                    None => sc.any_other_end_tag(name_str(&b[ns..ne]), end),
                    Some(k) => match k.name {
                        // `</body>` and `</html>` do not end the body: later content still
                        // lands in it.
                        "br" | "html" | "body" => {}
                        "p" => sc.close_named("p", &["button"], end),
                        "head" => {
                            if let Some(i) = sc.stack.iter().rposition(|o| o.name == "head") {
                                sc.pop_to(i, end);
                            }
                        }
                        c => {
                            let bounds: &[&str] = match c {
                                "li" => &["ul", "ol"],
                                _ => &[],
                            };
                            if k.flags & SCOPE != 0 {
                                if let Some(i) = sc.stack.iter().rposition(|o| same(o.name, c)) {
                                    sc.pop_to(i, end);
                                }
                            } else if k.flags & FORMATTING != 0 && sc.adoption(c, end) {
                            } else if k.flags & SPECIAL != 0 {
                                sc.close_named(c, bounds, end);
                            } else {
                                sc.any_other_end_tag(c, end);
                            }
                        }
                    },
                }
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let ns = lt + 1;
                let mut ne = ns;
                while ne < b.len() && is_name_byte(b[ne]) {
                    ne += 1;
                }
                let i = tag_end(b, ne);
                let end = (i + 1).min(b.len());
                // The attributes stay bytes until something reads them (most tags: nothing).
                let raw_attrs = ne..i.min(b.len());
                let self_closing = b[raw_attrs.clone()].trim_ascii_end().ends_with(b"/");
                // Known names are interned lower case; other names keep their spelling and
                // compare case-insensitively.
                let (name, flags): (&'a str, u16) = match names::lookup_in(b, ns..ne) {
                    Some(k) => (k.name, k.flags),
                    None => (name_str(&b[ns..ne]), 0),
                };
                pos = end;
                sc.start_tag(name, flags, raw_attrs.clone(), lt..end, self_closing);
                if name == "plaintext" {
                    sc.text(&b[pos..], pos);
                    pos = b.len();
                } else if flags & RAW_TEXT != 0
                    && sc.stack.last().is_some_and(|o| same(o.name, name))
                {
                    // Raw text up to `</name` followed by a delimiter.
                    let close = find_end_tag(b, pos, name);
                    let content = &b[pos..close.0];
                    if name == "script" {
                        let has_src = attrs(&sc.attr_text(raw_attrs))
                            .any(|(k, _)| k.eq_ignore_ascii_case("src"));
                        if !has_src && sc.template == 0 {
                            sc.out.scripts.push(pos..close.0);
                        }
                    } else if matches!(name, "textarea" | "title") {
                        sc.text(content, pos);
                    }
                    let n = sc.stack.len() - 1;
                    sc.pop_to(n, close.1);
                    pos = close.1;
                }
            }
            _ => {
                // A `<` that starts no tag is text.
                sc.text(b"<", lt);
                pos = lt + 1;
            }
        }
    }
    let end = b.len();
    sc.pop_to(0, end);
    sc.out.regions.sort_by_key(|r| r.range.start);
    sc.out.inserts.sort_by_key(|(at, seq, _)| (*at, *seq));
    sc.out
}

const REGION_OPEN: &str = "<div><object>";
const REGION_CLOSE: &str = "</object></div>";

/// The fast path. `body` is in `encoding`, which must be ASCII-compatible in the strong sense
/// that `<`, `>`, `=`, quotes and `/` never occur inside a multi-byte character (UTF-8, GBK,
/// GB18030): the tag scan then runs on the raw bytes, and only the footer regions and the
/// inline scripts are decoded. Same answers as [`dom::extract_text`] on the decoded page.
pub(crate) fn extract_bytes(
    body: &[u8],
    encoding: &'static Encoding,
    utf8: Option<&str>,
) -> FooterFacts {
    // Slices start and end at `<`/`>`, so slicing the UTF-8 view is always on a boundary.
    let decode = |r: Range<usize>| -> String {
        match utf8 {
            Some(t) => t[r].to_string(),
            None => encoding
                .decode_without_bom_handling(&body[r])
                .0
                .into_owned(),
        }
    };
    let scan = scan_document(body, utf8);
    let (cuts, kind) = if !scan.regions.is_empty() {
        (scan.regions.clone(), FooterRegion::Marked)
    } else if let Some(r) = scan.last_child.clone() {
        (vec![r], FooterRegion::LastChild)
    } else {
        (Vec::new(), FooterRegion::None)
    };
    // Each region becomes a `<div><object>` of a fragment: the `div` is a block boundary between
    // regions, as in the reference; the `object` bounds the scope (a stray `</div>` or `</p>`
    // inside a region is ignored, as it is in the whole page) and is a formatting marker (an
    // unclosed `<a>` in one region is not reopened after it).
    let mut src = String::with_capacity(cuts.iter().map(|c| c.range.len() + 32).sum());
    for cut in &cuts {
        let r = &cut.range;
        src.push_str(REGION_OPEN);
        let mut from = r.start;
        // Copies of start tags the region holds itself are made by the fragment parser; at the
        // region's first byte, only copies reopened inside it count; an end tag inserted where
        // the region ends closes a copy inside it.
        let inside = |(at, seq, insert): &&(usize, usize, Insert)| {
            let starts_inside = r.start < *at || (r.start == *at && *seq >= cut.first_insert);
            match insert {
                Insert::StartTag { from, .. } => *from < r.start && starts_inside && *at < r.end,
                Insert::EndTag(_, from) => *from < r.start && r.start < *at && *at <= r.end,
                Insert::Skip { table, .. } => *table <= r.start && r.start < *at && *at < r.end,
            }
        };
        for (at, _, insert) in scan.inserts.iter().filter(inside) {
            if *at < from {
                continue; // inside a skipped part
            }
            src.push_str(&decode(from..*at));
            match insert {
                Insert::Skip { end, .. } => {
                    from = (*end).min(r.end);
                    continue;
                }
                Insert::StartTag { tag, .. } => src.push_str(&decode(tag.clone())),
                Insert::EndTag(name, _) => {
                    src.push_str("</");
                    src.push_str(name);
                    src.push('>');
                }
            }
            from = *at;
        }
        src.push_str(&decode(from..r.end));
        src.push_str(REGION_CLOSE);
    }
    let frag = Html::parse_fragment(&src);
    let roots = if cuts.is_empty() {
        Vec::new()
    } else {
        vec![frag.root_element().id()]
    };
    let scripts: Vec<String> = scan.scripts.iter().map(|r| decode(r.clone())).collect();
    let mut facts = dom::collect(&frag, &roots, kind, &scripts, encoding.name());
    facts.meta_refresh = scan.meta_refresh;
    if facts.primary.is_none() {
        // Rare path (no footer or script candidate): the whole page, decoded.
        let text = match utf8 {
            Some(t) if encoding == encoding_rs::UTF_8 => std::borrow::Cow::Borrowed(t),
            _ => encoding.decode_without_bom_handling(body).0,
        };
        if anchors::may_hold_number(&text) {
            facts.primary = dom::body_fallback_of(&text);
        }
    }
    facts
}
