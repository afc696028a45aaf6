//! The linear model: a per-category logistic regression over the words of
//! one sentence, shipped as a plain-text weights file in `rules/model/` and
//! used by a `model` rule as one more piece of evidence beside the regexes.
//!
//! A sentence (of the normalised text, so disguises are already undone) is
//! turned into features: each word (lightly stemmed: `burning` → `burn`),
//! each pair of adjacent words (`your office`) and each pair with one word
//! between (`burn … office`). A word that belongs to a word class
//! (`rules/model/classes.toml`: `knife` is a `[weapon]`, `batter` is
//! `[harm]`) is also seen as its class, alone and in pairs (`[harm] [you]`,
//! `[weapon] … you`), so what was learnt from one phrasing weighs in
//! another. A word is also seen as its letter-skeleton (`~thrtn` for
//! `threaten`, `thretening` and `threatning` alike: doubled letters and
//! vowels after the first letter dropped; [`skeleton`]), alone, so a
//! misspelt, dialect or second-language spelling shares what was learnt
//! from the standard one. Its score is
//! `1 / (1 + exp(-(bias + sum of the weights of its features)))`, between 0
//! and 1. The weights file lists the bias and every feature's weight, one per
//! line, heaviest first, so an analyst can read what the model learnt, and
//! [`LinearModel::contributions`] says which features of a sentence pushed
//! its score up — the model's explanation, span by span.
//!
//! Training lives in `evaluate::train` (`triage rules train`).

use super::normalize::Normalized;
use rustc_hash::FxBuildHasher;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

/// The bias line's name: in brackets, which no feature can contain (a
/// sentence saying "bias" has a feature `bias`).
pub const BIAS: &str = "(bias)";

/// The separator in a feature with one word skipped.
pub const SKIP: &str = " … ";

/// What starts a word's letter-skeleton feature ([`skeleton`]): no word
/// contains it.
pub const SKELETON: char = '~';

/// The first field of a weights file line that lists a class's words.
pub const CLASS: &str = "class";

/// One category's weights.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinearModel {
    pub bias: f32,
    /// By feature name. Hashed with Fx, not SipHash: a weights file has
    /// tens of thousands of features, all hashed at every load (and no
    /// one chooses these keys but the rules' authors).
    pub weights: HashMap<String, f32, FxBuildHasher>,
    pub classes: WordClasses,
}

/// Word classes: each (stemmed) word's class name, in brackets (`[harm]`),
/// which no word can contain.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WordClasses {
    pub of_word: BTreeMap<String, String>,
}

impl WordClasses {
    /// Add the words of class `name` (plain, without brackets); a word
    /// already in an earlier class stays there. Words are stemmed as
    /// sentence words are; one with anything but letters, digits and
    /// apostrophes (a phrase) is left out.
    pub fn add(&mut self, name: &str, words: impl IntoIterator<Item = impl AsRef<str>>) {
        for word in words {
            let word = word.as_ref();
            let mut spans = word_spans(word);
            if let (Some((0, end)), None) = (spans.next(), spans.next()) {
                if end == word.len() {
                    self.of_word
                        .entry(stem(word).to_string())
                        .or_insert_with(|| format!("[{name}]"));
                }
            }
        }
    }

    /// Add the words of a word list file's text (`rules/lists/` format)
    /// to class `name`, as [`WordClasses::add`] does.
    pub fn add_list(&mut self, name: &str, list_text: &str) {
        self.add(
            name,
            super::lists::parse(list_text).into_iter().map(|e| e.word),
        );
    }

    /// The class of a stemmed word, if any.
    pub fn of(&self, word: &str) -> Option<&str> {
        self.of_word.get(word).map(String::as_str)
    }
}

impl LinearModel {
    /// Parse a weights file: `#` comments, then `(bias)<TAB>w` and
    /// `feature<TAB>w` lines. Errors carry the 1-based line.
    pub fn parse(text: &str) -> Result<LinearModel, (usize, String)> {
        let mut model = LinearModel::default();
        // A feature a line, nearly every line: room for them all at once,
        // rather than every key hashed again each time the map grows.
        model
            .weights
            .reserve(memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1);
        let mut saw_bias = false;
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            // Three fields: a class's words (a feature has no tab, so a
            // feature named `class` is `class<TAB>weight`, two fields).
            if let Some((name, words)) = line
                .strip_prefix(CLASS)
                .and_then(|r| r.strip_prefix('\t')?.split_once('\t'))
            {
                let Some(name) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) else {
                    return Err((line_no, "expected `class<TAB>[name]<TAB>words`".to_string()));
                };
                model.classes.add(name, words.split(' '));
                continue;
            }
            let Some((feature, weight)) = line.rsplit_once('\t') else {
                return Err((line_no, "expected `feature<TAB>weight`".to_string()));
            };
            let weight: f32 = weight
                .trim()
                .parse()
                .ok()
                .filter(|w: &f32| w.is_finite())
                .ok_or_else(|| (line_no, format!("`{}` is not a number", weight.trim())))?;
            if feature == BIAS {
                model.bias = weight;
                saw_bias = true;
            } else if model.weights.insert(feature.to_string(), weight).is_some() {
                return Err((line_no, format!("feature `{feature}` listed twice")));
            }
        }
        if !saw_bias {
            return Err((0, format!("no `{BIAS}` line")));
        }
        Ok(model)
    }

    /// The weights file: `header` lines as comments, the word classes (one
    /// line each, words sorted), the bias, then the features heaviest first
    /// (ties by name, so the file is deterministic).
    pub fn render(&self, header: &str) -> String {
        let mut out = String::new();
        for line in header.lines() {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
        let mut by_class: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (word, class) in &self.classes.of_word {
            by_class.entry(class).or_default().push(word);
        }
        for (class, words) in by_class {
            out.push_str(&format!("{CLASS}\t{class}\t{}\n", words.join(" ")));
        }
        out.push_str(&format!("{BIAS}\t{:.4}\n", self.bias));
        let mut features: Vec<(&String, &f32)> = self.weights.iter().collect();
        features.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(b.0)));
        for (f, w) in features {
            out.push_str(&format!("{f}\t{w:.4}\n"));
        }
        out
    }

    /// The features of one normalised sentence, with this model's classes
    /// (see [`features`]).
    pub fn features(&self, sentence: &str) -> Vec<String> {
        features_with(sentence, &self.classes)
    }

    /// The score of a sentence's features, between 0 and 1.
    pub fn score(&self, features: &[String]) -> f32 {
        self.score_of(features.iter().map(String::as_str))
    }

    /// The score of features given in order, between 0 and 1 (the weights
    /// summed in that order, so any caller gets the same bits).
    fn score_of<'f>(&self, features: impl Iterator<Item = &'f str>) -> f32 {
        let z = self.bias + features.filter_map(|f| self.weights.get(f)).sum::<f32>();
        1.0 / (1.0 + (-z).exp())
    }

    /// The score of a sentence's features with every function word alone
    /// left out (`function_words`: its class is any name): the word, and
    /// its class and skeleton, which [`features_with`] lists just after it.
    /// Pairs and skips stay (`your van`, `i'll … you`). What the sentence
    /// scores on what it is about rather than on who it is written to; a
    /// model rule's `content_min_score` asks this of a hit.
    pub fn content_score(&self, features: &[String], function_words: &WordClasses) -> f32 {
        let mut function_word = false;
        let z = self.bias
            + features
                .iter()
                .filter(|f| {
                    let is_word =
                        !f.starts_with(SKELETON) && !f.starts_with('[') && !f.contains(' ');
                    if is_word {
                        function_word = function_words.of(f).is_some();
                    }
                    let single = !f.contains(' ');
                    !(single && function_word)
                })
                .filter_map(|f| self.weights.get(f))
                .sum::<f32>();
        1.0 / (1.0 + (-z).exp())
    }

    /// The sentence's score with its strongest word left out, and that
    /// word: for each distinct (stemmed) word, every place it stands is
    /// left out with all that comes of it (the word, its class and
    /// skeleton, and each pair and skip it is in), and the lowest score is
    /// kept. What a sentence scores on the rest of its words once the one
    /// that carries it most is gone; a model rule's `one_word_min_score`
    /// asks this of a hit, so that a sure-tier hit rests on more than one
    /// word ("myself" in a shopping tip, "matches" in a `grep` listing).
    /// A sentence of one word scores the bias alone.
    pub fn strongest_word_left_out(&self, sentence: &str) -> (f32, String) {
        with_slots(sentence, &self.classes, |words, slots| {
            // Each weighted feature once, with the places of the words it is made of.
            let mut weighted: Vec<(f32, usize, usize)> = Vec::new();
            for_each_feature(
                slots.len(),
                |i| &slots[i],
                |feature, [a, b]| {
                    if let Some(&w) = self.weights.get(&feature.concat()) {
                        weighted.push((w, a, b));
                    }
                },
            );
            let mut lowest = (f32::INFINITY, String::new());
            let mut tried: Vec<&str> = Vec::new();
            for &left_out in words {
                if tried.contains(&left_out) {
                    continue;
                }
                tried.push(left_out);
                let kept = |i: usize| words[i] != left_out;
                let z = self.bias
                    + (weighted.iter())
                        .filter(|&&(_, a, b)| kept(a) && kept(b))
                        .map(|f| f.0)
                        .sum::<f32>();
                let score = 1.0 / (1.0 + (-z).exp());
                if score < lowest.0 {
                    lowest = (score, left_out.to_string());
                }
            }
            if words.is_empty() {
                lowest.0 = 1.0 / (1.0 + (-self.bias).exp());
            }
            lowest
        })
    }

    /// The features that raised the score, heaviest first; a skeleton
    /// names the word it came from (`~thrtn (thretening)`), which is the
    /// single feature [`features_with`] lists just before it.
    pub fn contributions(&self, features: &[String]) -> Vec<(String, f32)> {
        let mut word = "";
        let mut out: Vec<(String, f32)> = features
            .iter()
            .filter_map(|f| {
                let is_word = !f.starts_with(SKELETON) && !f.starts_with('[') && !f.contains(' ');
                if is_word {
                    word = f;
                }
                let weight = *self.weights.get(f)?;
                let name = if f.starts_with(SKELETON) {
                    format!("{f} ({word})")
                } else {
                    f.clone()
                };
                Some((name, weight))
            })
            .filter(|(_, w)| *w > 0.0)
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.dedup_by(|a, b| a.0 == b.0);
        out
    }
}

/// The most words the model scores at once: a longer sentence (a rant with
/// no full stops, a newsletter paragraph) is scored in overlapping windows,
/// so that a long text does not pile up small weights into a high score.
pub const WINDOW_WORDS: usize = 30;

/// The pieces of a sentence the model scores: the whole sentence when it is
/// short enough, else windows of [`WINDOW_WORDS`] words overlapping by half.
pub fn windows(sentence: &str) -> Vec<Range<usize>> {
    let words: Vec<(usize, usize)> = word_spans(sentence).collect();
    window_words(words.len())
        .map(|w| match w.len() == words.len() {
            true => 0..sentence.len(),
            false => words[w.start].0..words[w.end - 1].1,
        })
        .collect()
}

/// The windows of a sentence of `n` words, as ranges of its words: all of
/// them when there are at most [`WINDOW_WORDS`], else [`WINDOW_WORDS`] at
/// a time, overlapping by half. (A window of every word stands for the
/// whole sentence.)
fn window_words(n: usize) -> impl Iterator<Item = Range<usize>> {
    let step = WINDOW_WORDS / 2;
    let mut first = Some(0);
    std::iter::from_fn(move || {
        let start = first?;
        if n <= WINDOW_WORDS {
            first = None;
            return Some(0..n);
        }
        let end = (start + WINDOW_WORDS).min(n);
        first = (end < n).then_some(start + step);
        Some(start..end)
    })
}

/// Every piece of `text` the model scores, as byte ranges of `text`: each
/// sentence ([`super::sentence::split`]) cut into its [`windows`].
pub fn units(text: &str) -> Vec<std::ops::Range<usize>> {
    super::sentence::split(text)
        .into_iter()
        .flat_map(|sentence| {
            windows(&text[sentence.clone()])
                .into_iter()
                .map(move |w| sentence.start + w.start..sentence.start + w.end)
        })
        .collect()
}

/// [`units`] of a text whose word spans ([`word_spans`]) are `spans` and
/// whose sentences and their first words are `sentences`
/// ([`super::sentence::split_at_words`], as the sentence models' pass found
/// them: [`Scorers::screened_words`]' `keep`; found here where it is empty,
/// a text no pass read), into `out` (cleared first): the same ranges,
/// without the text split into sentences and words again. A sentence is
/// [`split`](super::sentence::split)'s and its words are those of splitting
/// it on its own (`check_split_at_words`), so a window of all its words is
/// the sentence and any other runs from its first word's start to its last
/// word's end, as [`windows`] cuts them.
pub fn units_at_words(
    text: &str,
    spans: &[(usize, usize)],
    sentences: &Sentences,
    out: &mut Vec<Range<usize>>,
) {
    out.clear();
    let mut found = Sentences::default();
    let sentences = match sentences.firsts.is_empty() {
        false => sentences,
        true => {
            super::sentence::split_at_words(text, spans, &mut found.ranges, &mut found.firsts);
            &found
        }
    };
    for (sentence, of) in sentences.ranges.iter().zip(sentences.firsts.windows(2)) {
        let n = of[1] - of[0];
        out.extend(window_words(n).map(|w| match w.len() == n {
            true => sentence.clone(),
            false => spans[of[0] + w.start].0..spans[of[0] + w.end - 1].1,
        }));
    }
}

