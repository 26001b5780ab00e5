//! Reading footer regions (docs/rulebook.md §6.4–6.10), shared by both extractors: region text
//! with block breaks, candidates from text, `alt`/`title` and inline scripts, their links, the
//! PSB number, code and icon, the copyright holder and the primary candidate. The regions come
//! from a whole-page DOM ([`crate::reference`]) or from fragments the tag scanner cut out
//! ([`crate::fast`]).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use base64::Engine as _;
use beian_numbers::hosts::{MIIT_HOST, is_miit_host};
use beian_numbers::{Found, NumberMatch, scan};
use beian_types::{
    CandidateSource, FooterFacts, FooterRegion, IcpCandidate, Link, LinkVia, NumberKind,
    PsbCandidate,
};
use ego_tree::iter::Edge;
use ego_tree::{NodeId, NodeRef};
use regex::Regex;
use scraper::{Html, Node};

use crate::copyright::copyright_holder;
use crate::normalise::{normalise, push_normalised};

/// Elements whose boundaries are hard breaks in region text (§6.4).
pub(crate) const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "html",
    "li",
    "main",
    "menu",
    "nav",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];
/// Elements whose content is not visible text (§6.2).
const INVISIBLE: &[&str] = &[
    "script", "style", "noscript", "template", "head", "title", "textarea",
];
static SCRIPT_TARGET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:getElementById\(\s*['"]([^'"]+)['"]|querySelector(?:All)?\(\s*['"]#([A-Za-z0-9_\-]+))"#)
        .expect("static regex")
});
/// The URL an `onclick` handler opens (`window.open('…')`, `location.href="…"`).
static ONCLICK_URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)(?:https?:)?//[^'"\s)]+"#).expect("static regex"));
static HREF_ATTR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)href\s*=\s*\\?["']([^"'\\]*)"#).expect("static regex"));
pub(crate) fn el_name<'a>(n: &NodeRef<'a, Node>) -> Option<&'a str> {
    n.value().as_element().map(|e| e.name())
}

/// The host a link element (as [`RegionText`] records links) points to.
pub(crate) fn link_host(n: &NodeRef<'_, Node>) -> Option<String> {
    link_of(n)?.host
}

/// The link element (`<a href>`, an `<a onclick>` that opens a URL, or a Hexo `exturl`
/// span) a node stands for, if any.
fn link_of(n: &NodeRef<'_, Node>) -> Option<Link> {
    let e = n.value().as_element()?;
    if e.name() == "a" {
        if let Some(href) = e.attr("href") {
            // Browsers strip the spaces and newlines some templates pad an href with.
            let href = href.trim().to_string();
            return Some(Link {
                host: url_host(&href),
                href,
                via: LinkVia::Anchor,
            });
        }
        let href = ONCLICK_URL.find(e.attr("onclick")?)?.as_str().to_string();
        return Some(Link {
            host: url_host(&href),
            href,
            via: LinkVia::Onclick,
        });
    }
    if e.classes().any(|c| c == "exturl") {
        let data = e.attr("data-url")?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .ok()?;
        let href = String::from_utf8(bytes).ok()?;
        return Some(Link {
            host: url_host(&href),
            href,
            via: LinkVia::Exturl,
        });
    }
    None
}

/// Lower-case host of an absolute (or protocol-relative) http(s) URL.
pub(crate) fn url_host(href: &str) -> Option<String> {
    let h = href.trim();
    let abs = if h.starts_with("//") {
        format!("https:{h}")
    } else {
        h.to_string()
    };
    let u = url::Url::parse(&abs).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    u.host_str()
        .map(|s| s.trim_end_matches('.').to_ascii_lowercase())
}

/// `code=` in the fragment's query (new platform) or the query string, or `recordcode=`.
fn link_code(href: &str) -> Option<String> {
    let params = href.split(['?', '&', '#']).skip(1);
    for p in params {
        if let Some((k, v)) = p.split_once('=') {
            if k.eq_ignore_ascii_case("code") || k.eq_ignore_ascii_case("recordcode") {
                let digits: String = v.chars().take_while(char::is_ascii_digit).collect();
                if !digits.is_empty() {
                    return Some(digits);
                }
            }
        }
    }
    None
}

struct Seg {
    start: usize,
    end: usize,
    node: NodeId,
    link: Option<NodeId>,
    order: usize,
}

