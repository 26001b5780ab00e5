//! The webhook bodies: each robot's Markdown message, or a generic JSON object.

use serde_json::{Value, json};
use url::Url;

/// Which robot a webhook URL belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// DingTalk custom robot (`oapi.dingtalk.com/robot/send`): a Markdown message.
    DingTalk,
    /// WeCom (企业微信) group robot (`qyapi.weixin.qq.com/cgi-bin/webhook/send`): Markdown.
    WeCom,
    /// Feishu / Lark custom bot (`open.feishu.cn/open-apis/bot/v2/hook/…`): a text message.
    Feishu,
    /// Anything else: `{"title", "text", "report"}`.
    Json,
}

/// WeCom refuses Markdown content over 4,096 bytes.
const WECOM_MAX: usize = 4096;

impl Format {
    /// The format a webhook URL's host implies (the robots' documented hosts), else JSON.
    pub fn for_url(url: &Url) -> Format {
        match url.host_str().unwrap_or("") {
            "oapi.dingtalk.com" => Format::DingTalk,
            "qyapi.weixin.qq.com" => Format::WeCom,
            "open.feishu.cn" | "open.larksuite.com" => Format::Feishu,
            _ => Format::Json,
        }
    }
}

/// `text` cut to at most `max` bytes at a character boundary.
fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The body that posts `markdown` (the digest) titled `title`; `report` (the report model)
/// goes along in the generic JSON body only.
pub fn body(format: Format, title: &str, markdown: &str, report: &Value) -> Value {
    match format {
        Format::DingTalk => json!({
            "msgtype": "markdown",
            "markdown": { "title": title, "text": markdown },
        }),
        Format::WeCom => json!({
            "msgtype": "markdown",
            "markdown": { "content": cut(markdown, WECOM_MAX) },
        }),
        Format::Feishu => json!({
            "msg_type": "text",
            "content": { "text": markdown },
        }),
        Format::Json => json!({ "title": title, "text": markdown, "report": report }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_names_the_robot() {
        let f = |u: &str| Format::for_url(&Url::parse(u).unwrap());
        assert_eq!(
            f("https://oapi.dingtalk.com/robot/send?access_token=x"),
            Format::DingTalk
        );
        assert_eq!(
            f("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"),
            Format::WeCom
        );
        assert_eq!(
            f("https://open.feishu.cn/open-apis/bot/v2/hook/x"),
            Format::Feishu
        );
        assert_eq!(f("http://127.0.0.1:8080/hook"), Format::Json);
    }

    #[test]
    fn bodies_follow_each_robot() {
        let report = json!({"tiles": {"failing": 3}});
        let d = body(Format::DingTalk, "t", "**md**", &report);
        assert_eq!(d["msgtype"], "markdown");
        assert_eq!(d["markdown"]["text"], "**md**");
        let long = "合".repeat(2000);
        let w = body(Format::WeCom, "t", &long, &report);
        let content = w["markdown"]["content"].as_str().unwrap();
        assert!(content.len() <= WECOM_MAX && content.chars().all(|c| c == '合'));
        assert_eq!(
            body(Format::Feishu, "t", "x", &report)["content"]["text"],
            "x"
        );
        assert_eq!(
            body(Format::Json, "t", "x", &report)["report"]["tiles"]["failing"],
            3
        );
    }
}