/// Where a text's sentences lie and start among its words
/// ([`super::sentence::split_at_words`]), as the sentence models' pass
/// found them ([`Scorers::screened_words`]), handed on to the message
/// tier ([`MessageWords::push_units`]) and the message guards
/// ([`units_at_words`]). Both empty where no pass read the text.
#[derive(Default)]
pub struct Sentences {
    /// Each sentence's byte range.
    pub ranges: Vec<Range<usize>>,
    /// Per sentence, the index among the words of its first word; then
    /// the number of words.
    pub firsts: Vec<usize>,
    /// Each word's place in the sentence models' vocabulary
    /// ([`Scorers::look_up`] of its stem), for the message models
    /// ([`MessageScorer`]).
    pub places: Vec<u32>,
}

/// Whether [`units_at_words`] of `text`, with its sentences handed on and
/// found anew, gives [`units`] of `text` (a test over the corpus).
#[cfg(test)]
pub(crate) fn check_units_at_words(text: &str) -> Result<(), String> {
    let want = units(text);
    let spans: Vec<_> = word_spans(text).collect();
    let mut handed = Sentences::default();
    super::sentence::split_at_words(text, &spans, &mut handed.ranges, &mut handed.firsts);
    let mut got = Vec::new();
    for (how, sentences) in [("found", &Sentences::default()), ("handed on", &handed)] {
        units_at_words(text, &spans, sentences, &mut got);
        if got != want {
            return Err(format!("{text:?}: units {want:?}, {how} {got:?}"));
        }
    }
    Ok(())
}

/// Every two adjacent sentences of `text` ([`super::sentence::split`]) in
/// the same paragraph, as the byte range from the first's start to the
/// second's end.
pub fn sentence_pairs(text: &str) -> Vec<std::ops::Range<usize>> {
    let sentences = super::sentence::split(text);
    sentences
        .windows(2)
        .filter(|p| paired(text, &p[0], &p[1]))
        .map(|p| p[0].start..p[1].end)
        .collect()
}

/// Whether two adjacent sentences make a pair: no line break between them
/// (a sentence ended by a line break starts no pair).
fn paired(text: &str, first: &Range<usize>, second: &Range<usize>) -> bool {
    !text[first.end..second.start].contains('\n')
}

/// What [`word_spans`] makes of a byte that starts a character: an ASCII
/// byte is a word's (a letter, a digit or an apostrophe) or not; a
/// non-ASCII one starts a character that is decoded.
const NOT_WORD: u8 = 0;
const WORD: u8 = 1;
const DECODE: u8 = 2;

/// [`NOT_WORD`], [`WORD`] or [`DECODE`] per byte: one load per ASCII byte.
static WORD_BYTES: [u8; 256] = {
    let mut table = [NOT_WORD; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = if !byte.is_ascii() {
            DECODE
        } else if byte.is_ascii_alphanumeric() || byte == b'\'' {
            WORD
        } else {
            NOT_WORD
        };
        b += 1;
    }
    table
};

/// Byte spans of the words of `text`: runs of letters, digits and
/// apostrophes, apostrophes at either end left out. ASCII is read byte by
/// byte ([`WORD_BYTES`]); only a non-ASCII character is decoded.
pub(crate) fn word_spans(text: &str) -> WordSpans<'_> {
    WordSpans { text, at: 0 }
}

/// The iterator of [`word_spans`]: a struct rather than a closure, so that
/// the two loops over the bytes (what is no word's, then the word) are
/// plain loops with one table load a byte, not a call per byte.
pub(crate) struct WordSpans<'t> {
    text: &'t str,
    /// Where the next search starts.
    at: usize,
}

impl WordSpans<'_> {
    /// Whether the non-ASCII character at byte `i` is a word's, and its
    /// length.
    #[cold]
    fn decode(&self, i: usize) -> (bool, usize) {
        let c = self.text[i..]
            .chars()
            .next()
            .expect("a character starts here");
        (c.is_alphanumeric(), c.len_utf8())
    }
}

impl Iterator for WordSpans<'_> {
    type Item = (usize, usize);

    #[inline]
    fn next(&mut self) -> Option<(usize, usize)> {
        let bytes = self.text.as_bytes();
        let mut at = self.at;
        loop {
            // What is no word's.
            let start = loop {
                let Some(&b) = bytes.get(at) else {
                    self.at = at;
                    return None;
                };
                match WORD_BYTES[usize::from(b)] {
                    NOT_WORD => at += 1,
                    WORD => break at,
                    _ => match self.decode(at) {
                        (true, _) => break at,
                        (false, len) => at += len,
                    },
                }
            };
            // The word.
            while let Some(&b) = bytes.get(at) {
                match WORD_BYTES[usize::from(b)] {
                    WORD => at += 1,
                    NOT_WORD => break,
                    _ => match self.decode(at) {
                        (true, len) => at += len,
                        (false, _) => break,
                    },
                }
            }
            let w = &bytes[start..at];
            if w[0] != b'\'' && w[w.len() - 1] != b'\'' {
                self.at = at;
                return Some((start, at));
            }
            let lead = w.iter().take_while(|&&b| b == b'\'').count();
            let trail = w.iter().rev().take_while(|&&b| b == b'\'').count();
            if lead + trail < w.len() {
                self.at = at;
                return Some((start + lead, at - trail));
            }
        }
    }
}

/// The features of one normalised sentence without word classes.
pub fn features(sentence: &str) -> Vec<String> {
    features_with(sentence, &WordClasses::default())
}

/// The features of one normalised sentence (repeats kept: a word said twice
/// counts twice): its stemmed words (each followed by its class, if it has
/// one), then each pair, then each pair with one word skipped, a pair of
/// words with classes giving four (word or class, word or class).
/// [`SentenceScorer`] walks the same features, in the same order, by number.
pub fn features_with(sentence: &str, classes: &WordClasses) -> Vec<String> {
    with_slots(sentence, classes, |_, slots| {
        let mut out = Vec::new();
        for_each_feature(
            slots.len(),
            |i| &slots[i],
            |parts, _| out.push(parts.concat()),
        );
        out
    })
}

/// A sentence's stemmed words and, per word, its slot (the word, its class,
/// its skeleton), handed to `each`: what [`features_with`] and
/// [`LinearModel::strongest_word_left_out`] build their features from.
fn with_slots<R>(
    sentence: &str,
    classes: &WordClasses,
    each: impl FnOnce(&[&str], &[[Option<&str>; 3]]) -> R,
) -> R {
    let mut words = Vec::new();
    stems(sentence, &mut words);
    let skeletons: Vec<Option<String>> = words
        .iter()
        .map(|w| {
            let mut s = String::new();
            skeleton(w, &mut s).then_some(s)
        })
        .collect();
    let slots: Vec<[Option<&str>; 3]> = words
        .iter()
        .zip(&skeletons)
        .map(|(&w, s)| [Some(w), classes.of(w), s.as_deref()])
        .collect();
    each(&words, &slots)
}

/// A message's features for a message model: the distinct features of
/// its sentences' ([`features_with`] each), in the order first seen.
pub fn message_bag<'a, S: AsRef<str> + 'a>(
    sentences: impl IntoIterator<Item = &'a [S]>,
) -> Vec<String> {
    distinct(sentences).map(String::from).collect()
}

/// The distinct features of `sentences`' features, in the order first
/// seen, borrowed: [`message_bag`] before it copies them.
fn distinct<'a, S: AsRef<str> + 'a>(
    sentences: impl IntoIterator<Item = &'a [S]>,
) -> impl Iterator<Item = &'a str> {
    let mut seen = std::collections::HashSet::new();
    (sentences.into_iter().flatten())
        .map(AsRef::as_ref)
        .filter(move |f| seen.insert(*f))
}

/// Each of a message's own sentences' features, with the model's classes.
fn features_of_each(model: &LinearModel, sentences: &[String]) -> Vec<Vec<String>> {
    sentences.iter().map(|s| model.features(s)).collect()
}

/// The features a message model reads from a message's own sentences
/// (normalised, as [`crate::detect::RuleSet::own_sentences`] gives them):
/// [`message_bag`] of each sentence's, with the model's classes.
pub fn message_features(model: &LinearModel, sentences: &[String]) -> Vec<String> {
    let each = features_of_each(model, sentences);
    message_bag(each.iter().map(Vec::as_slice))
}

/// A message model's score of a message's own sentences: the score of
/// [`message_features`], read from each sentence's features without
/// copying them into a bag (the same features in the same order).
pub fn message_score(model: &LinearModel, sentences: &[String]) -> f32 {
    let each = features_of_each(model, sentences);
    model.score_of(distinct(each.iter().map(Vec::as_slice)))
}

/// A message's own sentences as a message model's [`SentenceScorer`] reads
/// them ([`SentenceScorer::message_score`]): every sentence's words, one
/// after another, and where each sentence ends. Split once for all the
/// message models that score the message; a word is stemmed ([`stem`]) only
/// where a model looks it up by its stem.
#[derive(Default)]
pub struct MessageWords<'t> {
    /// The words as written, not stemmed: a word is stemmed ([`stem`])
    /// only where it is scored by its stem, one the sentence models'
    /// vocabulary does not hold ([`SentenceScorer::message_score_by`]);
    /// the rest are read by their places, and most words are.
    words: Vec<&'t str>,
    /// Per word: its stem's place in the sentence models' vocabulary
    /// ([`Scorers::look_up`]), [`UNKNOWN`] where not looked up.
    places: Vec<u32>,
    /// Per sentence, the index in `words` after its last word.
    ends: Vec<usize>,
}

impl<'t> MessageWords<'t> {
    /// One more sentence.
    pub fn push(&mut self, sentence: &'t str) {
        let words = word_spans(sentence).map(|(s, e)| &sentence[s..e]);
        self.words.extend(words);
        self.places.resize(self.words.len(), UNKNOWN);
        self.ends.push(self.words.len());
    }

    /// Every unit of `text` ([`units`]: its sentences cut into their
    /// windows), one more sentence each, given the text's word spans
    /// (`spans`, [`word_spans`] of `text`): the same sentences
    /// ([`super::sentence::split_at_words`]) and windows ([`window_words`])
    /// as [`units`], and each unit's words those of splitting it on its own
    /// (a unit starts at its first word and ends at its last), without the
    /// text split into words again. The scan's own segments are split once
    /// for the sentence models' pass ([`Scorers::screened_words`]); the
    /// message models read the same spans. `firsts`: where the text's
    /// sentences start among its words, as that pass found them
    /// ([`super::sentence::split_at_words`]'s `firsts`, handed on by
    /// [`Scorers::screened_words`] in its `keep`); empty where no
    /// pass read the text, and they are found here. `places`: each word's
    /// place in the sentence models' vocabulary, as that pass looked its
    /// stem up (the same stems: [`Sentences::places`]), for
    /// [`MessageScorer`]; empty where no pass read the text.
    pub fn push_units(
        &mut self,
        text: &'t str,
        spans: &[(usize, usize)],
        firsts: &[usize],
        places: &[u32],
    ) {
        let mut found = Vec::new();
        let firsts = match firsts.is_empty() {
            false => firsts,
            true => {
                super::sentence::split_at_words(text, spans, &mut Vec::new(), &mut found);
                &found
            }
        };
        for of in firsts.windows(2) {
            for w in window_words(of[1] - of[0]) {
                let w = of[0] + w.start..of[0] + w.end;
                (self.words).extend(spans[w.clone()].iter().map(|&(s, e)| &text[s..e]));
                match places.get(w) {
                    Some(places) => self.places.extend_from_slice(places),
                    None => self.places.resize(self.words.len(), UNKNOWN),
                }
                self.ends.push(self.words.len());
            }
        }
    }

    /// How many sentences (units) the message has: as many as
    /// [`units_at_words`] cuts from the same texts, each text's sentences
    /// cut into the same windows ([`window_words`]).
    pub fn units(&self) -> usize {
        self.ends.len()
    }

