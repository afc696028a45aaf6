//! Rule statistics over a body of mail (`triage rules stats`), after
//! SpamAssassin's hit-frequencies report: how often each rule counts, how
//! often a guard suppresses it, which rules fire together, and — with labels
//! — the share of its hits that were right.

use super::labels::Labels;
use crate::category::Category;
use crate::detect::RuleSet;
use crate::outcome::Outcome;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// One rule's figures.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RuleRow {
    pub rule_id: String,
    pub category: String,
    pub weight: f32,
    /// Messages where the rule counted in the sender's own words.
    pub messages: usize,
    /// Messages where it matched the sender's own words but a guard,
    /// the allow-list or its hit cap suppressed it.
    pub suppressed: usize,
    /// Messages where its category was flagged and it was the only rule of
    /// that category that counted: what would be lost without it.
    pub sole_evidence: usize,
    /// With labels: of `messages`, how many carry the rule's category.
    pub right: Option<usize>,
    /// `right / messages`.
    pub right_share: Option<f64>,
    /// The rule it most often fires with, and in how many messages.
    pub top_overlap: Option<(String, usize)>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RuleStats {
    pub messages: usize,
    /// Messages with at least one content category.
    pub flagged_messages: usize,
    pub rules: Vec<RuleRow>,
    /// Pairs of rules counted in the same message, most frequent first.
    pub overlaps: Vec<(String, String, usize)>,
}

impl RuleStats {
    pub fn build(outcomes: &[Outcome], rules: &RuleSet, labels: Option<&Labels>) -> RuleStats {
        let infos = rules.rule_infos();
        let mut rows: BTreeMap<&str, RuleRow> = infos
            .iter()
            .map(|r| {
                (
                    r.id.as_str(),
                    RuleRow {
                        rule_id: r.id.clone(),
                        category: r.category.clone(),
                        weight: r.weight,
                        messages: 0,
                        suppressed: 0,
                        sole_evidence: 0,
                        right: labels.map(|_| 0),
                        right_share: None,
                        top_overlap: None,
                    },
                )
            })
            .collect();
        let mut pairs: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut flagged_messages = 0;
        for o in outcomes {
            flagged_messages += o.categories.iter().any(|c| c.is_content()) as usize;
            let counted: BTreeSet<&str> = o
                .detection
                .hits
                .iter()
                .map(|h| h.rule_id.as_str())
                .collect();
            let suppressed: BTreeSet<&str> = o
                .detection
                .suppressed
                .iter()
                .filter(|s| s.hit.segment.is_own())
                .map(|s| s.hit.rule_id.as_str())
                .filter(|id| !counted.contains(id))
                .collect();
            let label = labels.and_then(|l| l.by_source.get(&o.source_id));
            for id in &counted {
                let Some(row) = rows.get_mut(id) else {
                    continue;
                };
                row.messages += 1;
                let category = row.category.parse::<Category>().ok();
                if let (Some(label), Some(right)) = (label, row.right.as_mut()) {
                    *right += category.is_some_and(|c| label.categories.contains(&c)) as usize;
                }
                let flagged = category.is_some_and(|c| o.categories.contains(&c));
                let alone = !o
                    .detection
                    .hits
                    .iter()
                    .any(|h| h.category == row.category && h.rule_id != *id);
                row.sole_evidence += (flagged && alone) as usize;
            }
            for id in &suppressed {
                if let Some(row) = rows.get_mut(id) {
                    row.suppressed += 1;
                }
            }
            for a in &counted {
                for b in counted
                    .range::<&str, _>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded))
                {
                    *pairs.entry((a.to_string(), b.to_string())).or_default() += 1;
                }
            }
        }
        for ((a, b), &n) in &pairs {
            for (me, other) in [(a, b), (b, a)] {
                if let Some(row) = rows.get_mut(me.as_str()) {
                    if row.top_overlap.as_ref().is_none_or(|(_, best)| n > *best) {
                        row.top_overlap = Some((other.clone(), n));
                    }
                }
            }
        }
        let mut rules_out: Vec<RuleRow> = infos
            .iter()
            .filter_map(|r| rows.remove(r.id.as_str()))
            .map(|mut row| {
                row.right_share = row
                    .right
                    .filter(|_| row.messages > 0)
                    .map(|r| r as f64 / row.messages as f64);
                row
            })
            .collect();
        rules_out.sort_by(|a, b| b.messages.cmp(&a.messages).then(a.rule_id.cmp(&b.rule_id)));
        let mut overlaps: Vec<(String, String, usize)> =
            pairs.into_iter().map(|((a, b), n)| (a, b, n)).collect();
        overlaps.sort_by(|x, y| y.2.cmp(&x.2).then_with(|| (&x.0, &x.1).cmp(&(&y.0, &y.1))));
        overlaps.truncate(25);
        RuleStats {
            messages: outcomes.len(),
            flagged_messages,
            rules: rules_out,
            overlaps,
        }
    }

    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let pct = |n: usize| {
            if self.messages == 0 {
                0.0
            } else {
                100.0 * n as f64 / self.messages as f64
            }
        };
        let _ = writeln!(
            out,
            "{} messages; {} ({:.2}%) flagged with a content category\n",
            self.messages,
            self.flagged_messages,
            pct(self.flagged_messages)
        );
        let _ = writeln!(
            out,
            "{:>6} {:>7} {:>6} {:>5} {:>6} {:>5}  {:<40} {:<20} top overlap",
            "HITS", "%MSGS", "SUPPR", "SOLE", "RIGHT", "WT", "RULE", "CATEGORY"
        );
        for r in &self.rules {
            let right = r
                .right_share
                .map_or("-".to_string(), |s| format!("{:.2}", s));
            let overlap = r
                .top_overlap
                .as_ref()
                .map_or(String::new(), |(id, n)| format!("{id} ({n})"));
            let _ = writeln!(
                out,
                "{:>6} {:>6.2}% {:>6} {:>5} {:>6} {:>5}  {:<40} {:<20} {}",
                r.messages,
                pct(r.messages),
                r.suppressed,
                r.sole_evidence,
                right,
                r.weight,
                r.rule_id,
                r.category,
                overlap
            );
        }
        if !self.overlaps.is_empty() {
            let _ = writeln!(out, "\nrules counted together most often:");
            for (a, b, n) in &self.overlaps {
                let _ = writeln!(out, "  {n:>5}  {a} + {b}");
            }
        }
        let _ = writeln!(
            out,
            "\nHITS: messages where the rule counted in the sender's own words. \
             SUPPR: messages where it matched but a guard, the allow-list or its hit cap \
             suppressed it. SOLE: flagged messages where it was its category's only evidence. \
             RIGHT: with --labels, the share of its hits whose message carries its category."
        );
        out
    }
}
