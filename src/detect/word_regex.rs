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
//! the second: the same matches, found by the DFA. Most text is such text,
//! so the ASCII form is compiled when the rules load (which also checks the
//! pattern) and the Unicode form only the first time a text needs it: rule
//! loading compiles each regex once, not twice.

use super::prefilter::Requirement;
use regex::{Regex, RegexBuilder};
use regex_syntax::hir::{Hir, HirKind, Look};
use std::sync::OnceLock;

/// Lazy DFA cache per regex and thread: the long alternations of the rules
/// need more than the default to avoid thrashing.
const LAZY_DFA_CACHE: usize = 8 << 20;

pub struct WordRegex {
    source: String,
    size_limit: usize,
    /// The pattern as written; compiled on first use when `ascii` is set.
    unicode: OnceLock<Regex>,
    /// The same pattern with ASCII word boundaries; `None` when it has no
    /// Unicode word boundary (the first is then as fast).
    ascii: Option<Regex>,
    /// What fixed text every match holds (for the pre-filter).
    requirement: Requirement,
}

impl WordRegex {
    pub fn new(source: &str, size_limit: usize) -> Result<WordRegex, regex::Error> {
        let unicode = OnceLock::new();
        let hir = regex_syntax::parse(source);
        let requirement = hir.as_ref().map_or(Requirement::True, Requirement::of);
        let ascii = match hir {
            Ok(hir) if hir.properties().look_set().contains_word_unicode() => {
                Some(build(&ascii_word_boundaries(hir).to_string(), size_limit)?)
            }
            _ => {
                let _ = unicode.set(build(source, size_limit)?);
                None
            }
        };
        Ok(WordRegex {
            source: source.to_string(),
            size_limit,
            unicode,
            ascii,
            requirement,
        })
    }

    /// The regex to search `text` with; `ascii_words` must be
    /// [`ascii_words_only`] of the haystack.
    pub fn for_text(&self, ascii_words: bool) -> &Regex {
        match &self.ascii {
            Some(ascii) if ascii_words => ascii,
            _ => self.unicode(),
        }
    }

    /// The Unicode form, compiled the first time it is needed. Its pattern
    /// differs from the ASCII form's, already compiled, only in the kind of
    /// its word boundaries, so it compiles too; should it pass the size
    /// limit where the other did not, it is compiled without the limit
    /// rather than leaving a text unsearched.
    fn unicode(&self) -> &Regex {
        self.unicode.get_or_init(|| {
            build(&self.source, self.size_limit)
                .or_else(|_| RegexBuilder::new(&self.source).build())
                .expect("the pattern parsed and compiled in its ASCII form")
        })
    }

    /// What fixed text every match holds.
    pub fn requirement(&self) -> &Requirement {
        &self.requirement
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.for_text(ascii_words_only(text)).is_match(text)
    }
}

fn build(pattern: &str, size_limit: usize) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .size_limit(size_limit)
        .dfa_size_limit(LAZY_DFA_CACHE)
        .build()
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
            let expected: Vec<_> = re.unicode().find_iter(text).map(|m| m.range()).collect();
            assert_eq!(found, expected, "{text}");
        }
        assert!(ascii_words_only("£5 ’quoted’ – dash"));
        assert!(!ascii_words_only("café"));
    }
}
