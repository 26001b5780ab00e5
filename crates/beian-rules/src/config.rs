//! The rules file (`--rules rules.toml`): where the sources disagree (docs/rulebook.md §10) a user
//! can switch a rule off or change what its warn and fail verdicts become. Validated whole
//! before an audit starts; errors name the line or the rule id.
//!
//! ```toml
//! # Some guides accept the subject number everywhere: downgrade ICP-KIND.
//! [rules.ICP-KIND]
//! fail_as = "warn"
//!
//! [rules.PSB-ICON]
//! enabled = false
//!
//! # ICP-PLACEMENT's thresholds (docs/rulebook.md §5.2).
//! [placement]
//! min_contrast = 2.0
//! ```

use std::collections::BTreeMap;

use beian_types::{Finding, Verdict};
use serde::Deserialize;

use crate::catalogue::{self, CATALOGUE};

/// A verdict a rules file can map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// `pass`
    Pass,
    /// `warn`
    Warn,
    /// `fail`
    Fail,
}

impl Level {
    fn verdict(self) -> Verdict {
        match self {
            Level::Pass => Verdict::Pass,
            Level::Warn => Verdict::Warn,
            Level::Fail => Verdict::Fail,
        }
    }
}

/// The settings of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSetting {
    /// `false` turns every verdict of the rule into `n/a`.
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// What a `fail` becomes.
    pub fail_as: Option<Level>,
    /// What a `warn` becomes.
    pub warn_as: Option<Level>,
}

fn enabled() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    rules: BTreeMap<String, RuleSetting>,
    #[serde(default)]
    placement: crate::Thresholds,
}

/// Why a rules file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not TOML, or keys/values of the wrong shape (the message names line and column).
    #[error(transparent)]
    Syntax(#[from] toml::de::Error),
    /// A rule id that is not in the catalogue.
    #[error("unknown rule id {id:?} in [rules.{id}]; known ids: {known}")]
    UnknownRule {
        /// The id as written.
        id: String,
        /// The catalogue's ids.
        known: String,
    },
}

/// The rule settings of a run (empty: every rule as the catalogue says).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleConfig {
    rules: BTreeMap<&'static str, RuleSetting>,
    /// ICP-PLACEMENT's thresholds (`[placement]`).
    pub placement: crate::Thresholds,
}

impl RuleConfig {
    /// Parses and validates a rules file's text.
    pub fn from_toml(text: &str) -> Result<RuleConfig, ConfigError> {
        let file: File = toml::from_str(text)?;
        let mut rules = BTreeMap::new();
        for (id, setting) in file.rules {
            let Some(info) = catalogue::rule(&id) else {
                return Err(ConfigError::UnknownRule {
                    id,
                    known: CATALOGUE
                        .iter()
                        .map(|r| r.id)
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            rules.insert(info.id, setting);
        }
        Ok(RuleConfig {
            rules,
            placement: file.placement,
        })
    }

    /// Applies the settings to one finding.
    pub fn apply(&self, f: &mut Finding) {
        let Some(s) = self.rules.get(f.rule_id) else {
            return;
        };
        let was = f.verdict;
        let now = if !s.enabled {
            Verdict::NotApplicable
        } else {
            match (was, s.fail_as, s.warn_as) {
                (Verdict::Fail, Some(l), _) | (Verdict::Warn, _, Some(l)) => l.verdict(),
                _ => was,
            }
        };
        if now == was {
            return;
        }
        (f.evidence, f.evidence_zh) = if s.enabled {
            (
                format!("{} (rules file: {was} → {now})", f.evidence),
                format!("{}（规则文件：{was} → {now}）", f.evidence_zh),
            )
        } else {
            (
                format!("switched off in the rules file ({was}: {})", f.evidence),
                format!("已在规则文件中关闭（{was}：{}）", f.evidence_zh),
            )
        };
        f.verdict = now;
        f.fix = catalogue::fix_for(f.rule_id, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A refused rules file says where and why (pinned: users read these).
    #[test]
    fn refusals_name_the_place() {
        let unknown =
            RuleConfig::from_toml("[rules.ICP-NOPE]\nenabled = false\n").expect_err("unknown id");
        insta::assert_snapshot!(unknown.to_string(), @r#"unknown rule id "ICP-NOPE" in [rules.ICP-NOPE]; known ids: ICP-PRESENT, ICP-FORMAT, ICP-LINK, ICP-KIND, ICP-MULTI, ICP-MANIFEST, PSB-PRESENT, PSB-FORMAT, PSB-PROVINCE, PSB-LINK, PSB-ICON, PSB-MANIFEST, COPYRIGHT, LICENCE-FORMAT, LICENCE-PRESENT, ICP-PLACEMENT, SITE-REACH, SITE-PARITY, SITE-REDIRECT, SITE-TLS, SITE-ACCESS, ICP-PROVIDER, SITE-SHELL, SITE-NAME, SITE-INTERACTIVE, SITE-SCOPE, SITE-FILED-IP, SITE-LANG, SITE-OTHER-DOMAINS"#);
        let syntax = RuleConfig::from_toml("[rules.ICP-LINK]\nfail_as = \"maybe\"\n")
            .expect_err("bad level");
        insta::assert_snapshot!(syntax.to_string(), @r#"
            TOML parse error at line 2, column 11
              |
            2 | fail_as = "maybe"
              |           ^^^^^^^
            unknown variant `maybe`, expected one of `pass`, `warn`, `fail`
            "#);
    }

    fn finding(rule_id: &'static str, verdict: Verdict) -> Finding {
        Finding {
            rule_id,
            verdict,
            host: None,
            url: None,
            evidence: "seen".into(),
            evidence_zh: "看到了".into(),
            number: None,
            link_host: None,
            fix: None,
        }
    }

    #[test]
    fn downgrades_and_switches_off() {
        let c = RuleConfig::from_toml(
            "[rules.ICP-KIND]\nfail_as = \"warn\"\n\n[rules.PSB-ICON]\nenabled = false\n",
        )
        .expect("valid");
        let mut f = finding("ICP-KIND", Verdict::Fail);
        c.apply(&mut f);
        assert_eq!(f.verdict, Verdict::Warn);
        assert!(f.evidence.contains("fail → warn"), "{}", f.evidence);
        assert!(f.fix.is_some());
        let mut f = finding("ICP-KIND", Verdict::Pass);
        c.apply(&mut f);
        assert_eq!(f.verdict, Verdict::Pass);
        let mut f = finding("PSB-ICON", Verdict::Warn);
        c.apply(&mut f);
        assert_eq!(f.verdict, Verdict::NotApplicable);
        assert!(f.fix.is_none());
        let mut f = finding("ICP-LINK", Verdict::Fail);
        c.apply(&mut f);
        assert_eq!(f.verdict, Verdict::Fail);
    }

    #[test]
    fn clear_errors() {
        let e = RuleConfig::from_toml("[rules.ICP-KINDS]\nfail_as = \"warn\"\n").unwrap_err();
        assert!(
            e.to_string().contains("unknown rule id \"ICP-KINDS\""),
            "{e}"
        );
        let e = RuleConfig::from_toml("[rules.ICP-KIND]\nfail_as = \"maybe\"\n").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("line 2"), "{msg}");
        let e = RuleConfig::from_toml("[rules.ICP-KIND]\nseverity = \"warn\"\n").unwrap_err();
        assert!(e.to_string().contains("severity"), "{e}");
        let e = RuleConfig::from_toml("[rule.ICP-KIND]\n").unwrap_err();
        assert!(e.to_string().contains("rule"), "{e}");
        assert!(RuleConfig::from_toml("").is_ok());
    }
}
