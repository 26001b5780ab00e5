//! Page facts (docs/rulebook.md §6.15): what a page shows of the site itself — its title and the
//! names it gives itself, its language, the interactive services and the commerce it offers —
//! read beside the footer facts, from the whole page as served.
//!
//! Cost (issue 30: under a tenth of the extraction): the head (`<html lang>`, `<title>`, the
//! metas) is read in its first 32 KiB, the language from the body's first text (at most 640
//! bytes). The body is read only where an anchor stands ([`Hit`]): the `<script>`, `<input>`,
//! `<form>` and `<iframe>` tags ([`tag_spellings`]) and the [`TEXT_ANCHORS`] are found by the
//! pass that looks for the footer's anchors (`crate::anchors`), which reads the whole page
//! anyway. A hit in a comment, `<pre>`, `<code>`, `<textarea>` or
//! `<template>` counts for nothing (a commented-out widget, a published embed snippet), nor does
//! a template script's text. Inline scripts are searched for the vendors' markers, outside their
//! JavaScript comments.

mod markers;

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use beian_types::{Feature, FeatureKind, NameSource, PageFacts, ShownName, TextLanguage};
use encoding_rs::Encoding;
use memchr::{memchr, memmem, memrchr2};

use crate::fast::attrs::{attrs, decode_refs, is_name_byte};
use markers::{IDS, Marker, TEMPLATE_TYPES, VENDORS, product};

/// Where the head is looked for.
const HEAD_WINDOW: usize = 32 * 1024;
/// How much of the body's start is read for the language.
const TEXT_WINDOW: usize = 8 * 1024;
/// At most this much text is counted.
const TEXT_BYTES: usize = 640;
/// Enough text to tell the language (weighted units, see [`Counts::units`]).
const TEXT_ENOUGH: u32 = 80;
/// Too little text to tell.
const TEXT_MIN: u32 = 12;
/// Longest name or title kept.
const NAME_MAX: usize = 200;
/// Most features reported for one page.
const FEATURES_MAX: usize = 16;
/// How far back from a hit its enclosing tag's `<` is looked for.
const TAG_BACK: usize = 2048;

/// What an anchor stands for.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Anchor {
    Script,
    Iframe,
    Input,
    Form,
    /// An element id of [`IDS`].
    Id,
    PoweredBy,
    /// A vendor's marker in an attribute (a link, a control).
    InAttribute,
    Logo,
}

/// The tags whose attributes (or, for a script, text) may show a feature, by name.
const TAGS: &[(&str, Anchor)] = &[
    ("script", Anchor::Script),
    ("input", Anchor::Input),
    ("form", Anchor::Form),
    ("iframe", Anchor::Iframe),
];

/// The anchors of the features that stand in attribute values or text. They share the fact
/// anchors' pass over the page (`crate::anchors`), where every pattern slows Teddy down: a new
/// marker belongs in VENDORS, found through an existing anchor, where it can. None starts with
/// `<` (each widens the fingerprints every tag is checked against); upper-case tags and the
/// containers whose content does not count (comments, `<pre>`, …) are not anchors: a hit is
/// checked for them where it stands ([`Page::hidden`]).
pub(crate) const TEXT_ANCHORS: &[(&str, Anchor)] = &[
    // Containers whose script may come from a theme file (NexT's 来必力, themes' 畅言 and Disqus).
    ("SOHUCS", Anchor::Id),
    ("disqus_thread", Anchor::Id),
    ("lv-container", Anchor::Id),
    // "Powered by", "powered by", "Powered By".
    ("owered by", Anchor::PoweredBy),
    ("owered By", Anchor::PoweredBy),
    ("itemprop=\"price\"", Anchor::InAttribute),
    ("add-to-cart", Anchor::InAttribute),
    ("addToCart", Anchor::InAttribute),
    // Chat services that come as links.
    ("live800.com", Anchor::InAttribute),
    ("qiao.baidu.com", Anchor::InAttribute),
    ("affim.baidu.com", Anchor::InAttribute),
    ("/kfid/kfc", Anchor::InAttribute),
    ("kuaishang.cn", Anchor::InAttribute),
    ("logo", Anchor::Logo),
];

/// Where an anchor stands on the page.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hit {
    start: usize,
    /// For a tag, the end of its name.
    end: usize,
    needle: &'static str,
    anchor: Anchor,
}

