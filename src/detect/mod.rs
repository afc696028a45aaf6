//! Detect: the content categories of SPEC §4 (and the urgent-service signal
//! of §5 row 7) from rule files in `rules/` that an analyst can read and edit.
//!
//! Word lists are compiled once into aho-corasick automata, regexes once into
//! `regex` programs, behind an exact literal pre-filter (`prefilter.rs`) that
//! runs a regex only on text that holds what every match of it must contain.
//! Text is normalised first ([`normalize`]) so obfuscations are caught, with
//! an offset map so every hit points into the message text.

mod format;
mod lists;
mod literal;
pub mod model;
pub mod normalize;
mod prefilter;
pub mod rules;
pub mod sentence;
#[cfg(test)]
mod tests;
mod word_regex;

use crate::category::Category;
use crate::error::ConfigErrors;
use crate::parse::Segment;
use crate::parse::SegmentKind;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What a rule detects: a content category, or the urgent-service signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    Content(Category),
    /// §5 row 7: gas leak, no heating or water, flooding, CO, someone at risk.
    UrgentService,
}

/// One rule that matched, with the exact span in the message text.
#[derive(Debug, Clone, Serialize)]
pub struct RuleHit {
    pub rule_id: String,
    /// `threat_violence`, …, or `urgent_service`.
    pub category: String,
    pub weight: f32,
    /// Byte offsets into `ParsedMessage::text`, or into
    /// `ParsedMessage::subject` when `segment` is `Subject`.
    pub start: usize,
    pub end: usize,
    /// `text[start..end]` (`subject[start..end]` for a subject hit).
    pub matched: String,
    /// Which segment of the message the hit lies in; `Subject` for the
    /// Subject line, whose offsets index the subject, not the text.
    pub segment: SegmentKind,
}

impl RuleHit {
    /// Whether the hit is in the Subject line (its offsets index the subject).
    pub fn in_subject(&self) -> bool {
        self.segment == SegmentKind::Subject
    }

    /// `" in the subject"` for a subject hit, else nothing: for one-line
    /// explanations that quote the matched text.
    pub fn where_suffix(&self) -> &'static str {
        if self.in_subject() {
            " in the subject"
        } else {
            ""
        }
    }
}

/// A hit that did not count, and why (negated, reported speech, allow-list…).
#[derive(Debug, Clone, Serialize)]
pub struct SuppressedHit {
    pub hit: RuleHit,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Detection {
    /// Hits in the sender's own words that count.
    pub hits: Vec<RuleHit>,
    /// Hits dropped by a context guard or the allow-list.
    pub suppressed: Vec<SuppressedHit>,
    /// Content categories whose score reached their threshold.
    pub categories: BTreeSet<Category>,
    /// Score per content category (sum of counted weights).
    pub scores: BTreeMap<Category, f32>,
    /// §5 row 7.
    pub urgent_service: bool,
    /// Content categories found in quoted or forwarded text — not the
    /// sender's conduct; used for `forwarded_abuse` and explanations.
    pub quoted_categories: BTreeSet<Category>,
}

/// The compiled rule set. Build once, share across threads.
pub struct RuleSet {
    inner: rules::CompiledRules,
}

impl RuleSet {
    /// Load every rule file in `dir` (not `policy.toml`); all problems at once.
    pub fn load(dir: &Path) -> Result<RuleSet, ConfigErrors> {
        rules::CompiledRules::load(dir).map(|inner| RuleSet { inner })
    }

    /// Every rule file but without the model rules: for training the model.
    pub fn load_without_models(dir: &Path) -> Result<RuleSet, ConfigErrors> {
        rules::CompiledRules::load_without_models(dir).map(|inner| RuleSet { inner })
    }

    /// Detect over a message's text and its segments (the body only).
    pub fn detect(&self, text: &str, segments: &[Segment]) -> Detection {
        self.inner.detect(None, text, segments)
    }

    /// Detect over a whole message: the body's segments and the Subject
    /// line when it is the sender's own words ([`crate::parse::subject`]).
    /// The subject is scanned on its own, as a sentence and paragraph of
    /// its own, by every rule and guard but the model rules without
    /// `subject = true`; its hits have
    /// segment `Subject` and offsets into `subject`.
    pub fn detect_message(&self, subject: &str, text: &str, segments: &[Segment]) -> Detection {
        let subject = crate::parse::subject::own_range(subject).map(|r| (subject, r));
        self.inner.detect(subject, text, segments)
    }

    /// Run every rule's own must-match / must-not-match examples.
    pub fn self_test(&self) -> Vec<rules::ExampleFailure> {
        self.inner.self_test()
    }

    /// Every rule, in load order.
    pub fn rule_infos(&self) -> Vec<rules::RuleInfo> {
        self.inner.rule_infos()
    }

    /// The score at which a content category is flagged.
    pub fn threshold(&self, category: Category) -> f32 {
        self.inner.threshold(Signal::Content(category))
    }

    /// The one-line description of a rule.
    pub fn description(&self, rule_id: &str) -> Option<&str> {
        self.inner.description(rule_id)
    }

    /// For a model rule's hit (`matched` is the hit's text): the sentence's
    /// score and the features that raised it. `None` for other rules.
    pub fn model_evidence(
        &self,
        rule_id: &str,
        matched: &str,
    ) -> Option<(f32, Vec<(String, f32)>)> {
        self.inner.model_evidence(rule_id, matched)
    }

    /// For a message model rule's hit: the message's score and the
    /// features that raised it. `None` for other rules.
    pub fn message_evidence(
        &self,
        rule_id: &str,
        text: &str,
        segments: &[Segment],
    ) -> Option<(f32, Vec<(String, f32)>)> {
        self.inner.message_evidence(rule_id, text, segments)
    }

    /// The sender's own sentences, normalised, as the model reads them.
    pub fn own_sentences(&self, text: &str, segments: &[Segment]) -> Vec<String> {
        self.inner.own_sentences(text, segments)
    }

    /// The Subject line's sentences as a model rule with `subject = true`
    /// reads them: none unless it is the sender's own words.
    pub fn subject_sentences(&self, subject: &str) -> Vec<String> {
        self.inner.subject_sentences(subject)
    }

    /// SHA-256 over the rule files' bytes, for `summary.json`.
    pub fn sha256(&self) -> &str {
        self.inner.sha256()
    }

    /// Number of rules loaded.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
