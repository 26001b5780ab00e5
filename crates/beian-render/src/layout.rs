//! The page's layout as the browser measured it: the measuring script injected into a page
//! rendered for its DOM (`measure.js`), and its result read back from the dump and removed,
//! so the extractor sees the page as it was.

use beian_types::Layout;

/// Added to a page rendered for its DOM.
pub(crate) const MEASURE: &str = concat!(
    "<script id=\"beian-measure-script\">",
    include_str!("measure.js"),
    "</script>"
);

/// Removes the element whose start tag holds `marker` (a `<script>`) from `html`, returning
/// its text.
fn cut_script(html: &mut String, marker: &str) -> Option<String> {
    let at = html.find(marker)?;
    let start = html[..at].rfind("<script")?;
    let open_end = start + html[start..].find('>')? + 1;
    let close = open_end + html[open_end..].find("</script>")?;
    let text = html[open_end..close].to_string();
    html.replace_range(start..close + "</script>".len(), "");
    Some(text)
}

/// Takes the measuring script and its result out of a dumped DOM; the layout, when the
/// script ran and wrote one.
pub(crate) fn take(html: &mut String) -> Option<Layout> {
    cut_script(html, "id=\"beian-measure-script\"");
    let json = cut_script(html, "id=\"beian-measure\"")?;
    serde_json::from_str(&json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_and_its_result_leave_the_dump() {
        let mut html = format!(
            "<html><head></head><body><p>京ICP备12345678号</p>{MEASURE}</body>\
             <script type=\"application/json\" id=\"beian-measure\">\
             {{\"viewport\":[1366,768],\"doc\":[1366,900],\"runs\":[{{\"digits\":\"12345678\",\
             \"x\":600,\"y\":860,\"w\":80,\"h\":16,\"line_x\":560,\"line_w\":240,\
             \"hidden\":null,\"font_px\":12,\
             \"contrast\":4.5,\"icon\":null}}]}}</script></html>"
        );
        let layout = take(&mut html).expect("a layout");
        assert_eq!(
            html,
            "<html><head></head><body><p>京ICP备12345678号</p></body></html>"
        );
        assert_eq!(layout.doc, (1366.0, 900.0));
        assert_eq!(layout.find("12345678").map(|r| r.y), Some(860.0));
        // No result (the script never ran): no layout, the page untouched otherwise.
        let mut plain = "<html><body>x</body></html>".to_string();
        assert!(take(&mut plain).is_none());
        assert_eq!(plain, "<html><body>x</body></html>");
    }
}
