//! deploy/ checked offline: the Kubernetes manifests against the API schemas
//! (`kubernetes-validate --strict`, from PyPI), every `beian` flag and environment variable
//! they and the systemd units use against the binary, and the units with
//! `systemd-analyze verify` (where the machine has it).

use std::path::Path;
use std::process::Command;

use crate::util::run_python;

#[test]
fn manifests_and_units_hold_together() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/readback/deploy.py");
    let out = run_python(&[
        script.as_os_str(),
        root.join("deploy").as_os_str(),
        env!("CARGO_BIN_EXE_beian").as_ref(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["problems"], serde_json::json!([]), "{v}");
    assert_eq!(
        v["validated"],
        serde_json::json!([
            "configmap.yaml",
            "cronjob-audit.yaml",
            "cronjob-report.yaml",
            "secret.example.yaml"
        ]),
        "{v}"
    );
    for flag in [
        "--shard-count",
        "--run-id",
        "--resume",
        "--stop-grace",
        "--history",
    ] {
        assert!(
            v["flags"]["audit"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == flag),
            "{flag} not used: {v}"
        );
    }
    assert!(v["flags"]["finalize"].is_array(), "{v}");

    // The units, with the binary where they expect it installed.
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        #[expect(clippy::print_stderr, reason = "says why part of the test was skipped")]
        {
            eprintln!("systemd-analyze not found: the systemd units are not verified here");
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut units = Vec::new();
    for name in ["beian-audit.service", "beian-audit.timer"] {
        let text = std::fs::read_to_string(root.join("deploy/systemd").join(name)).unwrap();
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            text.replace("/usr/local/bin/beian", env!("CARGO_BIN_EXE_beian")),
        )
        .unwrap();
        units.push(path);
    }
    let res = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args(&units)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&res.stderr);
    // Unknown keys are only warned about: any word from it is a problem.
    assert!(res.status.success() && said.trim().is_empty(), "{said}");
}