    /// Each sentence's words (not stemmed) and their places.
    fn sentences(&self) -> impl Iterator<Item = (&[&'t str], &[u32])> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        (starts.zip(&self.ends)).map(|(s, &e)| (&self.words[s..e], &self.places[s..e]))
    }
}

/// Whether [`MessageWords::push_units`] of `text` gives each unit's
/// words (and so their stems) as [`units`] of `text`, each pushed alone
/// ([`MessageWords::push`]), do: the message models read the scan's spans
/// (a test over the corpus).
#[cfg(test)]
pub(crate) fn check_push_units(text: &str) -> Result<(), String> {
    let (mut alone, mut at_once) = (MessageWords::default(), MessageWords::default());
    for unit in units(text) {
        alone.push(&text[unit]);
    }
    let spans: Vec<_> = word_spans(text).collect();
    at_once.push_units(text, &spans, &[], &[]);
    // And with the sentence starts the model's pass hands on.
    let mut handed = MessageWords::default();
    let mut firsts = Vec::new();
    super::sentence::split_at_words(text, &spans, &mut Vec::new(), &mut firsts);
    handed.push_units(text, &spans, &firsts, &[]);
    for (how, words) in [("from the spans", &at_once), ("from the starts", &handed)] {
        if alone.words != words.words || alone.ends != words.ends {
            return Err(format!(
                "{text:?}: units {:?} at {:?}, {how} {:?} at {:?}",
                alone.words, alone.ends, words.words, words.ends
            ));
        }
    }
    Ok(())
}

/// Scratch space for [`SentenceScorer::message_score`], reused from message
/// to message.
#[derive(Default)]
pub struct MessageScratch {
    /// Per word number of the scorer: the `round` in which its single
    /// feature was last added.
    singles_seen: Vec<u32>,
    /// Per slot of the scorer's pair weights ([`PairWeights`], one feature
    /// to a slot): the `round` in which that pair or skip feature was last
    /// added. Numbered places, not a hash set of keys: the same features
    /// added once each, in the same order.
    pairs_seen: Vec<u32>,
    /// This score's number, so that neither list need be cleared.
    round: u32,
    /// Per word of a sentence: its tokens.
    tokens: Vec<[Option<Token>; 3]>,
    /// A word's skeleton, worked out in place.
    skeleton: String,
}

impl SentenceScorer {
    /// A message model's score of a message's own sentences (`words`), the
    /// same to the bit as [`message_score`] of the weights this scorer was
    /// made from, without a feature's name built: each sentence's features
    /// are walked by number ([`for_each_feature`], the order
    /// [`features_with`] lists them in), and each feature with a weight is
    /// added the first time it is met, in the order [`message_bag`] keeps.
    /// A feature without a weight is skipped (the bag's look-up finds
    /// nothing for it), and so is a word, class or skeleton alone whose
    /// weight is 0: adding a zero changes a sum that is not zero not at all,
    /// and a zero sum only in its sign, which neither `bias + sum` (unless
    /// the bias is 0 too) nor the score of a zero (0.5) can tell.
    pub fn message_score(&self, words: &MessageWords, scratch: &mut MessageScratch) -> f32 {
        self.message_score_by(words, &[], scratch)
    }

    /// [`SentenceScorer::message_score`], each word's numbers read from
    /// `by_place` at its place in the sentence models' vocabulary
    /// ([`MessageScorer`]) where it has one there, else looked up by its
    /// stem ([`SentenceScorer::numbers_of`]): the same numbers.
    fn message_score_by(
        &self,
        words: &MessageWords,
        by_place: &[[u32; 3]],
        scratch: &mut MessageScratch,
    ) -> f32 {
        let MessageScratch {
            singles_seen,
            pairs_seen,
            round,
            tokens,
            skeleton,
        } = scratch;
        *round = round.wrapping_add(1);
        if *round == 0 {
            singles_seen.fill(0);
            pairs_seen.fill(0);
            *round = 1;
        }
        let round = *round;
        if singles_seen.len() < self.numbered.len() {
            singles_seen.resize(self.numbered.len(), 0);
        }
        if pairs_seen.len() < self.weights.slots.len() {
            pairs_seen.resize(self.weights.slots.len(), 0);
        }
        let mut sum = -0.0f32;
        for (sentence, places) in words.sentences() {
            tokens.clear();
            tokens.extend(sentence.iter().zip(places).map(|(w, &place)| {
                match by_place.get(place as usize) {
                    Some(&[number, class, shape]) => {
                        [self.token(number), self.token(class), self.token(shape)]
                    }
                    None => self.numbers_of(stem(w), skeleton),
                }
            }));
            for_each_feature(
                tokens.len(),
                |i| &tokens[i],
                |feature, _| {
                    // Each feature with a weight added the first time it is
                    // met: a single by its number (a place in `numbered`,
                    // [`SentenceScorer::token`]), a pair or skip by its slot.
                    let (last, weight) = match feature {
                        Feature::Single(a) if a.single != 0.0 => {
                            (&mut singles_seen[a.number as usize], a.single)
                        }
                        Feature::Two(kind, a, b)
                            if a.places & first(kind) != 0 && b.places & second(kind) != 0 =>
                        {
                            match self.weights.slot_of(feature_key(kind, a.number, b.number)) {
                                Some((slot, weight)) => (&mut pairs_seen[slot], weight),
                                None => return,
                            }
                        }
                        _ => return,
                    };
                    if *last != round {
                        *last = round;
                        sum += weight;
                    }
                },
            );
        }
        let z = self.bias + sum;
        1.0 / (1.0 + (-z).exp())
    }
}

/// A message model's [`SentenceScorer`], with what
/// [`SentenceScorer::numbers_of`] gives each word of the sentence models'
/// vocabulary, by its place there ([`Scorers::look_up`]): the word's
/// number, its class's and its skeleton's ([`UNKNOWN`] for none). The scan
/// looks every word up in that vocabulary already
/// ([`Scorers::screened_words`], handed on in [`Sentences::places`]), so a
/// message's words are numbered by index, not looked up by their strings
/// again; a word outside that vocabulary is looked up by its stem. Made
/// the first time the model scores a message, as its scorer is.
pub struct MessageScorer {
    scorer: SentenceScorer,
    by_place: Vec<[u32; 3]>,
}

impl MessageScorer {
    pub fn new(model: &LinearModel, scorers: &Scorers) -> MessageScorer {
        let scorer = SentenceScorer::new(model);
        let mut by_place = vec![[UNKNOWN; 3]; scorers.vocabulary.len()];
        let mut buffer = String::new();
        for (word, &place) in &scorers.vocabulary {
            let [number, class] = scorer.words.get(word).copied().unwrap_or([UNKNOWN; 2]);
            // As `skeleton_token` finds it.
            let shape = match scorer.skeletons && skeleton(word, &mut buffer) {
                true => (scorer.words.get(buffer.as_str())).map_or(UNKNOWN, |n| n[0]),
                false => UNKNOWN,
            };
            by_place[place as usize] = [number, class, shape];
        }
        MessageScorer { scorer, by_place }
    }

    /// [`SentenceScorer::message_score`], the same to the bit.
    pub fn message_score(&self, words: &MessageWords, scratch: &mut MessageScratch) -> f32 {
        (self.scorer).message_score_by(words, &self.by_place, scratch)
    }
}

/// Titles before a name: a run of capitalised words after one of these is
/// a person named or addressed, and a mock name ("Mr Witless") is an
/// insult, so it stays read.
const TITLES: [&str; 9] = [
    "Mr",
    "Mrs",
    "Ms",
    "Miss",
    "Mx",
    "Dr",
    "Cllr",
    "Councillor",
    "Sir",
];

/// The normalised text the model reads, with proper names left unread:
/// an ASCII word written in title case (`Fool`) in a run of two or more
/// such words joined only by spaces or hyphens ("the Motley Fool Stock
/// Advisor", "Dick Cheney") keeps its capital, so no weight (all learnt
/// from lower case) and no word class matches it. A run's first word is not
/// counted at the start of a sentence or paragraph, where any word is
/// capitalised ("Fool Flash" mid-sentence is a name; "You fool" is not),
/// and a run that starts with a title ([`TITLES`]) stays read. `original` is
/// the text `norm` was normalised from, its first byte at `base`. `None`
/// where there is no name (the normalised text as it is).
pub fn names_unread(original: &str, base: usize, norm: &Normalized) -> Option<String> {
    let words: Vec<(usize, usize)> = word_spans(&norm.text).collect();
    names_unread_in(original, base, norm, &words)
}

/// [`names_unread`], given the word spans of `norm.text` ([`word_spans`]).
pub fn names_unread_in(
    original: &str,
    base: usize,
    norm: &Normalized,
    words: &[(usize, usize)],
) -> Option<String> {
    let o = original.as_bytes();
    // Each word's original span where it is plain title case, else None.
    let title = |s: usize, e: usize| {
        // Most words start in lower case: told at their first byte.
        let first = norm.original_start(s).checked_sub(base)?;
        if !o.get(first)?.is_ascii_uppercase() {
            return None;
        }
        let (os, oe) = norm.original(s, e);
        let (os, oe) = (os.checked_sub(base)?, oe.checked_sub(base)?);
        let w = o.get(os..oe)?;
        (w.len() == e - s
            && w.len() >= 2
            && w[0].is_ascii_uppercase()
            && w[1..].iter().all(|b| b.is_ascii_lowercase() || *b == b'\''))
        .then_some((os, oe))
    };
    let starts_sentence = |os: usize| {
        let mut breaks = 0;
        for &b in o[..os].iter().rev() {
            match b {
                b'\n' => breaks += 1,
                b' ' | b'\t' | b'\r' | b'"' | b'\'' | b'(' => {}
                _ => return breaks >= 2 || matches!(b, b'.' | b'!' | b'?' | b':'),
            }
        }
        true
    };
    // Only the title-case words (few), each with its place among all the
    // words: a run is of words next to each other.
    let words: Vec<_> = (words.iter().enumerate())
        .filter_map(|(n, &(s, e))| Some((n, s, title(s, e)?)))
        .collect();
    let mut capitals = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let (first, first_end) = words[i].2;
        let mut j = i;
        while let Some(&(n, _, (next, _))) = words.get(j + 1) {
            let (_, end) = words[j].2;
            if n != words[j].0 + 1
                || !o[end..next]
                    .iter()
                    .all(|&b| b.is_ascii_whitespace() || b == b'-')
            {
                break;
            }
            j += 1;
        }
        let from = if starts_sentence(first) { i + 1 } else { i };
        if !TITLES.contains(&&original[first..first_end]) && j > from {
            capitals.extend(words[from..=j].iter().map(|w| w.1));
        }
        i = j + 1;
    }
    if capitals.is_empty() {
        return None;
    }
    // An ASCII letter for an ASCII letter: the same length, still UTF-8.
    let mut bytes = norm.text.clone().into_bytes();
    for s in capitals {
        bytes[s] = bytes[s].to_ascii_uppercase();
    }
    String::from_utf8(bytes).ok()
}

/// The stemmed words of `sentence`, into `out` (cleared first).
pub fn stems<'a>(sentence: &'a str, out: &mut Vec<&'a str>) {
    out.clear();
    out.extend(word_spans(sentence).map(|(s, e)| stem(&sentence[s..e])));
}

/// Call `each` with every feature of a sentence of `len` words, in order:
/// `slot(i)` is word `i`'s three tokens (the word, its class, its skeleton), any of
/// which may be missing; a feature is a token, or two words or classes
/// joined (a skeleton stands alone), given with the places of its words
/// (`[i, i]` for a token, `[first, second]` for two). The one walk
/// [`features_with`] (tokens are names), [`SentenceScorer`] (tokens are
/// numbers) and [`LinearModel::strongest_word_left_out`] make, so they
/// cannot disagree.
///
/// Written as plain loops over the fixed three and two tokens, which the
/// compiler unrolls (iterators flattening the `Option`s were a fifth of
/// full scoring's instructions).
fn for_each_feature<'s, T: Copy + 's>(
    len: usize,
    slot: impl Fn(usize) -> &'s [Option<T>; 3],
    mut each: impl FnMut(Feature<T>, [usize; 2]),
) {
    for i in 0..len {
        for t in slot(i) {
            let Some(t) = *t else { continue };
            each(Feature::Single(t), [i, i]);
        }
    }
    for (gap, kind) in [(1, Kind::Pair), (2, Kind::Skip)] {
        for i in gap..len {
            let (first, second) = (slot(i - gap), slot(i));
            for a in &first[..2] {
                let Some(a) = *a else { continue };
                for b in &second[..2] {
                    let Some(b) = *b else { continue };
                    each(Feature::Two(kind, a, b), [i - gap, i]);
                }
            }
        }
    }
}

/// One feature as [`for_each_feature`] gives it.
#[derive(Clone, Copy)]
enum Feature<T> {
    Single(T),
    Two(Kind, T, T),
}

impl Feature<&str> {
    /// The pieces of the feature's name.
    fn concat(self) -> String {
        match self {
            Feature::Single(a) => a.to_string(),
            Feature::Two(Kind::Skip, a, b) => [a, SKIP, b].concat(),
            Feature::Two(_, a, b) => [a, " ", b].concat(),
        }
    }
}

/// A model made ready to score many sentences fast: each word of a
/// sentence is looked up once, as a number, and its features are then
/// found by those numbers, so no feature name is built or compared. The
/// score is the same, to the bit, as [`LinearModel::score`] of
/// [`features`]: the same weights, added in the same order.
pub struct SentenceScorer {
    bias: f32,
    /// Every word (or class) that some feature is made of, numbered, with
    /// the number of its class ([`UNKNOWN`] where it has none, or where no
    /// feature is made of the word itself).
    words: HashMap<Box<str>, [u32; 2], FxBuildHasher>,
    /// Per word number: its weight alone (0 where it has none: adding 0
    /// changes no score) and which places of a pair or skip feature it
    /// holds in some feature ([`first`], [`second`]). A feature two words
    /// cannot make is not looked up: most are not, and each look-up in
    /// `weights` is a cache miss.
    numbered: Vec<Numbered>,
    /// Pair and skip features (their kind and words' numbers, see
    /// [`feature_key`]) → weight.
    weights: PairWeights,
    /// Whether any feature is a skeleton ([`skeleton`]): if none is, no
    /// word's skeleton is worked out.
    skeletons: bool,
    /// The largest weight, either sign: bounds the rounding of a sum.
    largest: f32,
    /// The largest weight of a skeleton alone, at least 0: the most a word
    /// outside every vocabulary (a misspelling) can add.
    skeleton_most: f32,
}

