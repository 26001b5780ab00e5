//! Footer extraction (docs/rulebook.md §6): page bytes (+ the HTTP charset) → [`FooterFacts`].
//!
//! [`extract`] is the fast path: an anchor search that lets pages holding nothing stop early
//! (`anchors`), then a tag scan over the raw bytes that cuts out only the footer regions and
//! parses them as fragments (`fast`, its tree-building model in `fast::tree`).
//! [`extract_reference`] follows the rulebook's procedure on a whole-page HTML5 DOM
//! (`reference`, html5ever via `scraper`). Both apply the same region rules (`region`) to the
//! trees they build and read the regions they found the same way (`read`); the fast path
//! calls none of the reference's procedure but on the rare page its scanner does not model
//! ([`Route::WholePage`]). Differential tests keep them in agreement. Both are pure and
//! synchronous.
#![deny(missing_docs)]

mod anchors;
mod copyright;
mod decode;
mod fast;
mod marker;
mod names;
mod normalise;
mod page;
mod read;
mod reference;
mod region;
mod signals;

pub use copyright::copyright_holder;
pub use decode::{Decoded, charset_from_content_type, decode};
pub use fast::Route;
pub use normalise::normalise;
pub use signals::{RenderSignal, render_signals};

use beian_types::{FooterFacts, FooterRegion};

/// The fast path over a page in an ASCII-compatible `encoding` (`utf8`: the same bytes as text,
/// when they are UTF-8).
fn scan(body: &[u8], encoding: &'static encoding_rs::Encoding, utf8: Option<&str>) -> FooterFacts {
    with_page_facts(body, encoding, || fast::extract_bytes(body, encoding, utf8))
}

/// One search for the anchors of the footer facts and of the page facts
/// ([`anchors::search_page`]): a page that holds no anchor of any footer fact stops there; on
/// the others `footer` reads the footer. Then the page facts.
fn with_page_facts(
    body: &[u8],
    encoding: &'static encoding_rs::Encoding,
    footer: impl FnOnce() -> FooterFacts,
) -> FooterFacts {
    let mut hits = Vec::new();
    let mut facts = if anchors::search_page(body, encoding, &mut hits) {
        footer()
    } else {
        let mut facts = FooterFacts::empty(encoding.name());
        facts.region = FooterRegion::NotSearched;
        facts
    };
    facts.page = page::page_facts(body, encoding, hits);
    facts
}

/// Runs `f` on the page as the fast path reads it — its bytes in an ASCII-compatible encoding
/// (with the UTF-8 view when they are UTF-8), or, for other encodings and malformed UTF-8, the
/// page decoded to UTF-8 — and names the page's encoding.
fn fast_view<T>(
    bytes: &[u8],
    http_charset: Option<&str>,
    f: impl FnOnce(&[u8], &'static encoding_rs::Encoding, Option<&str>) -> T,
) -> (T, &'static encoding_rs::Encoding) {
    // One UTF-8 validation serves the encoding choice and the text view.
    let whole = decode::as_utf8(bytes);
    let (encoding, bom) = decode::choose_with(bytes, http_charset, whole.is_some());
    let body = &bytes[bom..];
    if encoding == encoding_rs::UTF_8 {
        if let Some(text) = whole.and_then(|t| t.get(bom..)) {
            return (f(body, encoding, Some(text)), encoding);
        }
    } else if encoding == encoding_rs::GBK || encoding == encoding_rs::GB18030 {
        return (f(body, encoding, None), encoding);
    }
    let decoded = decode::decode_as(bytes, encoding, bom, whole);
    let text = decoded.text.as_ref();
    (f(text.as_bytes(), encoding_rs::UTF_8, Some(text)), encoding)
}

/// The way [`extract`] reads the page (for tests and benchmarks: the differential tests
/// compare the extractors only where the fast path read the page its own way).
pub fn route(bytes: &[u8], http_charset: Option<&str>) -> Route {
    fast_view(bytes, http_charset, fast::route).0
}

/// Extracts the footer facts of a page (the fast path), with its page facts
/// ([`FooterFacts::page`], docs/rulebook.md §6.15).
pub fn extract(bytes: &[u8], http_charset: Option<&str>) -> FooterFacts {
    let (mut facts, encoding) = fast_view(bytes, http_charset, scan);
    facts.encoding = encoding.name();
    facts
}

/// The page facts alone (docs/rulebook.md §6.15): what [`extract`] puts in
/// [`FooterFacts::page`], found the same way.
pub fn page_facts(bytes: &[u8], http_charset: Option<&str>) -> beian_types::PageFacts {
    fast_view(bytes, http_charset, |body, encoding, _| {
        with_page_facts(body, encoding, || FooterFacts::empty(encoding.name())).page
    })
    .0
}

/// The reference extractor: the spec's procedure on a full HTML5 DOM of the page. Slower;
/// used to check [`extract`] (differential tests) and in benchmarks. The page facts have one
/// reader, the same as [`extract`]'s.
pub fn extract_reference(bytes: &[u8], http_charset: Option<&str>) -> FooterFacts {
    let decoded = decode(bytes, http_charset);
    let mut facts = reference::extract_text(&decoded.text, decoded.encoding.name());
    facts.page = page_facts(bytes, http_charset);
    facts
}

#[cfg(test)]
mod routes {
    use super::*;

    #[test]
    fn each_route_is_taken() {
        let plain = "<body><p>hello</p></body>";
        assert_eq!(route(plain.as_bytes(), None), Route::Anchors);
        let footer = "<body><main>x</main><footer>京ICP备2021034567号-1</footer></body>";
        assert_eq!(route(footer.as_bytes(), None), Route::Fragments);
        // The adoption agency's outer loop runs again on the copy: read whole.
        let misnested = "<body><a href=\"/\"><main><div class=\"footer\">京ICP备2021034567号-1</a></div></main></body>";
        assert_eq!(route(misnested.as_bytes(), None), Route::WholePage);
        assert_eq!(
            extract(misnested.as_bytes(), None),
            extract_reference(misnested.as_bytes(), None)
        );
    }

    /// The body fallback of each extractor (found by the differential test): a number in the
    /// body text does not run on across an empty footer region into the text after it.
    #[test]
    fn a_left_out_region_separates_the_body_text() {
        let page = "<body>粤B2-20090059<div class=\"fot_w2\"></div>0</body>";
        for facts in [
            extract(page.as_bytes(), None),
            extract_reference(page.as_bytes(), None),
        ] {
            let primary = facts.primary.map(|c| c.number.canonical);
            assert_eq!(primary.as_deref(), Some("粤B2-20090059"));
        }
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any bytes: no panic.
        #[test]
        fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let _ = super::extract(&bytes, None);
        }

        /// Markup-shaped noise around real numbers: no panic, and a footer number found in
        /// plain footer text is always reported.
        #[test]
        fn footer_numbers_survive_noise(
            noise in proptest::collection::vec(prop_oneof![
                Just("<div>".to_string()), Just("</div>".to_string()), Just("<span>".to_string()),
                Just("</p>".to_string()), Just("<!--".to_string()), Just("-->".to_string()),
                Just("&nbsp;".to_string()), "[a-z 备号ICP0-9]{0,12}",
            ], 0..30),
        ) {
            let head: String = noise.concat();
            let html = format!("{head}--><footer><p>京ICP备2021034567号-1</p></footer>");
            let facts = super::extract(html.as_bytes(), None);
            prop_assert!(facts.icp_all.iter().any(|c| c.number.canonical == "京ICP备2021034567号-1"), "{html}");
        }
    }
}
