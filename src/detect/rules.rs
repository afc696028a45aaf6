//! Rule files: loading, validation (file:line), compilation, matching,
//! context guards and each rule's own examples.
//!
//! Loading reads every `*.toml` in the rules directory except `policy.toml`
//! (routing, owned by `route`), collects *every* problem before giving up,
//! and compiles once: one `Regex` per regex rule (with the literal
//! pre-filter over all of them), all word-list entries into one aho-corasick
//! automaton over the squeezed view, the allow-list into another.

use super::format::{GuardDef, RuleDef, RuleFile};
use super::lists::{self, Entry};
use super::model::{
    self, LinearModel, MessageScorer, MessageScratch, MessageWords, Scorers, ScoringScratch,
    SentenceScorer, WordClasses,
};
use super::normalize::{Normalized, Normalizer, Squeezed};
use super::prefilter::{Prefilter, Scratch};
use super::sentence;
use super::word_regex::{self, ascii_words_only, ListTree, WordRegex};
use super::{Detection, RuleHit, Signal, SuppressedHit};
use crate::category::Category;
use crate::error::{ConfigError, ConfigErrors};
use crate::parse::{Segment, SegmentKind};
use aho_corasick::{AhoCorasick, MatchKind};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use toml::Spanned;

/// Compiled size cap per rule regex: a runaway pattern is a rule bug. The
/// regex crate matches in time linear in the text whatever the pattern, so
/// this and the lazy DFA's cache cap (`word_regex::LAZY_DFA_CACHE`) are what
/// keep a rule file from making matching blow up in memory.
pub(crate) const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// The routing policy lives beside the rules but is not a rule file.
const POLICY_FILE: &str = "policy.toml";

/// Why an `of_flagged` rule's hit following a half-weight hit waits: its
/// `of` category is not (yet) flagged ([`CompiledRules::of_flagged_hits`]).
const OF_NOT_FLAGGED: &str = "of_not_flagged";

/// A rule example that did not behave as written.
#[derive(Debug, Clone)]
pub struct ExampleFailure {
    pub rule_id: String,
    pub file: std::path::PathBuf,
    pub line: usize,
    pub example: String,
    /// "must match" or "must not match".
    pub expected: &'static str,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: rule `{}` {}: {:?}",
            self.file.display(),
            self.line,
            self.rule_id,
            self.expected,
            self.example
        )
    }
}

/// A rule's identity, for reports (`rules stats`, `explain`).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleInfo {
    pub id: String,
    /// `threat_violence`, …, or `urgent_service`.
    pub category: String,
    pub weight: f32,
    pub description: String,
    pub file: PathBuf,
}

struct Rule {
    id: String,
    signal: Signal,
    category: String,
    weight: f32,
    description: String,
    file: PathBuf,
    /// Indices into `CompiledRules::guards`.
    unless: Vec<usize>,
    /// A derived rule that follows suppressed hits: the guards whose
    /// suppression it follows (`when_suppressed_by`); empty, it follows
    /// counted hits.
    when_suppressed_by: Vec<usize>,
    /// A full-weight derived rule that also follows half-weight hits,
    /// counted (at half weight) only where its `of` category is flagged
    /// (`of_flagged`):
    /// see `CompiledRules::of_flagged_hits`.
    of_flagged: bool,
    /// Must also match the paragraph holding the hit or the one before (`requires`).
    requires: Option<WordRegex>,
    /// Counts only beside another hit of its category nearby (`together`).
    together: bool,
    /// With `together`: the other hit lies within this many bytes (`together_within`).
    together_within: Option<usize>,
    /// With `together`: rule ids whose hits are not the other evidence
    /// (`together_not_with`; `"*"`: none is), each with its line for errors.
    together_not_with: Vec<(String, usize)>,
    max_hits: usize,
    must_match: Vec<(String, usize)>,
    must_not_match: Vec<(String, usize)>,
    /// A model rule's second bar (`function_words`, `content_min_score`).
    content: Option<ContentBar>,
    /// A model rule's one-word bar (`one_word_min_score`).
    one_word: Option<OneWordBar>,
    /// A model rule whose hit does not count where another category's
    /// model scores it higher (`rival`, `rival_margin`).
    rival: Option<Rival>,
    /// A model rule whose hits count only where a message model scores the
    /// sender's own words of the whole message high enough (`message_model`,
    /// `message_min_score`): see `CompiledRules::message_short`.
    message_bar: Option<MessageBar>,
    /// A model rule that scores two adjacent sentences as one (`sentences = 2`).
    pairs: bool,
    /// A model rule that also scores the Subject line (`subject = true`).
    subject: bool,
    /// A model rule that scores the whole message's own words as one bag
    /// (`message = true`): see `CompiledRules::message_hits`.
    message: bool,
    /// A message rule as the partner of a lone `together` lean
    /// (`partner_min_score`): see `CompiledRules::message_hits`.
    partner_min_score: Option<f32>,
    /// A message rule's lower bar as completer, for a model half about the
    /// category's own matter (`half_min_score`, `half_names`,
    /// `half_except`): see `CompiledRules::message_hits`.
    half_bar: Option<HalfBar>,
    /// With `partner_min_score`: not where one of these is already flagged
    /// by the message's own counted evidence (`partner_yields_to`); nor,
    /// with `half_min_score`, the lower bar there.
    partner_yields_to: Vec<Signal>,
    /// A message rule that counts with no other evidence of its category
    /// (`alone = true`): see `CompiledRules::message_hits`.
    alone: bool,
    /// A message rule that reads only a message of at least this many own
    /// sentences (`min_sentences`; 0: any).
    min_sentences: usize,
}

/// A message rule's lower bar as completer ([`RuleDef::half_min_score`](super::format::RuleDef)):
/// from `min_score` down to this bar, the message completes the category's
/// counted evidence only where each counted own hit of a model rule among
/// it matches `names` and not `except` (on its words, lower-cased).
struct HalfBar {
    min_score: f32,
    names: Option<WordRegex>,
    except: Option<WordRegex>,
}

impl HalfBar {
    /// Why a model hit with these words is not a half the lower bar
    /// completes: the key that refused it, or `None`.
    fn refuses(&self, words: &str) -> Option<&'static str> {
        let words = words.to_lowercase();
        if self.names.as_ref().is_some_and(|re| !re.is_match(&words)) {
            return Some("half_names");
        }
        if self.except.as_ref().is_some_and(|re| re.is_match(&words)) {
            return Some("half_except");
        }
        None
    }
}

/// A model rule's second bar: the hit's sentence must also reach
/// `min_score` with the function words alone left out
/// ([`LinearModel::content_score`]), or the hit is suppressed
/// (`function_words`), so that a sure-tier hit is carried by what the
/// sentence is about ("burn", "van", "smash … face"), not by "your" and "him".
struct ContentBar {
    weights: Arc<LinearModel>,
    function_words: Arc<WordClasses>,
    min_score: f32,
}

/// A model rule's one-word bar: the hit's sentence must also reach
/// `min_score` with its strongest word left out
/// ([`LinearModel::strongest_word_left_out`]), or the hit is suppressed
/// (`one_word_min_score`), so that a sure-tier hit is carried by more than
/// one word of the sentence.
struct OneWordBar {
    weights: Arc<LinearModel>,
    min_score: f32,
}

/// The log-odds of a model's score, `ln(p / (1 - p))`, with `p` kept off
/// 0 and 1 (a score near 1 is rounded to 1 in `f32`).
fn log_odds(p: f32) -> f32 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

/// A model rule's rival ([`RuleDef::rival`](super::format::RuleDef)):
/// a hit's span scored by the rule's own weights and by another
/// category's; where the other's log-odds are higher by more than `margin`,
/// the span reads as the other category's (a van to be burnt is a threat
/// to property, not violence) and the hit is suppressed.
struct Rival {
    own: Arc<LinearModel>,
    other: Arc<LinearModel>,
    file: String,
    margin: f32,
    /// A hit whose span this matches keeps counting (`rival_except`).
    except: Option<WordRegex>,
    /// The sentence scorers ([`Scorers`]) of the own and the other weights,
    /// where both are read by model rules: the span scored from its stemmed
    /// words, as the model pass scores a sentence, not from its features.
    scorers: Option<(usize, usize)>,
}

/// A model rule's message bar ([`RuleDef::message_model`](super::format::RuleDef)):
/// the whole message's own words scored by a message model; under
/// `min_score`, the rule's hits do not count.
struct MessageBar {
    weights: Arc<LinearModel>,
    file: String,
    min_score: f32,
    /// Only where one of these is already flagged (`message_yields_to`).
    yields_to: Vec<Signal>,
    /// Only where the rule's category stands on model rules alone
    /// (`message_alone`).
    alone: bool,
    /// Only where a flagged category of `yields_to` has a message model
    /// that scores the message higher (`message_rival`).
    rival: bool,
    /// Not where a sentence of the sender's own words matches this
    /// (`message_except`).
    except: Option<WordRegex>,
    /// With `rival`: where a flagged category of `yields_to` stands on the
    /// sender's own phrase-rule hits (not a model rule's), the bar is this
    /// score and the rival is not asked (`message_phrase_min_score`).
    phrase_min_score: Option<f32>,
}

struct Guard {
    name: String,
    pattern: WordRegex,
    except: Option<WordRegex>,
    /// What the guard's pattern reads.
    scope: GuardScope,
    /// Must also match the paragraph holding the hit or the one before
    /// (`requires`).
    requires: Option<WordRegex>,
    /// Must not match the words after the hit's sentence, to the end of
    /// the next paragraph (`except_after`).
    except_after: Option<WordRegex>,
    /// Categories every rule of which has this guard (`categories`).
    categories: Vec<String>,
    /// A sentence guard that sets aside only what is inside the sentence's
    /// quotations (`inside_quotation`: [`CompiledRules::in_quotation`]).
    inside_quotation: bool,
    /// A sentence guard that sets aside only the report its pattern finds
    /// (`from_report`: [`CompiledRules::in_report`]).
    from_report: bool,
    /// With `inside_quotation` or `from_report`: a model hit is read again
    /// without someone else's words (`read_without`:
    /// [`CompiledRules::short_without`]).
    read_without: bool,
    /// A Subject-line guard (`subject`): it reads and sets aside only hits
    /// in the Subject line.
    subject: bool,
}

impl Guard {
    /// Whether the guard's `pattern` matches what its scope reads, and its
    /// `except` does not.
    fn holds(&self, read: &str) -> bool {
        self.pattern.is_match(read) && !self.except.as_ref().is_some_and(|x| x.is_match(read))
    }

    /// Whether the guard's conditions beyond its scope hold for a hit at
    /// `s..e`: `requires` matches the paragraph holding it or the one before,
    /// and `except_after` does not match the words after its sentence.
    fn conditions_met(&self, text: &str, s: usize, e: usize) -> bool {
        self.requires
            .as_ref()
            .is_none_or(|re| re.is_match(&text[sentence::paragraphs_around(text, s, e)]))
            && !self
                .except_after
                .as_ref()
                .is_some_and(|re| re.is_match(&text[sentence::after_sentence(text, s, e)]))
    }
}

/// What a guard's `pattern` and `except` read (rules/README.md, "Guards").
#[derive(Clone, Copy, PartialEq, Eq)]
enum GuardScope {
    /// The hit's sentence ([`sentence::guard_scope`]).
    Sentence,
    /// The words that introduce the quotation holding the hit
    /// ([`sentence::quotation_frame`]); only inside one (`quotation`).
    QuotationFrame,
    /// The words after the closing mark of the quotation holding the hit
    /// ([`sentence::quotation_tail`]); only inside one (`after_quotation`).
    QuotationTail,
    /// The words in or beside the hit that may be a link naming it
    /// ([`sentence::link_words`]), each on its own (`link`).
    Link,
    /// Each sentence of the sender's own words in the body (`message`):
    /// read once per message ([`CompiledRules::message_guards`]), never per
    /// hit.
    Message,
}

/// One word-list entry in the automaton.
struct WordPattern {
    rule: usize,
    runs: Vec<(char, usize)>,
    prefix: bool,
}

impl WordPattern {
    /// What the automaton looks for: the word's letters in the squeezed
    /// view, each run of one letter as one.
    fn text(&self) -> String {
        self.runs.iter().map(|&(c, _)| c).collect()
    }
}

pub struct CompiledRules {
    rules: Vec<Rule>,
    guards: Vec<Guard>,
    /// (rule index, regex) of every regex rule.
    regexes: Vec<(usize, WordRegex)>,
    /// Which of `regexes` can match a text at all.
    prefilter: Prefilter,
    /// Derived rules: (rule index, the signal they follow, sentence regex).
    derived: Vec<(usize, Signal, WordRegex)>,
    /// Model rules: (rule index, weights, the score a sentence needs,
    /// index into `scorers`).
    models: Vec<(usize, Arc<LinearModel>, f32, usize)>,
    /// Message model rules (`message = true`): (rule index, weights, the
    /// score the message needs, the weights made ready to score by number,
    /// made the first time a message is scored: most runs score some, a
    /// rule test or a short night may score none).
    message_models: Vec<(usize, Arc<LinearModel>, f32, OnceLock<MessageScorer>)>,
    /// The model rules with a message bar (`message_model`), by index.
    message_barred: Vec<usize>,
    /// One per distinct weights file (rules may share one, at two scores).
    scorers: Scorers,
    /// Per word the pre-filter finds ([`Prefilter::with_words`]: the word
    /// lists' words, each text once, the squeezed view's letters of a
    /// word, runs as one): the word patterns with that text.
    word_texts: Vec<Vec<usize>>,
    word_patterns: Vec<WordPattern>,
    allow: AhoCorasick,
    normalizer: Normalizer,
    thresholds: HashMap<Signal, f32>,
    sha256: String,
    /// The ids of the rules that name a message guard (`message = true`):
    /// only a message holding one of their hits is read again for it.
    message_guarded: std::collections::HashSet<String>,
}

/// A hit before it is sorted into counted or suppressed.
struct Found {
    rule: usize,
    start: usize,
    end: usize,
    /// The paragraph of the segment's normalised text holding the hit.
    paragraph: usize,
    suppressed_by: Option<String>,
}

impl CompiledRules {
    pub fn load(dir: &Path) -> Result<CompiledRules, ConfigErrors> {
        Loader::new(dir, true).load()
    }

    /// Everything but the model rules (their weights files are not read):
    /// what training the model needs, even when a weights file is missing
    /// or out of date.
    pub fn load_without_models(dir: &Path) -> Result<CompiledRules, ConfigErrors> {
        Loader::new(dir, false).load()
    }

    /// Every rule regex: guards and their exceptions, rules, `requires`.
    #[cfg(test)]
    pub fn word_regexes(&self) -> impl Iterator<Item = &WordRegex> {
        let guards = self.guards.iter().flat_map(|g| {
            std::iter::once(&g.pattern)
                .chain(&g.except)
                .chain(&g.requires)
                .chain(&g.except_after)
        });
        let rules = self.regexes.iter().map(|(_, re)| re);
        let derived = self.derived.iter().map(|(_, _, re)| re);
        let requires = self.rules.iter().filter_map(|r| r.requires.as_ref());
        guards.chain(rules).chain(derived).chain(requires)
    }