/// What one word can add to a sentence's sum in one scorer, at most, for
/// [`Scorers::screened`]: its word's, class's and skeleton's weights alone
/// (always added, whatever their sign), and per kind of pair (pair, skip)
/// how many of its word and class start one and end one (their
/// [`Numbered::places`]) and the largest weight of those
/// ([`Numbered::most_first`]). Two words at the kind's distance make at
/// most `starts × ends` features, each weighing at most the smaller
/// largest weight.
#[derive(Clone, Copy, Default)]
struct Reach {
    single: f32,
    first: [f32; 2],
    second: [f32; 2],
    starts: [u8; 2],
    ends: [u8; 2],
}

/// How many scorers the screen adds up at once: each scorer's sum is one
/// lane of a chunk of [`LANES`] ([`Reaches`]), so the compiler adds a
/// chunk's lanes together.
const LANES: usize = 8;

/// One word's [`Reach`] in the [`LANES`] scorers of one chunk (lane `l` of
/// chunk `c` is scorer `c * LANES + l`; a lane past the last scorer is 0),
/// the counts as floats.
#[derive(Clone, Copy, Default)]
struct Reaches {
    single: [f32; LANES],
    first: [[f32; LANES]; 2],
    second: [[f32; LANES]; 2],
    starts: [[f32; LANES]; 2],
    ends: [[f32; LANES]; 2],
}

impl Reaches {
    /// Into each lane of `sum` named in `lanes` ([`PairGate::lanes`]), the
    /// most a pair or skip (`pair` 0 or 1) of this word then `next` can
    /// add: `starts × ends` features, each weighing at most the smaller
    /// largest weight (a count of at most 4, so the product is exact, as it
    /// was in integers); 0 in the other lanes.
    #[inline(always)]
    fn add_in(&self, next: &Reaches, pair: usize, lanes: u8, sum: &mut [f32; LANES]) {
        let factors = &LANE_FACTORS[usize::from(lanes)];
        for (l, sum) in sum.iter_mut().enumerate() {
            let (a, b) = (self.first[pair][l], next.second[pair][l]);
            let least = if b < a { b } else { a };
            *sum += self.starts[pair][l] * next.ends[pair][l] * least * factors[l];
        }
    }

    /// Lane `l` set from one scorer's reach.
    fn set(&mut self, l: usize, reach: &Reach) {
        self.single[l] = reach.single;
        for pair in 0..2 {
            self.first[pair][l] = reach.first[pair];
            self.second[pair][l] = reach.second[pair];
            self.starts[pair][l] = f32::from(reach.starts[pair]);
            self.ends[pair][l] = f32::from(reach.ends[pair]);
        }
    }
}

/// One token of a word in a [`SentenceScorer`] (the word, its class or its
/// skeleton), as scoring reads it: its number, and its [`Numbered`]
/// weight alone and places, so that scoring reads no other table for a
/// word.
#[derive(Clone, Copy)]
pub struct Token {
    number: u32,
    single: f32,
    places: u8,
}

/// A [`SentenceScorer`]'s pair and skip features ([`feature_key`]) and
/// their weights, in one open-addressed table: a key's first slot is
/// taken from its top bits after one multiplication, then the slots after
/// it in turn, until the key or an empty slot (key 0, which no feature's
/// is: its kind is 1 or 2). At most half full, so a feature that is not
/// there is found missing after a slot or two.
#[derive(Default)]
struct PairWeights {
    slots: Vec<(u64, f32)>,
    /// 64 less the bits of a slot's index.
    shift: u32,
}

impl PairWeights {
    fn new(pairs: &[(u64, f32)]) -> PairWeights {
        let len = (2 * pairs.len()).next_power_of_two().max(2);
        let mut table = PairWeights {
            slots: vec![(0, 0.0); len],
            shift: 64 - len.trailing_zeros(),
        };
        for &(key, weight) in pairs {
            let mut at = table.first_slot(key);
            while table.slots[at].0 != 0 && table.slots[at].0 != key {
                at = (at + 1) & (len - 1);
            }
            table.slots[at] = (key, weight);
        }
        table
    }

    fn first_slot(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    #[inline]
    fn get(&self, key: u64) -> Option<f32> {
        self.slot_of(key).map(|(_, weight)| weight)
    }

    /// The slot holding `key` (one key to a slot) and its weight.
    #[inline]
    fn slot_of(&self, key: u64) -> Option<(usize, f32)> {
        let mask = self.slots.len().wrapping_sub(1);
        let mut at = self.first_slot(key);
        loop {
            let &(k, weight) = self.slots.get(at)?;
            if k == key {
                return Some((at, weight));
            }
            if k == 0 {
                return None;
            }
            at = (at + 1) & mask;
        }
    }
}

/// What [`SentenceScorer`] knows of one word number.
#[derive(Clone, Copy, Default)]
struct Numbered {
    single: f32,
    /// Bits: [`first`] and [`second`] of each kind the word is in.
    places: u8,
    /// Per kind of pair (pair, skip), the largest weight of a feature
    /// this word starts, and of one it ends, at least 0: a pair feature of
    /// two words weighs at most the smaller of the two ([`Reach`]).
    most_first: [f32; 2],
    most_second: [f32; 2],
}

/// The bit of `places` for a word first in a feature of `kind`.
fn first(kind: Kind) -> u8 {
    1 << (2 * kind as u8)
}

/// The bit of `places` for a word second in a feature of `kind`.
fn second(kind: Kind) -> u8 {
    2 << (2 * kind as u8)
}

/// The three kinds of feature, in the order [`for_each_feature`] walks them.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Single = 0,
    Pair = 1,
    Skip = 2,
}

/// A word no feature is made of: no feature holding it has a weight.
const UNKNOWN: u32 = u32::MAX;

impl SentenceScorer {
    pub fn new(model: &LinearModel) -> SentenceScorer {
        let mut scorer = SentenceScorer {
            bias: model.bias,
            words: HashMap::default(),
            numbered: Vec::new(),
            weights: PairWeights::default(),
            skeletons: false,
            largest: 0.0,
            skeleton_most: 0.0,
        };
        // Searched for with one finder, not a new searcher per feature.
        let skip = memchr::memmem::Finder::new(SKIP);
        let mut pairs = Vec::new();
        for (feature, &weight) in &model.weights {
            scorer.skeletons |= feature.starts_with(SKELETON);
            // A name is split the one way a feature's name is built (words
            // hold neither a space nor `…`); a name that is no feature's
            // gets pieces no word is, and so never weighs anything.
            let skipped = skip
                .find(feature.as_bytes())
                .map(|at| (&feature[..at], &feature[at + SKIP.len()..]));
            let (kind, first, second) = match (skipped, feature.split_once(' ')) {
                (Some((a, c)), _) => (Kind::Skip, a, c),
                (None, Some((a, b))) => (Kind::Pair, a, b),
                (None, None) => (Kind::Single, feature.as_str(), ""),
            };
            let a = scorer.number(first);
            match kind {
                Kind::Single => scorer.numbered[a as usize].single = weight,
                _ => {
                    let b = scorer.number(second);
                    scorer.numbered[a as usize].places |= self::first(kind);
                    scorer.numbered[b as usize].places |= self::second(kind);
                    pairs.push((feature_key(kind, a, b), weight));
                    let pair = kind as usize - 1;
                    let most = &mut scorer.numbered[a as usize].most_first[pair];
                    *most = most.max(weight);
                    let most = &mut scorer.numbered[b as usize].most_second[pair];
                    *most = most.max(weight);
                }
            }
            scorer.largest = scorer.largest.max(weight.abs());
            if kind == Kind::Single && feature.starts_with(SKELETON) {
                scorer.skeleton_most = scorer.skeleton_most.max(weight);
            }
        }
        scorer.weights = PairWeights::new(&pairs);
        for (word, class) in &model.classes.of_word {
            if let Some(&[class, _]) = scorer.words.get(class.as_str()) {
                scorer
                    .words
                    .entry(word.as_str().into())
                    .or_insert([UNKNOWN; 2])[1] = class;
            }
        }
        scorer
    }

    /// What a word whose numbers ([`SentenceScorer::numbers_of`]) are
    /// `numbers` can add at most.
    fn reach(&self, tokens: &[Option<Token>; 3]) -> Reach {
        let mut reach = Reach::default();
        for (slot, token) in tokens.iter().enumerate() {
            let Some(token) = token else { continue };
            let numbered = &self.numbered[token.number as usize];
            reach.single += numbered.single;
            if slot == 2 {
                // A skeleton stands alone.
                continue;
            }
            for (pair, kind) in [Kind::Pair, Kind::Skip].into_iter().enumerate() {
                if numbered.places & first(kind) != 0 {
                    reach.starts[pair] += 1;
                    reach.first[pair] = reach.first[pair].max(numbered.most_first[pair]);
                }
                if numbered.places & second(kind) != 0 {
                    reach.ends[pair] += 1;
                    reach.second[pair] = reach.second[pair].max(numbered.most_second[pair]);
                }
            }
        }
        reach
    }

    fn number(&mut self, word: &str) -> u32 {
        let next = self.words.len() as u32;
        assert!(next < 1 << 31, "a weights file of over 2^31 words");
        let number = self.words.entry(word.into()).or_insert([next, UNKNOWN])[0];
        if number == next {
            self.numbered.push(Numbered::default());
        }
        number
    }

    /// The score of the sentence whose stemmed words ([`stems`]) are
    /// `words`; `numbers` is scratch space.
    pub fn score(&self, words: &[&str], numbers: &mut Vec<[Option<Token>; 3]>) -> f32 {
        let mut buffer = String::new();
        numbers.clear();
        numbers.extend(words.iter().map(|w| self.numbers_of(w, &mut buffer)));
        self.score_numbered(numbers)
    }

    /// A word's token, its class's and its skeleton's, where some feature
    /// has them; `buffer` is scratch space for the skeleton.
    fn numbers_of(&self, word: &str, buffer: &mut String) -> [Option<Token>; 3] {
        let [number, class] = self.words.get(word).copied().unwrap_or([UNKNOWN; 2]);
        [
            self.token(number),
            self.token(class),
            self.skeleton_token(word, buffer),
        ]
    }

    /// The token of word number `number` ([`UNKNOWN`]: none).
    fn token(&self, number: u32) -> Option<Token> {
        let numbered = self.numbered.get(number as usize)?;
        Some(Token {
            number,
            single: numbered.single,
            places: numbered.places,
        })
    }

    /// The token of a word's skeleton, where some feature is that skeleton.
    fn skeleton_token(&self, word: &str, buffer: &mut String) -> Option<Token> {
        if !self.skeletons || !skeleton(word, buffer) {
            return None;
        }
        self.token(self.words.get(buffer.as_str())?[0])
    }

    /// The score of a sentence whose words have the tokens `numbers`
    /// ([`SentenceScorer::numbers_of`] each).
    fn score_numbered(&self, numbers: &[[Option<Token>; 3]]) -> f32 {
        self.score_by(numbers.len(), |i| &numbers[i])
    }

    /// The score of a sentence of `len` words whose word `i` has the
    /// tokens `slot(i)` ([`SentenceScorer::numbers_of`]).
    #[inline]
    fn score_by<'s>(&self, len: usize, slot: impl Fn(usize) -> &'s [Option<Token>; 3]) -> f32 {
        // Added up as `LinearModel::score` adds them, so the two agree to the bit.
        let mut sum = -0.0f32;
        for_each_feature(len, slot, |feature, _| match feature {
            Feature::Single(a) => sum += a.single,
            Feature::Two(kind, a, b) => {
                if a.places & first(kind) != 0 && b.places & second(kind) != 0 {
                    if let Some(w) = self.weights.get(feature_key(kind, a.number, b.number)) {
                        sum += w;
                    }
                }
            }
        });
        let z = self.bias + sum;
        1.0 / (1.0 + (-z).exp())
    }
}

/// The sum of weights (bias included) a sentence needs for a score of at
/// least `least`: `1 / (1 + exp(-z)) >= least`, taken for a score a
/// millionth less, so that the `f32` arithmetic of the score (a few units
/// in the last place of a number at most 1) cannot lift a sentence under
/// the floor to `least`. A least score of a millionth or less screens
/// nothing; an infinite one (no rule needs the scorer) screens everything.
fn floor_of(least: f32) -> f64 {
    let p = f64::from(least) - 1e-6;
    if p >= 1.0 {
        f64::INFINITY
    } else if p > 0.0 {
        (p / (1.0 - p)).ln()
    } else {
        f64::NEG_INFINITY
    }
}

