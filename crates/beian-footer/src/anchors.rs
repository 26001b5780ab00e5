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
/// anchors are searched only when that pass found none, each class to its first hit: those
/// shorter than three bytes, then the ASCII and full-width ones together (two passes, where
/// the page facts' pass makes a third: a page with no footer anchor costs no more passes than
/// before the page facts).
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
    /// The index, among the page's patterns then the facts', of each pattern searched.
    index: Vec<usize>,
}

enum Search {
    Packed(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
}

impl Whole {
    fn new(page: Vec<Vec<u8>>, facts: Vec<Vec<u8>>) -> Whole {
        let n = page.len();
        let patterns = [page, facts].concat();
        let order = planned(&patterns).unwrap_or_else(|| patterns.clone());
        let search = match teddy(&order) {
            Some(t) => Search::Packed(t),
            None => Search::Automaton(AhoCorasick::new(&order).expect("static patterns")),
        };
        let index = order
            .iter()
            .map(|p| {
                patterns
                    .iter()
                    .position(|q| q == p)
                    .expect("the same patterns")
            })
            .collect();
        Whole {
            search,
            page: n,
            index,
        }
    }

    /// Calls `page` with each hit of a page-fact pattern (its index, start and end), to the end
    /// of `hay`. Returns whether a fact anchor was found.
    fn run(&self, hay: &[u8], mut page: impl FnMut(usize, usize, usize)) -> bool {
        let mut fact = false;
        let mut found = |pattern: usize, start: usize, end: usize| {
            let pattern = self.index[pattern];
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

/// The full-width anchors of the non-ASCII class (its letters, `（c`, `（C`), and the others.
/// They share their first two bytes with the full-width punctuation of every Chinese text (`，`
/// is EF BC 8C): in the crowded buckets of the shared pass, Teddy would stop at each comma.
/// They are searched with the ASCII fact anchors, in buckets of their own
/// ([`ascii_and_full_width`]).
fn full_width(other: Vec<Vec<u8>>) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    other
        .into_iter()
        .partition(|p| p.starts_with(b"\xEF\xBC") || p.starts_with(b"\xEF\xBD"))
}

/// Teddy's buckets (Slim Teddy has eight).
const BUCKETS: usize = 8;

/// The low nybbles of a pattern's first three bytes: Teddy keeps the patterns that share them
/// in one bucket (so `pyr` and `PYR`).
fn family(p: &[u8]) -> Vec<u8> {
    p.iter().take(3).map(|b| b & 0x0F).collect()
}

/// `sets` (at most [`BUCKETS`] sets of patterns of three bytes or more) in an order in which
/// Teddy gives each set a bucket of its own, or `None` when no such order is found.
///
/// Why: a bucket holds a fingerprint per byte position, the union of its patterns' nybbles, so
/// two unrelated patterns in one bucket find their cross products too — with `mii` and `Ｍ`
/// together, every `oli` of English text is a candidate to check. Teddy puts a family
/// ([`family`]) in bucket 7 − (the index of its first pattern mod 8), and the family's later
/// patterns with it (aho-corasick 1.1, `packed/teddy/generic.rs`): so each family's first
/// pattern is placed at an index that names its set's bucket, the other patterns between. The
/// sets with the most families take the first indices (each needs one index in eight).
/// Which bucket a pattern lands in changes only the speed, never what is found.
fn in_buckets(sets: &[Vec<Vec<u8>>]) -> Option<Vec<Vec<u8>>> {
    let total = sets.iter().map(Vec::len).sum::<usize>();
    if sets.len() > BUCKETS || total > PER_SEARCHER || sets.iter().flatten().any(|p| p.len() < 3) {
        return None;
    }
    // Per set, the first pattern of each family (to place in order); and every later one.
    let mut firsts: Vec<Vec<&Vec<u8>>> = vec![Vec::new(); sets.len()];
    let mut later: Vec<(Vec<u8>, &Vec<u8>)> = Vec::new();
    let mut seen: Vec<Vec<u8>> = Vec::new();
    for (i, set) in sets.iter().enumerate() {
        for p in set {
            let f = family(p);
            // A pattern whose family another set holds goes with it: Teddy keeps a family in
            // one bucket (`liv` with `<if`: both are C, 9, 6).
            if seen.contains(&f) {
                later.push((f, p));
            } else {
                seen.push(f);
                firsts[i].push(p);
            }
        }
    }
    firsts.sort_by_key(|f| std::cmp::Reverse(f.len()));
    for f in &mut firsts {
        f.reverse();
    }
    let mut placed: Vec<Vec<u8>> = Vec::with_capacity(total);
    let mut started: Vec<Vec<u8>> = Vec::new();
    while placed.len() < total {
        // The set whose bucket this index names (7 − index mod 8, the rank of the set).
        let rank = placed.len() % BUCKETS;
        if let Some(p) = firsts.get_mut(rank).and_then(Vec::pop) {
            started.push(family(p));
            placed.push(p.clone());
        } else if let Some(i) = later.iter().position(|(f, _)| started.contains(f)) {
            placed.push(later.remove(i).1.clone());
        } else {
            return None;
        }
    }
    Some(placed)
}

/// The set of the shared pass's buckets a pattern goes in ([`in_buckets`]): the tags (`<` and
/// a letter: their cross products open rare tags), the licence forms (`A`/`B` before a
/// full-width character), the CJK anchors, and the page facts' ASCII anchors by first letter,
/// the rarer letters paired — eight sets (measured against others: BENCHMARKS.md, "Page facts,
/// fourth pass").
fn shared_set(p: &[u8]) -> usize {
    match p[0] {
        b'<' => 0,
        b'A' | b'B' if p.get(1) == Some(&0xEF) => 1,
        c if c >= 0x80 => 2,
        b'l' => 3,
        b'a' | b'i' => 4,
        b'o' | b'q' => 5,
        b'k' | b'/' => 6,
        _ => 7,
    }
}

/// The shared pass's patterns in the order [`in_buckets`] gives their [`shared_set`]s, when
/// one is found: for UTF-8. For GBK none is (its tags' last family would start after the
/// patterns that fill the indices between have run out), and Teddy's own order stays: a plan
/// that starts the families in another order was measured no faster there.
fn planned(patterns: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    let mut sets: Vec<Vec<Vec<u8>>> = vec![Vec::new(); BUCKETS];
    for p in patterns {
        sets[shared_set(p)].push(p.clone());
    }
    sets.retain(|s| !s.is_empty());
    in_buckets(&sets)
}

/// The UTF-8 full-width letters of the fact anchors by the bucket each gets: the nybbles of a
/// bucket's third bytes cross to other letters (and `＠`, `０`, `９`, `＝`), never to the
/// full-width punctuation of Chinese text (`，` EF BC 8C, `）` EF BC 89, `：` EF BC 9A, …).
const FULL_WIDTH_BUCKETS: [&str; 3] = ["ＡＢＣＰ", "ＩＭｐ", "ｃｉｍ"];

/// The ASCII fact anchors and the full-width ones ([`full_width`]), for one searcher with a
/// bucket per set: the ASCII ones by their first letter (any case), the letters as
/// [`FULL_WIDTH_BUCKETS`] sets them, the others (`（c`, `（C`) together. `None` when they do
/// not fit so (the full-width ones then get a searcher of their own).
fn ascii_and_full_width(ascii: &[Vec<u8>], full_width: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    let mut buckets: Vec<Vec<Vec<u8>>> = Vec::new();
    for p in ascii {
        let first = |q: &Vec<u8>| q[0].to_ascii_lowercase();
        match buckets.iter_mut().find(|b| first(&b[0]) == first(p)) {
            Some(b) => b.push(p.clone()),
            None => buckets.push(vec![p.clone()]),
        }
    }
    let letters: Vec<Vec<u8>> = FULL_WIDTH_BUCKETS
        .iter()
        .flat_map(|set| set.chars())
        .map(|c| c.to_string().into_bytes())
        .collect();
    for set in FULL_WIDTH_BUCKETS {
        let set = set.chars().map(|c| c.to_string().into_bytes());
        buckets.push(set.filter(|c| full_width.contains(c)).collect());
    }
    buckets.push(
        full_width
            .iter()
            .filter(|p| !letters.contains(p))
            .cloned()
            .collect(),
    );
    buckets.retain(|b| !b.is_empty());
    in_buckets(&buckets)
}

/// The page facts' patterns: [`TEXT_ANCHORS`], then the tags.
fn page_patterns() -> Vec<Vec<u8>> {
    TEXT_ANCHORS
        .iter()
        .map(|(a, _)| a.to_string())
        .chain(crate::page::tag_spellings())
        .map(String::into_bytes)
        .collect()
}

impl Shared {
    fn new(facts: &[Vec<u8>]) -> Shared {
        let [short, ascii, other] = classes(facts);
        let (full_width, other) = full_width(other);
        Shared {
            text: Whole::new(page_patterns(), other),
            rest: match ascii_and_full_width(&ascii, &full_width) {
                Some(both) => Anchors::of_groups(&[short, both]),
                None => Anchors::of_groups(&[short, full_width, ascii]),
            },
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
        for &page in ONE_FORM_EACH {
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
            let page = page_patterns().len();
            assert!(page + other.len() <= PER_SEARCHER);
        }
    }

    /// Pages holding one fact anchor, of each form.
    const ONE_FORM_EACH: &[&str] = &[
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
        "（ｃ）2024 Foo",
        "COPYRIGHT 2024",
        "ＣＯＰＹＲＩＧＨＴ",
        "ｃｏｐｙｒｉｇｈｔ",
        "某公司 版权所有",
        "<a href=\"https://beian.MIIT.gov.cn/\">",
        "<a href=\"https://beian.ｍｉｉｔ.gov.cn/\">",
        "<a href=\"https://beian.%6Diit.gov.cn/\">",
        "<span class=\"exturl\" data-url=\"aHR0cHM6Ly9iZWlhbi5taWl0Lmdvdi5jbi8=\">",
        "&#22791;",
    ];

    #[test]
    fn the_bucket_order_gives_each_set_a_bucket_of_its_own() {
        let bytes = |sets: &[&[&str]]| -> Vec<Vec<Vec<u8>>> {
            sets.iter()
                .map(|s| s.iter().map(|p| p.as_bytes().to_vec()).collect())
                .collect()
        };
        let sets = bytes(&[
            &["pyr", "PYR", "pYr"],
            &["mii", "MII"],
            &["&copy", "&COPY", "&lpar"],
            &["Ａ", "Ｂ"],
            &["ｃ"],
        ]);
        let order = in_buckets(&sets).expect("fits");
        let mut all: Vec<_> = sets.concat();
        let mut got = order.clone();
        all.sort();
        got.sort();
        assert_eq!(got, all, "the same patterns");
        // Teddy's rule: a family's first pattern at index i takes bucket 7 − i mod 8; its later
        // ones follow it there.
        let mut family_bucket: Vec<(Vec<u8>, usize)> = Vec::new();
        let mut set_bucket: Vec<Option<usize>> = vec![None; sets.len()];
        for (i, p) in order.iter().enumerate() {
            let f = family(p);
            let bucket = match family_bucket.iter().find(|(g, _)| *g == f) {
                Some(&(_, b)) => b,
                None => {
                    family_bucket.push((f, BUCKETS - 1 - i % BUCKETS));
                    BUCKETS - 1 - i % BUCKETS
                }
            };
            let set = sets.iter().position(|s| s.contains(p)).expect("listed");
            assert_eq!(*set_bucket[set].get_or_insert(bucket), bucket, "{p:?}");
        }
        let mut buckets: Vec<usize> = set_bucket.into_iter().flatten().collect();
        buckets.sort_unstable();
        buckets.dedup();
        assert_eq!(buckets.len(), sets.len(), "a bucket each");
        // More sets than buckets: no such order.
        assert!(in_buckets(&vec![vec![b"abc".to_vec()]; 9]).is_none());
    }

    #[test]
    fn the_shared_pass_is_planned_in_utf8() {
        // Unplanned, the fleet's pages cost 1.5 % more (BENCHMARKS.md).
        let [_, _, other] = classes(&encoded(&fact_anchors(), encoding_rs::UTF_8));
        let (_, other) = full_width(other);
        assert!(planned(&[page_patterns(), other].concat()).is_some());
    }

    #[test]
    fn the_full_width_anchors_share_the_ascii_pass_in_utf8() {
        // Where they do not fit, a page with no anchor would cost a pass more (issue 30).
        let [_, ascii, other] = classes(&encoded(&fact_anchors(), encoding_rs::UTF_8));
        let (full_width, _) = full_width(other);
        let letters: usize = FULL_WIDTH_BUCKETS.iter().map(|s| s.chars().count()).sum();
        assert_eq!(full_width.len(), letters + 2, "the letters, （c and （C");
        assert!(ascii_and_full_width(&ascii, &full_width).is_some());
    }

    #[test]
    fn the_shared_search_answers_as_the_fact_search() {
        for page in ONE_FORM_EACH.iter().copied().chain([
            "<p>plain</p>",
            "<p>粤B2-20090059</p>",
            "<div class=\"logo\">© 2024</div>",
            "<a href=\"https://beian.miit.gov.cn/\">x</a> Powered by WordPress",
            "<p>标点：逗号，括号（）、问号？感叹号！分号；＠０９＝</p>",
            "<p>solid olive police</p>",
        ]) {
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
