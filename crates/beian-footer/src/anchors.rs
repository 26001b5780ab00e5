//! Anchors: the short strings without which a footer fact cannot exist on a page. A page that
//! holds none of them has no ICP, licence or PSB number, no copyright holder and no MIIT link,
//! so the extractor can stop after one SIMD search over the raw bytes instead
//! of scanning tags (issue 3: pages without any candidate at ≥ 3 GB/s).
//!
//! Why each anchor is unavoidable (after decoding, character references and NFKC, §2.6):
//! - ICP numbers (`ICP备`/`ICP证`) and PSB numbers (`公网安备`) contain `备` or `证`; no other
//!   character normalises to either (a test walks all of Unicode). The grammar also reads the
//!   traditional `備`, `證` and `証` as them (zh-Hant mirrors of mainland sites); those are not
//!   anchors (three more CJK patterns cost 12–18 % of the scan on Chinese pages: Teddy's
//!   fingerprints widen), so a traditional-script page is read when it holds another anchor —
//!   `版` of 版權, `©`, or the `miit` of its number's link — as every real one seen does.
//! - Licence numbers need a category `A1`–`B9`: ASCII letter and digit, full-width `Ａ`/`Ｂ`, or
//!   an ASCII `A`/`B` before a full-width character (digit).
//! - Copyright lines need `版` (版权所有), `©` (or `&copy;`/`&COPY;`), `(c)` (ASCII or full-width
//!   parenthesis or letter, `&lpar;`, `⒞`), or the word Copyright (`pyr` in any ASCII case, or a
//!   full-width `Ｐ`/`ｐ`).
//! - MIIT links name `miit`/`miitbeian`/`miibeian` (`mii` in any case, full-width `Ｍｍ Ｉｉ`,
//!   or a percent-escaped letter `%4x`/`%6x`), or are Hexo `exturl` spans.
//! - Any numeric character reference (`&#`) may spell any of the above.
//!
//! Known boundary, by choice: markup inside a licence category or the word Copyright
//! (`B<b>2</b>-…`), and letters written only in other NFKC compatibility forms (mathematical
//! alphanumerics, circled or squared letters, named references such as `&Copf;`) are not
//! anchors. Such a page with no other anchor is reported as holding nothing.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use encoding_rs::Encoding;

use crate::page::{Hit, TEXT_ANCHORS};

