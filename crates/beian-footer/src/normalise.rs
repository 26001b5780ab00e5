//! Character normalisation of §2.6 step 2–3: NFKC per character, all dash variants to `-`.

use unicode_normalization::UnicodeNormalization;

/// Pushes the normalised form of `c` onto `out`.
pub(crate) fn push_normalised(c: char, out: &mut String) {
    match c {
        // A newline or tab in the source is a space (HTML collapses them); only a block
        // boundary breaks a line of region text (§6.4).
        '\n' | '\t' | '\r' | '\x0c' => out.push(' '),
        // Fast path: ASCII is already NFKC.
        c if c.is_ascii() => out.push(c),
        '‐' | '‑' | '‒' | '–' | '—' | '−' | '－' | '﹣' => out.push('-'),
        c if c.is_whitespace() => out.push(' '),
        c if is_cjk_unified(c) => out.push(c),
        c => {
            for n in std::iter::once(c).nfkc() {
                out.push(n);
            }
        }
    }
}

/// CJK unified ideographs are their own NFKC form; skipping the normaliser for them matters
/// because Chinese pages are mostly ideographs.
fn is_cjk_unified(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Normalises a whole string (attribute values, script text).
pub fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_normalised(c, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_dashes() {
        assert_eq!(
            normalise("京ＩＣＰ备１２３４５６７８号－１"),
            "京ICP备12345678号-1"
        );
        assert_eq!(normalise("a\u{3000}b\u{a0}c"), "a b c");
        assert_eq!(normalise("备案号："), "备案号:");
        assert_eq!(normalise("公网安备\n\t1101"), "公网安备  1101");
    }
}
