//! Small commands: `rules` and `extract`.

use std::process::Command;

#[test]
fn rules_lists_every_rule_id() {
    let out = Command::new(env!("CARGO_BIN_EXE_beian"))
        .arg("rules")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for id in beian_rules::ids::PAGE_RULES
        .iter()
        .chain(beian_rules::ids::SITE_RULES)
    {
        assert!(
            text.lines().any(|l| l.starts_with(id)),
            "{id} missing from:\n{text}"
        );
    }
}

#[test]
fn extract_prints_json_lines_with_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("p.html");
    let (gbk, _, _) = encoding_rs::GBK.encode(
        r#"<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body><div id="footer">版权所有：某某公司 <a href="https://beian.miit.gov.cn/">粤ICP备17054969号</a></div></body></html>"#,
    );
    std::fs::write(&page, gbk).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_beian"))
        .arg("extract")
        .arg(&page)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["encoding"], "GBK");
    assert_eq!(v["icp_primary"]["number"], "粤ICP备17054969号");
    assert_eq!(v["copyright_holder"], "某某公司");
    let link = v["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "ICP-LINK")
        .unwrap();
    assert_eq!(link["verdict"], "pass");
}
