//! The tag scanner's model of HTML5 tree building: the stack of open elements and what closes
//! them (scopes, implied end tags, the adoption agency for misnested formatting elements,
//! formatting reconstruction, foster parenting in tables), counting the footer regions and
//! scripts as they open and close.

use std::ops::Range;

use memchr::memchr;

use super::attrs::{decode_refs, marked};
use super::{Cut, Fmt, Insert, Open, Scanner};
use crate::names::{
    CLOSES_P, COUNTED, FORMATTING, FOSTER_EXEMPT, HEAD_ONLY, MARKER, NO_RECONSTRUCT, NOT_UNDER,
    SCOPE, SPECIAL, START_RULE, TABLE_SECTION, VOID,
};

pub(super) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// `memchr` for a byte that is usually a few bytes away (the `>` of an end tag, the closing
/// quote of an attribute value): a short scalar look first saves `memchr`'s set-up per call.
#[inline]
pub(super) fn find_near(needle: u8, hay: &[u8]) -> Option<usize> {
    const NEAR: usize = 16;
    let near = &hay[..hay.len().min(NEAR)];
    match near.iter().position(|&c| c == needle) {
        Some(p) => Some(p),
        None if hay.len() > NEAR => memchr(needle, &hay[NEAR..]).map(|p| p + NEAR),
        None => None,
    }
}

impl<'a> Scanner<'a> {
    /// The attribute text of a tag as UTF-8, made only when it is read (lossy for GBK bytes:
    /// the names and the markers looked for are ASCII).
    pub(super) fn attr_text(&self, r: Range<usize>) -> std::borrow::Cow<'a, str> {
        let (src, utf8) = (self.src, self.utf8);
        match utf8.and_then(|t| t.get(r.clone())) {
            Some(t) => std::borrow::Cow::Borrowed(t),
            None => String::from_utf8_lossy(&src[r]),
        }
    }

    /// Index of `name` in scope: searching down from the top, stopping at a scope boundary.
    pub(super) fn in_scope(&self, name: &str, extra_bounds: &[&str]) -> Option<usize> {
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
    pub(super) fn count(&mut self, name: &str, flags: u16, region: bool, delta: isize) {
        if flags & COUNTED != 0 {
            let slot = match name {
                "body" => Some(&mut self.body),
                "head" => Some(&mut self.head),
                "svg" | "math" => Some(&mut self.foreign),
                "template" => Some(&mut self.template),
                "main" => Some(&mut self.main),
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

    pub(super) fn pop_to(&mut self, idx: usize, at: usize) {
        while self.stack.len() > idx {
            let Some(o) = self.stack.pop() else { break };
            self.closed(&o, at);
        }
    }

    /// Bookkeeping for an element that left the stack at `at`.
    pub(super) fn closed(&mut self, o: &Open<'a>, at: usize) {
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
            self.out.regions.push(o.cut(at, self.out.inserts.len()));
        }
        if o.body_child && o.had_text {
            self.out
                .body_children
                .push(o.cut(at, self.out.inserts.len()));
        }
        if let Some(table) = o.fostered {
            self.insert(o.start, Insert::Skip { end: at, table });
        }
    }

    /// Pops while the current element matches `pred` (implied end tags).
    pub(super) fn pop_while(&mut self, at: usize, pred: impl Fn(&str) -> bool) {
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
    pub(super) fn adoption(&mut self, name: &'static str, at: usize) -> bool {
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
        // Another special element above the furthest block: the parser's outer loop runs
        // again on the copy (`<a><main><div class=footer></a>`), which the cuts do not
        // model; the page is read whole instead.
        if self.stack[j + 1..].iter().any(|o| o.flags & SPECIAL != 0) {
            self.out.whole_page = true;
        }
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
                .any(|(k, a)| k != i && excludes(a, name))
        {
            self.out.regions.push(Cut {
                range: fb_tag_end..at,
                first_insert,
                end_insert: self.out.inserts.len(),
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
        if o.marked && !o.region && !self.stack[..fb].iter().any(|a| excludes(a, o.name)) {
            let (name, flags) = (o.name, o.flags);
            self.count(name, flags, false, -1);
            self.stack[fb].region = true;
            self.count(name, flags, true, 1);
        }
        true
    }

    /// Whether the parser is in a table outside any cell (the insertion mode, roughly).
    pub(super) fn in_table_mode(&self) -> bool {
        for o in self.stack.iter().rev() {
            match o.name {
                "table" => return true,
                "td" | "th" | "caption" | "template" | "html" => return false,
                _ => {}
            }
        }
        false
    }

    pub(super) fn in_list(&self, id: u32) -> bool {
        self.formatting.iter().flatten().any(|f| f.id == id)
    }

    /// Reopens the formatting elements that were closed around content that continues
    /// (`<p><a href=…>x<div class=footer>y` puts a copy of the link around `y`).
    pub(super) fn reconstruct_at(&mut self, at: usize) {
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
    pub(super) fn insert(&mut self, at: usize, what: Insert) {
        let seq = self.out.inserts.len();
        self.out.inserts.push((at, seq, what));
    }

    pub(super) fn remove_at(&mut self, k: usize, at: usize) {
        let o = self.stack.remove(k);
        self.closed(&o, at);
    }

    /// An end tag of an ordinary element (`span`, unknown names): it closes the nearest open
    /// element of that name unless a special element (`div`, `footer`, …) is nearer.
    pub(super) fn any_other_end_tag(&mut self, name: &str, at: usize) {
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

    pub(super) fn close_named(&mut self, name: &str, extra_bounds: &[&str], at: usize) {
        if let Some(i) = self.in_scope(name, extra_bounds) {
            self.pop_to(i, at);
        }
    }

    pub(super) fn text(&mut self, t: &[u8], at: usize) {
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

    pub(super) fn start_tag(
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
        // Attribute parsing is the costly part of a tag, and nothing under `<article>` is a
        // region. Inside a region it still matters: the adoption agency may
        // move an element out of it.
        // Under `<main>` only a `<footer>` element is a region: names there are the content's
        // own (`post-bottom`), and not parsing the attributes of the page's main content
        // keeps the scan fast.
        let is_marked = self.under == 0
            && (name == "footer" || (self.main == 0 && marked(&self.attr_text(raw_attrs.clone()))));
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

/// Whether an open element `a` keeps a marked element named `name` below it from being a
/// region: a region (only the outermost counts), `<article>`, `<head>` or `<template>`, and
/// `<main>` unless the element is a `<footer>` (§6.3).
fn excludes(a: &Open<'_>, name: &str) -> bool {
    a.region || a.flags & NOT_UNDER != 0 || (a.name == "main" && name != "footer")
}
