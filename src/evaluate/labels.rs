//! Labels: what a person decided each message of a labelled corpus should
//! get — `labels.csv` with columns `source,queue,categories` (others, such as
//! `note`, are kept for people and ignored). Every problem names file and line.

use crate::category::Category;
use crate::error::{ConfigError, ConfigErrors};
use crate::route::Queue;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One message's label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// `None`: the queue is not judged for this message.
    pub queue: Option<Queue>,
    pub categories: BTreeSet<Category>,
    /// Line in the labels file, for messages that point back to it.
    pub line: usize,
}

/// A CSV file of labels or feedback: its header and each row with its line.
pub(super) struct CsvTable {
    pub path: std::path::PathBuf,
    pub headers: csv::StringRecord,
    pub rows: Vec<(usize, csv::StringRecord)>,
}

impl CsvTable {
    /// Read `text` (`path` names it in errors). A row that cannot be read
    /// is an error with its line in `errors`; the others are returned. CRLF
    /// line ends (Excel, the review page) are read as LF, on which the csv
    /// crate's line numbers are exact.
    pub fn read(
        path: &Path,
        text: &str,
        errors: &mut ConfigErrors,
    ) -> Result<CsvTable, ConfigErrors> {
        let text = text.replace("\r\n", "\n");
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| ConfigError::new(path, 1, format!("bad header: {e}")))?
            .clone();
        let mut rows = Vec::new();
        for record in reader.records() {
            match record {
                Ok(r) => rows.push((r.position().map_or(0, |p| p.line() as usize), r)),
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line() as usize);
                    errors.push(ConfigError::new(path, line, format!("bad row: {e}")));
                }
            }
        }
        Ok(CsvTable {
            path: path.to_path_buf(),
            headers,
            rows,
        })
    }

    /// A `;`-separated list of category names; each unknown name is an
    /// error with `line`.
    pub fn categories(
        &self,
        cell: Option<&str>,
        line: usize,
        errors: &mut ConfigErrors,
    ) -> BTreeSet<Category> {
        let mut categories = BTreeSet::new();
        for name in cell
            .unwrap_or("")
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match name.parse::<Category>() {
                Ok(c) => {
                    categories.insert(c);
                }
                Err(e) => errors.push(ConfigError::new(&self.path, line, e)),
            }
        }
        categories
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }
}

/// Labels by source id.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    pub by_source: BTreeMap<String, Label>,
    /// Only content categories are judged (history and envelope ones, such
    /// as `repeat_complaint`, are neither right nor wrong).
    pub content_only: bool,
}

impl Labels {
    pub fn load(path: &Path) -> Result<Labels, ConfigErrors> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(path, 0, format!("cannot read: {e}")))?;
        Labels::parse(path, &text)
    }

    /// Parse labels text; `path` names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Labels, ConfigErrors> {
        let mut errors = ConfigErrors::default();
        let table = CsvTable::read(path, text, &mut errors)?;
        let (Some(source_col), Some(categories_col)) =
            (table.column("source"), table.column("categories"))
        else {
            return Err(ConfigError::new(
                path,
                1,
                "the header must name the columns `source` and `categories` (and usually `queue`)",
            )
            .into());
        };
        let queue_col = table.column("queue");
        let mut labels = Labels::default();
        for (line, record) in &table.rows {
            let line = *line;
            let source = record.get(source_col).unwrap_or("").to_string();
            if source.is_empty() {
                errors.push(ConfigError::new(path, line, "empty `source`"));
                continue;
            }
            let queue = match queue_col.and_then(|c| record.get(c)).unwrap_or("") {
                "" => None,
                q => match Queue::parse(q) {
                    Some(q) => Some(q),
                    None => {
                        errors.push(ConfigError::new(
                            path,
                            line,
                            format!(
                                "unknown queue `{q}` (expected respond, read-only or escalate)"
                            ),
                        ));
                        None
                    }
                },
            };
            let categories = table.categories(record.get(categories_col), line, &mut errors);
            let label = Label {
                queue,
                categories,
                line,
            };
            if let Some(first) = labels.by_source.insert(source.clone(), label) {
                errors.push(ConfigError::new(
                    path,
                    line,
                    format!("`{source}` is labelled twice (also line {})", first.line),
                ));
            }
        }
        errors.into_result(labels)
    }

    /// Every source labelled clean: no content category, queue not judged.
    pub fn all_clean<'a>(sources: impl Iterator<Item = &'a str>) -> Labels {
        Labels {
            content_only: true,
            by_source: sources
                .map(|s| {
                    (
                        s.to_string(),
                        Label {
                            queue: None,
                            categories: BTreeSet::new(),
                            line: 0,
                        },
                    )
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_columns_in_any_order_and_ignores_notes() {
        let text = "categories,note,source,queue\n\
                    threat_violence;abuse,\"angry, veiled\",a.eml,escalate\n\
                    ,,b.eml,\n";
        let labels = Labels::parse(Path::new("labels.csv"), text).unwrap();
        let a = &labels.by_source["a.eml"];
        assert_eq!(a.queue, Some(Queue::Escalate));
        assert!(a.categories.contains(&Category::ThreatViolence));
        assert!(a.categories.contains(&Category::Abuse));
        assert_eq!(a.line, 2);
        let b = &labels.by_source["b.eml"];
        assert_eq!(b.queue, None);
        assert!(b.categories.is_empty());
    }

    #[test]
    fn names_line_of_every_bad_row() {
        let text = "source,queue,categories\n\
                    a.eml,respond,threats\n\
                    b.eml,maybe,\n\
                    a.eml,respond,\n";
        let errors = Labels::parse(Path::new("labels.csv"), text).unwrap_err();
        let shown = errors.to_string();
        assert!(
            shown.contains("labels.csv:2: unknown category `threats`"),
            "{shown}"
        );
        assert!(
            shown.contains("labels.csv:3: unknown queue `maybe`"),
            "{shown}"
        );
        assert!(
            shown.contains("labels.csv:4: `a.eml` is labelled twice (also line 2)"),
            "{shown}"
        );
    }

    #[test]
    fn header_must_name_source_and_categories() {
        let errors = Labels::parse(Path::new("l.csv"), "file,labels\nx,y\n").unwrap_err();
        assert!(errors.to_string().contains("l.csv:1:"));
    }
}
