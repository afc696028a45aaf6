//! Near-duplicate similarity between two texts, in [0, 1].
//!
//! Used to decide `repeat_complaint` (SPEC §4): is a message the same matter
//! as something the sender wrote before? The texts are the senders' own words
//! (stripped bodies), so what must be ignored is the noise of re-sending: line
//! wrapping, a changed greeting or sign-off, a sentence added or dropped, new
//! dates and reference numbers, case and punctuation.
//!
//! # The measure
//!
//! 1. **Tokens.** Lower-cased runs of letters and digits (apostrophes dropped,
//!    so `don't` is `dont`). Tokens that contain a digit (dates, times,
//!    reference numbers, house numbers) and one-letter tokens are dropped, as
//!    are stop words: English function words plus council-mail boilerplate
//!    (`dear`, `madam`, `council`, `please`, `regards`, `thanks`, month and day
//!    names…). Boilerplate is what every message from a sender shares, so
//!    keeping it would make two *different* complaints look alike. A light
//!    plural strip (`bins` → `bin`) absorbs small rewordings.
//! 2. **Two sets** per text, of 32-bit hashes (the high half of a 64-bit
//!    hash): the content words, and the word 3-shingles (three consecutive
//!    content words). Words catch the same
//!    matter reworded; shingles require the same phrasing, which is what
//!    separates two complaints that share vocabulary (an address, "reported",
//!    "nothing happened").
//! 3. **Soft containment** of each pair of sets:
//!    `|A∩B| / (max(small, min(FLOOR, large)) + λ·(large − small))`, where
//!    `small`/`large` are the smaller/larger set sizes. With λ = 0 it is plain
//!    containment `|A∩B| / min(|A|,|B|)`, so an earlier message repeated with
//!    "I sent this three weeks ago and heard nothing" on top still scores
//!    high (even a paragraph of complaint about the delay on top scores
//!    ≈ 0.9). The small λ (0.2) keeps a short earlier note that a much longer
//!    message merely happens to contain from scoring high.
//!    The `FLOOR` stops a two-word note ("any update?") from being "contained"
//!    in every longer message, while two identical short texts still score 1.
//! 4. **Score** = the mean of the word and the shingle scores.
//!
//! Sets are sorted `Vec<u32>`s, intersected by a merge: O(n log n) to build,
//! O(n) to compare. Build a [`Fingerprint`] once per text when comparing one
//! message with many earlier ones.
//!
//! Why 32 bits: the history keeps every message's fingerprint, and reading
//! them is most of what a sender lookup touches (docs/performance.md, "The
//! history at 1M messages"); 32-bit hashes halve that. Two different words (or shingles)
//! of two ~70-word texts share a 32-bit hash with odds of about 1 in a
//! million per comparison, which would raise that comparison's score by one
//! shared item (≈ 0.007): a threshold is crossed only by a score already
//! within that of it.
//!
//! Typical scores (see the tests, `--nocapture` prints them): the same
//! complaint re-wrapped 1.0; re-sent with edits 0.73–0.89; with a chaser on
//! top 0.85–0.95; different complaints from the same person, in the same
//! style and sharing an address and phrases, 0.02–0.20. A threshold of
//! **0.6** separates them with margin on both sides.
//!
//! Known limit: being a bag of words and phrases, it cannot tell "the old
//! complaint plus a paragraph about the delay" from "the old complaint plus a
//! new matter": both score high, because containment is what lets chasers
//! through.

use super::HistoryEntry;
use rustc_hash::FxHashSet;
use std::sync::LazyLock;

/// Suggested `repeat_complaint` threshold for [`similarity`].
pub const SUGGESTED_THRESHOLD: f32 = 0.6;

/// Fewest words a longer text is compared against (see the module doc).
const WORD_FLOOR: usize = 8;
/// Fewest shingles a longer text is compared against.
const SHINGLE_FLOOR: usize = 6;
/// Weight of the longer text's extra material in the denominator.
const LAMBDA: f32 = 0.2;

/// The hashed word and shingle sets of one text, for repeated comparisons.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprint {
    /// Sorted, de-duplicated hashes of the content words.
    words: Vec<u32>,
    /// Sorted, de-duplicated hashes of the word 3-shingles (or of the whole
    /// token sequence when it has fewer than three words).
    shingles: Vec<u32>,
}

impl Fingerprint {
    pub fn new(text: &str) -> Fingerprint {
        let tokens = content_tokens(text);
        let mut shingles: Vec<u32> = if tokens.len() >= 3 {
            tokens
                .windows(3)
                .map(|w| high_half(mix(mix(mix(FNV_OFFSET, w[0]), w[1]), w[2])))
                .collect()
        } else if tokens.is_empty() {
            Vec::new()
        } else {
            vec![high_half(tokens.iter().fold(FNV_OFFSET, |h, &t| mix(h, t)))]
        };
        let mut words: Vec<u32> = tokens.into_iter().map(high_half).collect();
        words.sort_unstable();
        words.dedup();
        shingles.sort_unstable();
        shingles.dedup();
        Fingerprint { words, shingles }
    }

