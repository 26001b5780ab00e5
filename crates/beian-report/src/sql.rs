//! The report's appendix: for each figure, the DuckDB query that reproduces it from the run's
//! Parquet (run in the run directory; the compared run by its path). Part of the model, so
//! `report.json` carries them and a test runs each one against the report's own numbers.

use serde::Serialize;

use crate::model::{DEADLINE_DAYS, Report, WORST_MAX};

/// One query of the appendix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Query {
    /// Which figure it reproduces: `statuses`, `compliant_pct`, `rules`, `owners`,
    /// `provinces`, `unreachable`, `worst`, `psb_due`, `newly_failing`, `fixed`.
    pub id: &'static str,
    /// The SQL.
    pub sql: String,
}

/// A path as a DuckDB string literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The appendix of `report`.
pub(crate) fn appendix(report: &Report) -> Vec<Query> {
    const SITES: &str = "'sites/*.parquet'";
    let mut q = vec![
        Query {
            id: "statuses",
            sql: format!(
                "SELECT status, count(*) AS sites FROM {SITES} GROUP BY ALL ORDER BY ALL;"
            ),
        },
        Query {
            id: "compliant_pct",
            sql: format!(
                "SELECT round(100.0 * count(*) FILTER (status IN ('compliant', 'compliant_with_waivers'))\n\
                 \x20            / count(*) FILTER (status <> 'input_error'), 1) AS compliant_pct\n\
                 FROM {SITES};"
            ),
        },
        Query {
            id: "rules",
            sql: format!(
                "SELECT r AS rule_id, count(*) AS failing\n\
                 FROM (SELECT unnest(failing_rules) AS r FROM {SITES})\n\
                 GROUP BY ALL ORDER BY failing DESC, rule_id;"
            ),
        },
    ];
    for (id, column) in [("owners", "owner"), ("provinces", "province")] {
        q.push(Query {
            id,
            sql: format!(
                "SELECT coalesce({column}, '-') AS name, count(*) AS sites,\n\
                 \x20      count(*) FILTER (status = 'violation') AS failing\n\
                 FROM {SITES} WHERE status <> 'input_error'\n\
                 GROUP BY ALL ORDER BY failing DESC, name;"
            ),
        });
    }
    if report.exceptions.file.is_some() {
        q.push(Query {
            id: "waived",
            sql: format!(
                "SELECT r AS rule_id, count(*) AS waived\n\
                 FROM (SELECT unnest(waived_rules) AS r FROM {SITES})\n\
                 GROUP BY ALL ORDER BY waived DESC, rule_id;"
            ),
        });
    }
    q.push(Query {
        id: "unreachable",
        sql: format!(
            "SELECT error_class, count(*) AS sites FROM {SITES}\n\
             WHERE status = 'unreachable' GROUP BY ALL ORDER BY sites DESC, error_class;"
        ),
    });
    // Without an earlier run, the worst are those failing the most rules; with one, the sites
    // failing in both come first (a history orders those by streak: docs/SCHEMA.md, History).
    q.push(Query {
        id: "worst",
        sql: match &report.compared {
            None => format!(
                "SELECT domain, owner, failing_rules FROM {SITES} WHERE status = 'violation'\n\
                 ORDER BY len(failing_rules) DESC, domain LIMIT {WORST_MAX};"
            ),
            Some(c) => format!(
                "SELECT n.domain, n.owner, n.failing_rules FROM {SITES} n\n\
                 LEFT JOIN {} b ON b.domain = n.domain AND b.status = 'violation'\n\
                 WHERE n.status = 'violation'\n\
                 ORDER BY b.domain IS NULL, len(n.failing_rules) DESC, n.domain LIMIT {WORST_MAX};",
                literal(&format!("{}/sites/*.parquet", c.dir.display()))
            ),
        },
    });
    if let Some(as_of) = &report.run.as_of {
        q.push(Query {
            id: "psb_due",
            sql: format!(
                "SELECT domain, owner, psb_due, psb_duty, psb_due - DATE '{as_of}' AS days_left\n\
                 FROM {SITES}\n\
                 WHERE psb_due BETWEEN DATE '{as_of}' AND DATE '{as_of}' + {DEADLINE_DAYS}\n\
                 ORDER BY psb_due, domain;"
            ),
        });
    }
    if let Some(c) = &report.compared {
        let before = literal(&format!("{}/sites/*.parquet", c.dir.display()));
        q.push(Query {
            id: "newly_failing",
            sql: format!(
                "SELECT n.domain FROM {SITES} n JOIN {before} b USING (domain)\n\
                 WHERE n.status = 'violation' AND b.status NOT IN ('violation', 'input_error')\n\
                 ORDER BY 1;"
            ),
        });
        q.push(Query {
            id: "fixed",
            sql: format!(
                "SELECT n.domain FROM {SITES} n JOIN {before} b USING (domain)\n\
                 WHERE n.status IN ('compliant', 'compliant_with_waivers', 'warning')\n\
                 \x20 AND b.status = 'violation'\n\
                 ORDER BY 1;"
            ),
        });
    }
    q
}