#[derive(Default)]
pub(crate) struct RegionText {
    pub(crate) text: String,
    segs: Vec<Seg>,
    /// (order, attribute kind, normalised value, element) for alt/title attributes.
    attrs: Vec<(usize, CandidateSource, String, NodeId)>,
    ids: HashSet<String>,
    miit_links: Vec<String>,
}

impl RegionText {
    /// The text node that byte `at` of the text comes from, and the link it sits in.
    pub(crate) fn seg_at(&self, at: usize) -> Option<(NodeId, Option<NodeId>)> {
        self.segs
            .iter()
            .find(|s| s.start <= at && at < s.end)
            .map(|s| (s.node, s.link))
    }

    /// Each text node's segment, by node (for [`RegionText::span_under`]).
    pub(crate) fn seg_index(&self) -> HashMap<NodeId, usize> {
        self.segs
            .iter()
            .enumerate()
            .map(|(i, s)| (s.node, i))
            .collect()
    }

    /// The byte range of the text that `el`'s descendants show, if they show any (`index`:
    /// [`RegionText::seg_index`]). Costs one pass over `el`'s subtree.
    pub(crate) fn span_under(
        &self,
        el: &NodeRef<'_, Node>,
        index: &HashMap<NodeId, usize>,
    ) -> Option<std::ops::Range<usize>> {
        let (mut first, mut last) = (usize::MAX, None);
        for d in el.descendants() {
            if let Some(&i) = index.get(&d.id()) {
                first = first.min(i);
                last = Some(last.map_or(i, |l: usize| l.max(i)));
            }
        }
        let (first, last) = (self.segs.get(first)?, self.segs.get(last?)?);
        Some(first.start..last.end)
    }

    pub(crate) fn hard_break(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
    }

    /// Appends the visible text under `root` (skipping `skip` subtrees), recording segments.
    pub(crate) fn walk(
        &mut self,
        root: NodeRef<'_, Node>,
        skip: &HashSet<NodeId>,
        order: &mut usize,
    ) {
        let mut hidden: Option<NodeId> = None;
        let mut links: Vec<NodeId> = Vec::new();
        for edge in root.traverse() {
            match edge {
                Edge::Open(n) => {
                    *order += 1;
                    if hidden.is_some() {
                        continue;
                    }
                    match n.value() {
                        Node::Text(t) => {
                            let start = self.text.len();
                            for c in t.chars() {
                                push_normalised(c, &mut self.text);
                            }
                            if self.text.len() > start {
                                self.segs.push(Seg {
                                    start,
                                    end: self.text.len(),
                                    node: n.id(),
                                    link: links.last().copied(),
                                    order: *order,
                                });
                            }
                        }
                        Node::Element(e) => {
                            let name = e.name();
                            let skipped = n.id() != root.id() && skip.contains(&n.id());
                            if INVISIBLE.contains(&name) || skipped {
                                // A region left out still stands between the texts around
                                // it: a number does not run on across it.
                                if skipped && BLOCK.contains(&name) {
                                    self.hard_break();
                                }
                                hidden = Some(n.id());
                                continue;
                            }
                            if BLOCK.contains(&name) {
                                self.hard_break();
                            }
                            if let Some(id) = e.id() {
                                self.ids.insert(id.to_string());
                            }
                            if let Some(link) = link_of(&n) {
                                if let Some(h) = link.host.filter(|h| is_miit_host(h)) {
                                    self.miit_links.push(h);
                                }
                                links.push(n.id());
                            }
                            for (attr, src) in [
                                ("alt", CandidateSource::Alt),
                                ("title", CandidateSource::Title),
                            ] {
                                if let Some(v) = e.attr(attr) {
                                    self.attrs.push((*order, src, normalise(v), n.id()));
                                }
                            }
                        }
                        _ => {}
                    }
                }
                Edge::Close(n) => {
                    if hidden == Some(n.id()) {
                        hidden = None;
                        continue;
                    }
                    if hidden.is_some() {
                        continue;
                    }
                    if links.last() == Some(&n.id()) {
                        links.pop();
                    }
                    if el_name(&n).is_some_and(|name| BLOCK.contains(&name)) {
                        self.hard_break();
                    }
                }
            }
        }
        self.hard_break();
    }

