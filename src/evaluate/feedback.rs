//! Feedback: the Customer Relations Officer's verdicts from the review page
//! (`feedback.csv`, downloaded from `review.html`) turned into labels for
//! `triage eval --feedback`, so the officer's corrections become the
//! analysts' test cases.
//!
//! Columns: `id` (the page's item id, from the message's Message-ID or
//! content hash, so it is found again in any source holding the message),
//! `verdict` (`correct`, `false_flag`, `missed_category`), `category`
//! (required for the last two), `note` (for people), and optionally
//! `source` (for people) and `flagged` (`;`-separated categories flagged
//! that night). The label of a message starts from `flagged` (or, without
//! it, from what triage gives the message now); `false_flag` removes the
//! category, `missed_category` adds it; several rows for one id combine.
//! Only content categories are judged, and not the queue.

use super::labels::{CsvTable, Label, Labels};
use crate::category::Category;
use crate::error::{ConfigError, ConfigErrors};
use crate::outcome::Outcome;
use crate::sink::review::VERDICTS;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Correct,
    FalseFlag,
    MissedCategory,
}

/// One row of `feedback.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackRow {
    pub id: String,
    pub verdict: Verdict,
    pub category: Option<Category>,
    /// The categories flagged that night, when the file says.
    pub flagged: Option<BTreeSet<Category>>,
    pub line: usize,
}

/// Read `feedback.csv`; every problem named with its line.
pub fn load(path: &Path) -> Result<Vec<FeedbackRow>, ConfigErrors> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new(path, 0, format!("cannot read: {e}")))?;
    parse(path, &text)
}

pub fn parse(path: &Path, text: &str) -> Result<Vec<FeedbackRow>, ConfigErrors> {
    let mut errors = ConfigErrors::default();
    let table = CsvTable::read(path, text, &mut errors)?;
    let (Some(id_col), Some(verdict_col)) = (table.column("id"), table.column("verdict")) else {
        return Err(ConfigError::new(
            path,
            1,
            "the header must name the columns `id` and `verdict` (and `category`, `note`), \
             as the review page's feedback.csv does",
        )
        .into());
    };
    let (category_col, flagged_col) = (table.column("category"), table.column("flagged"));
    let mut rows = Vec::new();
    for (line, record) in &table.rows {
        let line = *line;
        let cell = |c: Option<usize>| c.and_then(|c| record.get(c)).unwrap_or("");
        let id = cell(Some(id_col)).to_string();
        if id.is_empty() {
            errors.push(ConfigError::new(path, line, "empty `id`"));
            continue;
        }
        let verdict = match cell(Some(verdict_col)) {
            "correct" => Verdict::Correct,
            "false_flag" => Verdict::FalseFlag,
            "missed_category" => Verdict::MissedCategory,
            other => {
                errors.push(ConfigError::new(
                    path,
                    line,
                    format!(
                        "unknown verdict `{other}` (expected one of: {})",
                        VERDICTS.join(", ")
                    ),
                ));
                continue;
            }
        };
        let category = match cell(category_col) {
            "" => None,
            name => match name.parse::<Category>() {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.push(ConfigError::new(path, line, e));
                    continue;
                }
            },
        };
        if verdict != Verdict::Correct && category.is_none() {
            errors.push(ConfigError::new(
                path,
                line,
                format!(
                    "verdict `{}` needs a category: which one was wrongly flagged or missed",
                    cell(Some(verdict_col))
                ),
            ));
            continue;
        }
        let flagged = flagged_col.map(|c| table.categories(record.get(c), line, &mut errors));
        rows.push(FeedbackRow {
            id,
            verdict,
            category,
            flagged,
            line,
        });
    }
    errors.into_result(rows)
}

/// Labels for the messages the feedback names, found among `outcomes` (the
/// messages of `--source`) by their review id. An id that names no message
/// is an error with its line.
pub fn to_labels(
    rows: &[FeedbackRow],
    outcomes: &[Outcome],
    path: &Path,
) -> Result<Labels, ConfigErrors> {
    let by_id: BTreeMap<String, &Outcome> = outcomes.iter().map(|o| (o.review_id(), o)).collect();
    let mut errors = ConfigErrors::default();
    let mut labels = Labels {
        content_only: true,
        ..Labels::default()
    };
    for row in rows {
        let Some(o) = by_id.get(&row.id) else {
            errors.push(ConfigError::new(
                path,
                row.line,
                format!(
                    "`{}` names no message in the source (is --source the night's mail?)",
                    row.id
                ),
            ));
            continue;
        };
        let label = labels
            .by_source
            .entry(o.source_id.clone())
            .or_insert_with(|| Label {
                queue: None,
                categories: row.flagged.clone().unwrap_or_else(|| o.categories.clone()),
                line: row.line,
            });
        match (row.verdict, row.category) {
            (Verdict::FalseFlag, Some(c)) => {
                label.categories.remove(&c);
            }
            (Verdict::MissedCategory, Some(c)) => {
                label.categories.insert(c);
            }
            _ => {}
        }
    }
    errors.into_result(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_pages_columns_and_names_bad_lines() {
        let text = "id,verdict,category,note,source,flagged\r\n\
                    m-1,correct,,,a.eml,abuse\r\n\
                    m-2,false_flag,abuse,\"not aimed at staff, quoting\",b.eml,abuse;repeat_complaint\r\n\
                    m-3,missed_category,threats,,c.eml,\r\n\
                    m-4,wrong,,,d.eml,\r\n\
                    m-5,missed_category,,,e.eml,\r\n";
        let errors = parse(Path::new("feedback.csv"), text)
            .unwrap_err()
            .to_string();
        assert!(
            errors.contains("feedback.csv:4: unknown category `threats`"),
            "{errors}"
        );
        assert!(
            errors.contains("feedback.csv:5: unknown verdict `wrong`"),
            "{errors}"
        );
        assert!(
            errors.contains("feedback.csv:6: verdict `missed_category` needs a category"),
            "{errors}"
        );
        let ok = parse(
            Path::new("f.csv"),
            &text.lines().take(3).collect::<Vec<_>>().join("\n"),
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[1].verdict, Verdict::FalseFlag);
        assert_eq!(ok[1].category, Some(Category::Abuse));
        assert_eq!(
            ok[1].flagged,
            Some([Category::Abuse, Category::RepeatComplaint].into())
        );
    }
}
