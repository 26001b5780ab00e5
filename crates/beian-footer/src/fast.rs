//! The fast extractor: one pass over the page with a light tag scanner (no DOM) that finds the
//! footer regions (§6.3) and the inline scripts; only the footer regions are
//! then parsed as HTML5 fragments and read by the same procedure as the reference
//! ([`crate::read`]). The numbers and links live in a small part of the page, so most bytes are
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

use crate::names::{FORMATTING, RAW_TEXT, SCOPE, SPECIAL};
use crate::{anchors, names, read, reference, region};

pub(crate) mod attrs;
mod tree;

use attrs::{attrs, is_name_byte};
use tree::{find_near, same};

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
    /// Its cut, closing at `end` when `inserts` inserts exist.
    fn cut(&self, end: usize, inserts: usize) -> Cut {
        Cut {
            range: self.start..end,
            first_insert: self.first_insert,
            end_insert: inserts,
        }
    }
}

/// What the scanner finds in one pass.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub(crate) regions: Vec<Cut>,
    /// Set when the page's tree is beyond what the cuts model (rare misnesting): the page
    /// is then read by the reference procedure.
    pub(crate) whole_page: bool,
    /// The top-level children of `<body>` with visible text, as they closed.
    pub(crate) body_children: Vec<Cut>,
    pub(crate) scripts: Vec<Range<usize>>,
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
    /// Inserts from this one on were made after the region closed: at `range.start` they
    /// wrap it (a copy the adoption agency puts around a furthest block's content that
    /// starts with the region), they are not in it.
    pub(crate) end_insert: usize,
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
    /// Open `main` elements: under them only a `<footer>` element is a region.
    main: usize,
    blocks_region: usize,
    /// Open `article`/`head`/`template` elements (nothing under them is a region).
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
/// A tag name as text; names are ASCII in practice, anything else becomes one unknown name.
#[inline]
fn name_str(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or("\u{fffd}")
}

