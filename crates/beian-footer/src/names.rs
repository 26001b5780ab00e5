//! The element names the tag scanner knows and what HTML5 tree building does with them, as
//! bits looked up once per tag ([`lookup_in`]) instead of comparing the name against each list.
//! The lists are the predicates below; the table is built from them.

use std::ops::Range;
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
    matches!(n, "article" | "head" | "template")
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
    matches!(n, "body" | "head" | "svg" | "math" | "template" | "main")
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

/// ASCII upper case to lower case in each byte of a word; other bytes unchanged.
fn lower_bytes(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let low7 = x & (0x7f * ONES);
    // Bit 7 of each byte: set where the byte is ≥ 'A', and where it is > 'Z' (no carry
    // crosses a byte: the sums stay below 0x100).
    let ge_a = low7 + (0x80 - u64::from(b'A')) * ONES;
    let gt_z = low7 + (0x80 - u64::from(b'Z') - 1) * ONES;
    let upper = ge_a & !gt_z & !x & (0x80 * ONES);
    x | (upper >> 2)
}

/// The name at `name` in `src` (up to 15 bytes) as one integer, lower-cased, with the length
/// in the last byte (so a trailing NUL is not the end of the name): a key compared in one
/// step. Read with one 16-byte load where the source allows it (copying the name into a
/// buffer first stalled the load that followed).
fn key(src: &[u8], name: Range<usize>) -> Option<u128> {
    let len = name.len();
    if len == 0 || len > 15 {
        return None;
    }
    let window: [u8; 16] = match src.get(name.start..name.start + 16) {
        Some(w) => w.try_into().ok()?,
        None => {
            let mut buf = [0u8; 16];
            buf[..len].copy_from_slice(src.get(name)?);
            buf
        }
    };
    let bytes = u128::from_le_bytes(window) & ((1u128 << (8 * len)) - 1);
    let lo = lower_bytes(bytes as u64);
    let hi = lower_bytes((bytes >> 64) as u64) | (len as u64) << 56;
    Some(u128::from(lo) | u128::from(hi) << 64)
}

/// Slots of the open-addressed name table: a power of two, about 2.5 × the names, so a lookup
/// is one multiply and one or two key comparisons (a binary search was a tenth of the scan).
const SLOTS: usize = 256;
// A free slot ends every probe sequence.
const _: () = assert!(NAMES.len() < SLOTS);

fn slot(k: u128) -> usize {
    let folded = (k as u64) ^ ((k >> 64) as u64).rotate_left(29);
    (folded.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize
}

/// A slot: a name's key and what it stands for.
type Slot = Option<(u128, Known)>;

static TABLE: LazyLock<Box<[Slot; SLOTS]>> = LazyLock::new(|| {
    let mut t = Box::new([None; SLOTS]);
    for &name in NAMES {
        let Some(k) = key(name.as_bytes(), 0..name.len()) else {
            continue;
        };
        let mut i = slot(k);
        while t[i].is_some() {
            i = (i + 1) % SLOTS;
        }
        t[i] = Some((
            k,
            Known {
                name,
                flags: flags_of(name),
            },
        ));
    }
    t
});

/// The known element a tag name (any case) stands for.
#[cfg(test)]
fn lookup(raw: &[u8]) -> Option<Known> {
    lookup_in(raw, 0..raw.len())
}

/// The known element the tag name at `name` in `src` (any case) stands for.
pub(crate) fn lookup_in(src: &[u8], name: Range<usize>) -> Option<Known> {
    let k = key(src, name)?;
    let t = &*TABLE;
    let mut i = slot(k);
    loop {
        match &t[i] {
            Some((key, known)) if *key == k => return Some(*known),
            Some(_) => i = (i + 1) % SLOTS,
            None => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The table answers as a case-insensitive search of the name list would.
        #[test]
        fn lookup_is_a_case_insensitive_search(
            raw in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..18),
                proptest::sample::select(NAMES).prop_flat_map(|n| {
                    let n = n.as_bytes().to_vec();
                    let len = n.len();
                    (Just(n), proptest::collection::vec(any::<bool>(), len), any::<u8>())
                        .prop_map(|(mut n, upper, extra)| {
                            for (b, up) in n.iter_mut().zip(upper) {
                                if up { b.make_ascii_uppercase(); }
                            }
                            if extra < 40 { n.push(extra); }
                            n
                        })
                }),
            ],
        ) {
            // Also read from inside a longer source (the one-load path).
            let mut long = raw.clone();
            long.extend_from_slice(b"-trailing-bytes-");
            prop_assert_eq!(lookup_in(&long, 0..raw.len()).map(|k| k.name), lookup(&raw).map(|k| k.name));
            let naive = NAMES.iter().find(|n| n.as_bytes().eq_ignore_ascii_case(&raw)).copied();
            prop_assert_eq!(lookup(&raw).map(|k| k.name), naive);
        }
    }

    #[test]
    fn names_and_flags() {
        let div = lookup(b"DIV").expect("known");
        assert_eq!(div.name, "div");
        assert!(div.flags & CLOSES_P != 0 && div.flags & SPECIAL != 0);
        let a = lookup(b"a").expect("known");
        assert!(a.flags & FORMATTING != 0 && a.flags & NO_RECONSTRUCT == 0);
        assert!(lookup(b"beian-region").is_none());
        assert!(lookup(b"x").is_none());
        // Case folds ASCII letters only: a control byte is not a digit in disguise.
        assert!(lookup(b"h\x11").is_none());
        assert_eq!(lookup(b"TeMpLaTe").map(|k| k.name), Some("template"));
        assert!(lookup(b"TEMPLATE\xc3\x80").is_none());
        // Every name in a predicate is in the table.
        for n in NAMES {
            assert_eq!(lookup(n.as_bytes()).map(|k| k.name), Some(*n));
            assert_eq!(
                lookup(n.to_uppercase().as_bytes()).map(|k| k.name),
                Some(*n)
            );
        }
    }
}