    /// No content words at all (empty, or only boilerplate and numbers).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The sorted, de-duplicated hashes of the content words.
    pub fn words(&self) -> &[u32] {
        &self.words
    }

    /// The sorted, de-duplicated hashes of the word 3-shingles.
    pub fn shingles(&self) -> &[u32] {
        &self.shingles
    }

    /// A fingerprint from its [`Fingerprint::words`] and
    /// [`Fingerprint::shingles`] as the history index keeps them; `None`
    /// when either set is not sorted and de-duplicated (damaged).
    pub fn from_sets(words: Vec<u32>, shingles: Vec<u32>) -> Option<Fingerprint> {
        (is_set(&words) && is_set(&shingles)).then_some(Fingerprint { words, shingles })
    }

    /// [`similarity`] of the two texts these were built from.
    pub fn similarity(&self, other: &Fingerprint) -> f32 {
        self.similarity_to(&other.words, &other.shingles)
    }

    /// [`Fingerprint::similarity`] to a fingerprint given as its two sets
    /// (sorted, de-duplicated: see [`is_set`]), read where it is kept.
    pub fn similarity_to(&self, words: &[u32], shingles: &[u32]) -> f32 {
        if self.is_empty() || words.is_empty() {
            return 0.0;
        }
        let w = soft_containment(&self.words, words, WORD_FLOOR);
        let s = soft_containment(&self.shingles, shingles, SHINGLE_FLOOR);
        ((w + s) / 2.0).clamp(0.0, 1.0)
    }
}

/// Sorted and de-duplicated, as each of a fingerprint's sets must be.
pub fn is_set(hashes: &[u32]) -> bool {
    hashes.windows(2).all(|w| w[0] < w[1])
}

/// Similarity of two stripped bodies (1.0: the same words).
///
/// Symmetric, in [0, 1], never NaN; 0 when either text has no content words.
/// See the module documentation for the measure and the suggested threshold.
pub fn similarity(a: &str, b: &str) -> f32 {
    Fingerprint::new(a).similarity(&Fingerprint::new(b))
}

/// The candidate most similar to `body`, with its score; `None` when there is
/// no candidate. Ties keep the earlier candidate in iteration order, so with
/// [`History::sender_entries`](super::History::sender_entries) order the
/// oldest of equally similar messages wins (deterministic output).
pub fn best_match<'a>(
    body: &str,
    candidates: impl IntoIterator<Item = &'a HistoryEntry>,
) -> Option<(&'a HistoryEntry, f32)> {
    let fp = Fingerprint::new(body);
    let mut best: Option<(&'a HistoryEntry, f32)> = None;
    for entry in candidates {
        let score = fp.similarity(&Fingerprint::new(&entry.body));
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((entry, score));
        }
    }
    best
}

/// Soft containment of two sorted, de-duplicated sets (module doc, step 3).
fn soft_containment(a: &[u32], b: &[u32], floor: usize) -> f32 {
    let (small, large) = if a.len() <= b.len() {
        (a.len(), b.len())
    } else {
        (b.len(), a.len())
    };
    if small == 0 {
        return 0.0;
    }
    let common = intersection_len(a, b);
    let denom = small.max(floor.min(large)) as f32 + LAMBDA * (large - small) as f32;
    (common as f32 / denom).min(1.0)
}

/// |a ∩ b| of two sorted, de-duplicated slices.
///
/// A merge without branches on the comparison: the hashes are random, so a
/// branch on which side is smaller is mispredicted half the time, and this
/// loop is most of what comparing a message with a sender's earlier mail
/// costs.
fn intersection_len(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        n += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    n
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
    })
}

/// Order-sensitive combination of hashes (for shingles).
fn mix(h: u64, x: u64) -> u64 {
    let h = (h ^ x).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h ^ (h >> 29)
}

/// The high 32 bits of a hash (FNV's and [`mix`]'s best mixed bits).
fn high_half(h: u64) -> u32 {
    (h >> 32) as u32
}