    /// Detect over the body text's segments and, when `subject` is given,
    /// the subject's own words (`subject.0[subject.1]`) as one more own
    /// segment of its own: scanned alone (its own sentence and paragraph) by
    /// every rule but the model rules without `subject = true`, its hits'
    /// offsets into the subject, their segment `Subject`.
    pub fn detect(
        &self,
        subject: Option<(&str, Range<usize>)>,
        text: &str,
        segments: &[Segment],
    ) -> Detection {
        let mut det = Detection::default();
        let mut own: HashMap<Signal, f32> = HashMap::new();
        let mut quoted: HashMap<Signal, f32> = HashMap::new();
        let mut counted: HashMap<(usize, bool), usize> = HashMap::new();
        // The own segments' texts as the model reads them, in order, with
        // their word spans: the message models' sentences
        // ([`Self::own_sentences`]).
        let mut own_texts: Vec<(String, OwnWords)> = Vec::new();
        let parts = subject.map(|(s, r)| (s, r, SegmentKind::Subject));
        let body = segments.iter().map(|s| (text, s.range.clone(), s.kind));
        for (source, range, kind) in parts.into_iter().chain(body) {
            let scores = match kind {
                SegmentKind::Own | SegmentKind::Subject => &mut own,
                SegmentKind::Quoted | SegmentKind::Forwarded => &mut quoted,
                SegmentKind::Signature | SegmentKind::Footer => continue,
            };
            let Some(slice) = source.get(range.clone()) else {
                continue;
            };
            let is_own = kind.is_own();
            // Every rule reads the subject but the model rules without
            // `subject = true` ([`Self::scan`]): a model trained on the
            // body's sentences alone leans on topic words in a headline
            // ("Teen dies of starvation after stepfather puts him
            // on a bus" in a newsletter reached tv.model_sure); rules/README.md,
            // *Sixteenth round (5 of 5)* and *Seventeenth round (1 of 2)*.
            let subject = kind == SegmentKind::Subject;
            let (found, model_text, words) = self.scan(slice, range.start, subject);
            if kind == SegmentKind::Own {
                own_texts.push((model_text, words));
            }
            for mut f in found {
                let rule = &self.rules[f.rule];
                if f.suppressed_by.is_none() {
                    let n = counted.entry((f.rule, is_own)).or_default();
                    if *n >= rule.max_hits {
                        f.suppressed_by = Some("max_hits".to_string());
                    }
                    *n += 1;
                }
                let hit = RuleHit {
                    rule_id: rule.id.clone(),
                    category: rule.category.clone(),
                    weight: rule.weight,
                    start: f.start,
                    end: f.end,
                    matched: source[f.start..f.end].to_string(),
                    segment: kind,
                };
                match f.suppressed_by {
                    Some(reason) => det.suppressed.push(SuppressedHit { hit, reason }),
                    None => {
                        *scores.entry(rule.signal).or_default() += rule.weight;
                        if is_own {
                            det.hits.push(hit);
                        }
                    }
                }
            }
        }
        self.message_guards(&own_texts, &mut own, &mut det);
        // The message's words and scores, shared by the message bar and the
        // message tier: each message model scores a message once.
        let mut scored = MessageScored::default();
        self.message_short(&own_texts, &mut own, &mut det, &mut scored);
        self.message_hits(
            text,
            segments,
            &own_texts,
            &mut own,
            &mut det,
            &mut scored,
            None,
        );
        let raised = self.of_flagged_hits(&mut own, &mut counted, &mut det);
        // A category that `of_flagged` gave its first or more evidence is
        // read again by its message tier (only its rules that have not hit):
        // the half it counted is evidence short of a flag, as any other.
        if !raised.is_empty() {
            self.message_hits(
                text,
                segments,
                &own_texts,
                &mut own,
                &mut det,
                &mut scored,
                Some(&raised),
            );
        }
        for (&signal, &score) in &own {
            let flagged = score >= self.threshold(signal);
            match signal {
                Signal::Content(c) => {
                    det.scores.insert(c, score);
                    if flagged {
                        det.categories.insert(c);
                    }
                }
                Signal::UrgentService => det.urgent_service = flagged,
            }
        }
        for (&signal, &score) in &quoted {
            if let Signal::Content(c) = signal {
                if score >= self.threshold(signal) {
                    det.quoted_categories.insert(c);
                }
            }
        }
        det
    }

    /// Message guards (`message = true`): a guard whose `pattern` matches a
    /// sentence of the sender's own words in the body ([`model::units`] of
    /// `own_texts`, as the model reads them, found from the scan's
    /// sentences and words: [`model::units_at_words`]) and whose `except` does not
    /// match that sentence sets aside every own hit of the rules that name
    /// it: the counted ones (their weight taken back) and the leans set
    /// aside for standing alone (`together`), so that the message tier does
    /// not partner them either. Runs before the message tier, which then
    /// finds no evidence to complete.
    fn message_guards(
        &self,
        own_texts: &[(String, OwnWords)],
        own: &mut HashMap<Signal, f32>,
        det: &mut Detection,
    ) {
        // Only a message holding a hit of a rule that names a message guard
        // is read again: most mail holds none, and costs nothing here.
        if self.message_guarded.is_empty() {
            return;
        }
        let names_one = |rule_id: &str| self.message_guarded.contains(rule_id);
        let lean = |s: &SuppressedHit| s.reason == "together" && s.hit.segment.is_own();
        if !(det.hits.iter().any(|h| names_one(&h.rule_id))
            || det
                .suppressed
                .iter()
                .any(|s| lean(s) && names_one(&s.hit.rule_id)))
        {
            return;
        }
        let units = own_units(own_texts);
        let mut holding = self
            .guards
            .iter()
            .enumerate()
            .filter(|(_, g)| g.scope == GuardScope::Message)
            .filter(|(_, g)| {
                (own_texts.iter().zip(&units))
                    .any(|((t, _), units)| units.iter().any(|u| g.holds(&t[u.clone()])))
            })
            .map(|(i, _)| i)
            .peekable();
        if holding.peek().is_none() {
            return;
        }
        let holding: Vec<usize> = holding.collect();
        let guard_of = |rule_id: &str| {
            let rule = self.rules.iter().find(|r| r.id == rule_id)?;
            let g = rule.unless.iter().find(|g| holding.contains(g))?;
            Some((rule.signal, self.guards[*g].name.clone()))
        };
        for s in &mut det.suppressed {
            if lean(s) {
                if let Some((_, name)) = guard_of(&s.hit.rule_id) {
                    s.reason = name;
                }
            }
        }
        let mut kept = Vec::with_capacity(det.hits.len());
        for hit in std::mem::take(&mut det.hits) {
            match guard_of(&hit.rule_id) {
                Some((signal, name)) => {
                    let left = own.entry(signal).or_default();
                    *left -= hit.weight;
                    if *left <= 0.0 {
                        own.remove(&signal);
                    }
                    det.suppressed.push(SuppressedHit { hit, reason: name });
                }
                None => kept.push(hit),
            }
        }
        det.hits = kept;
    }

