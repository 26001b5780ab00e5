//! Byte → text decoding (docs/rulebook.md §6.1): BOM, HTTP charset, `<meta>` prescan of the first
//! 1024 bytes, else UTF-8 with a GBK fallback. Labels map through WHATWG rules (`encoding_rs`).

use std::borrow::Cow;
use std::sync::LazyLock;

use encoding_rs::{Encoding, GB18030, GBK, UTF_8};
use regex::bytes::Regex;

/// How far the `<meta charset>` prescan looks (§6.1).
const PRESCAN: usize = 1024;

static META_CHARSET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)"#).expect("static regex")
});

/// A decoded page.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The text.
    pub text: Cow<'a, str>,
    /// The encoding used.
    pub encoding: &'static Encoding,
}

/// The charset parameter of a `Content-Type` header value, if any.
pub fn charset_from_content_type(ct: &str) -> Option<&str> {
    ct.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']))
    })
}

fn label(l: &[u8]) -> Option<&'static Encoding> {
    let e = Encoding::for_label(l)?;
    // WHATWG: a meta/HTTP label of UTF-16 means UTF-8 for an ASCII-compatible byte stream.
    Some(
        if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE {
            UTF_8
        } else {
            e
        },
    )
}

/// The encoding a page is read with, and the length of its byte-order mark; `valid_utf8`
/// says whether the whole page is UTF-8 (callers that need the page as text validate once).
///
/// Order (docs/rulebook.md §6.1): BOM; the HTTP charset; a `<meta>` charset in the first 1024
/// bytes; else UTF-8 if the bytes are UTF-8, GBK if they decode cleanly as GBK. Pages lie about
/// their charset: a page declared GBK (or GB18030) whose bytes are valid UTF-8 with non-ASCII
/// text is UTF-8 (GBK text is practically never valid UTF-8); a page declared anything else
/// that does not decode cleanly is read as UTF-8 or GBK when one of them fits.
pub(crate) fn choose_with(
    bytes: &[u8],
    http_charset: Option<&str>,
    valid_utf8: bool,
) -> (&'static Encoding, usize) {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        return (enc, bom_len);
    }
    let declared = http_charset.and_then(|c| label(c.as_bytes())).or_else(|| {
        let head = &bytes[..bytes.len().min(PRESCAN)];
        META_CHARSET
            .captures(head)
            .and_then(|c| c.get(1))
            .and_then(|m| label(m.as_bytes()))
    });
    match declared {
        Some(enc) if enc == GBK || enc == GB18030 => {
            if valid_utf8 && !bytes.is_ascii() {
                (UTF_8, 0)
            } else {
                (enc, 0)
            }
        }
        Some(enc) if enc != UTF_8 => {
            if !valid_utf8 || decodes_cleanly(enc, bytes) {
                (enc, 0)
            } else {
                (UTF_8, 0)
            }
        }
        // Declared UTF-8, or nothing declared.
        _ => {
            if valid_utf8 || !decodes_cleanly(GBK, bytes) {
                (UTF_8, 0)
            } else {
                (GBK, 0)
            }
        }
    }
}

fn decodes_cleanly(enc: &'static Encoding, bytes: &[u8]) -> bool {
    let mut decoder = enc.new_decoder_without_bom_handling();
    let mut scratch = vec![0u8; 64 * 1024];
    let mut rest = bytes;
    loop {
        let (result, read, _) =
            decoder.decode_to_utf8_without_replacement(rest, &mut scratch, true);
        rest = &rest[read..];
        match result {
            encoding_rs::DecoderResult::InputEmpty => return true,
            encoding_rs::DecoderResult::OutputFull => {}
            encoding_rs::DecoderResult::Malformed(..) => return false,
        }
    }
}

/// The page as text when it is valid UTF-8. A GBK page shows an invalid sequence within its
/// first few KB (the title), so those are checked first: validating a whole page that is not
/// UTF-8 would cost as much as the tag scan's attribute handling.
pub(crate) fn as_utf8(bytes: &[u8]) -> Option<&str> {
    const PROBE: usize = 4096;
    if bytes.len() > PROBE {
        if let Err(e) = simdutf8::compat::from_utf8(&bytes[..PROBE]) {
            // `error_len() == None`: a character cut by the probe's end, not an error.
            if e.error_len().is_some() {
                return None;
            }
        }
    }
    simdutf8::basic::from_utf8(bytes).ok()
}

/// Decodes a page's bytes with `choose_with`'s choice (malformed bytes become U+FFFD).
/// `http_charset` is the `charset=` of the response's Content-Type.
pub fn decode<'a>(bytes: &'a [u8], http_charset: Option<&str>) -> Decoded<'a> {
    let whole = as_utf8(bytes);
    let (encoding, bom) = choose_with(bytes, http_charset, whole.is_some());
    decode_as(bytes, encoding, bom, whole)
}

/// Decodes with a chosen encoding; `whole` is the page as text when it is valid UTF-8 (then a
/// UTF-8 page is borrowed, not copied).
pub(crate) fn decode_as<'a>(
    bytes: &'a [u8],
    encoding: &'static Encoding,
    bom: usize,
    whole: Option<&'a str>,
) -> Decoded<'a> {
    if encoding == UTF_8 {
        // The BOM is one whole character, so slicing after it stays on a boundary.
        if let Some(text) = whole.and_then(|t| t.get(bom..)) {
            return Decoded {
                text: Cow::Borrowed(text),
                encoding,
            };
        }
    }
    let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
    Decoded { text, encoding }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_meta_is_honoured() {
        let (bytes, _, _) = GBK.encode("<meta charset=gbk><p>京ICP备2021034567号-1</p>");
        let d = decode(&bytes, None);
        assert_eq!(d.encoding, GBK);
        assert!(d.text.contains("京ICP备"));
    }

    #[test]
    fn lying_declaration_is_overridden() {
        let d = decode("<meta charset=gb2312>版权所有".as_bytes(), None);
        assert_eq!(d.encoding, UTF_8);
        assert!(d.text.contains("版权所有"));
        let (bytes, _, _) = GBK.encode("<p>版权所有 京ICP备</p>");
        let d = decode(&bytes, Some("utf-8"));
        assert_eq!(d.encoding, GBK);
    }

    #[test]
    fn content_type_charset() {
        assert_eq!(
            charset_from_content_type("text/html; charset=\"GBK\""),
            Some("GBK")
        );
        assert_eq!(charset_from_content_type("text/html"), None);
    }
}
