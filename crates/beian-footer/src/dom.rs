//! The reference procedure of icp-rules.md §6.2–6.10 on a full HTML5 DOM.

use std::collections::HashSet;
use std::sync::LazyLock;

use base64::Engine as _;
use beian_rules::is_miit_host;
use beian_rules::numbers::{Found, NumberMatch, scan};
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
const BLOCK: &[&str] = &[
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
/// id/class substrings that mark a footer region (§6.3).
const MARKERS: &[&str] = &["foot", "bottom", "copyright", "colophon"];

static SCRIPT_TARGET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:getElementById\(\s*['"]([^'"]+)['"]|querySelector(?:All)?\(\s*['"]#([A-Za-z0-9_\-]+))"#)
        .expect("static regex")
});
static HREF_ATTR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)href\s*=\s*\\?["']([^"'\\]*)"#).expect("static regex"));
static REFRESH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)^\s*\d*(?:\.\d*)?\s*[;,]?\s*(?:url\s*=\s*)?['"]?([^'"]*)"#)
        .expect("static regex")
});

fn el_name<'a>(n: &NodeRef<'a, Node>) -> Option<&'a str> {
    n.value().as_element().map(|e| e.name())
}

fn is_marked(e: &scraper::node::Element) -> bool {
    let marked = |s: &str| {
        let l = s.to_ascii_lowercase();
        MARKERS.iter().any(|m| l.contains(m))
    };
    e.name() == "footer"
        || e.attr("role")
            .is_some_and(|r| r.eq_ignore_ascii_case("contentinfo"))
        || e.id().is_some_and(marked)
        || e.classes().any(marked)
}

