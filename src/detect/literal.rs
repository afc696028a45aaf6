//! The pre-filter's literals: fixed text in the squeezed view, marked with
//! what the squeezed view alone no longer shows.
//!
//! Squeezing (see [`super::normalize`]) makes `kill`, `kiiill` and `kil` one
//! word, and the list word `ass` the English word `as`. A literal therefore
//! carries two kinds of mark, as private-use characters inside the string
//! (so that sets of literals stay plain strings, joined and compared as
//! such):
//!
//! - a *run* mark after a letter: in the normalised text the run of that
//!   letter is at least n long (`kill` is `kil` marked 2, `a+s{2,}` is `as`
//!   marked 2 after the `s`);
//! - an *edge* mark: a (Unicode) word boundary, `\b`, sits at that point.
//!
//! The automaton scans for the literal without its marks ([`split`]); where
//! it finds it, [`Check::holds`] looks at the marks: the run lengths in the
//! normalised text, the characters either side of a word edge. Both are
//! facts about every match of the regex the literal came from, so a literal
//! found without them cannot be part of a match.

use super::normalize::{continues_run, squeezed_char, Squeezed};

/// A word boundary (Unicode `\b`) at this point.
pub const EDGE: char = '\u{E000}';
/// Run marks are `RUN_MARKS + n` for a run of at least n (2 ≤ n ≤ 255).
const RUN_MARKS: u32 = 0xE000;
const MAX_RUN: usize = 255;

/// True for the characters used as marks (never in a literal's text).
pub fn is_mark(c: char) -> bool {
    (RUN_MARKS..=RUN_MARKS + MAX_RUN as u32).contains(&u32::from(c))
}

/// The run a run mark stands for.
fn run_of(c: char) -> Option<usize> {
    let n = u32::from(c).checked_sub(RUN_MARKS)? as usize;
    (2..=MAX_RUN).contains(&n).then_some(n)
}

fn push_run(out: &mut String, letter: char, run: usize) {
    out.push(letter);
    if run >= 2 && letter.is_alphabetic() {
        let n = run.min(MAX_RUN) as u32;
        out.push(char::from_u32(RUN_MARKS + n).expect("a private-use character"));
    }
}

/// The literal of the fixed text `text`: squeezed, each run of a letter
/// marked with its length. `None` for a text holding a mark character.
pub fn from_text(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut last: Option<(char, usize)> = None;
    for c in text.chars() {
        if is_mark(c) {
            return None;
        }
        match &mut last {
            Some((prev, run)) if continues_run(Some(*prev), c) => *run += 1,
            _ => {
                if let Some((prev, run)) = last {
                    push_run(&mut out, prev, run);
                }
                last = Some((squeezed_char(c), 1));
            }
        }
    }
    if let Some((prev, run)) = last {
        push_run(&mut out, prev, run);
    }
    Some(out)
}

/// The literal of a run of at least `run` of `letter`.
pub fn run(letter: char, run: usize) -> String {
    let mut out = String::new();
    push_run(&mut out, letter, run);
    out
}

/// A literal that is one run, of a letter or of white space, and its least
/// length: `s` is (`s`, 1), ` ` is (` `, 1).
pub fn one_run(literal: &str) -> Option<(char, usize)> {
    let mut chars = literal.chars();
    let letter = chars.next().filter(|&c| continues_run(Some(c), c))?;
    match (chars.next(), chars.next()) {
        (None, _) => Some((letter, 1)),
        (Some(mark), None) => run_of(mark).map(|n| (letter, n)),
        _ => None,
    }
}

/// `b` following `a` in the squeezed view: where `a` ends with the letter
/// (or space) `b` starts with, the two runs are one, as long as both.
pub fn join(a: &str, b: &str) -> String {
    let mut out = String::with_capacity(a.len() + b.len());
    out.push_str(a);
    join_onto(&mut out, b);
    out
}

/// [`join`] in place: `b` appended to `a`, the runs where they meet made
/// one. No new string where `a` has room (a concatenation's literal grows
/// letter by letter).
pub fn join_onto(a: &mut String, b: &str) {
    let Some(first) = b.chars().next() else {
        return;
    };
    if first == EDGE && a.ends_with(EDGE) {
        a.push_str(&b[EDGE.len_utf8()..]);
        return;
    }
    let (core_len, a_run) = match a.chars().next_back() {
        Some(mark) if run_of(mark).is_some() => (a.len() - mark.len_utf8(), run_of(mark)),
        _ => (a.len(), None),
    };
    if !continues_run(a[..core_len].chars().next_back(), first) {
        a.push_str(b);
        return;
    }
    let rest = &b[first.len_utf8()..];
    let (b_run, rest) = match rest.chars().next().and_then(run_of) {
        Some(n) => (n, &rest[rest.chars().next().map_or(0, char::len_utf8)..]),
        None => (1, rest),
    };
    a.truncate(core_len - first.len_utf8());
    push_run(a, first, a_run.unwrap_or(1) + b_run);
    a.push_str(rest);
}

/// The literal's length without its marks, in bytes.
pub fn text_len(literal: &str) -> usize {
    literal
        .chars()
        .filter(|&c| !is_mark(c))
        .map(char::len_utf8)
        .sum()
}

/// What to check where a literal's text is found, at a byte offset from
/// the start of the find.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// A word boundary at this offset.
    Edge(u32),
    /// The letter at this offset stands for a run at least this long.
    Run(u32, u32),
}

