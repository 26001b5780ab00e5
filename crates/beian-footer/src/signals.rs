//! Whether a page's footer may be written by scripts (`--render auto`, docs/rulebook.md §6.12):
//! the signals that send a page without an in-scope number to the browser. Run only on such
//! pages, on a whole-page DOM (html5ever via `scraper`, as the reference extractor).

use scraper::{Html, Node};

use crate::marker::names_footer;

/// A reason to render a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RenderSignal {
    /// An inline script mentions the filing (`ICP`, `备案`, `beian`, `miit`).
    ScriptMentionsFiling,
    /// An inline script calls `document.write`.
    DocumentWrite,
    /// An external script named for the footer (`footer.js`, `foot.js`, `bottom.js`,
    /// `copyright.js`, `beian.js`, …).
    FooterScript,
    /// An application shell left empty: `#app`, `#root`, `#__next`, `#__nuxt`, `#___gatsby`
    /// with no text.
    EmptyShell,
    /// A footer element (`<footer>`, `role=contentinfo`, or an id or class naming a footer)
    /// left empty.
    EmptyFooter,
}

impl RenderSignal {
    /// The signal as the evidence names it.
    pub fn as_str(self) -> &'static str {
        match self {
            RenderSignal::ScriptMentionsFiling => "a script mentions the filing",
            RenderSignal::DocumentWrite => "document.write",
            RenderSignal::FooterScript => "a footer script",
            RenderSignal::EmptyShell => "an empty application shell",
            RenderSignal::EmptyFooter => "an empty footer element",
        }
    }
}

const SHELL_IDS: &[&str] = &["app", "root", "__next", "__nuxt", "___gatsby"];

/// Words in an inline script that concern the filing (ASCII ones compared ignoring case).
const FILING_WORDS: &[&str] = &["icp", "beian", "miit", "备案", "公网安备"];

/// File-name words of a script that writes the footer (`record`: "ICP record" is the English
/// name of 备案, as in a blog's `recordInformation.js`).
const SCRIPT_WORDS: &[&str] = &["foot", "bottom", "copyright", "beian", "icp", "record"];

fn mentions(text: &str, words: &[&str]) -> bool {
    let lower = text.to_ascii_lowercase();
    words.iter().any(|w| lower.contains(w))
}

/// The render signals of a page (bytes and the HTTP charset, as [`crate::extract`]), each
/// once, in the order of [`RenderSignal`].
pub fn render_signals(bytes: &[u8], http_charset: Option<&str>) -> Vec<RenderSignal> {
    let decoded = crate::decode(bytes, http_charset);
    let html = Html::parse_document(&decoded.text);
    let mut found = Vec::new();
    let mut add = |s: RenderSignal| {
        if !found.contains(&s) {
            found.push(s);
        }
    };
    for n in html.tree.root().descendants() {
        let Node::Element(e) = n.value() else {
            continue;
        };
        let text_empty = || {
            n.descendants().all(|d| match d.value() {
                Node::Text(t) => t.trim().is_empty(),
                _ => true,
            })
        };
        match e.name() {
            "script" => {
                if let Some(src) = e.attr("src") {
                    let file = src
                        .split(['?', '#'])
                        .next()
                        .unwrap_or_default()
                        .rsplit('/')
                        .next()
                        .unwrap_or_default();
                    if mentions(file, SCRIPT_WORDS) {
                        add(RenderSignal::FooterScript);
                    }
                    continue;
                }
                let code: String = n
                    .children()
                    .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
                    .collect();
                if mentions(&code, FILING_WORDS) {
                    add(RenderSignal::ScriptMentionsFiling);
                }
                if code.contains("document.write") {
                    add(RenderSignal::DocumentWrite);
                }
            }
            _ => {
                let footer = e.name() == "footer"
                    || e.attr("role")
                        .is_some_and(|r| r.trim().eq_ignore_ascii_case("contentinfo"))
                    || e.id().is_some_and(names_footer)
                    || e.classes().any(names_footer);
                if footer && text_empty() {
                    add(RenderSignal::EmptyFooter);
                }
                if e.id().is_some_and(|id| SHELL_IDS.contains(&id)) && text_empty() {
                    add(RenderSignal::EmptyShell);
                }
            }
        }
    }
    let order = |s: &RenderSignal| *s as u8;
    found.sort_by_key(order);
    found
}

#[cfg(test)]
mod tests {
    use super::RenderSignal as S;
    use super::render_signals;

    fn signals(html: &str) -> Vec<S> {
        render_signals(html.as_bytes(), Some("utf-8"))
    }

    #[test]
    fn each_signal() {
        assert_eq!(
            signals("<script>document.write('<p>京ICP备1号</p>')</script>"),
            [S::ScriptMentionsFiling, S::DocumentWrite]
        );
        assert_eq!(
            signals(r#"<script>var cfg = {beian: "x"};</script>"#),
            [S::ScriptMentionsFiling]
        );
        for src in [
            "/static/js/footer.min.js?v=3",
            "/js/recordInformation.js",
            "/assets/create_footer.js",
            "https://cdn.example.com/npm/docsify-beian@latest/dist/beian.min.js",
        ] {
            assert_eq!(
                signals(&format!(r#"<script src="{src}"></script>"#)),
                [S::FooterScript],
                "{src}"
            );
        }
        assert_eq!(signals(r#"<div id="app"></div>"#), [S::EmptyShell]);
        assert_eq!(
            signals(r#"<div id="root"> <noscript></noscript> </div>"#),
            [S::EmptyShell]
        );
        assert_eq!(signals("<footer>\n</footer>"), [S::EmptyFooter]);
        assert_eq!(
            signals(r#"<div class="site-footer"><span></span></div>"#),
            [S::EmptyFooter]
        );
    }

    #[test]
    fn static_pages_have_none() {
        assert_eq!(
            signals(
                r#"<div id="app"><p>hello</p></div><footer>© 2024 X</footer>
<script src="/js/jquery.min.js"></script><script>var a = 1;</script>"#
            ),
            []
        );
        // A number written as text is no script signal.
        assert_eq!(signals("<footer><a>京ICP备12345678号-1</a></footer>"), []);
    }
}
