//! Score triage against labels: precision, recall and F1 per category, the
//! queue confusion matrix, every miss and false flag with the evidence that
//! explains it, and the gates CI uses to refuse a rule change that breaks
//! detection.

use super::labels::Labels;
use crate::category::Category;
use crate::detect::RuleSet;
use crate::error::{ConfigError, ConfigErrors};
use crate::outcome::Outcome;
use crate::route::Queue;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

/// Counts and rates for one category.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CategoryScore {
    pub category: Category,
    /// Messages labelled with the category.
    pub support: usize,
    /// Messages triage gave the category.
    pub flagged: usize,
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    /// `None` when nothing was flagged (or, for recall, nothing labelled).
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
}

/// Rows: the labelled queue; columns: the queue triage chose.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QueueMatrix {
    pub queues: [&'static str; 3],
    pub counts: [[usize; 3]; 3],
    /// Messages whose queue was labelled.
    pub judged: usize,
    pub correct: usize,
    pub accuracy: Option<f64>,
}

/// A message where triage and the label disagree, with why triage decided
/// as it did.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Disagreement {
    pub source: String,
    /// Line of the labels file.
    pub label_line: usize,
    pub missed: Vec<Category>,
    pub false_flags: Vec<Category>,
    pub labelled_queue: Option<&'static str>,
    pub queue: &'static str,
    /// The policy entry that chose the queue.
    pub policy_entry: String,
    /// One line per piece of evidence: hits, suppressed hits, scores, history.
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EvalReport {
    pub messages: usize,
    /// Messages labelled with no content category…
    pub labelled_clean: usize,
    /// …of which triage gave at least one content category.
    pub clean_flagged: usize,
    pub clean_flag_rate: Option<f64>,
    pub categories: Vec<CategoryScore>,
    pub queues: QueueMatrix,
    pub disagreements: Vec<Disagreement>,
    /// Gates that failed (empty when none were given or all passed).
    pub gate_failures: Vec<GateFailure>,
}

/// Match outcomes with labels: every message must be labelled and every
/// label must name a message, or the evaluation would silently measure less
/// than it claims.
pub fn check_coverage(
    outcomes: &[Outcome],
    labels: &Labels,
    labels_path: &Path,
) -> Result<(), ConfigErrors> {
    let mut errors = ConfigErrors::default();
    let sources: BTreeSet<&str> = outcomes.iter().map(|o| o.source_id.as_str()).collect();
    let unlabelled: Vec<&str> = sources
        .iter()
        .copied()
        .filter(|s| !labels.by_source.contains_key(*s))
        .collect();
    if let Some(first) = unlabelled.first() {
        errors.push(ConfigError::new(
            labels_path,
            0,
            format!(
                "{} message(s) have no label, e.g. `{first}`",
                unlabelled.len()
            ),
        ));
    }
    for (source, label) in &labels.by_source {
        if !sources.contains(source.as_str()) {
            errors.push(ConfigError::new(
                labels_path,
                label.line,
                format!("`{source}` is labelled but is not in the source"),
            ));
        }
    }
    errors.into_result(())
}

