//! The element names the tag scanner knows and what HTML5 tree building does with them, as
//! bits looked up once per tag ([`lookup`]) instead of comparing the name against each list.
//! The lists are the predicates below; the table is built from them.

use std::sync::LazyLock;

/// Elements that never have children.
fn is_void(n: &str) -> bool {
    matches!(
        n,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
            | "basefont"
            | "bgsound"
            | "frame"
    )
}
/// Elements whose content is text up to their end tag (scripting enabled, as html5ever).
fn is_raw_text(n: &str) -> bool {
    matches!(
        n,
        "script"
            | "style"
            | "textarea"
            | "title"
            | "xmp"
            | "iframe"
            | "noembed"
            | "noframes"
            | "noscript"
    )
}
/// Start tags that close an open `<p>` (HTML5 "close a p element").
fn closes_p(n: &str) -> bool {
    matches!(
        n,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "center"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "hr"
            | "li"
            | "dd"
            | "dt"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "listing"
            | "section"
            | "summary"
            | "ul"
            | "plaintext"
    )
}
/// Elements that bound "has an element in scope".
fn is_scope(n: &str) -> bool {
    matches!(
        n,
        "applet" | "caption" | "html" | "table" | "td" | "th" | "marquee" | "object" | "template"
    )
}
/// Formatting elements: their misnested end tags run the adoption agency (HTML5 §13.2.6.4.7).
fn is_formatting(n: &str) -> bool {
    matches!(
        n,
        "a" | "b"
            | "big"
            | "code"
            | "em"
            | "font"
            | "i"
            | "nobr"
            | "s"
            | "small"
            | "strike"
            | "strong"
            | "tt"
            | "u"
    )
}
/// Elements of the HTML5 "special" category (§13.2.4.2): they can be a furthest block.
fn is_special(n: &str) -> bool {
    closes_p(n)
        || is_scope(n)
        || is_void(n)
        || matches!(
            n,
            "body"
                | "button"
                | "center"
                | "colgroup"
                | "frameset"
                | "head"
                | "iframe"
                | "noembed"
                | "noframes"
                | "noscript"
                | "script"
                | "search"
                | "select"
                | "style"
                | "tbody"
                | "textarea"
                | "tfoot"
                | "thead"
                | "title"
                | "tr"
                | "xmp"
        )
}
/// Start tags that reopen closed formatting elements before they are inserted: all but the
/// special ones, and these special ones.
fn reconstructs(n: &str) -> bool {
    !is_special(n)
        || matches!(
            n,
            "applet"
                | "marquee"
                | "object"
                | "button"
                | "select"
                | "xmp"
                | "area"
                | "br"
                | "embed"
                | "img"
                | "keygen"
                | "wbr"
                | "input"
        )
}
/// Where text and most elements cannot go: they are moved in front of the table.
fn is_table_section(n: &str) -> bool {
    matches!(n, "table" | "tbody" | "thead" | "tfoot" | "tr")
}
/// Ancestors that disqualify a marked element as footer region (§6.3).
fn is_not_under(n: &str) -> bool {
    matches!(n, "main" | "article" | "head" | "template")
}
/// Elements that live in `<head>` when no `<body>` was opened.
fn is_head_only(n: &str) -> bool {
    matches!(
        n,
        "head" | "title" | "meta" | "link" | "script" | "style" | "base"
    )
}

/// Elements that put a marker on the list of active formatting elements.
fn is_marker(n: &str) -> bool {
    matches!(
        n,
        "td" | "th" | "caption" | "applet" | "object" | "marquee" | "template"
    )
}

/// Elements whose open count the scanner keeps.
fn is_counted(n: &str) -> bool {
    matches!(n, "body" | "head" | "svg" | "math" | "template")
}

/// Start tags with an implied-end-tag rule of their own in the scanner.
fn has_start_rule(n: &str) -> bool {
    matches!(
        n,
        "table"
            | "li"
            | "dd"
            | "dt"
            | "tr"
            | "td"
            | "th"
            | "tbody"
            | "thead"
            | "tfoot"
            | "option"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "a"
    )
}

/// Elements that stay in a table when they appear directly inside it.
fn foster_exempt(n: &str) -> bool {
    matches!(
        n,
        "caption"
            | "colgroup"
            | "col"
            | "tbody"
            | "thead"
            | "tfoot"
            | "tr"
            | "td"
            | "th"
            | "table"
            | "script"
            | "style"
            | "template"
            | "input"
            | "form"
    )
}

