use super::*;

fn facts(html: &str) -> PageFacts {
    crate::page_facts(html.as_bytes(), None)
}

fn kinds(f: &PageFacts) -> Vec<(&'static str, &'static str)> {
    f.features
        .iter()
        .map(|x| (x.kind.as_str(), x.what))
        .collect()
}

const ZH_TEXT: &str = "我们致力于为客户提供安全稳定高效的云计算与网络服务覆盖网站建设数据存储与运维管理等业务欢迎联系我们了解更多产品与解决方案";

#[test]
fn the_head_gives_title_names_and_declared_language() {
    let page = format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <title>  某某科技 &amp; 云 -\n 官网 </title>\
         <meta property=\"og:site_name\" content=\"某某科技\">\
         <meta name=\"apple-mobile-web-app-title\" content=\"某某\">\
         </head><body><div class=\"logo\"><a href=\"/\"><img src=\"/l.png\" alt=\"某某科技有限公司\"></a></div><p>{ZH_TEXT}</p></body></html>"
    );
    let f = facts(&page);
    assert_eq!(f.title.as_deref(), Some("某某科技 & 云 - 官网"));
    assert_eq!(f.lang_declared.as_deref(), Some("zh-CN"));
    let names: Vec<_> = f
        .names
        .iter()
        .map(|n| (n.source, n.text.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            (NameSource::SiteName, "某某科技"),
            (NameSource::AppName, "某某"),
            (NameSource::Logo, "某某科技有限公司"),
        ]
    );
    let lang = f.lang.expect("enough text");
    assert_eq!(lang.tag, "zh");
    assert!(lang.share > 90, "{lang:?}");
    assert!(f.features.is_empty(), "{:?}", f.features);
}

#[test]
fn a_generic_logo_alt_names_nothing_and_the_link_title_does() {
    let page = "<body><a class=\"site-logo\" href=\"/\" title=\"张三的博客\"><img src=\"logo.png\" alt=\"Logo\"></a></body>";
    let f = facts(page);
    assert_eq!(f.names.len(), 1);
    assert_eq!(f.names[0].text, "张三的博客");
    // A logo file name in a stylesheet link or an og:image is no logo element.
    let head = "<head><link rel=\"icon\" href=\"/logo.ico\"><meta property=\"og:image\" content=\"logo.png\"></head><body><img src=\"x.png\" alt=\"banner\"></body>";
    assert!(facts(head).names.is_empty());
}

#[test]
fn comment_widgets_forums_and_chat_are_found_by_their_markers() {
    let page = r#"<html><head><meta name="generator" content="Discuz! X3.4"></head><body>
        <div id="SOHUCS" sid="42"></div>
        <script type="text/javascript" src="https://changyan.sohu.com/upload/changyan.js"></script>
        <script>var _53code = document.createElement("script");_53code.src = "//tb.53kf.com/code/code/10181581/2";</script>
        <script src="https://giscus.app/client.js" data-repo="a/b"></script>
        <iframe src="https://utteranc.es/utterances.html"></iframe>
        <a href="https://p.qiao.baidu.com/cps/chat?siteId=1&userId=2">在线咨询</a>
        </body></html>"#;
    let f = facts(page);
    assert_eq!(
        kinds(&f),
        [
            ("forum", "Discuz!"),
            ("comments", "畅言 (Changyan)"),
            ("chat", "53KF"),
            ("comments", "Giscus"),
            ("comments", "utterances"),
            ("chat", "百度商桥 (Baidu Shangqiao)"),
        ]
    );
    assert_eq!(
        f.features[0].marker,
        "<meta name=\"generator\" content=\"Discuz! X3.4\">"
    );
}

#[test]
fn forms_give_accounts_uploads_and_comment_forms() {
    let page = r#"<body>
        <form id="lsform" action="member.php?mod=logging&amp;action=login" method="post">
        <input type="text" name="username"><input TYPE="Password" NAME="password"></form>
        <form action="/upload" method="post" enctype="multipart/form-data"><input type="file" name="attachment"><button>上传</button></form>
        <form action="https://blog.example.cn/wp-comments-post.php" method="post" id="commentform"><textarea name="comment"></textarea></form>
        <form role="search"><input type="search" name="s"></form>
        </body>"#;
    let f = facts(page);
    assert_eq!(
        kinds(&f),
        [
            ("account", "Discuz! login form"),
            ("account", "a password field"),
            ("upload", "a file upload field"),
            ("comments", "WordPress comment form"),
        ]
    );
}

