//! Bad input lines become `sites` rows with a clear error and their line number; the run goes on.

use std::io::Write;

use crate::util::{TestFleet, run_python, wait_bounded};

/// The `sites` table read back by pyarrow: the named columns of every row, ordered by input
/// line, as a JSON array of arrays.
fn site_columns(out: &std::path::Path, columns: &[&str]) -> String {
    let code = r#"
import sys, json, pyarrow.parquet as pq
cols = sys.argv[2].split(",")
rows = sorted(pq.read_table(sys.argv[1] + "/sites").to_pylist(), key=lambda r: r["input_line"])
print(json.dumps([[r[c] for c in cols] for r in rows], ensure_ascii=False))
"#;
    let cols = columns.join(",");
    run_python(&["-c".as_ref(), code.as_ref(), out.as_os_str(), cols.as_ref()])
}

#[test]
fn bad_lines_are_rows_with_line_numbers() {
    let fleet = TestFleet::start(30, 9);
    let good: Vec<String> = fleet
        .fleet
        .sites
        .iter()
        .take(3)
        .map(|s| s.domain_unicode.clone())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mixed.txt");
    let mut f = std::fs::File::create(&input).unwrap();
    write!(
        f,
        "\u{feff}# mixed input\r\n{}\r\nbad..name.cn\r\n{}.cn\r\n\r\n{}\r\n{}\r\nhttp://127.0.0.1/\r\n{}\r\n",
        good[0],
        "x".repeat(64),
        good[1],
        good[0].to_uppercase(),
        good[2]
    )
    .unwrap();
    f.write_all(b"\xff\xfe.cn\n").unwrap();
    drop(f);
    let out = dir.path().join("out");
    fleet.audit_ok(&input, &out, &["--quiet"]);
    let stdout = site_columns(
        &out,
        &["input_line", "status", "error_class", "error_message"],
    );
    let rows: Vec<(u64, String, Option<String>, Option<String>)> =
        serde_json::from_str(&stdout).unwrap();
    let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(lines, vec![2, 3, 4, 6, 7, 8, 9, 10], "{stdout}");
    let by_line = |n: u64| rows.iter().find(|r| r.0 == n).unwrap();
    assert_eq!(by_line(3).2.as_deref(), Some("input_invalid"));
    assert!(
        by_line(3)
            .3
            .as_deref()
            .unwrap()
            .starts_with("line 3: \"bad..name.cn\""),
        "{stdout}"
    );
    assert!(
        by_line(4).3.as_deref().unwrap().contains("longer than 63"),
        "{stdout}"
    );
    assert_eq!(by_line(7).2.as_deref(), Some("input_duplicate"));
    assert!(
        by_line(7).3.as_deref().unwrap().contains("repeats line 2"),
        "{stdout}"
    );
    assert!(
        by_line(8)
            .3
            .as_deref()
            .unwrap()
            .contains("not a domain name"),
        "{stdout}"
    );
    assert!(
        by_line(10)
            .3
            .as_deref()
            .unwrap()
            .contains("not valid UTF-8"),
        "{stdout}"
    );
    for ok in [2, 6, 9] {
        assert_ne!(by_line(ok).1, "input_error", "{stdout}");
    }
}

#[test]
fn unusable_flags_and_files_exit_2_with_a_message() {
    let res = std::process::Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(["audit", "/nonexistent/domains.txt", "--out"])
        .arg(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&res.stderr).contains("cannot open input /nonexistent/domains.txt")
    );
    let res = std::process::Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(["audit", "x.txt", "--resolver", "not-an-address"])
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
}