/// The [`SentenceScorer`]s of several weights files over the same
/// sentences: each word is looked up once, in one vocabulary of all their
/// words, instead of once per weights file.
pub struct Scorers {
    scorers: Vec<SentenceScorer>,
    /// Per scorer: the least score a caller needs of it
    /// ([`Scorers::screened`]), as the sum of weights (bias included) that
    /// gives a little less than that score: a sentence whose sum cannot
    /// reach it is not scored.
    floors: Vec<f64>,
    /// The same for the pair pass ([`Scorers::screened_sentences`]): from the
    /// least score of the rules that read two sentences as one; infinite
    /// for a scorer no such rule uses, so the pass scores it on no pair.
    pair_floors: Vec<f64>,
    vocabulary: HashMap<Box<str>, u32, FxBuildHasher>,
    /// The vocabulary's words of at most 16 bytes (nearly every word a
    /// text holds), for [`Scorers::look_up`].
    short: ShortWords,
    /// For vocabulary word `i`, at `i * scorers.len() + k`: its numbers
    /// in scorer `k` ([`SentenceScorer::numbers_of`]); after the last
    /// word, at place [`Scorers::outside`], none.
    numbers: Vec<[Option<Token>; 3]>,
    /// For vocabulary word `i`, at `i * chunks + c`: what the word can add
    /// at most in the scorers of chunk `c` ([`Reaches`]); after the last
    /// word, at place [`Scorers::outside`], what a word outside every
    /// vocabulary can add at most (its skeleton alone).
    reach: Vec<Reaches>,
    /// How many chunks of [`LANES`] scorers there are.
    chunks: usize,
    /// Whether any scorer has a skeleton feature: a word outside the
    /// vocabulary (a misspelling) may still have a known skeleton.
    skeletons: bool,
    /// Which scorers two words in a row (or one apart) can raise at all:
    /// the screen counts a pair's or skip's most only for those.
    gate: PairGate,
}

/// For the screen ([`Scorers::screen`]): which scorers have a pair or skip
/// feature of positive weight that two given vocabulary words make, so
/// that the screen counts what a pair of words can add
/// ([`Reaches::add_in`]) only where some feature of the two can add
/// anything. Without it the screen let through nearly every sentence
/// holding a word that starts some heavy pair ("you", "will") and one
/// that ends some heavy pair, whatever the two words were, and full
/// scoring then found 99.5% of those under every floor.
///
/// A table of lane masks (bit `k % LANES` for scorer `k`) indexed by a
/// hash of (kind, first token, second token), the tokens named by their
/// vocabulary places: a collision only sets more bits, so a clear bit
/// means that no feature of that scorer made of those tokens weighs more
/// than 0, and the pair's terms cannot raise that scorer's sum (a sound
/// bound still). A word's tokens are itself and its class in every
/// scorer ([`SentenceScorer::numbers_of`], the skeleton aside: it stands
/// alone).
#[derive(Default)]
struct PairGate {
    /// Per vocabulary place (the place [`Scorers::outside`] last, with no
    /// token): its tokens ([`GateWord`]).
    words: Vec<GateWord>,
    /// Lane masks, a power of two of them.
    masks: Vec<u8>,
    /// 64 less the bits of a mask's index.
    shift: u32,
}

/// One vocabulary word as [`PairGate`] reads it.
#[derive(Clone, Copy)]
struct GateWord {
    /// The vocabulary places of its tokens, [`UNKNOWN`] after the last.
    tokens: [u32; 2],
    /// The [`first`] and [`second`] bits of every kind any of its tokens
    /// holds in any scorer, so that two words of which the first ends no
    /// pair or the second starts none read no mask.
    places: u8,
    /// More than two tokens (scorers with other classes for the word): the
    /// gate opens every lane for its pairs.
    many: bool,
}

impl PairGate {
    fn new(
        scorers: &[SentenceScorer],
        vocabulary: &HashMap<Box<str>, u32, FxBuildHasher>,
        numbers: &[[Option<Token>; 3]],
    ) -> PairGate {
        let (n, len) = (scorers.len(), vocabulary.len());
        // Per scorer: each word number's vocabulary place.
        let place_of: Vec<Vec<u32>> = (scorers.iter())
            .map(|scorer| {
                let mut place_of = vec![UNKNOWN; scorer.numbered.len()];
                for (word, &[number, _]) in &scorer.words {
                    if number != UNKNOWN {
                        place_of[number as usize] = vocabulary[word];
                    }
                }
                place_of
            })
            .collect();
        let none = GateWord {
            tokens: [UNKNOWN; 2],
            places: 0,
            many: false,
        };
        let mut gate = PairGate {
            words: vec![none; len + 1],
            ..PairGate::default()
        };
        for (place, word) in gate.words[..len].iter_mut().enumerate() {
            let mut tokens = Vec::new();
            for (k, numbers) in numbers[place * n..][..n].iter().enumerate() {
                for token in numbers[..2].iter().flatten() {
                    word.places |= token.places;
                    let at = place_of[k][token.number as usize];
                    if !tokens.contains(&at) {
                        tokens.push(at);
                    }
                }
            }
            word.many = tokens.len() > 2;
            for (slot, token) in word.tokens.iter_mut().zip(tokens) {
                *slot = token;
            }
        }
        let mut raising = Vec::new();
        for (k, scorer) in scorers.iter().enumerate() {
            for &(key, weight) in &scorer.weights.slots {
                if key != 0 && weight > 0.0 {
                    let (a, b) = (
                        (key >> 31) as u32 & (u32::MAX >> 1),
                        key as u32 & (u32::MAX >> 1),
                    );
                    let key = feature_key_of(
                        (key >> 62) as u8,
                        place_of[k][a as usize],
                        place_of[k][b as usize],
                    );
                    raising.push((key, 1u8 << (k % LANES)));
                }
            }
        }
        let size = (8 * raising.len()).next_power_of_two().max(64);
        gate.masks = vec![0; size];
        gate.shift = 64 - size.trailing_zeros();
        for (key, bit) in raising {
            let at = gate.slot(key);
            gate.masks[at] |= bit;
        }
        gate
    }

    #[inline]
    fn slot(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// The lanes whose scorers some feature of kind `kind` (pair or skip)
    /// made of the words `a` then `b` can raise.
    #[inline]
    fn lanes(&self, kind: Kind, a: &GateWord, b: &GateWord) -> u8 {
        if a.places & first(kind) == 0 || b.places & second(kind) == 0 {
            return 0;
        }
        if a.many || b.many {
            return u8::MAX;
        }
        let mut lanes = 0;
        for &x in a.tokens.iter().take_while(|&&x| x != UNKNOWN) {
            for &y in b.tokens.iter().take_while(|&&y| y != UNKNOWN) {
                let at = self.slot(feature_key_of(kind as u8, x, y));
                lanes |= self.masks.get(at).copied().unwrap_or(u8::MAX);
            }
        }
        lanes
    }
}

/// Per lane mask ([`PairGate::lanes`]): 1 in its lanes, 0 in the others,
/// to multiply a pair's most by.
static LANE_FACTORS: [[f32; LANES]; 256] = {
    let mut factors = [[0.0; LANES]; 256];
    let mut mask = 0;
    while mask < 256 {
        let mut l = 0;
        while l < LANES {
            if mask >> l & 1 != 0 {
                factors[mask][l] = 1.0;
            }
            l += 1;
        }
        mask += 1;
    }
    factors
};

/// Scratch space for [`Scorers::score`], reused from sentence to sentence.
#[derive(Default)]
pub struct ScoringScratch {
    /// Per word of the sentence: its place in the vocabulary.
    places: Vec<u32>,
    /// Per word of the sentence: its numbers in one scorer.
    numbers: Vec<[Option<Token>; 3]>,
    /// A word's skeleton, worked out in place.
    skeleton: String,
    /// The word spans of a text ([`Scorers::screened_sentences`]).
    spans: Vec<(usize, usize)>,
    /// The sentences of that text ([`super::sentence::split_at_words`]).
    sentences: Vec<Range<usize>>,
    /// Per sentence of that text: the index in `spans` of its first word,
    /// then the number of words.
    firsts: Vec<usize>,
    /// Per chunk: the screen's sums ([`Scorers::screened`]).
    most: Vec<[f32; LANES]>,
    /// Per word of a text, at `i * chunks + c`: its screen terms
    /// ([`Scorers::screen_terms`]), which every window holding it adds.
    terms: Vec<Terms>,
}

impl Scorers {
    /// `least[k]`: the least score anyone needs of scorer `k` (a rule's
    /// `min_score`); [`Scorers::screened`] leaves out what cannot reach it.
    /// The score scorer `k` gives the sentence whose stemmed words
    /// ([`stems`]) are `words` ([`SentenceScorer::score`]: the weights
    /// file's score of the sentence's features, to the bit).
    pub fn score_one(
        &self,
        k: usize,
        words: &[&str],
        numbers: &mut Vec<[Option<Token>; 3]>,
    ) -> f32 {
        self.scorers[k].score(words, numbers)
    }

    pub fn new(scorers: Vec<SentenceScorer>, least: &[f32]) -> Scorers {
        assert_eq!(scorers.len(), least.len(), "a least score per scorer");
        let mut vocabulary: HashMap<Box<str>, u32, FxBuildHasher> = HashMap::default();
        for word in scorers.iter().flat_map(|s| s.words.keys()) {
            let next = vocabulary.len() as u32;
            vocabulary.entry(word.clone()).or_insert(next);
        }
        assert!(
            vocabulary.len() < u32::MAX as usize,
            "a vocabulary of 2^32 words"
        );
        let n = scorers.len();
        // After the last word, at place `outside`: a word outside every
        // vocabulary, none of whose tokens is known (its skeleton, where a
        // scorer has skeletons, is worked out when scored).
        let mut numbers = vec![[None; 3]; (vocabulary.len() + 1) * n];
        let mut buffer = String::new();
        for (word, &place) in &vocabulary {
            for (k, scorer) in scorers.iter().enumerate() {
                numbers[place as usize * n + k] = scorer.numbers_of(word, &mut buffer);
            }
        }
        let chunks = n.div_ceil(LANES);
        let mut reach = vec![Reaches::default(); (vocabulary.len() + 1) * chunks];
        for (at, numbers) in numbers[..vocabulary.len() * n].iter().enumerate() {
            let (place, k) = (at / n, at % n);
            let reach = &mut reach[place * chunks + k / LANES];
            reach.set(k % LANES, &scorers[k].reach(numbers));
        }
        // Outside every vocabulary: at most a skeleton alone.
        let outside = vocabulary.len() * chunks;
        for (k, scorer) in scorers.iter().enumerate() {
            let most = Reach {
                single: scorer.skeleton_most,
                ..Reach::default()
            };
            reach[outside + k / LANES].set(k % LANES, &most);
        }
        let floors: Vec<f64> = least.iter().map(|&least| floor_of(least)).collect();
        let skeletons = scorers.iter().any(|s| s.skeletons);
        let gate = PairGate::new(&scorers, &vocabulary, &numbers);
        Scorers {
            short: ShortWords::new(&vocabulary),
            gate,
            scorers,
            pair_floors: floors.clone(),
            floors,
            vocabulary,
            numbers,
            reach,
            chunks,
            skeletons,
        }
    }

    pub fn len(&self) -> usize {
        self.scorers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scorers.is_empty()
    }

    /// The place of a word outside every vocabulary.
    fn outside(&self) -> u32 {
        self.vocabulary.len() as u32
    }

    /// Into `scores[k]`, the score of scorer `k` for the sentence whose
    /// stemmed words ([`stems`]) are `words`: [`SentenceScorer::score`]
    /// of each, to the bit.
    pub fn score(&self, words: &[&str], scratch: &mut ScoringScratch, scores: &mut [f32]) {
        let mut places = std::mem::take(&mut scratch.places);
        self.look_up(words, &mut places);
        for (k, score) in scores.iter_mut().enumerate() {
            self.number_words(k, Stems::Stemmed(words), &places, scratch);
            *score = self.scorers[k].score_numbered(&scratch.numbers);
        }
        scratch.places = places;
    }

    /// `least[k]`: the least score a rule reading two sentences as one
    /// needs of scorer `k` (infinite where none does): the pair pass
    /// screens against these instead of every rule's least score.
    pub fn with_pairs_least(mut self, least: &[f32]) -> Scorers {
        assert_eq!(self.scorers.len(), least.len(), "a least score per scorer");
        self.pair_floors = least.iter().map(|&least| floor_of(least)).collect();
        self
    }

    /// As [`Scorers::score`], but `None` for a scorer the sentence cannot
    /// reach the least score of (given to [`Scorers::new`]), without
    /// scoring it: most sentences are far from every threshold. The screen
    /// ([`Scorers::screen`]) looks up no pair feature; a
    /// sentence whose most, with room for the rounding of both sums, is
    /// under the floor cannot score the least score. A score given is the
    /// full one, to the bit.
    pub fn screened(
        &self,
        words: &[&str],
        scratch: &mut ScoringScratch,
        scores: &mut [Option<f32>],
    ) {
        self.screened_as(false, words, scratch, scores);
    }

    /// As [`Scorers::screened`], against the pair pass's floors
    /// ([`Scorers::with_pairs_least`]) where `pair`.
    pub fn screened_as(
        &self,
        pair: bool,
        words: &[&str],
        scratch: &mut ScoringScratch,
        scores: &mut [Option<f32>],
    ) {
        let floors = if pair {
            &self.pair_floors
        } else {
            &self.floors
        };
        let mut places = std::mem::take(&mut scratch.places);
        self.look_up(words, &mut places);
        self.screen_terms(&places, &mut scratch.terms);
        self.screen(&places, &scratch.terms, 0..places.len(), &mut scratch.most);
        self.screened_placed(Stems::Stemmed(words), &places, floors, scratch, scores);
        scratch.places = places;
    }