impl Hit {
    /// The `i`-th of [`TEXT_ANCHORS`] at `start..end`.
    pub(crate) fn text(i: usize, start: usize, end: usize) -> Hit {
        let (needle, anchor) = TEXT_ANCHORS[i];
        Hit {
            start,
            end,
            needle,
            anchor,
        }
    }

    /// A spelling of [`tag_spellings`] found at `start..end` of `body`, when it starts a tag.
    pub(crate) fn spelled(body: &[u8], start: usize, end: usize) -> Option<Hit> {
        let name = body.get(start + 1..end)?;
        let &(needle, anchor) = TAGS
            .iter()
            .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))?;
        ends_name(body, end).then_some(Hit {
            start,
            end,
            needle,
            anchor,
        })
    }
}

/// The spellings of [`TAGS`] searched for: lower and upper case (mixed case is not looked for).
pub(crate) fn tag_spellings() -> Vec<String> {
    TAGS.iter()
        .flat_map(|(n, _)| [format!("<{n}"), format!("<{}", n.to_ascii_uppercase())])
        .collect()
}

/// Besides the containers of [`HIDING`], the elements whose content is not the page's text.
const NOT_TEXT: &[(&[u8], &[u8])] = &[(b"<script", b"</script"), (b"<style", b"</style")];

/// What a meta that names the site, its generator or its language holds (`anguage`: any case
/// of Content-Language).
const META_KEYS: &[&[u8]] = &[
    b"og:site_name",
    b"application-name",
    b"apple-mobile-web-app-title",
    b"enerator",
    b"author",
    b"anguage",
];

/// How far back a hit is checked for an open comment or `<pre>`-like container: commented-out
/// widgets and published snippets are short.
const HIDDEN_BACK: usize = 8 * 1024;

/// The containers whose content is shown as text or not at all (§6.15).
const HIDING: &[(&[u8], &[u8])] = &[
    (b"<pre", b"</pre"),
    (b"<code", b"</code"),
    (b"<textarea", b"</textarea"),
    (b"<template", b"</template"),
];

/// [`META_KEYS`] as searchers, built once: a meta tag is short, and building a searcher for
/// each would cost more than the search.
static META_FINDERS: LazyLock<Vec<memmem::Finder<'static>>> =
    LazyLock::new(|| META_KEYS.iter().map(memmem::Finder::new).collect());

static VENDOR_SEARCH: LazyLock<AhoCorasick> =
    LazyLock::new(|| AhoCorasick::new(VENDORS.iter().map(|m| m.needle)).expect("static patterns"));

/// The page facts of `body`, a page in `encoding` (UTF-8, GBK or GB18030: ASCII bytes stand
/// for themselves), whose anchors are `hits` (in any order).
pub(crate) fn page_facts(
    body: &[u8],
    encoding: &'static Encoding,
    mut hits: Vec<Hit>,
) -> PageFacts {
    hits.sort_unstable_by_key(|h| h.start);
    let mut page = Page {
        b: body,
        encoding,
        facts: PageFacts::default(),
    };
    let text_from = page.head();
    page.body(&hits);
    page.language(text_from);
    page.facts
}

struct Page<'a> {
    b: &'a [u8],
    encoding: &'static Encoding,
    facts: PageFacts,
}

