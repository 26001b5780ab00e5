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

/// `beian extract` judges a page in the context an audit gives it (issue 15): the manifest
/// row of `--host`, overridden by flags; bad values are refused naming the flag or the line.
#[test]
fn extract_takes_the_context_of_the_page_rules() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("p.html");
    std::fs::write(
        &page,
        r#"<footer>版权所有：苏州某某电子有限公司 <a href="https://beian.miit.gov.cn/">苏ICP备2022017465号-1</a></footer>"#,
    )
    .unwrap();
    let manifest = dir.path().join("m.csv");
    std::fs::write(
        &manifest,
        "domain,org_name,province,commercial\nexample.cn,苏州某某电子有限公司,江苏,true\nbad.cn,x,火星,\n",
    )
    .unwrap();
    let extract = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_beian"))
            .arg("extract")
            .args(args)
            .arg(&page)
            .output()
            .unwrap()
    };
    let verdict = |out: &std::process::Output, id: &str| -> String {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let f = v["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == id);
        f.map(|f| f["verdict"].as_str().unwrap().to_string())
            .unwrap()
    };
    // Without context the holder cannot be compared with the organisation, nor a licence
    // asked for.
    assert_eq!(verdict(&extract(&[]), "LICENCE-PRESENT"), "n/a");
    let m = manifest.to_str().unwrap();
    let with_row = extract(&["--host", "www.example.cn", "--manifest", m]);
    assert_eq!(verdict(&with_row, "COPYRIGHT"), "pass");
    assert_eq!(verdict(&with_row, "LICENCE-PRESENT"), "fail");
    // A flag overrides the row.
    let other = extract(&[
        "--host",
        "example.cn",
        "--manifest",
        m,
        "--org-name",
        "别的公司",
    ]);
    assert_eq!(verdict(&other, "COPYRIGHT"), "fail");
    let flags_only = extract(&["--province", "苏", "--org-name", "苏州某某电子有限公司"]);
    assert_eq!(verdict(&flags_only, "COPYRIGHT"), "pass");
    for (args, says) in [
        (
            vec!["--host", "bad.cn", "--manifest", m],
            "line 3, column province",
        ),
        (
            vec!["--host", "none.cn", "--manifest", m],
            "no row for none.cn",
        ),
        (
            vec!["--hosting", "moon"],
            "--hosting \"moon\": is not mainland or overseas",
        ),
        (vec!["--manifest", m], "--host"),
    ] {
        let out = extract(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn bad_rules_file_and_as_of_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("d.txt");
    std::fs::write(&input, "example.cn\n").unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, "[rules.ICP-KIND]\nfail_as = \"maybe\"\n").unwrap();
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_beian"))
            .arg("audit")
            .arg(&input)
            .arg("--out")
            .arg(dir.path().join("out"))
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&["--rules", rules.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rules.toml") && err.contains("line 2"),
        "{err}"
    );
    std::fs::write(&rules, "[rules.NO-SUCH-RULE]\nenabled = false\n").unwrap();
    let out = run(&["--rules", rules.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown rule id \"NO-SUCH-RULE\""), "{err}");
    let out = run(&["--as-of", "2026-02-30"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--as-of") && err.contains("2026-02-30"),
        "{err}"
    );
}

#[test]
fn rules_markdown_is_docs_rules_md() {
    let out = Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(["rules", "--markdown"])
        .output()
        .unwrap();
    let on_disk =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/RULES.md")).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), on_disk);
}