impl EvalReport {
    /// Score `outcomes` (every one labelled: see [`check_coverage`]).
    pub fn build(outcomes: &[Outcome], labels: &Labels, rules: &RuleSet) -> EvalReport {
        let judged = |c: &Category| !labels.content_only || c.is_content();
        let mut measured: BTreeSet<Category> = Category::CONTENT.into_iter().collect();
        for o in outcomes {
            measured.extend(o.categories.iter().copied().filter(judged));
        }
        for l in labels.by_source.values() {
            measured.extend(l.categories.iter().copied().filter(judged));
        }
        let mut categories: Vec<CategoryScore> = measured
            .iter()
            .map(|&category| CategoryScore {
                category,
                support: 0,
                flagged: 0,
                true_positives: 0,
                false_positives: 0,
                false_negatives: 0,
                precision: None,
                recall: None,
                f1: None,
            })
            .collect();
        let mut queues = QueueMatrix {
            queues: Queue::ALL.map(Queue::as_str),
            counts: [[0; 3]; 3],
            judged: 0,
            correct: 0,
            accuracy: None,
        };
        let mut disagreements = Vec::new();
        let (mut labelled_clean, mut clean_flagged) = (0, 0);
        let queue_index = |q: Queue| Queue::ALL.iter().position(|&x| x == q).unwrap_or(0);
        for o in outcomes {
            let Some(label) = labels.by_source.get(&o.source_id) else {
                continue;
            };
            for score in categories.iter_mut() {
                let labelled = label.categories.contains(&score.category);
                let flagged = o.categories.contains(&score.category);
                score.support += labelled as usize;
                score.flagged += flagged as usize;
                score.true_positives += (labelled && flagged) as usize;
                score.false_positives += (!labelled && flagged) as usize;
                score.false_negatives += (labelled && !flagged) as usize;
            }
            if !label.categories.iter().any(|c| c.is_content()) {
                labelled_clean += 1;
                clean_flagged += o.categories.iter().any(|c| c.is_content()) as usize;
            }
            let queue_right = match label.queue {
                Some(q) => {
                    queues.counts[queue_index(q)][queue_index(o.queue())] += 1;
                    queues.judged += 1;
                    queues.correct += (q == o.queue()) as usize;
                    q == o.queue()
                }
                None => true,
            };
            let found: BTreeSet<Category> = o.categories.iter().copied().filter(judged).collect();
            let missed: Vec<Category> = label.categories.difference(&found).copied().collect();
            let false_flags: Vec<Category> = found.difference(&label.categories).copied().collect();
            if !missed.is_empty() || !false_flags.is_empty() || !queue_right {
                disagreements.push(Disagreement {
                    source: o.source_id.clone(),
                    label_line: label.line,
                    evidence: explain_disagreement(o, &missed, &false_flags, rules),
                    missed,
                    false_flags,
                    labelled_queue: label.queue.map(Queue::as_str),
                    queue: o.queue().as_str(),
                    policy_entry: format!("#{} {}", o.routing.entry_index, o.routing.entry),
                });
            }
        }
        for s in categories.iter_mut() {
            s.precision = ratio(s.true_positives, s.flagged);
            s.recall = ratio(s.true_positives, s.support);
            s.f1 = match (s.precision, s.recall) {
                (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
                (Some(_), Some(_)) => Some(0.0),
                _ => None,
            };
        }
        queues.accuracy = ratio(queues.correct, queues.judged);
        EvalReport {
            messages: outcomes.len(),
            labelled_clean,
            clean_flagged,
            clean_flag_rate: ratio(clean_flagged, labelled_clean),
            categories,
            queues,
            disagreements,
            gate_failures: Vec::new(),
        }
    }

    /// Check every gate; failures are recorded in the report and returned.
    pub fn apply_gates(&mut self, gates: &[Gate]) -> &[GateFailure] {
        self.gate_failures = gates.iter().flat_map(|g| g.check(self)).collect();
        &self.gate_failures
    }

    pub fn score(&self, category: Category) -> Option<&CategoryScore> {
        self.categories.iter().find(|s| s.category == category)
    }

    /// The report for a person at a terminal.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let f = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.3}"));
        let _ = writeln!(
            out,
            "{:<21} {:>7} {:>7} {:>5} {:>5} {:>5} {:>9} {:>7} {:>7}",
            "category", "labelled", "flagged", "TP", "FP", "FN", "precision", "recall", "F1"
        );
        for s in &self.categories {
            let _ = writeln!(
                out,
                "{:<21} {:>8} {:>7} {:>5} {:>5} {:>5} {:>9} {:>7} {:>7}",
                s.category.as_str(),
                s.support,
                s.flagged,
                s.true_positives,
                s.false_positives,
                s.false_negatives,
                f(s.precision),
                f(s.recall),
                f(s.f1)
            );
        }
        let _ = writeln!(
            out,
            "\nlabelled with no content category: {}, of which flagged with one: {} ({})",
            self.labelled_clean,
            self.clean_flagged,
            self.clean_flag_rate
                .map_or("-".into(), |r| format!("{:.2}%", r * 100.0))
        );
        if self.queues.judged > 0 {
            let q = &self.queues;
            let _ = writeln!(
                out,
                "\nqueue: labelled (rows) vs triage (columns)\n{:<12} {:>9} {:>9} {:>9}",
                "", q.queues[0], q.queues[1], q.queues[2]
            );
            for (i, row) in q.counts.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{:<12} {:>9} {:>9} {:>9}",
                    q.queues[i], row[0], row[1], row[2]
                );
            }
            let _ = writeln!(
                out,
                "queue accuracy: {} ({} of {})",
                f(q.accuracy),
                q.correct,
                q.judged
            );
        }
        if !self.disagreements.is_empty() {
            let _ = writeln!(
                out,
                "\nmisses and false flags ({} messages):",
                self.disagreements.len()
            );
            for d in &self.disagreements {
                let mut what = Vec::new();
                if !d.missed.is_empty() {
                    what.push(format!("missed {}", join(&d.missed)));
                }
                if !d.false_flags.is_empty() {
                    what.push(format!("false flag {}", join(&d.false_flags)));
                }
                if let Some(lq) = d.labelled_queue.filter(|lq| *lq != d.queue) {
                    what.push(format!("queue {} not {lq} ({})", d.queue, d.policy_entry));
                }
                let _ = writeln!(out, "  {}  {}", d.source, what.join("; "));
                for e in &d.evidence {
                    let _ = writeln!(out, "      {e}");
                }
            }
        }
        if !self.gate_failures.is_empty() {
            let _ = writeln!(out, "\nGATES FAILED:");
            for g in &self.gate_failures {
                let _ = writeln!(out, "  {}: {}", g.gate, g.actual);
            }
        }
        out
    }
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

