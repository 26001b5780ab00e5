//! Reading the domain list: a text file (one domain per line, `#` comments, blank lines, CRLF,
//! UTF-8 BOM, IDN names) or a CSV with a header naming a `domain` column plus optional manifest
//! columns. Every non-blank, non-comment line yields exactly one [`InputItem`], good or bad, so
//! the audit can write one `sites` row per line. Reading is lazy: memory does not grow with the
//! file, except for the set of domains seen (duplicate detection).
#![deny(missing_docs)]

mod domain;
pub mod manifest;
pub mod nets;
mod shard;

pub use domain::{DomainError, Target, normalise_domain};
pub use shard::{Shard, ShardError};

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;

use beian_types::{ErrorClass, HostRole};

/// Why an input line could not be audited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The domain is malformed.
    #[error("line {line}: {raw:?} is not a usable domain: {reason}")]
    Invalid {
        /// 1-based line number.
        line: u64,
        /// The value as read.
        raw: String,
        /// Why.
        reason: DomainError,
    },
    /// The domain was listed before.
    #[error("line {line}: {domain} repeats line {first}")]
    Duplicate {
        /// 1-based line number.
        line: u64,
        /// The normalised domain.
        domain: String,
        /// Where it was first listed.
        first: u64,
    },
    /// The line is not valid UTF-8.
    #[error("line {line}: not valid UTF-8")]
    NotUtf8 {
        /// 1-based line number.
        line: u64,
    },
    /// A CSV row could not be split into fields.
    #[error("line {line}: malformed CSV row: {reason}")]
    Csv {
        /// 1-based line number.
        line: u64,
        /// Why.
        reason: String,
    },
    /// The line is longer than any line of a domain list can usefully be.
    #[error(
        "line {line}: {bytes} bytes long, more than a domain list line may hold ({MAX_LINE}); \
         not audited, and `input` keeps only its first {KEPT} bytes"
    )]
    TooLong {
        /// 1-based line number.
        line: u64,
        /// Its length in bytes, without the line ending.
        bytes: u64,
    },
    /// A manifest cell does not hold what its column needs.
    #[error("line {line}, {cell}")]
    Manifest {
        /// 1-based line number.
        line: u64,
        /// The column, the value and the reason.
        cell: manifest::CellError,
    },
}

impl InputError {
    /// The stable error class for the `sites` row.
    pub fn class(&self) -> ErrorClass {
        match self {
            InputError::Duplicate { .. } => ErrorClass::InputDuplicate,
            _ => ErrorClass::InputInvalid,
        }
    }
}

/// One line of input, parsed or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputItem {
    /// 1-based line number.
    pub line: u64,
    /// The line as read, without its line ending.
    pub raw: String,
    /// The target, or why there is none.
    pub result: Result<Target, InputError>,
}

/// Reading the whole input failed (I/O), as opposed to one bad line.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The underlying reader failed.
    #[error("reading input failed after line {line}")]
    Io {
        /// Last line read successfully.
        line: u64,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The CSV header has no `domain` column.
    #[error("line {line}: CSV header has no `domain` column")]
    NoDomainColumn {
        /// Line of the header.
        line: u64,
    },
}

/// The longest line read whole: a domain is at most 253 octets and a manifest row a few
/// hundred bytes; longer lines (a binary file, a pasted document) are an input error, read
/// past without keeping them, so memory does not grow with a line.
pub const MAX_LINE: usize = 64 * 1024;

/// How much of an overlong line `input` keeps.
pub const KEPT: usize = 256;

/// A line: its text (`Err(lossy text)` when not UTF-8) and, when it was longer than
/// [`MAX_LINE`], its length in bytes (the text is then its first [`KEPT`] bytes).
type Line = (Result<String, String>, Option<u64>);

/// An item's line: its number, its text and its length when overlong ([`Line`]).
type Record = (u64, Result<String, String>, Option<u64>);

/// A lazy reader of domain lists.
pub struct Reader<R> {
    inner: R,
    line: u64,
    buf: Vec<u8>,
    /// Column names when the input is a CSV; `None` for a plain list; unset before line 1.
    header: Option<Option<Vec<String>>>,
    seen: HashMap<String, u64>,
    shard: Shard,
}

