//! Sentences of the normalised text: the scope of context guards and of
//! derived rules' conditions (a dictated sentence, or a run-on sentence's
//! window around the hit: [`guard_scope`]) and of the linear model's scores.
//!
//! A sentence ends at a line break (the normalised view keeps only
//! paragraph breaks) or at `.`, `!` or `?` followed by white space.

use super::model::{word_spans, WINDOW_WORDS};
use std::ops::Range;

fn is_end(b: &[u8], i: usize) -> bool {
    b[i] == b'\n'
        || (matches!(b[i], b'.' | b'!' | b'?')
            && b.get(i + 1).is_none_or(|&n| n == b' ' || n == b'\n'))
}

/// The sentence holding `s..e`. A span that ends with its sentence's own
/// `.`, `!` or `?` (a model hit is a whole sentence) ends there: the
/// sentence after it is not part of it.
pub fn around(text: &str, s: usize, e: usize) -> Range<usize> {
    let b = text.as_bytes();
    let start = (0..s).rev().find(|&i| is_end(b, i)).map_or(0, |i| i + 1);
    let end = (e.saturating_sub(1).max(s)..b.len())
        .find(|&i| is_end(b, i))
        .map_or(b.len(), |i| i + 1);
    start..end
}

/// What a context guard (and a derived rule's condition) reads for a hit at
/// `s..e`: the sentence holding it ([`around`]), with two exceptions for a
/// message that does not punctuate its sentences. A dictated one writes its
/// stops out ("… next week full stop I mean it full stop",
/// [`DICTATED_STOPS`]): the guard reads the dictated sentence holding the
/// hit. And a run-on sentence (longer than the model's window of
/// [`WINDOW_WORDS`] words, with no comma, semicolon, colon, quotation mark or
/// bracket in it: all lower case with no punctuation at all, or dictated) is
/// read in a window of [`WINDOW_WORDS`] words centred on the hit (the hit's
/// own words when it has that many already: a model hit on one window of it
/// is read as that window; near an end of the sentence the window takes its
/// words from the other side). Read whole, one "i never hurt him" or "she
/// keeps saying" in a hundred words would suppress every threat in them,
/// however far away; a punctuated sentence, however long, is read whole (a
/// report framed by "He said" at its start reaches to its end).
pub fn guard_scope(text: &str, s: usize, e: usize) -> Range<usize> {
    let sentence = around(text, s, e);
    let words: Vec<(usize, usize)> = word_spans(&text[sentence.clone()])
        .map(|(a, b)| (sentence.start + a, sentence.start + b))
        .collect();
    // The hit's words: those overlapping `s..e`.
    let first = words.partition_point(|&(_, we)| we <= s);
    let end = words.partition_point(|&(ws, _)| ws < e);
    if first >= end {
        return sentence;
    }
    // The dictated sentence holding the hit: from the word after the last
    // dictated stop before it to the end of the first one after it.
    let ends = dictated_ends(text, &words);
    let lo = ends
        .iter()
        .rev()
        .find(|&&k| k <= first)
        .copied()
        .unwrap_or(0);
    let hi = ends
        .iter()
        .find(|&&k| k >= end)
        .copied()
        .unwrap_or(words.len());
    let piece = match (lo, hi) {
        (0, n) if n == words.len() => sentence,
        _ => words[lo].0.min(s)..words[hi - 1].1.max(e),
    };
    let words = &words[lo..hi];
    let (first, end) = (first - lo, end - lo);
    if words.len() <= WINDOW_WORDS || text[piece.clone()].contains(INNER_MARKS) {
        return piece;
    }
    let spare = WINDOW_WORDS.saturating_sub(end - first);
    let before = (spare / 2).min(first);
    let after = (spare - before).min(words.len() - end);
    let before = (spare - after).min(first);
    let (from, to) = (first - before, end + after);
    words[from].0.min(s)..words[to - 1].1.max(e)
}

/// Punctuation inside a sentence: a sentence with any of it is punctuated
/// ([`guard_scope`]).
const INNER_MARKS: [char; 8] = [',', ';', ':', '"', '(', ')', '\u{201c}', '\u{201d}'];