/// Hashes of the content words of `text`, in order (module doc, step 1).
fn content_tokens(text: &str) -> Vec<u64> {
    // Room for a word every four bytes, enough for nearly every text (a
    // word of two letters and the space after it is three): grown from
    // nothing, the vector was reallocated about eight times a message.
    let mut out = Vec::with_capacity(text.len() / 4);
    let mut word = String::new();
    let mut has_digit = false;
    let mut flush = |word: &mut String, has_digit: &mut bool| {
        if !word.is_empty() && !*has_digit && word.chars().nth(1).is_some() && !is_stop_word(word) {
            let stem = light_stem(word);
            // A word left as it was is already known not to be one.
            if stem.len() == word.len() || !is_stop_word(stem) {
                out.push(fnv1a(stem.as_bytes()));
            }
        }
        word.clear();
        *has_digit = false;
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // ASCII first, a byte at a time: the same answers as the Unicode
        // tests below, without decoding a character or their table
        // look-ups for nearly every character of council mail.
        let b = bytes[i];
        if b.is_ascii() {
            i += 1;
            if b.is_ascii_alphanumeric() {
                has_digit |= b.is_ascii_digit();
                word.push(char::from(b.to_ascii_lowercase()));
            } else if b == b'\'' && !word.is_empty() {
                // Inside a word: `don't` → `dont`, `council's` → `councils`.
            } else {
                flush(&mut word, &mut has_digit);
            }
            continue;
        }
        let c = text[i..].chars().next().expect("a character starts here");
        i += c.len_utf8();
        if c.is_alphanumeric() {
            has_digit |= c.is_numeric();
            word.extend(c.to_lowercase());
        } else if c == '\u{2019}' && !word.is_empty() {
            // `don’t`, as above.
        } else {
            flush(&mut word, &mut has_digit);
        }
    }
    flush(&mut word, &mut has_digit);
    out
}

/// Strip a plural `s` (`bins` → `bin`, `complaints` → `complaint`), leaving
/// `ss`, `us` and `is` endings alone. Deliberately crude: it only has to map
/// the same word the same way in both texts, and it never allocates.
fn light_stem(word: &str) -> &str {
    let n = word.len();
    if n > 3
        && word.ends_with('s')
        && !word.ends_with("ss")
        && !word.ends_with("us")
        && !word.ends_with("is")
    {
        return &word[..n - 1];
    }
    word
}

/// English function words and council-mail boilerplate (lower case, no
/// apostrophes).
#[rustfmt::skip]
const STOP_WORDS: &[&str] = &[
    // function words
    "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are",
    "arent", "as", "at", "be", "because", "been", "before", "being", "between", "both", "but",
    "by", "can", "cannot", "cant", "could", "couldnt", "did", "didnt", "do", "does", "doesnt",
    "doing", "dont", "down", "during", "each", "either", "even", "ever", "every", "few", "for",
    "from", "further", "get", "got", "had", "hadnt", "has", "hasnt", "have", "havent", "having",
    "he", "hed", "her", "here", "hers", "herself", "him", "himself", "his", "how", "however", "id",
    "if", "ill", "im", "in", "into", "is", "isnt", "it", "its", "itself", "ive", "just", "let",
    "lets", "me", "might", "more", "most", "much", "must", "my", "myself", "neither", "no", "nor",
    "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves",
    "out", "over", "own", "same", "shall", "she", "should", "shouldnt", "so", "some", "such",
    "than", "that", "thats", "the", "their", "theirs", "them", "themselves", "then", "there",
    "theres", "these", "they", "theyre", "this", "those", "though", "through", "to", "too",
    "under", "until", "up", "upon", "us", "very", "was", "wasnt", "we", "were", "werent", "weve",
    "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "wont",
    "would", "wouldnt", "yet", "you", "youd", "youll", "youre", "your", "yours", "yourself",
    "yourselves", "youve",
    // greetings, sign-offs and courtesy
    "dear", "sir", "sirs", "madam", "mr", "mrs", "ms", "miss", "dr", "hi", "hello", "hey", "good",
    "morning", "afternoon", "evening", "regards", "regard", "kind", "kindest", "best", "warm",
    "many", "thanks", "thank", "sincerely", "faithfully", "cheers", "please", "look", "forward",
    "hearing", "soon", "possible", "asap",
    // who the mail goes to, and how
    "council", "councils", "borough", "city", "county", "district", "email", "emails", "mail",
    "message", "sent", "iphone", "android", "re", "fw", "fwd", "attachment", "attached",
    // dates
    "today", "yesterday", "tomorrow", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "st", "nd", "rd", "th", "pm",
];

/// [`STOP_WORDS`] as a set: one hash and probe a word, where a `match` on
/// the strings compared a word with many of them in turn (about 140
/// instructions a call, most of [`Fingerprint::new`]'s tokenising).
static STOP_SET: LazyLock<FxHashSet<&'static str>> =
    LazyLock::new(|| STOP_WORDS.iter().copied().collect());

fn is_stop_word(w: &str) -> bool {
    STOP_SET.contains(w)
}

#[cfg(test)]
mod tests;