impl<R: BufRead> Reader<R> {
    /// Wraps a buffered reader.
    pub fn new(inner: R) -> Self {
        Reader {
            inner,
            line: 0,
            buf: Vec::new(),
            header: None,
            seen: HashMap::new(),
            shard: Shard::WHOLE,
        }
    }

    /// Yields only the lines of `shard` (docs/SHARDS.md), numbered as in the whole input;
    /// only its own domains are remembered for recognising repeats.
    pub fn sharded(mut self, shard: Shard) -> Self {
        self.shard = shard;
        self
    }

    /// The next line without its ending ([`Line`]).
    fn next_line(&mut self) -> Result<Option<Line>, ReadError> {
        self.buf.clear();
        let io = |line| move |source| ReadError::Io { line, source };
        let n = std::io::Read::take(&mut self.inner, MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut self.buf)
            .map_err(io(self.line))?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        let mut overlong = None;
        if self.buf.len() > MAX_LINE && self.buf.last() != Some(&b'\n') {
            // Read past the rest of the line, keeping only its length.
            let mut len = self.buf.len() as u64;
            loop {
                let avail = self.inner.fill_buf().map_err(io(self.line - 1))?;
                if avail.is_empty() {
                    break;
                }
                let (used, end) = match avail.iter().position(|&b| b == b'\n') {
                    Some(i) => (i + 1, true),
                    None => (avail.len(), false),
                };
                self.inner.consume(used);
                len += used as u64 - u64::from(end);
                if end {
                    break;
                }
            }
            let mut keep = KEPT;
            while keep > 0 && std::str::from_utf8(&self.buf[..keep]).is_err() {
                keep -= 1;
            }
            self.buf.truncate(keep);
            overlong = Some(len);
        }
        while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
            self.buf.pop();
        }
        let bytes = if self.line == 1 {
            self.buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&self.buf)
        } else {
            &self.buf
        };
        let text = match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_string()),
            Err(_) => Err(String::from_utf8_lossy(bytes).into_owned()),
        };
        Ok(Some((text, overlong)))
    }

    /// The next line that is an item — not blank, not a comment, not the CSV header — as its
    /// number and its text (`Err(lossy text)` when not UTF-8); `Ok(None)` at the end.
    fn next_record(&mut self) -> Result<Option<Record>, ReadError> {
        loop {
            let Some((text, overlong)) = self.next_line()? else {
                return Ok(None);
            };
            let line = self.line;
            let Ok(text) = text else {
                return Ok(Some((line, text, overlong)));
            };
            let trimmed = text.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if overlong.is_some() {
                return Ok(Some((line, Ok(text), overlong)));
            }
            if self.header.is_none() {
                let fields = split_csv(trimmed).unwrap_or_default();
                let is_header = trimmed.contains(',')
                    && fields
                        .iter()
                        .any(|f| f.trim().eq_ignore_ascii_case("domain"));
                if is_header {
                    self.header = Some(Some(
                        fields
                            .iter()
                            .map(|f| f.trim().to_ascii_lowercase())
                            .collect(),
                    ));
                    continue;
                }
                self.header = Some(None);
                if trimmed.eq_ignore_ascii_case("domain") {
                    continue;
                }
            }
            return Ok(Some((line, Ok(text), None)));
        }
    }

    /// The next item, `Ok(None)` at the end of input.
    pub fn next_item(&mut self) -> Result<Option<InputItem>, ReadError> {
        loop {
            let Some((line, text, overlong)) = self.next_record()? else {
                return Ok(None);
            };
            let result = match (&text, overlong) {
                (_, Some(bytes)) => self
                    .shard
                    .holds_line(line)
                    .then_some(Err(InputError::TooLong { line, bytes })),
                (Ok(text), None) => self.parse(line, text.trim()),
                (Err(_), None) => self
                    .shard
                    .holds_line(line)
                    .then_some(Err(InputError::NotUtf8 { line })),
            };
            // Another shard's line.
            let Some(result) = result else {
                continue;
            };
            let raw = match text {
                Ok(t) | Err(t) => t,
            };
            return Ok(Some(InputItem { line, raw, result }));
        }
    }

    /// The line's target or why it has none; `None` when the line is another shard's.
    fn parse(&mut self, line: u64, trimmed: &str) -> Option<Result<Target, InputError>> {
        let shard = self.shard;
        let by_line = |e: InputError| shard.holds_line(line).then_some(Err(e));
        let (value, manifest) = match &self.header {
            Some(Some(cols)) => {
                let fields = match split_csv(trimmed) {
                    Ok(f) => f,
                    Err(reason) => return by_line(InputError::Csv { line, reason }),
                };
                let mut manifest = BTreeMap::new();
                let mut domain = None;
                for (i, f) in fields.into_iter().enumerate() {
                    match cols.get(i).map(String::as_str) {
                        Some("domain") => domain = Some(f),
                        Some(col) if !f.trim().is_empty() => {
                            manifest.insert(col.to_string(), f.trim().to_string());
                        }
                        _ => {}
                    }
                }
                (domain.unwrap_or_default(), manifest)
            }
            _ => (trimmed.to_string(), BTreeMap::new()),
        };
        let mut target = match normalise_domain(&value) {
            Ok(t) => t,
            Err(reason) => {
                return by_line(InputError::Invalid {
                    line,
                    raw: value.trim().to_string(),
                    reason,
                });
            }
        };
        if !shard.holds_domain(&target.domain) {
            return None;
        }
        Some(self.checked(line, &mut target, &manifest).map(|()| target))
    }

    /// The manifest's cells and the repeat check of a line of this shard.
    fn checked(
        &mut self,
        line: u64,
        target: &mut Target,
        manifest: &BTreeMap<String, String>,
    ) -> Result<(), InputError> {
        target.manifest =
            manifest::typed(manifest).map_err(|cell| InputError::Manifest { line, cell })?;
        // The filing's other domains (从域名) are probed with the site, as its hosts.
        for other in target.manifest.other_domains.iter().flatten() {
            let Ok(t) = domain::normalise_domain(other) else {
                continue;
            };
            for (_, host) in t.hosts {
                if !target.hosts.iter().any(|(_, h)| *h == host) {
                    target.hosts.push((HostRole::Other, host));
                }
            }
        }
        if let Some(&first) = self.seen.get(&target.domain) {
            return Err(InputError::Duplicate {
                line,
                domain: target.domain.clone(),
                first,
            });
        }
        self.seen.insert(target.domain.clone(), line);
        Ok(())
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<InputItem, ReadError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_item().transpose()
    }
}