/// Punctuation said aloud and written out by speech-to-text: two words
/// that end a sentence ("full stop", "new paragraph"), unless an article or
/// "no" comes before them ("came to a full stop", "put a question mark
/// over it").
pub const DICTATED_STOPS: [(&str, &str); 6] = [
    ("full", "stop"),
    ("question", "mark"),
    ("exclamation", "mark"),
    ("exclamation", "point"),
    ("new", "line"),
    ("new", "paragraph"),
];

/// The indices into `words` (spans of `text`) of the words that follow a
/// dictated stop ([`DICTATED_STOPS`]), in order.
fn dictated_ends(text: &str, words: &[(usize, usize)]) -> Vec<usize> {
    let word = |i: usize| &text[words[i].0..words[i].1];
    (1..words.len())
        .filter(|&i| {
            let (a, b) = (word(i - 1), word(i));
            DICTATED_STOPS
                .iter()
                .any(|&(x, y)| a.eq_ignore_ascii_case(x) && b.eq_ignore_ascii_case(y))
                && (i < 2
                    || !["a", "an", "the", "no", "any", "big"]
                        .iter()
                        .any(|w| word(i - 2).eq_ignore_ascii_case(w)))
        })
        .map(|i| i + 1)
        .collect()
}

/// The paragraph holding `s..e` and the paragraph before it (the normalised
/// view keeps a paragraph break as one line break): the scope of a rule's
/// `requires` condition, so a pronoun's antecedent may sit in the paragraph
/// before ("I spoke to Ms Rudd.\n\nShe is a …").
pub fn paragraphs_around(text: &str, s: usize, e: usize) -> Range<usize> {
    let before = &text[..s];
    let this_start = before.rfind('\n');
    let start = this_start
        .and_then(|i| before[..i].rfind('\n'))
        .map_or(0, |i| i + 1);
    let end = text[e..].find('\n').map_or(text.len(), |i| e + i);
    start..end
}

/// The words after the sentence holding `s..e`, to the end of the paragraph
/// after the hit's (the normalised view keeps a paragraph break as one line
/// break): the scope of a guard's `except_after`, so a tag taken back a
/// sentence or a paragraph later ("… lol. Not even joking.") reads it.
pub fn after_sentence(text: &str, s: usize, e: usize) -> Range<usize> {
    let from = around(text, s, e).end.max(e);
    let rest = &text[from..];
    let this_end = rest.find('\n');
    let to = this_end
        .and_then(|i| rest[i + 1..].find('\n').map(|j| i + 1 + j))
        .map_or(text.len(), |j| from + j);
    from..to
}

/// When `s` lies inside a double-quoted quotation of its paragraph (or at
/// its opening mark), the words that introduce it: from the start of the
/// paragraph before the quotation up to its opening mark. Quotations that
/// directly precede it (nothing but white space between: a run of quoted
/// lines, or a quotation and its translation in the next paragraph) belong
/// to the same introduction. `None` when `s` is not inside a quotation
/// that closes in its paragraph: the scope of a quotation guard
/// (`quotation = true`), so that "I've typed out what he said word for
/// word:" judges the voice note under it.
pub fn quotation_frame(text: &str, s: usize) -> Option<Range<usize>> {
    let b = text.as_bytes();
    let marks_before = |from: usize, to: usize| b[from..to].iter().filter(|&&c| c == b'"').count();
    let paragraph_start = |i: usize| text[..i].rfind('\n').map_or(0, |n| n + 1);
    let (mut open, _) = quotation_open(text, s)?;
    loop {
        let before = text[..open].trim_end();
        if !before.ends_with('"') {
            break;
        }
        let close = before.len() - 1;
        let Some(earlier) = text[..close].rfind('"') else {
            break;
        };
        if text[earlier..close].contains('\n')
            || marks_before(paragraph_start(earlier), earlier) % 2 == 1
        {
            break;
        }
        open = earlier;
    }
    let this_paragraph = paragraph_start(open);
    let start = if this_paragraph == 0 {
        0
    } else {
        paragraph_start(this_paragraph - 1)
    };
    Some(start..open)
}

