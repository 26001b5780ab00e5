//! Byte → text decoding (icp-rules.md §6.1): BOM, HTTP charset, `<meta>` prescan of the first
//! 1024 bytes, else UTF-8 with a GBK fallback. Labels map through WHATWG rules (`encoding_rs`).

use std::borrow::Cow;
use std::sync::LazyLock;

use encoding_rs::{Encoding, GBK, UTF_8};
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

/// Decodes a page's bytes. `http_charset` is the `charset=` of the response's Content-Type.
///
/// A declaration that does not fit the bytes (decoding errors) is overridden when the other
/// common encoding (UTF-8 ↔ GBK) decodes them cleanly: pages that lie about their charset are
/// common on old Chinese sites.
pub fn decode<'a>(bytes: &'a [u8], http_charset: Option<&str>) -> Decoded<'a> {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return Decoded {
            text,
            encoding: enc,
        };
    }
    let declared = http_charset.and_then(|c| label(c.as_bytes())).or_else(|| {
        let head = &bytes[..bytes.len().min(PRESCAN)];
        META_CHARSET
            .captures(head)
            .and_then(|c| c.get(1))
            .and_then(|m| label(m.as_bytes()))
    });
    let first = declared.unwrap_or(UTF_8);
    if first == UTF_8 {
        // SIMD validation: the UTF-8 common case costs a fraction of a full decode.
        if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
            return Decoded {
                text: Cow::Borrowed(text),
                encoding: UTF_8,
            };
        }
    }
    let (text, had_errors) = first.decode_without_bom_handling(bytes);
    if !had_errors {
        return Decoded {
            text,
            encoding: first,
        };
    }
    let alternative = if first == UTF_8 { GBK } else { UTF_8 };
    let (alt_text, alt_errors) = alternative.decode_without_bom_handling(bytes);
    if !alt_errors {
        return Decoded {
            text: alt_text,
            encoding: alternative,
        };
    }
    Decoded {
        text,
        encoding: first,
    }
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