impl Page<'_> {
    /// `bytes` as text, character references decoded and white space collapsed.
    fn text(&self, bytes: &[u8]) -> String {
        let raw = self.encoding.decode_without_bom_handling(bytes).0;
        clean(&decode_refs(&raw))
    }

    /// The attributes of the start tag at `lt` (its `<`) whose name is `name_len` bytes long,
    /// decoded, and the index of its `>`.
    fn tag_attrs(&self, lt: usize, name_len: usize) -> (Vec<(String, String)>, usize) {
        let from = (lt + 1 + name_len).min(self.b.len());
        let gt = crate::fast::tag_end(self.b, from);
        let raw = self
            .encoding
            .decode_without_bom_handling(&self.b[from..gt])
            .0;
        let list = attrs(&raw)
            .map(|(n, v)| (n.to_ascii_lowercase(), v.into_owned()))
            .collect();
        (list, gt)
    }

    fn add(&mut self, marker: &Marker, found: &str) {
        self.add_feature(marker.kind, marker.what, found);
    }

    /// A feature found at `at`, unless it lies where nothing counts.
    fn add_at(&mut self, at: usize, marker: &Marker, found: &str) {
        self.add_feature_at(at, marker.kind, marker.what, found);
    }

    fn add_feature_at(&mut self, at: usize, kind: FeatureKind, what: &'static str, found: &str) {
        if !self.hidden(at) {
            self.add_feature(kind, what, found);
        }
    }

    fn add_feature(&mut self, kind: FeatureKind, what: &'static str, found: &str) {
        let features = &mut self.facts.features;
        if features.len() >= FEATURES_MAX
            || features.iter().any(|f| f.kind == kind && f.what == what)
        {
            return;
        }
        features.push(Feature {
            kind,
            what,
            marker: shorten(found, 120),
        });
    }

    /// Reads the head: `<html lang>`, `<title>`, the metas. Returns where the body's text
    /// starts (0 when the page marks no end of its head).
    fn head(&mut self) -> usize {
        let window = &self.b[..self.b.len().min(HEAD_WINDOW)];
        let marked = find_ci(window, b"</head").or_else(|| find_ci(window, b"<body"));
        let end = marked.unwrap_or(window.len());
        let mut at = 0;
        let mut content_language = None;
        while let Some(p) = memchr(b'<', &window[at..end]) {
            let lt = at + p;
            let name_len = window[lt + 1..end]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric())
                .count();
            let name = &window[lt + 1..lt + 1 + name_len];
            // Only the `html` tag and the metas that may name something have their
            // attributes read; of the others only the end is wanted.
            let tag_end = || crate::fast::tag_end(self.b, lt + 1 + name_len);
            at = lt + 1;
            if name.eq_ignore_ascii_case(b"html") {
                // Only `lang` is read: no list of the tag's attributes is built.
                let from = lt + 1 + name_len;
                let gt = tag_end();
                let raw = self
                    .encoding
                    .decode_without_bom_handling(&self.b[from..gt])
                    .0;
                at = gt;
                let find = |key: &str| {
                    attrs(&raw)
                        .find(|(n, _)| n.eq_ignore_ascii_case(key))
                        .map(|(_, v)| v.trim().to_string())
                };
                self.facts.lang_declared = find("lang")
                    .or_else(|| find("xml:lang"))
                    .filter(|v| !v.is_empty());
            } else if name.eq_ignore_ascii_case(b"title") && self.facts.title.is_none() {
                let gt = tag_end();
                let close = find_ci(&window[gt.min(end)..], b"</title").map(|q| gt + q);
                let close = close.unwrap_or(end.min(gt + 1024)).max(gt);
                let title = self.text(&window[(gt + 1).min(close)..close]);
                self.facts.title = Some(shorten(&title, NAME_MAX)).filter(|t| !t.is_empty());
                at = close;
            } else if name.eq_ignore_ascii_case(b"meta") {
                let gt = crate::fast::tag_end(window, lt + 1 + name_len);
                at = gt;
                // Most metas say nothing of the site: parse only those that may.
                let raw = &window[lt..gt];
                if META_FINDERS.iter().any(|k| k.find(raw).is_some()) {
                    let (list, _) = self.tag_attrs(lt, name_len);
                    self.meta(&list, &mut content_language);
                }
            } else if name.eq_ignore_ascii_case(b"script") || name.eq_ignore_ascii_case(b"style") {
                let gt = tag_end();
                let close = find_ci(&window[gt.min(end)..end], b"</").map_or(end, |q| gt + q);
                at = close.max(gt).min(end);
            }
        }
        if self.facts.lang_declared.is_none() {
            self.facts.lang_declared = content_language;
        }
        marked.unwrap_or(0)
    }

    fn meta(&mut self, list: &[(String, String)], content_language: &mut Option<String>) {
        let Some(content) = value(list, "content").map(clean) else {
            return;
        };
        let key = value(list, "property")
            .or_else(|| value(list, "name"))
            .or_else(|| value(list, "http-equiv"))
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let source = match key.as_str() {
            "og:site_name" => Some(NameSource::SiteName),
            "application-name" | "apple-mobile-web-app-title" => Some(NameSource::AppName),
            "generator" | "author" => {
                if let Some(p) = product(&content) {
                    let found = format!("<meta name=\"{key}\" content=\"{content}\">");
                    self.add(p, &found);
                }
                None
            }
            "content-language" => {
                *content_language = Some(content.clone()).filter(|c| !c.is_empty());
                None
            }
            _ => None,
        };
        if let Some(source) = source.filter(|_| !content.is_empty()) {
            let text = shorten(&content, NAME_MAX);
            if !self.facts.names.iter().any(|n| n.text == text) {
                self.facts.names.push(ShownName { source, text });
            }
        }
    }

    /// The features where the anchors stand, in the page's order.
    fn body(&mut self, hits: &[Hit]) {
        let b = self.b;
        let mut at = 0;
        for hit in hits.iter().filter(|h| h.end <= b.len()) {
            if hit.start < at {
                continue;
            }
            let (start, needle) = (hit.start, hit.needle);
            at = hit.end;
            let name_len = needle.len();
            let tag = || ends_name(b, hit.end);
            match hit.anchor {
                Anchor::Script if tag() => at = self.script(start),
                Anchor::Iframe if tag() => {
                    let (list, gt) = self.tag_attrs(start, name_len);
                    at = gt;
                    if let Some(src) = value(&list, "src") {
                        self.vendors(start, src, src);
                    }
                }
                Anchor::Input if tag() => {
                    let (list, gt) = self.tag_attrs(start, name_len);
                    at = gt;
                    self.input(start, &list);
                }
                Anchor::Form if tag() => {
                    let (list, gt) = self.tag_attrs(start, name_len);
                    at = gt;
                    self.form(start, &list, gt);
                }
                Anchor::Id => self.id(start, needle),
                Anchor::PoweredBy => self.powered_by(start.saturating_sub(1), hit.end),
                Anchor::InAttribute if enclosing_tag(b, start).is_some() => {
                    let value = self.text(&b[attr_value(b, start, hit.end)]);
                    let value = shorten(&value, 120);
                    if needle == "itemprop=\"price\"" {
                        let what = "schema.org price";
                        self.add_feature_at(start, FeatureKind::Product, what, needle);
                    } else {
                        self.vendors(start, &value, &value);
                    }
                }
                Anchor::Logo => self.logo(start),
                _ => {}
            }
        }
    }

    /// Whether `at` lies where nothing counts: in an HTML comment, or in `<pre>`, `<code>`,
    /// `<textarea>` or `<template>` (looked for in the [`HIDDEN_BACK`] bytes before it).
    fn hidden(&self, at: usize) -> bool {
        let from = at.saturating_sub(HIDDEN_BACK);
        let before = &self.b[from..at];
        let open_in = |open: &[u8], close: &[u8]| {
            memmem::rfind(before, open).is_some_and(|p| {
                (open == b"<!--" || ends_name(before, p + open.len()))
                    && find_ci(&before[p..], close).is_none()
            })
        };
        open_in(b"<!--", b"-->") || HIDING.iter().any(|(open, close)| open_in(open, close))
    }

    /// A `<script>` at `lt`: its URL, or its text. Returns where the scan goes on.
    fn script(&mut self, lt: usize) -> usize {
        let b = self.b;
        let (list, gt) = self.tag_attrs(lt, "script".len());
        let (close, after) = crate::fast::find_end_tag(b, (gt + 1).min(b.len()), "script");
        if let Some(src) = value(&list, "src") {
            self.vendors(lt, src, src);
            return after;
        }
        let kind = value(&list, "type").map(|t| t.trim().to_ascii_lowercase());
        match kind.as_deref() {
            Some(t) if TEMPLATE_TYPES.contains(&t) => return after,
            Some("text/x-magento-init") => {
                let found = "<script type=\"text/x-magento-init\">";
                self.add_feature_at(lt, FeatureKind::Shop, "Magento", found);
                return after;
            }
            _ => {}
        }
        let text = &b[(gt + 1).min(close)..close];
        for m in VENDOR_SEARCH.find_iter(text) {
            if in_js_comment(text, m.start()) {
                continue;
            }
            let marker = &VENDORS[m.pattern().as_usize()];
            let found = self.text(&text[line_around(text, m.start(), m.end())]);
            self.add_at(lt, marker, &found);
        }
        after
    }

    /// The vendors' markers in a URL or attribute value of the tag at `lt`.
    fn vendors(&mut self, lt: usize, hay: &str, found: &str) {
        for m in VENDOR_SEARCH.find_iter(hay) {
            let marker = &VENDORS[m.pattern().as_usize()];
            self.add_at(lt, marker, found);
        }
    }

    fn input(&mut self, lt: usize, list: &[(String, String)]) {
        let kind = value(list, "type").map(|t| t.trim().to_ascii_lowercase());
        let name = value(list, "name")
            .or_else(|| value(list, "id"))
            .unwrap_or("");
        match kind.as_deref() {
            Some("password") => self.add_feature_at(
                lt,
                FeatureKind::Account,
                "a password field",
                &format!("<input type=\"password\" name=\"{name}\">"),
            ),
            Some("file") => self.add_feature_at(
                lt,
                FeatureKind::Upload,
                "a file upload field",
                &format!("<input type=\"file\" name=\"{name}\">"),
            ),
            _ => {}
        }
    }

    fn form(&mut self, lt: usize, list: &[(String, String)], gt: usize) {
        if let Some(id) = value(list, "id") {
            if let Some(m) = IDS.iter().find(|m| m.needle == id) {
                self.add_at(lt, m, &format!("<form id=\"{id}\">"));
            }
        }
        let Some(action) = value(list, "action") else {
            return;
        };
        // A PayPal donation button pays no shop.
        let ahead = &self.b[gt..self.b.len().min(gt + 600)];
        if action.contains("paypal.com") && memmem::find(ahead, b"_donations").is_some() {
            return;
        }
        let found = format!("<form action=\"{}\">", shorten(action, 80));
        self.vendors(lt, action, &found);
    }

    /// An id anchor: counted when it is an attribute value (`id="SOHUCS"`).
    fn id(&mut self, at: usize, needle: &str) {
        let b = self.b;
        let quoted = at > 0
            && matches!(b[at - 1], b'"' | b'\'' | b'=')
            && b.get(at + needle.len())
                .is_some_and(|c| matches!(c, b'"' | b'\'' | b' ' | b'>'));
        if !quoted || enclosing_tag(b, at).is_none() {
            return;
        }
        if let Some(m) = IDS.iter().find(|m| m.needle == needle) {
            self.add_at(at, m, &format!("id=\"{needle}\""));
        }
    }

    /// "Powered by <product>" in the page's text or a link's text.
    fn powered_by(&mut self, start: usize, end: usize) {
        let b = self.b;
        if enclosing_tag(b, start).is_some() {
            return;
        }
        // The product's name follows, maybe inside a link: skip tags and space.
        let after = &b[end..b.len().min(end + 200)];
        let mut name = String::new();
        let mut i = 0;
        while i < after.len() && name.len() < 24 {
            match after[i] {
                b'<' => i += memchr(b'>', &after[i..]).map_or(after.len(), |q| q + 1),
                c if c.is_ascii() && !c.is_ascii_control() => {
                    if !(name.is_empty() && (c == b' ' || c == b':')) {
                        name.push(char::from(c));
                    }
                    i += 1;
                }
                _ => break,
            }
        }
        if let Some(p) = product(&name) {
            let found = format!("Powered by {}", name.trim());
            self.add_at(start, p, &found);
        }
    }

    /// The logo's name: the `alt` of the logo image, or the `title` of the logo link.
    fn logo(&mut self, at: usize) {
        if self
            .facts
            .names
            .iter()
            .any(|n| n.source == NameSource::Logo)
        {
            return;
        }
        let b = self.b;
        let Some(lt) = enclosing_tag(b, at) else {
            return;
        };
        let name_len = b[lt + 1..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        let tag = b[lt + 1..lt + 1 + name_len].to_ascii_lowercase();
        let (list, gt) = self.tag_attrs(lt, name_len);
        let marks_logo =
            |n: &str| value(&list, n).is_some_and(|v| v.to_ascii_lowercase().contains("logo"));
        let boxes = matches!(
            tag.as_slice(),
            b"a" | b"div" | b"span" | b"h1" | b"h2" | b"p" | b"figure" | b"i" | b"strong"
        );
        let mut name = match tag.as_slice() {
            b"img" => value(&list, "alt").map(str::to_string),
            _ => None,
        };
        if boxes && (marks_logo("class") || marks_logo("id")) {
            // A logo link or box: the image inside it, else the link's title.
            let inside = &b[gt.min(b.len())..b.len().min(gt + 600)];
            let close = memmem::find(inside, b"</").unwrap_or(inside.len());
            if let Some(img) = find_ci(&inside[..close], b"<img") {
                let (img_attrs, _) = self.tag_attrs(gt + img, 3);
                name = value(&img_attrs, "alt").map(str::to_string);
            }
            if name.as_deref().is_none_or(is_generic_logo) {
                // The box's own title, else that of the link inside it.
                name = value(&list, "title").map(str::to_string);
                if name.is_none() {
                    if let Some(a) = find_ci(&inside[..close], b"<a ") {
                        let (link, _) = self.tag_attrs(gt + a, 1);
                        name = value(&link, "title").map(str::to_string);
                    }
                }
            }
        }
        if let Some(text) = name.map(|n| clean(&n)).filter(|n| !is_generic_logo(n)) {
            self.facts.names.push(ShownName {
                source: NameSource::Logo,
                text: shorten(&text, NAME_MAX),
            });
        }
    }

    /// The language of the visible text at the start of the body, and of the title.
    fn language(&mut self, text_from: usize) {
        let b = self.b;
        let gbk = self.encoding != encoding_rs::UTF_8;
        let mut counts = Counts::default();
        if let Some(title) = &self.facts.title {
            counts.add(title.as_bytes(), false);
        }
        let start = text_from.min(b.len());
        let window = &b[start..b.len().min(start + TEXT_WINDOW)];
        let mut at = 0;
        let mut counted = 0;
        while at < window.len() && counted < TEXT_BYTES && counts.units() < TEXT_ENOUGH {
            let next = memchr(b'<', &window[at..]).map_or(window.len(), |p| at + p);
            let text = &window[at..next];
            if text.iter().any(|&c| !c.is_ascii_whitespace()) {
                // A long run is counted only as far as the budget goes.
                let text = &text[..text.len().min(TEXT_BYTES - counted)];
                counts.add(text, gbk);
                counted += text.len();
            }
            if next >= window.len() {
                break;
            }
            let rest = &window[next..];
            // Comments, programs, styles and code are not the page's language.
            // Each of them opens with `!`, s, p, c or t: most tags are passed over on that byte.
            let skip_to: Option<&[u8]> = match rest.get(1).map(u8::to_ascii_lowercase) {
                Some(b'!') if rest.starts_with(b"<!--") => Some(b"-->"),
                Some(b's' | b'p' | b'c' | b't') => NOT_TEXT
                    .iter()
                    .chain(HIDING)
                    .find(|(open, _)| starts_ci(rest, open) && ends_name(rest, open.len()))
                    .map(|(_, close)| *close),
                _ => None,
            };
            at = match skip_to {
                Some(end) => find_ci(rest, end).map_or(window.len(), |q| next + q + end.len()),
                None => memchr(b'>', rest).map_or(window.len(), |q| next + q + 1),
            };
        }
        self.facts.lang = counts.language(self.facts.lang_declared.as_deref());
    }
}

