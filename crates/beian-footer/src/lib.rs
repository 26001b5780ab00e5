//! Footer extraction (icp-rules.md §6): page bytes (+ the HTTP charset) → [`FooterFacts`].
//!
//! This first version follows the spec's reference procedure on a full HTML5 DOM (`scraper`,
//! i.e. html5ever). It is pure and synchronous. A faster streaming extractor that must agree
//! with it (differential tests) is issue 3's work; this one then becomes the reference.
#![deny(missing_docs)]

mod copyright;
mod decode;
mod dom;
mod normalise;

pub use copyright::copyright_holder;
pub use decode::{Decoded, charset_from_content_type, decode};
pub use normalise::normalise;

use beian_types::FooterFacts;

/// Extracts the footer facts of a page.
pub fn extract(bytes: &[u8], http_charset: Option<&str>) -> FooterFacts {
    let decoded = decode(bytes, http_charset);
    dom::extract_text(&decoded.text, decoded.encoding.name())
}

/// Extracts the footer facts of already-decoded HTML.
pub fn extract_str(html: &str) -> FooterFacts {
    dom::extract_text(html, "UTF-8")
}