/// The literal's text, as the automaton scans for it, and its checks. An
/// edge between two characters of the text that differ in being word
/// characters is there whatever the text: it is not checked.
pub fn split(literal: &str) -> (String, Vec<Check>) {
    let mut text = String::with_capacity(literal.len());
    let mut edges = Vec::new();
    let mut checks = Vec::new();
    for c in literal.chars() {
        if c == EDGE {
            edges.push(text.len());
        } else if let Some(n) = run_of(c) {
            let letter = text.chars().next_back().map_or(0, char::len_utf8);
            checks.push(Check::Run((text.len() - letter) as u32, n as u32));
        } else {
            text.push(c);
        }
    }
    edges.dedup();
    for at in edges {
        let before = text[..at].chars().next_back();
        let after = text[at..].chars().next();
        let inherent = matches!((before, after), (Some(b), Some(a)) if is_word(b) != is_word(a));
        if !inherent {
            checks.push(Check::Edge(at as u32));
        }
    }
    (text, checks)
}

impl Check {
    /// Whether this holds for the literal found at `start` in `squeezed`.
    pub fn holds(self, squeezed: &Squeezed, start: usize) -> bool {
        match self {
            Check::Edge(at) => {
                // A find starts on a character boundary, and so does each
                // edge in its text. An ASCII byte either side (nearly
                // always) is read as it is, without decoding.
                let at = start + at as usize;
                let text = &squeezed.text;
                let before = match at.checked_sub(1).map(|i| text.as_bytes()[i]) {
                    None => false,
                    Some(b) if b.is_ascii() => is_word(char::from(b)),
                    Some(_) => text[..at].chars().next_back().is_some_and(is_word),
                };
                let after = match text.as_bytes().get(at) {
                    None => false,
                    Some(&b) if b.is_ascii() => is_word(char::from(b)),
                    Some(_) => text[at..].chars().next().is_some_and(is_word),
                };
                before != after
            }
            Check::Run(at, n) => squeezed.run_len(start + at as usize) >= n as usize,
        }
    }
}

/// A word character as Unicode `\b` sees it. An ASCII character (nearly
/// every one next to a literal) is answered without the Unicode table's
/// binary search, which a space or a comma would otherwise walk in full.
fn is_word(c: char) -> bool {
    if c.is_ascii() {
        ASCII_WORD[c as usize]
    } else {
        regex_syntax::is_word_character(c)
    }
}

/// Per ASCII character: whether it is a word character (`[0-9A-Za-z_]`),
/// one load rather than three range tests.
static ASCII_WORD: [bool; 128] = {
    let mut word = [false; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        word[b] = c.is_ascii_alphanumeric() || c == b'_';
        b += 1;
    }
    word
};

/// A literal written for reading (tests, debugging): `\b` for an edge,
/// `{n}` for a run mark.
#[cfg(test)]
pub fn show(literal: &str) -> String {
    literal
        .chars()
        .map(|c| match (c, run_of(c)) {
            (EDGE, _) => r"\b".to_string(),
            (_, Some(n)) => format!("{{{n}}}"),
            _ => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_characters_are_those_of_unicode_word_boundaries() {
        for c in (0..=0x2FFFu32).filter_map(char::from_u32) {
            assert_eq!(is_word(c), regex_syntax::is_word_character(c), "{c:?}");
        }
    }

    #[test]
    fn runs_are_marked_and_joined() {
        assert_eq!(show(&from_text("kill  you").unwrap()), "kil{2} you");
        assert_eq!(show(&join("as", &run('s', 2))), "as{3}");
        assert_eq!(show(&join(&run('s', 2), &run('s', 2))), "s{4}");
        assert_eq!(show(&join("kil", " you")), "kil you");
        assert_eq!(show(&join("a ", " b")), "a b", "white space is one space");
        assert_eq!(
            show(&join(&[EDGE.to_string(), "as".into()].concat(), "s")),
            r"\bas{2}"
        );
        assert_eq!(one_run(&run('s', 3)), Some(('s', 3)));
        assert_eq!(one_run("ss"), None);
        assert_eq!(one_run(" "), Some((' ', 1)));
        assert_eq!(one_run("!"), None);
        assert_eq!(from_text("a\u{E001}b"), None);
        assert_eq!(text_len(&from_text("kill").unwrap()), 3);
    }

    #[test]
    fn checks_hold_where_the_normalised_text_has_them() {
        let normalizer = super::super::normalize::Normalizer::default();
        let literal = [EDGE.to_string(), join("a", &run('s', 2)), EDGE.to_string()].concat();
        let (text, checks) = split(&literal);
        assert_eq!(text, "as");
        assert_eq!(
            checks,
            vec![Check::Run(1, 2), Check::Edge(0), Check::Edge(2)]
        );
        let found_in = |haystack: &str| {
            let squeezed = normalizer.normalize(haystack, 0).squeeze();
            squeezed
                .text
                .match_indices("as")
                .any(|(at, _)| checks.iter().all(|c| c.holds(&squeezed, at)))
        };
        assert!(found_in("you ass"));
        assert!(found_in("aaasss!"));
        assert!(!found_in("as it was"), "one s");
        assert!(!found_in("the class"), "no edge before");
        assert!(!found_in("assess"), "no edge after");
        let (_, inherent) = split(
            &from_text("kil")
                .map(|k| k + &EDGE.to_string() + " you")
                .unwrap(),
        );
        assert!(inherent.is_empty(), "{inherent:?}");
    }
}