/// The closed double-quoted quotations whose opening mark lies in `s..e`:
/// each as the range of its opening mark, so that [`quotation_frame`] of
/// it reads its introduction, and the words between its marks. A model
/// rule's hit is a whole sentence, so a quotation inside it is judged by
/// its introduction as a hit inside it would be.
pub fn quotations(text: &str, s: usize, e: usize) -> Vec<(usize, Range<usize>)> {
    let mut out = Vec::new();
    let mut from = s;
    while let Some(i) = text[from..e.min(text.len())].find('"').map(|i| from + i) {
        match quotation_open(text, i) {
            Some((open, paragraph_end)) if open == i => {
                let close = text[open + 1..paragraph_end]
                    .find('"')
                    .map_or(paragraph_end, |c| open + 1 + c);
                out.push((open, open + 1..close));
                from = close + 1;
            }
            _ => from = i + 1,
        }
        if from >= e {
            break;
        }
    }
    out
}

/// The quoted words of the sentence (or guard scope) `a..b`: the words
/// between the marks of each closed quotation that overlaps it, double
/// quoted ([`quotations`], and the one holding `a` when the sentence
/// starts inside it) or single quoted ([`single_quotations`]). What the
/// sentence guard `quoted` (`inside_quotation = true`) sets aside: a hit
/// in them, not the sender's own words around them.
pub fn quoted_words(text: &str, a: usize, b: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    if let Some((open, paragraph_end)) = quotation_open(text, a) {
        if open < a {
            let close = text[open + 1..paragraph_end]
                .find('"')
                .map_or(paragraph_end, |c| open + 1 + c);
            out.push(open + 1..close);
        }
    }
    out.extend(quotations(text, a, b).into_iter().map(|(_, words)| words));
    let paragraph_start = text[..a].rfind('\n').map_or(0, |n| n + 1);
    let paragraph_end = text[b..].find('\n').map_or(text.len(), |n| b + n);
    out.extend(
        single_quotations(text, paragraph_start, paragraph_end)
            .into_iter()
            .filter(|r| r.end > a && r.start < b),
    );
    out
}