/// Void: never has children.
pub(crate) const VOID: u16 = 1;
/// Raw text up to its end tag.
pub(crate) const RAW_TEXT: u16 = 1 << 1;
/// Its start tag closes an open `<p>`.
pub(crate) const CLOSES_P: u16 = 1 << 2;
/// Bounds "has an element in scope".
pub(crate) const SCOPE: u16 = 1 << 3;
/// HTML5 "special" category.
pub(crate) const SPECIAL: u16 = 1 << 4;
/// Formatting element (adoption agency, reconstruction).
pub(crate) const FORMATTING: u16 = 1 << 5;
/// Puts a marker on the list of active formatting elements.
pub(crate) const MARKER: u16 = 1 << 6;
/// Lives in `<head>` when no `<body>` was opened.
pub(crate) const HEAD_ONLY: u16 = 1 << 7;
/// Nothing under it is a footer region.
pub(crate) const NOT_UNDER: u16 = 1 << 8;
/// Text and most elements directly inside it are moved in front of the table.
pub(crate) const TABLE_SECTION: u16 = 1 << 9;
/// Its start tag does not reopen closed formatting elements (unknown names do).
pub(crate) const NO_RECONSTRUCT: u16 = 1 << 10;
/// Not moved out of a table (table parts, scripts, forms).
pub(crate) const FOSTER_EXEMPT: u16 = 1 << 11;
/// Open count kept by the scanner (`body`, `head`, `svg`, `math`, `template`).
pub(crate) const COUNTED: u16 = 1 << 12;
/// Has an implied-end-tag rule at its start tag.
pub(crate) const START_RULE: u16 = 1 << 13;

/// Names with their flags; the names are the interned spellings held on the scanner's stack.
const NAMES: &[&str] = &[
    "a",
    "address",
    "applet",
    "area",
    "article",
    "aside",
    "b",
    "big",
    "code",
    "em",
    "nobr",
    "s",
    "strike",
    "tt",
    "base",
    "basefont",
    "bgsound",
    "blockquote",
    "body",
    "br",
    "button",
    "caption",
    "center",
    "col",
    "colgroup",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "frame",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hgroup",
    "hr",
    "html",
    "i",
    "iframe",
    "img",
    "input",
    "keygen",
    "li",
    "link",
    "listing",
    "main",
    "marquee",
    "math",
    "menu",
    "meta",
    "nav",
    "noembed",
    "noframes",
    "noscript",
    "object",
    "ol",
    "option",
    "p",
    "param",
    "plaintext",
    "pre",
    "script",
    "section",
    "select",
    "small",
    "source",
    "span",
    "strong",
    "style",
    "summary",
    "svg",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "track",
    "u",
    "ul",
    "wbr",
    "xmp",
    "frameset",
    "search",
];

/// A known element name, lower case, and its flags.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Known {
    pub(crate) name: &'static str,
    pub(crate) flags: u16,
}

fn flags_of(n: &str) -> u16 {
    let mut f = 0;
    for (yes, bit) in [
        (is_void(n), VOID),
        (is_raw_text(n), RAW_TEXT),
        (closes_p(n), CLOSES_P),
        (is_scope(n), SCOPE),
        (is_special(n), SPECIAL),
        (is_formatting(n), FORMATTING),
        (is_marker(n), MARKER),
        (is_head_only(n), HEAD_ONLY),
        (is_not_under(n), NOT_UNDER),
        (is_table_section(n), TABLE_SECTION),
        (!reconstructs(n), NO_RECONSTRUCT),
        (foster_exempt(n), FOSTER_EXEMPT),
        (is_counted(n), COUNTED),
        (has_start_rule(n), START_RULE),
    ] {
        if yes {
            f |= bit;
        }
    }
    f
}

/// Element names of up to 16 bytes as one integer, lower-cased: a key compared in one step.
fn key(name: &[u8]) -> Option<u128> {
    if name.is_empty() || name.len() > 16 {
        return None;
    }
    let mut k = 0u128;
    for (i, b) in name.iter().enumerate() {
        k |= u128::from(b.to_ascii_lowercase()) << (8 * i);
    }
    Some(k)
}

static TABLE: LazyLock<Vec<(u128, Known)>> = LazyLock::new(|| {
    let mut t: Vec<(u128, Known)> = NAMES
        .iter()
        .filter_map(|&name| {
            Some((
                key(name.as_bytes())?,
                Known {
                    name,
                    flags: flags_of(name),
                },
            ))
        })
        .collect();
    t.sort_by_key(|(k, _)| *k);
    t
});

/// The known element a tag name (any case) stands for.
pub(crate) fn lookup(raw: &[u8]) -> Option<Known> {
    let k = key(raw)?;
    let t = &*TABLE;
    t.binary_search_by_key(&k, |(k, _)| *k).ok().map(|i| t[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_flags() {
        let div = lookup(b"DIV").expect("known");
        assert_eq!(div.name, "div");
        assert!(div.flags & CLOSES_P != 0 && div.flags & SPECIAL != 0);
        let a = lookup(b"a").expect("known");
        assert!(a.flags & FORMATTING != 0 && a.flags & NO_RECONSTRUCT == 0);
        assert!(lookup(b"beian-region").is_none());
        assert!(lookup(b"x").is_none());
        // Every name in a predicate is in the table.
        for n in NAMES {
            assert!(lookup(n.as_bytes()).is_some(), "{n}");
        }
    }
}