#[test]
fn commented_out_published_and_templated_markers_offer_nothing() {
    let page = r#"<body>
        <!-- <div id="uyan_frame"></div><script src="https://changyan.sohu.com/upload/changyan.js"></script> -->
        <pre><code>&lt;script src="https://giscus.app/client.js"&gt;&lt;/script&gt;</code></pre>
        <code>&lt;div id="disqus_thread"&gt;</code>
        <textarea id="upload-editor-view"><input type="file"></textarea>
        <script type="text/template"><input type="password" name="p"></script>
        <script>
          // var Tawk_API = Tawk_API || {};
          /* s1.src = 'https://embed.tawk.to/abc/default';
             _MEIQIA('entId', 1); */
          var x = 1; // twikoo.init({ envId: 'x' })
        </script>
        <p>我们的博客用过 Disqus 和 Valine，后来都停了。Powered by WordPress</p>
        <p>商品推荐文章：支付宝扫码打赏</p>
        <form action="https://www.paypal.com/cgi-bin/webscr" method="post"><input type="hidden" name="cmd" value="_donations"></form>
        </body>"#;
    let f = facts(page);
    assert!(f.features.is_empty(), "{:?}", f.features);
}

#[test]
fn protocol_relative_urls_in_scripts_are_code_not_comments() {
    let page = r#"<body><script>(function(){var s1=document.createElement("script");s1.src='//embed.tawk.to/5f/default';})();</script></body>"#;
    assert_eq!(kinds(&facts(page)), [("chat", "Tawk.to")]);
}

#[test]
fn commerce_is_found_in_shops_products_carts_and_payment_forms() {
    let page = r#"<html><head><meta name="generator" content="ECSHOP v2.7.3"></head><body>
        <div itemscope itemtype="https://schema.org/Product"><span itemprop="price" content="99.00">¥99.00</span></div>
        <a href="javascript:addToCart(12)">加入购物车</a>
        <script type="application/ld+json">{"@context":"https://schema.org","@type":"Product","offers":{"@type":"Offer","price":"99"}}</script>
        <form action="https://www.paypal.com/cgi-bin/webscr" method="post"><input type="hidden" name="cmd" value="_s-xclick"></form>
        <p>Powered by <a href="http://www.ecshop.com">ECShop</a></p>
        </body></html>"#;
    let f = facts(page);
    assert_eq!(
        kinds(&f),
        [
            ("shop", "ECShop"),
            ("product", "schema.org price"),
            ("cart", "an add-to-cart control"),
            ("product", "schema.org Product"),
            ("payment", "PayPal"),
        ]
    );
    assert!(f.interactive().next().is_none());
}

#[test]
fn the_language_is_that_of_the_text_not_the_declaration() {
    let en = "<html lang=\"zh-CN\"><head><title>Acme Cloud</title></head><body><p>We build reliable infrastructure for enterprises across the region, with storage, networking and managed databases for teams of every size.</p><footer>京ICP备2021034567号-1</footer></body></html>";
    let lang = facts(en).lang.expect("enough text");
    assert_eq!(lang.tag, "en");
    let fr = "<html lang=\"fr\"><body><p>Nous construisons une infrastructure fiable pour les entreprises de la région avec du stockage et des bases de données.</p></body></html>";
    assert_eq!(facts(fr).lang.expect("text").tag, "fr");
    let ja = "<html lang=\"en\"><body><p>私たちは地域の企業のために信頼できるインフラを構築しています。ストレージとネットワークを提供します。</p></body></html>";
    assert_eq!(facts(ja).lang.expect("text").tag, "ja");
    // Chinese with English product names is Chinese.
    let mixed = format!("<body><nav>Home About Cloud API</nav><p>{ZH_TEXT}</p></body>");
    assert_eq!(facts(&mixed).lang.expect("text").tag, "zh");
    // Scripts and styles are not text; too little text tells nothing.
    let shell = "<html lang=\"en\"><body><div id=\"app\"></div><script>var a = 'lots of english words in a script that is not text at all';</script></body></html>";
    assert_eq!(facts(shell).lang, None);
}

#[test]
fn a_gbk_page_gives_the_facts_of_its_utf8_twin() {
    let page = format!(
        "<html lang=\"zh-CN\"><head><meta charset=\"gbk\"><title>某某论坛 - Powered by Discuz!</title>\
         <meta property=\"og:site_name\" content=\"某某论坛\"></head><body><a class=\"logo\" href=\"/\"><img alt=\"某某论坛\" src=\"l.png\"></a>\
         <p>{ZH_TEXT}</p><div id=\"SOHUCS\"></div><p>Powered by <a href=\"https://www.discuz.net\">Discuz!</a> X3.4</p></body></html>"
    );
    let gbk = encoding_rs::GBK.encode(&page).0;
    let a = crate::page_facts(&gbk, Some("gbk"));
    let b = facts(&page);
    assert_eq!(a, b);
    assert_eq!(
        kinds(&a),
        [("forum", "Discuz!"), ("comments", "畅言 (Changyan)")]
    );
}