    /// A model rule with a message bar (`message_model`,
    /// `message_min_score`): where the sender's own words of the whole
    /// message, read as one bag by the message model, score under the bar,
    /// the rule's counted hits are set aside (`message_short`). The sure
    /// tier reads one sentence; a sentence sure of violence in a message
    /// that is as a whole a threat to a van or to the sender's own life is
    /// that message's, not a threat to a person (rules/README.md,
    /// *Thirty-third round (detect76)*). With `message_alone`, only where
    /// the rule's category stands on model rules alone: a self-harm model
    /// tier reading despair into another sentence of a threat to someone
    /// else (detect80).
    ///
    /// The rules' bars run in rule order, each on what the earlier ones
    /// left: a violence hit set aside for the message's self-harm leaves
    /// no violence for a later self-harm bar to yield to, so two threats
    /// never set each other aside.
    fn message_short<'t>(
        &self,
        own_texts: &'t [(String, OwnWords)],
        own: &mut HashMap<Signal, f32>,
        det: &mut Detection,
        scored: &mut MessageScored<'t>,
    ) {
        if self.message_barred.is_empty() {
            return;
        }
        for &index in &self.message_barred {
            let rule = &self.rules[index];
            let Some(bar) = rule.message_bar.as_ref() else {
                continue;
            };
            let mut i = 0;
            while i < det.hits.len() {
                if det.hits[i].rule_id != rule.id {
                    i += 1;
                    continue;
                }
                // Only where another kind of threat is already flagged by the
                // message's own evidence, and the hit's words name no person
                // at risk (the rule's `rival_except`: "with you in it").
                let yields = bar.yields_to.is_empty()
                    || (bar.yields_to.iter())
                        .any(|&c| own.get(&c).copied().unwrap_or(0.0) >= self.threshold(c));
                let kept = rule
                    .rival
                    .as_ref()
                    .and_then(|r| r.except.as_ref())
                    .is_some_and(|re| re.is_match(&det.hits[i].matched.to_lowercase()));
                // With `message_alone`: every counted own hit of the category
                // is a model rule's.
                let alone = || {
                    (det.hits.iter())
                        .filter(|h| h.category == rule.category)
                        .all(|h| self.is_model_rule(&h.rule_id))
                };
                if !yields || kept || (bar.alone && !alone()) {
                    i += 1;
                    continue;
                }
                // Each message model scores the message once, whichever
                // rules ask (`scored`).
                let score = self.message_score(&bar.weights, own_texts, scored);
                // With `message_phrase_min_score`: a category it yields to
                // whose counted own hits of phrase rules (regex, word-list or
                // derived, not a model's reading) reach its threshold on
                // their own: the other threat is said in words the rules know
                // ("I know which door you use … nothing left to lose", "u
                // evict me n ur dead").
                let phrase = bar.phrase_min_score.filter(|_| {
                    (bar.yields_to.iter()).any(|&c| {
                        let said: f32 = (det.hits.iter())
                            .filter(|h| parse_signal(&h.category) == Ok(c))
                            .filter(|h| !self.is_model_rule(&h.rule_id))
                            .map(|h| h.weight)
                            .sum();
                        said >= self.threshold(c)
                    })
                });
                let min_score = phrase.unwrap_or(bar.min_score);
                if score >= min_score {
                    i += 1;
                    continue;
                }
                // With `message_rival`: a flagged category it yields to whose
                // message model reads the message as more its own.
                let mut rival = None;
                if bar.rival && phrase.is_none() {
                    for &c in &bar.yields_to {
                        if own.get(&c).copied().unwrap_or(0.0) < self.threshold(c) {
                            continue;
                        }
                        let models = self.message_models.iter();
                        for (r, weights, ..) in models.filter(|m| self.rules[m.0].signal == c) {
                            let other = self.message_score(weights, own_texts, scored);
                            if other > score && rival.is_none_or(|(_, s)| other > s) {
                                rival = Some((&self.rules[*r].id, other));
                            }
                        }
                    }
                    if rival.is_none() {
                        i += 1;
                        continue;
                    }
                }
                // With `message_except`: a sentence of the sender's own words
                // that keeps the bar off.
                if let Some(re) = &bar.except {
                    let held = (own_texts.iter().zip(own_units(own_texts)))
                        .any(|((t, _), units)| units.into_iter().any(|u| re.is_match(&t[u])));
                    if held {
                        i += 1;
                        continue;
                    }
                }
                let mut reason = format!(
                    "message_short: {} scores the message {score:.3}, under {min_score}",
                    bar.file
                );
                if phrase.is_some() {
                    reason += ", beside a threat said in a phrase rule's words";
                }
                if let Some((id, other)) = rival {
                    reason += &format!(", and {id}'s model {other:.3}");
                }
                let hit = det.hits.remove(i);
                *own.entry(rule.signal).or_default() -= rule.weight;
                det.suppressed.push(SuppressedHit { hit, reason });
            }
        }
    }

    /// Whether the rule of this id reads a model (a sentence or a message
    /// model rule).
    fn is_model_rule(&self, rule_id: &str) -> bool {
        let model = |r: usize| self.rules[r].id == rule_id;
        self.models.iter().any(|m| model(m.0)) || self.message_models.iter().any(|m| model(m.0))
    }

    /// The sender's own words of the whole message scored as one bag by
    /// `weights`: from the scan's numbered words by the scorer of the
    /// message model rule that reads the same file (built on first use; the
    /// score is the bag's to the bit), or, for a file no message model rule
    /// reads, from the bag itself ([`model::message_score`]). `scored`
    /// holds the message's words once for every score of the message, and
    /// each weights' score once it is made (the same weights, the same
    /// words: the same score).
    fn message_score<'t>(
        &self,
        weights: &Arc<LinearModel>,
        own_texts: &'t [(String, OwnWords)],
        scored: &mut MessageScored<'t>,
    ) -> f32 {
        if let Some(&(_, score)) = (scored.scores.iter()).find(|(w, _)| Arc::ptr_eq(w, weights)) {
            return score;
        }
        let score = self.message_score_of(weights, own_texts, &scored.words);
        scored.scores.push((weights.clone(), score));
        score
    }

    /// [`Self::message_score`], not yet made for `weights`.
    fn message_score_of<'t>(
        &self,
        weights: &Arc<LinearModel>,
        own_texts: &'t [(String, OwnWords)],
        words: &OnceCell<MessageWords<'t>>,
    ) -> f32 {
        thread_local! {
            /// The message scorer's scratch space, reused from message to
            /// message on each worker thread.
            static SCRATCH: RefCell<MessageScratch> = RefCell::default();
        }
        let Some((.., scorer)) = (self.message_models.iter()).find(|m| Arc::ptr_eq(&m.1, weights))
        else {
            let sentences: Vec<String> = (own_texts.iter())
                .flat_map(|(t, _)| model::units(t).into_iter().map(|u| t[u].to_string()))
                .collect();
            return model::message_score(weights, &sentences);
        };
        let words = message_words(own_texts, words);
        let scorer = scorer.get_or_init(|| MessageScorer::new(weights, &self.scorers));
        SCRATCH.with_borrow_mut(|scratch| scorer.message_score(words, scratch))
    }

    /// Message model rules (`message = true`): for each whose category the
    /// message holds counted own evidence of, short of a flag, the sender's
    /// own words of the whole message scored as one bag
    /// ([`model::message_bag`] of [`Self::own_sentences`]); reaching the
    /// rule's `min_score`, a hit over the own text (first own byte to
    /// last) that adds its weight. Once per rule; nothing is scored for a
    /// message without such evidence, so the tier costs nothing on most mail.
    /// A rule with `partner_min_score` also scores a message whose only
    /// evidence of the category is a lean set aside for standing alone
    /// (`together`): reaching that bar, the lean counts again and the
    /// message rule's weight with it. A rule with `alone = true` also
    /// scores a message holding no evidence of its category at all:
    /// reaching its `min_score`, it counts alone (rules/README.md,
    /// "Thirty-fifth round (detect87)").
    ///
    /// `own_texts`: the own segments' texts as [`Self::scan`] gave them,
    /// whose sentences ([`model::units`]) are [`Self::own_sentences`], each
    /// with its word spans (split once, by the scan). The
    /// message is scored by number ([`SentenceScorer::message_score`]), the
    /// same to the bit as the bag's score ([`model::message_score`]), its
    /// sentences split and stemmed once for all the rules that read it.
    ///
    /// `again`: the second reading, after [`Self::of_flagged_hits`], of
    /// only these categories' rules, and of those only the ones that have
    /// not hit.
    #[allow(clippy::too_many_arguments)]
    fn message_hits<'t>(
        &self,
        text: &str,
        segments: &[Segment],
        own_texts: &'t [(String, OwnWords)],
        own: &mut HashMap<Signal, f32>,
        det: &mut Detection,
        scored: &mut MessageScored<'t>,
        again: Option<&[Signal]>,
    ) {
        for (rule, weights, min_score, _) in &self.message_models {
            let r = &self.rules[*rule];
            if again.is_some_and(|again| {
                !again.contains(&r.signal) || det.hits.iter().any(|h| h.rule_id == r.id)
            }) {
                continue;
            }
            let have = own.get(&r.signal).copied().unwrap_or(0.0);
            if have >= self.threshold(r.signal) {
                continue;
            }
            // With `partner_min_score`: no counted evidence, but a lean of
            // the category set aside for standing alone (`together`).
            // Not where another kind of threat it yields to is already
            // flagged by the message's own counted evidence
            // (`partner_yields_to`).
            let yields = || {
                (r.partner_yields_to.iter())
                    .any(|&c| own.get(&c).copied().unwrap_or(0.0) >= self.threshold(c))
            };
            let lone = match r.partner_min_score {
                Some(bar) if have <= 0.0 && !yields() => (det.suppressed.iter())
                    .position(|s| {
                        s.reason == "together"
                            && s.hit.category == r.category
                            && s.hit.segment.is_own()
                    })
                    .map(|i| (i, bar)),
                _ => None,
            };
            // With `half_min_score`: a lower bar, for a half the rule's
            // `half_names` / `half_except` take as the category's own.
            // Not where the message's own counted evidence already flags a
            // category the partner yields to (`partner_yields_to`): there the
            // half is most often that threat's own words ("I'm telling you
            // now" beside a windscreen to be put through), so the full bar.
            let half = r.half_bar.as_ref().filter(|_| lone.is_none() && !yields());
            let bar = match lone {
                Some((_, bar)) => bar,
                None if have <= 0.0 && !r.alone => continue,
                // Alone: no half to complete, so the full bar.
                None if have <= 0.0 => *min_score,
                None => half.map_or(*min_score, |h| h.min_score.min(*min_score)),
            };
            // A message of fewer own sentences than the rule asks: the
            // sentence tiers read all of it already. Counted from the
            // words the score reads ([`MessageWords::units`]: as many as
            // [`own_units`] cuts), before the score, which such a message
            // need not be given (`ab.message_sure` would score every
            // message with no abuse evidence).
            if r.min_sentences > 1
                && message_words(own_texts, &scored.words).units() < r.min_sentences
            {
                continue;
            }
            let score = self.message_score(weights, own_texts, scored);
            if score < bar {
                continue;
            }
            // Under `min_score`, only where every counted own model hit of
            // the category is such a half.
            let refused = half.filter(|_| score < *min_score).and_then(|h| {
                (det.hits.iter())
                    .filter(|x| x.category == r.category && x.segment.is_own())
                    .filter(|x| self.is_model_rule(&x.rule_id))
                    .find_map(|x| h.refuses(&x.matched).map(|key| (key, x.rule_id.clone())))
            });
            let mine = segments.iter().filter(|s| s.kind == SegmentKind::Own);
            let start = mine.clone().map(|s| s.range.start).min().unwrap_or(0);
            let end = mine.map(|s| s.range.end).max().unwrap_or(0);
            let Some((start, end)) = trim_span(text, start, end) else {
                continue;
            };
            let hit = RuleHit {
                rule_id: r.id.clone(),
                category: r.category.clone(),
                weight: r.weight,
                start,
                end,
                matched: text[start..end].to_string(),
                segment: SegmentKind::Own,
            };
            if let Some((key, of)) = refused {
                let reason = format!(
                    "{key}: {of}'s words are not the half it completes (the message scores {score:.3}, under {min_score})"
                );
                if !(det.suppressed.iter()).any(|s| s.hit.rule_id == r.id && s.reason == reason) {
                    det.suppressed.push(SuppressedHit { hit, reason });
                }
                continue;
            }
            if let Some((i, _)) = lone {
                let lean = det.suppressed.remove(i).hit;
                *own.entry(r.signal).or_default() += lean.weight;
                det.hits.push(lean);
            }
            *own.entry(r.signal).or_default() += r.weight;
            det.hits.push(hit);
        }
    }

    /// For a message model rule: the message's score and the features that
    /// raised it, heaviest first. `None` for any other rule.
    pub fn message_evidence(
        &self,
        rule_id: &str,
        text: &str,
        segments: &[Segment],
    ) -> Option<(f32, Vec<(String, f32)>)> {
        let (_, weights, ..) = self
            .message_models
            .iter()
            .find(|(r, ..)| self.rules[*r].id == rule_id)?;
        let features = model::message_features(weights, &self.own_sentences(text, segments));
        Some((weights.score(&features), weights.contributions(&features)))
    }

    pub fn self_test(&self) -> Vec<ExampleFailure> {
        let mut out = Vec::new();
        for rule in &self.rules {
            let cases = rule.must_match.iter().map(|e| (e, true));
            let cases = cases.chain(rule.must_not_match.iter().map(|e| (e, false)));
            for ((example, line), should) in cases {
                let own = [Segment {
                    kind: SegmentKind::Own,
                    range: 0..example.len(),
                }];
                let det = self.detect(None, example, &own);
                let hit = det.hits.iter().any(|h| h.rule_id == rule.id);
                if hit != should {
                    out.push(ExampleFailure {
                        rule_id: rule.id.clone(),
                        file: rule.file.clone(),
                        line: *line,
                        example: example.clone(),
                        expected: if should {
                            "must match"
                        } else {
                            "must not match"
                        },
                    });
                }
            }
        }
        out
    }

    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The rules whose regex matches `text` (normalised, as a segment is
    /// searched) although the pre-filter screened it out: always none
    /// unless the pre-filter is wrong.
    #[cfg(test)]
    pub fn screened_out_matches(&self, text: &str) -> Vec<String> {
        let norm = self.normalizer.normalize(text, 0);
        let (mut scratch, mut may_match) = (Scratch::default(), Vec::new());
        self.prefilter
            .candidates(&norm.squeeze(), &mut scratch, &mut may_match);
        let ascii_words = ascii_words_only(&norm.text);
        (0..self.regexes.len())
            .filter(|i| !may_match.contains(i))
            .filter(|&i| self.regexes[i].1.for_text(ascii_words).is_match(&norm.text))
            .map(|i| self.rules[self.regexes[i].0].id.clone())
            .collect()
    }

    /// The model's screen against full scoring over every sentence of
    /// `text` (normalised, as a segment is scored), per weights file: how
    /// many sentences it left unscored, how many it saw, and every
    /// sentence where it differs from full scoring (a score that is not
    /// the full one to the bit, or a sentence left out that reaches a
    /// rule's `min_score`): always none unless the screen is wrong.
    #[cfg(test)]
    pub fn model_screen_errors(&self, text: &str) -> (usize, usize, Vec<String>) {
        let text = self.normalizer.normalize(text, 0).text;
        let (mut words, mut scratch) = (Vec::new(), ScoringScratch::default());
        let mut full = vec![0.0; self.scorers.len()];
        let mut screened = vec![None; self.scorers.len()];
        let (mut left_out, mut seen, mut errors) = (0, 0, Vec::new());
        // The walk detection makes (each word looked up once, for both
        // passes) gives the same units and scores as screening each unit
        // on its own: each sentence, then each two sentences read as one
        // (against the pair rules' floors).
        let mut walked = [Vec::new(), Vec::new()];
        let mut scores = vec![None; self.scorers.len()];
        (self.scorers).screened_sentences(
            &text,
            true,
            &mut scratch,
            &mut scores,
            |pair, unit, s| {
                walked[usize::from(pair)].push((unit, s.to_vec()));
            },
        );
        let pair_units = (model::sentence_pairs(&text).into_iter()).flat_map(|p| {
            model::windows(&text[p.clone()])
                .into_iter()
                .map(move |w| p.start + w.start..p.start + w.end)
        });
        for (pair, units) in [(false, model::units(&text)), (true, pair_units.collect())] {
            let walked = &walked[usize::from(pair)];
            if walked.len() != units.len() {
                errors.push(format!(
                    "{} units walked, {} split (pairs: {pair})",
                    walked.len(),
                    units.len()
                ));
            }
            for (i, unit) in units.into_iter().enumerate() {
                model::stems(&text[unit.clone()], &mut words);
                self.scorers.score(&words, &mut scratch, &mut full);
                (self.scorers).screened_as(pair, &words, &mut scratch, &mut screened);
                let bits =
                    |s: &[Option<f32>]| s.iter().map(|s| s.map(f32::to_bits)).collect::<Vec<_>>();
                if walked
                    .get(i)
                    .is_none_or(|(u, s)| *u != unit || bits(s) != bits(&screened))
                {
                    errors.push(format!("the walk differs at {unit:?}: {:?}", walked.get(i)));
                }
                for &(rule, _, min_score, scorer) in &self.models {
                    let wrong = match screened[scorer] {
                        Some(score) => score.to_bits() != full[scorer].to_bits(),
                        None => self.rules[rule].pairs == pair && full[scorer] >= min_score,
                    };
                    if wrong {
                        let (id, sentence) = (&self.rules[rule].id, &text[unit.clone()]);
                        errors.push(format!(
                            "{id}: {:?} against {} for {sentence:?}",
                            screened[scorer], full[scorer]
                        ));
                    }
                }
                if !pair {
                    seen += screened.len();
                    left_out += screened.iter().filter(|s| s.is_none()).count();
                }
            }
        }
        (left_out, seen, errors)
    }

    /// The regexes' pre-filter.
    #[cfg(test)]
    pub fn prefilter(&self) -> &Prefilter {
        &self.prefilter
    }

    /// The normaliser segments are read through.
    #[cfg(test)]
    pub fn normalizer(&self) -> &Normalizer {
        &self.normalizer
    }

    /// Every rule's examples, must match and must not match.
    #[cfg(test)]
    pub fn examples(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().flat_map(|rule| {
            let examples = rule.must_match.iter().chain(&rule.must_not_match);
            examples.map(|(example, _)| example.as_str())
        })
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Rule count per category name, for reports.
    pub fn count_by_category(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for r in &self.rules {
            *out.entry(r.category.clone()).or_default() += 1;
        }
        out
    }

    /// The one-line description of a rule, for explanations.
    pub fn description(&self, rule_id: &str) -> Option<&str> {
        let rule = self.rules.iter().find(|r| r.id == rule_id)?;
        Some(&rule.description)
    }

    /// Every rule, in load order, as an analyst sees it.
    pub fn rule_infos(&self) -> Vec<RuleInfo> {
        self.rules
            .iter()
            .map(|r| RuleInfo {
                id: r.id.clone(),
                category: r.category.clone(),
                weight: r.weight,
                description: r.description.clone(),
                file: r.file.clone(),
            })
            .collect()
    }

    /// The score at which a signal's category is flagged.
    pub fn threshold(&self, signal: Signal) -> f32 {
        self.thresholds.get(&signal).copied().unwrap_or(1.0)
    }

    /// Every rule hit in one segment, guards and allow-list applied;
    /// `subject`: the segment is the Subject line, which every rule reads
    /// but the model rules without `subject = true`. With the hits, the segment's text
    /// as the model reads it (normalised, names left unread: what
    /// [`Self::model_units`] makes of it before splitting), for the
    /// message models ([`Self::message_hits`]) to read without
    /// normalising the segment again, and that text's word spans
    /// ([`model::word_spans`]) and its sentences with their first words
    /// (empty where the model did not read it), which they and the message
    /// guards read without splitting it again.
    fn scan(&self, text: &str, base: usize, subject: bool) -> (Vec<Found>, String, OwnWords) {
        let (norm, squeezed) = self.normalizer.normalize_squeezed(text, base);
        let mut raw = self.regex_and_word_hits(&norm, &squeezed);
        // The words are split out once, for the names and the model: the
        // model's text differs from the normalised one only in the case of
        // ASCII letters, so its words lie where they do.
        // Room for a word every five bytes (council mail averages about six
        // with its space), so the spans are rarely copied as they grow.
        let mut words: Vec<(usize, usize)> = Vec::with_capacity(norm.text.len() / 5 + 1);
        words.extend(model::word_spans(&norm.text));
        let named = model::names_unread_in(text, base, &norm, &words);
        let model_text = named.as_deref().unwrap_or(&norm.text);
        let mut sentences = model::Sentences::default();
        if !subject {
            raw.extend(self.model_hits(model_text, &words, &mut sentences));
        } else if self.models.iter().any(|m| self.rules[m.0].subject) {
            let hits = self
                .model_hits(model_text, &words, &mut sentences)
                .into_iter();
            raw.extend(hits.filter(|&(rule, _, _)| self.rules[rule].subject));
        }
        raw.retain(|&(rule, s, e)| self.requirement_met(rule, &norm.text, s, e));
        dedupe(&mut raw);
        let allowed = self.allowed_ranges(&norm.text);
        // Paragraphs are told apart only where a `together` rule hit.
        let breaks: Vec<usize> = if raw.iter().any(|&(r, _, _)| self.rules[r].together) {
            memchr::memchr_iter(b'\n', norm.text.as_bytes()).collect()
        } else {
            Vec::new()
        };
        let mut found = Vec::with_capacity(raw.len());
        for (rule, s, e) in raw {
            let paragraph = breaks.partition_point(|&b| b < s);
            let suppressed_by = if allowed.iter().any(|a| a.0 < e && s < a.1) {
                Some("allow_list".to_string())
            } else {
                self.guard_against(rule, &norm.text, Some(model_text), s, e, subject)
                    .or_else(|| self.content_short(rule, &model_text[s..e]))
                    .or_else(|| self.one_word_short(rule, &model_text[s..e]))
                    .or_else(|| self.rival_higher(rule, &model_text[s..e]))
                    .or_else(|| self.quoted_short(rule, &norm.text, model_text, s, e))
            };
            let (start, end) = norm.original(s, e);
            found.extend(
                self.derived_from(rule, suppressed_by.as_deref(), &norm.text, s, e, subject)
                    .map(|(d, why)| Found {
                        rule: d,
                        start,
                        end,
                        paragraph,
                        suppressed_by: why,
                    }),
            );
            found.push(Found {
                rule,
                start,
                end,
                paragraph,
                suppressed_by,
            });
        }
        self.alone_apart(&mut found);
        (found, named.unwrap_or(norm.text), (words, sentences))
    }

    /// A hit of a `together` rule with no other counted hit of its category
    /// in its own paragraph or the one before or after it is suppressed
    /// (`together`): the half-weight discrimination lean counts with a group
    /// named or a second lean sentence beside it, not with one 1,000
    /// characters on in a news article (rules/README.md, *Seventeenth round*).
    fn alone_apart(&self, found: &mut [Found]) {
        // A together model hit whose own words its model's other tier
        // read: that tier's hit is the evidence, and this one counts
        // elsewhere or not at all (set aside first, so that it is no one's
        // other evidence either).
        let again: Vec<usize> = (0..found.len())
            .filter(|&i| self.rules[found[i].rule].together && found[i].suppressed_by.is_none())
            .filter(|&i| {
                let f = &found[i];
                found.iter().any(|g| {
                    g.rule != f.rule && g.suppressed_by.is_none() && self.same_reading(f, g)
                })
            })
            .collect();
        for i in again {
            found[i].suppressed_by = Some("together".to_string());
        }
        // No hit counted below reads the same words as a together hit
        // still counted: the pass above set that together hit aside.
        let alone: Vec<usize> = (0..found.len())
            .filter(|&i| self.rules[found[i].rule].together && found[i].suppressed_by.is_none())
            .filter(|&i| {
                let (f, signal) = (&found[i], self.rules[found[i].rule].signal);
                !found.iter().enumerate().any(|(j, g)| {
                    j != i
                        && g.suppressed_by.is_none()
                        && self.rules[g.rule].signal == signal
                        && g.paragraph.abs_diff(f.paragraph) <= 1
                        && !(self.rules[f.rule].together_not_with)
                            .iter()
                            .any(|(id, _)| id == "*" || *id == self.rules[g.rule].id)
                        && self.rules[f.rule].together_within.is_none_or(|within| {
                            g.start
                                .saturating_sub(f.end)
                                .max(f.start.saturating_sub(g.end))
                                <= within
                        })
                })
            })
            .collect();
        for i in alone {
            found[i].suppressed_by = Some("together".to_string());
        }
    }

    /// Two hits that are one piece of evidence: the same model (a tier
    /// of it) reading overlapping words. A lean model sentence that is
    /// `together` needs evidence beside it other than its own words scored
    /// again at another tier (`tv.model_lean` beside `tv.model` on the
    /// same sentence is one lean, not two; rules/README.md, *Twenty-third
    /// round (detect38)*).
    fn same_reading(&self, f: &Found, g: &Found) -> bool {
        let scorer = |rule: usize| self.models.iter().find(|m| m.0 == rule).map(|m| m.3);
        f.start < g.end
            && g.start < f.end
            && scorer(f.rule).is_some()
            && scorer(f.rule) == scorer(g.rule)
    }

    /// Derived rules that a counted hit of `rule` at `s..e` sets off: those
    /// following its signal whose sentence regex matches the hit's sentence
    /// (as its guards read it: [`sentence::guard_scope`])
    /// (e.g. a hate remark in a sentence aimed at staff is also abuse).
    /// A full-weight derived rule follows only full-weight hits: a
    /// half-weight clue (a group named neutrally) is not a hate remark on
    /// its own. A half-weight derived rule follows half-weight hits too, its
    /// own evidence half as strong. A rule with `when_suppressed_by` follows
    /// instead the hits that one of those guards suppressed (`suppressed_by`).
    /// A derived rule with `requires` follows only hits whose paragraph, or
    /// the one before it, also meets that condition (a hate remark about
    /// "her" after "your warden" is aimed at staff).
    fn derived_from<'s>(
        &'s self,
        rule: usize,
        suppressed_by: Option<&'s str>,
        text: &'s str,
        s: usize,
        e: usize,
        in_subject: bool,
    ) -> impl Iterator<Item = (usize, Option<String>)> + 's {
        let base = &self.rules[rule];
        let strong = base.weight >= 1.0;
        self.derived
            .iter()
            .filter(move |&&(d, of, _)| {
                let follower = &self.rules[d];
                let follows = match suppressed_by {
                    None => follower.when_suppressed_by.is_empty(),
                    Some(why) => follower
                        .when_suppressed_by
                        .iter()
                        // A reason with a score after the guard's name
                        // ([`Self::quoted_short`]) is still that guard's.
                        .any(|&g| why.split(':').next() == Some(self.guards[g].name.as_str())),
                };
                of == base.signal
                    && follows
                    && (strong || follower.weight < 1.0 || follower.of_flagged)
            })
            .filter(move |(_, _, condition)| {
                condition.is_match(&text[sentence::guard_scope(text, s, e)])
            })
            .filter(move |&&(d, _, _)| self.requirement_met(d, text, s, e))
            .map(move |&(d, _, _)| {
                let why = self.guard_against(d, text, None, s, e, in_subject);
                // A full-weight follower of a half-weight hit (`of_flagged`)
                // waits for its category's flag: `Self::of_flagged_hits`.
                let waits = !strong && self.rules[d].weight >= 1.0;
                (d, why.or_else(|| waits.then(|| OF_NOT_FLAGGED.to_string())))
            })
    }

    /// The hits of `of_flagged` rules set aside as `OF_NOT_FLAGGED` (each
    /// following a half-weight hit of its `of` category) count, at half the
    /// rule's weight, where that category is flagged in the sender's own
    /// words, up to the rule's `max_hits`: a hate remark made of half-weight
    /// clues (a lean sentence and a coded phrase) is a remark, and its clue
    /// about a member of staff is aimed with it (SPEC §4), half as strong as
    /// a full-weight remark's. Where the category is not flagged, the
    /// half-weight clue is no remark and the hit stays set aside. Run after
    /// the message tiers: the `of` category's flag may be its tier's; the
    /// category the hit counts for is then read by its own tier again.
    ///
    /// Returns the categories it counted a hit of, for their message tier
    /// to read again (rules/README.md, "Thirty-fourth round (detect83)").
    fn of_flagged_hits(
        &self,
        own: &mut HashMap<Signal, f32>,
        counted: &mut HashMap<(usize, bool), usize>,
        det: &mut Detection,
    ) -> Vec<Signal> {
        let mut raised = Vec::new();
        let mut i = 0;
        while i < det.suppressed.len() {
            let s = &det.suppressed[i];
            let rule = (s.reason == OF_NOT_FLAGGED && s.hit.segment.is_own())
                .then(|| self.rules.iter().position(|r| r.id == s.hit.rule_id))
                .flatten();
            let Some(rule) = rule else {
                i += 1;
                continue;
            };
            let of = self.derived.iter().find(|d| d.0 == rule).map(|d| d.1);
            let flagged =
                of.is_some_and(|of| own.get(&of).copied().unwrap_or(0.0) >= self.threshold(of));
            if !flagged {
                i += 1;
                continue;
            }
            let n = counted.entry((rule, true)).or_default();
            if *n >= self.rules[rule].max_hits {
                det.suppressed[i].reason = "max_hits".to_string();
                i += 1;
                continue;
            }
            *n += 1;
            // Half as strong as when it follows a full-weight hit: the clue
            // is one of the remark's halves, so the aim completes other
            // abuse evidence (the remark said to the reader, a sentence
            // the model reads) and never flags alone.
            let mut hit = det.suppressed.remove(i).hit;
            hit.weight = self.rules[rule].weight / 2.0;
            let signal = self.rules[rule].signal;
            *own.entry(signal).or_default() += hit.weight;
            det.hits.push(hit);
            if !raised.contains(&signal) {
                raised.push(signal);
            }
        }
        raised
    }

    /// Regex rules on the normalised view: each regex the literal
    /// pre-filter lets through runs on its own. (A combined `RegexSet`
    /// pre-filter was tried and, with ~140 rules of long alternations, its
    /// lazy DFA thrashed and made detection 3x slower.) Then the word-list
    /// rules, whose words the pre-filter's walk finds on the squeezed view
    /// ([`CompiledRules::word_hit`]).
    fn regex_and_word_hits(
        &self,
        norm: &Normalized,
        squeezed: &Squeezed,
    ) -> Vec<(usize, usize, usize)> {
        thread_local! {
            /// The pre-filter's scratch space and its list of regexes,
            /// reused from segment to segment on each worker thread.
            static SCRATCH: RefCell<(Scratch, Vec<usize>)> = RefCell::default();
        }
        let text = &norm.text;
        let (mut out, mut words) = (Vec::new(), Vec::new());
        let ascii_words = ascii_words_only(text);
        SCRATCH.with_borrow_mut(|(scratch, may_match)| {
            let word =
                |start, end, word| self.word_hit(norm, squeezed, start, end, word, &mut words);
            (self.prefilter).candidates_and_words(squeezed, scratch, may_match, word);
            for (rule, re) in may_match.iter().map(|&i| &self.regexes[i]) {
                for m in re.for_text(ascii_words).find_iter(text) {
                    if let Some((s, e)) = trim_span(text, m.start(), m.end()) {
                        out.push((*rule, s, e));
                    }
                }
            }
        });
        out.extend(words);
        out
    }

    /// Word-list rules: the word `word` ([`Prefilter::with_words`]) found
    /// at `start..end` of the squeezed view, then run lengths and word
    /// edges checked on the normalised view, into `out`. (The finds' order
    /// at one end differs from the `aho-corasick` crate's, which found them
    /// before, and nothing depends on it: `dedupe` sorts the hits.)
    fn word_hit(
        &self,
        norm: &Normalized,
        squeezed: &Squeezed,
        start: usize,
        end: usize,
        word: usize,
        out: &mut Vec<(usize, usize, usize)>,
    ) {
        for &wp in &self.word_texts[word] {
            let wp = &self.word_patterns[wp];
            let (s, e) = squeezed.normalized(start, end);
            if lists::is_word_edge(&norm.text, s, e, wp.prefix)
                && lists::runs_fit(&wp.runs, &norm.text[s..e])
            {
                out.push((wp.rule, s, e));
            }
        }
    }

    /// The word-list rules' hits alone ([`CompiledRules::word_hit`]).
    #[cfg(test)]
    fn word_hits(&self, norm: &Normalized, squeezed: &Squeezed) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        let (mut scratch, mut may_match) = (Scratch::default(), Vec::new());
        let word = |start, end, word| self.word_hit(norm, squeezed, start, end, word, &mut out);
        (self.prefilter).candidates_and_words(squeezed, &mut scratch, &mut may_match, word);
        out
    }

    /// [`CompiledRules::word_hits`] against the `aho-corasick` crate's
    /// overlapping search over the same words, as they were found before,
    /// on each of `texts` (normalised as a segment is): the texts where the
    /// hits differ as sets (always none), and how many hits there were.
    #[cfg(test)]
    pub fn word_hits_against_crate(&self, texts: &[String]) -> (Vec<String>, usize) {
        let crate_words = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(self.word_patterns.iter().map(|w| w.text()))
            .unwrap();
        let (mut differ, mut hits) = (Vec::new(), 0);
        for text in texts {
            let (norm, squeezed) = self.normalizer.normalize_squeezed(text, 0);
            let mut ours = self.word_hits(&norm, &squeezed);
            let mut theirs = Vec::new();
            for m in crate_words.find_overlapping_iter(&squeezed.text) {
                let wp = &self.word_patterns[m.pattern().as_usize()];
                let (s, e) = squeezed.normalized(m.start(), m.end());
                if lists::is_word_edge(&norm.text, s, e, wp.prefix)
                    && lists::runs_fit(&wp.runs, &norm.text[s..e])
                {
                    theirs.push((wp.rule, s, e));
                }
            }
            ours.sort_unstable();
            theirs.sort_unstable();
            hits += ours.len();
            if ours != theirs {
                differ.push(text.clone());
            }
        }
        (differ, hits)
    }

    /// Model rules: every sentence (or, for `sentences = 2`, every two
    /// adjacent sentences of a paragraph) whose score reaches the rule's
    /// `min_score` is a hit spanning it. `words`: the word spans of `text`;
    /// into `keep`, the sentences and where each starts among them
    /// ([`Scorers::screened_words`]).
    fn model_hits(
        &self,
        text: &str,
        words: &[(usize, usize)],
        keep: &mut model::Sentences,
    ) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        if self.models.is_empty() {
            return out;
        }
        thread_local! {
            /// The model's scratch space, reused from segment to segment on
            /// each worker thread: fresh for each, its buffers grew from
            /// nothing every time (a few `realloc`s per buffer a segment).
            static SCRATCH: RefCell<ScoringScratch> = RefCell::default();
        }
        let mut scores = vec![None; self.scorers.len()];
        // `None`: the sentence cannot reach any rule's `min_score`.
        let hits = |pairs: bool,
                    unit: std::ops::Range<usize>,
                    scores: &[Option<f32>],
                    out: &mut Vec<_>| {
            for &(rule, _, min_score, scorer) in &self.models {
                if self.rules[rule].pairs == pairs
                    && scores[scorer].is_some_and(|score| score >= min_score)
                {
                    out.push((rule, unit.start, unit.end));
                }
            }
        };
        let pairs = self.models.iter().any(|m| self.rules[m.0].pairs);
        SCRATCH.with_borrow_mut(|scratch| {
            (self.scorers).screened_words(
                text,
                words,
                pairs,
                scratch,
                &mut scores,
                keep,
                |pair, unit, scores| hits(pair, unit, scores, &mut out),
            )
        });
        out
    }

    /// For a model rule's hit: the sentence's score and the features that
    /// raised it, heaviest first. `None` for any other rule.
    pub fn model_evidence(
        &self,
        rule_id: &str,
        matched: &str,
    ) -> Option<(f32, Vec<(String, f32)>)> {
        let (_, weights, _, _) = self
            .models
            .iter()
            .find(|(r, ..)| self.rules[*r].id == rule_id)?;
        let norm = self.normalizer.normalize(matched, 0);
        let text = model::names_unread(matched, 0, &norm).unwrap_or(norm.text);
        let features = weights.features(&text);
        Some((weights.score(&features), weights.contributions(&features)))
    }

    /// The sender's own sentences as the model reads them: normalised,
    /// quoted, forwarded, signature and footer text left out, long sentences
    /// cut into the model's windows.
    pub fn own_sentences(&self, text: &str, segments: &[Segment]) -> Vec<String> {
        let mut out = Vec::new();
        for seg in segments.iter().filter(|s| s.kind == SegmentKind::Own) {
            if let Some(slice) = text.get(seg.range.clone()) {
                out.extend(self.model_units(slice, seg.range.start));
            }
        }
        out
    }

    /// The Subject line's sentences as a model rule with `subject = true`
    /// reads them (none when the subject is not the sender's own words).
    pub fn subject_sentences(&self, subject: &str) -> Vec<String> {
        crate::parse::subject::own_range(subject)
            .and_then(|r| Some(self.model_units(subject.get(r.clone())?, r.start)))
            .unwrap_or_default()
    }

    /// One own segment's sentences as the model reads them.
    fn model_units(&self, slice: &str, base: usize) -> Vec<String> {
        let norm = self.normalizer.normalize(slice, base);
        let text = model::names_unread(slice, base, &norm).unwrap_or(norm.text);
        let units = model::units(&text);
        units.into_iter().map(|u| text[u].to_string()).collect()
    }

    fn allowed_ranges(&self, text: &str) -> Vec<(usize, usize)> {
        self.allow
            .find_iter(text)
            .filter(|m| lists::is_word_edge(text, m.start(), m.end(), false))
            .map(|m| (m.start(), m.end()))
            .collect()
    }

    /// Whether the paragraph holding the hit at `s..e`, or the one before
    /// it, meets the rule's `requires` condition (always, for a rule
    /// without one).
    fn requirement_met(&self, rule: usize, text: &str, s: usize, e: usize) -> bool {
        self.rules[rule]
            .requires
            .as_ref()
            .is_none_or(|re| re.is_match(&text[sentence::paragraphs_around(text, s, e)]))
    }

    /// For a model rule with a second bar ([`ContentBar`]): why its hit on
    /// `sentence` does not count, when the sentence's score without function
    /// words alone is under the bar.
    fn content_short(&self, rule: usize, sentence: &str) -> Option<String> {
        let bar = self.rules[rule].content.as_ref()?;
        let features = bar.weights.features(sentence);
        let score = bar.weights.content_score(&features, &bar.function_words);
        (score < bar.min_score).then(|| {
            format!(
                "function_words: {score:.3} without them, content_min_score {}",
                bar.min_score
            )
        })
    }

    /// For a model rule with a [`OneWordBar`]: why its hit on `sentence`
    /// does not count, when the sentence's score with its strongest word
    /// left out is under the bar.
    fn one_word_short(&self, rule: usize, sentence: &str) -> Option<String> {
        let bar = self.rules[rule].one_word.as_ref()?;
        let (score, word) = bar.weights.strongest_word_left_out(sentence);
        (score < bar.min_score).then(|| {
            format!(
                "one_word: {score:.3} without \"{word}\", one_word_min_score {}",
                bar.min_score
            )
        })
    }

    /// For a model rule with a [`Rival`]: why its hit on `sentence` does not
    /// count, when the rival model scores the sentence higher than the
    /// rule's own by more than the margin.
    fn rival_higher(&self, rule: usize, sentence: &str) -> Option<String> {
        let rival = self.rules[rule].rival.as_ref()?;
        if rival
            .except
            .as_ref()
            .is_some_and(|re| re.is_match(sentence))
        {
            return None;
        }
        let (own, other) = match rival.scorers {
            Some((own, other)) => {
                thread_local! {
                    /// The span's stemmed words and their numbers, reused.
                    static NUMBERS: RefCell<Vec<[Option<model::Token>; 3]>> = RefCell::default();
                }
                let mut words = Vec::new();
                model::stems(sentence, &mut words);
                NUMBERS.with_borrow_mut(|numbers| {
                    let own = self.scorers.score_one(own, &words, numbers);
                    (own, self.scorers.score_one(other, &words, numbers))
                })
            }
            None => {
                let own = rival.own.score(&rival.own.features(sentence));
                (own, rival.other.score(&rival.other.features(sentence)))
            }
        };
        (log_odds(other) > log_odds(own) + rival.margin)
            .then(|| format!("rival: {} scores it {other:.3}, over {own:.3}", rival.file))
    }

    /// For a model rule: why its hit on the sentence at `s..e` does not
    /// count, when the sentence holds someone else's quotation (one of the
    /// rule's quotation guards, such as `others_quoted`, holds for its
    /// introduction) and the sentence read without the quoted words is
    /// under the rule's `min_score`. A GP's "he told me that \"if they don't
    /// move me I'll end it\"" scores as the patient's words; a hit inside
    /// the quotation is that guard's already, and the model's hit, the whole
    /// sentence, is judged the same way (rules/README.md, "Twenty-eighth
    /// round (lead)"). The reason starts with the guard's name, so rules
    /// that follow that guard's suppressions (`when_suppressed_by`) follow it.
    fn quoted_short(
        &self,
        rule: usize,
        text: &str,
        model_text: &str,
        s: usize,
        e: usize,
    ) -> Option<String> {
        if model_text.len() != text.len() || !text[s..e].contains('"') {
            return None;
        }
        let (_, weights, min_score, _) = self.models.iter().find(|m| m.0 == rule)?;
        let mut guard = None;
        let mut read = String::with_capacity(e - s);
        let mut at = s;
        for (open, words) in sentence::quotations(text, s, e) {
            let frame = sentence::quotation_frame(text, open)?;
            let theirs = self.rules[rule]
                .unless
                .iter()
                .map(|&g| &self.guards[g])
                .find(|g| {
                    g.scope == GuardScope::QuotationFrame
                        && g.holds(&text[frame.clone()])
                        && g.conditions_met(text, s, e)
                });
            if let Some(g) = theirs {
                read.push_str(&model_text[at..words.start]);
                read.push(' ');
                at = words.end.min(e);
                guard.get_or_insert(g.name.as_str());
            }
        }
        let guard = guard?;
        read.push_str(&model_text[at..e]);
        let score = weights.score(&weights.features(&read));
        (score < *min_score)
            .then(|| format!("{guard}: {score:.3} without the quoted words, min_score {min_score}"))
    }

    /// The name of the first of the rule's guards that matches the
    /// sentence holding the hit (in a sentence longer than the model's
    /// window, the window around the hit: [`sentence::guard_scope`]).
    /// `model_text`: the segment's text as the model reads it, for a model
    /// hit's sentence read again without someone else's words
    /// ([`Self::in_quotation`], [`Self::in_report`]); `None` for a derived
    /// rule, which is never a model rule.
    fn guard_against(
        &self,
        rule: usize,
        text: &str,
        model_text: Option<&str>,
        s: usize,
        e: usize,
        in_subject: bool,
    ) -> Option<String> {
        let unless = &self.rules[rule].unless;
        if unless.is_empty() {
            return None;
        }
        let scope = sentence::guard_scope(text, s, e);
        let sentence = &text[scope.clone()];
        let (frame, tail, links) = (OnceCell::new(), OnceCell::new(), OnceCell::new());
        let guards = unless.iter().map(|&g| &self.guards[g]);
        // A Subject-line guard reads only the subject's hits.
        guards.filter(|g| !g.subject || in_subject).find_map(|g| {
            let within = |r: &Option<std::ops::Range<usize>>| {
                r.as_ref().is_some_and(|r| g.holds(&text[r.clone()]))
            };
            let applies = match g.scope {
                GuardScope::Sentence => g.holds(sentence),
                GuardScope::QuotationFrame => {
                    within(frame.get_or_init(|| sentence::quotation_frame(text, s)))
                }
                GuardScope::QuotationTail => {
                    within(tail.get_or_init(|| sentence::quotation_tail(text, s)))
                }
                GuardScope::Link => links
                    .get_or_init(|| sentence::link_words(text, s, e))
                    .iter()
                    .any(|r| g.holds(&text[r.clone()])),
                GuardScope::Message => false,
            };
            if !(applies && g.conditions_met(text, s, e)) {
                return None;
            }
            let set_aside = if g.inside_quotation {
                self.in_quotation(g, rule, text, model_text, s, e, scope.clone())
            } else if g.from_report {
                self.in_report(g, rule, text, model_text, s, e, scope.clone())
            } else {
                true
            };
            set_aside.then(|| g.name.clone())
        })
    }

    /// For a model hit at `s..e` in the sentence `scope` that a guard
    /// narrowed to someone else's words holds for: whether the hit is set
    /// aside, the hit's words read again by its model without `theirs`
    /// (byte ranges of `text`): set aside when what is left scores under
    /// the rule's `min_score`, or when nothing is left to read. `None` for
    /// a rule that is not a model rule (or a text the model did not read
    /// as it is): the caller decides.
    fn short_without(
        &self,
        rule: usize,
        model_text: Option<&str>,
        text: &str,
        s: usize,
        e: usize,
        theirs: &[std::ops::Range<usize>],
    ) -> Option<bool> {
        let (_, weights, min_score, _) = self.models.iter().find(|m| m.0 == rule)?;
        let Some(model_text) = model_text.filter(|t| t.len() == text.len()) else {
            return Some(true);
        };
        let mut read = String::with_capacity(e - s);
        let mut at = s;
        let mut ranges: Vec<_> = theirs
            .iter()
            .filter(|r| r.start < e && s < r.end)
            .cloned()
            .collect();
        ranges.sort_by_key(|r| r.start);
        for r in ranges {
            if r.start > at {
                read.push_str(&model_text[at..r.start]);
                read.push(' ');
            }
            at = at.max(r.end);
        }
        if at < e {
            read.push_str(&model_text[at..e]);
        }
        if !read.chars().any(char::is_alphanumeric) {
            return Some(true);
        }
        Some(weights.score(&weights.features(&read)) < *min_score)
    }

    /// For a guard with `inside_quotation` that holds for the sentence
    /// `scope` of a hit at `s..e`: whether the hit is set aside. A rule hit
    /// is when its words overlap one of the sentence's quotations
    /// ([`sentence::quoted_words`]: "…" or '…'), not when it lies outside
    /// them: the sender's own threat beside someone else's quotation ("he
    /// said \"you'll pay\" and I swear I'll smash his face in") counts. A
    /// model hit (the whole sentence) is set aside whole, or, with
    /// `read_without`, when the sentence read
    /// without its quotations scores under the rule's `min_score`: the
    /// sender's own "you sat there like a stuffed walrus" before "and told
    /// me \"the council is doing its best\"" counts (rules/README.md,
    /// "Thirty-fourth round (detect83)"). A hit in a sentence with no
    /// quotation that closes is set aside, as by a plain sentence guard
    /// (rules/README.md, "Twenty-ninth round (detect57)").
    #[allow(clippy::too_many_arguments)]
    fn in_quotation(
        &self,
        g: &Guard,
        rule: usize,
        text: &str,
        model_text: Option<&str>,
        s: usize,
        e: usize,
        scope: std::ops::Range<usize>,
    ) -> bool {
        let quoted = sentence::quoted_words(text, scope.start, scope.end);
        if quoted.is_empty() {
            return true;
        }
        self.set_aside_for_theirs(g, rule, text, model_text, s, e, &quoted)
    }

    /// For a guard with `from_report` that holds for the sentence `scope`
    /// of a hit at `s..e`: whether the hit is set aside. The report runs
    /// from the pattern's first match in the sentence to the sentence's
    /// end (the reporting words and what they report); a rule hit is set
    /// aside when it reaches into it or a quotation, a model hit whole or,
    /// with `read_without`, when the sentence read without them scores
    /// under the rule's `min_score` (the sender's own
    /// "your officer is a liar" before "he told me on the phone …"
    /// counts). A match with fewer than three words after it ("…, he
    /// said.") reports what came before it: the sentence is set aside.
    #[allow(clippy::too_many_arguments)]
    fn in_report(
        &self,
        g: &Guard,
        rule: usize,
        text: &str,
        model_text: Option<&str>,
        s: usize,
        e: usize,
        scope: std::ops::Range<usize>,
    ) -> bool {
        let Some(found) = g.pattern.find(&text[scope.clone()]) else {
            return true;
        };
        let (from, matched_end) = (scope.start + found.start, scope.start + found.end);
        if model::word_spans(&text[matched_end..scope.end]).count() < 3 {
            return true;
        }
        // Someone else's words are the report and any quotation in the
        // sentence ("he's shoutin \"…\" and last week he said he'd …").
        let mut theirs = sentence::quoted_words(text, scope.start, scope.end);
        theirs.push(from..scope.end);
        self.set_aside_for_theirs(g, rule, text, model_text, s, e, &theirs)
    }

    /// Whether a hit at `s..e` is set aside for someone else's words at
    /// `theirs` in its sentence (a quotation, a report): a model hit (the
    /// whole sentence) always, or with `read_without` when the sentence
    /// read without them is short of the rule's bar
    /// ([`Self::short_without`]); any other hit where it reaches into them.
    #[allow(clippy::too_many_arguments)]
    fn set_aside_for_theirs(
        &self,
        g: &Guard,
        rule: usize,
        text: &str,
        model_text: Option<&str>,
        s: usize,
        e: usize,
        theirs: &[std::ops::Range<usize>],
    ) -> bool {
        if self.models.iter().any(|m| m.0 == rule) && !g.read_without {
            return true;
        }
        match self.short_without(rule, model_text, text, s, e, theirs) {
            Some(short) => short,
            None => theirs.iter().any(|r| r.start < e && s < r.end),
        }
    }
}

