//! What marks an element as a footer region (docs/rulebook.md §6.3), shared by the reference
//! and the fast path: `role="contentinfo"`, or an `id` or class that names a footer (under
//! `<main>`, only a `<footer>` element marks one; the callers see to that).
//!
//! Names are read as words split at `-`, `_` and other punctuation: a word containing `foot`
//! (not `footnote`), `copyright` or `colophon`, or one of the short forms Chinese templates
//! use (`fot`, `btm`, `dibu` 底部, `banquan` 版权); a word containing `bottom` unless another
//! word of the same name makes it a layout utility (`margin-bottom-5`, `border-bottom`,
//! `bottom-0`, `fixed-bottom`) — those say where something sits, not what it is.

/// Words that make `bottom` a layout utility's (CSS properties and positions, Bootstrap and
/// Tailwind prefixes).
const UTILITY: &[&str] = &[
    "margin", "padding", "border", "m", "p", "mb", "pb", "mt", "pt", "my", "py", "text", "align",
    "valign", "vertical", "rounded", "radius", "shadow", "inset", "top", "left", "right", "fixed",
    "sticky", "absolute", "relative", "scroll", "space", "gap", "offset", "pull", "push", "to",
    "from", "line", "float", "bg", "gradient", "position", "pos", "abs", "is", "has", "no", "sm",
    "md", "lg", "xl",
];

/// Short words that name a footer in Chinese templates.
const SHORT: &[&str] = &["fot", "btm", "dibu", "banquan"];

/// Whether one `id` value or class token names a footer. Runs for the class tokens of every
/// tag outside `<main>`, so it allocates nothing.
pub(crate) fn names_footer(name: &str) -> bool {
    // Fast rejection: every marker holds `o`, `b` or `d` (most names are short).
    if !name.bytes().any(|b| matches!(b | 0x20, b'o' | b'b' | b'd')) {
        return false;
    }
    let words = || {
        name.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
    };
    let utility = || {
        words().any(|w| {
            UTILITY.iter().any(|u| w.eq_ignore_ascii_case(u))
                || w.bytes().all(|b| b.is_ascii_digit())
        })
    };
    words().any(|w| {
        (contains(w, "foot") && !contains(w, "footnote"))
            || contains(w, "copyright")
            || contains(w, "colophon")
            || SHORT.iter().any(|s| w.eq_ignore_ascii_case(s))
            || (contains(w, "bottom") && !utility())
    })
}

/// ASCII case-insensitive substring test.
fn contains(hay: &str, needle: &str) -> bool {
    hay.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Whether a `class` attribute's value holds a token that names a footer.
pub(crate) fn class_names_footer(value: &str) -> bool {
    value.split_ascii_whitespace().any(names_footer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footer_names_and_utilities() {
        for yes in [
            "footer",
            "site-footer",
            "Footer_Wrap",
            "foot_cxwz",
            "fot_w2",
            "bottom_bar",
            "pageBottom",
            "copyright",
            "colophon",
            "btm",
            "dibu",
            "g-banquan",
        ] {
            assert!(names_footer(yes), "{yes}");
        }
        for no in [
            "margin-bottom-5",
            "border-bottom",
            "bottom-0",
            "fixed-bottom",
            "mb-bottom",
            "footnote",
            "footnotes",
            "header",
            "fotografia",
            "content",
        ] {
            assert!(!names_footer(no), "{no}");
        }
        assert!(class_names_footer("row margin-bottom-5 footer"));
        assert!(!class_names_footer("row margin-bottom-5"));
    }
}