fn join(categories: &[Category]) -> String {
    categories
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Evidence for each missed or extra category: the hits that counted, those
/// a guard suppressed, scores under threshold, or what the history said.
fn explain_disagreement(
    o: &Outcome,
    missed: &[Category],
    false_flags: &[Category],
    rules: &RuleSet,
) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(reason) = &o.unparseable {
        lines.push(format!("unparseable: {reason}"));
    }
    for &c in missed.iter().chain(false_flags) {
        let name = c.as_str();
        match c {
            Category::RepeatComplaint => lines.push(match &o.history.repeat_of {
                Some(r) => format!(
                    "{name}: similarity {:.2} to {} ({})",
                    r.similarity, r.source_id, r.date
                ),
                None => format!(
                    "{name}: best similarity to earlier mail {:.2} ({} earlier messages)",
                    o.history.best_similarity, o.history.earlier_messages
                ),
            }),
            Category::HighVolume => lines.push(format!(
                "{name}: {} messages in the volume window",
                o.history.messages_in_volume_window
            )),
            Category::MassCopy => lines.push(format!(
                "{name}: {} distinct recipients",
                o.history.recipients
            )),
            _ => {
                let counted: Vec<_> = o
                    .detection
                    .hits
                    .iter()
                    .filter(|h| h.category == name)
                    .collect();
                for h in &counted {
                    lines.push(format!(
                        "{name}: rule {} (+{}) matched {}{}",
                        h.rule_id,
                        h.weight,
                        quote(&h.matched),
                        h.where_suffix()
                    ));
                }
                for s in o
                    .detection
                    .suppressed
                    .iter()
                    .filter(|s| s.hit.category == name && s.hit.segment.is_own())
                {
                    lines.push(format!(
                        "{name}: rule {} matched {}{} but was suppressed ({})",
                        s.hit.rule_id,
                        quote(&s.hit.matched),
                        s.hit.where_suffix(),
                        s.reason
                    ));
                }
                let score = o.detection.scores.get(&c).copied().unwrap_or(0.0);
                let threshold = rules.threshold(c);
                if missed.contains(&c) {
                    if o.detection.quoted_categories.contains(&c) {
                        lines.push(format!("{name}: found only in quoted or forwarded text"));
                    }
                    if counted.is_empty() && score == 0.0 {
                        lines.push(format!("{name}: no rule matched the sender's own words"));
                    } else {
                        lines.push(format!(
                            "{name}: score {score:.2} below threshold {threshold:.2}"
                        ));
                    }
                }
            }
        }
    }
    if lines.is_empty() {
        lines.push(format!(
            "policy entry #{} {}: {}",
            o.routing.entry_index,
            o.routing.entry,
            o.routing.reasons.join("; ")
        ));
    }
    lines
}