    /// The links around the non-space characters of `range` (empty when any of them has
    /// none), and the first text node.
    fn links_for(&self, range: &std::ops::Range<usize>) -> (Vec<NodeId>, Option<NodeId>, usize) {
        let mut links: Vec<NodeId> = Vec::new();
        let mut unlinked = false;
        let mut first = None;
        let mut order = 0;
        for s in self
            .segs
            .iter()
            .filter(|s| s.start < range.end && range.start < s.end)
        {
            let lo = s.start.max(range.start);
            let hi = s.end.min(range.end);
            if self.text[lo..hi].trim().is_empty() {
                continue;
            }
            if first.is_none() {
                first = Some(s.node);
                order = s.order;
            }
            match s.link {
                Some(l) if !links.contains(&l) => links.push(l),
                Some(_) => {}
                None => unlinked = true,
            }
        }
        if unlinked {
            links.clear();
        }
        (links, first, order)
    }
}

fn previous_element_is_img(n: NodeRef<'_, Node>) -> bool {
    let mut cur = n.prev_sibling();
    while let Some(s) = cur {
        match s.value() {
            Node::Text(t) if t.trim().is_empty() => cur = s.prev_sibling(),
            Node::Comment(_) => cur = s.prev_sibling(),
            Node::Element(e) => return is_shown_img(e),
            _ => return false,
        }
    }
    false
}

fn has_img_descendant(n: NodeRef<'_, Node>) -> bool {
    n.descendants()
        .any(|d| d.value().as_element().is_some_and(is_shown_img))
}

/// An `<img>` a visitor sees: not hidden by its own `hidden` attribute or inline style.
fn is_shown_img(e: &scraper::node::Element) -> bool {
    if e.name() != "img" || e.attr("hidden").is_some() {
        return false;
    }
    let style: String = e
        .attr("style")
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    !(style.contains("display:none") || style.contains("visibility:hidden"))
}

/// The one link of a number: the link around all of it, or, when it is split over several
/// links (`<a>京ICP备</a><a>2021…号</a>`), the first of them if all go to the same host.
fn one_link(html: &Html, links: &[NodeId]) -> (Option<Link>, Option<NodeId>) {
    let mut resolved = links
        .iter()
        .filter_map(|id| html.tree.get(*id))
        .map(|n| (link_of(&n), n.id()));
    let Some((Some(first), id)) = resolved.next() else {
        return (None, None);
    };
    let same = |l: &Option<Link>| {
        l.as_ref()
            .is_some_and(|l| l.host.is_some() && l.host == first.host)
    };
    if resolved.all(|(l, _)| same(&l)) {
        (Some(first), Some(id))
    } else {
        (None, None)
    }
}

/// Sort key of §6.8 (lower is better).
fn primary_key(c: &IcpCandidate) -> (u8, u8, u8, u8, usize) {
    let source = match c.source {
        CandidateSource::Text => 0,
        CandidateSource::Alt | CandidateSource::Title => 1,
        CandidateSource::Script => 2,
        CandidateSource::Body => 3,
    };
    let miit = c.link.as_ref().and_then(|l| l.host.as_deref()) == Some(MIIT_HOST);
    let kind = match c.number.kind {
        NumberKind::Service => 0,
        NumberKind::LicenceService => 1,
        NumberKind::Subject => 2,
        NumberKind::Licence => 3,
        NumberKind::App => 4,
    };
    (
        u8::from(!c.in_footer),
        source,
        u8::from(!miit),
        kind,
        c.order,
    )
}

struct Scripts {
    icp: Vec<IcpCandidate>,
    psb: Option<PsbCandidate>,
}

/// Inline scripts (§6.5, §6.6): numbers in script text, linked when inside an `<a href>`
/// literal; in the footer when the script writes into an id that exists in the region.
fn scan_scripts<S: AsRef<str>>(
    scripts: &[S],
    region_ids: &HashSet<String>,
    order_base: usize,
) -> Scripts {
    let mut out = Scripts {
        icp: Vec::new(),
        psb: None,
    };
    for (i, raw) in scripts.iter().enumerate() {
        let text = normalise(raw.as_ref());
        let found = scan(&text);
        if found.is_empty() {
            continue;
        }
        let writes_footer = SCRIPT_TARGET.captures_iter(&text).any(|c| {
            c.get(1)
                .or_else(|| c.get(2))
                .is_some_and(|m| region_ids.contains(m.as_str()))
        });
        for NumberMatch { range, found } in found {
            let link = script_anchor(&text, &range);
            match found {
                Found::Icp(number) => out.icp.push(IcpCandidate {
                    number,
                    source: CandidateSource::Script,
                    in_footer: writes_footer,
                    link,
                    order: order_base + i,
                }),
                Found::Psb(number) if out.psb.is_none() => {
                    let link_code = link.as_ref().and_then(|l| link_code(&l.href));
                    out.psb = Some(PsbCandidate {
                        number,
                        source: CandidateSource::Script,
                        link,
                        link_code,
                        icon: false,
                    });
                }
                Found::Psb(_) => {}
            }
        }
    }
    out
}