/// The link element (`<a href>` or a Hexo `exturl` span) a node stands for, if any.
fn link_of(n: &NodeRef<'_, Node>) -> Option<Link> {
    let e = n.value().as_element()?;
    if e.name() == "a" {
        let href = e.attr("href")?.trim().to_string();
        return Some(Link {
            host: url_host(&href),
            href,
            via: LinkVia::Anchor,
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
struct RegionText {
    text: String,
    segs: Vec<Seg>,
    /// (order, attribute kind, normalised value, element) for alt/title attributes.
    attrs: Vec<(usize, CandidateSource, String, NodeId)>,
    ids: HashSet<String>,
    miit_links: Vec<String>,
}

impl RegionText {
    fn hard_break(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
    }

    /// Appends the visible text under `root` (skipping `skip` subtrees), recording segments.
    fn walk(&mut self, root: NodeRef<'_, Node>, skip: &HashSet<NodeId>, order: &mut usize) {
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
                            if INVISIBLE.contains(&name)
                                || (n.id() != root.id() && skip.contains(&n.id()))
                            {
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

    /// The link shared by every non-space character of `range`, and the first text node.
    fn link_for(&self, range: &std::ops::Range<usize>) -> (Option<NodeId>, Option<NodeId>, usize) {
        let mut shared: Option<Option<NodeId>> = None;
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
            shared = match shared {
                None => Some(s.link),
                Some(prev) if prev == s.link => Some(prev),
                Some(_) => Some(None),
            };
        }
        (shared.flatten(), first, order)
    }
}

/// Footer regions (§6.3): outermost marked elements outside `<main>`/`<article>`, else the last
/// top-level child of `<body>` with visible text.
fn find_regions(html: &Html) -> (Vec<NodeId>, FooterRegion) {
    let mut regions: Vec<NodeId> = Vec::new();
    let set_contains_ancestor = |regions: &[NodeId], n: &NodeRef<'_, Node>| {
        n.ancestors().any(|a| regions.contains(&a.id()))
    };
    for n in html.tree.root().descendants() {
        let Some(e) = n.value().as_element() else {
            continue;
        };
        if !is_marked(e) {
            continue;
        }
        let excluded = n.ancestors().any(|a| {
            matches!(
                el_name(&a),
                Some("main" | "article" | "head" | "script" | "template")
            )
        });
        if excluded || set_contains_ancestor(&regions, &n) {
            continue;
        }
        regions.push(n.id());
    }
    if !regions.is_empty() {
        return (regions, FooterRegion::Marked);
    }
    let body = html
        .tree
        .root()
        .descendants()
        .find(|n| el_name(n) == Some("body"));
    if let Some(body) = body {
        let empty = HashSet::new();
        for child in body.children().collect::<Vec<_>>().into_iter().rev() {
            if !child.value().is_element() {
                continue;
            }
            let mut rt = RegionText::default();
            rt.walk(child, &empty, &mut 0);
            if !rt.text.trim().is_empty() {
                return (vec![child.id()], FooterRegion::LastChild);
            }
        }
    }
    (Vec::new(), FooterRegion::None)
}

fn previous_element_is_img(n: NodeRef<'_, Node>) -> bool {
    let mut cur = n.prev_sibling();
    while let Some(s) = cur {
        match s.value() {
            Node::Text(t) if t.trim().is_empty() => cur = s.prev_sibling(),
            Node::Comment(_) => cur = s.prev_sibling(),
            Node::Element(e) => return e.name() == "img",
            _ => return false,
        }
    }
    false
}

fn has_img_descendant(n: NodeRef<'_, Node>) -> bool {
    n.descendants().any(|d| el_name(&d) == Some("img"))
}

/// Sort key of §6.8 (lower is better).
fn primary_key(c: &IcpCandidate) -> (u8, u8, u8, u8, usize) {
    let source = match c.source {
        CandidateSource::Text => 0,
        CandidateSource::Alt | CandidateSource::Title => 1,
        CandidateSource::Script => 2,
        CandidateSource::Body => 3,
    };
    let miit = c.link.as_ref().and_then(|l| l.host.as_deref()) == Some("beian.miit.gov.cn");
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
/// The text of every inline `<script>` (no `src`), in document order.
fn inline_scripts(html: &Html) -> Vec<String> {
    html.tree
        .root()
        .descendants()
        .filter(|n| {
            n.value()
                .as_element()
                .is_some_and(|e| e.name() == "script" && e.attr("src").is_none())
        })
        .map(|n| {
            n.children()
                .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
                .collect()
        })
        .collect()
}

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

/// The target of a refresh `content` attribute (`0; url=…`), if any.
pub(crate) fn refresh_target(content: &str) -> Option<String> {
    let target = REFRESH
        .captures(content)?
        .get(1)?
        .as_str()
        .trim()
        .to_string();
    (!target.is_empty()).then_some(target)
}

fn meta_refresh(html: &Html) -> Option<String> {
    html.tree.root().descendants().find_map(|n| {
        let e = n.value().as_element()?;
        if e.name() != "meta" || !e.attr("http-equiv")?.eq_ignore_ascii_case("refresh") {
            return None;
        }
        refresh_target(e.attr("content")?)
    })
}

/// The reference procedure: the whole page as one HTML5 DOM.
pub(crate) fn extract_text(html_text: &str, encoding: &'static str) -> FooterFacts {
    let html = Html::parse_document(html_text);
    let (regions, kind) = find_regions(&html);
    let scripts = inline_scripts(&html);
    let mut facts = collect(&html, &regions, kind, &scripts, encoding);
    facts.meta_refresh = meta_refresh(&html);
    if facts.primary.is_none() {
        facts.primary = body_fallback(&html, &regions);
    }
    facts
}

/// The body-text fallback candidate of a whole page (reported, not judged): the DOM route,
/// for callers that found no footer or script candidate by other means.
pub(crate) fn body_fallback_of(html_text: &str) -> Option<IcpCandidate> {
    let html = Html::parse_document(html_text);
    let (regions, _) = find_regions(&html);
    body_fallback(&html, &regions)
}

/// Everything but the meta refresh and the body fallback, from the footer regions (nodes of
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
        let (link_id, first, ord) = rt.link_for(&range);
        let link = link_id
            .and_then(|id| html.tree.get(id))
            .and_then(|n| link_of(&n));
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
    icp.extend(scripts.icp);
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

/// The first ICP number in visible body text outside the footer (reported, not judged).
fn body_fallback(html: &Html, regions: &[NodeId]) -> Option<IcpCandidate> {
    let body = html
        .tree
        .root()
        .descendants()
        .find(|n| el_name(n) == Some("body"))?;
    let skip: HashSet<NodeId> = regions.iter().copied().collect();
    let mut rt = RegionText::default();
    rt.walk(body, &skip, &mut 0);
    scan(&rt.text).into_iter().find_map(|m| match m.found {
        Found::Icp(number) => Some(IcpCandidate {
            number,
            source: CandidateSource::Body,
            in_footer: false,
            link: None,
            order: 0,
        }),
        Found::Psb(_) => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(html: &str) -> FooterFacts {
        extract_text(html, "UTF-8")
    }

    #[test]
    fn linked_service_number_in_footer() {
        let f = facts(
            r#"<body><main>京ICP备00000000号</main><footer><p>© 2024 某公司
            <a href="https://beian.miit.gov.cn/" target="_blank">京ICP备2021034567号-1</a></p>
            <img src="gongan.png"><a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010802017518">京公网安备 11010802017518号</a>
            </footer></body>"#,
        );
        let p = f.primary.expect("primary");
        assert_eq!(p.number.canonical, "京ICP备2021034567号-1");
        assert_eq!(
            p.link.and_then(|l| l.host).as_deref(),
            Some("beian.miit.gov.cn")
        );
        let psb = f.psb.expect("psb");
        assert_eq!(psb.link_code.as_deref(), Some("11010802017518"));
        assert!(psb.icon);
        assert_eq!(f.region, FooterRegion::Marked);
    }

    #[test]
    fn split_spans_and_entities() {
        let f = facts(
            r#"<div id="footer"><a href="http://beian.miit.gov.cn"><span>湘</span>ICP&#22791;<b>２０２１００１２３４</b>号-2</a></div>"#,
        );
        let p = f.primary.expect("primary");
        assert_eq!(p.number.canonical, "湘ICP备2021001234号-2");
        assert!(p.link.is_some());
    }

    #[test]
    fn block_elements_split_numbers_and_comments_are_ignored() {
        let f = facts(
            r#"<footer><!-- 京ICP备2021034567号-1 --><p>京ICP</p><p>备2021034567号</p></footer>"#,
        );
        assert!(f.primary.is_none());
    }

    #[test]
    fn legacy_psb_snippet_has_icon_inside_link() {
        let f = facts(
            r#"<div class="foot"><a target="_blank" href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=11010802017518"><img src="ghs.png" style="float:left;"/><p style="float:left">京公网安备 11010802017518号</p></a></div>"#,
        );
        let psb = f.psb.expect("psb");
        assert!(psb.icon);
        assert_eq!(
            psb.link.and_then(|l| l.host).as_deref(),
            Some("www.beian.gov.cn")
        );
    }

    #[test]
    fn exturl_span_and_alt() {
        let f = facts(
            r#"<footer><span class="exturl" data-url="aHR0cDovL3d3dy5iZWlhbi5taWl0Lmdvdi5jbg==">浙ICP备20001234号-1</span></footer>"#,
        );
        let l = f.primary.and_then(|p| p.link).expect("link");
        assert_eq!(
            (l.via, l.host.as_deref()),
            (LinkVia::Exturl, Some("www.beian.miit.gov.cn"))
        );
        let f = facts(
            r#"<footer><a href="https://beian.miit.gov.cn"><img alt="京ICP备2021012843号-1"></a></footer>"#,
        );
        let p = f.primary.expect("primary");
        assert_eq!(p.source, CandidateSource::Alt);
        assert!(p.link.is_some());
    }

    #[test]
    fn script_written_footer() {
        let f = facts(
            r#"<body><div id="BeiAnHao"></div><script>document.getElementById('BeiAnHao').innerHTML = '<a href="https://beian.miit.gov.cn/">豫ICP备2021000001号-1</a>';</script></body>"#,
        );
        let p = f.primary.expect("primary");
        assert_eq!(p.source, CandidateSource::Script);
        assert_eq!(p.link.map(|l| l.via), Some(LinkVia::Script));
    }

    #[test]
    fn body_only_number_is_reported_not_in_footer() {
        let f = facts(
            r#"<body><main><p>格式类似“京ICP备2021034567号-1”</p></main><footer>© 某公司</footer></body>"#,
        );
        let p = f.primary.expect("fallback");
        assert!(!p.in_footer);
        assert_eq!(p.source, CandidateSource::Body);
    }

    #[test]
    fn last_child_fallback_and_meta_refresh() {
        let f = facts(
            r#"<html><head><meta http-equiv="Refresh" content="0; url=https://www.example.cn/"></head><body><table><tr><td>menu</td></tr></table><table><tr><td>Copyright 某公司 粤ICP备17054969号</td></tr></table></body></html>"#,
        );
        assert_eq!(f.region, FooterRegion::LastChild);
        assert_eq!(
            f.primary.map(|p| p.number.canonical).as_deref(),
            Some("粤ICP备17054969号")
        );
        assert_eq!(f.meta_refresh.as_deref(), Some("https://www.example.cn/"));
    }
}