    /// [`Scorers::screened`] of every unit of `text` ([`units`]), in order
    /// (`each` given `false`, the unit's range and its scores), then, where
    /// `pairs`, the pair pass (`each` given `true`): each two adjacent
    /// sentences of one paragraph ([`sentence_pairs`]) read as one sentence,
    /// in its windows, screened against the floors of the rules that read
    /// two sentences as one — a threat whose target is in one sentence and
    /// whose harm is in the next ("I know where Mr Hale parks. His face
    /// won't look the same."). A scorer no such rule reads is not screened
    /// on pairs at all.
    ///
    /// Each word of `text` is split out, stemmed and looked up once for
    /// both passes. A pair's words are its first sentence's words then its
    /// second's: the first ends with its `.`, `!` or `?` (a sentence ended
    /// by a line break starts no pair), the second starts after white
    /// space, and what lies between holds no letter or digit (a piece
    /// without one is no sentence; a run of apostrophes alone is no word),
    /// so splitting the pair's text gives no other word. Its units and
    /// scores are those of splitting, stemming and looking up the pair's
    /// text again, to the bit (the model screen test checks both passes).
    /// Each word's screen terms are worked out once for the text
    /// ([`Scorers::screen_terms`]) and added up per window, a pair's
    /// windows as a sentence's ([`Scorers::screen`]).
    pub fn screened_sentences(
        &self,
        text: &str,
        pairs: bool,
        scratch: &mut ScoringScratch,
        scores: &mut [Option<f32>],
        each: impl FnMut(bool, Range<usize>, &[Option<f32>]),
    ) {
        let mut spans = std::mem::take(&mut scratch.spans);
        spans.clear();
        spans.extend(word_spans(text));
        let mut keep = Sentences::default();
        self.screened_words(text, &spans, pairs, scratch, scores, &mut keep, each);
        scratch.spans = spans;
    }

    /// [`Scorers::screened_sentences`] of a text whose word spans
    /// ([`word_spans`]) are `spans`: split out once for the model and
    /// for [`names_unread_in`], whose text differs from the model's only in
    /// the case of ASCII letters (the same words, the same sentence ends).
    /// The sentences are found from the words
    /// ([`super::sentence::split_at_words`]), and each sentence's words are
    /// those of splitting it on its own. The sentences and where each
    /// starts among the words (`split_at_words`' `sentences` and `firsts`)
    /// are added to `keep`, for the message models
    /// ([`MessageWords::push_units`]) and the message guards
    /// ([`units_at_words`]).
    #[allow(clippy::too_many_arguments)]
    pub fn screened_words(
        &self,
        text: &str,
        spans: &[(usize, usize)],
        pairs: bool,
        scratch: &mut ScoringScratch,
        scores: &mut [Option<f32>],
        keep: &mut Sentences,
        mut each: impl FnMut(bool, Range<usize>, &[Option<f32>]),
    ) {
        let mut sentences = std::mem::take(&mut scratch.sentences);
        let mut firsts = std::mem::take(&mut scratch.firsts);
        let mut places = std::mem::take(&mut scratch.places);
        let mut terms = std::mem::take(&mut scratch.terms);
        super::sentence::split_at_words(text, spans, &mut sentences, &mut firsts);
        keep.ranges.extend_from_slice(&sentences);
        keep.firsts.extend_from_slice(&firsts);
        // Each word stemmed and looked up in one step, its place alone
        // kept: a stem is read again only where a scorer with skeletons
        // numbers a word outside every vocabulary ([`Stems::Spans`]).
        places.clear();
        places.extend(spans.iter().map(|&(s, e)| self.place_of(stem(&text[s..e]))));
        keep.places.extend_from_slice(&places);
        // Across sentence ends too: a window's screen adds only the terms
        // of its own words' pairs, the pair pass the ones between its two
        // sentences.
        self.screen_terms(&places, &mut terms);
        let placed = Placed {
            text,
            spans,
            places: &places,
            terms: &terms,
        };
        for (i, sentence) in sentences.iter().enumerate() {
            let of = firsts[i]..firsts[i + 1];
            self.screened_windows(
                &placed,
                sentence.clone(),
                of,
                &self.floors,
                scratch,
                scores,
                |unit, scores| each(false, unit, scores),
            );
        }
        if pairs {
            for (i, two) in sentences.windows(2).enumerate() {
                if !paired(text, &two[0], &two[1]) {
                    continue;
                }
                let (unit, of) = (two[0].start..two[1].end, firsts[i]..firsts[i + 2]);
                self.screened_windows(
                    &placed,
                    unit,
                    of,
                    &self.pair_floors,
                    scratch,
                    scores,
                    |unit, scores| each(true, unit, scores),
                );
            }
        }
        scratch.sentences = sentences;
        scratch.firsts = firsts;
        scratch.places = places;
        scratch.terms = terms;
    }

    /// The windows of one span read as a sentence (`unit`, whose words are
    /// `of` in `placed`), each screened against `floors`.
    #[allow(clippy::too_many_arguments)]
    fn screened_windows(
        &self,
        placed: &Placed,
        unit: Range<usize>,
        of: Range<usize>,
        floors: &[f64],
        scratch: &mut ScoringScratch,
        scores: &mut [Option<f32>],
        mut each: impl FnMut(Range<usize>, &[Option<f32>]),
    ) {
        for w in window_words(of.len()) {
            let unit = match w.len() == of.len() {
                true => unit.clone(),
                false => placed.spans[of.start + w.start].0..placed.spans[of.start + w.end - 1].1,
            };
            let w = of.start + w.start..of.start + w.end;
            self.screen(placed.places, placed.terms, w.clone(), &mut scratch.most);
            self.screened_placed(
                Stems::Spans(placed.text, &placed.spans[w.clone()]),
                &placed.places[w],
                floors,
                scratch,
                scores,
            );
            each(unit, scores);
        }
    }

    /// Into `most` (one per chunk of scorers), the screen's sums of the
    /// words `w` of a text whose words' places ([`Scorers::look_up`]) are
    /// `places` and whose screen terms ([`Scorers::screen_terms`]) are
    /// `terms`: what the words of `w` can add at most, alone and in the
    /// pairs and skips within `w`.
    ///
    /// Each word's terms were worked out once for the text, so a word in
    /// two overlapping windows (every word of a long sentence) is not
    /// worked out twice: a window adds the terms of its words but its last
    /// two, then its last but one alone and with the last
    /// ([`Terms::pair`]), then its last alone (its reach's `single`). The
    /// same terms as adding each word alone, with the next and with the one
    /// after in turn, grouped otherwise: a bound of the rounding of a sum
    /// of `f` terms holds in whatever order they are added
    /// ([`Scorers::screened_placed`]), so a window the screen leaves out
    /// still cannot reach its floor, and a score it lets through is the
    /// full one as before.
    fn screen(
        &self,
        places: &[u32],
        terms: &[Terms],
        w: Range<usize>,
        most: &mut Vec<[f32; LANES]>,
    ) {
        let chunks = self.chunks;
        most.clear();
        most.resize(chunks, [-0.0; LANES]);
        let Some(last) = w.end.checked_sub(1).filter(|&last| last >= w.start) else {
            return;
        };
        for (c, sum) in most.iter_mut().enumerate() {
            let mut add = |terms: &[f32; LANES]| {
                for (sum, term) in sum.iter_mut().zip(terms) {
                    *sum += term;
                }
            };
            for i in w.start..last.saturating_sub(1).max(w.start) {
                add(&terms[i * chunks + c].all);
            }
            if last > w.start {
                add(&terms[(last - 1) * chunks + c].pair);
            }
            add(&self.reach[places[last] as usize * chunks + c].single);
        }
    }

    /// Per word at `places` and chunk of scorers, into `terms` (at `i *
    /// chunks + c`): what the word can add at most alone and with the next
    /// word ([`Terms::pair`]), and that and with the one after
    /// ([`Terms::all`]). A pair's or skip's most counts only in the lanes
    /// whose scorers some feature of its two words can raise
    /// ([`PairGate::lanes`]); past the last word, none.
    fn screen_terms(&self, places: &[u32], terms: &mut Vec<Terms>) {
        let (chunks, gate) = (self.chunks, &self.gate);
        terms.clear();
        let row = |i: usize| &self.reach[places[i] as usize * chunks..][..chunks];
        let word = |i: usize| places.get(i).map(|&p| &gate.words[p as usize]);
        let (mut next, mut after) = (word(1), word(2));
        for (i, &p) in places.iter().enumerate() {
            let this = &gate.words[p as usize];
            let to_next = next.map_or(0, |next| gate.lanes(Kind::Pair, this, next));
            let to_after = after.map_or(0, |after| gate.lanes(Kind::Skip, this, after));
            for (c, reach) in row(i).iter().enumerate() {
                let mut pair = reach.single;
                if to_next != 0 {
                    reach.add_in(&row(i + 1)[c], 0, to_next, &mut pair);
                }
                let mut all = pair;
                if to_after != 0 {
                    reach.add_in(&row(i + 2)[c], 1, to_after, &mut all);
                }
                terms.push(Terms { pair, all });
            }
            (next, after) = (after, word(i + 3));
        }
    }

    /// [`Scorers::screened`] of `words`, whose places ([`Scorers::look_up`])
    /// are `places` and whose screen's sums ([`Scorers::screen`]) are
    /// `scratch.most`, against `floors` (one per scorer): each scorer whose
    /// sum, with room for rounding, reaches its floor is scored in full;
    /// the rest `None`.
    fn screened_placed(
        &self,
        words: Stems,
        places: &[u32],
        floors: &[f64],
        scratch: &mut ScoringScratch,
        scores: &mut [Option<f32>],
    ) {
        // Each word brings at most 11 features (3 alone, 4 pairs, 4 skips);
        // the rounding of a sum of `f` terms, each at most `largest`, is
        // under `f * f * largest * 2^-24`, in whatever order they are
        // added: twice that (one more term for the bias) covers the
        // screen's sum and the score's.
        let terms = (11 * places.len() + 1) as f64;
        for (k, (scorer, score)) in self.scorers.iter().zip(scores).enumerate() {
            if floors[k] == f64::INFINITY {
                // No rule of this pass needs the scorer (the pair pass
                // and a weights file no pair rule reads): never scored.
                *score = None;
                continue;
            }
            let largest = f64::from(scorer.largest.max(scorer.bias.abs()));
            let rounding = terms * terms * largest * 2f64.powi(-23);
            let sum = scratch.most[k / LANES][k % LANES];
            let most = f64::from(scorer.bias) + f64::from(sum) + rounding;
            *score = (most >= floors[k]).then(|| self.score_placed(k, words, places, scratch));
        }
    }

    /// Scorer `k`'s score of `words`, whose places ([`Scorers::look_up`])
    /// are `places`: [`SentenceScorer::score_numbered`] of their
    /// [`Scorers::number_words`], to the bit, with each word's tokens read
    /// where they lie in `numbers` rather than copied. Only where the
    /// scorer has skeletons and a word is outside every vocabulary (whose
    /// skeleton may still be known) are they copied, as before.
    fn score_placed(
        &self,
        k: usize,
        words: Stems,
        places: &[u32],
        scratch: &mut ScoringScratch,
    ) -> f32 {
        let scorer = &self.scorers[k];
        if scorer.skeletons && places.contains(&self.outside()) {
            self.number_words(k, words, places, scratch);
            return scorer.score_numbered(&scratch.numbers);
        }
        let n = self.scorers.len();
        let numbers = &self.numbers[k..];
        scorer.score_by(places.len(), |i| &numbers[places[i] as usize * n])
    }

    /// Each word's place in the vocabulary, into `places`
    /// ([`Scorers::outside`] for a word in none).
    fn look_up(&self, words: &[&str], places: &mut Vec<u32>) {
        places.clear();
        places.extend(words.iter().map(|w| self.place_of(w)));
    }

    /// A stem's place in the vocabulary ([`Scorers::outside`] for one in
    /// none).
    #[inline]
    fn place_of(&self, word: &str) -> u32 {
        let place = match self.short.get(word.as_bytes()) {
            Some(place) => place,
            None => self.vocabulary.get(word).copied(),
        };
        place.unwrap_or(self.outside())
    }

