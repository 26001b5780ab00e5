//! Bounded page buffering for streamed bodies: the whole page when it fits the cap, else its
//! start (charset, meta refresh) and its end (the footer), joined at tag boundaries. Chunks may
//! split the page anywhere; the result depends only on the bytes (tested with random splits).

use std::collections::VecDeque;

/// How much of a long page's start is kept (the `<head>`: charset and meta refresh): all that
/// the refresh detector searches.
const HEAD_KEEP: usize = crate::refresh::SEARCHED;

/// Collects a page pushed in chunks into at most `cap` bytes.
#[derive(Debug)]
pub(crate) struct PageBuffer {
    cap: usize,
    head_cap: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: u64,
}

impl PageBuffer {
    /// A buffer that keeps at most `cap` bytes.
    pub(crate) fn new(cap: usize) -> PageBuffer {
        PageBuffer {
            cap,
            head_cap: HEAD_KEEP.min(cap / 4),
            // Most pages are tens of KB; grow from a small start rather than reserve 64 KiB
            // for each of the thousand fetches in flight.
            head: Vec::with_capacity(cap.min(8 * 1024)),
            tail: VecDeque::new(),
            total: 0,
        }
    }

    /// Bytes pushed so far (kept or not).
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// Appends the next chunk of the page.
    pub(crate) fn push(&mut self, mut data: &[u8]) {
        self.total += data.len() as u64;
        if self.head.len() < self.cap && self.tail.is_empty() {
            let take = (self.cap - self.head.len()).min(data.len());
            self.head.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        if data.is_empty() {
            return;
        }
        // Over the cap: from now on the head keeps its first `head_cap` bytes and the tail the
        // last `cap - head_cap` bytes seen.
        if self.head.len() > self.head_cap {
            self.tail.extend(self.head.drain(self.head_cap..));
        }
        self.tail.extend(data);
        let tail_cap = self.cap - self.head_cap;
        if self.tail.len() > tail_cap {
            let excess = self.tail.len() - tail_cap;
            self.tail.drain(..excess);
        }
    }

    /// The kept page, and whether bytes were dropped from its middle (`cut_short` says the
    /// reader stopped before the end, which also makes the page partial).
    pub(crate) fn finish(self, cut_short: bool) -> (Vec<u8>, bool) {
        if self.tail.is_empty() && !cut_short {
            return (self.head, false);
        }
        let tail = Vec::from(self.tail);
        let head_end = memchr::memrchr(b'>', &self.head).map_or(0, |p| p + 1);
        let tail_start = memchr::memchr(b'<', &tail).unwrap_or(tail.len());
        let mut body = Vec::with_capacity(head_end + tail.len() - tail_start);
        body.extend_from_slice(&self.head[..head_end]);
        body.extend_from_slice(&tail[tail_start..]);
        (body, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn whole(page: &[u8], cap: usize) -> (Vec<u8>, bool) {
        let mut b = PageBuffer::new(cap);
        b.push(page);
        b.finish(false)
    }

    #[test]
    fn short_pages_are_kept_whole() {
        assert_eq!(whole(b"<p>hi</p>", 100), (b"<p>hi</p>".to_vec(), false));
    }

    #[test]
    fn long_pages_keep_head_and_tail_at_tag_boundaries() {
        let mut page = b"<html><head><meta charset=utf-8></head><body>".to_vec();
        for i in 0..20_000 {
            page.extend_from_slice(format!("<p>filler {i}</p>").as_bytes());
        }
        page.extend_from_slice("<footer>京ICP备2021034567号-1</footer></body></html>".as_bytes());
        let (body, truncated) = whole(&page, 64 * 1024);
        assert!(truncated);
        assert!(body.len() <= 64 * 1024);
        assert!(body.starts_with(b"<html><head><meta charset=utf-8>"));
        assert!(body.ends_with("京ICP备2021034567号-1</footer></body></html>".as_bytes()));
        let text = String::from_utf8(body).expect("cut at tag boundaries keeps UTF-8 whole");
        assert!(text.contains("</p><p>"));
    }

    /// A page with a footer after `filler` paragraphs.
    fn page(filler: usize, gbk: bool) -> Vec<u8> {
        let mut p = format!(
            "<html><head><meta charset=\"{}\"></head><body><main>",
            if gbk { "gbk" } else { "utf-8" }
        );
        for i in 0..filler {
            p.push_str(&format!("<p>第{i}段 正文 <a href=\"/n/{i}\">链接</a></p>"));
        }
        p.push_str("</main><footer>© 2024 某公司 <a href=\"https://beian.miit.gov.cn/\">京ICP备2021034567号-1</a></footer></body></html>");
        if gbk {
            encoding_rs::GBK.encode(&p).0.into_owned()
        } else {
            p.into_bytes()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Random splits of a page into chunks never change the kept bytes (so never the
        /// facts extracted from them); under the cap the page is kept whole, over it the kept
        /// bytes still end with the footer.
        #[test]
        fn random_chunk_splits_never_change_the_answer(
            filler in 0usize..400,
            gbk in any::<bool>(),
            cap in prop_oneof![Just(4096usize), Just(16 * 1024), Just(1 << 20)],
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..40),
        ) {
            let page = page(filler, gbk);
            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(page.len() + 1)).collect();
            points.sort_unstable();
            let mut b = PageBuffer::new(cap);
            let mut from = 0;
            for p in points {
                b.push(&page[from..p]);
                from = p;
            }
            b.push(&page[from..]);
            let (chunked, truncated) = b.finish(false);
            let (one, one_truncated) = whole(&page, cap);
            prop_assert_eq!(&chunked, &one);
            prop_assert_eq!(truncated, one_truncated);
            prop_assert!(chunked.len() <= cap);
            if !truncated {
                prop_assert_eq!(&chunked, &page);
            }
            // The footer is at the end, so even a cut page keeps it whole.
            let footer = memchr::memmem::rfind(&page, b"<footer>").unwrap_or(page.len());
            prop_assert!(chunked.ends_with(&page[footer..]));
            prop_assert!(gbk || std::str::from_utf8(&chunked).is_ok());
        }
    }
}
