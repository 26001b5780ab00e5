//! The reference extractor: docs/rulebook.md §6.2–6.3 on a whole-page HTML5 DOM (html5ever via
//! `scraper`) — footer regions, inline scripts and the body-text fallback — with the shared
//! region rules of [`crate::region`] and the shared reading of [`crate::read`]. Slow and
//! simple; the fast path is tested against it and calls none of it (but for the rare page
//! whose tree its scanner does not model, which it reads whole by this procedure).

use beian_types::{FooterFacts, FooterRegion, IcpCandidate};
use ego_tree::{NodeId, NodeRef};
use scraper::{Html, Node};

use crate::read::{collect, el_name};
use crate::region::{self, unmarked_footer};

/// Footer regions (§6.3): the marked ones ([`region::marked_regions`]), else the last block
/// holding footer words ([`region::unmarked_footer`]).
fn find_regions(html: &Html) -> (Vec<NodeId>, FooterRegion) {
    let regions = region::marked_regions(html.tree.root());
    if !regions.is_empty() {
        return (regions, FooterRegion::Marked);
    }
    match body_of(html).and_then(|b| unmarked_footer(b, true)) {
        Some(id) => (vec![id], FooterRegion::LastChild),
        None => (Vec::new(), FooterRegion::None),
    }
}

fn body_of(html: &Html) -> Option<NodeRef<'_, Node>> {
    html.tree
        .root()
        .descendants()
        .find(|n| el_name(n) == Some("body"))
}

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

/// The reference procedure: the whole page as one HTML5 DOM.
pub(crate) fn extract_text(html_text: &str, encoding: &'static str) -> FooterFacts {
    let html = Html::parse_document(html_text);
    let (mut regions, kind) = find_regions(&html);
    let scripts = inline_scripts(&html);
    let mut facts = collect(&html, &regions, kind, &scripts, encoding);
    if facts.primary.is_none() {
        // The regions hold no number: a footer no name marks may (§6.3).
        let marked = if kind == FooterRegion::Marked {
            regions.clone()
        } else {
            Vec::new()
        };
        let block = body_of(&html)
            .and_then(|b| {
                let rt = region::body_text(b, &marked);
                region::unnamed_footer(b, &rt, &region::icp_numbers(&rt.text))
            })
            .and_then(|id| html.tree.get(id));
        if let Some(block) = block {
            region::add_region(&mut regions, block);
            facts = collect(&html, &regions, kind, &scripts, encoding);
        }
    }
    if facts.primary.is_none() {
        facts.primary = body_fallback(&html, &regions);
    }
    facts
}

/// The first ICP number in visible body text outside the footer (reported, not judged).
fn body_fallback(html: &Html, regions: &[NodeId]) -> Option<IcpCandidate> {
    let body = body_of(html)?;
    region::body_candidate(&region::body_text(body, regions).text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use beian_types::{CandidateSource, LinkVia};

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
    fn last_child_fallback() {
        let f = facts(
            r#"<html><head><meta http-equiv="Refresh" content="0; url=https://www.example.cn/"></head><body><table><tr><td>menu</td></tr></table><table><tr><td>Copyright 某公司 粤ICP备17054969号</td></tr></table></body></html>"#,
        );
        assert_eq!(f.region, FooterRegion::LastChild);
        assert_eq!(
            f.primary.map(|p| p.number.canonical).as_deref(),
            Some("粤ICP备17054969号")
        );
    }
}
