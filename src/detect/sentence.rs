//! Sentences of the normalised text: the scope of context guards, of derived
//! rules' conditions and of the linear model's scores.
//!
//! A sentence ends at a line break (the normalised view keeps only
//! paragraph breaks) or at `.`, `!` or `?` followed by white space.

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

fn push_trimmed(text: &str, r: Range<usize>, out: &mut Vec<Range<usize>>) {
    let s = &text[r.clone()];
    if !s.chars().any(char::is_alphanumeric) {
        return;
    }
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    out.push(r.start + lead..r.end - trail);
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
}
