//! The footer-region rules both extractors apply to a tree (docs/rulebook.md §6.2–6.3): which
//! elements are marked footers, where the footer of a page without a marked one is, which words
//! make a block a footer, the footer no name marks (issue 29), and the body-text fallback
//! candidate. The reference applies them to the whole page's DOM, the fast path to the
//! fragments it cut out (and, on a page whose regions hold no number, to the whole page); each
//! finds the nodes to apply them to its own way.

use std::collections::HashSet;

use beian_numbers::hosts::is_miit_host;
use beian_numbers::{Found, scan};
use beian_types::{CandidateSource, IcpCandidate, IcpNumber};
use ego_tree::{NodeId, NodeRef};
use scraper::Node;

use crate::marker::names_footer;
use crate::read::{BLOCK, RegionText, el_name, link_host};

/// The footer of a page without a marked one (§6.3): among the element children of `cur`
/// with visible text, the last whose text holds a footer word ([`holds_footer_word`]) — at
/// the top (`cur` is `<body>`) the last with visible text if none does. A child that holds
/// all of its parent's visible text is a wrapper (`<div id="wrap">` around the whole page)
/// and the search goes on inside it, down to a block with text of its own or inline
/// children (a footer line is not split). The fast path starts it inside the one top-level
/// child it cut out.
pub(crate) fn unmarked_footer(cur: NodeRef<'_, Node>, top: bool) -> Option<NodeId> {
    let empty = HashSet::new();
    let mut own_text = false;
    let mut kids: Vec<(NodeRef<'_, Node>, String)> = Vec::new();
    for child in cur.children() {
        match child.value() {
            Node::Element(_) => {
                let mut rt = RegionText::default();
                rt.walk(child, &empty, &mut 0);
                if !rt.text.trim().is_empty() {
                    kids.push((child, rt.text));
                }
            }
            Node::Text(t) => own_text |= !t.trim().is_empty(),
            _ => {}
        }
    }
    let inner = (!top).then_some(cur.id());
    // Text of its own, or inline children: `cur` is a block of content (the footer line
    // itself), not a wrapper of blocks.
    let block = |n: &NodeRef<'_, Node>| el_name(n).is_some_and(|name| BLOCK.contains(&name));
    if kids.is_empty() || (!top && (own_text || kids.iter().any(|(k, _)| !block(k)))) {
        return inner;
    }
    let with_word = kids.iter().rev().find(|(_, t)| holds_footer_word(t));
    let pick = match with_word {
        Some((n, _)) => *n,
        None if top => kids.last().map(|(n, _)| *n)?,
        None => return inner,
    };
    if kids.len() == 1 && block(&pick) {
        return unmarked_footer(pick, false);
    }
    Some(pick.id())
}

/// Words that a footer without a marked element holds: the filing labels and numbers, the
/// copyright (版權 in traditional script). Each holds an anchor of [`crate::anchors`] (备, 证,
/// 版, ©, `pyr`), which the fast path relies on to skip parts of a page without parsing them —
/// so the traditional filing words (備案, ICP備) are not among them: a traditional-script
/// footer is found by its 版權 or ©.
pub(crate) fn holds_footer_word(text: &str) -> bool {
    ["备案", "版权", "公网安备", "©", "版權"]
        .iter()
        .any(|w| text.contains(w))
        || {
            let lower = text.to_ascii_lowercase();
            ["icp备", "icp证", "copyright"]
                .iter()
                .any(|w| lower.contains(w))
        }
}

/// The body-text fallback candidate (§6.2, reported, not judged): the first ICP number in
/// `text`, the visible body text the caller read outside the footer.
pub(crate) fn body_candidate(text: &str) -> Option<IcpCandidate> {
    first_candidate(&icp_numbers(text))
}

/// The ICP numbers of `text`, in text order.
pub(crate) fn icp_numbers(text: &str) -> Vec<(std::ops::Range<usize>, IcpNumber)> {
    scan(text)
        .into_iter()
        .filter_map(|m| match m.found {
            Found::Icp(n) => Some((m.range, n)),
            Found::Psb(_) => None,
        })
        .collect()
}

/// [`body_candidate`] of the numbers [`icp_numbers`] found.
pub(crate) fn first_candidate(
    numbers: &[(std::ops::Range<usize>, IcpNumber)],
) -> Option<IcpCandidate> {
    numbers.first().map(|(_, number)| IcpCandidate {
        number: number.clone(),
        source: CandidateSource::Body,
        in_footer: false,
        link: None,
        order: 0,
    })
}

/// An element a page marks as its footer (§6.3): `<footer>`, `role=contentinfo`, or an id or
/// class token that names a footer.
pub(crate) fn is_marked(e: &scraper::node::Element) -> bool {
    e.name() == "footer"
        || e.attr("role")
            .is_some_and(|r| r.trim().eq_ignore_ascii_case("contentinfo"))
        || e.id().is_some_and(names_footer)
        || e.classes().any(names_footer)
}

/// The marked footer regions under `root` (§6.3): the outermost marked elements outside
/// `<article>` (a post's own footer) — under `<main>` only `<footer>` elements.
pub(crate) fn marked_regions(root: NodeRef<'_, Node>) -> Vec<NodeId> {
    let mut regions: Vec<NodeId> = Vec::new();
    for n in root.descendants() {
        let Some(e) = n.value().as_element() else {
            continue;
        };
        if !is_marked(e) {
            continue;
        }
        // Under `<main>` only a `<footer>` element: names there are the content's own.
        let excluded = n.ancestors().any(|a| match el_name(&a) {
            Some("article" | "head" | "script" | "template") => true,
            Some("main") => e.name() != "footer",
            _ => false,
        });
        if excluded || n.ancestors().any(|a| regions.contains(&a.id())) {
            continue;
        }
        regions.push(n.id());
    }
    regions
}

/// The most text an unnamed footer holds (characters): a licence, the numbers, the copyright
/// and an address take a few hundred; a block with more is the page's content.
const UNNAMED_MOST: usize = 800;
/// The most visible text after an unnamed footer (characters), outside the marked regions: a
/// "back to top", a counter. A block followed by more is not at the bottom.
const UNNAMED_TAIL: usize = 200;
/// What a footer holds besides its numbers (lower case): the copyright, the public-security
/// number, the links and lines every bottom block of a Chinese site repeats.
const COMPANIONS: &[&str] = &[
    "版权",
    "©",
    "copyright",
    "all rights reserved",
    "公网安备",
    "联系我们",
    "网站地图",
    "关于我们",
    "技术支持",
    "主办",
    "承办",
    "地址",
    "电话",
    "网站标识码",
    "法律声明",
];

/// A footer that no name marks (§6.3, issue 29): when the footer regions hold no ICP number,
/// the block the page's last ICP number stands in is its footer if it stands at the bottom
/// and holds what a footer holds. The block is the largest one around the number with at most
/// [`UNNAMED_MOST`] characters; it is the footer when at most [`UNNAMED_TAIL`] characters of
/// visible text follow it outside `marked` (the marked regions), it is not in `<main>`,
/// `<article>`, `<pre>` or `<code>` (content, and code samples), and it links the number to
/// the MIIT or holds a companion of a footer ([`COMPANIONS`]).
///
/// `rt` is the body's visible text outside the marked regions ([`body_text`]), `numbers` its
/// ICP numbers ([`icp_numbers`]).
pub(crate) fn unnamed_footer(
    body: NodeRef<'_, Node>,
    rt: &RegionText,
    numbers: &[(std::ops::Range<usize>, IcpNumber)],
) -> Option<NodeId> {
    let (node, link) = last_outside_content(body, rt, numbers)?;
    let tree = body.tree();
    let index = rt.seg_index();
    let chars = |r: &std::ops::Range<usize>| rt.text[r.clone()].chars().count();
    // The largest block around the number that a footer's text fits in.
    let mut block: Option<(NodeRef<'_, Node>, std::ops::Range<usize>)> = None;
    for a in node.ancestors() {
        if a.id() == body.id() {
            break;
        }
        if !el_name(&a).is_some_and(|n| BLOCK.contains(&n)) {
            continue;
        }
        let span = rt.span_under(&a, &index)?;
        if chars(&span) > UNNAMED_MOST {
            break;
        }
        block = Some((a, span));
    }
    let (block, span) = block?;
    let tail = rt.text.get(span.end..).unwrap_or_default().trim();
    if tail.chars().count() > UNNAMED_TAIL {
        return None;
    }
    let linked = link
        .and_then(|l| tree.get(l))
        .and_then(|l| link_host(&l))
        .is_some_and(|h| is_miit_host(&h));
    let text = rt.text[span].to_lowercase();
    (linked || COMPANIONS.iter().any(|w| text.contains(w))).then_some(block.id())
}

/// The text node of the last of `numbers` in `rt` (the body's text) and the link it sits in,
/// unless it stands in content (`<main>`, `<article>`) or a code sample (`<pre>`, `<code>`):
/// where an unnamed footer's number may stand.
pub(crate) fn last_outside_content<'a>(
    body: NodeRef<'a, Node>,
    rt: &RegionText,
    numbers: &[(std::ops::Range<usize>, IcpNumber)],
) -> Option<(NodeRef<'a, Node>, Option<NodeId>)> {
    let (last, _) = numbers.last()?;
    let (node, link) = rt.seg_at(last.start)?;
    let node = body.tree().get(node)?;
    let content = |n: &NodeRef<'_, Node>| {
        matches!(
            el_name(n),
            Some("main" | "article" | "pre" | "code" | "template")
        )
    };
    (!node.ancestors().any(|a| content(&a))).then_some((node, link))
}

/// The body's visible text outside `regions` ([`RegionText::walk`]).
pub(crate) fn body_text(body: NodeRef<'_, Node>, regions: &[NodeId]) -> RegionText {
    let skip: HashSet<NodeId> = regions.iter().copied().collect();
    let mut rt = RegionText::default();
    rt.walk(body, &skip, &mut 0);
    rt
}

/// Adds `block` to the footer `regions` of its tree: the regions inside it give way to it, and
/// a block inside a region adds nothing.
pub(crate) fn add_region(regions: &mut Vec<NodeId>, block: NodeRef<'_, Node>) {
    if block.ancestors().any(|a| regions.contains(&a.id())) {
        return;
    }
    let tree = block.tree();
    regions.retain(|r| {
        !tree
            .get(*r)
            .is_some_and(|r| r.ancestors().any(|a| a.id() == block.id()))
    });
    regions.push(block.id());
}