    /// The numbers in scorer `k` ([`SentenceScorer::numbers_of`]) of
    /// `words`, whose places ([`Scorers::look_up`]) are `places`, into
    /// `scratch.numbers`.
    fn number_words(&self, k: usize, words: Stems, places: &[u32], scratch: &mut ScoringScratch) {
        let (scorer, n, outside) = (&self.scorers[k], self.scorers.len(), self.outside());
        scratch.numbers.clear();
        for (i, &place) in places.iter().enumerate() {
            let word = words.get(i);
            let numbers = match place {
                // Outside every scorer's vocabulary: only its skeleton
                // can be known.
                p if p == outside && self.skeletons => [
                    None,
                    None,
                    scorer.skeleton_token(word(), &mut scratch.skeleton),
                ],
                p if p == outside => [None; 3],
                p => self.numbers[p as usize * n + k],
            };
            scratch.numbers.push(numbers);
        }
    }
}

/// A vocabulary's words of at most 16 bytes and their places, in one
/// open-addressed table ([`Scorers::look_up`]): a word's bytes, padded with
/// zeros, are two 64-bit numbers, so finding it hashes and compares those
/// and its length, where the vocabulary's map hashed the bytes one piece
/// at a time, searched a group of slots and compared the bytes by `memcmp`.
/// A key's first slot is taken from the top bits of one multiplication,
/// then the slots after it in turn, until the key or an empty slot; at
/// most half full.
#[derive(Default)]
struct ShortWords {
    slots: Vec<ShortWord>,
    /// 64 less the bits of a slot's index.
    shift: u32,
}

/// One slot of [`ShortWords`]: a word's bytes ([`packed`]) and length, and
/// its place (`u32::MAX`: an empty slot).
#[derive(Clone, Copy)]
struct ShortWord {
    bytes: [u64; 2],
    len: u32,
    place: u32,
}

/// A word of at most 16 bytes as two numbers, its bytes in order from the
/// low byte of the first, zeros after its end; `None` for a longer word.
#[inline]
fn packed(word: &[u8]) -> Option<[u64; 2]> {
    let mut buffer = [0u8; 16];
    buffer.get_mut(..word.len())?.copy_from_slice(word);
    let (lo, hi) = buffer.split_at(8);
    Some([
        u64::from_le_bytes(lo.try_into().ok()?),
        u64::from_le_bytes(hi.try_into().ok()?),
    ])
}

impl ShortWords {
    fn new(vocabulary: &HashMap<Box<str>, u32, FxBuildHasher>) -> ShortWords {
        let short = vocabulary.keys().filter(|w| w.len() <= 16).count();
        let size = (2 * short).next_power_of_two().max(2);
        let empty = ShortWord {
            bytes: [0; 2],
            len: 0,
            place: u32::MAX,
        };
        let mut table = ShortWords {
            slots: vec![empty; size],
            shift: 64 - size.trailing_zeros(),
        };
        for (word, &place) in vocabulary {
            let Some(bytes) = packed(word.as_bytes()) else {
                continue;
            };
            let len = word.len() as u32;
            let mut at = table.first_slot(bytes, len);
            while table.slots[at].place != u32::MAX {
                at = (at + 1) & (size - 1);
            }
            table.slots[at] = ShortWord { bytes, len, place };
        }
        table
    }

    #[inline]
    fn first_slot(&self, bytes: [u64; 2], len: u32) -> usize {
        let key = bytes[0] ^ bytes[1].rotate_left(29) ^ u64::from(len) << 58;
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// The place of `word`: `Some(None)` where it is short and not in the
    /// vocabulary, `None` where it is too long for the table to say.
    #[inline]
    fn get(&self, word: &[u8]) -> Option<Option<u32>> {
        let bytes = packed(word)?;
        let len = word.len() as u32;
        let mask = self.slots.len().wrapping_sub(1);
        let mut at = self.first_slot(bytes, len);
        loop {
            let Some(slot) = self.slots.get(at) else {
                return Some(None);
            };
            if slot.place == u32::MAX {
                return Some(None);
            }
            if slot.bytes == bytes && slot.len == len {
                return Some(Some(slot.place));
            }
            at = (at + 1) & mask;
        }
    }
}

/// The words of a text, split out, stemmed and looked up once
/// ([`Scorers::screened_sentences`]): per word, its byte span in the text
/// and its stem's place in the vocabulary.
struct Placed<'a> {
    text: &'a str,
    spans: &'a [(usize, usize)],
    places: &'a [u32],
    /// Per word and chunk: [`Scorers::screen_terms`].
    terms: &'a [Terms],
}

/// The stems of a run of words whose places a scorer reads
/// ([`Scorers::number_words`]): given, or each worked out from its word's
/// span in a text ([`stem`]) only where it is read, which is only for a
/// word outside every vocabulary in a scorer with skeletons.
#[derive(Clone, Copy)]
enum Stems<'a> {
    Stemmed(&'a [&'a str]),
    Spans(&'a str, &'a [(usize, usize)]),
}

impl<'a> Stems<'a> {
    /// Word `i`'s stem, worked out when called.
    fn get(self, i: usize) -> impl FnOnce() -> &'a str {
        move || match self {
            Stems::Stemmed(words) => words[i],
            Stems::Spans(text, spans) => stem(&text[spans[i].0..spans[i].1]),
        }
    }
}

/// One word's screen terms in one chunk of scorers
/// ([`Scorers::screen_terms`]).
#[derive(Clone, Copy)]
struct Terms {
    /// The most the word can add alone and with the next word.
    pair: [f32; LANES],
    /// That, and with the word after the next.
    all: [f32; LANES],
}

/// One number for a feature: its kind and its (one or two) words' numbers.
fn feature_key(kind: Kind, first: u32, second: u32) -> u64 {
    feature_key_of(kind as u8, first, second)
}

/// [`feature_key`] of a kind given as its number.
fn feature_key_of(kind: u8, first: u32, second: u32) -> u64 {
    u64::from(kind) << 62 | u64::from(first) << 31 | u64::from(second)
}

/// A word's letter-skeleton, into `out` (cleared first), as a feature name:
/// [`SKELETON`], the first letter, then the consonants after it with
/// doubled letters made single and anything but letters dropped (`~thrtn`
/// for `threaten`, `thretening` and `threatning`; `~bstrd` for `bastard`
/// and `basterd`). False, and no skeleton, for a word of under five letters
/// or whose skeleton is under three: short skeletons (`~kl`, `~mk`) are
/// shared by too many ordinary words and flagged ordinary mail.
pub fn skeleton(word: &str, out: &mut String) -> bool {
    out.clear();
    // Under five bytes is under five letters: no skeleton, told without
    // reading the word (most words are short).
    if word.len() < 5 {
        return false;
    }
    out.push(SKELETON);
    let (mut letters, mut kept, mut last) = (0, 0, None);
    for c in word.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        if last == Some(c) {
            continue;
        }
        last = Some(c);
        if letters > 1 && matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y') {
            continue;
        }
        out.push(c);
        kept += 1;
    }
    letters >= 5 && kept >= 3
}

/// What every number becomes: in angle brackets, which no word contains
/// (and not `#`, which starts a comment in the weights file).
const NUMBER: &str = "<n>";

/// A light stemmer: numbers become `<n>`; `'s`, `-ing`, `-ed` and plural `-s`
/// come off long enough words. Crude, but it lets `burning`, `burned` and
/// `burns` share what the model learnt about `burn`.
fn stem(word: &str) -> &str {
    // Bytes, not characters, where it gives the same answer: a digit is
    // one byte, and a suffix is ASCII; the length in characters (the
    // bytes that start one) is counted only where a suffix is there.
    if word.bytes().all(|b| b.is_ascii_digit()) {
        return NUMBER;
    }
    let w = word.strip_suffix("'s").unwrap_or(word);
    let chars = || w.bytes().filter(|&b| !is_continuation(b)).count();
    if w.ends_with("ing") && chars() >= 6 {
        return &w[..w.len() - 3];
    }
    if w.ends_with("ed") && chars() >= 5 {
        return &w[..w.len() - 2];
    }
    if w.ends_with('s')
        && !w.ends_with("ss")
        && !w.ends_with("us")
        && !w.ends_with("is")
        && chars() >= 4
    {
        return &w[..w.len() - 1];
    }
    w
}

