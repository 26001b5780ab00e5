//! A start tag's attributes as the tag scanner reads them: `name=value` pairs with the common
//! character references decoded, and whether the tag marks a footer region (§6.3).

use memchr::memchr;

pub(crate) fn is_name_byte(b: u8) -> bool {
    !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>')
}

/// Iterates `name=value` pairs of a tag's attribute text (values without entity decoding
/// beyond the common references).
pub(crate) fn attrs(raw: &str) -> impl Iterator<Item = (&str, std::borrow::Cow<'_, str>)> {
    let b = raw.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() {
                return None;
            }
            let ns = i;
            while i < b.len()
                && !b[i].is_ascii_whitespace()
                && b[i] != b'='
                && b[i] != b'/'
                && (i == ns || b[i] != b'>')
            {
                i += 1;
            }
            let name = &raw[ns..i];
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && b[i] == b'=' {
                i += 1;
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                let value = if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                    let q = b[i];
                    let vs = i + 1;
                    let ve = memchr(q, &b[vs..]).map_or(b.len(), |p| vs + p);
                    i = (ve + 1).min(b.len());
                    &raw[vs..ve]
                } else {
                    let vs = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    &raw[vs..i]
                };
                if name.is_empty() {
                    continue;
                }
                return Some((name, decode_refs(value)));
            }
            if name.is_empty() {
                i += 1;
                continue;
            }
            return Some((name, std::borrow::Cow::Borrowed("")));
        }
    })
}

/// Decodes numeric character references and the few named ones that occur in attributes.
pub(crate) fn decode_refs(v: &str) -> std::borrow::Cow<'_, str> {
    if !v.contains('&') {
        return std::borrow::Cow::Borrowed(v);
    }
    let mut out = String::with_capacity(v.len());
    let mut rest = v;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let end = rest.find(';').filter(|&e| e <= 12);
        let decoded = end.and_then(|e| {
            let body = &rest[1..e];
            let c = if let Some(hex) = body.strip_prefix("#x").or_else(|| body.strip_prefix("#X")) {
                u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
            } else if let Some(dec) = body.strip_prefix('#') {
                dec.parse::<u32>().ok().and_then(char::from_u32)
            } else {
                match body {
                    "amp" => Some('&'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "nbsp" => Some('\u{a0}'),
                    _ => None,
                }
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

pub(super) fn marked(raw_attrs: &str) -> bool {
    attrs(raw_attrs).any(|(k, v)| {
        if k.eq_ignore_ascii_case("role") {
            return v.trim().eq_ignore_ascii_case("contentinfo");
        }
        if k.eq_ignore_ascii_case("id") {
            return crate::marker::names_footer(&v);
        }
        if k.eq_ignore_ascii_case("class") {
            return crate::marker::class_names_footer(&v);
        }
        false
    })
}
