//! Rule regexes whose word boundaries stay on the fast path.
//!
//! The rules use `\b`, which in the `regex` crate means a *Unicode* word
//! boundary. Its lazy DFA cannot evaluate that on non-ASCII text, so on any
//! haystack holding a non-ASCII byte (a `£`, a curly quote, an `é`) the
//! search falls back to the PikeVM, tens of times slower — and council mail
//! is full of `£` and `’`. Unicode and ASCII word boundaries differ only
//! next to a non-ASCII *word* character (a letter, digit or mark outside
//! ASCII); next to `£` or `’` both see a non-word character. So each rule
//! regex is compiled twice, the second time with every Unicode word
//! boundary turned into its ASCII form (everything else, `\w` included,
//! unchanged), and a text with no non-ASCII word character is searched with
//! the second: the same matches, found by the DFA.

use regex::{Regex, RegexBuilder};
use regex_syntax::hir::{Hir, HirKind, Look};

/// Lazy DFA cache per regex and thread: the long alternations of the rules
/// need more than the default to avoid thrashing.
const LAZY_DFA_CACHE: usize = 8 << 20;

pub struct WordRegex {
    unicode: Regex,
    /// The same pattern with ASCII word boundaries; `None` when it has no
    /// Unicode word boundary (the first is then as fast).
    ascii: Option<Regex>,
}

impl WordRegex {
    pub fn new(source: &str, size_limit: usize) -> Result<WordRegex, regex::Error> {
        let build = |pattern: &str| {
            RegexBuilder::new(pattern)
                .size_limit(size_limit)
                .dfa_size_limit(LAZY_DFA_CACHE)
                .build()
        };
        let unicode = build(source)?;
        let ascii = match regex_syntax::parse(source) {
            Ok(hir) if hir.properties().look_set().contains_word_unicode() => {
                Some(build(&ascii_word_boundaries(hir).to_string())?)
            }
            _ => None,
        };
        Ok(WordRegex { unicode, ascii })
    }

    /// The regex to search `text` with; `ascii_words` must be
    /// [`ascii_words_only`] of the haystack.
    pub fn for_text(&self, ascii_words: bool) -> &Regex {
        match &self.ascii {
            Some(ascii) if ascii_words => ascii,
            _ => &self.unicode,
        }
    }

    /// The pattern as written (Unicode word boundaries).
    pub fn as_str(&self) -> &str {
        self.unicode.as_str()
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.for_text(ascii_words_only(text)).is_match(text)
    }
}

/// True when every word character of `text` (Unicode `\w`) is ASCII, so
/// ASCII and Unicode word boundaries agree everywhere in it.
pub fn ascii_words_only(text: &str) -> bool {
    text.is_ascii()
        || !text
            .chars()
            .any(|c| !c.is_ascii() && regex_syntax::is_word_character(c))
}

fn ascii_word_boundaries(hir: Hir) -> Hir {
    match hir.into_kind() {
        HirKind::Look(look) => Hir::look(match look {
            Look::WordUnicode => Look::WordAscii,
            Look::WordUnicodeNegate => Look::WordAsciiNegate,
            Look::WordStartUnicode => Look::WordStartAscii,
            Look::WordEndUnicode => Look::WordEndAscii,
            Look::WordStartHalfUnicode => Look::WordStartHalfAscii,
            Look::WordEndHalfUnicode => Look::WordEndHalfAscii,
            other => other,
        }),
        HirKind::Repetition(mut rep) => {
            rep.sub = Box::new(ascii_word_boundaries(*rep.sub));
            Hir::repetition(rep)
        }
        HirKind::Capture(mut cap) => {
            cap.sub = Box::new(ascii_word_boundaries(*cap.sub));
            Hir::capture(cap)
        }
        HirKind::Concat(subs) => Hir::concat(subs.into_iter().map(ascii_word_boundaries).collect()),
        HirKind::Alternation(subs) => {
            Hir::alternation(subs.into_iter().map(ascii_word_boundaries).collect())
        }
        HirKind::Empty => Hir::empty(),
        HirKind::Literal(lit) => Hir::literal(lit.0),
        HirKind::Class(class) => Hir::class(class),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_find_the_same_matches_where_words_are_ascii() {
        let re = WordRegex::new(r"\b(?:kill|burn)\s+(?:you|\w+)\b", 1 << 20).unwrap();
        assert!(re.ascii.is_some());
        for text in [
            "I will kill you for £5",
            "burn it ’now’ kill them",
            "skill you",
            "naïve kill café",
        ] {
            let words = ascii_words_only(text);
            let found: Vec<_> = re
                .for_text(words)
                .find_iter(text)
                .map(|m| m.range())
                .collect();
            let expected: Vec<_> = re.unicode.find_iter(text).map(|m| m.range()).collect();
            assert_eq!(found, expected, "{text}");
        }
        assert!(ascii_words_only("£5 ’quoted’ – dash"));
        assert!(!ascii_words_only("café"));
    }
}