/// The index of the `>` that ends a start tag whose name ends at `from`: the first `>` outside
/// a quoted attribute value (or the end of input).
pub(crate) fn tag_end(b: &[u8], from: usize) -> usize {
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
pub(crate) fn find_end_tag(b: &[u8], from: usize, name: &str) -> (usize, usize) {
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
        main: 0,
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

/// The fragment that parses as the parts `cuts` of the page: each becomes a `<div><object>`
/// (the `div` is a block boundary between regions, as in the reference; the `object` bounds
/// the scope — a stray `</div>` or `</p>` inside a region is ignored, as it is in the whole
/// page — and is a formatting marker: an unclosed `<a>` in one region is not reopened after
/// it), with the markup the parser adds or moves applied ([`Insert`]).
fn fragment_source(cuts: &[Cut], scan: &Scan, decode: &impl Fn(Range<usize>) -> String) -> String {
    let mut src = String::with_capacity(cuts.iter().map(|c| c.range.len() + 32).sum());
    for cut in cuts {
        let r = &cut.range;
        src.push_str(REGION_OPEN);
        let mut from = r.start;
        // Copies of start tags the region holds itself are made by the fragment parser; at the
        // region's first byte, only copies reopened inside it count; an end tag inserted where
        // the region ends closes a copy inside it.
        let inside = |(at, seq, insert): &&(usize, usize, Insert)| {
            let starts_inside = r.start < *at
                || (r.start == *at && *seq >= cut.first_insert && *seq < cut.end_insert);
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
    src
}

/// The footer of a page without a marked one, as [`region::unmarked_footer`] finds it
/// from `<body>`: the top-level children are parsed one at a time from the last, skipping
/// those whose bytes hold no anchor of a footer word (a necessary condition: every footer
/// word holds a fact anchor), so a table layout costs a parse of its last table or two. A
/// page whose one top-level child wraps everything is searched inside that child.
fn unmarked_footer(
    scan: &Scan,
    body: &[u8],
    encoding: &'static Encoding,
    fragment: impl Fn(&[Cut]) -> Html,
) -> Option<(Html, ego_tree::NodeId)> {
    let kids = &scan.body_children;
    if let [only] = kids.as_slice() {
        let frag = fragment(std::slice::from_ref(only));
        // html > div > object > the child: the search goes on from the `object`, whose one
        // child with text is the wrapper.
        let object = frag
            .root_element()
            .descendants()
            .find(|n| read::el_name(n) == Some("object"))?
            .id();
        let node = frag.tree.get(object)?;
        let found = region::unmarked_footer(node, false)?;
        return Some((frag, found));
    }
    for cut in kids.iter().rev() {
        if !anchors::may_hold_fact(&body[cut.range.clone()], encoding) {
            continue;
        }
        let frag = fragment(std::slice::from_ref(cut));
        let mut rt = read::RegionText::default();
        rt.walk(
            *frag.root_element(),
            &std::collections::HashSet::new(),
            &mut 0,
        );
        if region::holds_footer_word(&rt.text) {
            let root = frag.root_element().id();
            return Some((frag, root));
        }
    }
    let last = kids.last()?;
    let frag = fragment(std::slice::from_ref(last));
    let root = frag.root_element().id();
    Some((frag, root))
}

const REGION_OPEN: &str = "<div><object>";
const REGION_CLOSE: &str = "</object></div>";

/// The fast path. `body` is in `encoding`, which must be ASCII-compatible in the strong sense
/// that `<`, `>`, `=`, quotes and `/` never occur inside a multi-byte character (UTF-8, GBK,
/// GB18030): the tag scan then runs on the raw bytes, and only the footer regions and the
/// inline scripts are decoded. Same answers as [`reference::extract_text`] on the decoded page.
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
    if scan.whole_page {
        // Declared, and counted by the differential tests: they compare the two only where
        // the fast path read the page its own way.
        let text = match utf8 {
            Some(t) => std::borrow::Cow::Borrowed(t),
            None => encoding.decode_without_bom_handling(body).0,
        };
        return reference::extract_text(&text, encoding.name());
    }
    let fragment = |cuts: &[Cut]| Html::parse_fragment(&fragment_source(cuts, &scan, &decode));
    let (frag, roots, kind) = if !scan.regions.is_empty() {
        let frag = fragment(&scan.regions);
        let root = frag.root_element().id();
        (frag, vec![root], FooterRegion::Marked)
    } else {
        match unmarked_footer(&scan, body, encoding, fragment) {
            Some((frag, root)) => (frag, vec![root], FooterRegion::LastChild),
            None => (Html::new_fragment(), Vec::new(), FooterRegion::None),
        }
    };
    let scripts: Vec<String> = scan.scripts.iter().map(|r| decode(r.clone())).collect();
    let facts = read::collect(&frag, &roots, kind, &scripts, encoding.name());
    if facts.primary.is_some() {
        return facts;
    }
    // Rare path (no footer or script candidate): the whole page, decoded.
    let text = match utf8 {
        Some(t) if encoding == encoding_rs::UTF_8 => std::borrow::Cow::Borrowed(t),
        _ => encoding.decode_without_bom_handling(body).0,
    };
    if !anchors::may_hold_number(&text) {
        return facts;
    }
    whole_page(&text, facts, &scripts)
}

/// A page whose footer regions and scripts hold no ICP candidate, parsed whole: a footer no
/// name marks ([`region::unnamed_footer`]) read with the marked regions, else the body-text
/// fallback (§6.2), the first ICP number in the body's visible text outside the marked
/// regions. `facts` are those of the regions and scripts.
fn whole_page<S: AsRef<str>>(text: &str, mut facts: FooterFacts, scripts: &[S]) -> FooterFacts {
    let (kind, encoding) = (facts.region, facts.encoding);
    let page = Html::parse_document(text);
    let Some(body) = page
        .root_element()
        .children()
        .find(|n| read::el_name(n) == Some("body"))
    else {
        return facts;
    };
    // Most such pages show no number at all, or only in their content: their text says so
    // before the tree is searched for marked regions.
    let whole = region::body_text(body, &[]);
    let numbers = region::icp_numbers(&whole.text);
    if region::last_outside_content(body, &whole, &numbers).is_none() {
        facts.primary = match kind {
            // The last child read as the footer may be inline (an `<a>`): left out, as the
            // reference leaves it, it separates the text around it.
            FooterRegion::LastChild if !numbers.is_empty() => {
                let last: Vec<_> = region::unmarked_footer(body, true).into_iter().collect();
                region::body_candidate(&region::body_text(body, &last).text)
            }
            _ => region::first_candidate(&numbers),
        };
        return facts;
    }
    // The marked regions again, in this tree: the unnamed footer stands outside them.
    let mut regions = match kind {
        FooterRegion::Marked => region::marked_regions(page.tree.root()),
        _ => Vec::new(),
    };
    let (rt, numbers) = if regions.is_empty() {
        (whole, numbers)
    } else {
        let rt = region::body_text(body, &regions);
        let numbers = region::icp_numbers(&rt.text);
        (rt, numbers)
    };
    let block = region::unnamed_footer(body, &rt, &numbers).and_then(|id| page.tree.get(id));
    if kind == FooterRegion::LastChild {
        regions = region::unmarked_footer(body, true).into_iter().collect();
    }
    if let Some(block) = block {
        region::add_region(&mut regions, block);
        let with_block = read::collect(&page, &regions, kind, scripts, encoding);
        if with_block.primary.is_some() {
            return with_block;
        }
    }
    // The fallback reads the text outside every region, as the reference does.
    facts.primary = region::body_candidate(&region::body_text(body, &regions).text);
    facts
}

/// Which way [`extract_bytes`] reads a page (for tests and benchmarks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The page holds no anchor of a footer fact: nothing is parsed.
    Anchors,
    /// The footer regions are cut out and parsed as fragments.
    Fragments,
    /// The page's tree is beyond what the cuts model (rare misnesting): the page is read
    /// whole by the reference procedure, so on it the two extractors are one.
    WholePage,
}

/// The route [`extract_bytes`] takes on `body` (UTF-8, or `encoding`).
pub(crate) fn route(body: &[u8], encoding: &'static Encoding, utf8: Option<&str>) -> Route {
    if !anchors::may_hold_fact(body, encoding) {
        Route::Anchors
    } else if scan_document(body, utf8).whole_page {
        Route::WholePage
    } else {
        Route::Fragments
    }
}