/// Counts of the scripts of a text.
#[derive(Default)]
#[cfg_attr(test, derive(Debug, PartialEq, Clone))]
struct Counts {
    han: u32,
    kana: u32,
    hangul: u32,
    latin_words: u32,
    cyrillic_words: u32,
}

/// Languages written in Latin script, for naming Latin text by the declared language.
const LATIN_LANGUAGES: &[&str] = &[
    "en", "fr", "de", "es", "it", "pt", "nl", "vi", "id", "ms", "tr", "pl", "sv", "da", "no", "nb",
    "fi", "cs", "ro", "hu",
];

impl Counts {
    /// Weighted units: a Latin or Cyrillic word is one, two Han, kana or hangul characters are
    /// one (a Chinese word is about two characters).
    fn units(&self) -> u32 {
        (self.han + self.kana + self.hangul) / 2 + self.latin_words + self.cyrillic_words
    }

    /// Counts the text `t` (UTF-8, or GBK when `gbk`); character references are skipped. A
    /// run of Cyrillic letters is one word, across ASCII letters and references; it ends at
    /// other ASCII or another script. Stops as soon as the sample is enough to tell.
    ///
    /// Each run of ASCII letters and of Han characters is walked by a loop of its own: this is
    /// the page facts' costliest step on a small page (issue 30's budget).
    fn add(&mut self, t: &[u8], gbk: bool) {
        let n = t.len();
        let mut i = 0;
        let mut cyrillic_run = 0;
        while i < n {
            let c = t[i];
            if c.is_ascii_alphabetic() {
                let start = i;
                i += 1;
                while i < n && t[i].is_ascii_alphabetic() {
                    i += 1;
                }
                if i - start >= 2 {
                    self.latin_words += 1;
                }
                continue;
            }
            if c == b'&' {
                i += t[i..]
                    .iter()
                    .take(12)
                    .position(|&x| x == b';')
                    .map_or(1, |p| p + 1);
                continue;
            }
            if c < 0x80 {
                if cyrillic_run > 0 {
                    self.cyrillic_words += 1;
                    cyrillic_run = 0;
                }
                i += 1;
                continue;
            }
            let next = t.get(i + 1).copied().unwrap_or(0);
            let (len, script) = if gbk {
                gbk_char(c, next)
            } else {
                utf8_char(c, next)
            };
            match script {
                Script::Han => self.han += 1,
                Script::Kana => self.kana += 1,
                Script::Hangul => self.hangul += 1,
                Script::Cyrillic => cyrillic_run += 1,
                Script::Other => {}
            }
            // Enough to tell: the rest of the sample would not change the answer.
            if self.units() >= TEXT_ENOUGH {
                return;
            }
            if script != Script::Cyrillic && cyrillic_run > 0 {
                self.cyrillic_words += 1;
                cyrillic_run = 0;
            }
            i += len;
            // The Han characters that follow, each counted as above.
            if script == Script::Han && gbk {
                while let Some(&[lead, next]) = t.get(i..i + 2) {
                    if gbk_char(lead, next).1 != Script::Han {
                        break;
                    }
                    self.han += 1;
                    if self.units() >= TEXT_ENOUGH {
                        return;
                    }
                    i += 2;
                }
            } else if script == Script::Han {
                while let Some(&[lead, next, _]) = t.get(i..i + 3) {
                    if !utf8_han(lead, next) {
                        break;
                    }
                    self.han += 1;
                    if self.units() >= TEXT_ENOUGH {
                        return;
                    }
                    i += 3;
                }
            }
        }
        if cyrillic_run > 0 {
            self.cyrillic_words += 1;
        }
    }