/// A matched span for a one-line explanation: quoted, at most 80 characters.
fn quote(text: &str) -> String {
    crate::outcome::quoted_excerpt(text, 80)
}

/// Which measure a minimum applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Precision,
    Recall,
    F1,
}

impl Measure {
    fn name(self) -> &'static str {
        match self {
            Measure::Precision => "precision",
            Measure::Recall => "recall",
            Measure::F1 => "f1",
        }
    }

    fn of(self, s: &CategoryScore) -> f64 {
        match self {
            Measure::Precision => s.precision,
            Measure::Recall => s.recall,
            Measure::F1 => s.f1,
        }
        .unwrap_or(0.0)
    }
}

/// A threshold that makes `triage eval` exit non-zero.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Gate {
    /// A minimum for one category, or (`None`) for every content category
    /// that has labelled positives.
    Min {
        measure: Measure,
        category: Option<Category>,
        value: f64,
    },
    MinQueueAccuracy(f64),
    /// Most share of messages labelled clean that may get a content category.
    MaxCleanFlagRate(f64),
}

/// A gate that did not hold.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GateFailure {
    pub gate: String,
    pub actual: String,
}

impl Gate {
    /// `0.9` or `CATEGORY=0.9`, as given to `--min-f1` and friends.
    pub fn parse_min(measure: Measure, text: &str) -> Result<Gate, String> {
        let (category, value) = match text.split_once('=') {
            Some((c, v)) => (Some(c.trim().parse::<Category>()?), v),
            None => (None, text),
        };
        Ok(Gate::Min {
            measure,
            category,
            value: parse_share(value)?,
        })
    }

    fn check(&self, report: &EvalReport) -> Vec<GateFailure> {
        let fail = |gate: String, actual: String| GateFailure { gate, actual };
        match *self {
            Gate::Min {
                measure,
                category: Some(c),
                value,
            } => match report.score(c).filter(|s| s.support > 0) {
                None => vec![fail(
                    format!("{} {} >= {value}", c.as_str(), measure.name()),
                    "no message is labelled with it".into(),
                )],
                Some(s) if measure.of(s) < value => vec![fail(
                    format!("{} {} >= {value}", c.as_str(), measure.name()),
                    format!("{:.3}", measure.of(s)),
                )],
                Some(_) => vec![],
            },
            Gate::Min {
                measure,
                category: None,
                value,
            } => report
                .categories
                .iter()
                .filter(|s| s.category.is_content() && s.support > 0 && measure.of(s) < value)
                .map(|s| {
                    fail(
                        format!("{} {} >= {value}", s.category.as_str(), measure.name()),
                        format!("{:.3}", measure.of(s)),
                    )
                })
                .collect(),
            Gate::MinQueueAccuracy(value) => match report.queues.accuracy {
                Some(a) if a >= value => vec![],
                a => vec![fail(
                    format!("queue accuracy >= {value}"),
                    a.map_or("no queue is labelled".into(), |a| format!("{a:.3}")),
                )],
            },
            Gate::MaxCleanFlagRate(value) => match report.clean_flag_rate {
                Some(r) if r > value => vec![fail(
                    format!("share of clean messages flagged <= {value}"),
                    format!(
                        "{:.4} ({} of {})",
                        r, report.clean_flagged, report.labelled_clean
                    ),
                )],
                _ => vec![],
            },
        }
    }
}

/// A share between 0 and 1.
pub fn parse_share(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("`{text}` is not a number between 0 and 1")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gates_parse_global_and_per_category() {
        assert_eq!(
            Gate::parse_min(Measure::F1, "0.9").unwrap(),
            Gate::Min {
                measure: Measure::F1,
                category: None,
                value: 0.9
            }
        );
        assert_eq!(
            Gate::parse_min(Measure::Recall, "threat_violence=0.95").unwrap(),
            Gate::Min {
                measure: Measure::Recall,
                category: Some(Category::ThreatViolence),
                value: 0.95
            }
        );
        assert!(Gate::parse_min(Measure::Recall, "threats=0.95").is_err());
        assert!(Gate::parse_min(Measure::Recall, "1.5").is_err());
    }
}
