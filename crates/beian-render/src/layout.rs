//! The page's layout as the browser measured it: the measuring script injected into a page
//! rendered for its DOM (`measure.js`), and its result read back from the dump and removed,
//! so the extractor sees the page as it was.

use beian_types::Layout;

/// What the measuring script keeps: the page's layout, with the mobile frame's inside.
#[derive(serde::Deserialize)]
struct Measured {
    #[serde(flatten)]
    desktop: Layout,
    mobile: Option<Layout>,
}

/// Added to a page rendered for its DOM.
pub(crate) const MEASURE: &str = concat!(
    "<script id=\"beian-measure-script\">",
    include_str!("measure.js"),
    "</script>"
);

/// Removes the `tag` element whose start tag holds `marker` from `html`, returning its text.
fn cut(html: &mut String, tag: &str, marker: &str) -> Option<String> {
    let at = html.find(marker)?;
    let start = html[..at].rfind(&format!("<{tag}"))?;
    let open_end = start + html[start..].find('>')? + 1;
    let end_tag = format!("</{tag}>");
    let close = open_end + html[open_end..].find(&end_tag)?;
    let text = html[open_end..close].to_string();
    html.replace_range(start..close + end_tag.len(), "");
    Some(text)
}

/// Takes the measuring script, its mobile frame and its result out of a dumped DOM; the
/// desktop layout and the mobile one, when the script ran and wrote them.
pub(crate) fn take(html: &mut String) -> (Option<Layout>, Option<Layout>) {
    cut(html, "script", "id=\"beian-measure-script\"");
    cut(html, "iframe", "id=\"beian-mobile\"");
    let measured = cut(html, "script", "id=\"beian-measure\"")
        .and_then(|json| serde_json::from_str::<Measured>(&json).ok());
    match measured {
        Some(m) => (Some(m.desktop), m.mobile),
        None => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_and_its_result_leave_the_dump() {
        let mut html = format!(
            "<html><head></head><body><p>京ICP备12345678号</p>{MEASURE}</body>\
             <iframe id=\"beian-mobile\" sandbox=\"allow-scripts allow-same-origin\"></iframe>\
             <script type=\"application/json\" id=\"beian-measure\">\
             {{\"viewport\":[1366,768],\"doc\":[1366,900],\"runs\":[{{\"digits\":\"12345678\",\
             \"x\":600,\"y\":860,\"w\":80,\"h\":16,\"line_x\":560,\"line_w\":240,\
             \"hidden\":null,\"font_px\":12,\
             \"contrast\":4.5,\"icon\":null}}],\"mobile\":{{\"viewport\":[390,844],\
             \"doc\":[390,1400],\"runs\":[]}}}}</script></html>"
        );
        let (layout, mobile) = take(&mut html);
        let layout = layout.expect("a layout");
        assert_eq!(mobile.map(|m| m.viewport), Some((390.0, 844.0)));
        assert_eq!(
            html,
            "<html><head></head><body><p>京ICP备12345678号</p></body></html>"
        );
        assert_eq!(layout.doc, (1366.0, 900.0));
        assert_eq!(layout.find("12345678").map(|r| r.y), Some(860.0));
        // No result (the script never ran): no layout, the page untouched otherwise.
        let mut plain = "<html><body>x</body></html>".to_string();
        assert_eq!(take(&mut plain), (None, None));
        assert_eq!(plain, "<html><body>x</body></html>");
    }
}