/// Whether a byte of UTF-8 continues a character (`10xxxxxx`) rather than
/// starting one: a text's length in characters is the count of the rest.
fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_stemmed_words_pairs_and_skips() {
        let f = features("i'll burn your offices down");
        for want in [
            "i'll",
            "burn",
            "office",
            "burn your",
            "your office",
            "burn … office",
        ] {
            assert!(f.iter().any(|x| x == want), "{want} missing from {f:?}");
        }
        assert_eq!(features("ring 01632 960000")[1], "<n>");
    }

    #[test]
    fn long_sentences_are_scored_in_overlapping_windows() {
        let short = "i will come round";
        assert_eq!(windows(short), vec![0..short.len()]);
        let long: String = (0..70).map(|i| format!("w{i} ")).collect();
        let w = windows(&long);
        assert_eq!(w.len(), 4, "{w:?}");
        assert!(long[w[0].clone()].starts_with("w0 ") && long[w[0].clone()].ends_with("w29"));
        assert!(long[w[1].clone()].starts_with("w15 "));
        assert!(long[w[3].clone()].ends_with("w69"));
    }

    #[test]
    fn skeletons_share_misspellings_and_name_their_word() {
        let mut s = String::new();
        for word in ["threaten", "thretening", "threatning"] {
            assert!(skeleton(word, &mut s), "{word}");
            assert!(s.starts_with("~thrtn"), "{word}: {s}");
        }
        // Short words get none: their skeletons are shared by too many.
        assert!(!skeleton("kill", &mut s));
        let mut m = LinearModel::default();
        m.weights.insert("~dpt".into(), 2.0);
        assert!(m.score(&features("burn the deppot")) > 0.8);
        let why = m.contributions(&features("burn the deppot"));
        assert_eq!(why, vec![("~dpt (deppot)".to_string(), 2.0)]);
    }

    #[test]
    fn weights_file_round_trips_and_scores() {
        let mut m = LinearModel {
            bias: -2.0,
            ..Default::default()
        };
        m.weights.insert("burn".into(), 3.0);
        m.weights.insert("rubbish".into(), -1.0);
        m.weights.insert("bias".into(), 0.5);
        let back = LinearModel::parse(&m.render("test model")).unwrap();
        assert_eq!(back, m);
        assert!(m.score(&features("i will burn it")) > 0.7);
        assert!(m.score(&features("the rubbish")) < 0.2);
        let why = m.contributions(&features("burn burn rubbish"));
        assert_eq!(why, vec![("burn".to_string(), 3.0)]);
    }

    /// A shipped message model (`rules/model/<file>.message.tsv`).
    fn shipped_message_model(file: &str) -> LinearModel {
        shipped_model(&format!("{file}.message"))
    }

    /// A shipped model (`rules/model/<name>.tsv`).
    fn shipped_model(name: &str) -> LinearModel {
        let path = format!("{}/rules/model/{name}.tsv", env!("CARGO_MANIFEST_DIR"));
        LinearModel::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// Messages (their own sentences) that the message-score tests score:
    /// abuse with a threat, a property threat, ordinary business.
    fn sample_messages() -> Vec<Vec<&'static str>> {
        vec![
            vec![
                "you useless idiot, i'll knife you",
                "you useless idiot again",
            ],
            vec![
                "i'll burn your offices down",
                "your van. your depot. again.",
            ],
            vec!["the bins were not collected on 12 march"],
        ]
    }

    /// A message model's score read straight from each sentence's features
    /// is the score of the copied bag ([`message_features`]), to the bit.
    #[test]
    fn the_message_score_is_the_score_of_its_bag() {
        for file in ["abuse", "threat_violence", "threat_property"] {
            let model = shipped_message_model(file);
            for sentences in sample_messages().into_iter().chain([vec![]]) {
                let sentences: Vec<String> = sentences.into_iter().map(String::from).collect();
                let bag = model.score(&message_features(&model, &sentences));
                assert_eq!(
                    message_score(&model, &sentences).to_bits(),
                    bag.to_bits(),
                    "{file}: {sentences:?}"
                );
            }
        }
    }

    /// A message model's score by number ([`SentenceScorer::message_score`])
    /// is the bag's ([`message_score`]), to the bit: on the shipped message
    /// models, and on a model with the cases the numbered walk treats apart
    /// (weights of 0 and -0, a bias of 0, a feature said twice in a
    /// sentence and again in the next, a pair and a skip of the same words,
    /// classes, skeletons, sentences of over thirty words, read in
    /// overlapping windows).
    #[test]
    fn the_numbered_message_score_is_the_bags_to_the_bit() {
        let mut sentences = sample_messages();
        sentences.extend([
            vec!["burn burn burn your your office's", "burn your office"],
            vec!["thretening threatening threaten you", "zzqx burn zzqx your office"],
            vec![
                "i will i will i will burn it you you you idiot idiot the the a a b b c c d d e e f f g g h h",
                "i will burn it you idiot the a b c d e f g h i will burn it you idiot",
            ],
            vec![
                "burn your office you idiot i will burn it zzqx thretening your your van \
                 a b c d e f g h i j k l m n o p q r s t u v w x y z burn your office \
                 idiot idiot you you i will knife you threatening your depot again and \
                 again the the a a b b c c burn burn your your office's idiot",
                "short one",
            ],
            vec![],
        ]);
        let mut models: Vec<LinearModel> = [
            "abuse",
            "threat_violence",
            "threat_property",
            "threat_self_harm",
            "discrimination",
        ]
        .into_iter()
        .map(shipped_message_model)
        .collect();
        let mut zeros = LinearModel::default();
        zeros.classes.add("harm", ["burn", "knife"]);
        for (feature, weight) in [
            ("burn", 0.0),
            ("you", -0.0),
            ("[harm]", 1.25),
            ("i will", 0.0),
            ("will burn", 0.5),
            ("i … burn", -0.75),
            ("[harm] you", 0.3),
            ("burn your", 2.0),
            ("your your", -0.0),
            ("~thrtn", 0.7),
            ("idiot", 1e-3),
            ("idiot idiot", 3.5),
        ] {
            zeros.weights.insert(feature.into(), weight);
        }
        models.push(zeros.clone());
        zeros.weights.retain(|_, w| *w == 0.0);
        models.push(zeros);
        let mut scratch = MessageScratch::default();
        for model in &models {
            let scorer = SentenceScorer::new(model);
            for sentences in &sentences {
                let sentences: Vec<String> = sentences.iter().map(|s| s.to_string()).collect();
                let mut words = MessageWords::default();
                for sentence in &sentences {
                    words.push(sentence);
                }
                assert_eq!(
                    scorer.message_score(&words, &mut scratch).to_bits(),
                    message_score(model, &sentences).to_bits(),
                    "{sentences:?}"
                );
            }
        }
        // Numbered by their places in a sentence vocabulary (a message
        // model's, so that some words are in it and some are not, and
        // the model's own): the same scores as looked up by their stems.
        for vocabulary in [&models[0], &models[5]] {
            let scorers = Scorers::new(vec![SentenceScorer::new(vocabulary)], &[0.5]);
            for model in &models {
                let (scorer, placed) = (
                    SentenceScorer::new(model),
                    MessageScorer::new(model, &scorers),
                );
                for sentences in &sentences {
                    let text = sentences.join(".\n");
                    let spans: Vec<_> = word_spans(&text).collect();
                    let stems: Vec<&str> = spans.iter().map(|&(s, e)| stem(&text[s..e])).collect();
                    let mut places = Vec::new();
                    scorers.look_up(&stems, &mut places);
                    let (mut by_stem, mut by_place) =
                        (MessageWords::default(), MessageWords::default());
                    by_stem.push_units(&text, &spans, &[], &[]);
                    by_place.push_units(&text, &spans, &[], &places);
                    assert_eq!(
                        placed.message_score(&by_place, &mut scratch).to_bits(),
                        scorer.message_score(&by_stem, &mut scratch).to_bits(),
                        "{text:?}"
                    );
                    // And the bag's of the text's units, each walked whole.
                    let units: Vec<String> = units(&text)
                        .into_iter()
                        .map(|u| text[u].to_string())
                        .collect();
                    assert_eq!(
                        scorer.message_score(&by_stem, &mut scratch).to_bits(),
                        message_score(model, &units).to_bits(),
                        "{text:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_texts_units_read_from_its_spans_are_its_units() {
        let long: Vec<String> = (0..100).map(|i| format!("w{i}")).collect();
        let long = long.join(" ");
        for t in [
            "",
            "...",
            ". ''",
            "i paid 2.50 today. why?\nno reply! ok",
            "\"quoted.\" he said! 'it's' -- fine?\n.",
            "x\u{2019}s caf\u{e9} \u{2014} na\u{ef}ve. \u{a3}5! \u{3000}word\u{3000}",
            "the Motley Fool said burning cars. 'twas the burned houses'",
            &long,
            &format!("{long}. {long}!\n\n{long}"),
            &format!("'{long}' ''and'' '{long}"),
        ] {
            check_push_units(t).unwrap();
            check_units_at_words(t).unwrap();
        }
    }

    /// The short words' table finds every vocabulary word of at most 16
    /// bytes at its place, says a short word outside the vocabulary is not
    /// there (however like a word it is: a prefix, the same bytes with a
    /// zero byte more, one byte changed), and leaves a longer word to the
    /// map.
    #[test]
    fn the_short_words_table_finds_what_the_vocabulary_holds() {
        let files = [
            "threat_violence",
            "threat_self_harm",
            "abuse",
            "threat_property",
        ];
        let models: Vec<LinearModel> = files.iter().copied().map(shipped_model).collect();
        let scorers = Scorers::new(models.iter().map(SentenceScorer::new).collect(), &[0.5; 4]);
        let vocabulary = &scorers.vocabulary;
        assert!(vocabulary.len() > 1000, "{}", vocabulary.len());
        let mut others = vec![
            String::new(),
            "\0".to_string(),
            "zzqx".to_string(),
            "a".repeat(16),
            "a".repeat(17),
            "caf\u{e9}".to_string(),
        ];
        for (word, &place) in vocabulary {
            let found = scorers.short.get(word.as_bytes());
            match word.len() <= 16 {
                true => assert_eq!(found, Some(Some(place)), "{word:?}"),
                false => assert_eq!(found, None, "{word:?}"),
            }
            let mut changed = word.to_string().into_bytes();
            if let Some(last) = changed.last_mut() {
                *last ^= 0x20;
            }
            others.extend(String::from_utf8(changed).ok());
            others.push(format!("{word}\0"));
            others.extend(
                word.char_indices()
                    .skip(1)
                    .map(|(i, _)| word[..i].to_string()),
            );
        }
        let mut places = Vec::new();
        for word in &others {
            let expected = vocabulary.get(word.as_str()).copied();
            match scorers.short.get(word.as_bytes()) {
                Some(found) => assert_eq!(found, expected, "{word:?}"),
                None => assert!(word.len() > 16, "{word:?}"),
            }
            scorers.look_up(&[word.as_str()], &mut places);
            assert_eq!(places, [expected.unwrap_or(scorers.outside())], "{word:?}");
        }
    }

    #[test]
    fn the_fast_scorer_gives_the_same_score_to_the_bit() {
        let files = ["threat_violence", "threat_self_harm", "abuse"];
        let models: Vec<LinearModel> = files.iter().copied().map(shipped_model).collect();
        let scorers = Scorers::new(models.iter().map(SentenceScorer::new).collect(), &[0.5; 3]);
        let (mut words, mut numbers) = (Vec::new(), Vec::new());
        let (mut scratch, mut together) = (ScoringScratch::default(), vec![0.0; models.len()]);
        for sentence in [
            "i'll burn your offices down",
            "next time i see that warden i'm going to smash his face in",
            "i can't go on, i want to end it all tonight",
            "the bins were not collected on 12 march",
            "burn burn burn … your your office's",
            "zzqx burn zzqx your office",
            "you useless idiot, i'll knife you",
            "",
        ] {
            stems(sentence, &mut words);
            scorers.score(&words, &mut scratch, &mut together);
            for (k, model) in models.iter().enumerate() {
                let slow = model.score(&model.features(sentence));
                let fast = SentenceScorer::new(model).score(&words, &mut numbers);
                assert_eq!(fast.to_bits(), slow.to_bits(), "{sentence}");
                assert_eq!(together[k].to_bits(), slow.to_bits(), "{sentence}");
            }
        }
    }

    /// A sentence whose score is exactly the least score needed is scored
    /// (and reaches it); one whose score is a hair under it is left out or
    /// scored under it, never given a different score.
    #[test]
    fn the_screen_keeps_a_sentence_at_the_threshold() {
        let mut m = LinearModel {
            bias: -3.0,
            ..Default::default()
        };
        for (name, w) in [
            ("burn", 1.25),
            ("office", 0.5),
            ("burn your", 0.75),
            ("your office", 0.375),
            ("burn … office", 0.625),
            ("rubbish", -2.0),
        ] {
            m.weights.insert(name.to_string(), w);
        }
        let mut words = Vec::new();
        let mut scratch = ScoringScratch::default();
        for sentence in ["i'll burn your office", "burn the rubbish office", "burn"] {
            stems(sentence, &mut words);
            let full = m.score(&m.features(sentence));
            for (least, reached) in [(full, true), (full.next_up(), false)] {
                let scorers = Scorers::new(vec![SentenceScorer::new(&m)], &[least]);
                let mut score = [None];
                scorers.screened(&words, &mut scratch, &mut score);
                match score[0] {
                    Some(s) => assert_eq!(s.to_bits(), full.to_bits(), "{sentence}"),
                    None => assert!(!reached, "{sentence} left out at {least}"),
                }
                assert_eq!(score[0].is_some_and(|s| s >= least), reached, "{sentence}");
            }
            // Far above the sentence's reach: left out, not scored.
            let scorers = Scorers::new(vec![SentenceScorer::new(&m)], &[0.999]);
            let mut score = [Some(0.0)];
            scorers.screened(&words, &mut scratch, &mut score);
            assert_eq!(score[0], None, "{sentence}");
        }
    }

    #[test]
    fn only_a_feature_of_the_sentence_weighs() {
        let mut m = LinearModel::default();
        for (name, w) in [
            ("burn", 1.0),
            ("burn office", 2.0),
            ("burn … office", 4.0),
            ("your office", 8.0),
            // Not any feature's name: never weighs.
            ("burn your office", 16.0),
            ("burn  office", 32.0),
        ] {
            m.weights.insert(name.into(), w);
        }
        let scorer = SentenceScorer::new(&m);
        let z = |sentence: &str| {
            let (mut words, mut numbers) = (Vec::new(), Vec::new());
            stems(sentence, &mut words);
            let p = scorer.score(&words, &mut numbers);
            assert_eq!(p.to_bits(), m.score(&features(sentence)).to_bits());
            (p / (1.0 - p)).ln().round()
        };
        assert_eq!(
            z("burn your office"),
            13.0,
            "burn + burn … office + your office"
        );
        assert_eq!(z("burn office"), 3.0);
        assert_eq!(z("office burn"), 1.0);
        assert_eq!(z("burned, the office"), 5.0);
    }

    #[test]
    fn a_class_carries_what_was_learnt_to_words_of_the_same_class() {
        let mut m = LinearModel {
            bias: -3.0,
            ..Default::default()
        };
        m.classes.add("harm", ["stab", "batter"]);
        m.classes.add("you", ["you", "ya"]);
        // Only a class pair weighs: learnt from "stab you", it must score
        // "batter ya", a phrasing it never saw word for word.
        m.weights.insert("[harm] [you]".into(), 4.0);
        m.weights.insert("[harm] … [you]".into(), 2.0);
        let f = m.features("i'll batter ya");
        for want in [
            "batter",
            "[harm]",
            "batter ya",
            "[harm] ya",
            "batter [you]",
            "[harm] [you]",
            "i'll … [you]",
        ] {
            assert!(f.iter().any(|x| x == want), "{want} missing from {f:?}");
        }
        assert!(m.score(&f) > 0.7);
        assert!(m.score(&m.features("i'll batter the bins")) < 0.1);
        let why = m.contributions(&m.features("gonna stab all ya"));
        assert_eq!(why, vec![("[harm] … [you]".to_string(), 2.0)]);
        // The classes travel in the weights file, and the fast scorer
        // gives the same score to the bit.
        let back = LinearModel::parse(&m.render("classes")).unwrap();
        assert_eq!(back, m);
        let scorer = SentenceScorer::new(&back);
        let (mut words, mut numbers) = (Vec::new(), Vec::new());
        for sentence in ["i'll batter ya", "stab stab you ya", "you batter", "ya"] {
            stems(sentence, &mut words);
            let fast = scorer.score(&words, &mut numbers);
            assert_eq!(fast.to_bits(), m.score(&m.features(sentence)).to_bits());
        }
        // A phrase is no single word: left out of a class.
        m.classes.add("harm", ["kick in"]);
        assert_eq!(m.classes.of("kick"), None);
    }

    #[test]
    fn a_bad_line_is_reported_with_its_number() {
        let err = LinearModel::parse("# c\n(bias)\t0\nburn\tlots\n").unwrap_err();
        assert_eq!(err.0, 3);
        assert!(LinearModel::parse("burn\t1\n").is_err(), "bias is required");
        let err = LinearModel::parse("class\tharm\tstab\n(bias)\t0\n").unwrap_err();
        assert_eq!(err.0, 1, "a class name is in brackets");
        let word_class = LinearModel::parse("(bias)\t0\nclass\t0.5\n").unwrap();
        assert_eq!(
            word_class.weights["class"], 0.5,
            "the word `class` is a feature"
        );
    }

    #[test]
    fn proper_names_are_left_unread() {
        let normalizer = super::super::normalize::Normalizer::default();
        let unread = |text: &str| {
            let norm = normalizer.normalize(text, 7);
            names_unread(text, 7, &norm).unwrap_or(norm.text)
        };
        assert_eq!(
            unread("You get the \"Motley Fool Stock Advisor\" and a Fool Flash."),
            "you get the \"Motley Fool Stock Advisor\" and a Fool Flash."
        );
        // Wrapped lines join a name; the first word of a sentence or of a
        // paragraph is capitalised anyway.
        assert_eq!(
            unread("see Dick\nCheney's office"),
            "see Dick Cheney's office"
        );
        assert_eq!(
            unread("Useless Idiots, all of you."),
            "useless idiots, all of you."
        );
        assert_eq!(unread("Done. Fool Flash here"), "done. fool flash here");
        assert_eq!(
            unread("Done. Fool Flash Weekly here"),
            "done. fool Flash Weekly here"
        );
        assert_eq!(unread("x\n\nFool Flash"), "x\nfool flash");
        // A word alone, a mock name after a title, capitals: all read.
        assert_eq!(
            unread("you are a Fool, and Mr Witless too"),
            "you are a fool, and mr witless too"
        );
        assert_eq!(unread("you STUPID FOOLS"), "you stupid fools");
    }
}
