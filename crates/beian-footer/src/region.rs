//! The footer-region rules both extractors apply to a tree (docs/rulebook.md §6.2–6.3): where
//! the footer of a page without a marked one is, which words make a block a footer, and the
//! body-text fallback candidate. The reference applies them to the whole page's DOM, the fast
//! path to the fragments it cut out; each finds the nodes to apply them to its own way.

use std::collections::HashSet;

use beian_numbers::{Found, scan};
use beian_types::{CandidateSource, IcpCandidate};
use ego_tree::{NodeId, NodeRef};
use scraper::Node;

use crate::read::{BLOCK, RegionText, el_name};

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
/// copyright. Each holds an anchor of [`crate::anchors`] (备, 证, 版, ©, `pyr`), which the
/// fast path relies on to skip parts of a page without parsing them.
pub(crate) fn holds_footer_word(text: &str) -> bool {
    ["备案", "版权", "公网安备", "©"]
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
    scan(text).into_iter().find_map(|m| match m.found {
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