fn script_anchor(text: &str, range: &std::ops::Range<usize>) -> Option<Link> {
    let before = &text[..range.start];
    let a = before.rfind("<a ")?;
    if before[a..].contains("</a>") || !text[range.end..].contains("</a>") {
        return None;
    }
    let href = HREF_ATTR
        .captures(&before[a..])?
        .get(1)?
        .as_str()
        .to_string();
    Some(Link {
        host: url_host(&href),
        href,
        via: LinkVia::Script,
    })
}

/// Everything but the body fallback, from the footer regions (nodes of
/// `html`) and the inline scripts' text.
pub(crate) fn collect<S: AsRef<str>>(
    html: &Html,
    regions: &[NodeId],
    kind: FooterRegion,
    scripts: &[S],
    encoding: &'static str,
) -> FooterFacts {
    let mut facts = FooterFacts::empty(encoding);
    facts.region = kind;

    let mut rt = RegionText::default();
    let mut order = 0;
    let no_skip = HashSet::new();
    for id in regions {
        if let Some(n) = html.tree.get(*id) {
            rt.walk(n, &no_skip, &mut order);
        }
    }

    let mut icp = Vec::new();
    for NumberMatch { range, found } in scan(&rt.text) {
        let (links, first, ord) = rt.links_for(&range);
        let (link, link_id) = one_link(html, &links);
        match found {
            Found::Icp(number) => icp.push(IcpCandidate {
                number,
                source: CandidateSource::Text,
                in_footer: true,
                link,
                order: ord,
            }),
            Found::Psb(number) if facts.psb.is_none() => {
                let icon = match link_id.and_then(|id| html.tree.get(id)) {
                    Some(a) => has_img_descendant(a) || previous_element_is_img(a),
                    None => first.and_then(|id| html.tree.get(id)).is_some_and(|t| {
                        previous_element_is_img(t)
                            || t.parent().is_some_and(|p| previous_element_is_img(p))
                    }),
                };
                let link_code = link.as_ref().and_then(|l| link_code(&l.href));
                facts.psb = Some(PsbCandidate {
                    number,
                    source: CandidateSource::Text,
                    link,
                    link_code,
                    icon,
                });
            }
            Found::Psb(_) => {}
        }
    }
    for (ord, source, value, el) in &rt.attrs {
        for NumberMatch { found, .. } in scan(value) {
            if let Found::Icp(number) = found {
                let link = html.tree.get(*el).and_then(|n| {
                    std::iter::once(n)
                        .chain(n.ancestors())
                        .find_map(|a| link_of(&a))
                });
                icp.push(IcpCandidate {
                    number,
                    source: *source,
                    in_footer: true,
                    link,
                    order: *ord,
                });
            }
        }
    }
    let scripts = scan_scripts(scripts, &rt.ids, order + 1);
    // A script (or a `<script type="text/html">` template) repeating a number the footer
    // shows adds nothing.
    let shown: HashSet<String> = icp.iter().map(|c| c.number.canonical.clone()).collect();
    icp.extend(
        scripts
            .icp
            .into_iter()
            .filter(|c| !shown.contains(&c.number.canonical)),
    );
    if facts.psb.is_none() {
        facts.psb = scripts.psb;
    }
    icp.sort_by_key(|c| c.order);
    // Orders become ranks: comparable between the reference and the fast path.
    for (rank, c) in icp.iter_mut().enumerate() {
        c.order = rank;
    }
    facts.primary = icp.iter().min_by_key(|c| primary_key(c)).cloned();
    facts.icp_all = icp;
    facts.miit_link_hosts = rt.miit_links;
    facts.copyright_holder = copyright_holder(&rt.text);
    facts
}