/// Drop a match's leading/trailing whitespace; `None` if nothing is left.
/// An own segment's words as [`CompiledRules::scan`] found them, for the
/// message models ([`MessageWords::push_units`]): the word spans of the
/// model's text, and where its sentences start among them (empty where the
/// model did not read the segment).
type OwnWords = (Vec<(usize, usize)>, model::Sentences);

/// Each own text's units (its sentences, long ones cut into the model's
/// windows), from the sentences and words the scan found
/// ([`model::units_at_words`]: the same ranges as [`model::units`], without
/// splitting the text again).
fn own_units(own_texts: &[(String, OwnWords)]) -> Vec<Vec<std::ops::Range<usize>>> {
    (own_texts.iter())
        .map(|(t, (spans, sentences))| {
            let mut units = Vec::new();
            model::units_at_words(t, spans, sentences, &mut units);
            units
        })
        .collect()
}

/// The message's own words as the message models read them, made on first
/// use ([`MessageWords::push_units`] of each own text).
fn message_words<'w, 't>(
    own_texts: &'t [(String, OwnWords)],
    words: &'w OnceCell<MessageWords<'t>>,
) -> &'w MessageWords<'t> {
    words.get_or_init(|| {
        let mut words = MessageWords::default();
        for (text, (spans, sentences)) in own_texts {
            words.push_units(text, spans, &sentences.firsts, &sentences.places);
        }
        words
    })
}