    fn language(&self, declared: Option<&str>) -> Option<TextLanguage> {
        let total = self.units();
        if total < TEXT_MIN {
            return None;
        }
        let declared_primary = declared.and_then(|d| d.split(['-', '_']).next());
        let latin = declared_primary
            .and_then(|p| LATIN_LANGUAGES.iter().find(|l| l.eq_ignore_ascii_case(p)))
            .unwrap_or(&"en");
        let cjk = self.han + self.kana;
        let candidates = [
            // Japanese writes kanji among its kana.
            if self.kana * 10 >= cjk && self.kana > 0 {
                ("ja", cjk / 2)
            } else {
                ("zh", self.han / 2)
            },
            ("ko", self.hangul / 2),
            ("ru", self.cyrillic_words),
            (latin, self.latin_words),
        ];
        let (tag, units) = candidates.into_iter().max_by_key(|(_, u)| *u)?;
        let share = u8::try_from(units * 100 / total).unwrap_or(100);
        Some(TextLanguage {
            tag: tag.to_string(),
            share,
            sampled: total,
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    Han,
    Kana,
    Hangul,
    Cyrillic,
    Other,
}

/// The length and script of the UTF-8 character that starts with `lead` (`next` its second
/// byte).
fn utf8_char(lead: u8, next: u8) -> (usize, Script) {
    match lead {
        0xC0..=0xDF => {
            let s = if matches!(lead, 0xD0 | 0xD1) {
                Script::Cyrillic
            } else {
                Script::Other
            };
            (2, s)
        }
        _ if utf8_han(lead, next) => (3, Script::Han),
        // U+3040–U+30FF: hiragana and katakana.
        0xE3 if (0x81..=0x83).contains(&next) => (3, Script::Kana),
        // U+AC00–U+D7A3: hangul syllables.
        0xEA if next >= 0xB0 => (3, Script::Hangul),
        0xEB | 0xEC => (3, Script::Hangul),
        0xED if next <= 0x9E => (3, Script::Hangul),
        0xE0..=0xEF => (3, Script::Other),
        0xF0..=0xF7 => (4, Script::Other),
        _ => (1, Script::Other),
    }
}

/// Whether the UTF-8 character that starts with `lead` (`next` its second byte) is in
/// U+3400–U+9FFF: the CJK unified ideographs (and extension A).
fn utf8_han(lead: u8, next: u8) -> bool {
    matches!(lead, 0xE4..=0xE9) || (lead == 0xE3 && next >= 0x90)
}

/// The length and script of the GBK (GB18030) character that starts with `lead`.
fn gbk_char(lead: u8, next: u8) -> (usize, Script) {
    if (0x30..=0x39).contains(&next) {
        // GB18030's four-byte form.
        return (4, Script::Other);
    }
    let s = match lead {
        // GB2312 hanzi, and GBK's extensions of them.
        0xB0..=0xF7 if next >= 0xA1 => Script::Han,
        0x81..=0xA0 => Script::Han,
        0xAA..=0xFE if next < 0xA1 => Script::Han,
        0xA4 | 0xA5 => Script::Kana,
        0xA7 => Script::Cyrillic,
        _ => Script::Other,
    };
    (2, s)
}

/// The value of attribute `name` in a decoded list.
fn value<'l>(list: &'l [(String, String)], name: &str) -> Option<&'l str> {
    list.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// White space collapsed and trimmed.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// At most `max` characters of `s`, with `…` when cut.
fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// A logo's text that names nothing (`logo`, `Logo`, `标志`).
fn is_generic_logo(s: &str) -> bool {
    let t = s
        .trim()
        .trim_matches(|c: char| c.is_ascii_punctuation())
        .to_lowercase();
    t.is_empty()
        || matches!(
            t.as_str(),
            "logo" | "标志" | "图标" | "home" | "首页" | "image" | "img"
        )
}

/// Whether the tag name that ends at `i` ends there (not `<pre` of `<preview`).
fn ends_name(b: &[u8], i: usize) -> bool {
    b.get(i).is_none_or(|&c| !is_name_byte(c))
}

/// The `<` of the tag `at` stands in, when it stands in one.
fn enclosing_tag(b: &[u8], at: usize) -> Option<usize> {
    let from = at.saturating_sub(TAG_BACK);
    let p = from + memrchr2(b'<', b'>', &b[from..at])?;
    (b[p] == b'<' && b.get(p + 1).is_some_and(u8::is_ascii_alphabetic)).then_some(p)
}

/// The attribute value `start..end` stands in: from the quote or `=` before it to the quote,
/// space or `>` after it (at most 300 bytes each way).
fn attr_value(b: &[u8], start: usize, end: usize) -> std::ops::Range<usize> {
    let delimiter = |c: &u8| matches!(c, b'"' | b'\'' | b'=' | b' ' | b'>' | b'<');
    let from = start.saturating_sub(300);
    let begin = b[from..start]
        .iter()
        .rposition(delimiter)
        .map_or(from, |p| from + p + 1);
    let to = b.len().min(end + 300);
    let stop = b[end..to]
        .iter()
        .position(delimiter)
        .map_or(to, |p| end + p);
    begin..stop
}

/// The line of `text` around `start..end`, at most 60 bytes each side.
fn line_around(text: &[u8], start: usize, end: usize) -> std::ops::Range<usize> {
    let from = text[start.saturating_sub(60)..start]
        .iter()
        .rposition(|&c| c == b'\n' || c == b';')
        .map_or(start.saturating_sub(60), |p| {
            start.saturating_sub(60) + p + 1
        });
    let to = text[end..text.len().min(end + 60)]
        .iter()
        .position(|&c| c == b'\n' || c == b';')
        .map_or(text.len().min(end + 60), |p| end + p);
    // Keep to character boundaries of UTF-8 and GBK: step over bytes of a cut character.
    let from = (from..start).find(|&i| text[i] < 0x80).unwrap_or(start);
    let to = (end..to).rev().find(|&i| text[i - 1] < 0x80).unwrap_or(end);
    from..to
}

/// Whether `at` in script text lies in a JavaScript comment: after `//` on its line, or
/// inside `/* … */`.
fn in_js_comment(text: &[u8], at: usize) -> bool {
    let line_start = memchr::memrchr(b'\n', &text[..at]).map_or(0, |p| p + 1);
    let line = &text[line_start..at];
    let mut i = 0;
    while let Some(p) = memmem::find(&line[i..], b"//") {
        let q = i + p;
        // `https://` and `"//host/…"` are URLs: a comment starts a line or follows code.
        if q == 0
            || line[q - 1].is_ascii_whitespace()
            || matches!(line[q - 1], b';' | b')' | b'}' | b'{')
        {
            return true;
        }
        i = q + 2;
    }
    match memmem::rfind(&text[..at], b"/*") {
        Some(open) => memmem::find(&text[open..at], b"*/").is_none(),
        None => false,
    }
}

/// ASCII-case-insensitive search of an ASCII `needle` (lower case).
fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = needle[0];
    let mut at = 0;
    while let Some(p) = memchr::memchr2(first, first.to_ascii_uppercase(), &hay[at..]) {
        let i = at + p;
        if starts_ci(&hay[i..], needle) {
            return Some(i);
        }
        at = i + 1;
    }
    None
}

fn starts_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.get(..needle.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests;
