//! The linear model: a per-category logistic regression over the words of
//! one sentence, shipped as a plain-text weights file in `rules/model/` and
//! used by a `model` rule as one more piece of evidence beside the regexes.
//!
//! A sentence (of the normalised text, so disguises are already undone) is
//! turned into features: each word (lightly stemmed: `burning` → `burn`),
//! each pair of adjacent words (`your office`) and each pair with one word
//! between (`burn … office`). Its score is
//! `1 / (1 + exp(-(bias + sum of the weights of its features)))`, between 0
//! and 1. The weights file lists the bias and every feature's weight, one per
//! line, heaviest first, so an analyst can read what the model learnt, and
//! [`LinearModel::contributions`] says which features of a sentence pushed
//! its score up — the model's explanation, span by span.
//!
//! Training lives in `evaluate::train` (`triage rules train`).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The bias line's name: in brackets, which no feature can contain (a
/// sentence saying "bias" has a feature `bias`).
pub const BIAS: &str = "(bias)";

/// The separator in a feature with one word skipped.
pub const SKIP: &str = " … ";

/// One category's weights.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinearModel {
    pub bias: f32,
    pub weights: HashMap<String, f32>,
}

impl LinearModel {
    /// Parse a weights file: `#` comments, then `(bias)<TAB>w` and
    /// `feature<TAB>w` lines. Errors carry the 1-based line.
    pub fn parse(text: &str) -> Result<LinearModel, (usize, String)> {
        let mut model = LinearModel::default();
        let mut saw_bias = false;
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            if line.trim().is_empty() || line.starts_with('#') {
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

    /// The weights file: `header` lines as comments, the bias, then the
    /// features heaviest first (ties by name, so the file is deterministic).
    pub fn render(&self, header: &str) -> String {
        let mut out = String::new();
        for line in header.lines() {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(&format!("{BIAS}\t{:.4}\n", self.bias));
        let mut features: Vec<(&String, &f32)> = self.weights.iter().collect();
        features.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(b.0)));
        for (f, w) in features {
            out.push_str(&format!("{f}\t{w:.4}\n"));
        }
        out
    }

    /// The score of a sentence's features, between 0 and 1.
    pub fn score(&self, features: &[String]) -> f32 {
        let z = self.bias
            + features
                .iter()
                .filter_map(|f| self.weights.get(f))
                .sum::<f32>();
        1.0 / (1.0 + (-z).exp())
    }

    /// The features that raised the score, heaviest first.
    pub fn contributions(&self, features: &[String]) -> Vec<(String, f32)> {
        let mut out: Vec<(String, f32)> = features
            .iter()
            .filter_map(|f| Some((f.clone(), *self.weights.get(f)?)))
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
pub fn windows(sentence: &str) -> Vec<std::ops::Range<usize>> {
    let words: Vec<(usize, usize)> = word_spans(sentence).collect();
    if words.len() <= WINDOW_WORDS {
        #[allow(clippy::single_range_in_vec_init)] // one window: the whole sentence
        return vec![0..sentence.len()];
    }
    let step = WINDOW_WORDS / 2;
    let mut out = Vec::new();
    let mut first = 0;
    loop {
        let last = (first + WINDOW_WORDS).min(words.len()) - 1;
        out.push(words[first].0..words[last].1);
        if last + 1 == words.len() {
            break;
        }
        first += step;
    }
    out
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

/// Byte spans of the words of `text`: runs of letters, digits and
/// apostrophes, apostrophes at either end left out.
fn word_spans(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let is_word = |c: char| c.is_alphanumeric() || c == '\'';
    let mut rest = text.char_indices().peekable();
    std::iter::from_fn(move || loop {
        let (start, c) = rest.next()?;
        if !is_word(c) {
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, c)) = rest.peek() {
            if !is_word(c) {
                break;
            }
            end = i + c.len_utf8();
            rest.next();
        }
        let w = &text[start..end];
        let lead = w.len() - w.trim_start_matches('\'').len();
        let trail = w.len() - w.trim_end_matches('\'').len();
        if lead + trail < w.len() {
            return Some((start + lead, end - trail));
        }
    })
}

/// The features of one normalised sentence (repeats kept: a word said twice
/// counts twice): its stemmed words, then each pair, then each pair with one
/// word skipped. [`SentenceScorer`] walks the same features, in the same
/// order, by number.
pub fn features(sentence: &str) -> Vec<String> {
    let mut words = Vec::new();
    stems(sentence, &mut words);
    feature_parts(&words).map(|parts| parts.concat()).collect()
}

/// The stemmed words of `sentence`, into `out` (cleared first).
pub fn stems<'a>(sentence: &'a str, out: &mut Vec<&'a str>) {
    out.clear();
    out.extend(word_spans(sentence).map(|(s, e)| stem(&sentence[s..e])));
}

/// Every feature of a sentence with stemmed words `words`, in order, as the
/// pieces that make up its name.
fn feature_parts<'a>(words: &'a [&'a str]) -> impl Iterator<Item = [&'a str; 3]> + 'a {
    let singles = words.iter().map(|&w| [w, "", ""]);
    let pairs = words.windows(2).map(|p| [p[0], " ", p[1]]);
    let skips = words.windows(3).map(|t| [t[0], SKIP, t[2]]);
    singles.chain(pairs).chain(skips)
}

/// A model made ready to score many sentences fast: each word of a
/// sentence is looked up once, as a number, and its features are then
/// found by those numbers, so no feature name is built or compared. The
/// score is the same, to the bit, as [`LinearModel::score`] of
/// [`features`]: the same weights, added in the same order.
pub struct SentenceScorer {
    bias: f32,
    /// Every word that some feature is made of, numbered.
    words: HashMap<Box<str>, u32, BuildHasherDefault<Fnv>>,
    /// Feature (its kind and words' numbers, see [`feature_key`]) → weight.
    weights: HashMap<u64, f32, BuildHasherDefault<Fnv>>,
}

/// The three kinds of feature, in the order [`feature_parts`] walks them.
#[derive(Clone, Copy)]
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
            weights: HashMap::default(),
        };
        for (feature, &weight) in &model.weights {
            // A name is split the one way a feature's name is built (words
            // hold neither a space nor `…`); a name that is no feature's
            // gets pieces no word is, and so never weighs anything.
            let (kind, first, second) = match (feature.split_once(SKIP), feature.split_once(' ')) {
                (Some((a, c)), _) => (Kind::Skip, a, c),
                (None, Some((a, b))) => (Kind::Pair, a, b),
                (None, None) => (Kind::Single, feature.as_str(), ""),
            };
            let first = scorer.number(first);
            let second = match kind {
                Kind::Single => 0,
                _ => scorer.number(second),
            };
            scorer
                .weights
                .insert(feature_key(kind, first, second), weight);
        }
        scorer
    }

    fn number(&mut self, word: &str) -> u32 {
        let next = self.words.len() as u32;
        assert!(next < 1 << 31, "a weights file of over 2^31 words");
        *self.words.entry(word.into()).or_insert(next)
    }

    /// The score of the sentence whose stemmed words ([`stems`]) are
    /// `words`; `numbers` is scratch space.
    pub fn score(&self, words: &[&str], numbers: &mut Vec<u32>) -> f32 {
        numbers.clear();
        numbers.extend(
            words
                .iter()
                .map(|w| self.words.get(*w).copied().unwrap_or(UNKNOWN)),
        );
        let weight = |kind, a: u32, b: u32| {
            if a == UNKNOWN || b == UNKNOWN {
                return None;
            }
            self.weights.get(&feature_key(kind, a, b)).copied()
        };
        let singles = numbers.iter().map(|&w| weight(Kind::Single, w, 0));
        let pairs = numbers.windows(2).map(|p| weight(Kind::Pair, p[0], p[1]));
        let skips = numbers.windows(3).map(|t| weight(Kind::Skip, t[0], t[2]));
        let z = self.bias + singles.chain(pairs).chain(skips).flatten().sum::<f32>();
        1.0 / (1.0 + (-z).exp())
    }
}