/// A message's own words as the message models read them (made on first
/// use) and the scores made of them so far, per weights: shared by the
/// message bar ([`CompiledRules::message_short`]) and the message tier
/// ([`CompiledRules::message_hits`]), so that no message model scores a
/// message twice.
#[derive(Default)]
struct MessageScored<'t> {
    words: OnceCell<MessageWords<'t>>,
    scores: Vec<(Arc<LinearModel>, f32)>,
}

fn trim_span(text: &str, s: usize, e: usize) -> Option<(usize, usize)> {
    let m = &text[s..e];
    let lead = m.len() - m.trim_start().len();
    let trail = m.len() - m.trim_end().len();
    (lead + trail < m.len()).then_some((s + lead, e - trail))
}

/// Keep, per rule, the longest of overlapping hits.
fn dedupe(hits: &mut Vec<(usize, usize, usize)>) {
    hits.sort_by(|a, b| (a.0, a.1, b.2).cmp(&(b.0, b.1, a.2)));
    let mut last: Option<(usize, usize)> = None;
    hits.retain(|&(rule, s, e)| {
        if matches!(last, Some((r, end)) if r == rule && s < end) {
            return false;
        }
        last = Some((rule, e));
        true
    });
    hits.sort_by_key(|h| (h.1, h.2, h.0));
}

/// What the pre-filter finds for the word lists' rules
/// ([`Prefilter::with_words`]): each distinct text of `patterns` once, and
/// per text the patterns with it. (A list word is never empty:
/// `lists::parse` leaves out an empty line.)
fn word_texts(patterns: &[WordPattern]) -> (Vec<String>, Vec<Vec<usize>>) {
    let (mut texts, mut of) = (Vec::new(), Vec::<Vec<usize>>::new());
    let mut ids: HashMap<String, usize> = HashMap::new();
    for (i, pattern) in patterns.iter().enumerate() {
        let id = *ids.entry(pattern.text()).or_insert_with_key(|text| {
            texts.push(text.clone());
            of.push(Vec::new());
            texts.len() - 1
        });
        of[id].push(i);
    }
    (texts, of)
}