/// All case spellings of an ASCII word.
fn ascii_cases(word: &str) -> Vec<String> {
    let n = word.len();
    (0..1u32 << n)
        .map(|mask| {
            word.chars()
                .enumerate()
                .map(|(i, c)| {
                    if mask & (1 << i) != 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect()
        })
        .collect()
}

/// Anchors of the number grammars (§2), as text.
pub(crate) fn number_anchors() -> Vec<String> {
    let mut a: Vec<String> = ["备", "证", "&#", "Ａ", "Ｂ"]
        .iter()
        .map(ToString::to_string)
        .collect();
    for c in ['A', 'B'] {
        for d in '1'..='9' {
            a.push(format!("{c}{d}"));
        }
    }
    a
}

/// Anchors of every footer fact (numbers, copyright, MIIT links), as text.
pub(crate) fn fact_anchors() -> Vec<String> {
    let mut a = number_anchors();
    a.extend(
        [
            "版", "©", "&copy", "&COPY", "&lpar", "(c", "(C", "（c", "（C", "Ｃ", "ｃ", "⒞", "Ｐ",
            "ｐ", "Ｍ", "ｍ", "Ｉ", "ｉ", "%4", "%6", "exturl",
        ]
        .iter()
        .map(ToString::to_string),
    );
    for word in ["pyr", "mii"] {
        a.extend(ascii_cases(word));
    }
    a
}

/// A compiled anchor set: Teddy (SIMD) searchers of at most [`PER_SEARCHER`] patterns each
/// when the CPU has it, the automaton otherwise.
pub(crate) enum Anchors {
    Packed(Vec<aho_corasick::packed::Searcher>),
    Automaton(AhoCorasick),
}

/// Teddy runs at 13–18 GB/s here with up to 32 patterns and falls to ~2 GB/s at 64 (more
/// buckets, more candidate checks), so a large set is searched in several passes.
const PER_SEARCHER: usize = 32;

/// Teddy fingerprints the first min(3, shortest) bytes: two-byte patterns keep the
/// three-byte ones (`pyr`: a common bigram, a rare trigram) from being checked at every `py` of
/// English text, so each length class gets its own searchers. The classes: shorter than three
/// bytes, ASCII, and the others.
fn classes(patterns: &[Vec<u8>]) -> [Vec<Vec<u8>>; 3] {
    let mut groups: [Vec<Vec<u8>>; 3] = Default::default();
    for p in patterns {
        let class = match (p.len() >= 3, p.is_ascii()) {
            (false, _) => 0,
            (true, true) => 1,
            (true, false) => 2,
        };
        groups[class].push(p.clone());
    }
    groups
}

/// A Teddy searcher of `patterns`, when the CPU has it.
fn teddy(patterns: &[Vec<u8>]) -> Option<aho_corasick::packed::Searcher> {
    aho_corasick::packed::Config::new()
        .heuristic_pattern_limits(false)
        .builder()
        .extend(patterns)
        .build()
}

impl Anchors {
    fn new(patterns: &[Vec<u8>]) -> Anchors {
        Anchors::of_groups(&classes(patterns))
    }

    fn of_groups(groups: &[Vec<Vec<u8>>]) -> Anchors {
        let packed: Option<Vec<_>> = groups
            .iter()
            .flat_map(|g| g.chunks(PER_SEARCHER))
            .map(teddy)
            .collect();
        match packed {
            Some(p) => Anchors::Packed(p),
            None => Anchors::Automaton(AhoCorasick::new(groups.concat()).expect("static patterns")),
        }
    }

    /// Whether `hay` holds any anchor.
    pub(crate) fn found_in(&self, hay: &[u8]) -> bool {
        match self {
            Anchors::Packed(searchers) => searchers.iter().any(|p| p.find(hay).is_some()),
            Anchors::Automaton(a) => a.is_match(hay),
        }
    }
}

/// The anchors as bytes of `encoding`, plus the raw forms text cannot express: an ASCII
/// `A`/`B` followed by the lead byte of a full-width character.
fn encoded(texts: &[String], encoding: &'static Encoding) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = texts
        .iter()
        .map(|t| {
            if encoding == encoding_rs::UTF_8 {
                t.as_bytes().to_vec()
            } else {
                // GB18030's encoder covers every character (© is four bytes) and its two-byte
                // forms are GBK's; encoding_rs' GBK decoder reads both.
                encoding_rs::GB18030.encode(t).0.into_owned()
            }
        })
        .collect();
    let full_width_lead: &[u8] = if encoding == encoding_rs::UTF_8 {
        b"\xEF\xBC"
    } else {
        b"\xA3"
    };
    for c in [b'A', b'B'] {
        let mut p = vec![c];
        p.extend_from_slice(full_width_lead);
        out.push(p);
    }
    out.sort();
    out.dedup();
    out
}

/// The passes over a whole page that the footer's anchors and the page facts share (issue 30:
/// the page facts need every hit of their anchors anyway, and a pass of their own would cost a
/// page with no footer half again). The page facts' [`TEXT_ANCHORS`] and tags
/// ([`crate::page::tag_spellings`]) are searched with the fact anchors of the non-ASCII class —
/// `备`, `证`, `版`, which nearly every footer holds — over the whole page. The other fact
/// anchors are searched only when that pass found none, each class to its first hit.
struct Shared {
    /// [`TEXT_ANCHORS`], the tags, then the non-ASCII fact anchors.
    text: Whole,
    /// The other classes of fact anchors.
    rest: Anchors,
}

/// One searcher whose first `page` patterns are the page facts' and the others fact anchors.
struct Whole {
    search: Search,
    page: usize,
}

enum Search {
    Packed(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
}

impl Whole {
    fn new(page: Vec<Vec<u8>>, facts: Vec<Vec<u8>>) -> Whole {
        let n = page.len();
        let patterns = [page, facts].concat();
        let search = match teddy(&patterns) {
            Some(t) => Search::Packed(t),
            None => Search::Automaton(AhoCorasick::new(&patterns).expect("static patterns")),
        };
        Whole { search, page: n }
    }

    /// Calls `page` with each hit of a page-fact pattern (its index, start and end), to the end
    /// of `hay`. Returns whether a fact anchor was found.
    fn run(&self, hay: &[u8], mut page: impl FnMut(usize, usize, usize)) -> bool {
        let mut fact = false;
        let mut found = |pattern: usize, start: usize, end: usize| {
            if pattern < self.page {
                page(pattern, start, end);
            } else {
                fact = true;
            }
        };
        match &self.search {
            Search::Packed(t) => {
                for m in t.find_iter(hay) {
                    found(m.pattern().as_usize(), m.start(), m.end());
                }
            }
            Search::Automaton(a) => {
                for m in a.find_iter(hay) {
                    found(m.pattern().as_usize(), m.start(), m.end());
                }
            }
        }
        fact
    }
}

/// The full-width letters of the non-ASCII class, and the others. The letters share their first
/// two bytes with the full-width punctuation of every Chinese text (`，` is EF BC 8C): Teddy
/// would stop at each comma of the shared pass. They are searched with the other fact anchors,
/// in a searcher of their own.
fn full_width(other: Vec<Vec<u8>>) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    other
        .into_iter()
        .partition(|p| p.starts_with(b"\xEF\xBC") || p.starts_with(b"\xEF\xBD"))
}

impl Shared {
    fn new(facts: &[Vec<u8>]) -> Shared {
        let [short, ascii, other] = classes(facts);
        let (full_width, other) = full_width(other);
        let page = TEXT_ANCHORS
            .iter()
            .map(|(a, _)| a.to_string())
            .chain(crate::page::tag_spellings())
            .map(String::into_bytes)
            .collect();
        Shared {
            text: Whole::new(page, other),
            rest: Anchors::of_groups(&[short, full_width, ascii]),
        }
    }

    fn search(&self, hay: &[u8], hits: &mut Vec<Hit>) -> bool {
        let text = self.text.run(hay, |i, start, end| {
            hits.extend(if i < TEXT_ANCHORS.len() {
                Some(Hit::text(i, start, end))
            } else {
                Hit::spelled(hay, start, end)
            });
        });
        text || self.rest.found_in(hay)
    }
}

static SHARED_UTF8: LazyLock<Shared> =
    LazyLock::new(|| Shared::new(&encoded(&fact_anchors(), encoding_rs::UTF_8)));
static SHARED_GBK: LazyLock<Shared> =
    LazyLock::new(|| Shared::new(&encoded(&fact_anchors(), encoding_rs::GBK)));

/// One search of a page in `encoding` (UTF-8 or GBK/GB18030) for its anchors: whether it may
/// hold any footer fact ([`may_hold_fact`]). The page facts' anchors are pushed to `hits`.
pub(crate) fn search_page(page: &[u8], encoding: &'static Encoding, hits: &mut Vec<Hit>) -> bool {
    if encoding == encoding_rs::UTF_8 {
        SHARED_UTF8.search(page, hits)
    } else {
        SHARED_GBK.search(page, hits)
    }
}

static NUMBERS_UTF8: LazyLock<Anchors> =
    LazyLock::new(|| Anchors::new(&encoded(&number_anchors(), encoding_rs::UTF_8)));
static FACTS_UTF8: LazyLock<Anchors> =
    LazyLock::new(|| Anchors::new(&encoded(&fact_anchors(), encoding_rs::UTF_8)));
static FACTS_GBK: LazyLock<Anchors> =
    LazyLock::new(|| Anchors::new(&encoded(&fact_anchors(), encoding_rs::GBK)));

/// Whether a decoded text may hold a number (§2) anywhere.
pub(crate) fn may_hold_number(text: &str) -> bool {
    NUMBERS_UTF8.found_in(text.as_bytes())
}

/// Whether a page in `encoding` (UTF-8 or GBK/GB18030) may hold any footer fact.
pub(crate) fn may_hold_fact(page: &[u8], encoding: &'static Encoding) -> bool {
    if encoding == encoding_rs::UTF_8 {
        FACTS_UTF8.found_in(page)
    } else {
        FACTS_GBK.found_in(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    /// Every non-ASCII character whose NFKC form contains `target` (a walk over all of Unicode).
    fn sources_of(targets: &[char]) -> Vec<char> {
        (0x80..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|&c| std::iter::once(c).nfkc().any(|n| targets.contains(&n)))
            .collect()
    }

    #[test]
    fn only_themselves_normalise_to_the_cjk_anchors() {
        // The characters a number or copyright line cannot do without: nothing but the
        // character itself (and compatibility ideographs, if any, which would be listed here)
        // normalises to them, so a page without them holds no such number.
        assert_eq!(sources_of(&['备']), vec!['备']);
        assert_eq!(sources_of(&['证']), vec!['证']);
        assert_eq!(sources_of(&['版']), vec!['版']);
        assert_eq!(sources_of(&['©']), vec!['©']);
    }

    #[test]
    fn full_width_and_ascii_forms_are_anchors() {
        for page in [
            "京ICP备2021034567号-1",
            "京ＩＣＰ证０３０１７３号",
            "粤B2-20090059",
            "Ｂ２－２００９００５９",
            "B２-20090059",
            "京公网安备11010802017518号",
            "© 2024 某公司",
            "&copy; 2024",
            "(c) 2024 Foo",
            "（C）2024 Foo",
            "COPYRIGHT 2024",
            "ＣＯＰＹＲＩＧＨＴ",
            "某公司 版权所有",
            "<a href=\"https://beian.MIIT.gov.cn/\">",
            "<a href=\"https://beian.%6Diit.gov.cn/\">",
            "<span class=\"exturl\" data-url=\"aHR0cHM6Ly9iZWlhbi5taWl0Lmdvdi5jbi8=\">",
            "&#22791;",
        ] {
            assert!(may_hold_fact(page.as_bytes(), encoding_rs::UTF_8), "{page}");
            let gbk = encoding_rs::GB18030.encode(page).0;
            assert!(may_hold_fact(&gbk, encoding_rs::GBK), "GBK {page}");
        }
    }

    #[test]
    fn the_shared_pass_keeps_its_patterns_few() {
        // Teddy slows with each pattern past about 17 and falls off past 32 (PER_SEARCHER): a
        // new page-fact marker belongs in the page module's VENDORS, found through an existing
        // anchor, where it can.
        for encoding in [encoding_rs::UTF_8, encoding_rs::GBK] {
            let [_, _, other] = classes(&encoded(&fact_anchors(), encoding));
            let (_, other) = full_width(other);
            let page = TEXT_ANCHORS.len() + crate::page::tag_spellings().len();
            assert!(page + other.len() <= PER_SEARCHER);
        }
    }

    #[test]
    fn the_shared_search_answers_as_the_fact_search() {
        for page in [
            "<p>plain</p>",
            "<p>粤B2-20090059</p>",
            "<div class=\"logo\">© 2024</div>",
            "<a href=\"https://beian.miit.gov.cn/\">x</a> Powered by WordPress",
        ] {
            for encoding in [encoding_rs::UTF_8, encoding_rs::GBK] {
                let bytes = encoding_rs::GB18030.encode(page).0;
                let bytes = if encoding == encoding_rs::UTF_8 {
                    page.as_bytes()
                } else {
                    &bytes
                };
                let mut hits = Vec::new();
                let shared = search_page(bytes, encoding, &mut hits);
                assert_eq!(shared, may_hold_fact(bytes, encoding), "{page}");
            }
        }
    }

    #[test]
    fn plain_pages_are_not() {
        let page = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>首页</title></head>\
                    <body><div class=\"footer\"><a href=\"/about\">关于我们</a> 联系电话 010-12345678</div></body></html>";
        assert!(!may_hold_fact(page.as_bytes(), encoding_rs::UTF_8));
        let gbk = encoding_rs::GBK.encode(page).0;
        assert!(!may_hold_fact(&gbk, encoding_rs::GBK));
    }
}