/// One number for a feature: its kind and its (one or two) words' numbers.
fn feature_key(kind: Kind, first: u32, second: u32) -> u64 {
    (kind as u64) << 62 | u64::from(first) << 31 | u64::from(second)
}

/// FNV-1a: a fast hash for short words and numbers (the keys come from
/// the weights file, not from mail).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    }
}

/// What every number becomes: in angle brackets, which no word contains
/// (and not `#`, which starts a comment in the weights file).
const NUMBER: &str = "<n>";

/// A light stemmer: numbers become `<n>`; `'s`, `-ing`, `-ed` and plural `-s`
/// come off long enough words. Crude, but it lets `burning`, `burned` and
/// `burns` share what the model learnt about `burn`.
fn stem(word: &str) -> &str {
    if word.chars().all(|c| c.is_ascii_digit()) {
        return NUMBER;
    }
    let w = word.strip_suffix("'s").unwrap_or(word);
    let n = w.chars().count();
    if n >= 6 && w.ends_with("ing") {
        return &w[..w.len() - 3];
    }
    if n >= 5 && w.ends_with("ed") {
        return &w[..w.len() - 2];
    }
    if n >= 4 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is")
    {
        return &w[..w.len() - 1];
    }
    w
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

    #[test]
    fn the_fast_scorer_gives_the_same_score_to_the_bit() {
        for file in ["threat_violence", "threat_self_harm"] {
            let path = format!("{}/rules/model/{file}.tsv", env!("CARGO_MANIFEST_DIR"));
            let model = LinearModel::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
            let scorer = SentenceScorer::new(&model);
            let (mut words, mut numbers) = (Vec::new(), Vec::new());
            for sentence in [
                "i'll burn your offices down",
                "next time i see that warden i'm going to smash his face in",
                "i can't go on, i want to end it all tonight",
                "the bins were not collected on 12 march",
                "burn burn burn … your your office's",
                "zzqx burn zzqx your office",
                "",
            ] {
                stems(sentence, &mut words);
                let slow = model.score(&features(sentence));
                let fast = scorer.score(&words, &mut numbers);
                assert_eq!(fast.to_bits(), slow.to_bits(), "{sentence}");
            }
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
    fn a_bad_line_is_reported_with_its_number() {
        let err = LinearModel::parse("# c\n(bias)\t0\nburn\tlots\n").unwrap_err();
        assert_eq!(err.0, 3);
        assert!(LinearModel::parse("burn\t1\n").is_err(), "bias is required");
    }
}