/// Checks [`WordRegex::with_lists`] on every pattern of the rule files in
/// `dir`: where the lists' trees are spliced into a pattern's, the tree is
/// the one parsing the whole pattern gives, and so is the ASCII form built
/// from the template on first use. Returns the patterns and those
/// parsed whole instead.
#[cfg(test)]
pub(crate) fn check_splices(dir: &Path) -> (usize, Vec<String>) {
    let mut loader = Loader::new(dir, false);
    let files = loader.read_rule_files();
    let patterns = loader.templates(&files);
    let trees = loader.list_trees(&patterns);
    let mut parsed_whole = Vec::new();
    for (source, template, names) in &patterns {
        let lists: Vec<&ListTree> = names.iter().map(|name| &trees[name.as_str()]).collect();
        match word_regex::splice(template, &lists) {
            Some(hir) => {
                assert!(
                    hir == regex_syntax::parse(source).unwrap(),
                    "the spliced tree differs: {template}"
                );
                assert!(
                    word_regex::check_ascii_splice(source, template, &lists),
                    "no ASCII form from the template: {template}"
                );
            }
            None => parsed_whole.push(template.clone()),
        }
    }
    (patterns.len(), parsed_whole)
}

/// A stretch of a pattern as written: text, or a `{{lists/x.txt}}` splice
/// (the list's name, trimmed).
enum Piece<'a> {
    Text(&'a str),
    List(&'a str),
}

/// `pat` cut into its text and its splices (an unclosed `{{` is text).
fn pieces(pat: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = pat;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open..].find("}}") else {
            break;
        };
        out.push(Piece::Text(&rest[..open]));
        out.push(Piece::List(rest[open + 2..open + close].trim()));
        rest = &rest[open + close + 2..];
    }
    out.push(Piece::Text(rest));
    out
}

fn parse_signal(name: &str) -> Result<Signal, String> {
    if name == "urgent_service" {
        return Ok(Signal::UrgentService);
    }
    match name.parse::<Category>() {
        Ok(c) if c.is_content() => Ok(Signal::Content(c)),
        Ok(c) => Err(format!(
            "category `{c}` comes from history or headers, not from rules"
        )),
        Err(e) => Err(format!("{e}, or urgent_service")),
    }
}

/// Collects every problem while building the compiled rules.
struct Loader<'a> {
    dir: &'a Path,
    errors: ConfigErrors,
    /// Every file read, by path relative to `dir`, for the hash.
    bytes: BTreeMap<PathBuf, Vec<u8>>,
    lists: HashMap<String, Option<Vec<Entry>>>,
    /// Each list's [`lists::elastic_alternation`], by name: a list is
    /// spliced into many patterns, each of them spliced twice
    /// ([`Loader::precompile`], [`Loader::regex`]).
    alternations: HashMap<String, String>,
    /// Regexes compiled ahead ([`Loader::precompile`]), by source.
    compiled: HashMap<String, Result<WordRegex, regex::Error>>,
    /// Whether model rules are loaded (see `load_without_models`).
    with_models: bool,
    /// Weights files parsed, by path: rules share one (`tv.model`,
    /// `tv.model_sure`), and parsing one is a large part of loading.
    weights: HashMap<PathBuf, Result<Arc<LinearModel>, (usize, String)>>,
    /// Function-word lists read (`function_words`), by path.
    function_words: HashMap<PathBuf, Arc<WordClasses>>,
    /// The rule files' named patterns (`[patterns]`), by name, as spliced
    /// in for `{{name}}` ([`Loader::named_patterns`]).
    named: HashMap<String, String>,
}

/// One parsed rule file with its text (for line numbers).
struct Parsed {
    path: PathBuf,
    text: String,
    file: RuleFile,
    /// The offset of each `\n` of `text`, in order: a rule file has
    /// hundreds of rules and is asked for a line per rule and regex, and
    /// counting the newlines before each anew was quadratic.
    newlines: Vec<usize>,
}

impl Parsed {
    fn new(path: PathBuf, text: String, file: RuleFile) -> Parsed {
        let newlines = memchr::memchr_iter(b'\n', text.as_bytes()).collect();
        Parsed {
            path,
            text,
            file,
            newlines,
        }
    }

    /// [`crate::error::line_of_offset`] of where `s` starts.
    fn line<T>(&self, s: &Spanned<T>) -> usize {
        let offset = s.span().start.min(self.text.len());
        self.newlines.partition_point(|&at| at < offset) + 1
    }
}

impl<'a> Loader<'a> {
    fn new(dir: &'a Path, with_models: bool) -> Self {
        Loader {
            dir,
            errors: ConfigErrors::default(),
            bytes: BTreeMap::new(),
            lists: HashMap::new(),
            alternations: HashMap::new(),
            compiled: HashMap::new(),
            with_models,
            weights: HashMap::new(),
            function_words: HashMap::new(),
            named: HashMap::new(),
        }
    }

    fn err(&mut self, file: &Path, line: usize, reason: impl Into<String>) {
        self.errors.push(ConfigError::new(file, line, reason));
    }

    fn load(mut self) -> Result<CompiledRules, ConfigErrors> {
        let files = self.read_rule_files();
        self.named_patterns(&files);
        self.precompile(&files);
        let guards = self.compile_guards(&files);
        let guard_index: HashMap<&str, usize> = guards
            .iter()
            .enumerate()
            .map(|(i, g)| (g.name.as_str(), i))
            .collect();
        let thresholds = self.thresholds(&files);
        let normalizer = self.lexicon(&files);
        let allow = self.allow_list(&files);
        let mut rules = Vec::new();
        let mut regexes = Vec::new();
        let mut derived = Vec::new();
        let mut models = Vec::new();
        let mut message_models = Vec::new();
        let mut scorers = Vec::new();
        let mut word_patterns = Vec::new();
        let mut seen: HashMap<String, (PathBuf, usize)> = HashMap::new();
        for p in &files {
            for def in &p.file.rule {
                let rule = self.rule(p, def, &guard_index, &mut seen);
                // The matcher is checked even for an invalid rule, so that
                // every problem is reported in one go.
                let matcher = self.matcher(p, def, def.id.get_ref());
                let Some(mut rule) = rule else {
                    continue;
                };
                let index = rules.len();
                match matcher {
                    Some(Matcher::Regex(re)) => regexes.push((index, re)),
                    Some(Matcher::Derived(of, re)) if of != rule.signal => {
                        derived.push((index, of, re))
                    }
                    Some(Matcher::Derived(..)) => {
                        let reason = format!("rule `{}`: `of` must name another category", rule.id);
                        self.err(&p.path, p.line(&def.id), reason);
                        continue;
                    }
                    Some(Matcher::Model(weights, min_score, content, rival, bar))
                        if rule.message =>
                    {
                        let extra = content.is_some()
                            || def.one_word_min_score.is_some()
                            || rival.is_some()
                            || bar.is_some()
                            || rule.pairs
                            || rule.subject
                            || rule.together;
                        if extra {
                            let reason = format!(
                                "rule `{}`: a `message` model rule takes no `function_words`, `one_word_min_score`, `rival`, `message_model`, `sentences`, `subject` or `together`",
                                rule.id
                            );
                            self.err(&p.path, p.line(&def.id), reason);
                            continue;
                        }
                        message_models.push((index, weights, min_score, OnceLock::new()))
                    }
                    Some(Matcher::Model(weights, min_score, content, rival, bar)) => {
                        if let Some(min) = &def.one_word_min_score {
                            let what = def.id.get_ref();
                            let Some(min_score) =
                                self.unit_score(p, min, "one_word_min_score", what)
                            else {
                                continue;
                            };
                            rule.one_word = Some(OneWordBar {
                                weights: weights.clone(),
                                min_score,
                            });
                        }
                        rule.message_bar = bar.map(|b| *b);
                        rule.content = content.map(|(function_words, min_score)| ContentBar {
                            weights: weights.clone(),
                            function_words,
                            min_score,
                        });
                        rule.rival = rival.map(|(other, file, margin, except)| Rival {
                            scorers: None,
                            own: weights.clone(),
                            other,
                            file,
                            margin,
                            except,
                        });
                        let shared = models.iter().find(|m: &&(_, Arc<LinearModel>, _, _)| {
                            Arc::ptr_eq(&m.1, &weights) || m.1 == weights
                        });
                        let scorer = match shared {
                            Some(m) => m.3,
                            None => {
                                scorers.push(SentenceScorer::new(&weights));
                                scorers.len() - 1
                            }
                        };
                        models.push((index, weights, min_score, scorer))
                    }
                    Some(Matcher::Words(entries)) => {
                        word_patterns.extend(entries.into_iter().map(|e| WordPattern {
                            rule: index,
                            runs: lists::runs(&e.word),
                            prefix: e.prefix,
                        }))
                    }
                    None => continue,
                }
                rules.push(rule);
            }
        }
        // `together_not_with` names rules that exist. Loaded without models
        // (training), the model rules it may name are not read, so it is
        // checked only in a full load (`tv.warning_frame` names `tv.model_lean`).
        let ids: std::collections::HashSet<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        let with_models = self.with_models;
        let unknown: Vec<(PathBuf, usize, String)> = (rules.iter())
            .flat_map(|r| r.together_not_with.iter().map(move |w| (r, w)))
            .filter(|(_, (other, _))| with_models && other != "*" && !ids.contains(other.as_str()))
            .map(|(r, (other, line))| {
                let reason = format!(
                    "rule `{}`: unknown rule `{other}` in together_not_with",
                    r.id
                );
                (r.file.clone(), *line, reason)
            })
            .collect();
        for (file, line, reason) in unknown {
            self.err(&file, line, reason);
        }
        // Guards that name categories: every rule of those categories has them.
        for rule in &mut rules {
            for (i, g) in guards.iter().enumerate() {
                if g.categories.contains(&rule.category) && !rule.unless.contains(&i) {
                    rule.unless.push(i);
                }
            }
        }
        let (words, word_texts) = word_texts(&word_patterns);
        let sha256 = self.hash();
        let requirements = regexes.iter().map(|(_, re)| re.requirement());
        let prefilter = Prefilter::with_words(requirements, &words);
        // Per scorer, the least `min_score` of the rules that share it: of
        // those reading one sentence, and of those reading two as one.
        let mut least = vec![f32::INFINITY; scorers.len()];
        let mut pairs_least = vec![f32::INFINITY; scorers.len()];
        for &(rule, _, min_score, scorer) in &models {
            let least = if rules[rule].pairs {
                &mut pairs_least
            } else {
                &mut least
            };
            least[scorer] = least[scorer].min(min_score);
        }
        let message_guarded = (rules.iter())
            .filter(|r| (r.unless.iter()).any(|&g| guards[g].scope == GuardScope::Message))
            .map(|r| r.id.clone())
            .collect();
        for rival in rules.iter_mut().filter_map(|r| r.rival.as_mut()) {
            let scorer_of = |w: &Arc<LinearModel>| {
                (models.iter())
                    .find(|m| Arc::ptr_eq(&m.1, w) || m.1 == *w)
                    .map(|m| m.3)
            };
            rival.scorers = scorer_of(&rival.own).zip(scorer_of(&rival.other));
        }
        let message_barred = (0..rules.len())
            .filter(|&r| rules[r].message_bar.is_some())
            .collect();
        self.errors.into_result(CompiledRules {
            message_guarded,
            rules,
            guards,
            regexes,
            prefilter,
            derived,
            models,
            message_barred,
            message_models,
            scorers: Scorers::new(scorers, &least).with_pairs_least(&pairs_least),
            word_texts,
            word_patterns,
            allow,
            normalizer,
            thresholds,
            sha256,
        })
    }

    fn read_rule_files(&mut self) -> Vec<Parsed> {
        let entries = match std::fs::read_dir(self.dir) {
            Ok(rd) => rd,
            Err(e) => {
                self.err(self.dir, 0, format!("cannot read rules directory: {e}"));
                return Vec::new();
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .filter(|p| p.file_name().is_some_and(|n| n != POLICY_FILE))
            .collect();
        paths.sort();
        let mut out = Vec::new();
        for path in paths {
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    self.err(&path, 0, format!("cannot read: {e}"));
                    continue;
                }
            };
            self.bytes
                .insert(self.relative(&path), text.clone().into_bytes());
            match toml::from_str::<RuleFile>(&text) {
                Ok(file) => out.push(Parsed::new(path, text, file)),
                Err(e) => self.errors.push(ConfigError::from_toml(&path, &text, &e)),
            }
        }
        out
    }

    fn relative(&self, path: &Path) -> PathBuf {
        path.strip_prefix(self.dir).unwrap_or(path).to_path_buf()
    }

    fn compile_guards(&mut self, files: &[Parsed]) -> Vec<Guard> {
        let mut out: Vec<Guard> = Vec::new();
        for p in files {
            for g in &p.file.guard {
                if let Some(guard) = self.guard(p, g, &out) {
                    out.push(guard);
                }
            }
        }
        out
    }

    fn guard(&mut self, p: &Parsed, g: &GuardDef, known: &[Guard]) -> Option<Guard> {
        let name = g.name.get_ref().clone();
        if known.iter().any(|k| k.name == name) {
            self.err(
                &p.path,
                p.line(&g.name),
                format!("duplicate guard `{name}`"),
            );
            return None;
        }
        let pattern = self.regex(p, &g.pattern, &format!("guard `{name}`"))?;
        let except = match &g.except {
            Some(x) => Some(self.regex(p, x, &format!("guard `{name}` except"))?),
            None => None,
        };
        let requires = match &g.requires {
            Some(x) => Some(self.regex(p, x, &format!("guard `{name}` requires"))?),
            None => None,
        };
        let except_after = match &g.except_after {
            Some(x) => Some(self.regex(p, x, &format!("guard `{name}` except_after"))?),
            None => None,
        };
        for c in &g.categories {
            if let Err(e) = parse_signal(c) {
                self.err(
                    &p.path,
                    p.line(&g.name),
                    format!("guard `{name}` categories: {e}"),
                );
                return None;
            }
        }
        let scope = match (g.quotation, g.after_quotation, g.link, g.message) {
            (false, false, false, false) => GuardScope::Sentence,
            (true, false, false, false) => GuardScope::QuotationFrame,
            (false, true, false, false) => GuardScope::QuotationTail,
            (false, false, true, false) => GuardScope::Link,
            (false, false, false, true) => GuardScope::Message,
            _ => {
                self.err(
                    &p.path,
                    p.line(&g.name),
                    format!(
                        "guard `{name}`: at most one of quotation, after_quotation, link, message"
                    ),
                );
                return None;
            }
        };
        let narrowed = g.requires.is_some() || g.except_after.is_some() || g.subject;
        if scope == GuardScope::Message && narrowed {
            self.err(
                &p.path,
                p.line(&g.name),
                format!(
                    "guard `{name}`: a message guard takes no requires, except_after or subject"
                ),
            );
            return None;
        }
        // Combinations a guard cannot have: the first that applies is refused.
        let refused = [
            (
                g.inside_quotation && g.from_report,
                "at most one of inside_quotation, from_report",
            ),
            (
                g.read_without && !(g.inside_quotation || g.from_report),
                "read_without is for inside_quotation or from_report",
            ),
            (
                g.from_report && scope != GuardScope::Sentence,
                "from_report is for a sentence guard only",
            ),
            (
                g.inside_quotation && scope != GuardScope::Sentence,
                "inside_quotation is for a sentence guard only",
            ),
        ];
        if let Some((_, why)) = refused.iter().find(|(bad, _)| *bad) {
            self.err(&p.path, p.line(&g.name), format!("guard `{name}`: {why}"));
            return None;
        }
        Some(Guard {
            name,
            pattern,
            except,
            scope,
            requires,
            except_after,
            categories: g.categories.clone(),
            inside_quotation: g.inside_quotation,
            from_report: g.from_report,
            read_without: g.read_without,
            subject: g.subject,
        })
    }