#[test]
fn csv_input_with_manifest_columns() {
    let fleet = TestFleet::start(30, 13);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("fleet.csv");
    let mut csv = String::from("org_name,domain,expected_icp,owner,province\n");
    for (i, s) in fleet.fleet.sites.iter().take(3).enumerate() {
        csv.push_str(&format!(
            "\"{}\",{},{},团队{i},{}\n",
            s.org,
            s.domain_unicode,
            s.icp,
            if i == 0 { "Jiangsu" } else { "" }
        ));
    }
    csv.push_str("某公司,not a domain,,,\n");
    std::fs::write(&input, csv).unwrap();
    let out = dir.path().join("out");
    fleet.audit_ok(&input, &out, &["--quiet"]);
    let stdout = site_columns(
        &out,
        &[
            "input_line",
            "domain",
            "status",
            "owner",
            "province",
            "icp_number",
        ],
    );
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        u64,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    )> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![2, 3, 4, 5],
        "{stdout}"
    );
    for (i, s) in fleet.fleet.sites.iter().take(3).enumerate() {
        assert_eq!(rows[i].1.as_deref(), Some(s.domain.as_str()), "{stdout}");
    }
    assert_eq!(rows[3].2, "input_error", "{stdout}");
    // The owner column reaches `sites.owner`; the province is the manifest's, else the
    // shown number's prefix.
    assert_eq!(rows[0].3.as_deref(), Some("团队0"), "{stdout}");
    assert_eq!(rows[2].3.as_deref(), Some("团队2"), "{stdout}");
    assert_eq!(rows[0].4.as_deref(), Some("江苏"), "{stdout}");
    for row in &rows[1..3] {
        let from_number = row.5.as_deref().and_then(|n| n.chars().next());
        let expected = from_number
            .map(|c| beian_numbers::provinces::wrong_icp_alias(c).unwrap_or(c))
            .and_then(beian_numbers::provinces::by_icp_prefix)
            .map(|p| p.name);
        assert_eq!(row.4.as_deref(), expected, "{stdout}");
    }
    assert_eq!(rows[3].3, None, "{stdout}");
}

#[test]
fn a_directory_as_input_fails_at_once_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_beian"))
        .arg("audit")
        .arg(dir.path())
        .arg("--out")
        .arg(dir.path().join("out"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let res = wait_bounded(child, 10);
    assert_eq!(res.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(
        stderr.contains(&format!("input {} is a directory", dir.path().display())),
        "{stderr}"
    );
}

/// `beian audit … | head`: the summary meets a closed pipe; the run is complete, nothing
/// panics and the exit status is the run's.
#[test]
fn a_closed_stdout_does_not_fail_the_run() {
    let fleet = TestFleet::start(6, 21);
    let out = fleet.path("out");
    let mut cmd = fleet.audit_command(&fleet.path("domains.txt"), &out);
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let res = wait_bounded(child, 60);
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(res.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["rows"]["sites"], 6);
}

/// A 10 MB line among good ones (issue 15): one `input_invalid` row whose `input` is a
/// bounded prefix and whose message says the line was cut; the lines around it are audited.
#[test]
fn an_overlong_line_is_a_row_with_a_bounded_input() {
    let fleet = TestFleet::start(10, 15);
    let good = &fleet.fleet.sites[0].domain_unicode;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("long.txt");
    let mut bytes = format!("{good}\n").into_bytes();
    bytes.extend(std::iter::repeat_n(b'a', 10 << 20));
    bytes.extend_from_slice(format!(".cn\n{}\n", fleet.fleet.sites[1].domain_unicode).as_bytes());
    std::fs::write(&input, bytes).unwrap();
    let out = dir.path().join("out");
    fleet.audit_ok(&input, &out, &["--quiet"]);
    let rows: Vec<(u64, String, String, Option<String>)> = serde_json::from_str(&site_columns(
        &out,
        &["input_line", "status", "input", "error_message"],
    ))
    .unwrap();
    assert_eq!(rows.len(), 3);
    let long = &rows[1];
    assert_eq!((long.0, long.1.as_str()), (2, "input_error"));
    assert_eq!(long.2.len(), beian_input::KEPT);
    let message = long.3.as_deref().unwrap();
    assert!(
        message.starts_with("line 2: 10485763 bytes long") && message.contains("first 256 bytes"),
        "{message}"
    );
    assert!(rows[0].1 != "input_error" && rows[2].1 != "input_error");
}

/// An input with nothing to audit says so in the summary (and is no error).
#[test]
fn an_empty_input_says_so() {
    let fleet = TestFleet::start(5, 16);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("empty.txt");
    std::fs::write(&input, "# nothing yet\n\n").unwrap();
    let res = fleet
        .audit_command(&input, &dir.path().join("out"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(
        stdout.contains("audited 0 input lines") && stdout.contains("the input holds no domains"),
        "{stdout}"
    );
}