/// The tags come from the tag scanner on a page with a footer anchor and from their own search
/// on the others: the same features either way, and none from a tag in a comment or a script.
#[test]
fn the_tags_are_found_with_and_without_the_tag_scanner() {
    let body = "<form action=\"/login\"><input type=\"password\" name=\"pw\"></form>\
                <!-- <input type=\"file\" name=\"old\"> -->\
                <script>document.write('<input type=\"file\">');</script>\
                <SCRIPT src=\"https://cdn.jsdelivr.net/npm/valine/dist/Valine.min.js\"></SCRIPT>";
    let plain = facts(&format!("<html><body>{body}</body></html>"));
    let with_footer = facts(&format!(
        "<html><body>{body}<footer>© 2024 某公司</footer></body></html>"
    ));
    assert_eq!(plain.features, with_footer.features);
    assert_eq!(
        kinds(&plain),
        [("account", "a password field"), ("comments", "Valine")]
    );
}

/// The language sample's counting as first written, a byte at a time: the loops of
/// [`Counts::add`] must count exactly as it does.
impl Counts {
    fn add_byte_by_byte(&mut self, t: &[u8], gbk: bool) {
        let mut i = 0;
        let mut latin_run = 0;
        let mut cyrillic_run = 0;
        while i < t.len() {
            let c = t[i];
            if c.is_ascii_alphabetic() {
                latin_run += 1;
                i += 1;
                continue;
            }
            if latin_run >= 2 {
                self.latin_words += 1;
            }
            latin_run = 0;
            if c == b'&' {
                i += t[i..]
                    .iter()
                    .take(12)
                    .position(|&x| x == b';')
                    .map_or(1, |p| p + 1);
                continue;
            }
            if c < 0x80 {
                if cyrillic_run > 0 {
                    self.cyrillic_words += 1;
                    cyrillic_run = 0;
                }
                i += 1;
                continue;
            }
            let next = t.get(i + 1).copied().unwrap_or(0);
            let (len, script) = if gbk {
                gbk_char(c, next)
            } else {
                utf8_char(c, next)
            };
            match script {
                Script::Han => self.han += 1,
                Script::Kana => self.kana += 1,
                Script::Hangul => self.hangul += 1,
                Script::Cyrillic => cyrillic_run += 1,
                Script::Other => {}
            }
            // Enough to tell: the rest of the sample would not change the answer.
            if self.units() >= TEXT_ENOUGH {
                return;
            }
            if script != Script::Cyrillic && cyrillic_run > 0 {
                self.cyrillic_words += 1;
                cyrillic_run = 0;
            }
            i += len;
        }
        if latin_run >= 2 {
            self.latin_words += 1;
        }
        if cyrillic_run > 0 {
            self.cyrillic_words += 1;
        }
    }
}

#[test]
fn the_containers_skipped_for_the_language_open_with_the_letters_it_looks_at() {
    // The language sample tells a tag that may open one of them by its first letter.
    for (open, _) in NOT_TEXT.iter().chain(HIDING) {
        assert!(
            matches!(open, [b'<', b's' | b'p' | b'c' | b't', ..]),
            "{open:?}"
        );
    }
}

mod counting {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of text of every kind the counting tells apart, in any order.
    fn piece() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(b"ab".to_vec()),
            Just(b"x".to_vec()),
            Just(b" ".to_vec()),
            Just(b"&nbsp;".to_vec()),
            Just(b"&".to_vec()),
            Just(b";".to_vec()),
            Just("中文字".as_bytes().to_vec()),
            Just("㐀".as_bytes().to_vec()),
            Just("かな".as_bytes().to_vec()),
            Just("한국".as_bytes().to_vec()),
            Just("Привет".as_bytes().to_vec()),
            Just("é".as_bytes().to_vec()),
            Just("，".as_bytes().to_vec()),
            Just("😀".as_bytes().to_vec()),
            any::<u8>().prop_map(|b| vec![b]),
        ]
    }

    proptest! {
        #[test]
        fn the_loops_count_as_byte_by_byte(
            pieces in proptest::collection::vec(piece(), 0..200),
            gbk: bool,
            start in proptest::collection::vec(0u32..60, 5),
        ) {
            let text = pieces.concat();
            let text = if gbk {
                encoding_rs::GB18030.encode(&String::from_utf8_lossy(&text)).0.into_owned()
            } else {
                text
            };
            let seeded = Counts {
                han: start[0],
                kana: start[1],
                hangul: start[2],
                latin_words: start[3],
                cyrillic_words: start[4],
            };
            let mut fast = seeded.clone();
            fast.add(&text, gbk);
            let mut slow = seeded;
            slow.add_byte_by_byte(&text, gbk);
            prop_assert_eq!(fast, slow);
        }
    }
}