/// The words inside single quotation marks ('…', and ‘…’, which the
/// normalised view writes as `'`) in `a..b`, each closing before a line
/// break. An opening mark follows white space, an opening bracket or a
/// mark of punctuation and comes before a letter or digit; a closing mark
/// follows a character that is not white space and comes before one that
/// is not a letter or digit. An apostrophe inside a word (don't, o'brien's)
/// is neither; a plural's (the lads' van) may close a quotation but never
/// opens one.
pub fn single_quotations(text: &str, a: usize, b: usize) -> Vec<Range<usize>> {
    let t = text.as_bytes();
    let b = b.min(t.len());
    let word = |c: u8| c.is_ascii_alphanumeric() || c >= 0x80;
    let opens = |i: usize| {
        t[i] == b'\''
            && (i == 0
                || matches!(
                    t[i - 1],
                    b' ' | b'\n' | b'(' | b'[' | b':' | b',' | b';' | b'-' | b'"'
                ))
            && t.get(i + 1).is_some_and(|&c| word(c))
    };
    let closes = |j: usize| {
        t[j] == b'\'' && !matches!(t[j - 1], b' ' | b'\n') && t.get(j + 1).is_none_or(|&c| !word(c))
    };
    let mut out = Vec::new();
    let mut i = a;
    while i < b {
        if opens(i) {
            let close = (i + 2..b)
                .take_while(|&j| t[j] != b'\n')
                .find(|&j| closes(j));
            if let Some(j) = close {
                out.push(i + 1..j);
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// The opening mark of the double-quoted quotation holding `s` (or at
/// its opening mark) and the end of its paragraph, when the quotation
/// closes in that paragraph.
fn quotation_open(text: &str, s: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let paragraph_start = text[..s].rfind('\n').map_or(0, |n| n + 1);
    let marks = b[paragraph_start..s].iter().filter(|&&c| c == b'"').count();
    let open = if marks % 2 == 1 {
        text[..s].rfind('"')?
    } else if b.get(s) == Some(&b'"') {
        s
    } else {
        return None;
    };
    let paragraph_end = text[open + 1..]
        .find('\n')
        .map_or(text.len(), |n| open + 1 + n);
    text[open + 1..paragraph_end]
        .contains('"')
        .then_some((open, paragraph_end))
}

/// When `s` lies inside a double-quoted quotation that closes in its
/// paragraph, the words that follow its closing mark, where a writer names
/// whose words they were ("…," he writes; "…," says Bronson; "…" is the
/// opening paragraph penned by Bronson): from the closing mark to the end
/// of that sentence (a `.`, `!` or `?` before white space), the next
/// opening mark or the paragraph's end, at most [`TAIL_BYTES`] bytes on.
/// `None` outside a closed quotation: the scope of a guard with
/// `after_quotation = true`.
pub fn quotation_tail(text: &str, s: usize) -> Option<Range<usize>> {
    let (open, paragraph_end) = quotation_open(text, s)?;
    let b = text.as_bytes();
    let close = open + 1 + text[open + 1..paragraph_end].find('"')?;
    let from = close + 1;
    let limit = paragraph_end.min(from + TAIL_BYTES);
    let to = (from..limit)
        .find(|&i| b[i] == b'"' || is_end(b, i))
        .map_or(limit, |i| if b[i] == b'"' { i } else { i + 1 });
    // Cut on a character boundary (the limit may fall inside one).
    let to = (to..=text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    Some(from..to)
}

/// How far after a quotation's closing mark [`quotation_tail`] reads.
pub const TAIL_BYTES: usize = 160;

/// The words a link guard (`link = true`) reads for a hit at `s..e`: the
/// word (a run of non-space characters) holding the hit when it holds more
/// than the hit ("pixel.kicks-ass.org"), and the [`LINK_WORDS_AFTER`] words
/// after the hit and the one word before it, of those that contain the
/// hit's letters and digits (at least [`LINK_MIN_LETTERS`] of them) among
/// theirs ("spastic yak http://www.spasticyak.com/"): a link's name is its
/// address's words. Nearest first; the guard applies when its pattern
/// matches one of them (a web address).
pub fn link_words(text: &str, s: usize, e: usize) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let word_start = |i: usize| {
        (0..i)
            .rev()
            .find(|&k| b[k].is_ascii_whitespace())
            .map_or(0, |k| k + 1)
    };
    let word_end = |i: usize| {
        (i..b.len())
            .find(|&k| b[k].is_ascii_whitespace())
            .unwrap_or(b.len())
    };
    let key = |r: &str| -> String {
        r.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let hit = key(&text[s..e]);
    let mut out = Vec::new();
    let (ws, we) = (word_start(s), word_end(e.max(s)));
    if ws < s || we > e {
        out.push(ws..we);
    }
    if hit.chars().count() < LINK_MIN_LETTERS {
        return out;
    }
    let names = |r: &Range<usize>| key(&text[r.clone()]).contains(&hit);
    let mut at = we;
    for _ in 0..LINK_WORDS_AFTER {
        let Some(next) = (at..b.len()).find(|&k| !b[k].is_ascii_whitespace()) else {
            break;
        };
        let word = next..word_end(next);
        at = word.end;
        if names(&word) {
            out.push(word);
        }
    }
    let before_end = text[..ws].trim_end().len();
    if before_end > 0 {
        let word = word_start(before_end)..before_end;
        if names(&word) {
            out.push(word);
        }
    }
    out
}

/// How many words after a hit [`link_words`] looks for its link.
pub const LINK_WORDS_AFTER: usize = 4;

/// The fewest letters and digits a hit must have for [`link_words`] to
/// look for them in a link beside it ("ass" is in too many addresses).
pub const LINK_MIN_LETTERS: usize = 4;

/// Every sentence of `text` that has a letter or digit in it, with leading
/// and trailing white space trimmed off its range.
pub fn split(text: &str) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..b.len() {
        if is_end(b, i) {
            push_trimmed(text, start..i + 1, &mut out);
            start = i + 1;
        }
    }
    push_trimmed(text, start..b.len(), &mut out);
    out
}

/// [`split`] of a text whose words (runs of letters, digits and
/// apostrophes, the model's `word_spans`) lie at `words`, in order, into
/// `sentences` (cleared first); into `firsts` (cleared first), per sentence,
/// the index in `words` of its first word, then `words.len()`. The same
/// sentences, without reading a word's bytes again: a sentence ends only at
/// a byte that is no word's (a line break, `.`, `!` or `?`), so only the
/// bytes between words are read for ends; and a piece holds a letter or
/// digit exactly when it holds a word (a letter or digit is always in a
/// word, a word always has one), so a piece is kept when a word starts in
/// it. Every word lies in one sentence, so a sentence's words are
/// `words[firsts[i]..firsts[i + 1]]`.
pub fn split_at_words(
    text: &str,
    words: &[(usize, usize)],
    sentences: &mut Vec<Range<usize>>,
    firsts: &mut Vec<usize>,
) {
    let b = text.as_bytes();
    sentences.clear();
    firsts.clear();
    // The piece being read starts at `start`; its first word is `first`.
    let (mut start, mut first) = (0, 0);
    let mut gap = 0;
    for w in 0..=words.len() {
        let gap_end = words.get(w).map_or(b.len(), |&(s, _)| s);
        for i in gap..gap_end {
            if END_BYTES[usize::from(b[i])] && is_end(b, i) {
                // The piece `start..=i` holds words `first..w`.
                if w > first {
                    sentences.push(trimmed_ascii(text, start..i + 1));
                    firsts.push(first);
                }
                (start, first) = (i + 1, w);
            }
        }
        if let Some(&(_, e)) = words.get(w) {
            gap = e;
        }
    }
    if words.len() > first {
        sentences.push(trimmed_ascii(text, start..b.len()));
        firsts.push(first);
    }
    firsts.push(words.len());
}

/// The bytes that may end a sentence ([`is_end`]).
static END_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    table[b'\n' as usize] = true;
    table[b'.' as usize] = true;
    table[b'!' as usize] = true;
    table[b'?' as usize] = true;
    table
};

/// `r` with leading and trailing white space trimmed off.
fn trimmed(text: &str, r: Range<usize>) -> Range<usize> {
    let s = &text[r.clone()];
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    r.start + lead..r.end - trail
}

/// [`trimmed`], reading ASCII white space byte by byte (`char::is_whitespace`
/// of an ASCII character: space, tab, line feed, vertical tab, form feed,
/// carriage return) and leaving any other white space to [`trimmed`] once a
/// non-ASCII byte is met at either end.
fn trimmed_ascii(text: &str, r: Range<usize>) -> Range<usize> {
    let b = text.as_bytes();
    let (mut start, mut end) = (r.start, r.end);
    while start < end && matches!(b[start], b' ' | b'\t'..=b'\r') {
        start += 1;
    }
    while end > start && matches!(b[end - 1], b' ' | b'\t'..=b'\r') {
        end -= 1;
    }
    let ascii = |i: usize| b.get(i).is_none_or(u8::is_ascii);
    if start < end && !(ascii(start) && ascii(end - 1)) {
        return trimmed(text, start..end);
    }
    start..end
}

fn push_trimmed(text: &str, r: Range<usize>, out: &mut Vec<Range<usize>>) {
    if !text[r.clone()].chars().any(char::is_alphanumeric) {
        return;
    }
    out.push(trimmed(text, r));
}

/// Whether [`split_at_words`] gives what [`split`] gives, and as each
/// sentence's words those of splitting the sentence on its own.
#[cfg(test)]
pub fn check_split_at_words(text: &str) -> Result<(), String> {
    let words: Vec<(usize, usize)> = super::model::word_spans(text).collect();
    let (mut sentences, mut firsts) = (Vec::new(), Vec::new());
    split_at_words(text, &words, &mut sentences, &mut firsts);
    let want = split(text);
    if sentences != want {
        return Err(format!("{text:?}: {sentences:?} against {want:?}"));
    }
    if firsts.len() != want.len() + 1 || firsts.last() != Some(&words.len()) {
        return Err(format!(
            "{text:?}: firsts {firsts:?} of {} words",
            words.len()
        ));
    }
    for (i, s) in want.iter().enumerate() {
        let of: Vec<_> = super::model::word_spans(&text[s.clone()])
            .map(|(a, b)| (s.start + a, s.start + b))
            .collect();
        if words[firsts[i]..firsts[i + 1]] != of[..] {
            return Err(format!("{text:?}: the words of {s:?} are not {of:?}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_stops_and_paragraphs_not_on_decimals() {
        let t = "i paid 2.50 today. why?\nno reply! ok";
        let got: Vec<&str> = split(t).into_iter().map(|r| &t[r]).collect();
        assert_eq!(got, ["i paid 2.50 today.", "why?", "no reply!", "ok"]);
    }

    #[test]
    fn split_at_words_is_split() {
        for t in [
            "",
            " ",
            "...",
            "''' '''. ''",
            "i paid 2.50 today. why?\nno reply! ok",
            "  leading space. trailing space.  \n\n  ",
            "\"quoted.\" he said! 'it's' -- fine?\n.",
            "a.b.c. d",
            "end.",
            "end. ",
            "x\u{2019}s caf\u{e9} \u{2014} na\u{ef}ve. \u{a3}5! \u{3000}word\u{3000}",
            "!?.\n\n",
            "'' . ''a''. b",
            "one\ntwo\n\nthree",
        ] {
            check_split_at_words(t).unwrap();
        }
    }

    #[test]
    fn around_finds_the_holding_sentence() {
        let t = "first one. second one here. third";
        let s = t.find("one here").unwrap();
        assert_eq!(&t[around(t, s, s + 3)], " second one here.");
        // A span that is a whole sentence, stop included, ends at its stop:
        // the next sentence ("she tried.") is not read by its guards.
        let t = "i won't be around tomorrow. thanks to tasha, she tried.";
        let e = t.find(" thanks").unwrap();
        assert_eq!(&t[around(t, 0, e)], "i won't be around tomorrow.");
        // Two sentences read as one (a model pair) are both held.
        let e = t.len();
        assert_eq!(&t[around(t, 0, e)], t);
    }

    #[test]
    fn guard_scope_is_the_sentence_or_a_long_ones_window_round_the_hit() {
        // A sentence the model reads whole: all of it.
        let t = "first. i would never hurt anyone but i will kill you. last";
        let s = t.find("i will kill").unwrap();
        assert_eq!(guard_scope(t, s, s + 16), around(t, s, s + 16));
        // A run-on sentence of 60 words: the 30 words centred on the hit.
        let filler: Vec<String> = (0..24).map(|i| format!("w{i}")).collect();
        let t = format!(
            "i never hurt him {} im gonna do her in {} end",
            filler.join(" "),
            filler.join(" ")
        );
        let s = t.find("im gonna").unwrap();
        let e = s + "im gonna do her in".len();
        let scope = &t[guard_scope(&t, s, e)];
        assert_eq!(super::word_spans(scope).count(), WINDOW_WORDS);
        assert!(scope.contains("im gonna do her in"));
        assert!(!scope.contains("never hurt"));
        // Near the sentence's start the window takes its words after the hit.
        let scope = &t[guard_scope(&t, 0, "i never hurt him".len())];
        assert!(scope.starts_with("i never hurt him w0"));
        assert_eq!(super::word_spans(scope).count(), WINDOW_WORDS);
        // A hit as long as the window (a model hit on one window) is itself.
        let words: Vec<_> = super::word_spans(&t).collect();
        let (s, e) = (words[10].0, words[10 + WINDOW_WORDS - 1].1);
        assert_eq!(guard_scope(&t, s, e), s..e);
        // A long sentence with a comma is punctuated: read whole.
        let t = t.replacen(" w3 ", ", w3 ", 1);
        let s = t.find("im gonna").unwrap();
        assert_eq!(guard_scope(&t, s, s + 8), 0..t.len());
        // A dictated sentence: up to and from its spoken stops.
        let t = "she keeps saying im in breach full stop new line tell dawn if she comes \
                 again i will knock her in two full stop I mean it";
        let s = t.find("if she").unwrap();
        let e = t.find(" knock").unwrap();
        assert_eq!(
            &t[guard_scope(t, s, e)],
            "tell dawn if she comes again i will knock her in two full stop"
        );
        // Not where an article makes the words a noun phrase.
        let t = "the traffic came to a full stop and he said he would hurt me";
        let s = t.find("hurt").unwrap();
        assert_eq!(guard_scope(t, s, s + 4), 0..t.len());
    }

    #[test]
    fn paragraphs_around_takes_the_paragraph_and_the_one_before() {
        let t = "first para.\nthe officer came. later he was rude.\nnext paragraph";
        let s = t.find("rude").unwrap();
        let got = &t[paragraphs_around(t, s, s + 4)];
        assert_eq!(got, "first para.\nthe officer came. later he was rude.");
        let t = "zero.\nfirst para.\nhe was rude.";
        let s = t.find("rude").unwrap();
        assert_eq!(
            &t[paragraphs_around(t, s, s + 4)],
            "first para.\nhe was rude."
        );
    }

    #[test]
    fn after_sentence_reads_on_to_the_end_of_the_next_paragraph() {
        let t = "before. he goes in the bin lol. not even joking.\nmean it.\nlast one.";
        let s = t.find("bin").unwrap();
        assert_eq!(
            &t[after_sentence(t, s, s + 3)],
            " not even joking.\nmean it."
        );
        // The last sentence of the text: nothing after it.
        let t = "he goes in the bin lol.";
        let s = t.find("bin").unwrap();
        assert_eq!(&t[after_sentence(t, s, s + 3)], "");
    }

    #[test]
    fn quotation_frame_is_what_introduces_the_quotation_holding_the_hit() {
        // Inside a quotation: the paragraph before and its own up to the mark.
        let t = "hello.\nhe left a voice note, word for word:\n\"i'll kill her\" he said. bye";
        let s = t.find("kill").unwrap();
        let f = quotation_frame(t, s).unwrap();
        assert_eq!(&t[f], "he left a voice note, word for word:\n");
        // A hit that starts at the opening mark is inside it too.
        let q = t.find('"').unwrap();
        assert_eq!(quotation_frame(t, q), quotation_frame(t, s));
        // Outside a quotation (after it closes), or in one never closed: none.
        assert!(quotation_frame(t, t.find("bye").unwrap()).is_none());
        let t = "he said \"i'll kill you and never closed";
        assert!(quotation_frame(t, t.find("kill").unwrap()).is_none());
        // Quotations that directly precede it share its introduction: a run
        // of quoted lines, a quotation and its translation below it.
        let t = "things he said:\n\"one.\" \"two.\"\n\"three, i'll hurt you.\"";
        let f = quotation_frame(t, t.find("hurt").unwrap()).unwrap();
        assert_eq!(&t[f], "things he said:\n");
    }

    #[test]
    fn quotations_are_the_closed_ones_opening_in_the_span() {
        let t = "he told me that \"i'll end it\" and \"no more\". next \"open";
        let q: Vec<&str> = quotations(t, 0, t.len())
            .into_iter()
            .map(|(open, words)| {
                assert_eq!(&t[open..open + 1], "\"");
                &t[words]
            })
            .collect();
        assert_eq!(q, ["i'll end it", "no more"]);
        // A span starting inside a quotation does not take its closing mark
        // for an opening one.
        let inside = t.find("end").unwrap();
        let q = quotations(t, inside, t.len());
        assert_eq!(q.len(), 1);
        assert_eq!(&t[q[0].1.clone()], "no more");
    }

    #[test]
    fn single_quotations_pair_their_marks_but_not_apostrophes() {
        let words = |t: &str| -> Vec<String> {
            single_quotations(t, 0, t.len())
                .into_iter()
                .map(|r| t[r].to_string())
                .collect()
        };
        assert_eq!(words("he said 'i'll kill you' and left"), ["i'll kill you"]);
        assert_eq!(words("he shouted: 'stop. now' then"), ["stop. now"]);
        // Apostrophes are never marks: don't, o'brien's, the lads' van.
        assert!(words("don't touch o'brien's car or the lads' van").is_empty());
        assert!(words("i said 'no\nmore' twice").is_empty());
    }

    #[test]
    fn quoted_words_are_the_sentences_quotations_of_either_kind() {
        let t = "he said \"you'll pay\" and 'soon' but i won't. \"go. away\" x";
        let s = t.find("and").unwrap();
        let got: Vec<&str> = quoted_words(t, 0, around(t, s, s + 3).end)
            .into_iter()
            .map(|r| &t[r])
            .collect();
        assert_eq!(got, ["you'll pay", "soon"]);
        // A sentence starting inside a quotation: the quotation holding it.
        let s = t.find("away").unwrap();
        let sentence = around(t, s, s + 4);
        let got: Vec<&str> = quoted_words(t, sentence.start, sentence.end)
            .into_iter()
            .map(|r| &t[r])
            .collect();
        assert_eq!(got, ["go. away"]);
        assert!(quoted_words("no quotation here", 0, 17).is_empty());
    }

    #[test]
    fn quotation_tail_is_what_follows_the_closing_mark_to_the_end_of_its_sentence() {
        let t = "\"i wipe my arse with it,\" is the opening penned by bronson. \"it's a con.\"";
        let f = quotation_tail(t, t.find("arse").unwrap()).unwrap();
        assert_eq!(&t[f], " is the opening penned by bronson.");
        // Up to the next opening mark when no sentence ends first.
        let t = "\"a load of bollocks,\" he writes \"and a racket\"";
        let f = quotation_tail(t, t.find("bollocks").unwrap()).unwrap();
        assert_eq!(&t[f], " he writes ");
        // Outside a quotation, or in one that never closes: none.
        assert!(quotation_tail(t, t.find("writes").unwrap()).is_none());
        let t = "he said \"you idiot and never closed";
        assert!(quotation_tail(t, t.find("idiot").unwrap()).is_none());
    }

    #[test]
    fn link_words_are_the_address_holding_the_hit_or_one_beside_it_spelling_it() {
        let words = |t: &str, w: &str| -> Vec<String> {
            let s = t.find(w).unwrap();
            let found = link_words(t, s, s + w.len());
            found.into_iter().map(|r| t[r].to_string()).collect()
        };
        // The word holding the hit, when it holds more than the hit.
        assert_eq!(
            words("journal http://pixel.kicks-ass.org/index.php next", "ass"),
            ["http://pixel.kicks-ass.org/index.php"]
        );
        // An address a few words on, or just before, that spells the hit.
        assert_eq!(
            words("spastic yak http://www.spasticyak.com/ sfsu", "spastic"),
            ["http://www.spasticyak.com/"]
        );
        let t = "http://www.happyretard.com/ retard";
        let s = t.rfind("retard").unwrap();
        let found: Vec<&str> = link_words(t, s, t.len())
            .into_iter()
            .map(|r| &t[r])
            .collect();
        assert_eq!(found, ["http://www.happyretard.com/"]);
        // Not an address that does not spell it, nor one too far on, nor a
        // hit too short to look for.
        assert!(words("daily shite http://www.hypothoseefilms.com/", "shite").is_empty());
        assert!(words("retard and a b c d http://retard.com/", "retard").is_empty());
        assert!(words("kiss my ass http://www.classic-ass.com/", "ass").is_empty());
    }
}
