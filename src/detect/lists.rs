//! Word lists: reading the plain-text list files, and the two ways a list
//! word is matched — as an aho-corasick pattern over the squeezed view
//! (verified against run lengths and word boundaries here), or spliced into
//! a regex as an "elastic" alternation (`ass` → `a+s{2,}`).

use super::normalize::fold_str;
use std::fmt::Write;

/// One entry of a word list, folded like message text.
#[derive(Debug, Clone)]
pub struct Entry {
    pub word: String,
    /// Written `word*`: matches any word that starts with `word`.
    pub prefix: bool,
}

/// Parse a list file: one entry per line, `#` starts a comment.
pub fn parse(text: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    for raw in text.lines() {
        let body = raw.split('#').next().unwrap_or("").trim();
        if body.is_empty() {
            continue;
        }
        let (body, prefix) = match body.strip_suffix('*') {
            Some(b) => (b, true),
            None => (body, false),
        };
        let word = fold_str(body)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !word.is_empty() {
            out.push(Entry { word, prefix });
        }
    }
    out
}

/// Runs of one repeated character: `ass` → [('a',1), ('s',2)].
pub fn runs(s: &str) -> Vec<(char, usize)> {
    let mut out: Vec<(char, usize)> = Vec::new();
    for c in s.chars() {
        match out.last_mut() {
            Some((p, n)) if *p == c && c.is_alphabetic() => *n += 1,
            _ => out.push((c, 1)),
        }
    }
    out
}

/// True when every run in `found` is at least as long as in `entry`
/// (`fuuuck` fits `fuck`; `as` does not fit `ass`).
pub fn runs_fit(entry: &[(char, usize)], found: &str) -> bool {
    let found = runs(found);
    found.len() == entry.len()
        && found
            .iter()
            .zip(entry)
            .all(|(&(fc, fnum), &(ec, enum_))| fc == ec && fnum >= enum_)
}

/// A word-boundary check on the normalised view.
pub fn is_word_edge(text: &str, start: usize, end: usize, prefix: bool) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let not_word = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    not_word(before) && (prefix || not_word(after))
}

/// The entries as one regex alternation, each letter run elastic.
pub fn elastic_alternation(entries: &[Entry]) -> String {
    let mut out = String::from("(?:");
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push('|');
        }
        for (c, n) in runs(&e.word) {
            if c == ' ' {
                out.push_str(r"\s+");
                continue;
            }
            out.push_str(&regex::escape(c.encode_utf8(&mut [0; 4])));
            if !c.is_alphabetic() {
                continue;
            }
            match n {
                1 => out.push('+'),
                n => {
                    let _ = write!(out, "{{{n},}}");
                }
            }
        }
        if e.prefix {
            out.push_str(r"\w*");
        }
    }
    out.push(')');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_comments_and_prefixes() {
        let e = parse("# header\nFuck*  # verb\n\nass\n");
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].word.as_str(), e[0].prefix), ("fuck", true));
        assert_eq!((e[1].word.as_str(), e[1].prefix), ("ass", false));
    }

    #[test]
    fn run_lengths_guard_squeezing() {
        let ass = runs("ass");
        assert!(runs_fit(&ass, "asssss"));
        assert!(!runs_fit(&ass, "as"));
    }

    #[test]
    fn elastic_regex_stretches_letters() {
        let e = parse("ass\nfuck*\n");
        let re = regex::Regex::new(&format!(r"\b{}\b", elastic_alternation(&e))).unwrap();
        assert!(re.is_match("aasss"));
        assert!(re.is_match("fuuuckers"));
        assert!(!re.is_match("as"));
        assert!(!re.is_match("class"));
    }
}
