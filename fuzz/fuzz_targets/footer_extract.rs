//! Any bytes, any declared charset: extraction and page rules never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (charset, page) = match data.split_first() {
        Some((b, rest)) => ([None, Some("gbk"), Some("utf-8"), Some("big5")][usize::from(*b) % 4], rest),
        None => (None, data),
    };
    let facts = beian_footer::extract(page, charset);
    let _ = beian_rules::page_rules(&beian_rules::PageInput {
        host: "fuzz.cn",
        url: "https://fuzz.cn/",
        facts: &facts,
        manifest: &beian_types::Manifest::default(),
        as_of: time::Date::MIN,
    });
});