/// How many items (rows of output) an input holds, by the reader's own rule, without parsing
/// them: for a progress total read ahead of the run.
pub fn count_items(input: impl BufRead) -> Result<u64, ReadError> {
    let mut reader = Reader::new(input);
    let mut n = 0;
    while reader.next_record()?.is_some() {
        n += 1;
    }
    Ok(n)
}

fn split_csv(line: &str) -> Result<Vec<String>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    match rdr.records().next() {
        Some(Ok(rec)) => Ok(rec.iter().map(str::to_string).collect()),
        Some(Err(e)) => Err(e.to_string()),
        None => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each bad line's message names the line and the reason (pinned: users read these).
    #[test]
    fn error_messages_name_the_line_and_the_reason() {
        let text = "domain,province,opened_on\n\
                    example.cn,江苏,2026-01-02\n\
                    not a domain!,,\n\
                    example.cn,,\n\
                    com.cn,,\n\
                    b.cn,Atlantis,\n\
                    c.cn,,2026-13-01\n\
                    ftp://d.cn/,,\n\
                    \"unclosed,x\n";
        let messages: Vec<String> = read(text.as_bytes())
            .into_iter()
            .filter_map(|i| i.result.err())
            .map(|e| e.to_string())
            .collect();
        insta::assert_snapshot!(messages.join("\n"), @r#"
            line 3: "not a domain!" is not a usable domain: invalid characters or IDNA error
            line 4: example.cn repeats line 2
            line 5: "com.cn" is not a usable domain: com.cn is a public suffix, not a registrable domain
            line 6, column province: "Atlantis" is not a province (江苏, 苏, Jiangsu or 32)
            line 7, column opened_on: "2026-13-01" is not a date (YYYY-MM-DD)
            line 8: "ftp://d.cn/" is not a usable domain: unsupported URL scheme "ftp"
            line 9: "unclosed,x" is not a usable domain: invalid characters or IDNA error
            "#);
        let not_utf8 = read(b"a.cn\n\xff\xfe.cn\n");
        insta::assert_snapshot!(not_utf8[1].result.clone().unwrap_err().to_string(), @"line 2: not valid UTF-8");
    }

    fn read(s: &[u8]) -> Vec<InputItem> {
        Reader::new(s)
            .collect::<Result<Vec<_>, _>>()
            .expect("no I/O error")
    }

    #[test]
    fn text_list_with_bom_crlf_comments_and_idn() {
        let items = read(
            "\u{feff}example.cn\r\n# comment\r\n\r\n例子.中国\r\nwww.example.com.cn\r\n".as_bytes(),
        );
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].line, 1);
        assert_eq!(
            items[0].result.as_ref().map(|t| t.domain.as_str()),
            Ok("example.cn")
        );
        assert_eq!(items[1].line, 4);
        assert_eq!(
            items[1].result.as_ref().map(|t| t.domain.as_str()),
            Ok("xn--fsqu00a.xn--fiqs8s")
        );
        assert_eq!(
            items[2].result.as_ref().map(|t| t.domain.as_str()),
            Ok("example.com.cn")
        );
    }

    #[test]
    fn bad_lines_keep_their_line_numbers() {
        let long = "a".repeat(64);
        let input = format!("good.cn\nbad..cn\n{long}.cn\ngood.cn\n\u{00ff}\n");
        let mut bytes = input.into_bytes();
        bytes.extend_from_slice(b"\xff\xfe.cn\n");
        let items = read(&bytes);
        assert_eq!(items.len(), 6);
        assert!(items[0].result.is_ok());
        let errs: Vec<String> = items[1..]
            .iter()
            .map(|i| i.result.clone().unwrap_err().to_string())
            .collect();
        assert!(errs[0].starts_with("line 2: \"bad..cn\""), "{}", errs[0]);
        assert!(errs[1].contains("longer than 63"), "{}", errs[1]);
        assert_eq!(errs[2], "line 4: good.cn repeats line 1");
        assert!(errs[4].contains("line 6: not valid UTF-8"), "{}", errs[4]);
    }

    /// A 10 MB line (a binary or a pasted document): one input error naming its length, a
    /// bounded prefix kept, and the lines after it read as usual.
    #[test]
    fn an_overlong_line_is_cut_and_said_so() {
        let mut bytes = b"a.cn\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', 10 << 20));
        bytes.extend_from_slice("\u{4e2d}\u{6587}\nb.cn\n# ".as_bytes());
        bytes.extend(std::iter::repeat_n(b'#', MAX_LINE * 2));
        bytes.extend_from_slice(b"\nc.cn");
        let items = read(&bytes);
        let lines: Vec<u64> = items.iter().map(|i| i.line).collect();
        assert_eq!(lines, [1, 2, 3, 5]);
        let long = &items[1];
        assert_eq!(long.raw.len(), KEPT);
        let err = long.result.clone().unwrap_err();
        assert_eq!(
            err,
            InputError::TooLong {
                line: 2,
                bytes: (10 << 20) + 6
            }
        );
        assert!(
            err.to_string().starts_with("line 2: 10485766 bytes long"),
            "{err}"
        );
        assert!(items[2].result.is_ok() && items[3].result.is_ok());
        // A line of exactly the limit is read whole.
        let exact = format!("{}\n", "y".repeat(MAX_LINE));
        let items = read(exact.as_bytes());
        assert_eq!(items[0].raw.len(), MAX_LINE);
        assert!(!matches!(items[0].result, Err(InputError::TooLong { .. })));
        // A cut in the middle of a character keeps whole characters.
        let wide = "中".repeat(MAX_LINE);
        let items = read(wide.as_bytes());
        assert!(items[0].raw.len() <= KEPT && items[0].raw.chars().all(|c| c == '中'));
    }

    #[test]
    fn other_domains_are_probed_as_the_site_s_other_hosts() {
        let items = read("domain,other_domains\nexample.cn,example.com.cn;www.例子.中国;blog.example.cn;example.cn\n".as_bytes());
        let t = items[0].result.as_ref().expect("ok");
        let hosts: Vec<(&str, &str)> = t
            .hosts
            .iter()
            .map(|(r, h)| (r.as_str(), h.as_str()))
            .collect();
        assert_eq!(
            hosts,
            [
                ("apex", "example.cn"),
                ("www", "www.example.cn"),
                ("other", "example.com.cn"),
                ("other", "www.example.com.cn"),
                ("other", "xn--fsqu00a.xn--fiqs8s"),
                ("other", "www.xn--fsqu00a.xn--fiqs8s"),
                // A sub-domain is probed alone; the site's own name is not probed twice.
                ("other", "blog.example.cn"),
            ]
        );
    }

    #[test]
    fn csv_with_manifest_columns() {
        let items = read(b"domain,expected_icp,province\nexample.cn,\"\xe4\xba\xacICP\xe5\xa4\x872021034567\xe5\x8f\xb7-1\",\n");
        assert_eq!(items.len(), 1);
        let t = items[0].result.as_ref().expect("ok");
        assert_eq!(items[0].line, 2);
        assert_eq!(
            t.manifest.expected_icp.as_deref(),
            Some("京ICP备2021034567号-1")
        );
        assert_eq!(t.manifest.province, None);
        let items = read(b"domain,opened_on\nexample.cn,2026-13-01\n");
        let e = items[0].result.clone().expect_err("bad date");
        assert_eq!(
            e.to_string(),
            "line 2, column opened_on: \"2026-13-01\" is not a date (YYYY-MM-DD)"
        );
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_give_one_item_per_content_line(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let items = read(&bytes);
            let content_lines = bytes.split(|&b| b == b'\n').enumerate().filter(|(i, l)| {
                let l = if *i == 0 { l.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(l) } else { l };
                let s = String::from_utf8_lossy(l);
                let t = s.trim();
                !(t.is_empty() || t.starts_with('#')) || std::str::from_utf8(l).is_err()
            }).count();
            // A header line (a lone "domain" or a CSV header) is consumed without an item.
            proptest::prop_assert!(items.len() == content_lines || items.len() + 1 == content_lines);
            // The count read ahead for the progress total is the reader's own.
            proptest::prop_assert_eq!(count_items(&bytes[..]).ok(), Some(items.len() as u64));
        }

        /// Lists and CSVs of domains, headers, comments and blank lines: the count read
        /// ahead equals the items read.
        #[test]
        fn count_items_agrees_with_the_reader(
            lines in proptest::collection::vec(proptest::prop_oneof![
                proptest::strategy::Just("domain".to_string()), proptest::strategy::Just("domain,owner".to_string()),
                proptest::strategy::Just("# note".to_string()), proptest::strategy::Just(String::new()), proptest::strategy::Just("  ".to_string()),
                "[a-z]{1,8}\\.cn(,[a-z]{0,4})?",
            ], 0..30),
            crlf in proptest::bool::ANY,
        ) {
            let text = lines.join(if crlf { "\r\n" } else { "\n" });
            let items = read(text.as_bytes());
            proptest::prop_assert_eq!(count_items(text.as_bytes()).ok(), Some(items.len() as u64));
        }
    }

    proptest::proptest! {
        /// Split into N shards, an input gives each line to exactly one shard, with the item
        /// an unsharded read gives it (repeats included: a domain and its repeats share a
        /// shard).
        #[test]
        fn shards_partition_the_input(
            lines in proptest::collection::vec(proptest::prop_oneof![
                "(www\\.|shop\\.)?[a-e]{1,2}\\.(cn|com\\.cn)",
                proptest::strategy::Just("not a domain!".to_string()),
                proptest::strategy::Just("# note".to_string()),
                proptest::strategy::Just(String::new()),
            ], 0..40),
            count in 1u32..6,
        ) {
            let text = lines.join("\n");
            let whole = read(text.as_bytes());
            let mut seen: Vec<InputItem> = Vec::new();
            for index in 0..count {
                let shard = Shard::new(index, count).unwrap();
                let items: Vec<InputItem> = Reader::new(text.as_bytes())
                    .sharded(shard)
                    .map(Result::unwrap)
                    .collect();
                seen.extend(items);
            }
            seen.sort_by_key(|i| i.line);
            proptest::prop_assert_eq!(seen, whole);
        }
    }

    #[test]
    fn a_csv_header_is_not_counted() {
        let csv = "domain,org_name\na.cn,甲\n\n# x\nb.cn,乙\n";
        assert_eq!(count_items(csv.as_bytes()).ok(), Some(2));
        assert_eq!(count_items("a.cn\nb.cn".as_bytes()).ok(), Some(2));
    }
}