    /// Every file's `[patterns]`, by name: a name is a word of letters,
    /// digits and `_`, given once in the folder; a pattern splices in lists
    /// but no other named pattern.
    fn named_patterns(&mut self, files: &[Parsed]) {
        let mut named = HashMap::new();
        for p in files {
            for (name, pat) in &p.file.patterns {
                let line = p.line(pat);
                let fine = !name.is_empty()
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if !fine {
                    let reason = format!("pattern `{name}`: a name is letters, digits and `_`");
                    self.err(&p.path, line, reason);
                } else if named.contains_key(name) {
                    self.err(&p.path, line, format!("duplicate pattern `{name}`"));
                } else if let Some(inner) =
                    pieces(pat.get_ref()).iter().find_map(|piece| match piece {
                        Piece::List(n) if !n.contains('/') => Some(n.to_string()),
                        _ => None,
                    })
                {
                    let reason = format!("pattern `{name}`: splices in pattern `{inner}`");
                    self.err(&p.path, line, reason);
                } else {
                    named.insert(name.clone(), pat.get_ref().clone());
                }
            }
        }
        self.named = named;
    }

    /// `pat` with each `{{name}}` of a named pattern replaced by that
    /// pattern as a group of its own, free-spacing mode off inside it
    /// (`(?-x:…)`), so it reads the same in a `(?x)` pattern; a name that
    /// is no pattern is left for [`Loader::spliced`] to report.
    fn with_named<'p>(&self, pat: &'p str) -> std::borrow::Cow<'p, str> {
        if self.named.is_empty() || !pat.contains("{{") {
            return pat.into();
        }
        let mut out = String::with_capacity(pat.len());
        for piece in pieces(pat) {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::List(name) => match self.named.get(name) {
                    Some(named) => {
                        out.push_str("(?-x:");
                        out.push_str(named);
                        out.push(')');
                    }
                    None => {
                        out.push_str("{{");
                        out.push_str(name);
                        out.push_str("}}");
                    }
                },
            }
        }
        out.into()
    }

    /// Compile every regex of the rule files (guards and rules, lists
    /// spliced in) ahead of the checks that use them, in parallel: most of
    /// loading is compiling them. Problems are not reported here but where
    /// each pattern is taken up ([`Loader::regex`]), in file order.
    fn precompile(&mut self, files: &[Parsed]) {
        let patterns = self.templates(files);
        let trees = self.list_trees(&patterns);
        self.compiled = patterns
            .into_par_iter()
            .map(|(source, template, names)| {
                let lists: Vec<&ListTree> =
                    names.iter().map(|name| &trees[name.as_str()]).collect();
                let compiled = WordRegex::with_lists(&source, &template, &lists, REGEX_SIZE_LIMIT);
                (source, compiled)
            })
            .collect();
    }

    /// Every pattern of the rule files (guards and rules) whose lists are
    /// there, once: its source, and its template with the names of the
    /// lists its placeholders stand for ([`WordRegex::with_lists`]).
    fn templates(&mut self, files: &[Parsed]) -> Vec<(String, String, Vec<String>)> {
        let mut patterns = Vec::new();
        for p in files {
            let guards = p.file.guard.iter();
            let guard_patterns = guards.flat_map(|g| {
                std::iter::once(&g.pattern)
                    .chain(&g.except)
                    .chain(&g.requires)
                    .chain(&g.except_after)
            });
            let rules = p.file.rule.iter();
            let rule_patterns = rules.flat_map(|r| r.regex.iter().chain(&r.requires));
            for pat in guard_patterns.chain(rule_patterns) {
                let Ok(source) = self.spliced(pat.get_ref()) else {
                    continue;
                };
                let pat = self.with_named(pat.get_ref()).into_owned();
                let mut template = String::with_capacity(pat.len());
                let mut names = Vec::new();
                for piece in pieces(&pat) {
                    match piece {
                        Piece::Text(text) => template.push_str(text),
                        Piece::List(name) => {
                            template.push_str(&word_regex::placeholder(names.len()));
                            names.push(name.to_string());
                        }
                    }
                }
                patterns.push((source, template, names));
            }
        }
        patterns.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        patterns.dedup_by(|a, b| a.0 == b.0);
        patterns
    }

    /// Each list the `patterns` ([`Loader::templates`]) splice in, its
    /// alternation parsed once, for every pattern it is in. On this thread,
    /// not the pool: parsed there, the trees' memory stayed in the pool's
    /// heaps once freed, and peak RSS grew by 6 MB.
    fn list_trees(&self, patterns: &[(String, String, Vec<String>)]) -> HashMap<String, ListTree> {
        let mut names: Vec<&str> = patterns
            .iter()
            .flat_map(|p| p.2.iter().map(String::as_str))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
            .into_iter()
            .map(|name| (name.to_string(), ListTree::new(&self.alternations[name])))
            .collect()
    }

    /// Compile one pattern (lists spliced in), naming `what` on failure.
    fn regex(&mut self, p: &Parsed, pat: &Spanned<String>, what: &str) -> Option<WordRegex> {
        let line = p.line(pat);
        let source = self.splice_lists(p, pat.get_ref(), line, what)?;
        let compiled = match self.compiled.remove(&source) {
            Some(compiled) => compiled,
            None => WordRegex::new(&source, REGEX_SIZE_LIMIT),
        };
        match compiled {
            Ok(re) => Some(re),
            Err(regex::Error::CompiledTooBig(limit)) => {
                self.err(
                    &p.path,
                    line,
                    format!("{what}: regex exceeds the compiled size limit of {limit} bytes"),
                );
                None
            }
            Err(e) => {
                self.err(&p.path, line, format!("{what}: bad regex: {e}"));
                None
            }
        }
    }

    /// [`Loader::spliced`], reporting a missing list.
    fn splice_lists(&mut self, p: &Parsed, pat: &str, line: usize, what: &str) -> Option<String> {
        self.spliced(pat)
            .map_err(|name| self.missing_list(&p.path, line, &name, what))
            .ok()
    }

    /// Replace each `{{name}}` with its named pattern ([`Loader::with_named`])
    /// and each `{{lists/x.txt}}` with that list as an elastic alternation;
    /// `Err` names a list that is not there.
    fn spliced(&mut self, pat: &str) -> Result<String, String> {
        let pat = self.with_named(pat).into_owned();
        let mut out = String::with_capacity(pat.len());
        for piece in pieces(&pat) {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::List(name) => {
                    if !self.alternations.contains_key(name) {
                        let Some(entries) = self.loaded_list(name) else {
                            return Err(name.to_string());
                        };
                        let alternation = lists::elastic_alternation(entries);
                        self.alternations.insert(name.to_string(), alternation);
                    }
                    out.push_str(&self.alternations[name]);
                }
            }
        }
        Ok(out)
    }

    /// A word list by path relative to the rules directory, reporting a
    /// missing one.
    fn list(&mut self, file: &Path, line: usize, name: &str, what: &str) -> Option<Vec<Entry>> {
        let found = self.loaded_list(name).cloned();
        if found.is_none() {
            self.missing_list(file, line, name, what);
        }
        found
    }

    /// A word list by path relative to the rules directory (read once).
    fn loaded_list(&mut self, name: &str) -> Option<&Vec<Entry>> {
        if !self.lists.contains_key(name) {
            let path = self.dir.join(name);
            let rel = self.relative(&path);
            let loaded = std::fs::read_to_string(&path).ok().map(|text| {
                let entries = lists::parse(&text);
                self.bytes.insert(rel, text.into_bytes());
                entries
            });
            self.lists.insert(name.to_string(), loaded);
        }
        self.lists[name].as_ref()
    }

    fn missing_list(&mut self, file: &Path, line: usize, name: &str, what: &str) {
        let reason = format!(
            "{what}: word-list file `{name}` not found in {}",
            self.dir.display()
        );
        self.err(file, line, reason);
    }

    fn thresholds(&mut self, files: &[Parsed]) -> HashMap<Signal, f32> {
        let mut out = HashMap::new();
        for p in files {
            for (name, value) in &p.file.thresholds {
                let line = p.line(value);
                match parse_signal(name) {
                    Err(e) => self.err(&p.path, line, format!("threshold: {e}")),
                    Ok(_) if !value.get_ref().is_finite() || *value.get_ref() <= 0.0 => {
                        self.err(&p.path, line, format!("threshold for `{name}` must be > 0"))
                    }
                    Ok(s) => {
                        if out.insert(s, *value.get_ref()).is_some() {
                            self.err(&p.path, line, format!("threshold for `{name}` set twice"));
                        }
                    }
                }
            }
        }
        out
    }

    fn lexicon(&mut self, files: &[Parsed]) -> Normalizer {
        let mut words: Vec<String> = Vec::new();
        for p in files {
            for name in &p.file.lexicon {
                let line = p.line(name);
                if let Some(entries) = self.list(&p.path, line, name.get_ref(), "lexicon") {
                    words.extend(entries.into_iter().map(|e| e.word));
                }
            }
        }
        Normalizer::new(words.iter().map(String::as_str))
    }

    fn allow_list(&mut self, files: &[Parsed]) -> AhoCorasick {
        let mut phrases = Vec::new();
        for p in files {
            for name in &p.file.allow {
                let line = p.line(name);
                if let Some(entries) = self.list(&p.path, line, name.get_ref(), "allow") {
                    phrases.extend(entries.into_iter().map(|e| e.word));
                }
            }
        }
        self.automaton(phrases, MatchKind::LeftmostLongest)
    }

    fn automaton<I, P>(&mut self, patterns: I, kind: MatchKind) -> AhoCorasick
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        AhoCorasick::builder()
            .match_kind(kind)
            .build(patterns)
            .unwrap_or_else(|e| {
                self.err(self.dir, 0, format!("word automaton: {e}"));
                AhoCorasick::new(Vec::<String>::new()).expect("empty automaton builds")
            })
    }

    /// Validate everything about a rule except its matcher.
    fn rule(
        &mut self,
        p: &Parsed,
        def: &RuleDef,
        guards: &HashMap<&str, usize>,
        seen: &mut HashMap<String, (PathBuf, usize)>,
    ) -> Option<Rule> {
        let id = def.id.get_ref().trim().to_string();
        let line = p.line(&def.id);
        let mut ok = true;
        if id.is_empty() {
            self.err(&p.path, line, "rule with an empty id");
            ok = false;
        } else if let Some((f, l)) = seen.get(&id) {
            let reason = format!("duplicate rule id `{id}` (first at {}:{l})", f.display());
            self.err(&p.path, line, reason);
            ok = false;
        } else {
            seen.insert(id.clone(), (p.path.clone(), line));
        }
        let signal = parse_signal(def.category.get_ref())
            .map_err(|e| self.err(&p.path, p.line(&def.category), format!("rule `{id}`: {e}")))
            .ok();
        let weight = *def.weight.get_ref();
        if !(weight.is_finite() && weight > 0.0) {
            self.err(
                &p.path,
                p.line(&def.weight),
                format!("rule `{id}`: weight must be > 0"),
            );
            ok = false;
        }
        if def.must_match.is_empty() {
            let reason = format!("rule `{id}` has no must_match examples");
            self.err(&p.path, line, reason);
            ok = false;
        }
        let mut unless = Vec::new();
        for g in &def.unless {
            match guards.get(g.get_ref().as_str()) {
                Some(&i) => unless.push(i),
                None => {
                    let reason = format!("rule `{id}`: unknown guard `{}` in unless", g.get_ref());
                    self.err(&p.path, p.line(g), reason);
                    ok = false;
                }
            }
        }
        let mut when_suppressed_by = Vec::new();
        for g in &def.when_suppressed_by {
            match guards.get(g.get_ref().as_str()) {
                Some(_) if def.of.is_none() => {
                    let reason =
                        format!("rule `{id}`: `when_suppressed_by` is for rules with `of` only");
                    self.err(&p.path, p.line(g), reason);
                    ok = false;
                }
                Some(&i) => when_suppressed_by.push(i),
                None => {
                    let reason = format!(
                        "rule `{id}`: unknown guard `{}` in when_suppressed_by",
                        g.get_ref()
                    );
                    self.err(&p.path, p.line(g), reason);
                    ok = false;
                }
            }
        }
        let of_flagged = def.of_flagged.as_ref().is_some_and(|f| *f.get_ref());
        if let Some(f) = def
            .of_flagged
            .as_ref()
            .filter(|_| def.of.is_none() || weight < 1.0)
        {
            let reason =
                format!("rule `{id}`: `of_flagged` is for full-weight rules with `of` only");
            self.err(&p.path, p.line(f), reason);
            ok = false;
        }
        let requires = match &def.requires {
            Some(re) => {
                let compiled = self.regex(p, re, &format!("rule `{id}` requires"));
                ok &= compiled.is_some();
                compiled
            }
            None => None,
        };
        let alone_keys = def.together_within.as_ref().map(|w| p.line(w));
        let alone_keys = alone_keys.or(def.together_not_with.first().map(|w| p.line(w)));
        if let Some(line) = alone_keys.filter(|_| !def.together) {
            let reason = "`together_within` and `together_not_with` need `together = true`";
            self.err(&p.path, line, format!("rule `{id}`: {reason}"));
            ok = false;
        }
        let sentences = def.sentences.as_ref().map(|n| (*n.get_ref(), p.line(n)));
        match sentences {
            Some((_, line)) if def.model.is_none() => {
                self.err(
                    &p.path,
                    line,
                    format!("rule `{id}`: `sentences` is for model rules only"),
                );
                ok = false;
            }
            Some((n, line)) if !(1..=2).contains(&n) => {
                self.err(
                    &p.path,
                    line,
                    format!("rule `{id}`: `sentences` must be 1 or 2"),
                );
                ok = false;
            }
            _ => {}
        }
        let sentences = sentences.map(|(n, _)| n);
        if let Some(message) = def.message.as_ref().filter(|_| def.model.is_none()) {
            let reason = format!("rule `{id}`: `message` is for model rules only");
            self.err(&p.path, p.line(message), reason);
            ok = false;
        }
        let is_message = def.message.as_ref().is_some_and(|s| *s.get_ref());
        // Keys a message rule alone reads (each line where given).
        let message_only = [
            (
                "partner_min_score",
                def.partner_min_score.as_ref().map(|k| p.line(k)),
            ),
            ("alone", def.alone.as_ref().map(|k| p.line(k))),
            (
                "min_sentences",
                def.min_sentences.as_ref().map(|k| p.line(k)),
            ),
        ];
        for (key, line) in message_only.into_iter().filter(|_| !is_message) {
            if let Some(line) = line {
                let reason = format!("rule `{id}`: `{key}` is for `message` rules only");
                self.err(&p.path, line, reason);
                ok = false;
            }
        }
        let half_bar = self.half_bar(p, def, &id, is_message);
        ok &= half_bar.is_ok();
        let half_bar = half_bar.ok().flatten();
        let mut partner_yields_to = Vec::new();
        for name in &def.partner_yields_to {
            if def.partner_min_score.is_none() {
                let reason = format!("rule `{id}`: `partner_yields_to` needs `partner_min_score`");
                self.err(&p.path, p.line(name), reason);
                ok = false;
                break;
            }
            match parse_signal(name.get_ref()) {
                Ok(signal) => partner_yields_to.push(signal),
                Err(e) => {
                    let reason = format!("rule `{id}`: `partner_yields_to`: {e}");
                    self.err(&p.path, p.line(name), reason);
                    ok = false;
                }
            }
        }
        if let Some(subject) = def.subject.as_ref().filter(|_| def.model.is_none()) {
            let reason = format!("rule `{id}`: `subject` is for model rules only");
            self.err(&p.path, p.line(subject), reason);
            ok = false;
        }
        let examples = |v: &[Spanned<String>]| -> Vec<(String, usize)> {
            v.iter().map(|e| (e.get_ref().clone(), p.line(e))).collect()
        };
        Some(Rule {
            category: def.category.get_ref().clone(),
            signal: signal.filter(|_| ok)?,
            id,
            weight,
            description: def.description.clone(),
            file: p.path.clone(),
            unless,
            when_suppressed_by,
            of_flagged,
            requires,
            together: def.together,
            together_within: def.together_within.as_ref().map(|w| *w.get_ref()),
            together_not_with: (def.together_not_with.iter())
                .map(|id| (id.get_ref().clone(), p.line(id)))
                .collect(),
            max_hits: def.max_hits.unwrap_or(usize::MAX),
            must_match: examples(&def.must_match),
            must_not_match: examples(&def.must_not_match),
            content: None,
            one_word: None,
            rival: None,
            message_bar: None,
            pairs: sentences == Some(2),
            subject: def.subject.as_ref().is_some_and(|s| *s.get_ref()),
            message: is_message,
            partner_min_score: def.partner_min_score.as_ref().map(|m| *m.get_ref()),
            half_bar,
            partner_yields_to,
            alone: def.alone.as_ref().is_some_and(|a| *a.get_ref()),
            min_sentences: def.min_sentences.as_ref().map_or(0, |n| *n.get_ref()),
        })
    }

    /// A `message` rule's lower bar as completer (`half_min_score`,
    /// `half_names`, `half_except`): `Err` on an error (reported).
    fn half_bar(
        &mut self,
        p: &Parsed,
        def: &RuleDef,
        id: &str,
        is_message: bool,
    ) -> Result<Option<HalfBar>, ()> {
        let keys = [def.half_names.as_ref(), def.half_except.as_ref()];
        let line = (def.half_min_score.as_ref().map(|m| p.line(m))).or(keys
            .iter()
            .flatten()
            .map(|k| p.line(*k))
            .next());
        let Some(line) = line else {
            return Ok(None);
        };
        let mut fail = |reason: &str| {
            self.err(&p.path, line, format!("rule `{id}`: {reason}"));
            Err(())
        };
        if !is_message {
            return fail(
                "`half_min_score`, `half_names` and `half_except` are for `message` rules only",
            );
        }
        let Some(bar) = def.half_min_score.as_ref().map(|m| *m.get_ref()) else {
            return fail("`half_names` and `half_except` need `half_min_score`");
        };
        if keys.iter().all(|k| k.is_none()) {
            return fail("`half_min_score` needs `half_names` or `half_except`");
        }
        let top = def.min_score.as_ref().map_or(1.0, |m| *m.get_ref());
        if !(bar.is_finite() && 0.0 < bar && bar < top) {
            return fail("`half_min_score` must lie above 0 and under `min_score`");
        }
        let what = format!("rule `{id}`");
        let mut regex = |key: Option<&Spanned<String>>, name: &str| match key {
            Some(re) => (self.regex(p, re, &format!("{what} {name}")).map(Some)).ok_or(()),
            None => Ok(None),
        };
        let names = regex(def.half_names.as_ref(), "half_names")?;
        let except = regex(def.half_except.as_ref(), "half_except")?;
        Ok(Some(HalfBar {
            min_score: bar,
            names,
            except,
        }))
    }

    fn matcher(&mut self, p: &Parsed, def: &RuleDef, id: &str) -> Option<Matcher> {
        let line = p.line(&def.id);
        let what = format!("rule `{id}`");
        if let Some(of) = &def.of {
            let signal = match parse_signal(of.get_ref()) {
                Ok(s @ Signal::Content(_)) => Some(s),
                Ok(_) => {
                    self.err(
                        &p.path,
                        p.line(of),
                        format!("{what}: `of` must be a content category"),
                    );
                    None
                }
                Err(e) => {
                    self.err(&p.path, p.line(of), format!("{what}: {e}"));
                    None
                }
            };
            return match (&def.regex, &def.words, &def.word_file) {
                (Some(re), None, None) => {
                    let re = self.regex(p, re, &what)?;
                    signal.map(|s| Matcher::Derived(s, re))
                }
                _ => {
                    let reason = format!("{what}: a rule with `of` takes a `regex` (the sentence condition) and no word list");
                    self.err(&p.path, line, reason);
                    None
                }
            };
        }
        let model_only = [
            ("min_score", def.min_score.is_some()),
            ("function_words", def.function_words.is_some()),
            ("content_min_score", def.content_min_score.is_some()),
            ("one_word_min_score", def.one_word_min_score.is_some()),
            ("rival", def.rival.is_some()),
            ("rival_margin", def.rival_margin.is_some()),
            ("rival_except", def.rival_except.is_some()),
            ("message_model", def.message_model.is_some()),
            ("message_min_score", def.message_min_score.is_some()),
            ("message_yields_to", !def.message_yields_to.is_empty()),
            ("message_alone", def.message_alone.is_some()),
            ("message_rival", def.message_rival.is_some()),
            ("message_except", def.message_except.is_some()),
            (
                "message_phrase_min_score",
                def.message_phrase_min_score.is_some(),
            ),
        ];
        if let Some((key, _)) = model_only
            .iter()
            .find(|(_, given)| *given && def.model.is_none())
        {
            let reason = format!("{what}: `{key}` is only for a rule with `model`");
            self.err(&p.path, line, reason);
            return None;
        }
        match (&def.regex, &def.words, &def.word_file, &def.model) {
            (Some(re), None, None, None) => self.regex(p, re, &what).map(Matcher::Regex),
            (None, Some(words), None, None) => {
                let text = words.get_ref().join("\n");
                Some(Matcher::Words(lists::parse(&text)))
            }
            (None, None, Some(file), None) => {
                let line = p.line(file);
                self.list(&p.path, line, file.get_ref(), &what)
                    .map(Matcher::Words)
            }
            (None, None, None, Some(_)) if !self.with_models => None,
            (None, None, None, Some(file)) => self.model(p, def, file, &what),
            _ => {
                let reason =
                    format!("{what}: give exactly one of `regex`, `words`, `word_file`, `model`");
                self.err(&p.path, line, reason);
                None
            }
        }
    }

    /// A model rule's weights file and its `min_score` (0 < s < 1).
    fn model(
        &mut self,
        p: &Parsed,
        def: &RuleDef,
        file: &Spanned<String>,
        what: &str,
    ) -> Option<Matcher> {
        let Some(min_score) = &def.min_score else {
            let reason = format!("{what}: a `model` rule needs `min_score` (between 0 and 1)");
            self.err(&p.path, p.line(file), reason);
            return None;
        };
        let min = self.unit_score(p, min_score, "min_score", what)?;
        let weights = self.weights_file(p, file, what);
        let content = self.content_bar(p, def, what)?;
        let rival = match &def.rival {
            Some(rival) => {
                let margin = match &def.rival_margin {
                    Some(m) if !(0.0..=10.0).contains(m.get_ref()) => {
                        let reason =
                            format!("{what}: `rival_margin` (log-odds) must lie between 0 and 10");
                        self.err(&p.path, p.line(m), reason);
                        return None;
                    }
                    Some(m) => *m.get_ref(),
                    None => 0.0,
                };
                let except = match &def.rival_except {
                    Some(re) => Some(self.regex(p, re, &format!("{what} rival_except"))?),
                    None => None,
                };
                let other = self.weights_file(p, rival, what)?;
                Some((other, rival.get_ref().clone(), margin, except))
            }
            None if def.rival_margin.is_some() || def.rival_except.is_some() => {
                let reason = format!("{what}: `rival_margin` and `rival_except` need `rival`");
                self.err(&p.path, p.line(&def.id), reason);
                return None;
            }
            None => None,
        };
        let message_bar = match (&def.message_model, &def.message_min_score) {
            (Some(file), Some(bar)) => {
                let bar = self.unit_score(p, bar, "message_min_score", what)?;
                let weights = self.weights_file(p, file, what)?;
                let mut yields_to = Vec::new();
                for name in &def.message_yields_to {
                    match parse_signal(name.get_ref()) {
                        Ok(signal) => yields_to.push(signal),
                        Err(e) => {
                            let reason = format!("{what}: `message_yields_to`: {e}");
                            self.err(&p.path, p.line(name), reason);
                            return None;
                        }
                    }
                }
                let alone = def.message_alone.as_ref().is_some_and(|a| *a.get_ref());
                let rival = def.message_rival.as_ref().is_some_and(|a| *a.get_ref());
                if (alone || rival) && yields_to.is_empty() {
                    let reason = format!(
                        "{what}: `message_alone` and `message_rival` need `message_yields_to`"
                    );
                    self.err(&p.path, p.line(&def.id), reason);
                    return None;
                }
                let phrase_min_score = match &def.message_phrase_min_score {
                    Some(s) if yields_to.is_empty() => {
                        let reason =
                            format!("{what}: `message_phrase_min_score` needs `message_yields_to`");
                        self.err(&p.path, p.line(s), reason);
                        return None;
                    }
                    Some(s) => Some(self.unit_score(p, s, "message_phrase_min_score", what)?),
                    None => None,
                };
                let except = match &def.message_except {
                    Some(re) => Some(self.regex(p, re, &format!("{what} message_except"))?),
                    None => None,
                };
                Some(Box::new(MessageBar {
                    weights,
                    file: file.get_ref().clone(),
                    min_score: bar,
                    yields_to,
                    alone,
                    rival,
                    except,
                    phrase_min_score,
                }))
            }
            (None, None)
                if !def.message_yields_to.is_empty()
                    || def.message_alone.is_some()
                    || def.message_rival.is_some()
                    || def.message_except.is_some() =>
            {
                let key = match def.message_yields_to.is_empty() {
                    true => "message_alone`, `message_rival` or `message_except",
                    false => "message_yields_to",
                };
                let reason = format!("{what}: `{key}` needs `message_model`");
                self.err(&p.path, p.line(&def.id), reason);
                return None;
            }
            (None, None) => None,
            _ => {
                let reason = format!("{what}: `message_model` and `message_min_score` go together");
                self.err(&p.path, p.line(&def.id), reason);
                return None;
            }
        };
        Some(Matcher::Model(weights?, min, content, rival, message_bar))
    }

    /// A weights file, read and parsed once however many rules name it;
    /// `None` on an error (reported).
    fn weights_file(
        &mut self,
        p: &Parsed,
        file: &Spanned<String>,
        what: &str,
    ) -> Option<Arc<LinearModel>> {
        let path = self.dir.join(file.get_ref());
        // A file read and parsed for an earlier rule is not read again (its
        // bytes are already in the hash).
        let parsed = match self.weights.get(&path) {
            Some(parsed) => parsed.clone(),
            None => {
                let text = self.read_named(p, file, &path, "model", what)?;
                let parsed = LinearModel::parse(&text).map(Arc::new);
                self.weights.insert(path.clone(), parsed.clone());
                self.bytes.insert(self.relative(&path), text.into_bytes());
                parsed
            }
        };
        match parsed {
            Ok(weights) => Some(weights),
            Err((line, reason)) => {
                self.err(&path, line, reason);
                None
            }
        }
    }

    /// A model rule's `function_words` list and `content_min_score`
    /// ([`ContentBar`]): both or neither. `None` on an error (reported),
    /// `Some(None)` for neither.
    #[allow(clippy::option_option)]
    fn content_bar(
        &mut self,
        p: &Parsed,
        def: &RuleDef,
        what: &str,
    ) -> Option<Option<(Arc<WordClasses>, f32)>> {
        let (file, min_score) = match (&def.function_words, &def.content_min_score) {
            (None, None) => return Some(None),
            (Some(file), Some(min_score)) => (file, min_score),
            _ => {
                let line = p.line(&def.id);
                let reason =
                    format!("{what}: give `function_words` and `content_min_score` together");
                self.err(&p.path, line, reason);
                return None;
            }
        };
        let min = self.unit_score(p, min_score, "content_min_score", what)?;
        let path = self.dir.join(file.get_ref());
        if let Some(words) = self.function_words.get(&path) {
            return Some(Some((words.clone(), min)));
        }
        let text = self.read_named(p, file, &path, "function words", what)?;
        let mut words = WordClasses::default();
        words.add_list("function", &text);
        let words = Arc::new(words);
        self.function_words.insert(path.clone(), words.clone());
        self.bytes.insert(self.relative(&path), text.into_bytes());
        Some(Some((words, min)))
    }

    /// A score setting that must lie strictly between 0 and 1; `None` (the
    /// error reported at its line) otherwise.
    fn unit_score(
        &mut self,
        p: &Parsed,
        score: &Spanned<f32>,
        key: &str,
        what: &str,
    ) -> Option<f32> {
        let value = *score.get_ref();
        if value > 0.0 && value < 1.0 {
            return Some(value);
        }
        let reason = format!("{what}: `{key}` must be between 0 and 1");
        self.err(&p.path, p.line(score), reason);
        None
    }

    /// The text of a file a rule names (`file`, resolved to `path`); `None`
    /// (the error reported at the rule's line) when it cannot be read.
    fn read_named(
        &mut self,
        p: &Parsed,
        file: &Spanned<String>,
        path: &Path,
        kind: &str,
        what: &str,
    ) -> Option<String> {
        match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) => {
                let reason = format!("{what}: cannot read {kind} `{}`: {e}", file.get_ref());
                self.err(&p.path, p.line(file), reason);
                None
            }
        }
    }

    /// The hash of every file read, in path order; the bytes are let go
    /// (some 5 MB, most of them the weights) before the pre-filter's
    /// automaton and what follows are built.
    fn hash(&mut self) -> String {
        let mut h = Sha256::new();
        for bytes in std::mem::take(&mut self.bytes).values() {
            h.update(bytes);
        }
        hex::encode(h.finalize())
    }
}

enum Matcher {
    Regex(WordRegex),
    /// A derived rule: the signal it follows and its sentence condition.
    Derived(Signal, WordRegex),
    Words(Vec<Entry>),
    /// A model rule: its weights, the score a sentence needs, its second
    /// bar's function words and score ([`ContentBar`]), and its rival's
    /// weights, file name, margin and exception ([`Rival`]), and its
    /// message bar's weights, file name and score ([`MessageBar`]).
    #[allow(clippy::type_complexity)]
    Model(
        Arc<LinearModel>,
        f32,
        Option<(Arc<WordClasses>, f32)>,
        Option<(Arc<LinearModel>, String, f32, Option<WordRegex>)>,
        Option<Box<MessageBar>>,
    ),
}
